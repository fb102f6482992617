"""A chat prompt whose history its session compacts (docs/compaction.md) before the engine renders it.

The client keeps sending its whole history; the worker thread calls `token_ids`, which hands the turns (as
OpenAI-style messages) to the session's compactor, counting tokens exactly as the engine renders them,
and renders what comes back. `result` then says what compaction did (for the response's usage).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from loopcache.server.prompt import ChatPrompt, Renderer
from loopcache.sessions.compaction import CompactionResult
from loopcache.sessions.manager import SessionManager

log = logging.getLogger(__name__)


def _message(turn: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": turn.role, "content": turn.content}
    if turn.tool_call_id is not None:
        out["tool_call_id"] = turn.tool_call_id
    if turn.tool_calls:
        out["tool_calls"] = [{"name": c.name, "arguments": c.arguments_json} for c in turn.tool_calls]
    return out


class CompactingPrompt:
    def __init__(self, inner: ChatPrompt, sessions: SessionManager, namespace: str, session_id: str) -> None:
        self.inner = inner
        self.sessions = sessions
        self.namespace = namespace
        self.session_id = session_id
        self.result: CompactionResult | None = None

    def _with(self, messages: Sequence[dict[str, Any]]) -> ChatPrompt:
        turns = tuple(replace(t, content=m["content"]) for t, m in zip(self.inner.turns, messages))
        return replace(self.inner, turns=turns)

    def token_ids(self, engine: Renderer) -> list[int]:
        messages = [_message(t) for t in self.inner.turns]
        try:
            self.result = self.sessions.compact(self.namespace, self.session_id, messages,
                                                lambda m: len(self._with(m).token_ids(engine)), engine.model.max_context)
        except Exception:  # noqa: BLE001 - compaction is an optimisation: the request goes on without it
            log.exception("compaction of session %s failed; sending its history as is", self.session_id)
            self.result = None
        if self.result is None:
            return self.inner.token_ids(engine)
        return self._with(self.result.messages).token_ids(engine)
