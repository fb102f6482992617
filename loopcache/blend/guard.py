"""BlendGuard: whether a blended prefill may stand in for a full one, request by request.

    request -> plan():   FULL      the breaker is open (recent verified requests disagreed too often)
                         BLEND     blend; the proxy (KV deviation of the tokens not recomputed) must pass,
                                   and the blended next token must not be a near tie (margin)
                         VERIFY    blend, then prefill in full too and compare: every `verify_every`-th one
    verified request -> agreement(full, blended) -> record(): top-1 equal and KL(full || blended) <= max_kl

A verified request always continues from the full prefill, so a disagreeing one is never served blended
(it counts as a fallback). An unverified request is served blended only when its proxy passes; the bench
measures how often the proxy lets through a request that a verification would have rejected.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

import torch

from loopcache.blend.config import GuardConfig


class GuardPlan(Enum):
    FULL = "full"
    BLEND = "blend"
    VERIFY = "verify"


class Fallback(Enum):
    NONE = ""
    PROXY = "proxy"  # the KV deviation proxy was above its bound
    MARGIN = "margin"  # the blended next token was a near tie
    VERIFY = "verify"  # verification against full prefill disagreed
    BREAKER = "breaker"  # blending is suspended by the breaker


@dataclass(frozen=True)
class Agreement:
    kl: float  # KL(full || blended) of the next-token distributions, in nats
    top1_match: bool
    passed: bool


def agreement(full_logits: torch.Tensor, blended_logits: torch.Tensor, max_kl: float) -> Agreement:
    """How far a blended prefill's next-token logits (vocab,) are from the full prefill's."""
    p = torch.log_softmax(full_logits.float(), dim=-1)
    q = torch.log_softmax(blended_logits.float(), dim=-1)
    kl = float((p.exp() * (p - q)).sum().clamp_min(0.0))
    top1 = int(full_logits.argmax()) == int(blended_logits.argmax())
    return Agreement(kl, top1, top1 and kl <= max_kl)


def top1_margin(logits: torch.Tensor) -> float:
    """log p(top-1) - log p(top-2) of next-token logits (vocab,): how far from a tie the choice is."""
    top = torch.topk(logits.float(), 2).values
    return float(top[0] - top[1])


@dataclass
class GuardCounters:
    requests: int = 0  # requests that had reusable chunks
    blended: int = 0  # served from a blended prefill
    verified: int = 0
    verify_failures: int = 0
    proxy_fallbacks: int = 0
    margin_fallbacks: int = 0
    breaker_fallbacks: int = 0


class BlendGuard:
    def __init__(self, config: GuardConfig) -> None:
        self.config = config
        self.counters = GuardCounters()
        self._recent: deque[bool] = deque(maxlen=config.window)

    @property
    def breaker_open(self) -> bool:
        """True while too few of the recent verified requests agreed (blending is suspended)."""
        if len(self._recent) < self.config.window:
            return False
        return sum(self._recent) / len(self._recent) < self.config.min_pass_rate

    def plan(self) -> GuardPlan:
        """What to do with the next request that has reusable chunks (counts it)."""
        n = self.counters.requests
        self.counters.requests += 1
        due = self.config.verify_every > 0 and n % self.config.verify_every == 0
        if due:
            return GuardPlan.VERIFY
        if self.breaker_open:
            self.counters.breaker_fallbacks += 1
            return GuardPlan.FULL
        return GuardPlan.BLEND

    def passes_proxy(self, deviation: float) -> bool:
        """Whether a request's proxy (relative KV deviation of its reused tokens) is within the bound; a
        failing one is counted as a fallback."""
        ok = deviation <= self.config.max_deviation
        if not ok:
            self.counters.proxy_fallbacks += 1
        return ok

    def passes_margin(self, blended_logits: torch.Tensor) -> bool:
        """Whether the blended next token leads the second by at least `min_margin` nats (counted if not)."""
        ok = top1_margin(blended_logits) >= self.config.min_margin
        if not ok:
            self.counters.margin_fallbacks += 1
        return ok

    def judge(self, full_logits: torch.Tensor, blended_logits: torch.Tensor) -> Agreement:
        """Compare a verified request's two prefills and record the outcome."""
        result = agreement(full_logits, blended_logits, self.config.max_kl)
        self.counters.verified += 1
        self.counters.verify_failures += not result.passed
        self._recent.append(result.passed)
        return result

    def served_blended(self) -> None:
        self.counters.blended += 1

    def check_integrity(self) -> None:
        c = self.counters
        fallbacks = c.proxy_fallbacks + c.margin_fallbacks + c.breaker_fallbacks
        if c.verify_failures > c.verified or c.blended + fallbacks > c.requests:
            raise AssertionError(f"guard counters are inconsistent: {c}")
        if len(self._recent) > self.config.window:
            raise AssertionError("guard window overflows")
