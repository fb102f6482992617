"""Tool outputs inside chat messages of either API's shape, found and replaced without touching anything else.

    OpenAI     {"role": "tool", "tool_call_id": "c1", "content": "text" | [{"type": "text", "text": "..."}]}
    Anthropic  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1",
                                             "content": "text" | [{"type": "text", "text": "..."}]}, ...]}

An output is addressed by its message's index and, for Anthropic, its block's index in that message. Replacing
keeps every other field (ids, names, roles, other blocks), so tool calls and their results still pair up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Message = Mapping[str, Any]

_TEXT_PARTS = ("text", "input_text")


@dataclass(frozen=True)
class OutputRef:
    """Where a tool output is: `messages[message]` (OpenAI tool message) or its content block `block`."""

    message: int
    block: int | None = None  # None: the whole message is the output (OpenAI); else a tool_result block

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.message, -1 if self.block is None else self.block)

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "block": self.block}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutputRef:
        block = data.get("block")
        return cls(int(data["message"]), None if block is None else int(block))


@dataclass(frozen=True)
class ToolOutput:
    ref: OutputRef
    text: str


def content_text(content: Any) -> str:
    """The text of a message's or block's content: a string, a list of text parts, or nothing."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") in _TEXT_PARTS)
    return str(content)


def tool_outputs(messages: Sequence[Message]) -> list[ToolOutput]:
    """Every tool output in `messages`, in order."""
    found: list[ToolOutput] = []
    for i, m in enumerate(messages):
        if m.get("role") in ("tool", "function"):
            found.append(ToolOutput(OutputRef(i), content_text(m.get("content"))))
            continue
        content = m.get("content")
        if isinstance(content, list):
            for j, block in enumerate(content):
                if isinstance(block, Mapping) and block.get("type") == "tool_result":
                    found.append(ToolOutput(OutputRef(i, j), content_text(block.get("content"))))
    return found


def replace_outputs(messages: Sequence[Message], texts: Mapping[OutputRef, str]) -> list[Message]:
    """`messages` with the outputs at `texts`' refs replaced by those texts. Messages that change are new
    dicts (the input is never mutated); the others are the same objects. Raises ValueError if a ref does not
    name a tool output."""
    out: list[Message] = list(messages)
    by_message: dict[int, dict[int | None, str]] = {}
    for ref, text in texts.items():
        by_message.setdefault(ref.message, {})[ref.block] = text
    for i, blocks in by_message.items():
        if not 0 <= i < len(out):
            raise ValueError(f"message {i} is out of range ({len(out)} messages)")
        m = dict(out[i])
        for block, text in blocks.items():
            if block is None:
                if m.get("role") not in ("tool", "function"):
                    raise ValueError(f"message {i} is not a tool message")
                m["content"] = text
                continue
            content = list(m.get("content") or [])
            if not (0 <= block < len(content) and isinstance(content[block], Mapping)
                    and content[block].get("type") == "tool_result"):
                raise ValueError(f"block {block} of message {i} is not a tool_result")
            content[block] = {**content[block], "content": text}
            m["content"] = content
        out[i] = m
    return out
