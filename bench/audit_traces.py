"""Audit every real trace in ../shared/traces: per-trace hit rates, findings and the policy replay.

Prints one table and writes bench/results/audit_traces.json. Not a test: it reports what the audit
measures on real agent logs (see docs/audit.md).

    .venv/bin/python bench/audit_traces.py [TRACES_DIR]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from loopcache.audit.audit import audit_trace
from loopcache.audit.pricing import PriceBook
from loopcache.audit.readers.registry import ReaderRegistry

FOLDERS = ("openhands-swebench", "tracelab", "inspect-ai", "crewai-cassettes", "tau2-bench", "tau-bench")


def _reported(report) -> tuple[float | None, int]:
    steps = [s for a in report.sessions for s in a.session.steps if s.usage and s.usage.cached_tokens is not None]
    tokens = sum(s.usage.input_tokens for s in steps)
    return (sum(s.usage.cached_tokens for s in steps) / tokens if tokens else None), len(steps)


def _findings(report) -> dict[str, dict[str, int]]:
    """kind -> {"count", "tokens_invalidated"} over all sessions."""
    out: dict[str, dict[str, int]] = {}
    for audit in report.sessions:
        for kind, (count, tokens) in audit.dynamic.by_kind().items():
            entry = out.setdefault(kind, {"count": 0, "tokens_invalidated": 0})
            entry["count"] += count
            entry["tokens_invalidated"] += tokens
    return out


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / ".." / "shared" / "traces"
    book, registry, console = PriceBook.load(), ReaderRegistry.default(), Console(width=160)
    table = Table(title=f"loopcache audit on {root}")
    for col in ("trace", "sessions", "steps", "reported hit", "findings", "tool saves", ">5m gaps", "amplif. no-cache", "anthropic-5m", "loopcache", "seconds"):
        table.add_column(col, justify="right")
    rows = []
    for folder in FOLDERS:
        started = time.perf_counter()
        report = audit_trace(registry.read(root / folder), book)
        seconds = time.perf_counter() - started
        hit, with_data = _reported(report)
        sim = {s.policy: s for s in report.simulation.overall}
        row = {
            "trace": folder,
            "sessions": len(report.sessions),
            "steps": sum(len(a.session.steps) for a in report.sessions),
            "steps_with_cache_data": with_data,
            "reported_hit_rate": hit,
            "dynamic_findings": _findings(report),
            "tool_calls_saved": sum(a.tools.calls_saved for a in report.sessions),
            "gaps_over_5m": sum(a.gaps.count("over_5m") for a in report.sessions),
            "amplification": {name: s.amplification for name, s in sim.items()},
            "hit_rate": {name: s.hit_rate for name, s in sim.items()},
            "cost_usd": {name: s.cost_usd for name, s in sim.items()},
            "seconds": seconds,
        }
        rows.append(row)
        table.add_row(
            folder, str(row["sessions"]), str(row["steps"]), "-" if hit is None else f"{100 * hit:.1f}%",
            str(sum(len(a.dynamic.findings) for a in report.sessions)), str(row["tool_calls_saved"]), str(row["gaps_over_5m"]),
            f"{sim['no-cache'].amplification:.2f}x", f"{sim['anthropic-5m'].amplification:.2f}x", f"{sim['loopcache'].amplification:.2f}x",
            f"{seconds:.1f}",
        )
    console.print(table)
    out = Path(__file__).resolve().parent / "results" / "audit_traces.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    console.print(f"JSON: {out}")


if __name__ == "__main__":
    main()
