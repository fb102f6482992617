"""The audit of a trace: every diagnostic per session, the policy simulation, and what problems cost.

    Trace --PrefixMap--> hit rate, dynamic prompt, tool calls, idle gaps --> SessionProfile --> simulate

Dollar costs of problems are priced with each session's model entry:
- a dynamic-prompt finding makes the invalidated tokens be computed again instead of read from cache:
  tokens x (re-write price - read price) on Anthropic (the prefix is written again), x (input - read)
  elsewhere;
- an idle gap longer than a cache TTL costs its re-prefill tokens the same way under that cache;
- a tool-result cache would have saved the repeated results' tokens at the input price.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.audit.diagnostics.dynamic_prompt import DynamicPromptReport, dynamic_prompt
from loopcache.audit.diagnostics.hit_rate import FlaggedStep, HitRateReport, explain_flagged, hit_rates
from loopcache.audit.diagnostics.idle_gaps import IdleGapReport, idle_gaps
from loopcache.audit.diagnostics.tool_calls import ToolCallReport, tool_calls
from loopcache.audit.prefix_map import PrefixMap
from loopcache.audit.pricing import ModelPrice, PriceBook, PriceMatch
from loopcache.audit.simulate.profile import SessionProfile
from loopcache.audit.simulate.registry import PolicyRegistry
from loopcache.audit.simulate.replay import Simulation, simulate
from loopcache.audit.step import Session, Trace


def _recompute_rate(price: ModelPrice) -> float:
    """USD per million tokens lost when a cached token has to be computed again."""
    again = price.cache_write_5m_per_mtok if price.provider == "anthropic" else price.input_per_mtok
    return again - price.cache_read_per_mtok


@dataclass(frozen=True)
class SessionAudit:
    session: Session
    prefix_map: PrefixMap
    hit_rate: HitRateReport
    dynamic: DynamicPromptReport
    tools: ToolCallReport
    gaps: IdleGapReport
    price: PriceMatch
    profile: SessionProfile

    @property
    def flagged(self) -> tuple[FlaggedStep, ...]:
        overlaps = [self.prefix_map.prefix_overlap_tokens(i) for i in range(len(self.session.steps))]
        return explain_flagged(self.hit_rate, overlaps)

    @property
    def dynamic_cost_usd(self) -> float:
        return self.price.price.dollars(_recompute_rate(self.price.price), self.dynamic.tokens_invalidated)

    def gap_cost_usd(self, ttl_name: str) -> float:
        expiry = next(e for e in self.gaps.expiries if e.ttl_name == ttl_name)
        return self.price.price.dollars(_recompute_rate(self.price.price), expiry.reprefill_tokens)

    @property
    def tool_cache_saving_usd(self) -> float:
        return self.price.price.dollars(self.price.price.input_per_mtok, self.tools.tokens_saved)


@dataclass(frozen=True)
class AuditReport:
    trace: Trace
    sessions: tuple[SessionAudit, ...]
    simulation: Simulation
    book: PriceBook


def audit_session(session: Session, book: PriceBook, model_override: str | None = None) -> SessionAudit:
    """All diagnostics of one session; `model_override` prices it as that model instead of its own."""
    prefix_map = PrefixMap.of(session)
    tools = tool_calls(session)
    ttls = tuple((c.name, c.ttl_s) for c in book.caches)
    model = next((s.model for s in session.steps if s.model), None)
    price = book.for_model(model_override or model)
    return SessionAudit(
        session=session,
        prefix_map=prefix_map,
        hit_rate=hit_rates(session, price.price.min_cacheable_tokens),
        dynamic=dynamic_prompt(session, prefix_map),
        tools=tools,
        gaps=idle_gaps(session, prefix_map, ttls),
        price=price,
        profile=SessionProfile.of(session, prefix_map, tools),
    )


def audit_trace(
    trace: Trace, book: PriceBook, registry: PolicyRegistry | None = None, model_override: str | None = None
) -> AuditReport:
    sessions = tuple(audit_session(s, book, model_override) for s in trace.sessions if s.steps)
    registry = registry or PolicyRegistry.default(book)
    simulation = simulate(tuple(s.profile for s in sessions), tuple(s.price.price for s in sessions), registry)
    return AuditReport(trace, sessions, simulation, book)
