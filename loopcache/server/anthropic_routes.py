"""Anthropic-compatible route: `POST /v1/messages`, non-streamed and with the Messages SSE sequence:

    message_start, content_block_start(text), ping, content_block_delta*, content_block_stop,
    [content_block_start(tool_use), content_block_delta(input_json_delta), content_block_stop]*,
    message_delta(stop_reason, usage), message_stop
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from loopcache.server.anthropic_schemas import MessagesRequest
from loopcache.server.errors import APIError, error_body
from loopcache.server.prompt import anthropic_prompt
from loopcache.server.sse import named_event, sse_response
from loopcache.server.state import Generation, ServerState
from loopcache.server.retention_hints import anthropic_hint
from loopcache.server.tenants import resolve_session_id
from loopcache.server.tool_parser import ParsedOutput, ToolCall, ToolCallStream, parse_tool_calls
from loopcache.server.usage import anthropic_usage
from loopcache.server.worker import Finished


def _stop_reason(finished: Finished, has_calls: bool) -> str:
    if has_calls:
        return "tool_use"
    if finished.stop_sequence is not None:
        return "stop_sequence"
    return "max_tokens" if finished.completion.finish_reason == "length" else "end_turn"


def _tool_use(call: ToolCall) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_" + call.id.removeprefix("call_"), "name": call.name,
            "input": call.arguments}


def _message_body(mid: str, model: str, parsed: ParsedOutput, finished: Finished) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if parsed.content or not parsed.tool_calls:
        content.append({"type": "text", "text": parsed.content})
    content += [_tool_use(c) for c in parsed.tool_calls]
    has_calls = bool(parsed.tool_calls)
    return {"id": mid, "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": _stop_reason(finished, has_calls),
            "stop_sequence": None if has_calls else finished.stop_sequence,
            "usage": anthropic_usage(finished.completion.stats)}


def build_anthropic_router() -> APIRouter:
    router = APIRouter()

    @router.post("/v1/messages", response_model=None)
    async def messages(body: MessagesRequest, request: Request) -> Response:
        state: ServerState = request.app.state.loopcache
        tenant = state.tenant(request.headers)
        state.check_model(body.model)
        prompt = anthropic_prompt(body)
        stop = tuple(body.stop_sequences or ())
        params = state.sampling(body.max_tokens, body.temperature, body.top_p, None, stop)
        session_id = resolve_session_id(request.headers, body.metadata.user_id if body.metadata else None)
        raw = body.model_dump(exclude_none=True)
        gen = await state.start(prompt, params, session_id, tenant, anthropic_hint(raw))
        mid = "msg_" + uuid.uuid4().hex[:24]
        if body.stream:
            return sse_response(_stream(state, gen, mid, body.model, bool(prompt.tools), session_id, raw))
        finished = await gen.finish(request.is_disconnected)
        text = finished.completion.text
        parsed = parse_tool_calls(text) if prompt.tools else ParsedOutput(text, ())
        out = _message_body(mid, body.model, parsed, finished)
        out["usage"].update(gen.usage_extra())
        state.record("anthropic", finished, session_id, gen.started_at, raw, out)
        return JSONResponse(out)

    return router


async def _stream(state: ServerState, gen: Generation, mid: str, model: str, tools: bool, session_id: str | None,
                  raw: dict[str, Any]) -> AsyncIterator[str]:
    start_usage = {"input_tokens": gen.started.prompt_tokens, "cache_creation_input_tokens": 0,
                   "cache_read_input_tokens": 0, "output_tokens": 0}
    message = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
               "stop_reason": None, "stop_sequence": None, "usage": start_usage}
    done = False
    splitter = ToolCallStream()
    try:
        yield named_event("message_start", {"type": "message_start", "message": message})
        yield named_event("content_block_start",
                          {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        yield named_event("ping", {"type": "ping"})
        async for event in gen.deltas():
            if isinstance(event, Finished):
                text = event.completion.text
                rest, parsed = splitter.finish(text) if tools else ("", ParsedOutput(text, ()))
                if rest:
                    yield _text_delta(rest)
                yield named_event("content_block_stop", {"type": "content_block_stop", "index": 0})
                for i, call in enumerate(parsed.tool_calls, start=1):
                    block = {**_tool_use(call), "input": {}}
                    yield named_event("content_block_start",
                                      {"type": "content_block_start", "index": i, "content_block": block})
                    delta = {"type": "input_json_delta", "partial_json": json.dumps(call.arguments, ensure_ascii=False)}
                    yield named_event("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta})
                    yield named_event("content_block_stop", {"type": "content_block_stop", "index": i})
                body = _message_body(mid, model, parsed, event)
                done = True
                state.record("anthropic", event, session_id, gen.started_at, raw, body)
                delta = {"stop_reason": body["stop_reason"], "stop_sequence": body["stop_sequence"]}
                yield named_event("message_delta", {"type": "message_delta", "delta": delta, "usage": body["usage"]})
                yield named_event("message_stop", {"type": "message_stop"})
            else:
                piece = splitter.feed(event.text) if tools else event.text
                if piece:
                    yield _text_delta(piece)
    except APIError as exc:
        yield named_event("error", error_body(exc, anthropic=True))
        done = True
    finally:
        if not done:
            gen.job.cancel()


def _text_delta(text: str) -> str:
    return named_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": text}})
