"""What a session's compaction must remember so that every later step renders the same compacted prefix.

    client history:  [ m0 m1 m2 ... m(c-1) | mc ... ]      the client keeps sending all of it, uncompacted
    checkpoint:      c = num_messages, digest = sha256(m0 .. m(c-1))
    edits:           (ref -> replacement text) for tool outputs inside m0 .. m(c-1), append-only
    view:            [ m0 m1' m2 ... m(c-1)' | mc ... ]     edits applied to the first c, the rest as sent

The replacement texts themselves are stored (not re-derived), so the view is byte-identical at every step
whatever the configuration or the summariser do later; a history whose first c messages no longer hash to
the digest (the client edited or shortened it) does not match, and the caller starts over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loopcache.sessions.tool_outputs import Message, OutputRef, replace_outputs, tool_outputs

FORMAT_VERSION = 1
EDIT_KINDS = ("stub", "duplicate", "summary")


def messages_digest(messages: Sequence[Message]) -> str:
    """sha256 over the canonical JSON of `messages` (keys sorted, fixed separators): the same in every process."""
    data = json.dumps(list(messages), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Edit:
    """One tool output replaced: `kind` says why (an old output stubbed, a duplicate of a later one, a summary)."""

    ref: OutputRef
    kind: str
    text: str

    def __post_init__(self) -> None:
        if self.kind not in EDIT_KINDS:
            raise ValueError(f"edit kind must be one of {EDIT_KINDS}, got {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref.to_dict(), "kind": self.kind, "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edit:
        return cls(OutputRef.from_dict(data["ref"]), str(data["kind"]), str(data["text"]))


@dataclass(frozen=True)
class Checkpoint:
    """The first `num_messages` messages of the client's history, whose canonical JSON hashes to `digest`,
    are rewritten; `number` counts the session's checkpoints (1 for its first compaction)."""

    num_messages: int
    digest: str
    number: int

    def to_dict(self) -> dict[str, Any]:
        return {"num_messages": self.num_messages, "digest": self.digest, "number": self.number}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        return cls(int(data["num_messages"]), str(data["digest"]), int(data["number"]))


@dataclass(frozen=True)
class CompactionState:
    """A session's compaction so far (empty: never compacted). Immutable: `extended` returns a new one."""

    checkpoint: Checkpoint | None = None
    edits: tuple[Edit, ...] = ()
    rewrite_cost_tokens: int = 0  # all rewrites of the session: tokens recomputed because the prefix changed

    @property
    def num_rewrites(self) -> int:
        return self.checkpoint.number if self.checkpoint else 0

    def matches(self, messages: Sequence[Message]) -> bool:
        """Whether `messages` starts with the messages this state's checkpoint rewrote."""
        cp = self.checkpoint
        if cp is None:
            return True
        return len(messages) >= cp.num_messages and messages_digest(messages[: cp.num_messages]) == cp.digest

    def view(self, messages: Sequence[Message]) -> list[Message]:
        """`messages` with this state's edits applied (call `matches` first). Never mutates `messages`."""
        return replace_outputs(messages, {e.ref: e.text for e in self.edits})

    def extended(self, messages: Sequence[Message], edits: Sequence[Edit], cost_tokens: int) -> CompactionState:
        """A new checkpoint over `messages` (the client's history) covering this state's edits and `edits`."""
        taken = {e.ref for e in self.edits}
        if any(e.ref in taken for e in edits):
            raise ValueError("an output is edited twice")
        every = tuple(sorted((*self.edits, *edits), key=lambda e: e.ref.sort_key))
        end = max(e.ref.message for e in every) + 1 if every else 0
        end = max(end, self.checkpoint.num_messages if self.checkpoint else 0)
        cp = Checkpoint(end, messages_digest(messages[:end]), self.num_rewrites + 1)
        return CompactionState(cp, every, self.rewrite_cost_tokens + cost_tokens)

    def check_integrity(self, messages: Sequence[Message] | None = None) -> None:
        """Raise AssertionError if the state is inconsistent (or, given the history, does not fit it)."""
        refs = [e.ref for e in self.edits]
        assert len(refs) == len(set(refs)), "an output is edited twice"
        assert refs == sorted(refs, key=lambda r: r.sort_key), "edits are out of order"
        if self.checkpoint is None:
            assert not self.edits and self.rewrite_cost_tokens == 0, "edits without a checkpoint"
            return
        assert all(r.message < self.checkpoint.num_messages for r in refs), "an edit beyond the checkpoint"
        assert self.rewrite_cost_tokens >= 0
        if messages is not None:
            assert self.matches(messages), "the history does not match the checkpoint"
            present = {o.ref for o in tool_outputs(messages[: self.checkpoint.num_messages])}
            assert set(refs) <= present, "an edit names no tool output"

    # ---- JSON ---------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
            "edits": [e.to_dict() for e in self.edits],
            "rewrite_cost_tokens": self.rewrite_cost_tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompactionState:
        """The state `to_dict` wrote. Raises ValueError for another format version or a malformed state."""
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"compaction state version {data.get('version')!r} is not {FORMAT_VERSION}")
        try:
            cp = data.get("checkpoint")
            state = cls(Checkpoint.from_dict(cp) if cp else None, tuple(Edit.from_dict(e) for e in data["edits"]),
                        int(data.get("rewrite_cost_tokens", 0)))
            state.check_integrity()
        except (KeyError, TypeError, AssertionError) as exc:
            raise ValueError(f"malformed compaction state: {exc}") from exc
        return state
