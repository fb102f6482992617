"""The official Anthropic SDK against a real server: create, stream, cache_control, tools."""

from __future__ import annotations

import anthropic
import pytest

from tests.server.conftest import tiny_engine
from tests.server.engine_doubles import ScriptedEngine

SYSTEM = [{"type": "text", "text": "You are a careful coding agent. " * 4, "cache_control": {"type": "ephemeral"}}]
TOOLS = [{"name": "read_file", "description": "Read a file", "cache_control": {"type": "ephemeral"},
          "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}]


def _client(server) -> anthropic.Anthropic:  # noqa: ANN001
    return anthropic.Anthropic(base_url=server.base_url, api_key="unused", max_retries=0, timeout=60)


def _total(usage) -> int:  # noqa: ANN001
    return usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens


def test_create_then_stream_reads_the_cache(server) -> None:  # noqa: ANN001
    client = _client(server)
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is in main.py?",
                                              "cache_control": {"type": "ephemeral"}}]}]
    first = client.messages.create(model="default", max_tokens=10, system=SYSTEM, messages=messages,
                                   metadata={"user_id": "session-a"})
    assert first.type == "message" and first.stop_reason == "max_tokens" and first.content[0].type == "text"
    assert first.usage.cache_read_input_tokens == 0 and first.usage.cache_creation_input_tokens > 0
    assert first.usage.output_tokens == 10
    messages += [{"role": "assistant", "content": first.content[0].text}, {"role": "user", "content": "And b.py?"}]
    with client.messages.stream(model="default", max_tokens=8, system=SYSTEM, messages=messages) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert final.content[0].text == text and final.usage.output_tokens == 8
    assert final.usage.cache_read_input_tokens >= _total(first.usage) - 1
    assert _total(final.usage) > _total(first.usage)


def test_stop_sequences(server) -> None:  # noqa: ANN001
    client = _client(server)
    messages = [{"role": "user", "content": "Say something."}]
    free = client.messages.create(model="default", max_tokens=12, messages=messages).content[0].text
    stop = free[4:6]
    out = client.messages.create(model="default", max_tokens=12, messages=messages, stop_sequences=[stop])
    assert out.stop_reason == "stop_sequence" and out.stop_sequence == stop
    assert free.startswith(out.content[0].text) and stop not in out.content[0].text


def test_tool_use_round_trip(make_server, tiny_model, tmp_path) -> None:  # noqa: ANN001
    replies = ['<tool_call>{"name": "read_file", "arguments": {"path": "main.py"}}</tool_call>', "It prints 1.",
               'Again. <tool_call>{"name": "read_file", "arguments": {"path": "c.py"}}</tool_call>']
    server = make_server(ScriptedEngine(tiny_engine(tiny_model, tmp_path / "c"), replies))
    client = _client(server)
    messages = [{"role": "user", "content": "What does main.py print?"}]
    first = client.messages.create(model="default", max_tokens=4, system=SYSTEM, tools=TOOLS, messages=messages)
    assert first.stop_reason == "tool_use"
    use = first.content[-1]
    assert use.type == "tool_use" and use.name == "read_file" and use.input == {"path": "main.py"}
    messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "print(1)",
                                               "cache_control": {"type": "ephemeral"}}]}]
    second = client.messages.create(model="default", max_tokens=4, system=SYSTEM, tools=TOOLS, messages=messages)
    assert second.content[0].text == "It prints 1." and second.stop_reason == "end_turn"
    assert second.usage.cache_read_input_tokens >= _total(first.usage) - 1
    with client.messages.stream(model="default", max_tokens=4, system=SYSTEM, tools=TOOLS,
                                messages=messages) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use" and final.content[0].text == "Again."
    assert final.content[1].input == {"path": "c.py"}


def test_sdk_sees_anthropic_errors(server) -> None:  # noqa: ANN001
    client = _client(server)
    with pytest.raises(anthropic.NotFoundError) as err:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert err.value.body["type"] == "error" and err.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="default", max_tokens=0, messages=[{"role": "user", "content": "x"}])
