"""Per-session figures for /metrics, read at scrape time: the most recently active sessions only (label
cardinality stays bounded), plus the prefetcher's totals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from loopcache.sessions.manager import SessionManager

MAX_SESSIONS = 50


class SessionCollector(Collector):
    def __init__(self, sessions: SessionManager) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[Any]:
        labels = ["namespace", "session"]
        steps = GaugeMetricFamily("loopcache_session_steps", "Steps of the session so far", labels=labels)
        hit = GaugeMetricFamily("loopcache_session_hit_rate", "Cached share of the last step's prompt", labels=labels)
        context = GaugeMetricFamily("loopcache_session_context_tokens", "Tokens of the last step (prompt + output)",
                                    labels=labels)
        pinned = GaugeMetricFamily("loopcache_session_pinned", "1 while the session holds a pin", labels=labels)
        held = GaugeMetricFamily("loopcache_session_bytes", "Bytes of the session's blocks per tier",
                                 labels=[*labels, "tier"])
        for info in self._sessions.list_sessions(None, limit=MAX_SESSIONS):
            usage = self._sessions.usage(info.namespace, info.session_id)
            key = [info.namespace, info.session_id]
            steps.add_metric(key, usage.steps)
            hit.add_metric(key, usage.last_hit_rate)
            context.add_metric(key, usage.context_tokens)
            pinned.add_metric(key, int(usage.pinned))
            for tier, nbytes in usage.bytes_by_tier.items():
                held.add_metric([*key, tier], nbytes)
        yield from (steps, hit, context, pinned, held)
        yield CounterMetricFamily("loopcache_session_registry_errors", "Registry calls given up (shared registry "
                                  "unreachable)", value=self._sessions.registry.error_count())
        if self._sessions.prefetcher is not None:
            p = self._sessions.prefetcher.stats()
            yield CounterMetricFamily("loopcache_prefetched_blocks", "Blocks moved into memory ahead of a request",
                                      value=p.blocks)
            yield CounterMetricFamily("loopcache_prefetched_bytes", "Bytes moved into memory ahead of a request",
                                      value=p.bytes)
