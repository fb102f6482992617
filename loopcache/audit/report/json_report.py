"""The machine-readable audit (`--json PATH`). Schema `loopcache-audit/1`, documented in docs/audit.md.

Stable: fields are only ever added. Token counts are integers; rates are fractions in [0, 1] or null when
there is nothing to measure (a session without cache fields has `hit_rate.token_weighted: null`, never 0).
"""

from __future__ import annotations

import json
from pathlib import Path

from loopcache.audit.audit import AuditReport, SessionAudit
from loopcache.audit.simulate.replay import PolicySummary

SCHEMA = "loopcache-audit/1"


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def policy_dict(summary: PolicySummary) -> dict:
    return {
        "policy": summary.policy,
        "input_tokens": summary.input_tokens,
        "read_tokens": summary.read_tokens,
        "write_tokens": summary.write_tokens,
        "computed_tokens": summary.computed_tokens,
        "fresh_tokens": summary.fresh_tokens,
        "output_tokens": summary.output_tokens,
        "prefill_amplification": _rate(summary.amplification),
        "hit_rate": _rate(summary.hit_rate),
        "cost_usd": round(summary.cost_usd, 6),
        "tool_calls_saved": summary.tool_calls_saved,
    }


def _steps(audit: SessionAudit) -> list[dict]:
    out = []
    for i, step in enumerate(audit.session.steps):
        hit = audit.hit_rate.steps[i]
        out.append(
            {
                "index": step.index,
                "trigger": step.trigger,
                "model": step.model,
                "input_tokens": audit.prefix_map.steps[i].input_tokens,
                "input_tokens_source": "reported" if step.usage else "estimated",
                "output_tokens": step.usage.output_tokens if step.usage else None,
                "cached_tokens_reported": step.usage.cached_tokens if step.usage else None,
                "cache_write_tokens_reported": step.usage.cache_write_tokens if step.usage else None,
                "hit_rate_reported": _rate(hit.hit_rate),
                "flagged_low_hit_rate": hit.is_flagged,
                "prefix_overlap_tokens": audit.prefix_map.prefix_overlap_tokens(i),
                "fresh_tokens": audit.prefix_map.fresh_tokens(i),
                "request_is_exact": step.request.is_exact,
                "gap_s": None if audit.gaps.gaps_s[i] is None else round(audit.gaps.gaps_s[i], 3),
                "started_at": step.started_at,
                "ended_at": step.ended_at,
            }
        )
    return out


def session_dict(audit: SessionAudit, simulation: tuple[PolicySummary, ...]) -> dict:
    hit, tools, gaps = audit.hit_rate, audit.tools, audit.gaps
    known_gaps = [g for g in gaps.gaps_s if g is not None]
    return {
        "session_id": audit.session.session_id,
        "format": audit.session.format,
        "source": audit.session.source,
        "price_model": audit.price.price.model,
        "price_is_default": audit.price.is_default,
        "num_steps": len(audit.session.steps),
        "duration_s": gaps.duration_s,
        "hit_rate": {
            "has_cache_data": hit.has_cache_data,
            "caching_off": hit.is_caching_off,
            "steps_with_data": hit.overall.num_steps,
            "steps_without_data": hit.num_steps_without_data,
            "token_weighted": _rate(hit.overall.token_weighted),
            "step_weighted": _rate(hit.overall.step_weighted),
            "by_trigger": {
                trigger: {"steps": s.num_steps, "token_weighted": _rate(s.token_weighted), "step_weighted": _rate(s.step_weighted)}
                for trigger, s in hit.by_trigger
            },
            "flagged_steps": [
                {"index": f.index, "reason": f.reason, "cached_tokens": f.cached_tokens, "reusable_tokens": f.reusable_tokens}
                for f in audit.flagged
            ],
        },
        "steps": _steps(audit),
        "dynamic_prompt_findings": [
            {
                "step": f.step,
                "parent_step": f.parent_step,
                "kind": f.kind,
                "section": f.section,
                "char_offset": f.char_offset,
                "section_offset": f.section_offset,
                "token_offset": f.token_offset,
                "tokens_invalidated": f.tokens_invalidated,
                "old_text": f.old_text,
                "new_text": f.new_text,
                "fix": f.fix,
            }
            for f in audit.dynamic.findings
        ],
        "dynamic_prompt_cost_usd": round(audit.dynamic_cost_usd, 6),
        "prompt_variants": audit.dynamic.prompt_variants,
        "idle_gaps": {
            **{name: count for name, count in gaps.counts},
            "max_gap_s": round(max(known_gaps), 3) if known_gaps else None,
            "expiries": [
                {
                    "cache": e.ttl_name,
                    "ttl_s": e.ttl_s,
                    "steps": e.num_steps,
                    "reprefill_tokens": e.reprefill_tokens,
                    "cost_usd": round(audit.gap_cost_usd(e.ttl_name), 6),
                }
                for e in gaps.expiries
            ],
        },
        "tool_repeats": {
            "calls": len(tools.uses),
            "exact": tools.count("exact"),
            "canonical": tools.count("canonical"),
            "semantic": tools.count("semantic"),
            "calls_saved": tools.calls_saved,
            "tokens_saved": tools.tokens_saved,
            "saving_usd": round(audit.tool_cache_saving_usd, 6),
            "by_tool": [
                {"name": s.name, "calls": s.num_calls, "result_tokens": s.result_tokens, "max_result_tokens": s.max_result_tokens}
                for s in tools.sizes()
            ],
            "repeats": [
                {"step": u.step, "name": u.name, "kind": u.repeat, "of_step": u.repeat_of_step, "same_result": u.same_result, "arguments": u.raw_arguments}
                for u in tools.uses
                if u.repeat
            ],
        },
        "simulation": [policy_dict(s) for s in simulation],
    }


def report_dict(report: AuditReport, path: str) -> dict:
    return {
        "schema": SCHEMA,
        "trace": {
            "path": path,
            "format": report.trace.format,
            "problems": [{"path": p.path, "line": p.line, "reason": p.reason} for p in report.trace.problems],
        },
        "prices": {"file": report.book.source_path, "date": report.book.date},
        "sessions": [session_dict(a, report.simulation.per_session[k]) for k, a in enumerate(report.sessions)],
        "simulation": [policy_dict(s) for s in report.simulation.overall],
    }


def write_json(report: AuditReport, trace_path: str, out: Path) -> None:
    out.write_text(json.dumps(report_dict(report, trace_path), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
