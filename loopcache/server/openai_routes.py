"""OpenAI-compatible routes: `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from loopcache.server.errors import APIError
from loopcache.server.openai_schemas import ChatCompletionRequest, CompletionRequest, stop_strings
from loopcache.server.prompt import completion_prompt, openai_prompt
from loopcache.server.retention_hints import openai_hint
from loopcache.server.sse import DONE, data_line, sse_response
from loopcache.server.state import Generation, ServerState
from loopcache.server.tenants import resolve_session_id
from loopcache.server.tool_parser import ParsedOutput, ToolCallStream, parse_tool_calls
from loopcache.server.usage import openai_usage
from loopcache.server.worker import Finished


def _finish_reason(finished: Finished, has_calls: bool) -> str:
    return "tool_calls" if has_calls else finished.completion.finish_reason


def _tool_calls(parsed: ParsedOutput) -> list[dict[str, Any]]:
    return [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c in parsed.tool_calls]


def _chat_body(cid: str, created: int, model: str, parsed: ParsedOutput, finished: Finished) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": parsed.content or None, "refusal": None}
    if parsed.tool_calls:
        message["tool_calls"] = _tool_calls(parsed)
    elif message["content"] is None:
        message["content"] = ""
    choice = {"index": 0, "message": message, "logprobs": None,
              "finish_reason": _finish_reason(finished, bool(parsed.tool_calls))}
    return {"id": cid, "object": "chat.completion", "created": created, "model": model, "choices": [choice],
            "usage": openai_usage(finished.completion.stats), "system_fingerprint": None}


def _state(request: Request) -> ServerState:
    return request.app.state.loopcache


def build_openai_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/models")
    async def list_models(request: Request) -> dict[str, Any]:
        state = _state(request)
        state.tenant(request.headers)
        return {"object": "list", "data": [_model_card(n) for n in state.model_names]}

    @router.get("/v1/models/{model}")
    async def get_model(model: str, request: Request) -> dict[str, Any]:
        state = _state(request)
        state.tenant(request.headers)
        state.check_model(model)
        return _model_card(model)

    @router.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
        state = _state(request)
        tenant = state.tenant(request.headers)
        state.check_model(body.model)
        prompt = openai_prompt(body)
        max_tokens = body.max_completion_tokens or body.max_tokens or state.config.default_max_tokens
        params = state.sampling(max_tokens, body.temperature, body.top_p, body.seed, stop_strings(body.stop))
        session_id = resolve_session_id(request.headers, body.prompt_cache_key, body.user)
        gen = await state.start(prompt, params, session_id, tenant, openai_hint(body.prompt_cache_retention))
        raw = body.model_dump(exclude_none=True)
        cid, created = "chatcmpl-" + uuid.uuid4().hex[:24], int(time.time())
        if body.stream:
            usage = bool(body.stream_options and body.stream_options.include_usage)
            return sse_response(_chat_stream(state, gen, cid, created, body.model, bool(prompt.tools), usage,
                                             session_id, raw))
        finished = await gen.finish(request.is_disconnected)
        parsed = parse_tool_calls(finished.completion.text) if prompt.tools else ParsedOutput(
            finished.completion.text, ())
        out = _chat_body(cid, created, body.model, parsed, finished)
        out["usage"].update(gen.usage_extra())
        state.record("openai", finished, session_id, gen.started_at, raw, out)
        return JSONResponse(out)

    @router.post("/v1/completions", response_model=None)
    async def completions(body: CompletionRequest, request: Request) -> Response:
        state = _state(request)
        tenant = state.tenant(request.headers)
        state.check_model(body.model)
        if body.echo or body.suffix:
            raise APIError(400, "echo and suffix are not supported", param="echo" if body.echo else "suffix")
        params = state.sampling(body.max_tokens or 16, body.temperature, body.top_p, body.seed,
                                stop_strings(body.stop))
        session_id = resolve_session_id(request.headers, body.prompt_cache_key, body.user)
        gen = await state.start(completion_prompt(body), params, session_id, tenant)
        raw = body.model_dump(exclude_none=True)
        cid, created = "cmpl-" + uuid.uuid4().hex[:24], int(time.time())
        if body.stream:
            usage = bool(body.stream_options and body.stream_options.include_usage)
            return sse_response(_text_stream(state, gen, cid, created, body.model, usage, session_id, raw))
        finished = await gen.finish(request.is_disconnected)
        out = _text_body(cid, created, body.model, finished.completion.text, finished)
        state.record("openai", finished, session_id, gen.started_at, raw, out)
        return JSONResponse(out)

    return router


def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "loopcache"}


def _text_body(cid: str, created: int, model: str, text: str, finished: Finished) -> dict[str, Any]:
    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finished.completion.finish_reason}
    return {"id": cid, "object": "text_completion", "created": created, "model": model, "choices": [choice],
            "usage": openai_usage(finished.completion.stats)}


def _error_line(exc: APIError) -> str:
    return data_line({"error": {"message": exc.message, "type": "server_error" if exc.status >= 500
                                else "invalid_request_error", "param": exc.param, "code": exc.code}})


async def _chat_stream(state: ServerState, gen: Generation, cid: str, created: int, model: str, tools: bool,
                       include_usage: bool, session_id: str | None, raw: dict[str, Any]) -> AsyncIterator[str]:
    head = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": None}
    extra = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return data_line({**head, "choices": [choice], **extra})

    done = False
    splitter = ToolCallStream()
    try:
        yield chunk({"role": "assistant", "content": ""})
        async for event in gen.deltas():
            if isinstance(event, Finished):
                text = event.completion.text
                if tools:
                    rest, parsed = splitter.finish(text)
                else:
                    rest, parsed = "", ParsedOutput(text, ())
                if rest:
                    yield chunk({"content": rest})
                if parsed.tool_calls:
                    calls = [{"index": i, **c} for i, c in enumerate(_tool_calls(parsed))]
                    yield chunk({"tool_calls": calls})
                done = True
                state.record("openai", event, session_id, gen.started_at, raw,
                             _chat_body(cid, created, model, parsed, event))
                yield chunk({}, _finish_reason(event, bool(parsed.tool_calls)))
                if include_usage:
                    yield data_line({**head, "choices": [], "usage": openai_usage(event.completion.stats)})
                yield DONE
            else:
                piece = splitter.feed(event.text) if tools else event.text
                if piece:
                    yield chunk({"content": piece})
    except APIError as exc:
        yield _error_line(exc)
        done = True
    finally:
        if not done:
            gen.job.cancel()


async def _text_stream(state: ServerState, gen: Generation, cid: str, created: int, model: str,
                       include_usage: bool, session_id: str | None, raw: dict[str, Any]) -> AsyncIterator[str]:
    head = {"id": cid, "object": "text_completion", "created": created, "model": model}

    def chunk(text: str, finish: str | None = None) -> str:
        return data_line({**head, "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]})

    done = False
    try:
        async for event in gen.deltas():
            if isinstance(event, Finished):
                done = True
                state.record("openai", event, session_id, gen.started_at, raw,
                             _text_body(cid, created, model, event.completion.text, event))
                yield chunk("", event.completion.finish_reason)
                if include_usage:
                    yield data_line({**head, "choices": [], "usage": openai_usage(event.completion.stats)})
                yield DONE
            else:
                yield chunk(event.text)
    except APIError as exc:
        yield _error_line(exc)
        done = True
    finally:
        if not done:
            gen.job.cancel()
