"""Structured access log: one JSON line per HTTP request on the `loopcache.access` logger, and the
request counter by API and status. A plain ASGI middleware, so streamed responses pass straight through."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from loopcache.server.errors import is_anthropic_path
from loopcache.server.metrics import ServerMetrics
from loopcache.server.tenants import SESSION_HEADER

log = logging.getLogger("loopcache.access")


def api_of(path: str) -> str | None:
    if is_anthropic_path(path):
        return "anthropic"
    return "openai" if path.startswith("/v1/") else None


class AccessLog:
    def __init__(self, app: Any, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = [500]
        path = scope.get("path", "")
        api = api_of(path)

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if api is not None:  # counted before the client can see the response
                    self.metrics.observe_request(api, status[0])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            client = scope.get("client") or ("", 0)
            log.info(json.dumps({
                "method": scope.get("method"), "path": path, "status": status[0],
                "duration_ms": round((time.perf_counter() - t0) * 1000, 2), "client": client[0],
                "session_id": headers.get(SESSION_HEADER),
            }))
