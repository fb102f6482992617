"""Tools and tool turns into the prompt, deterministically.

A prefix cache only hits when the bytes of every step's prompt start with the bytes of the previous step,
so tool schemas are canonicalised (keys sorted at every depth, fixed separators) before rendering, however
the client serialised them. Both APIs' tools are converted to one form, `{"type": "function", "function":
{"name", "description", "parameters"}}`.

Templates that take `tools` (they mention it) render them natively. For the others (SmolLM2's included)
the fallback block below is appended to the system message, assistant tool calls become `<tool_call>` JSON
lines and tool results become `<tool_response>` user turns:

    # Tools

    You may call one or more functions to assist with the user query.
    You are provided with function signatures within <tools></tools> XML tags:
    <tools>
    {"function": {"description": ..., "name": ..., "parameters": {...}}, "type": "function"}
    </tools>
    For each function call, return a JSON object with the function name and arguments within
    <tool_call></tool_call> XML tags:
    <tool_call>
    {"arguments": <args-json-object>, "name": <function-name>}
    </tool_call>
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loopcache.server.tool_parser import ToolCall

FALLBACK_INTRO = (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
)
FALLBACK_OUTRO = (
    "\n</tools>\nFor each function call, return a JSON object with the function name and arguments within "
    '<tool_call></tool_call> XML tags:\n<tool_call>\n{"arguments": <args-json-object>, "name": '
    "<function-name>}\n</tool_call>"
)


def canonical(value: Any) -> Any:
    """`value` with every dict's keys in sorted order (recursively)."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def function_tool(name: str, description: str | None, parameters: dict[str, Any] | None) -> dict[str, Any]:
    function: dict[str, Any] = {"name": name, "parameters": parameters or {"type": "object", "properties": {}}}
    if description:
        function["description"] = description
    return canonical({"type": "function", "function": function})


@dataclass(frozen=True)
class ChatTurn:
    """One message, API-neutral: `tool_calls` on assistant turns, `tool_call_id` on tool turns."""

    role: str  # system | user | assistant | tool
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


def template_supports_tools(tokenizer: Any) -> bool:
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("tool_use") or template.get("default")
    return isinstance(template, str) and "tools" in template


def fallback_block(tools: Sequence[dict[str, Any]]) -> str:
    return FALLBACK_INTRO + "\n".join(canonical_json(t) for t in tools) + FALLBACK_OUTRO


def _call_line(call: ToolCall) -> str:
    return "<tool_call>\n" + canonical_json({"name": call.name, "arguments": canonical(call.arguments)}) + "\n</tool_call>"


@dataclass(frozen=True)
class TemplateInput:
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None


def native_input(turns: Sequence[ChatTurn], tools: Sequence[dict[str, Any]]) -> TemplateInput:
    messages: list[dict[str, Any]] = []
    for turn in turns:
        message: dict[str, Any] = {"role": turn.role, "content": turn.content}
        if turn.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": canonical(c.arguments)}}
                for c in turn.tool_calls
            ]
        if turn.tool_call_id is not None:
            message["tool_call_id"] = turn.tool_call_id
        messages.append(message)
    return TemplateInput(messages, [canonical(t) for t in tools] or None)


def fallback_input(turns: Sequence[ChatTurn], tools: Sequence[dict[str, Any]]) -> TemplateInput:
    messages: list[dict[str, Any]] = []
    for turn in turns:
        if turn.role == "tool":
            messages.append({"role": "user", "content": f"<tool_response>\n{turn.content}\n</tool_response>"})
        elif turn.tool_calls:
            lines = ([turn.content] if turn.content else []) + [_call_line(c) for c in turn.tool_calls]
            messages.append({"role": turn.role, "content": "\n".join(lines)})
        else:
            messages.append({"role": turn.role, "content": turn.content})
    if tools:
        block = fallback_block([canonical(t) for t in tools])
        if messages and messages[0]["role"] == "system":
            messages[0] = {"role": "system", "content": messages[0]["content"] + "\n\n" + block}
        else:
            messages.insert(0, {"role": "system", "content": block})
    return TemplateInput(messages, None)


def template_input(turns: Sequence[ChatTurn], tools: Sequence[dict[str, Any]], native: bool) -> TemplateInput:
    """What to hand the chat template for `turns` and `tools`."""
    return native_input(turns, tools) if native else fallback_input(turns, tools)
