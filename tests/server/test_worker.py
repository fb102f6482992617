"""The engine worker on the real tiny-model engine: events in order, failures reported, jobs batched
together, a bounded queue, cancellation between steps, and a clean close."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from loopcache.engine.engine import PromptTooLongError, TextDelta
from loopcache.engine.sampling import SamplingParams
from loopcache.server.prompt import TextPrompt
from loopcache.server.state import engine_error
from loopcache.server.worker import (
    EngineWorker, Failed, Finished, GenerationRequest, PromptRenderError, QueueFullError, Started,
)
from tests.server.conftest import tiny_engine
from tests.server.engine_doubles import GatedEngine


class _ExplodingPrompt:
    def token_ids(self, engine: Any) -> list[int]:
        raise RuntimeError("template exploded")


def _request(prompt: Any, max_tokens: int = 4, temperature: float = 0.0) -> GenerationRequest:
    prompt = TextPrompt(prompt) if isinstance(prompt, str) else prompt
    params = SamplingParams(max_tokens=max_tokens, temperature=temperature, seed=3)
    return GenerationRequest(prompt, params, "s", "default")


async def _events(worker: EngineWorker, request: GenerationRequest) -> list[Any]:
    job = worker.submit(request, asyncio.get_running_loop())
    events = [await job.next_event()]
    while not isinstance(events[-1], (Finished, Failed)):
        events.append(await job.next_event())
    return events


def test_events_failures_and_close(tiny_model: Any, tmp_path: Path) -> None:
    worker = EngineWorker(tiny_engine(tiny_model, tmp_path), max_queue=2)
    worker.start()
    events = asyncio.run(_events(worker, _request("hello there")))
    assert isinstance(events[0], Started) and events[0].prompt_tokens == len("hello there")
    finished = events[-1]
    assert isinstance(finished, Finished) and len(finished.completion.token_ids) >= 1
    assert "".join(e.text for e in events[1:-1] if isinstance(e, TextDelta)) == finished.completion.text
    (failed,) = asyncio.run(_events(worker, _request("x" * (tiny_model.max_context + 5))))
    assert isinstance(failed.error, PromptTooLongError) and engine_error(failed.error).status == 400
    (failed,) = asyncio.run(_events(worker, _request(_ExplodingPrompt())))
    assert isinstance(failed.error, PromptRenderError) and engine_error(failed.error).status == 400
    worker.close()
    assert worker.stats().completed == 1 and worker.stats().failed == 2


def test_concurrent_jobs_decode_together(tiny_model: Any, tmp_path: Path) -> None:
    engine = GatedEngine(tiny_engine(tiny_model, tmp_path))
    worker = EngineWorker(engine, max_queue=8)
    worker.start()
    order: list[tuple[int, str]] = []

    async def one(i: int) -> None:
        job = worker.submit(_request(f"job {i} " * (i + 1), max_tokens=12), asyncio.get_running_loop())
        while True:
            event = await job.next_event()
            order.append((i, type(event).__name__))
            if isinstance(event, (Finished, Failed)):
                return

    async def scenario() -> None:
        tasks = [asyncio.create_task(one(i)) for i in range(4)]
        while sum(1 for _, kind in order if kind == "Started") < 4:
            await asyncio.sleep(0.01)
        engine.gate.set()  # all four were added before the first step: they run in one batch
        await asyncio.gather(*tasks)

    asyncio.run(scenario())
    worker.close()
    first_finish = next(n for n, (_, kind) in enumerate(order) if kind == "Finished")
    started_decoding = {i for i, kind in order[:first_finish] if kind == "TextDelta"}
    assert started_decoding == {0, 1, 2, 3}  # every job produced text before any of them finished
    assert worker.stats().completed == 4


def test_full_queue_refuses_without_blocking(tiny_model: Any, tmp_path: Path) -> None:
    engine = GatedEngine(tiny_engine(tiny_model, tmp_path, max_running=1))  # one runs, one may wait
    worker = EngineWorker(engine, max_queue=1)
    worker.start()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        running = worker.submit(_request("one"), loop)
        assert isinstance(await running.next_event(), Started)  # in the engine, whose steps wait for the gate
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


def test_a_cancelled_job_is_aborted_between_steps(tiny_model: Any, tmp_path: Path) -> None:
    worker = EngineWorker(tiny_engine(tiny_model, tmp_path), max_queue=2)
    worker.start()

    async def scenario() -> int:
        job = worker.submit(_request("cancel me " * 3, max_tokens=3000, temperature=1.0), asyncio.get_running_loop())
        deltas = 0
        while deltas < 3:
            event = await job.next_event()
            assert not isinstance(event, (Finished, Failed)), "the generation ended before it could be cancelled"
            deltas += isinstance(event, TextDelta)
        job.cancel()
        while worker.stats().cancelled == 0:
            await asyncio.sleep(0.01)
        return deltas

    asyncio.run(scenario())
    stats = worker.stats()
    worker.close()
    assert stats.cancelled == 1 and stats.completed == 0 and stats.cancelled_tokens < 100
