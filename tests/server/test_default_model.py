"""The server on the real default model (SmolLM2-135M-Instruct): its chat template has no tool support, so
tools go through the fallback block; both SDKs see cache hits on the second step."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest

from loopcache.config import RunConfig
from loopcache.engine.factory import open_engine
from loopcache.server.prompt import ChatPrompt
from loopcache.server.tool_render import FALLBACK_INTRO, ChatTurn, function_tool, template_supports_tools

pytestmark = pytest.mark.integration

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def test_default_model_behind_both_sdks(default_model_home: Path, make_server) -> None:  # noqa: ANN001
    engine = open_engine(RunConfig.from_options(cache_dir=default_model_home))
    assert not template_supports_tools(engine.model.tokenizer)
    prompt = ChatPrompt((ChatTurn("user", "Weather in Paris?"),), (function_tool("get_weather", "Weather in a city",
                                                                                 TOOL["function"]["parameters"]),))
    rendered = engine.model.tokenizer.decode(prompt.token_ids(engine))
    assert FALLBACK_INTRO in rendered and rendered.startswith("<|im_start|>system\n# Tools")
    server = make_server(engine)
    assert "SmolLM2-135M-Instruct" in server.state.model_names
    client = openai.OpenAI(base_url=server.v1, api_key="x", max_retries=0, timeout=120)
    messages = [{"role": "system", "content": "You are a helpful assistant. Answer in one short sentence."},
                {"role": "user", "content": "What is the capital of France?"}]
    first = client.chat.completions.create(model="SmolLM2-135M-Instruct", messages=messages, tools=[TOOL],
                                           max_tokens=8)
    assert first.choices[0].message.content or first.choices[0].message.tool_calls
    messages += [{"role": "assistant", "content": first.choices[0].message.content or ""},
                 {"role": "user", "content": "And of Italy?"}]
    second = client.chat.completions.create(model="default", messages=messages, tools=[TOOL], max_tokens=8)
    assert second.usage.prompt_tokens_details.cached_tokens >= first.usage.prompt_tokens
    anth = anthropic.Anthropic(base_url=server.base_url, api_key="x", max_retries=0, timeout=120)
    system = [{"type": "text", "text": "You are a helpful assistant.", "cache_control": {"type": "ephemeral"}}]
    msgs = [{"role": "user", "content": "Name a colour."}]
    a1 = anth.messages.create(model="default", max_tokens=6, system=system, messages=msgs)
    msgs += [{"role": "assistant", "content": a1.content[0].text}, {"role": "user", "content": "Another one."}]
    a2 = anth.messages.create(model="default", max_tokens=6, system=system, messages=msgs)
    assert a2.usage.cache_read_input_tokens > 0
