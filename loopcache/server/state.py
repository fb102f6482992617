"""What every route shares: the engine worker, config, metrics and trace log, and the steps all APIs take
(authenticate, check the model, submit, wait for the first event, map engine failures to API errors)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from loopcache.engine.engine import PromptTooLongError, TextDelta
from loopcache.engine.sampling import SamplingParams
from loopcache.server.config import ServerConfig
from loopcache.server.errors import APIError
from loopcache.server.metrics import ServerMetrics
from loopcache.server.compacting_prompt import CompactingPrompt
from loopcache.server.prompt import ChatPrompt, Prompt
from loopcache.server.tenants import AuthError, Tenant, resolve_tenant
from loopcache.server.trace_log import TraceLog
from loopcache.server.worker import (
    EngineWorker, Failed, Finished, GenerationRequest, Job, QueueFullError, Started, WorkerClosedError,
)
from loopcache.sessions.compaction import CompactionResult
from loopcache.sessions.manager import SessionManager
from loopcache.sessions.policy import RetentionHint


MIN_TEMPERATURE = 1e-3
_DISCONNECT_POLL_S = 0.25


@dataclass(frozen=True)
class Generation:
    """A submitted job whose prompt has been rendered and accepted (its `Started` event arrived)."""

    job: Job
    started: Started
    started_at: float  # unix time the request arrived
    compaction: CompactionResult | None = None  # what the session's compaction did to this prompt

    def usage_extra(self) -> dict[str, Any]:
        """Fields loopcache adds to a response's usage (none unless compaction ran)."""
        return {"compaction": self.compaction.usage()} if self.compaction is not None else {}

    async def deltas(self) -> AsyncIterator[TextDelta | Finished]:
        """Text deltas, then the `Finished` event; a failure after start raises `APIError`."""
        while True:
            event = await self.job.next_event()
            if isinstance(event, Failed):
                raise engine_error(event.error)
            if isinstance(event, (TextDelta, Finished)):
                yield event
            if isinstance(event, Finished):
                return

    async def finish(self, disconnected: Callable[[], Awaitable[bool]] | None = None) -> Finished:
        """The `Finished` event. With `disconnected` (the request's `is_disconnected`), a client that goes
        away while it waits cancels the job (its KV is kept) and this raises `APIError(499)`."""
        waiter = asyncio.ensure_future(self._finished())
        try:
            while True:
                done, _ = await asyncio.wait({waiter}, timeout=_DISCONNECT_POLL_S if disconnected else None)
                if done:
                    return waiter.result()
                if disconnected is not None and await disconnected():
                    self.job.cancel()
                    raise APIError(499, "the client closed the request")
        finally:
            waiter.cancel()

    async def _finished(self) -> Finished:
        async for event in self.deltas():
            if isinstance(event, Finished):
                return event
        raise APIError(500, "generation ended without a result")


def engine_error(error: Exception) -> APIError:
    if isinstance(error, APIError):
        return error
    if isinstance(error, PromptTooLongError):
        return APIError(400, str(error), param="messages", code="context_length_exceeded")
    if isinstance(error, ValueError):
        return APIError(400, str(error))
    return APIError(500, "the engine failed on this request")


@dataclass(frozen=True)
class ServerState:
    worker: EngineWorker
    config: ServerConfig
    metrics: ServerMetrics
    trace: TraceLog | None
    model_names: tuple[str, ...]
    sessions: SessionManager | None = None

    def tenant(self, headers: Mapping[str, str]) -> Tenant:
        try:
            return resolve_tenant(self.config, headers)
        except AuthError as exc:
            raise APIError(401, f"Incorrect API key provided: {exc}", code="invalid_api_key") from None

    def check_model(self, name: str) -> None:
        if name not in self.model_names:
            served = ", ".join(self.model_names)
            raise APIError(404, f"The model '{name}' does not exist; this server serves: {served}",
                           param="model", code="model_not_found")

    def sampling(self, max_tokens: int, temperature: float | None, top_p: float | None, seed: int | None,
                 stop: tuple[str, ...]) -> SamplingParams:
        # T -> 0 is greedy: below MIN_TEMPERATURE sampling and argmax agree, so take the deterministic path.
        greedy = top_p == 0 or (temperature is not None and temperature < MIN_TEMPERATURE)
        return SamplingParams(
            max_tokens=max_tokens,
            temperature=0.0 if greedy or temperature is None else temperature,
            top_p=1.0 if greedy or top_p is None else top_p,
            seed=seed,
            stop=stop,
        )

    async def start(self, prompt: Prompt, params: SamplingParams, session_id: str | None, tenant: Tenant,
                    retention: RetentionHint | None = None) -> Generation:
        """Queue the generation and wait until the engine has accepted its prompt (or refused it). A retention
        hint (cache_control ttl, prompt_cache_retention) pins the session first, where its share allows."""
        started_at = time.time()
        if retention is not None and retention.pin_s is not None and session_id and self.sessions is not None:
            await asyncio.to_thread(self.sessions.apply_hint, tenant.namespace, session_id, retention)
        if session_id and self.sessions is not None and isinstance(prompt, ChatPrompt):
            config = await asyncio.to_thread(self.sessions.compaction_config, tenant.namespace, session_id)
            if config is not None and config.enabled:
                prompt = CompactingPrompt(prompt, self.sessions, tenant.namespace, session_id)
        request = GenerationRequest(prompt, params, session_id, tenant.namespace)
        try:
            job = self.worker.submit(request, asyncio.get_running_loop())
        except QueueFullError as exc:
            raise APIError(429, f"{exc}; retry after {self.config.retry_after_s} s", code="rate_limit_exceeded",
                           retry_after_s=self.config.retry_after_s) from None
        except WorkerClosedError as exc:
            raise APIError(503, str(exc)) from None
        try:
            event = await job.next_event()
        except asyncio.CancelledError:
            job.cancel()
            raise
        if isinstance(event, Failed):
            raise engine_error(event.error)
        assert isinstance(event, Started)
        return Generation(job, event, started_at, getattr(prompt, "result", None))

    def record(self, api: str, finished: Finished, session_id: str | None, started_at: float,
               request: dict[str, Any], response: dict[str, Any]) -> None:
        self.metrics.observe_generation(api, finished.completion.stats)
        if self.trace is not None:
            self.trace.write(session_id, started_at, time.time(), request, response)
