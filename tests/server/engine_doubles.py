"""Engine wrappers for server tests: the real tiny-model engine underneath, with a gate or a script on top."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
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

    def close(self) -> None:
        self.inner.close()


class GatedEngine(_Wrapper):
    """Every generation waits until `gate` is set (to fill the queue on purpose)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.gate = threading.Event()

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[TextDelta | Completion]:
        self.gate.wait(30)
        yield from self.inner.stream(*args, **kwargs)


class ScriptedEngine(_Wrapper):
    """Runs the real engine (real KV, real cache stats) but answers with the next scripted text."""

    def __init__(self, engine: Engine, replies: Sequence[str]) -> None:
        super().__init__(engine)
        self.replies = list(replies)

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[TextDelta | Completion]:
        text = self.replies.pop(0)
        for event in self.inner.stream(*args, **kwargs):
            if isinstance(event, Completion):
                for i in range(0, len(text), 7):
                    yield TextDelta(text[i : i + 7], 0)
                yield replace(event, text=text, finish_reason="stop", stats=replace(event.stats, finish_reason="stop"))
