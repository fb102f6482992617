"""The synthetic agent-loop table of `loopcache simulate --synthetic`: per step input, new and repeated
tokens and useful-signal density, then the policies side by side, with the assumptions stated."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from loopcache.audit.pricing import PriceMatch
from loopcache.audit.report.terminal import print_simulation
from loopcache.audit.simulate.replay import Simulation
from loopcache.audit.simulate.synthetic import SyntheticLoop


def print_synthetic(console: Console, loop: SyntheticLoop, price: PriceMatch, result: Simulation) -> None:
    console.print(
        f"[bold]Synthetic agent loop[/bold]: {loop.num_steps} steps, system {loop.system_tokens}, "
        f"tool result {loop.tool_tokens}, output {loop.output_tokens} tokens, {loop.gap_s:g}s apart; priced as {price.price.model}"
    )
    console.print(
        "Assumptions: step 1 sends the system prompt (task included); each later step appends the previous "
        "output and one tool result;\nthe previous output counts as new to the prompt but not as fresh "
        "(the model generated it); tools and system prompt never change."
    )
    table = Table(title="Tokens per step")
    for col in ("step", "input", "new", "repeated", "useful-signal density"):
        table.add_column(col, justify="right")
    shown = ("no-cache", "anthropic-5m", "openai-in-memory", "loopcache")
    names = [name for name, _ in result.per_step if name in shown]
    for name in names:
        table.add_column(f"computed {name}", justify="right")
    outcomes = dict(result.per_step)
    for k, row in enumerate(loop.rows()):
        computed = [f"{row.input_tokens - outcomes[n][0][k].read_tokens:,}" for n in names]
        table.add_row(str(row.step), f"{row.input_tokens:,}", f"{row.new_tokens:,}", f"{row.repeated_tokens:,}", f"{100 * row.density:.1f}%", *computed)
    rows = loop.rows()
    total_in = sum(r.input_tokens for r in rows)
    total_new = sum(r.new_tokens for r in rows)
    table.add_row("total", f"{total_in:,}", f"{total_new:,}", f"{total_in - total_new:,}", f"{100 * total_new / total_in:.1f}%", *["" for _ in names])
    console.print(table)
    print_simulation(console, result.overall, "Policies side by side")
