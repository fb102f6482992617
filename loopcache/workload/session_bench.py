"""The sessions benchmark's core: one cache policy's run over a `SessionMix` (real compute, simulated
clock), with a restart in the middle, summarised as amplification, TTFT of resumed vs warm steps and bytes
read from disk. `bench/sessions.py` sizes the tiers, runs the policies side by side and prints the table.

    lru_memory      memory tier only, least recently used evicted first (an in-GPU prefix cache, vLLM-like)
    lru_disk        memory + disk tiers, both plain LRU (loopcache before sessions)
    session_aware   memory + disk, session-aware eviction, prefetch on resume, ended sessions' blocks first
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loopcache.config import RunConfig
from loopcache.engine.config import EngineConfig
from loopcache.engine.engine import Engine
from loopcache.engine.factory import open_sessions
from loopcache.engine.prefix_cache import common_prefix_len
from loopcache.engine.sampling import SamplingParams
from loopcache.kvcache.tier_config import TierConfig, open_tiers
from loopcache.model.loader import LoadedModel
from loopcache.sessions.book import SessionBook
from loopcache.sessions.config import SessionConfig
from loopcache.sessions.eviction import DiskRetention, MemoryResidency
from loopcache.workload.session_mix import Arrival, MixShape, SessionMix

POLICIES = ("session_aware", "lru_disk", "lru_memory")
RESUMED_GAP_S = 60.0  # a step after a longer pause (or after the restart) counts as resumed
BATCH_WINDOW_S = 5.0  # requests due within this much simulated time are in the engine together


class SimClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class Server:
    """One policy's engine over its own cache directory; `restart()` keeps only what a restart keeps."""

    def __init__(self, policy: str, model: LoadedModel, root: Path, clock: SimClock, memory_bytes: int,
                 disk_bytes: int, engine_config: EngineConfig) -> None:
        self.policy, self.model, self.root, self.clock = policy, model, root, clock
        self.tiers = TierConfig(root=root, memory_bytes=memory_bytes, disk=policy != "lru_memory", disk_bytes=disk_bytes)
        self.engine_config = engine_config
        self.engine = self._open()

    def _open(self) -> Engine:
        aware = self.policy == "session_aware"
        config = RunConfig(tiers=self.tiers, engine=self.engine_config,
                           sessions=SessionConfig(eviction="session" if aware else "lru", prefetch=aware))
        book = SessionBook(self.clock)
        store = open_tiers(self.tiers, MemoryResidency(book) if aware else None, DiskRetention(book) if aware else None,
                           clock=self.clock)
        sessions = open_sessions(config, self.model, store, book, self.clock)
        return Engine(self.model, store, self.engine_config, sessions=sessions)

    def restart(self) -> None:
        self.engine.close()
        self.engine = self._open()
        if self.engine.sessions is not None and self.engine.sessions.prefetcher is not None:
            self.engine.sessions.prefetcher.wait(120)  # a server's start-up prefetch, before it takes requests

    def prefetch(self, arrivals: list[Arrival]) -> None:
        if self.policy == "session_aware" and self.engine.sessions is not None:
            for a in arrivals:
                self.engine.sessions.prefetch("default", a.session_id)

    def end_session(self, session_id: str) -> None:
        if self.policy == "session_aware" and self.engine.sessions is not None:
            self.engine.sessions.end("default", session_id)

    def disk_bytes_read(self) -> int:
        prefetched = self.engine.sessions.prefetcher.stats().bytes if self.engine.sessions and \
            self.engine.sessions.prefetcher else 0
        return prefetched


def run_policy(policy: str, model: LoadedModel, shape: MixShape, memory_bytes: int, disk_bytes: int,
               engine_config: EngineConfig, log: Callable[[str], None]) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"loopcache-sessions-{policy}-"))
    clock = SimClock(1_800_000_000.0)
    mix = SessionMix(model.tokenizer, shape, start=clock.now)
    server = Server(policy, model, root, clock, memory_bytes, disk_bytes, engine_config)
    total_steps = shape.sessions * shape.steps
    previous: dict[int, list[int]] = {}
    rows: list[dict[str, Any]] = []
    restarted, restart_at = False, -1
    disk_read = 0
    params = SamplingParams(max_tokens=shape.output_tokens, ignore_eos=True)
    t0 = time.perf_counter()
    try:
        while mix.next_at is not None:
            if not restarted and len(rows) >= total_steps // 2:
                disk_read += server.disk_bytes_read()
                server.restart()
                restarted = True
                restart_at = len(rows)
            clock.now = max(clock.now, mix.next_at)
            batch = mix.take(clock.now + BATCH_WINDOW_S, limit=engine_config.max_running)
            # requests that arrive while this batch runs wait in the queue: their prefetch starts now
            server.prefetch([a for a in mix.peek(clock.now + 2 * BATCH_WINDOW_S) if a.step > 0])
            prompts = [server.engine.render(mix.messages(a.session, a.step)) for a in batch]
            completions = server.engine.generate_many(prompts, params, [a.session_id for a in batch])
            clock.now += BATCH_WINDOW_S
            for arrival, prompt, completion in zip(batch, prompts, completions):
                rows.append(_row(arrival, prompt, previous.get(arrival.session, []), completion.stats,
                                 restarted and arrival.step > 0 and _first_after_restart(rows, arrival)))
                previous[arrival.session] = prompt
                if not mix.done(arrival, clock.now):
                    server.end_session(arrival.session_id)
            log(f"  {policy}: {len(rows)}/{total_steps} steps [{time.perf_counter() - t0:.0f} s]")
        disk_read += server.disk_bytes_read()
    finally:
        server.engine.close()
        shutil.rmtree(root, ignore_errors=True)
    return _summary(policy, rows, disk_read, model.kv_bytes_per_token, restart_at)


def _first_after_restart(rows: list[dict[str, Any]], arrival: Arrival) -> bool:
    return not any(r["session"] == arrival.session and r["after_restart"] for r in rows)


def _row(arrival: Arrival, prompt: list[int], previous: list[int], stats: Any, first_after_restart: bool) -> dict[str, Any]:
    common = common_prefix_len(prompt, previous)
    gap = arrival.gap_s
    return {"session": arrival.session, "step": arrival.step + 1, "gap_s": gap, "prompt_tokens": len(prompt),
            "fresh_tokens": len(prompt) - common, "cached_tokens": stats.cached_tokens,
            "computed_tokens": stats.computed_tokens, "cached_by_tier": dict(stats.cached_tokens_by_tier),
            "ttft_s": stats.ttft_s, "after_restart": first_after_restart,
            "kind": "first" if gap is None else
                    ("resumed" if gap >= RESUMED_GAP_S or first_after_restart else "warm")}


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _summary(policy: str, rows: list[dict[str, Any]], disk_read: int, bytes_per_token: int, restart_at: int) -> dict[str, Any]:
    fresh = sum(r["fresh_tokens"] for r in rows)
    computed = sum(r["computed_tokens"] for r in rows)
    resumed = [r["ttft_s"] for r in rows if r["kind"] == "resumed"]
    warm = [r["ttft_s"] for r in rows if r["kind"] == "warm"]
    from_disk = sum(r["cached_by_tier"].get("disk", 0) for r in rows) * bytes_per_token
    return {
        "amplification": computed / fresh if fresh else None,
        "computed_tokens": computed, "fresh_tokens": fresh,
        "resumed_ttft_p50_s": statistics.median(resumed) if resumed else None,
        "resumed_ttft_p95_s": _pct(resumed, 0.95),
        "warm_ttft_p50_s": statistics.median(warm) if warm else None,
        "warm_ttft_p95_s": _pct(warm, 0.95),
        "resumed_steps": len(resumed), "warm_steps": len(warm),
        "bytes_read_from_disk": from_disk + disk_read,
        "restart_after_step": restart_at,
        "hit_rate": sum(r["cached_tokens"] for r in rows) / sum(r["prompt_tokens"] for r in rows),
        "steps": rows,
    }
