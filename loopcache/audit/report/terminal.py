"""The terminal report: rich tables, one per question, then what to change."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from loopcache.audit.audit import AuditReport, SessionAudit
from loopcache.audit.simulate.replay import PolicySummary


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _usd(value: float) -> str:
    if value == 0:
        return "$0"
    if value < 0.000001:
        return "<$0.000001"
    if value < 0.01:
        return f"${value:.6f}"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def _label(session_id: str, width: int = 44) -> str:
    return session_id if len(session_id) <= width else session_id[: width - 1] + "…"


def _step_list(numbers: list[int]) -> str:
    if not numbers:
        return "none"
    if len(numbers) <= 4:
        return ", ".join(map(str, numbers))
    return f"{', '.join(map(str, numbers[:3]))}, … ({len(numbers)} steps)"


def _shown(report: AuditReport, max_sessions: int) -> list[SessionAudit]:
    ranked = sorted(report.sessions, key=lambda a: -sum(s.input_tokens for s in a.prefix_map.steps))
    return ranked[:max_sessions]


def print_header(console: Console, report: AuditReport, path: str) -> None:
    steps = sum(len(a.session.steps) for a in report.sessions)
    console.print(f"[bold]loopcache audit[/bold] {path}  format={report.trace.format}  sessions={len(report.sessions)}  steps={steps}")
    console.print(f"prices: {report.book.source_path} (dated {report.book.date})")
    for problem in report.trace.problems:
        console.print(f"[yellow]![/yellow] {problem.describe()}")
    defaults = sorted({a.session.session_id for a in report.sessions if a.price.is_default})
    if defaults:
        console.print(f"[yellow]model unknown for {len(defaults)} session(s): priced as {report.book.default_model}[/yellow] (use --model)")


def print_hit_rates(console: Console, report: AuditReport, max_sessions: int) -> None:
    table = Table(title="1. Provider-reported cache hit rate")
    table.add_column("session", no_wrap=True)
    for col in ("steps", "token-weighted", "step-weighted", "after user", "after tool", "flagged steps (3+, <70%)"):
        table.add_column(col, justify="right")
    for audit in _shown(report, max_sessions):
        hit = audit.hit_rate
        if not hit.has_cache_data:
            table.add_row(_label(audit.session.session_id), str(len(audit.session.steps)), "[dim]no cache data[/dim]", "-", "-", "-", "-")
            continue
        triggers = dict(hit.by_trigger)
        flagged = _step_list([h.index + 1 for h in hit.flagged])
        missing = f" ({hit.num_steps_without_data} without data)" if hit.num_steps_without_data else ""
        table.add_row(
            _label(audit.session.session_id), f"{len(audit.session.steps)}{missing}", _pct(hit.overall.token_weighted), _pct(hit.overall.step_weighted),
            _pct(triggers["user"].token_weighted if "user" in triggers else None),
            _pct(triggers["tool"].token_weighted if "tool" in triggers else None), flagged,
        )
    console.print(table)


def print_steps(console: Console, audit: SessionAudit) -> None:
    table = Table(title=f"Steps of {audit.session.session_id}")
    for col in ("step", "trigger", "input", "cached (reported)", "prefix overlap", "fresh", "gap"):
        table.add_column(col, justify="right", no_wrap=True)
    for i, step in enumerate(audit.session.steps):
        cached = step.usage.cached_tokens if step.usage else None
        table.add_row(
            str(i + 1), step.trigger, f"{audit.prefix_map.steps[i].input_tokens:,}", "-" if cached is None else f"{cached:,}",
            f"{audit.prefix_map.prefix_overlap_tokens(i):,}", f"{audit.prefix_map.fresh_tokens(i):,}", _duration(audit.gaps.gaps_s[i]),
        )
    console.print(table)


def print_dynamic(console: Console, report: AuditReport, max_rows: int) -> None:
    findings = [(a, f) for a in report.sessions for f in a.dynamic.findings]
    variants = sum(a.dynamic.prompt_variants for a in report.sessions)
    if not findings:
        note = f" ({variants} step(s) started a different prompt, e.g. another agent)" if variants else ""
        console.print(f"[green]2. Dynamic prompt content: none found[/green] - every step extends an earlier prompt{note}")
        return
    table = Table(title=f"2. Dynamic prompt content: {len(findings)} prefix break(s)")
    for col in ("session", "step", "kind", "where", "tokens invalidated", "was -> now"):
        table.add_column(col)
    for audit, f in sorted(findings, key=lambda af: -af[1].tokens_invalidated)[:max_rows]:
        where = f"{f.section} char {f.section_offset} (prompt char {f.char_offset}, token ~{f.token_offset:,})"
        change = f"{f.old_text[30:60]!r} -> {f.new_text[30:60]!r}"
        table.add_row(_label(audit.session.session_id, 28), str(f.step + 1), f.kind, where, f"{f.tokens_invalidated:,}", change)
    console.print(table)
    for kind in sorted({f.kind for _, f in findings}):
        fix = next(f.fix for _, f in findings if f.kind == kind)
        console.print(f"  [bold]{kind}[/bold]: {fix}")


def print_tools(console: Console, report: AuditReport) -> None:
    sizes: dict[str, list[int]] = {}
    for audit in report.sessions:
        for use in audit.tools.uses:
            sizes.setdefault(use.name, []).append(use.result_tokens)
    if not sizes:
        console.print("3. Tool calls: none in this trace")
        return
    table = Table(title="3. Tool output size (tokens, estimated)")
    for col in ("tool", "calls", "total", "mean", "max"):
        table.add_column(col, justify="right")
    for name, values in sorted(sizes.items(), key=lambda kv: -sum(kv[1]))[:15]:
        table.add_row(name, str(len(values)), f"{sum(values):,}", f"{sum(values) // len(values):,}", f"{max(values):,}")
    console.print(table)
    count = {k: sum(a.tools.count(k) for a in report.sessions) for k in ("exact", "canonical", "semantic")}
    saved_calls = sum(a.tools.calls_saved for a in report.sessions)
    saved_tokens = sum(a.tools.tokens_saved for a in report.sessions)
    saved_usd = sum(a.tool_cache_saving_usd for a in report.sessions)
    console.print(
        f"  repeats: {count['exact']} exact, {count['canonical']} canonical, {count['semantic']} near (semantic); "
        f"a tool-result cache would have answered {saved_calls} call(s) with an identical result "
        f"({saved_tokens:,} result tokens, {_usd(saved_usd)})"
    )


def print_gaps(console: Console, report: AuditReport, max_sessions: int) -> None:
    table = Table(title="4. Session length and idle gaps")
    table.add_column("session", no_wrap=True)
    for col in ("duration", "max gap", ">5m", ">1h", ">24h"):
        table.add_column(col, justify="right")
    for audit in _shown(report, max_sessions):
        gaps = [g for g in audit.gaps.gaps_s if g is not None]
        counts = dict(audit.gaps.counts)
        table.add_row(
            _label(audit.session.session_id), _duration(audit.gaps.duration_s), _duration(max(gaps) if gaps else None),
            str(counts["over_5m"]), str(counts["over_1h"]), str(counts["over_24h"]),
        )
    console.print(table)
    if not any(g is not None for a in report.sessions for g in a.gaps.gaps_s):
        console.print("  [dim]this trace has no timestamps: gaps unknown[/dim]")
        return
    for cache in report.book.caches:
        tokens = sum(next(e for e in a.gaps.expiries if e.ttl_name == cache.name).reprefill_tokens for a in report.sessions)
        steps = sum(next(e for e in a.gaps.expiries if e.ttl_name == cache.name).num_steps for a in report.sessions)
        usd = sum(a.gap_cost_usd(cache.name) for a in report.sessions)
        console.print(f"  {cache.name} (TTL {_duration(cache.ttl_s)}): {steps} step(s) after expiry, {tokens:,} tokens re-prefilled, {_usd(usd)}")


def print_simulation(console: Console, summaries: tuple[PolicySummary, ...], title: str) -> None:
    table = Table(title=title)
    table.add_column("policy", no_wrap=True)
    for col in ("computed", "fresh", "amplif.", "hit rate", "cost", "tools saved"):
        table.add_column(col, justify="right", no_wrap=True)
    for s in summaries:
        amp = "-" if s.amplification is None else f"{s.amplification:.2f}x"
        table.add_row(s.policy, f"{s.computed_tokens:,}", f"{s.fresh_tokens:,}", amp, _pct(s.hit_rate), _usd(s.cost_usd), str(s.tool_calls_saved))
    console.print(table)


def print_advice(console: Console, report: AuditReport) -> None:
    lines: list[tuple[float, str]] = []
    dynamic_usd = sum(a.dynamic_cost_usd for a in report.sessions)
    if dynamic_usd > 0:
        lines.append((dynamic_usd, f"Fix the prefix breaks above (section 2): {_usd(dynamic_usd)} of cached prefix recomputed."))
    gap_costs = [(cache.name, sum(a.gap_cost_usd(cache.name) for a in report.sessions)) for cache in report.book.caches]
    if any(usd > 0 for _, usd in gap_costs):
        costs = ", ".join(f"{name} {_usd(usd)}" for name, usd in gap_costs)
        lines.append((max(usd for _, usd in gap_costs), f"Idle gaps longer than a cache TTL cost re-prefill ({costs}): keep sessions warm, choose a longer TTL, or use a persistent cache."))
    tool_usd = sum(a.tool_cache_saving_usd for a in report.sessions)
    if tool_usd > 0:
        lines.append((tool_usd, f"Cache read-only tool results (loopcache toolcache): saves {_usd(tool_usd)} of tool output tokens and the calls themselves."))
    flagged = [f for a in report.sessions for f in a.flagged]
    if flagged:
        reasons = {r: sum(1 for f in flagged if f.reason == r) for r in ("new_content", "routed_elsewhere", "prefix_not_reused")}
        lines.append((0.0, f"{len(flagged)} step(s) from step 3 on hit under 70% of their input: {reasons['new_content']} because they "
                           f"mostly add new tokens (large tool outputs: see section 3), {reasons['routed_elsewhere']} right after a call "
                           f"without cache fields, {reasons['prefix_not_reused']} where the provider read much less than the reusable prefix."))
    if any(f.reason == "routed_elsewhere" for f in flagged):
        lines.append((0.0, "Calls of one session went to different endpoints (e.g. Anthropic and Bedrock through a proxy): each has its "
                           "own cache, so send every call of a session to the same endpoint."))
    off = [a for a in report.sessions if a.hit_rate.is_caching_off]
    if off:
        usd = sum(a.price.price.dollars(a.price.price.input_per_mtok - a.price.price.cache_read_per_mtok, sum(a.prefix_map.prefix_overlap_tokens(i) for i in range(len(a.session.steps)))) for a in off)
        lines.append((usd, f"{len(off)} session(s) report cache fields that are always 0: prompt caching is not enabled. "
                           f"Enabling it would read the repeated prefix instead of recomputing it (saves about {_usd(usd)}: reused prefix tokens "
                           "at the cache-read price instead of the input price, write premiums not counted; "
                           "Anthropic: add cache_control breakpoints; OpenAI: keep prompts >= 1024 tokens and the prefix stable)."))
    no_usage = [a for a in report.sessions if all(step.usage is None for step in a.session.steps)]
    no_fields = [a for a in report.sessions if not a.hit_rate.has_cache_data and a not in no_usage]
    if no_fields:
        lines.append((0.0, f"{len(no_fields)} session(s) report usage without cache fields (e.g. Bedrock-routed calls, or a provider "
                           "that does not report them): their hit rate is unknown, not 0%."))
    if no_usage:
        lines.append((0.0, f"{len(no_usage)} session(s) have no usage in the log: token counts are estimated from the text "
                           "(see loopcache/audit/tokens.py), hit rates unknown."))
    console.print("[bold]What to change[/bold]")
    if not lines:
        console.print("  nothing found: the prompt prefix is stable and steps come within the cache TTLs.")
    for _, line in sorted(lines, key=lambda x: -x[0]):
        console.print(f"  - {line}")


def print_audit(console: Console, report: AuditReport, path: str, max_sessions: int = 15) -> None:
    print_header(console, report, path)
    print_hit_rates(console, report, max_sessions)
    if len(report.sessions) == 1:
        print_steps(console, report.sessions[0])
    print_dynamic(console, report, max_rows=20)
    print_tools(console, report)
    print_gaps(console, report, max_sessions)
    print_simulation(console, report.simulation.overall, "Replay under cache policies (all sessions)")
    print_advice(console, report)
