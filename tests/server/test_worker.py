"""The engine worker on a fake engine: events in order, failures reported, bounded queue, clean close."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from loopcache.engine.engine import Completion, PromptTooLongError, TextDelta
from loopcache.engine.sampling import SamplingParams
from loopcache.engine.stats import RequestStats
from loopcache.server.prompt import TextPrompt
from loopcache.server.state import engine_error
from loopcache.server.worker import (
    EngineWorker, Failed, Finished, GenerationRequest, PromptRenderError, QueueFullError, Started,
)


class _Tokenizer:
    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        if text == "boom":
            raise RuntimeError("template exploded")
        return [ord(c) for c in text]


class FakeEngine:
    def __init__(self) -> None:
        self.model = SimpleNamespace(tokenizer=_Tokenizer(), max_context=32, eos_token_ids=(0,))
        self.gate = threading.Event()
        self.gate.set()

    def stream(self, ids: list[int], params: SamplingParams, session_id: Any, namespace: str) -> Iterator[Any]:
        self.gate.wait(10)
        yield TextDelta("a", 97)
        yield TextDelta("b", 98)
        stats = RequestStats(session_id, namespace, len(ids), 0, completion_tokens=2, finish_reason="length")
        yield Completion("ab", (97, 98), tuple(ids), "length", stats)


def _request(text: str) -> GenerationRequest:
    return GenerationRequest(TextPrompt(text), SamplingParams(max_tokens=2), "s", "default")


async def _events(worker: EngineWorker, text: str) -> list[Any]:
    job = worker.submit(_request(text), asyncio.get_running_loop())
    events = [await job.next_event()]
    while not isinstance(events[-1], (Finished, Failed)):
        events.append(await job.next_event())
    return events


def test_events_failures_and_close() -> None:
    worker = EngineWorker(FakeEngine(), max_queue=2)
    worker.start()
    events = asyncio.run(_events(worker, "hi"))
    assert isinstance(events[0], Started) and events[0].prompt_tokens == 2
    assert [e.text for e in events[1:3]] == ["a", "b"] and events[-1].completion.text == "ab"
    (failed,) = asyncio.run(_events(worker, "x" * 40))
    assert isinstance(failed.error, PromptTooLongError) and engine_error(failed.error).status == 400
    (failed,) = asyncio.run(_events(worker, "boom"))
    assert isinstance(failed.error, PromptRenderError) and engine_error(failed.error).status == 400
    worker.close()
    assert worker.stats().completed == 1 and worker.stats().failed == 2


def test_full_queue_refuses_without_blocking() -> None:
    engine = FakeEngine()
    engine.gate.clear()
    worker = EngineWorker(engine, max_queue=1)
    worker.start()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        running = worker.submit(_request("one"), loop)
        assert isinstance(await running.next_event(), Started)  # taken off the queue, blocked in the engine
        waiting = worker.submit(_request("two"), loop)
        with pytest.raises(QueueFullError):
            worker.submit(_request("three"), loop)
        engine.gate.set()
        for job in (running, waiting):
            while not isinstance(await job.next_event(), Finished):
                pass

    asyncio.run(scenario())
    worker.close()
    assert worker.stats().completed == 2 and worker.stats().queue_depth == 0
