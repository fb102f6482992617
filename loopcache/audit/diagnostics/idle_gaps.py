"""Diagnostic 4: session length and idle gaps against cache lifetimes.

The gap before step i is the time from the end of step i-1 to the start of step i (when a log keeps only
one time per call, the difference of those times). A gap longer than a cache's TTL means the cached prefix
expired: the next step recomputes (and, on Anthropic, re-writes) the prefix it shares with earlier steps.
That re-prefill is counted per cache lifetime, in tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.audit.prefix_map import PrefixMap
from loopcache.audit.step import Session, Step

THRESHOLDS_S = (("over_5m", 300.0), ("over_1h", 3600.0), ("over_24h", 86400.0))


@dataclass(frozen=True)
class GapExpiry:
    """Under a cache that forgets after `ttl_s` idle seconds: the steps that found it expired and the
    prefix tokens they had to compute again."""

    ttl_name: str
    ttl_s: float
    num_steps: int
    reprefill_tokens: int


@dataclass(frozen=True)
class IdleGapReport:
    gaps_s: tuple[float | None, ...]
    duration_s: float | None
    counts: tuple[tuple[str, int], ...]
    expiries: tuple[GapExpiry, ...]

    def count(self, name: str) -> int:
        return dict(self.counts)[name]


def _start(step: Step) -> float | None:
    return step.started_at if step.started_at is not None else step.ended_at


def _end(step: Step) -> float | None:
    return step.ended_at if step.ended_at is not None else step.started_at


def step_gaps(session: Session) -> tuple[float | None, ...]:
    gaps: list[float | None] = [None]
    for previous, step in zip(session.steps, session.steps[1:]):
        start, end = _start(step), _end(previous)
        gaps.append(None if start is None or end is None else max(0.0, start - end))
    return tuple(gaps[: len(session.steps)])


def idle_gaps(session: Session, prefix_map: PrefixMap, ttls: tuple[tuple[str, float], ...]) -> IdleGapReport:
    """`ttls` are (name, seconds) pairs of the cache lifetimes to compare against (from the price file)."""
    gaps = step_gaps(session)
    starts = [t for t in (_start(s) for s in session.steps) if t is not None]
    ends = [t for t in (_end(s) for s in session.steps) if t is not None]
    duration = (max(ends) - min(starts)) if starts and ends else None
    counts = tuple((name, sum(1 for g in gaps if g is not None and g > limit)) for name, limit in THRESHOLDS_S)
    expiries = []
    for name, ttl in ttls:
        hit = [i for i, g in enumerate(gaps) if g is not None and g > ttl]
        tokens = sum(prefix_map.prefix_overlap_tokens(i) for i in hit)
        expiries.append(GapExpiry(name, ttl, len(hit), tokens))
    return IdleGapReport(gaps, duration, counts, tuple(expiries))
