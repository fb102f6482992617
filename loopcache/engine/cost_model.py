"""Load-or-recompute: load a cached run of tokens only when that is cheaper than prefilling it again.

Costs are learnt online (exponential moving averages of what loads and prefills actually took), starting
from conservative priors, so a slow tier (a remote Redis, a cold network disk) loses to recompute for
short matches and wins for long ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_PRIOR_SECONDS_PER_BYTE = {"memory": 1 / 8e9, "disk": 1 / 1e9}
_UNKNOWN_TIER_SECONDS_PER_BYTE = 1 / 2e8
_PRIOR_LATENCY_S = {"memory": 1e-5, "disk": 3e-4}
_UNKNOWN_TIER_LATENCY_S = 2e-3


@dataclass(frozen=True, slots=True)
class Candidate:
    """One cached segment, in prefix order: where it lives, how large it is, how many tokens it saves."""

    tier: str
    nbytes: int
    num_tokens: int


@dataclass
class CostModel:
    prefill_tokens_per_s: float = 600.0
    alpha: float = 0.3
    _seconds_per_byte: dict[str, float] = field(default_factory=lambda: dict(_PRIOR_SECONDS_PER_BYTE))
    _latency_s: dict[str, float] = field(default_factory=lambda: dict(_PRIOR_LATENCY_S))

    def load_seconds(self, tier: str, nbytes: int) -> float:
        per_byte = self._seconds_per_byte.get(tier, _UNKNOWN_TIER_SECONDS_PER_BYTE)
        return self._latency_s.get(tier, _UNKNOWN_TIER_LATENCY_S) + nbytes * per_byte

    def recompute_seconds(self, num_tokens: int) -> float:
        return num_tokens / self.prefill_tokens_per_s

    def plan(self, candidates: list[Candidate]) -> int:
        """How many leading candidates to load: the prefix with the largest saving (0 if none saves)."""
        best_k, best_saving, saving = 0, 0.0, 0.0
        for k, c in enumerate(candidates, start=1):
            saving += self.recompute_seconds(c.num_tokens) - self.load_seconds(c.tier, c.nbytes)
            if saving > best_saving:
                best_k, best_saving = k, saving
        return best_k

    def observe_load(self, tier: str, nbytes: int, seconds: float) -> None:
        if nbytes <= 0 or seconds <= 0:
            return
        latency = self._latency_s.get(tier, _UNKNOWN_TIER_LATENCY_S)
        per_byte = max(seconds - latency, seconds / 2) / nbytes
        old = self._seconds_per_byte.get(tier, per_byte)
        self._seconds_per_byte[tier] = (1 - self.alpha) * old + self.alpha * per_byte

    def observe_prefill(self, num_tokens: int, seconds: float) -> None:
        if num_tokens < 32 or seconds <= 0:  # tiny prefills measure overhead, not throughput
            return
        rate = num_tokens / seconds
        self.prefill_tokens_per_s = (1 - self.alpha) * self.prefill_tokens_per_s + self.alpha * rate
