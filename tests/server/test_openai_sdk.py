"""The official OpenAI SDK against a real server: chat (plain, streamed), tools, completions, models."""

from __future__ import annotations

import json

import openai
import pytest

from tests.server.conftest import tiny_engine
from tests.server.engine_doubles import ScriptedEngine

SYSTEM = "You are a careful coding agent. Answer briefly. " * 3
TOOLS = [{"type": "function", "function": {"name": "read_file", "description": "Read a file",
          "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}]


def _client(server) -> openai.OpenAI:  # noqa: ANN001
    return openai.OpenAI(base_url=server.v1, api_key="unused", max_retries=0, timeout=60)


def test_chat_completion_and_cached_second_step(server) -> None:  # noqa: ANN001
    client = _client(server)
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What does main.py do?"}]
    first = client.chat.completions.create(model="default", messages=messages, max_tokens=12, seed=1,
                                           prompt_cache_key="s1")
    assert first.object == "chat.completion" and first.choices[0].message.role == "assistant"
    assert first.usage.completion_tokens == 12 and first.choices[0].finish_reason == "length"
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    messages += [{"role": "assistant", "content": first.choices[0].message.content},
                 {"role": "user", "content": [{"type": "text", "text": "And utils.py?"}]}]
    second = client.chat.completions.create(model="default", messages=messages, max_tokens=12, user="s1")
    assert second.usage.prompt_tokens > first.usage.prompt_tokens
    assert second.usage.prompt_tokens_details.cached_tokens >= first.usage.prompt_tokens - 1
    # The model's real name works too.
    real = server.state.model_names[-1]
    assert client.chat.completions.create(model=real, messages=messages, max_tokens=2).model == real


def test_streaming_chat_with_usage(server) -> None:  # noqa: ANN001
    client = _client(server)
    messages = [{"role": "developer", "content": SYSTEM}, {"role": "user", "content": "hello"}]
    stream = client.chat.completions.create(model="default", messages=messages, max_completion_tokens=10,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["length"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 10
    plain = client.chat.completions.create(model="default", messages=messages, max_tokens=10)
    assert plain.choices[0].message.content == text  # greedy: streamed == non-streamed
    assert plain.usage.prompt_tokens_details.cached_tokens > 0


def test_tool_call_round_trip(make_server, tiny_model, tmp_path) -> None:  # noqa: ANN001
    replies = ['Reading it.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "main.py"}}\n</tool_call>',
               "It prints 1.",
               '<tool_call>{"name": "read_file", "arguments": {"path": "b.py"}}</tool_call>']
    server = make_server(ScriptedEngine(tiny_engine(tiny_model, tmp_path / "c"), replies))
    client = _client(server)
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What does main.py print?"}]
    first = client.chat.completions.create(model="default", messages=messages, tools=TOOLS, tool_choice="auto",
                                           max_tokens=4)  # the real engine runs 4 tokens; the script answers
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content == "Reading it."
    call = choice.message.tool_calls[0]
    assert call.function.name == "read_file" and json.loads(call.function.arguments) == {"path": "main.py"}
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "print(1)"}]
    second = client.chat.completions.create(model="default", messages=messages, tools=TOOLS, max_tokens=4)
    assert second.choices[0].message.content == "It prints 1." and second.choices[0].finish_reason == "stop"
    assert second.usage.prompt_tokens_details.cached_tokens >= first.usage.prompt_tokens - 1
    streamed = list(client.chat.completions.create(model="default", messages=messages, tools=TOOLS, stream=True,
                                                         max_tokens=4))
    deltas = [c.choices[0].delta for c in streamed if c.choices]
    assert all("<tool_call>" not in (d.content or "") for d in deltas)
    calls = [tc for d in deltas for tc in (d.tool_calls or [])]
    assert calls[0].function.name == "read_file" and json.loads(calls[0].function.arguments) == {"path": "b.py"}
    assert streamed[-1].choices[0].finish_reason == "tool_calls"


def test_completions_and_models(server) -> None:  # noqa: ANN001
    client = _client(server)
    ids = [m.id for m in client.models.list()]
    assert ids == list(server.state.model_names) and "default" in ids
    out = client.completions.create(model="default", prompt="def main():", max_tokens=5)
    assert out.object == "text_completion" and out.usage.completion_tokens == 5
    text = "".join(c.choices[0].text for c in client.completions.create(
        model="default", prompt="def main():", max_tokens=5, stream=True) if c.choices)
    assert text == out.choices[0].text


def test_sdk_sees_api_errors(server) -> None:  # noqa: ANN001
    client = _client(server)
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="default", messages=[])
