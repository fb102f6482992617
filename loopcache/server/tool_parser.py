"""Tool calls in model output: JSON objects inside `<tool_call>...</tool_call>` (Hermes style).

    text before <tool_call>{"name": "f", "arguments": {...}}</tool_call> text after
    -> content "text before text after", tool_calls [ToolCall("f", {...})]

A block that is not a JSON object with a string `name` stays in the content, untouched. While streaming,
`ToolCallStream` releases text only up to the first `<tool_call>` (holding back a partial tag), so
tool-call JSON never leaks into streamed content.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

OPEN_TAG = "<tool_call>"
CLOSE_TAG = "</tool_call>"
_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    id: str = field(default_factory=lambda: "call_" + uuid.uuid4().hex[:24])

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class ParsedOutput:
    content: str
    tool_calls: tuple[ToolCall, ...]


def _as_call(raw: str) -> ToolCall | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
        return None
    args = value.get("arguments", value.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return None
    if not isinstance(args, dict):
        return None
    return ToolCall(value["name"], args)


def parse_tool_calls(text: str) -> ParsedOutput:
    """Split `text` into content and the tool calls it contains (in order)."""
    calls: list[ToolCall] = []

    def _take(match: re.Match[str]) -> str:
        call = _as_call(match.group(1))
        if call is None:
            return match.group(0)
        calls.append(call)
        return ""

    content = _BLOCK.sub(_take, text)
    return ParsedOutput(content.rstrip() if calls else content, tuple(calls))


@dataclass
class ToolCallStream:
    """Feed streamed text; get back the part that is safe to show as content now."""

    emitted: str = ""
    _text: str = ""
    _in_call: bool = False

    def feed(self, delta: str) -> str:
        self._text += delta
        if self._in_call:
            return ""
        at = self._text.find(OPEN_TAG)
        if at != -1:
            self._in_call = True
            return self._release(len(self._text[:at].rstrip()))
        hold = next((n for n in range(min(len(OPEN_TAG) - 1, len(self._text)), 0, -1)
                     if self._text.endswith(OPEN_TAG[:n])), 0)
        upto = len(self._text) - hold
        return self._release(len(self._text[:upto].rstrip()))  # whitespace before a tool call is dropped

    def finish(self, full_text: str) -> tuple[str, ParsedOutput]:
        """(content not yet emitted, the parsed output of the whole text)."""
        parsed = parse_tool_calls(full_text)
        rest = parsed.content[len(self.emitted):] if parsed.content.startswith(self.emitted) else ""
        return rest, parsed

    def _release(self, upto: int) -> str:
        if upto <= len(self.emitted):
            return ""
        out = self._text[len(self.emitted):upto]
        self.emitted += out
        return out
