"""SessionManager: sessions as first-class citizens of the engine. The engine tells it when a session's
request arrives and when its step finished; the server and the CLI read, pin, end and delete sessions.

    arrived(ns, id)   -> gap since the last step; prefetch of its blocks into memory starts (background)
    finished(outcome) -> a StepRecord in the registry (fresh tokens, cached by tier, TTFT, gap), the block
                         keys it holds now (the eviction policies read them), its disk TTL applied
    pin / end / delete / prefetch        the retention controls (HTTP API, CLI)
    compact(ns, id, messages)            a session's opt-in compaction (compaction.py), its state kept here

Pins are a hard share of capacity: a pin that would make pinned blocks exceed `pin_share` of the disk tier
(the memory tier when there is no disk) is refused with PinRefusedError, never an overflow.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.tiered import TieredStore
from loopcache.sessions.book import SessionBook, SessionRef
from loopcache.sessions.compaction import CompactionConfig, CompactionResult, Compactor, CountTokens
from loopcache.sessions.compaction_state import CompactionState
from loopcache.sessions.policy import PolicyError, RetentionHint, RetentionPolicy
from loopcache.sessions.prefetch import Prefetcher
from loopcache.sessions.registry import Registry, SessionInfo, StepRecord

log = logging.getLogger(__name__)
DEFAULT_PIN_SHARE = 0.5
RESTART_PREFETCH_SHARE = 0.5  # of the memory tier, filled at start with the most recently active sessions
RESTORE_LIMIT = 10_000  # sessions loaded into the book at start, most recent first (older ones: on arrival)


class SessionNotFoundError(KeyError):
    def __init__(self, namespace: str, session_id: str) -> None:
        super().__init__(f"no session {session_id!r}")
        self.session_id = session_id


class PinRefusedError(Exception):
    """The pin would take pinned blocks past their share of the tier."""


@dataclass(frozen=True)
class StepOutcome:
    """What the engine knows when a session's step ends."""

    session_id: str
    namespace: str
    prompt_ids: Sequence[int]
    output_ids: Sequence[int]
    cached_tokens: int
    cached_tokens_by_tier: dict[str, int]
    computed_tokens: int
    ttft_s: float
    block_keys: Sequence[BlockHash]


@dataclass(frozen=True)
class SessionUsage:
    """One session right now, for /metrics and the API."""

    namespace: str
    session_id: str
    steps: int
    last_hit_rate: float
    context_tokens: int
    pinned: bool
    bytes_by_tier: dict[str, int]


class SessionManager:
    def __init__(self, registry: Registry, book: SessionBook, store: TieredStore | None,
                 block_bytes: int, clock: Callable[[], float] = time.time, pin_share: float = DEFAULT_PIN_SHARE,
                 default_policy: RetentionPolicy | None = None, prefetch: bool = True) -> None:
        if not 0 < pin_share <= 1:
            raise ValueError(f"pin_share must be in (0, 1], got {pin_share!r}")
        self.registry = registry
        self.book = book
        self.store = store
        self.block_bytes = block_bytes
        self.clock = clock
        self.pin_share = pin_share
        self.default_policy = default_policy or RetentionPolicy()
        self.prefetcher = Prefetcher(store) if store is not None and prefetch else None
        self._pending_gap: dict[SessionRef, float | None] = {}
        self._pending_compaction: dict[SessionRef, CompactionResult] = {}
        self._lock = threading.Lock()

    # ---- start --------------------------------------------------------------------------------------------

    def restore(self) -> int:
        """Load the most recently active sessions from the registry into the book (a shared registry may hold
        every server's; any other is loaded when its request arrives); prefetch the most recent live ones (up
        to half the memory tier). Returns how many sessions were loaded."""
        infos = self.registry.list_sessions(limit=RESTORE_LIMIT)
        keys: dict[SessionRef, list[BlockHash]] = {}
        for info in infos:
            ref = (info.namespace, info.session_id)
            keys[ref] = self._ordered_keys(ref)
            self.book.load(ref, info.policy, info.last_activity, keys[ref])
        if self.prefetcher is not None and self.store is not None:
            budget = RESTART_PREFETCH_SHARE * self.store.tiers[0].stats().capacity_bytes
            now = self.clock()
            for info in infos:  # most recent first
                ref = (info.namespace, info.session_id)
                state = self.book.get(ref)
                if state is None or not state.is_live(now) or not keys.get(ref):
                    continue
                budget -= len(keys[ref]) * self.block_bytes
                if budget < 0:
                    break
                self.prefetcher.request(keys[ref])
        return len(infos)

    # ---- from the engine ----------------------------------------------------------------------------------

    def arrived(self, session_id: str, namespace: str) -> None:
        ref = (namespace, session_id)
        now = self.clock()
        policy = self._adopt(ref)
        gap = self.book.arrived(ref, policy, now)
        with self._lock:
            self._pending_gap[ref] = gap
        if gap is not None and self.prefetcher is not None:
            self.prefetcher.request(self._ordered_keys(ref))

    def finished(self, outcome: StepOutcome) -> StepRecord:
        ref = (outcome.namespace, outcome.session_id)
        now = self.clock()
        with self._lock:
            gap = self._pending_gap.pop(ref, None)
            compaction = self._pending_compaction.pop(ref, None)
        steps, previous = self.registry.progress(*ref)
        prompt = list(outcome.prompt_ids)
        fresh = len(prompt) - _common_prefix(prompt, np.frombuffer(previous, np.int32) if previous else ())
        record = StepRecord(
            step=steps + 1, at=now, prompt_tokens=len(prompt),
            cached_tokens=outcome.cached_tokens, computed_tokens=outcome.computed_tokens, fresh_tokens=fresh,
            output_tokens=len(outcome.output_ids), ttft_s=outcome.ttft_s, gap_s=gap,
            cached_tokens_by_tier=dict(outcome.cached_tokens_by_tier),
            tokens_saved=compaction.tokens_saved if compaction else 0,
            compaction_cost_tokens=compaction.rewrite_cost_tokens if compaction else 0)
        tokens = np.asarray([*prompt, *outcome.output_ids], np.int32).tobytes()
        self.registry.record_step(outcome.namespace, outcome.session_id, record, [k.hex for k in outcome.block_keys],
                                  tokens, self._policy(ref))
        self.book.stepped(ref, outcome.block_keys, now)
        self._apply_disk_ttl(ref, now)
        return record

    # ---- retention controls -------------------------------------------------------------------------------

    def pin(self, namespace: str, session_id: str, ttl_s: float) -> RetentionPolicy:
        """Pin the session's blocks for `ttl_s` from now (a session not seen yet is created, pinned as soon
        as it has blocks). Raises PinRefusedError beyond the pin share."""
        ref = (namespace, session_id)
        now = self.clock()
        policy = self._policy(ref).pinned_for(now, ttl_s)
        others = self.book.pinned_keys(now, besides=ref)
        wanted = len(others | self.book.keys_of(ref)) * self.block_bytes
        capacity = self._pin_capacity()
        if capacity is not None and wanted > self.pin_share * capacity:
            raise PinRefusedError(
                f"pinning session {session_id!r} would pin {wanted} bytes, more than {self.pin_share:.0%} of the "
                f"tier's {capacity} bytes; unpin or end other sessions, or pin for less")
        self._set_policy(ref, policy, now)
        return policy

    def apply_hint(self, namespace: str, session_id: str, hint: RetentionHint) -> str | None:
        """Apply a request's retention hint (cache_control ttl, prompt_cache_retention). A pin past the share
        is not an error for the request: it is skipped and the reason returned (and logged)."""
        if hint.pin_s is None:
            return None
        try:
            self.pin(namespace, session_id, hint.pin_s)
        except PinRefusedError as exc:
            log.warning("%s", exc)
            return str(exc)
        return None

    def update_policy(self, namespace: str, session_id: str, changes: dict[str, Any]) -> RetentionPolicy:
        """Change `disk_ttl_s` / `memory_residency_s` of a session (created if new). Raises PolicyError."""
        ref = (namespace, session_id)
        allowed = {"disk_ttl_s", "memory_residency_s"}
        if set(changes) - allowed:
            raise PolicyError(f"only {sorted(allowed)} can be changed here, got {sorted(changes)}")
        current = self._policy(ref)
        merged = {**current.to_dict(), **changes}
        if merged.get("disk_ttl_s") is None:
            merged["disk_ttl_s"] = self.default_policy.disk_ttl_s
        policy = RetentionPolicy.from_dict(merged)
        now = self.clock()
        self._set_policy(ref, policy, now)
        self._apply_disk_ttl(ref, now)
        return policy

    def set_compaction(self, namespace: str, session_id: str, config: CompactionConfig) -> None:
        """Turn a session's compaction on or off (its state so far is kept; created if new)."""
        ref = (namespace, session_id)
        info = self.registry.get(*ref)
        if info is None:
            self._set_policy(ref, self._policy(ref), self.clock())
        state = (info.compaction or {}).get("state") if info else None
        self.registry.set_compaction(namespace, session_id, {"config": config.to_dict(), "state": state})

    def compaction_config(self, namespace: str, session_id: str) -> CompactionConfig | None:
        info = self.registry.get(namespace, session_id)
        if info is None or not info.compaction:
            return None
        return CompactionConfig.from_dict(info.compaction["config"])

    def compact(self, namespace: str, session_id: str, messages: Sequence[dict[str, Any]],
                count_tokens: CountTokens, context_tokens: int) -> CompactionResult | None:
        """The compacted history for this step of the session (None: compaction is off for it). The new
        state is saved; the step's record will carry the tokens saved and the rewrite's cost."""
        config = self.compaction_config(namespace, session_id)
        if config is None or not config.enabled:
            return None
        info = self.registry.get(namespace, session_id)
        saved = (info.compaction or {}).get("state") if info else None
        state = CompactionState.from_dict(saved) if saved else CompactionState()
        result = Compactor(config, context_tokens).apply(messages, state, count_tokens)
        self.registry.set_compaction(namespace, session_id, {"config": config.to_dict(), "state": result.state.to_dict()})
        with self._lock:
            self._pending_compaction[(namespace, session_id)] = result
        return result

    def end(self, namespace: str, session_id: str) -> None:
        """The session is done: its private blocks are evicted first from now on."""
        ref = (namespace, session_id)
        info = self._require(ref)
        self.book.end(ref)
        self.registry.set_policy(namespace, session_id, replace(info.policy, ended=True, pinned_until=0.0), self.clock())

    def delete(self, namespace: str, session_id: str) -> int:
        """Forget the session and remove the blocks only it held from every tier. Returns how many."""
        ref = (namespace, session_id)
        self._require(ref)
        private = self.book.forget(ref)
        self.registry.delete(namespace, session_id)
        removed = 0
        if self.store is not None:
            removed = sum(self.store.delete(k) for k in private)
        return removed

    def prefetch(self, namespace: str, session_id: str) -> int:
        """Start moving the session's blocks into memory; returns how many blocks are queued."""
        ref = (namespace, session_id)
        self._require(ref)
        keys = self._ordered_keys(ref)
        if self.prefetcher is not None:
            self.prefetcher.request(keys)
        return len(keys)

    # ---- reads --------------------------------------------------------------------------------------------

    def get(self, namespace: str, session_id: str) -> SessionInfo:
        return self._require((namespace, session_id))

    def list_sessions(self, namespace: str | None, limit: int | None = None) -> list[SessionInfo]:
        return self.registry.list_sessions(namespace, limit)

    def steps(self, namespace: str, session_id: str) -> list[StepRecord]:
        self._require((namespace, session_id))
        return self.registry.steps(namespace, session_id)

    def usage(self, namespace: str, session_id: str) -> SessionUsage:
        ref = (namespace, session_id)
        info = self._require(ref)
        steps = self.registry.steps(namespace, session_id)
        by_tier: dict[str, int] = {}
        for key in self.book.keys_of(ref):
            tier = self.store.tier_of(key) if self.store is not None else None
            if tier is not None:
                by_tier[tier] = by_tier.get(tier, 0) + self.block_bytes
        last = steps[-1] if steps else None
        return SessionUsage(namespace, session_id, info.steps, last.hit_rate if last else 0.0,
                            last.prompt_tokens + last.output_tokens if last else 0,
                            info.policy.is_pinned(self.clock()), by_tier)

    def check_integrity(self) -> list[str]:
        return [*self.registry.check_integrity(), *self.book.check_integrity()]

    def close(self) -> None:
        if self.prefetcher is not None:
            self.prefetcher.close()
        self.registry.close()

    # ---- internals ----------------------------------------------------------------------------------------

    def _adopt(self, ref: SessionRef) -> RetentionPolicy:
        """The session's policy as the registry has it now. Another process sharing the registry (a server
        behind the same load balancer, one on the same directory) may have changed it or run the session's
        latest steps: the book takes the registry's policy, and in the second case that step's block keys."""
        info = self.registry.get(*ref)
        state = self.book.get(ref)
        if info is None:
            return state.policy if state is not None else self.default_policy
        ran_elsewhere = info.steps > 0 and (state is None or info.last_activity > state.last_activity)
        self.book.adopt(ref, info.policy, info.last_activity, self._ordered_keys(ref) if ran_elsewhere else None)
        return info.policy

    def _policy(self, ref: SessionRef) -> RetentionPolicy:
        state = self.book.get(ref)
        if state is not None:
            return state.policy
        info = self.registry.get(*ref)
        return info.policy if info is not None else self.default_policy

    def _set_policy(self, ref: SessionRef, policy: RetentionPolicy, now: float) -> None:
        self.registry.set_policy(ref[0], ref[1], policy, now)
        self.book.set_policy(ref, policy, now)

    def _require(self, ref: SessionRef) -> SessionInfo:
        info = self.registry.get(*ref)
        if info is None:
            raise SessionNotFoundError(*ref)
        return info

    def _ordered_keys(self, ref: SessionRef) -> list[BlockHash]:
        keys = self.registry.block_keys(*ref)  # in insertion order: chain blocks first, then tails
        return [BlockHash.from_hex(k) for k in keys]

    def _pin_capacity(self) -> int | None:
        if self.store is None:
            return None
        tiers = self.store.tier_stats()
        disk = [t for t in tiers if t.name == "disk"]
        return (disk or tiers)[0].capacity_bytes

    def _apply_disk_ttl(self, ref: SessionRef, now: float) -> None:
        """Give the blocks only this session holds its own disk TTL, when it is not the default. Blocks still
        in the write-behind queue keep the default until the next step applies it again."""
        state = self.book.get(ref)
        if self.store is None or state is None or state.policy.disk_ttl_s == self.default_policy.disk_ttl_s:
            return
        private = self.book.private_keys(ref)
        for tier in self.store.tiers:
            set_expiry = getattr(tier, "set_expiry", None)
            if set_expiry is not None and private:
                set_expiry(private, now + state.policy.disk_ttl_s)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    differ = np.flatnonzero(np.asarray(a[:n], np.int64) != np.asarray(b[:n], np.int64))
    return int(differ[0]) if differ.size else n
