"""Tools render deterministically, natively or through the fallback block, and two steps share a prefix."""

from __future__ import annotations

import json
from typing import Any

from loopcache.engine.config import EngineConfig
from loopcache.engine.engine import Engine
from loopcache.server.openai_schemas import ChatCompletionRequest
from loopcache.server.prompt import openai_prompt
from loopcache.server.tool_parser import ToolCall
from loopcache.server.tool_render import (
    FALLBACK_INTRO, ChatTurn, canonical_json, fallback_input, native_input, template_supports_tools,
)

SCHEMA = {"type": "object", "required": ["path"], "properties": {"path": {"type": "string", "description": "file"}}}


def _tool(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "read_file", "description": "Read a file", "parameters": schema}}


def _request(messages: list[dict[str, Any]], schema: dict[str, Any]) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate({"model": "m", "messages": messages, "tools": [_tool(schema)]})


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    return value


def test_two_steps_render_identical_prefixes(tiny_model) -> None:  # noqa: ANN001
    engine = Engine(tiny_model, None, EngineConfig())
    step1 = [{"role": "system", "content": "You are an agent."}, {"role": "user", "content": "open a.py"}]
    call = {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"a.py"}'}}
    step2 = step1 + [{"role": "assistant", "content": None, "tool_calls": [call]},
                     {"role": "tool", "tool_call_id": "call_1", "content": "print(1)"}]
    ids1 = openai_prompt(_request(step1, SCHEMA)).token_ids(engine)
    # The client re-serialises the schema with another key order between steps: same bytes anyway.
    ids2 = openai_prompt(_request(step2, _reordered(SCHEMA))).token_ids(engine)
    assert ids2[: len(ids1)] == ids1  # step 2 continues step 1's prompt byte for byte
    assert ids1 == openai_prompt(_request(step1, _reordered(SCHEMA))).token_ids(engine)
    text = tiny_model.tokenizer.decode(ids2)
    assert FALLBACK_INTRO in text and "<tool_response>\nprint(1)\n</tool_response>" in text
    assert '<tool_call>\n{"arguments": {"path": "a.py"}, "name": "read_file"}\n</tool_call>' in text


def test_fallback_block_is_canonical_json_in_the_system_message() -> None:
    tool = _tool(SCHEMA)
    data = fallback_input([ChatTurn("system", "S"), ChatTurn("user", "U")], [tool])
    assert data.tools is None and data.messages[0]["content"].startswith("S\n\n# Tools")
    assert canonical_json(tool) in data.messages[0]["content"]
    assert json.loads(canonical_json(tool)) == tool
    alone = fallback_input([ChatTurn("user", "U")], [tool])
    assert alone.messages[0]["role"] == "system" and alone.messages[1] == {"role": "user", "content": "U"}


def test_native_input_passes_tools_and_calls_through() -> None:
    turns = [ChatTurn("assistant", "", (ToolCall("f", {"b": 1, "a": 2}, "call_x"),)),
             ChatTurn("tool", "ok", tool_call_id="call_x")]
    data = native_input(turns, [_tool(SCHEMA)])
    assert data.tools is not None and list(data.tools[0]["function"]["parameters"]) == ["properties", "required", "type"]
    assert list(data.messages[0]["tool_calls"][0]["function"]["arguments"]) == ["a", "b"]
    assert data.messages[1]["tool_call_id"] == "call_x"


class _Tok:
    def __init__(self, template: object) -> None:
        self.chat_template = template


def test_template_tool_support_detection() -> None:
    assert template_supports_tools(_Tok("{% if tools %}{{ tools | tojson }}{% endif %}"))
    assert not template_supports_tools(_Tok("{% for m in messages %}{{ m.content }}{% endfor %}"))
    assert template_supports_tools(_Tok({"default": "x", "tool_use": "{{ tools }}"}))
    assert not template_supports_tools(_Tok(None))
