"""The app factory: a FastAPI app over one engine, built from its parts (no globals).

    create_app(engine, ServerConfig) -> FastAPI
        lifespan: start the engine worker ... on shutdown: finish queued work, drain the engine's
                  write-behind (engine.close()), close the trace log
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from loopcache.server.access_log import AccessLog
from loopcache.server.anthropic_routes import build_anthropic_router
from loopcache.server.config import ServerConfig
from loopcache.server.errors import install_error_handlers
from loopcache.server.metrics import CONTENT_TYPE, ServerMetrics
from loopcache.server.openai_routes import build_openai_router
from loopcache.server.session_routes import build_session_router
from loopcache.server.state import ServerState
from loopcache.server.trace_log import TraceLog
from loopcache.server.worker import EngineWorker

log = logging.getLogger(__name__)


def model_names(engine: Any, config: ServerConfig) -> tuple[str, ...]:
    names = [*config.model_aliases, engine.model.name]
    return tuple(dict.fromkeys(names))


def create_app(engine: Any, config: ServerConfig) -> FastAPI:
    """The server app for `engine`. The app owns the engine from now on: it closes it on shutdown."""
    worker = EngineWorker(engine, config.max_queue)
    sessions = getattr(engine, "sessions", None)
    metrics = ServerMetrics(getattr(engine, "store", None), worker.stats, sessions)
    trace = TraceLog(config.trace_log) if config.trace_log is not None else None
    state = ServerState(worker, config, metrics, trace, model_names(engine, config), sessions)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker.start()
        try:
            yield
        finally:
            worker.close()
            engine.close()
            if trace is not None:
                trace.close()
            log.info("shutdown complete: queued requests finished, cache writes drained")

    app = FastAPI(title="loopcache", version="0.1.0", lifespan=lifespan,
                  description="OpenAI- and Anthropic-compatible API with a persistent, session-aware KV cache.")
    app.state.loopcache = state
    install_error_handlers(app)
    app.include_router(build_openai_router())
    app.include_router(build_anthropic_router())
    app.include_router(build_session_router())

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "models": list(state.model_names), "queue_depth": worker.stats().queue_depth}

    @app.get("/metrics")
    async def metrics_route(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    app.add_middleware(AccessLog, metrics=metrics)
    return app
