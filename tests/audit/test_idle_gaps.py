"""Idle gaps of 9 and 70 minutes are counted against 5m / 1h / 24h and priced as re-prefill."""

from __future__ import annotations

from loopcache.audit.audit import audit_session
from loopcache.audit.diagnostics.idle_gaps import idle_gaps, step_gaps
from loopcache.audit.prefix_map import PrefixMap
from loopcache.audit.pricing import PriceBook
from .planted import STATIC_POLICY, PlantedStep, openai_log, read


def _session(tmp_path):
    system = "You are a travel agent.\n" + STATIC_POLICY
    offsets = [0, 20, 20 + 9 * 60, 20 + 9 * 60 + 70 * 60, 20 + 79 * 60 + 15]
    return read(openai_log(tmp_path / "gaps.jsonl", [PlantedStep(system=system, at_s=t) for t in offsets])).sessions[0]


def test_gaps_are_end_to_start(tmp_path):
    gaps = step_gaps(_session(tmp_path))
    # Each planted call lasts 2 s: the gap is from one call's end to the next one's start.
    assert gaps == (None, 18.0, 9 * 60 - 2.0, 70 * 60 - 2.0, 15 - 2.0)


def test_gap_counts_and_reprefill(tmp_path):
    session = _session(tmp_path)
    prefix_map = PrefixMap.of(session)
    report = idle_gaps(session, prefix_map, (("anthropic-5m", 300.0), ("anthropic-1h", 3600.0), ("openai-24h", 86400.0)))
    assert dict(report.counts) == {"over_5m": 2, "over_1h": 1, "over_24h": 0}
    assert report.duration_s == 20 + 79 * 60 + 15 + 2.0
    expiries = {e.ttl_name: e for e in report.expiries}
    assert expiries["anthropic-5m"].num_steps == 2
    assert expiries["anthropic-5m"].reprefill_tokens == prefix_map.prefix_overlap_tokens(2) + prefix_map.prefix_overlap_tokens(3)
    assert expiries["anthropic-1h"].num_steps == 1
    assert expiries["anthropic-1h"].reprefill_tokens == prefix_map.prefix_overlap_tokens(3) > 0
    assert expiries["openai-24h"].num_steps == 0 and expiries["openai-24h"].reprefill_tokens == 0


def test_gap_cost_uses_the_price_file(tmp_path):
    book = PriceBook.load()
    audit = audit_session(_session(tmp_path), book)
    assert audit.price.price.model == "gpt-4o"
    tokens = next(e for e in audit.gaps.expiries if e.ttl_name == "openai-in-memory").reprefill_tokens
    # OpenAI: an expired prefix is computed again at the input price instead of the cached price.
    assert audit.gap_cost_usd("openai-in-memory") == tokens * (2.5 - 1.25) / 1e6
