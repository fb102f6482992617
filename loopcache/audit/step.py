"""The normalised trace model every reader produces: a `Trace` holds `Session`s, a session holds `Step`s.

A step is one LLM request. Its `request` is what the model saw, rendered in provider order
(tools -> system -> messages); `request.is_exact` says whether the log kept the whole request (OpenHands,
crewAI, Inspect, plain logs) or only the conversation (Claude Code, Codex, tau-bench/tau2: the system
prompt or the tool list is not stored). `usage` is the provider's report, normalised (see `usage.py`), or
None when the log has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loopcache.audit.usage import Usage

TRIGGER_USER = "user"
TRIGGER_TOOL = "tool"
TRIGGER_UNKNOWN = "unknown"


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model emitted. `arguments` is the parsed JSON object, None when it did not parse."""

    call_id: str | None
    name: str
    arguments: dict | None
    raw_arguments: str


@dataclass(frozen=True)
class Message:
    """One message of a request, its content flattened to text (cache_control markers dropped)."""

    role: str
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class Request:
    """What a step sent. `tools` are the tool definitions serialised as the log stored them."""

    system: str
    messages: tuple[Message, ...]
    tools: tuple[str, ...] = ()
    is_exact: bool = True


@dataclass(frozen=True)
class ToolResult:
    """A tool result that entered the prompt at this step, with the call that produced it when known."""

    call: ToolCall | None
    text: str


@dataclass(frozen=True)
class Step:
    """One LLM request of a session. Times are unix seconds; either may be None when the log lacks it."""

    index: int
    request: Request
    usage: Usage | None
    started_at: float | None = None
    ended_at: float | None = None
    model: str | None = None
    provider: str | None = None
    trigger: str = TRIGGER_UNKNOWN
    output_tool_calls: tuple[ToolCall, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Session:
    """One agent run: its steps in the order they were sent."""

    session_id: str
    steps: tuple[Step, ...]
    source: str = ""
    format: str = ""


@dataclass(frozen=True)
class ReadProblem:
    """Input a reader skipped: the file, the 1-based line (None when not line-based) and why."""

    path: str
    line: int | None
    reason: str

    def describe(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Trace:
    """Everything read from one path: its sessions, the detected format and what had to be skipped."""

    sessions: tuple[Session, ...]
    format: str
    problems: tuple[ReadProblem, ...] = field(default_factory=tuple)


def trigger_of(messages: tuple[Message, ...]) -> str:
    """What made the step happen: the role of the last non-assistant message (a tool result or user text)."""
    for message in reversed(messages):
        if message.role == "tool":
            return TRIGGER_TOOL
        if message.role == "user":
            return TRIGGER_USER
        if message.role == "assistant":
            break
    return TRIGGER_UNKNOWN


def new_tool_results(messages: tuple[Message, ...]) -> tuple[ToolResult, ...]:
    """Tool results after the last assistant message, each paired with the call it answers when findable."""
    calls: dict[str, ToolCall] = {}
    last_assistant = -1
    for i, message in enumerate(messages):
        for call in message.tool_calls:
            if call.call_id:
                calls[call.call_id] = call
        if message.role == "assistant":
            last_assistant = i
    if last_assistant < 0:
        return ()
    results = []
    for message in messages[last_assistant + 1 :]:
        if message.role == "tool":
            results.append(ToolResult(call=calls.get(message.tool_call_id or ""), text=message.text))
    return tuple(results)


def assemble_step(
    index: int,
    request: Request,
    usage: Usage | None,
    *,
    started_at: float | None = None,
    ended_at: float | None = None,
    model: str | None = None,
    provider: str | None = None,
    output_tool_calls: tuple[ToolCall, ...] = (),
    source: str = "",
) -> Step:
    """A Step whose trigger and new tool results are derived from its request's messages."""
    return Step(
        index=index,
        request=request,
        usage=usage,
        started_at=started_at,
        ended_at=ended_at,
        model=model,
        provider=provider,
        trigger=trigger_of(request.messages),
        output_tool_calls=output_tool_calls,
        tool_results=new_tool_results(request.messages),
        source=source,
    )
