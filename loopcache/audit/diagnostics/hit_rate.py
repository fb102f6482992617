"""Diagnostic 1: the provider-reported cache hit rate per step.

hit rate of a step = cached tokens / input tokens, from the provider's usage. Steps whose usage has no
cache field (Bedrock-routed calls, logs without usage) have no hit rate: they are counted apart, and a
session with none at all is reported as "no cache data", never as 0 %.

Token-weighted rate = sum(cached) / sum(input) over steps with data; step-weighted = mean of step rates.
Both are also split by what triggered the step (a user message or a tool result). Steps 3 and later
(index >= 2) under 70 % are flagged: by then the prefix should be warm. A step shorter than the model's
minimum cacheable prompt (1024 tokens on most models) cannot hit and is not flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.audit.step import Session

FLAG_FROM_STEP_INDEX = 2
FLAG_BELOW = 0.70


@dataclass(frozen=True)
class StepHit:
    index: int
    trigger: str
    input_tokens: int | None
    cached_tokens: int | None
    min_cacheable_tokens: int = 0

    @property
    def hit_rate(self) -> float | None:
        if self.cached_tokens is None or not self.input_tokens:
            return None
        return self.cached_tokens / self.input_tokens

    @property
    def is_flagged(self) -> bool:
        rate = self.hit_rate
        is_cacheable = (self.input_tokens or 0) >= self.min_cacheable_tokens
        return rate is not None and is_cacheable and self.index >= FLAG_FROM_STEP_INDEX and rate < FLAG_BELOW


@dataclass(frozen=True)
class RateSummary:
    """Rates over a set of steps with cache data; None when the set is empty."""

    num_steps: int
    token_weighted: float | None
    step_weighted: float | None

    @classmethod
    def of(cls, hits: list[StepHit]) -> RateSummary:
        rated = [h for h in hits if h.hit_rate is not None]
        if not rated:
            return cls(0, None, None)
        tokens = sum(h.input_tokens or 0 for h in rated)
        cached = sum(h.cached_tokens or 0 for h in rated)
        return cls(len(rated), cached / tokens if tokens else None, sum(h.hit_rate or 0.0 for h in rated) / len(rated))


@dataclass(frozen=True)
class HitRateReport:
    steps: tuple[StepHit, ...]
    overall: RateSummary
    by_trigger: tuple[tuple[str, RateSummary], ...]

    @property
    def has_cache_data(self) -> bool:
        return self.overall.num_steps > 0

    @property
    def num_steps_without_data(self) -> int:
        return sum(1 for h in self.steps if h.hit_rate is None)

    @property
    def flagged(self) -> tuple[StepHit, ...]:
        return tuple(h for h in self.steps if h.is_flagged)

    @property
    def is_caching_off(self) -> bool:
        """Cache fields are reported but every step read 0 tokens: caching is not enabled at all."""
        rated = [h for h in self.steps if h.hit_rate is not None]
        return len(rated) >= 2 and all(h.cached_tokens == 0 for h in rated)

    @property
    def flagged_after_no_data(self) -> tuple[StepHit, ...]:
        """Flagged steps right after a step without cache data: typically that call went another route
        (another provider, region or account, e.g. Bedrock behind a proxy) and wrote nothing to this cache."""
        return tuple(h for h in self.flagged if h.index > 0 and self.steps[h.index - 1].hit_rate is None)


@dataclass(frozen=True)
class FlaggedStep:
    """Why a flagged step hit little:
    new_content        the provider read (nearly) all the prefix it could: the step mostly adds new tokens
    routed_elsewhere   the previous call had no cache fields (another route wrote nothing to this cache)
    prefix_not_reused  the recomputed reusable prefix was much longer than what the provider read
    """

    index: int
    reason: str
    cached_tokens: int
    reusable_tokens: int


def explain_flagged(report: HitRateReport, reusable_tokens: list[int]) -> tuple[FlaggedStep, ...]:
    """Classify each flagged step, given per step the tokens an earlier prompt already held (prefix overlap).
    "Nearly all" allows 128 tokens or 5 % (OpenAI matches in 128-token steps)."""
    out = []
    after_no_data = {h.index for h in report.flagged_after_no_data}
    for hit in report.flagged:
        cached, reusable = hit.cached_tokens or 0, reusable_tokens[hit.index]
        if reusable - cached <= max(128, 0.05 * reusable):
            reason = "new_content"
        elif hit.index in after_no_data:
            reason = "routed_elsewhere"
        else:
            reason = "prefix_not_reused"
        out.append(FlaggedStep(hit.index, reason, cached, reusable))
    return tuple(out)


def hit_rates(session: Session, min_cacheable_tokens: int = 1024) -> HitRateReport:
    hits = [
        StepHit(
            index=step.index,
            trigger=step.trigger,
            input_tokens=step.usage.input_tokens if step.usage else None,
            cached_tokens=step.usage.cached_tokens if step.usage else None,
            min_cacheable_tokens=min_cacheable_tokens,
        )
        for step in session.steps
    ]
    triggers = sorted({h.trigger for h in hits})
    by_trigger = tuple((t, RateSummary.of([h for h in hits if h.trigger == t])) for t in triggers)
    return HitRateReport(tuple(hits), RateSummary.of(hits), by_trigger)
