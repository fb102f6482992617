"""Session admin API (OpenAI error shape), per tenant: a caller sees and changes only its own sessions.

    GET    /v1/sessions                    the tenant's sessions, most recent first
    GET    /v1/sessions/{id}               one session: policy, usage, every step, the context-growth curve
    DELETE /v1/sessions/{id}               forget it and remove the blocks only it held
    PATCH  /v1/sessions/{id}               {"disk_ttl_s": ..., "memory_residency_s": ...}: its retention policy
    POST   /v1/sessions/{id}/pin           {"ttl_s": 3600}: eviction never touches its blocks until then
    POST   /v1/sessions/{id}/compaction    {"enabled": true, ...CompactionConfig}: opt in to compaction
    POST   /v1/sessions/{id}/end           done: its private blocks are evicted first
    POST   /v1/sessions/{id}/prefetch      move its blocks into memory now (before its next request)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from loopcache.server.errors import APIError
from loopcache.server.state import ServerState
from loopcache.sessions.compaction import CompactionConfig
from loopcache.sessions.manager import PinRefusedError, SessionManager, SessionNotFoundError
from loopcache.sessions.policy import PolicyError

T = TypeVar("T")


class PinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttl_s: float


class PolicyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disk_ttl_s: float | None = None
    memory_residency_s: float | None = None


def _manager(request: Request) -> tuple[SessionManager, str]:
    state: ServerState = request.app.state.loopcache
    tenant = state.tenant(request.headers)
    if state.sessions is None:
        raise APIError(404, "sessions are off on this server (started without a cache or registry)")
    return state.sessions, tenant.namespace


async def _call(fn: Callable[..., T], *args: Any) -> T:
    """Run a registry call off the event loop; map the session errors to API errors."""
    try:
        return await asyncio.to_thread(fn, *args)
    except SessionNotFoundError as exc:
        raise APIError(404, f"No session found with id '{exc.session_id}'", param="session_id",
                       code="session_not_found") from None
    except PinRefusedError as exc:
        raise APIError(409, str(exc), param="ttl_s", code="pin_refused") from None
    except PolicyError as exc:
        raise APIError(400, str(exc), param="ttl_s") from None


def _session_body(manager: SessionManager, namespace: str, session_id: str) -> dict[str, Any]:
    info = manager.get(namespace, session_id)
    steps = manager.steps(namespace, session_id)
    usage = manager.usage(namespace, session_id)
    compaction = info.compaction or {}
    state = compaction.get("state") or {}
    return {**info.to_dict(), "object": "session",
            "compaction": {"config": compaction.get("config"),
                           "checkpoints": (state.get("checkpoint") or {}).get("number", 0),
                           "rewrite_cost_tokens": state.get("rewrite_cost_tokens", 0)} if compaction else None,
            "usage": {"last_hit_rate": usage.last_hit_rate, "context_tokens": usage.context_tokens,
                      "pinned": usage.pinned, "bytes_by_tier": usage.bytes_by_tier},
            "steps": [s.to_dict() for s in steps],
            "context_growth": [{"step": s.step, "prompt_tokens": s.prompt_tokens, "fresh_tokens": s.fresh_tokens}
                               for s in steps]}


def build_session_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/sessions")
    async def list_sessions(request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        infos = await _call(manager.list_sessions, namespace)
        return {"object": "list", "data": [{**i.to_dict(), "object": "session"} for i in infos]}

    @router.get("/v1/sessions/{session_id}")
    async def get_session(session_id: str, request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        return await _call(_session_body, manager, namespace, session_id)

    @router.delete("/v1/sessions/{session_id}")
    async def delete_session(session_id: str, request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        removed = await _call(manager.delete, namespace, session_id)
        return {"id": session_id, "object": "session.deleted", "deleted": True, "blocks_removed": removed}

    @router.patch("/v1/sessions/{session_id}")
    async def update_policy(session_id: str, body: PolicyRequest, request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        changes = body.model_dump(exclude_unset=True)
        policy = await _call(manager.update_policy, namespace, session_id, changes)
        return {"id": session_id, "object": "session.policy", "policy": policy.to_dict()}

    @router.post("/v1/sessions/{session_id}/pin")
    async def pin_session(session_id: str, body: PinRequest, request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        policy = await _call(manager.pin, namespace, session_id, body.ttl_s)
        return {"id": session_id, "object": "session.pin", "pinned_until": policy.pinned_until}

    @router.post("/v1/sessions/{session_id}/compaction")
    async def set_compaction(session_id: str, body: dict[str, Any], request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        try:
            config = CompactionConfig.from_dict(body)
        except (TypeError, ValueError) as exc:
            raise APIError(400, f"compaction settings: {exc}") from None
        await _call(manager.set_compaction, namespace, session_id, config)
        return {"id": session_id, "object": "session.compaction", "compaction": config.to_dict()}

    @router.post("/v1/sessions/{session_id}/end")
    async def end_session(session_id: str, request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        await _call(manager.end, namespace, session_id)
        return {"id": session_id, "object": "session.ended", "ended": True}

    @router.post("/v1/sessions/{session_id}/prefetch")
    async def prefetch_session(session_id: str, request: Request) -> dict[str, Any]:
        manager, namespace = _manager(request)
        queued = await _call(manager.prefetch, namespace, session_id)
        return {"id": session_id, "object": "session.prefetch", "blocks_queued": queued}

    return router
