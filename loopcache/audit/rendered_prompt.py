"""A request rendered as one string in provider cache order, and the common prefix of two of them.

Providers cache a prompt prefix in this order: tool definitions, then the system prompt, then messages.
The rendering keeps that order and makes every message a self-contained chunk, so a request that only
appends messages renders to a string that starts with the previous request's string:

    <|tool|>{...definition 1...}\\n<|tool|>{...}\\n<|system|>\\n...system...\\n<|user|>\\n...\\n<|assistant|>\\n...

Tool calls of an assistant message are rendered as `name(arguments)` with the arguments exactly as sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.audit.step import Message, Request

SECTION_TOOLS = "tools"
SECTION_SYSTEM = "system"
SECTION_MESSAGES = "messages"


@dataclass(frozen=True)
class RenderedPrompt:
    """The text and where its parts start: `message_starts[i]` is the offset of message i."""

    text: str
    tools_end: int
    system_end: int
    message_starts: tuple[int, ...]

    def section_at(self, offset: int) -> str:
        if offset < self.tools_end:
            return SECTION_TOOLS
        if offset < self.system_end:
            return SECTION_SYSTEM
        return SECTION_MESSAGES

    def message_at(self, offset: int) -> int | None:
        """Index of the message containing `offset`, None inside tools or system."""
        found = None
        for i, start in enumerate(self.message_starts):
            if start <= offset:
                found = i
            else:
                break
        return found


def _render_message(message: Message) -> str:
    parts = [f"<|{message.role}|>\n", message.text]
    for call in message.tool_calls:
        parts.append(f"\n{call.name}({call.raw_arguments})")
    parts.append("\n")
    return "".join(parts)


def render(request: Request) -> RenderedPrompt:
    """Render `request` (pure; same request -> same string)."""
    chunks = [f"<|tool|>{tool}\n" for tool in request.tools]
    tools_text = "".join(chunks)
    system_text = f"<|system|>\n{request.system}\n" if request.system else ""
    pieces = [tools_text, system_text]
    offset = len(tools_text) + len(system_text)
    starts = []
    for message in request.messages:
        starts.append(offset)
        text = _render_message(message)
        pieces.append(text)
        offset += len(text)
    return RenderedPrompt(
        text="".join(pieces),
        tools_end=len(tools_text),
        system_end=len(tools_text) + len(system_text),
        message_starts=tuple(starts),
    )


def common_prefix_length(a: str, b: str) -> int:
    """Length of the longest common prefix of `a` and `b` (binary search over C-speed slice compares)."""
    low, high = 0, min(len(a), len(b))
    if a[:high] == b[:high]:
        return high
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low
