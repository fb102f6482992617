"""What the engine is asked to continue: chat turns + tools (rendered by the worker) or plain text.

Both APIs' messages are converted to API-neutral `ChatTurn`s here, so the same conversation renders to the
same tokens whichever API sent it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from loopcache.server import anthropic_schemas as an
from loopcache.server import openai_schemas as oa
from loopcache.server.errors import APIError
from loopcache.server.tool_parser import ToolCall
from loopcache.server.tool_render import ChatTurn, function_tool, template_input, template_supports_tools


class Renderer(Protocol):
    """The part of the engine a prompt needs."""

    model: Any

    def render(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] | None = None) -> list[int]:
        ...


@dataclass(frozen=True)
class ChatPrompt:
    turns: tuple[ChatTurn, ...]
    tools: tuple[dict[str, Any], ...] = ()

    def token_ids(self, engine: Renderer) -> list[int]:
        data = template_input(self.turns, self.tools, template_supports_tools(engine.model.tokenizer))
        return engine.render(data.messages, data.tools)


@dataclass(frozen=True)
class TextPrompt:
    text: str

    def token_ids(self, engine: Renderer) -> list[int]:
        return list(engine.model.tokenizer.encode(self.text, add_special_tokens=False))


Prompt = ChatPrompt | TextPrompt


# -- OpenAI ------------------------------------------------------------------------------------------------


def _openai_text(content: str | list[oa.ContentPart] | None, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for i, part in enumerate(content):
        if part.type not in ("text", "input_text", "refusal") or part.text is None:
            raise APIError(400, f"content part type {part.type!r} is not supported by this model",
                           param=f"{where}.content.{i}.type", code="unsupported_content")
        texts.append(part.text)
    return "\n".join(texts)


def _arguments(raw: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise APIError(400, "tool call arguments must be a JSON object", param=where, code="invalid_arguments")
    return value


def openai_prompt(req: oa.ChatCompletionRequest) -> ChatPrompt:
    turns = []
    for i, m in enumerate(req.messages):
        where = f"messages.{i}"
        text = _openai_text(m.content, where)
        if m.role in ("system", "developer"):
            turns.append(ChatTurn("system", text))
        elif m.role in ("tool", "function"):
            turns.append(ChatTurn("tool", text, tool_call_id=m.tool_call_id or m.name or ""))
        elif m.role == "assistant":
            calls = tuple(
                ToolCall(c.function.name, _arguments(c.function.arguments, f"{where}.tool_calls.{j}"), c.id)
                for j, c in enumerate(m.tool_calls or ())
            )
            turns.append(ChatTurn("assistant", text, calls))
        else:
            turns.append(ChatTurn("user", text))
    use_tools = req.tools and req.tool_choice != "none"
    tools = tuple(function_tool(t.function.name, t.function.description, t.function.parameters)
                  for t in req.tools or ()) if use_tools else ()
    return ChatPrompt(tuple(turns), tools)


def completion_prompt(req: oa.CompletionRequest) -> TextPrompt:
    if isinstance(req.prompt, list):
        if len(req.prompt) != 1:
            raise APIError(400, "only one prompt per request is supported", param="prompt")
        return TextPrompt(req.prompt[0])
    return TextPrompt(req.prompt)


# -- Anthropic ---------------------------------------------------------------------------------------------


def _block_text(blocks: Sequence[Any], where: str) -> str:
    texts = []
    for i, block in enumerate(blocks):
        if isinstance(block, an.TextBlock):
            texts.append(block.text)
        elif isinstance(block, an.ImageBlock):
            raise APIError(400, f"{where}.{i}: {block.type} blocks are not supported by this model")
    return "\n".join(texts)


def anthropic_prompt(req: an.MessagesRequest) -> ChatPrompt:
    turns: list[ChatTurn] = []
    if req.system:
        system = req.system if isinstance(req.system, str) else _block_text(req.system, "system")
        turns.append(ChatTurn("system", system))
    for i, m in enumerate(req.messages):
        where = f"messages.{i}.content"
        if isinstance(m.content, str):
            turns.append(ChatTurn(m.role, m.content))
            continue
        if m.role == "assistant":
            calls = tuple(ToolCall(b.name, b.input, b.id) for b in m.content if isinstance(b, an.ToolUseBlock))
            turns.append(ChatTurn("assistant", _block_text(m.content, where), calls))
            continue
        for b in m.content:
            if isinstance(b, an.ToolResultBlock):
                content = b.content if isinstance(b.content, str) else _block_text(b.content or [], where)
                turns.append(ChatTurn("tool", content, tool_call_id=b.tool_use_id))
        rest = [b for b in m.content if not isinstance(b, (an.ToolResultBlock, an.ToolUseBlock))]
        if rest or not any(isinstance(b, an.ToolResultBlock) for b in m.content):
            turns.append(ChatTurn("user", _block_text(rest, where)))
    choice = (req.tool_choice or {}).get("type")
    tools = tuple(function_tool(t.name, t.description, t.input_schema) for t in req.tools or ()) if choice != "none" else ()
    return ChatPrompt(tuple(turns), tools)
