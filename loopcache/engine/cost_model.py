"""Load-or-recompute: load a cached run of tokens only when that is cheaper than prefilling it again.

Costs are learnt online from what loads and prefills actually took, starting from conservative priors, so
a slow tier (a remote Redis, a cold network disk) loses to recompute for short matches and wins for long
ones. Each estimate is the median of the last `window` observations: one stall on a loaded machine (a
process descheduled mid-read) cannot flip a decision; only a tier that stays slow does.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

_PRIOR_SECONDS_PER_BYTE = {"memory": 1 / 8e9, "disk": 1 / 1e9, "redis": 1 / 5e8}
_UNKNOWN_TIER_SECONDS_PER_BYTE = 1 / 2e8
_PRIOR_LATENCY_S = {"memory": 1e-5, "disk": 3e-4, "redis": 5e-4}  # redis: loopback or a LAN
_UNKNOWN_TIER_LATENCY_S = 2e-3
_MIN_PREFILL_TOKENS = 32  # smaller prefills measure call overhead, not throughput


@dataclass(frozen=True, slots=True)
class Candidate:
    """One cached segment, in prefix order: where it lives, how large it is, how many tokens it saves."""

    tier: str
    nbytes: int
    num_tokens: int


@dataclass
class CostModel:
    """`prefill_tokens_per_s` is the prior; `window` = 0 keeps the priors (deterministic tests)."""

    prefill_tokens_per_s: float = 600.0
    window: int = 9
    _loads: dict[str, deque[float]] = field(default_factory=dict)  # seconds per byte, per tier
    _prefills: deque[float] = field(init=False)  # tokens per second

    def __post_init__(self) -> None:
        self._prefills = deque(maxlen=max(1, self.window))

    def load_seconds(self, tier: str, nbytes: int) -> float:
        seen = self._loads.get(tier)
        per_byte = statistics.median(seen) if seen else _PRIOR_SECONDS_PER_BYTE.get(tier, _UNKNOWN_TIER_SECONDS_PER_BYTE)
        return _PRIOR_LATENCY_S.get(tier, _UNKNOWN_TIER_LATENCY_S) + nbytes * per_byte

    def recompute_seconds(self, num_tokens: int) -> float:
        return num_tokens / self.prefill_rate

    @property
    def prefill_rate(self) -> float:
        """Tokens per second a prefill is expected to run at."""
        return statistics.median(self._prefills) if self._prefills else self.prefill_tokens_per_s

    def plan(self, candidates: list[Candidate]) -> int:
        """How many leading candidates to load: the prefix with the largest saving (0 if none saves)."""
        best_k, best_saving, saving = 0, 0.0, 0.0
        for k, c in enumerate(candidates, start=1):
            saving += self.recompute_seconds(c.num_tokens) - self.load_seconds(c.tier, c.nbytes)
            if saving > best_saving:
                best_k, best_saving = k, saving
        return best_k

    def observe_load(self, tier: str, nbytes: int, seconds: float) -> None:
        if nbytes <= 0 or seconds <= 0 or self.window <= 0:
            return
        latency = _PRIOR_LATENCY_S.get(tier, _UNKNOWN_TIER_LATENCY_S)
        self._loads.setdefault(tier, deque(maxlen=self.window)).append(max(seconds - latency, seconds / 2) / nbytes)

    def observe_prefill(self, num_tokens: int, seconds: float) -> None:
        if num_tokens < _MIN_PREFILL_TOKENS or seconds <= 0 or self.window <= 0:
            return
        self._prefills.append(num_tokens / seconds)
