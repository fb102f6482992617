"""SessionBook: which sessions hold which blocks right now, and how each session is doing (in memory,
rebuilt from the registry at start). The eviction policies ask it what a block is:

    DEAD     no live session needs it: its sessions ended, or a later step of its session superseded it
             (an earlier step's tail slot)
    UNKNOWN  no session this process knows of holds it (another process's, or written before the registry)
    IDLE     held by one live session that has been idle for longer than it usually pauses
    WAITING  held by one live session that is inside its usual pause (a tool call is running)
    SHARED   held by two or more live sessions (a system prompt, tool schemas)
    PINNED   held by a session whose pin has not expired
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum

from loopcache.kvcache.block_hash import BlockHash
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.tool_gaps import expected_tool_gap

SessionRef = tuple[str, str]  # (namespace, session id)
MAX_GAPS = 32
MAX_DEAD_KEYS = 100_000  # remembered superseded keys (the oldest are forgotten: they become UNKNOWN)
LONG_IDLE_S = 86400.0  # a session idle this long counts as ended for eviction


class BlockClass(Enum):
    DEAD = "dead"
    UNKNOWN = "unknown"
    IDLE = "idle"
    WAITING = "waiting"
    SHARED = "shared"
    PINNED = "pinned"


@dataclass
class SessionState:
    policy: RetentionPolicy
    last_activity: float
    keys: set[BlockHash] = field(default_factory=set)
    gaps: list[float] = field(default_factory=list)
    running: int = 0  # requests of this session in the engine now

    def residency_s(self) -> float:
        if self.policy.memory_residency_s is not None:
            return self.policy.memory_residency_s
        return expected_tool_gap(self.gaps)

    def is_live(self, now: float) -> bool:
        return not self.policy.ended and now - self.last_activity < LONG_IDLE_S


class SessionBook:
    """Thread-safe: the engine thread updates it, the tiers' eviction reads it (any thread)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._sessions: dict[SessionRef, SessionState] = {}
        self._owners: dict[BlockHash, set[SessionRef]] = {}
        self._dead: OrderedDict[BlockHash, None] = OrderedDict()
        self._lock = threading.RLock()

    # ---- updates ------------------------------------------------------------------------------------------

    def session(self, ref: SessionRef, policy: RetentionPolicy, now: float) -> SessionState:
        """The state of `ref`, created with `policy` if new."""
        with self._lock:
            state = self._sessions.get(ref)
            if state is None:
                state = self._sessions[ref] = SessionState(policy, now)
            return state

    def get(self, ref: SessionRef) -> SessionState | None:
        with self._lock:
            return self._sessions.get(ref)

    def arrived(self, ref: SessionRef, policy: RetentionPolicy, now: float) -> float | None:
        """A request of `ref` arrived: returns the gap since its last activity (None for a new session)."""
        with self._lock:
            state = self._sessions.get(ref)
            gap = None if state is None or not state.keys else max(0.0, now - state.last_activity)
            state = self.session(ref, policy, now)
            if gap is not None:
                state.gaps = [*state.gaps, gap][-MAX_GAPS:]
            state.running += 1
            state.last_activity = now
            return gap

    def stepped(self, ref: SessionRef, keys: Iterable[BlockHash], now: float) -> None:
        """A step of `ref` finished and uses `keys` now; keys it no longer uses are superseded."""
        with self._lock:
            state = self._sessions.get(ref)
            if state is None:
                state = self.session(ref, RetentionPolicy(), now)
            state.running = max(0, state.running - 1)
            state.last_activity = now
            self._set_keys(ref, state, set(keys))

    def set_policy(self, ref: SessionRef, policy: RetentionPolicy, now: float) -> None:
        with self._lock:
            state = self.session(ref, policy, now)
            state.policy = policy

    def end(self, ref: SessionRef) -> None:
        with self._lock:
            state = self._sessions.get(ref)
            if state is not None:
                state.policy = replace(state.policy, ended=True, pinned_until=0.0)

    def forget(self, ref: SessionRef) -> set[BlockHash]:
        """Drop `ref` entirely; returns the keys only it held (now DEAD)."""
        with self._lock:
            state = self._sessions.get(ref)
            if state is None:
                return set()
            private = self.private_keys(ref)
            del self._sessions[ref]
            self._set_keys(ref, state, set())
            return private

    def load(self, ref: SessionRef, policy: RetentionPolicy, last_activity: float, keys: Iterable[BlockHash]) -> None:
        """Restore a session from the registry (at start)."""
        with self._lock:
            state = self._sessions[ref] = SessionState(policy, last_activity)
            self._set_keys(ref, state, set(keys))

    def adopt(self, ref: SessionRef, policy: RetentionPolicy, last_activity: float,
              keys: Iterable[BlockHash] | None) -> None:
        """Take what another process sharing the registry recorded of `ref`: its policy, and (`keys` given:
        its steps ran there since) the time and block keys of its latest step. Gaps seen here are kept."""
        with self._lock:
            state = self.session(ref, policy, last_activity)
            state.policy = policy
            if keys is not None:
                state.last_activity = max(state.last_activity, last_activity)
                self._set_keys(ref, state, set(keys))

    # ---- what eviction asks -------------------------------------------------------------------------------

    def classify(self, key: BlockHash, now: float | None = None) -> BlockClass:
        now = self.clock() if now is None else now
        with self._lock:
            owners = self._owners.get(key)
            if not owners:
                return BlockClass.DEAD if key in self._dead else BlockClass.UNKNOWN
            states = [self._sessions[r] for r in owners]
            if any(s.policy.is_pinned(now) for s in states):
                return BlockClass.PINNED
            live = [s for s in states if s.is_live(now)]
            if not live:
                return BlockClass.DEAD
            if len(live) > 1:
                return BlockClass.SHARED
            s = live[0]
            return BlockClass.WAITING if s.running or now - s.last_activity < s.residency_s() else BlockClass.IDLE

    def keys_of(self, ref: SessionRef) -> set[BlockHash]:
        with self._lock:
            state = self._sessions.get(ref)
            return set(state.keys) if state is not None else set()

    def private_keys(self, ref: SessionRef) -> set[BlockHash]:
        """Keys `ref` holds that no other session holds."""
        with self._lock:
            state = self._sessions.get(ref)
            return {k for k in state.keys if self._owners.get(k) == {ref}} if state is not None else set()

    def pinned_keys(self, now: float, besides: SessionRef | None = None) -> set[BlockHash]:
        """Keys held by pinned sessions (other than `besides`)."""
        with self._lock:
            return {k for ref, s in self._sessions.items() if ref != besides and s.policy.is_pinned(now) for k in s.keys}

    def sessions(self) -> dict[SessionRef, SessionState]:
        with self._lock:
            return dict(self._sessions)

    def check_integrity(self) -> list[str]:
        with self._lock:
            problems = []
            for ref, state in self._sessions.items():
                problems += [f"{ref}: holds {k} but is not among its owners" for k in state.keys
                             if ref not in self._owners.get(k, set())]
            for key, owners in self._owners.items():
                if not owners:
                    problems.append(f"{key}: an empty owner set is kept")
                problems += [f"{key}: owner {r} does not hold it" for r in owners
                             if r not in self._sessions or key not in self._sessions[r].keys]
            problems += [f"{k}: both dead and owned" for k in self._dead if self._owners.get(k)]
            return problems

    # ---- internals ----------------------------------------------------------------------------------------

    def _set_keys(self, ref: SessionRef, state: SessionState, keys: set[BlockHash]) -> None:
        for key in state.keys - keys:
            owners = self._owners.get(key)
            if owners is not None:
                owners.discard(ref)
                if not owners:
                    del self._owners[key]
                    self._dead[key] = None
                    if len(self._dead) > MAX_DEAD_KEYS:
                        self._dead.popitem(last=False)
        for key in keys - state.keys:
            self._owners.setdefault(key, set()).add(ref)
            self._dead.pop(key, None)
        state.keys = keys
