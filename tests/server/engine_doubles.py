"""Engine wrappers for server tests: the real tiny-model engine underneath, with a gate or a script on top."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from loopcache.engine.engine import Completion, Engine, TextDelta


class _Wrapper:
    def __init__(self, engine: Engine) -> None:
        self.inner = engine
        self.model = engine.model
        self.store = engine.store

    def render(self, messages: Sequence[Any], tools: Sequence[Any] | None = None) -> list[int]:
        return self.inner.render(messages, tools)

    def add_request(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.add_request(*args, **kwargs)

    def abort(self, seq: Any) -> None:
        self.inner.abort(seq)

    @property
    def has_work(self) -> bool:
        return self.inner.has_work

    @property
    def queue_depth(self) -> int:
        return self.inner.queue_depth

    def counters(self) -> Any:
        return self.inner.counters()

    def step(self) -> int:
        return self.inner.step()

    def close(self) -> None:
        self.inner.close()


class GatedEngine(_Wrapper):
    """Engine steps do nothing (the worker keeps looping) until `gate` is set, except the first
    `free_steps`: to fill the queue, or to hold a generation mid-way, on purpose."""

    def __init__(self, engine: Engine, free_steps: int = 0) -> None:
        super().__init__(engine)
        self.gate = threading.Event()
        self.free_steps = free_steps

    def step(self) -> int:
        if self.free_steps > 0 and self.inner.has_work:
            self.free_steps -= 1
            return self.inner.step()
        if self.gate.wait(0.005):
            return self.inner.step()
        return 0


class ScriptedEngine(_Wrapper):
    """Runs the real engine (real KV, real cache stats) but answers with the next scripted text."""

    def __init__(self, engine: Engine, replies: Sequence[str]) -> None:
        super().__init__(engine)
        self.replies = list(replies)

    def add_request(self, *args: Any, sink: Callable[[Any], None] | None = None, **kwargs: Any) -> Any:
        text = self.replies.pop(0)
        assert sink is not None

        def scripted(event: Any) -> None:
            if isinstance(event, TextDelta):
                return
            if isinstance(event, Completion):
                for i in range(0, len(text), 7):
                    sink(TextDelta(text[i : i + 7], 0))
                event = replace(event, text=text, finish_reason="stop",
                                stats=replace(event.stats, finish_reason="stop"))
            sink(event)

        return self.inner.add_request(*args, sink=scripted, **kwargs)
