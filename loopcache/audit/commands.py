"""CLI adapter: `loopcache audit` and `loopcache simulate`. Parses options, calls the audit API, renders."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

_FORMAT_HELP = "Trace format (skips detection): openhands, claude-code, codex, inspect, tau2-bench, tau-bench, crewai, anthropic-log, openai-log."


def _load(trace: Path, format_name: str | None, prices: Path | None, model: str | None, session: str | None, engine_capacity: int | None):
    from loopcache.audit.audit import audit_trace
    from loopcache.audit.pricing import PriceBook
    from loopcache.audit.readers.registry import ReaderRegistry, UnknownFormatError
    from loopcache.audit.simulate.registry import PolicyRegistry

    try:
        book = PriceBook.load(prices)
        data = ReaderRegistry.default().read(trace, format_name)
    except FileNotFoundError as exc:
        raise typer.BadParameter(f"no such file or folder: {exc}") from exc
    except (UnknownFormatError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    if session is not None:
        chosen = tuple(s for s in data.sessions if s.session_id == session)
        if not chosen:
            raise typer.BadParameter(f"no session {session!r}; sessions: {', '.join(s.session_id for s in data.sessions[:20])}")
        data = replace(data, sessions=chosen)
    if not any(s.steps for s in data.sessions):
        detail = "; ".join(p.describe() for p in data.problems[:3])
        raise typer.BadParameter(f"{trace}: no LLM calls found" + (f" ({detail})" if detail else ""))
    return audit_trace(data, book, PolicyRegistry.default(book, engine_capacity), model)


def _console():  # noqa: ANN202 - rich.console.Console, imported lazily
    """A console at least 132 columns wide: tables are never cut short (a narrow terminal wraps them)."""
    from rich.console import Console

    return Console(width=max(Console().width, 132))


def register(app: typer.Typer) -> None:
    """Add the `audit` and `simulate` commands to `app`."""

    @app.command("audit")
    def audit_command(
        trace: Path = typer.Argument(..., help="A trace file or folder (format auto-detected)."),
        format_name: Optional[str] = typer.Option(None, "--format", help=_FORMAT_HELP),
        json_path: Optional[Path] = typer.Option(None, "--json", help="Write the machine-readable report here."),
        html_path: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report with charts here."),
        prices: Optional[Path] = typer.Option(None, "--prices", help="Price/TTL file to use instead of the packaged one."),
        model: Optional[str] = typer.Option(None, "--model", help="Price every session as this model."),
        session: Optional[str] = typer.Option(None, "--session", help="Audit only this session id (shows its steps)."),
        max_sessions: int = typer.Option(15, "--max-sessions", help="Rows shown in per-session tables (largest first)."),
        engine_capacity: Optional[int] = typer.Option(None, "--engine-capacity", help="Tokens held by the simulated engine prefix cache."),
    ) -> None:
        """Where an agent's prompt caching breaks, and what it costs: hit rate per step, dynamic prompt
        content, repeated tool calls, idle gaps against cache TTLs, and a replay under cache policies."""
        from loopcache.audit.report.html_report import write_html
        from loopcache.audit.report.json_report import write_json
        from loopcache.audit.report.terminal import print_audit

        report = _load(trace, format_name, prices, model, session, engine_capacity)
        console = _console()
        print_audit(console, report, str(trace), max_sessions)
        if json_path is not None:
            write_json(report, str(trace), json_path)
            console.print(f"JSON report: {json_path}")
        if html_path is not None:
            write_html(report, str(trace), html_path)
            console.print(f"HTML report: {html_path}")

    @app.command("simulate")
    def simulate_command(
        trace: Optional[Path] = typer.Argument(None, help="A trace file or folder; omit with --synthetic."),
        synthetic: bool = typer.Option(False, "--synthetic", help="Simulate the classic agent loop instead of a trace."),
        steps: int = typer.Option(10, "--steps", help="Synthetic loop: number of steps."),
        system: int = typer.Option(500, "--system", help="Synthetic loop: system prompt tokens."),
        tool: int = typer.Option(600, "--tool", help="Synthetic loop: tokens of each tool result."),
        output: int = typer.Option(200, "--output", help="Synthetic loop: output tokens per step."),
        gap: float = typer.Option(10.0, "--gap", help="Synthetic loop: seconds between steps."),
        format_name: Optional[str] = typer.Option(None, "--format", help=_FORMAT_HELP),
        policy: Optional[list[str]] = typer.Option(None, "--policy", help="Only these policies (repeatable)."),
        prices: Optional[Path] = typer.Option(None, "--prices", help="Price/TTL file to use instead of the packaged one."),
        model: Optional[str] = typer.Option(None, "--model", help="Price as this model."),
        engine_capacity: Optional[int] = typer.Option(None, "--engine-capacity", help="Tokens held by the simulated engine prefix cache."),
        json_path: Optional[Path] = typer.Option(None, "--json", help="Write the per-policy results here."),
    ) -> None:
        """Replay a trace (or a synthetic agent loop) under cache policies: tokens computed, prefill
        amplification, hit rate and cost side by side."""
        import json

        from loopcache.audit.pricing import PriceBook
        from loopcache.audit.report.json_report import policy_dict
        from loopcache.audit.report.synthetic_table import print_synthetic
        from loopcache.audit.report.terminal import print_simulation
        from loopcache.audit.simulate.registry import PolicyRegistry
        from loopcache.audit.simulate.replay import simulate
        from loopcache.audit.simulate.synthetic import SyntheticLoop

        console = _console()
        if synthetic:
            try:
                book = PriceBook.load(prices)
                loop = SyntheticLoop(steps, system, tool, output, gap)
                registry = PolicyRegistry.default(book, engine_capacity)
                registry = registry.select(tuple(policy)) if policy else registry
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from exc
            price = book.for_model(model)
            result = simulate((loop.profile(price.price.model),), (price.price,), registry)
            print_synthetic(console, loop, price, result)
        else:
            if trace is None:
                raise typer.BadParameter("give a TRACE, or --synthetic")
            report = _load(trace, format_name, prices, model, None, engine_capacity)
            result = report.simulation
            if policy:
                known = [s.policy for s in result.overall]
                unknown = [name for name in policy if name not in known]
                if unknown:
                    raise typer.BadParameter(f"unknown policy {', '.join(unknown)}; known: {', '.join(known)}")
                result = replace(result, overall=tuple(s for s in result.overall if s.policy in policy))
            console.print(f"[bold]loopcache simulate[/bold] {trace}  format={report.trace.format}  sessions={len(report.sessions)}")
            print_simulation(console, result.overall, "Replay under cache policies (all sessions)")
            if 1 < len(report.sessions) <= 5:
                for audit, per in zip(report.sessions, result.per_session):
                    shown = tuple(s for s in per if not policy or s.policy in policy)
                    print_simulation(console, shown, f"Session {audit.session.session_id}")
        if json_path is not None:
            json_path.write_text(json.dumps([policy_dict(s) for s in result.overall], indent=2) + "\n", encoding="utf-8")
            console.print(f"JSON: {json_path}")
