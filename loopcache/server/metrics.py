"""Prometheus metrics of one server (its own registry: no process-global state).

Request-driven figures are counted as requests finish; store and queue figures are read at scrape time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from loopcache.engine.stats import RequestStats
from loopcache.server.session_metrics import SessionCollector
from loopcache.server.worker import WorkerStats
from loopcache.sessions.manager import SessionManager

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_TTFT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _StateCollector(Collector):
    """Store bytes and evictions per tier, write-behind queue, engine queue depth: read when scraped."""

    def __init__(self, store: Any, worker_stats: Callable[[], WorkerStats]) -> None:
        self._store = store
        self._worker_stats = worker_stats

    def collect(self) -> Iterator[Any]:
        ws = self._worker_stats()
        yield GaugeMetricFamily("loopcache_queue_depth", "Requests waiting for the engine", value=ws.queue_depth)
        yield CounterMetricFamily("loopcache_cancelled_requests", "Generations cancelled by the client",
                                  value=ws.cancelled)
        if ws.engine is not None:
            e = ws.engine
            yield GaugeMetricFamily("loopcache_running_sequences", "Sequences in the running batch", value=e.running)
            pool = GaugeMetricFamily("loopcache_kv_pool_blocks", "KV pool blocks of running sequences",
                                     labels=["state"])
            pool.add_metric(["used"], e.pool_blocks_used)
            pool.add_metric(["total"], e.pool_blocks)
            yield pool
            yield CounterMetricFamily("loopcache_preemptions", "Sequences preempted because the KV pool was full",
                                      value=e.preemptions)
            yield CounterMetricFamily("loopcache_rejected_blocks", "Cached blocks that failed verification "
                                      "(deleted and recomputed)", value=e.rejected_blocks)
        if self._store is None:
            return
        used = GaugeMetricFamily("loopcache_store_bytes", "Bytes held per cache tier", labels=["tier"])
        entries = GaugeMetricFamily("loopcache_store_blocks", "Blocks held per cache tier", labels=["tier"])
        evictions = CounterMetricFamily("loopcache_store_evictions", "Blocks evicted per tier", labels=["tier"])
        errors = CounterMetricFamily("loopcache_store_errors", "Tier calls failed on an I/O or index error "
                                     "(served without the tier)", labels=["tier"])
        write_failures = CounterMetricFamily("loopcache_store_write_failures", "Blocks a tier could not store "
                                             "(disk full, read-only, I/O error)", labels=["tier"])
        for s in self._store.tier_stats():
            used.add_metric([s.name], s.bytes_used)
            entries.add_metric([s.name], s.num_entries)
            evictions.add_metric([s.name], s.evictions + s.expired)
            errors.add_metric([s.name], s.errors)
            write_failures.add_metric([s.name], s.write_failures)
        yield from (used, entries, evictions, errors, write_failures)
        dropped = CounterMetricFamily("loopcache_write_behind_dropped", "Background writes dropped (queue full)",
                                      labels=["tier"])
        pending = GaugeMetricFamily("loopcache_write_behind_queued", "Background writes pending", labels=["tier"])
        for tier, w in self._store.writer_stats().items():
            dropped.add_metric([tier], w.dropped)
            pending.add_metric([tier], w.queued)
        yield from (dropped, pending)


class ServerMetrics:
    def __init__(self, store: Any, worker_stats: Callable[[], WorkerStats], sessions: SessionManager | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("loopcache_requests", "HTTP API requests", ["api", "status"], registry=r)
        self.ttft = Histogram("loopcache_ttft_seconds", "Time to first token", ["api"], buckets=_TTFT_BUCKETS,
                              registry=r)
        self.prompt_tokens = Counter("loopcache_prompt_tokens", "Prompt tokens", registry=r)
        self.completion_tokens = Counter("loopcache_completion_tokens", "Generated tokens", registry=r)
        self.cached_tokens = Counter("loopcache_cached_tokens", "Prompt tokens served from cache", ["tier"],
                                     registry=r)
        self.computed_tokens = Counter("loopcache_computed_tokens", "Prompt tokens prefilled", registry=r)
        self.skipped_tokens = Counter("loopcache_skipped_cached_tokens",
                                      "Cached prompt tokens recomputed (cheaper than loading)", registry=r)
        self.blended_tokens = Counter("loopcache_blended_tokens", "Prompt tokens reused from chunks at new "
                                      "positions (loopcache.blend)", registry=r)
        self.blend_fallbacks = Counter("loopcache_blend_fallbacks", "Requests the blend guard sent to full prefill",
                                       ["reason"], registry=r)
        r.register(_StateCollector(store, worker_stats))
        if sessions is not None:
            r.register(SessionCollector(sessions))

    def observe_request(self, api: str, status: int) -> None:
        self.requests.labels(api, str(status)).inc()

    def observe_generation(self, api: str, stats: RequestStats) -> None:
        self.ttft.labels(api).observe(stats.ttft_s)
        self.prompt_tokens.inc(stats.prompt_tokens)
        self.completion_tokens.inc(stats.completion_tokens)
        self.computed_tokens.inc(stats.computed_tokens)
        self.skipped_tokens.inc(stats.skipped_cached_tokens)
        for tier, n in stats.cached_tokens_by_tier.items():
            self.cached_tokens.labels(tier).inc(n)
        self.blended_tokens.inc(stats.blended_tokens)
        if stats.blend_fallback:
            self.blend_fallbacks.labels(stats.blend_fallback).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
