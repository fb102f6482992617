"""OpenAI and Anthropic request/response bodies -> `Request`, `Message`s, `ToolCall`s.

Shared by every reader whose log keeps provider bodies (OpenHands, crewAI, Inspect, plain logs).
Content blocks are flattened to text in order; `cache_control` markers are dropped (OpenHands moves them
between steps, so they must not count as a prompt change). Anthropic `tool_result` blocks inside a user
message become `tool` messages, so both providers give the same message shapes.
"""

from __future__ import annotations

import json

from loopcache.audit.step import Message, Request, ToolCall


def _dumps(value: object) -> str:
    """JSON as the client would have sent it: key order kept (an unstable order must stay visible)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_arguments(raw: object) -> tuple[dict | None, str]:
    """(parsed object or None, raw text) of tool-call arguments given as a JSON string or an object."""
    if isinstance(raw, dict):
        return raw, _dumps(raw)
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    try:
        parsed = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return None, text
    return (parsed if isinstance(parsed, dict) else None), text


def tool_call_from_openai(call: dict) -> ToolCall:
    function = call.get("function") or {}
    name = function.get("name") or call.get("name") or "?"
    raw = function.get("arguments") if "function" in call else call.get("arguments")
    arguments, text = parse_arguments(raw)
    return ToolCall(call_id=call.get("id"), name=str(name), arguments=arguments, raw_arguments=text)


def tool_call_from_anthropic(block: dict) -> ToolCall:
    arguments, text = parse_arguments(block.get("input") or {})
    return ToolCall(call_id=block.get("id"), name=str(block.get("name") or "?"), arguments=arguments, raw_arguments=text)


def content_text(content: object) -> str:
    """Flatten a content field (string, list of blocks, or anything else) to text, markers dropped."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return str(content)
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in ("text", "input_text", "output_text") or (kind is None and "text" in block):
                parts.append(str(block.get("text", "")))
            elif kind == "thinking":
                parts.append(str(block.get("thinking", "")))
            elif kind == "tool_result":
                parts.append(content_text(block.get("content")))
            elif kind in ("image", "image_url", "input_image"):
                parts.append("[image]")
            else:
                parts.append(_dumps({k: v for k, v in block.items() if k != "cache_control"}))
    return "\n".join(parts)


def openai_messages(messages: list) -> tuple[Message, ...]:
    """Chat-completions messages (also LiteLLM's, which OpenHands logs) -> Messages."""
    out = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        calls = tuple(tool_call_from_openai(c) for c in (message.get("tool_calls") or []) if isinstance(c, dict))
        out.append(
            Message(
                role=str(message.get("role", "user")),
                text=content_text(message.get("content")),
                tool_calls=calls,
                tool_call_id=message.get("tool_call_id"),
            )
        )
    return tuple(out)


def anthropic_messages(messages: list) -> tuple[Message, ...]:
    """Anthropic Messages-API messages -> Messages (tool_use -> tool calls, tool_result -> tool messages)."""
    out: list[Message] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = str(message.get("role", "user"))
        content = message.get("content")
        if not isinstance(content, list):
            out.append(Message(role=role, text=content_text(content)))
            continue
        texts: list[dict] = []
        calls: list[ToolCall] = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                calls.append(tool_call_from_anthropic(block))
            elif isinstance(block, dict) and block.get("type") == "tool_result":
                out.append(Message(role="tool", text=content_text(block.get("content")), tool_call_id=block.get("tool_use_id")))
            else:
                texts.append(block)
        if texts or calls or role == "assistant":
            out.append(Message(role=role, text=content_text(texts), tool_calls=tuple(calls)))
    return tuple(out)


def _without_markers(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_markers(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_without_markers(v) for v in value]
    return value


def tool_definitions(tools: object) -> tuple[str, ...]:
    if not isinstance(tools, list):
        return ()
    return tuple(_dumps(_without_markers(tool)) for tool in tools)


def openai_request(body: dict, tools: object = None) -> Request:
    """A chat-completions body; system messages at the head become the system prompt."""
    messages = openai_messages(body.get("messages") or [])
    system_parts = []
    while messages and messages[0].role in ("system", "developer"):
        system_parts.append(messages[0].text)
        messages = messages[1:]
    return Request(
        system="\n".join(system_parts),
        messages=messages,
        tools=tool_definitions(tools if tools is not None else body.get("tools")),
    )


def anthropic_request(body: dict) -> Request:
    return Request(
        system=content_text(body.get("system")),
        messages=anthropic_messages(body.get("messages") or []),
        tools=tool_definitions(body.get("tools")),
    )


def is_anthropic_body(body: dict) -> bool:
    """An Anthropic Messages request: a top-level `system`, or content blocks of Anthropic-only types."""
    if "system" in body:
        return True
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") in ("tool_use", "tool_result"):
                    return True
    return False


def response_tool_calls(response: object) -> tuple[ToolCall, ...]:
    """Tool calls in a chat-completions or Anthropic response body."""
    if not isinstance(response, dict):
        return ()
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message") or {}
        return tuple(tool_call_from_openai(c) for c in (message.get("tool_calls") or []) if isinstance(c, dict))
    content = response.get("content")
    if isinstance(content, list):
        return tuple(tool_call_from_anthropic(b) for b in content if isinstance(b, dict) and b.get("type") == "tool_use")
    return ()
