"""Run every policy over the sessions and price what each did.

Per policy: tokens computed (input not served from cache), fresh tokens (input no earlier step of the
session had, as prompt or output), prefill amplification = computed / fresh, hit rate = read / input,
and cost = uncached input x input price + written x write price + read x read price + output x output
price, each session priced with its own model's entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.audit.pricing import ModelPrice
from loopcache.audit.simulate.policies import StepOutcome
from loopcache.audit.simulate.profile import SessionProfile
from loopcache.audit.simulate.registry import PolicyRegistry


@dataclass(frozen=True)
class PolicySummary:
    policy: str
    input_tokens: int
    read_tokens: int
    write_tokens: int
    fresh_tokens: int
    output_tokens: int
    cost_usd: float
    tool_calls_saved: int

    @property
    def computed_tokens(self) -> int:
        return self.input_tokens - self.read_tokens

    @property
    def hit_rate(self) -> float | None:
        return self.read_tokens / self.input_tokens if self.input_tokens else None

    @property
    def amplification(self) -> float | None:
        return self.computed_tokens / self.fresh_tokens if self.fresh_tokens else None


@dataclass(frozen=True)
class Simulation:
    """`overall` per policy; `per_session[k]` per policy for session k; `per_step[policy][k]` outcomes."""

    overall: tuple[PolicySummary, ...]
    per_session: tuple[tuple[PolicySummary, ...], ...]
    per_step: tuple[tuple[str, tuple[tuple[StepOutcome, ...], ...]], ...]

    def policy(self, name: str) -> PolicySummary:
        return next(s for s in self.overall if s.policy == name)


def _summary(name: str, profile: SessionProfile, outcomes: tuple[StepOutcome, ...], price: ModelPrice, rates: tuple[float, float]) -> PolicySummary:
    read_rate, write_rate = rates
    inputs = sum(s.input_tokens for s in profile.steps)
    read = sum(o.read_tokens for o in outcomes)
    write = sum(o.write_tokens for o in outcomes)
    output = sum(s.output_tokens for s in profile.steps)
    cost = (
        price.dollars(price.input_per_mtok, inputs - read - write)
        + price.dollars(write_rate, write)
        + price.dollars(read_rate, read)
        + price.dollars(price.output_per_mtok, output)
    )
    fresh = sum(s.fresh_tokens for s in profile.steps)
    saved = sum(o.tool_calls_saved for o in outcomes)
    return PolicySummary(name, inputs, read, write, fresh, output, cost, saved)


def _total(name: str, parts: list[PolicySummary]) -> PolicySummary:
    return PolicySummary(
        name,
        sum(p.input_tokens for p in parts),
        sum(p.read_tokens for p in parts),
        sum(p.write_tokens for p in parts),
        sum(p.fresh_tokens for p in parts),
        sum(p.output_tokens for p in parts),
        sum(p.cost_usd for p in parts),
        sum(p.tool_calls_saved for p in parts),
    )


def simulate(profiles: tuple[SessionProfile, ...], prices: tuple[ModelPrice, ...], registry: PolicyRegistry) -> Simulation:
    """`prices[k]` prices session k."""
    per_session: list[list[PolicySummary]] = [[] for _ in profiles]
    overall, per_step = [], []
    for policy in registry.policies:
        outcomes = policy.replay(profiles, prices)
        per_step.append((policy.name, outcomes))
        parts = []
        for k, (profile, price) in enumerate(zip(profiles, prices)):
            summary = _summary(policy.name, profile, outcomes[k], price, policy.rates(price))
            per_session[k].append(summary)
            parts.append(summary)
        overall.append(_total(policy.name, parts))
    return Simulation(tuple(overall), tuple(tuple(s) for s in per_session), tuple(per_step))
