"""`loopcache demo`: an agent loop on the default model, then a restart that resumes the session from disk.

The demo keeps its cache in `<home>/demo`, emptied at the start of each run, so every run shows the same
thing: step 1 computes everything, later steps compute only what is new, and a fresh process finds the
session on disk. The loop has the benchmark's shape (a ~500-token system prompt, a ~600-token tool result
per step) with shorter answers (`DEMO_SHAPE`: 64 tokens, not 200), and it stops adding steps once
`budget_s` has passed, so it takes a few minutes even on a slow machine; it says when it stopped early.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from loopcache.config import RunConfig
from loopcache.workload.agent_loop import AgentLoop, LoopShape, StepRecord, prefill_amplification
from loopcache.workload.resume import FreshProcess, ResumeRequest, run_in_subprocess

DEMO_SHAPE = LoopShape(output_tokens=64)
DEMO_BUDGET_S = 120.0  # for the loop; the restart adds a fresh process and two prefills of the last prompt


@dataclass(frozen=True)
class DemoResult:
    ready_s: float
    steps: list[StepRecord]
    resumed: dict[str, Any]
    resumed_baseline: dict[str, Any]
    resumed_ready_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "ready_s": self.ready_s,
            "steps": [s.to_dict() for s in self.steps],
            "prefill_amplification": prefill_amplification(self.steps),
            "restart": {
                "ready_s": self.resumed_ready_s,
                "resumed": self.resumed,
                "uncached": self.resumed_baseline,
            },
        }


def _step_table(steps: list[StepRecord], title: str) -> Table:
    table = Table(title=title)
    for col in ("step", "prompt", "cached", "computed", "fresh", "TTFT s", "from"):
        table.add_column(col, justify="right")
    for s in steps:
        tiers = ", ".join(f"{k} {v}" for k, v in s.cached_tokens_by_tier.items()) or "-"
        table.add_row(
            str(s.step), str(s.prompt_tokens), str(s.cached_tokens), str(s.computed_tokens), str(s.fresh_tokens),
            f"{s.ttft_s:.3f}", tiers,
        )
    return table


def run_demo(config: RunConfig, shape: LoopShape, console: Console, json_path: Path | None = None,
             budget_s: float = DEMO_BUDGET_S) -> DemoResult:
    from loopcache.engine.factory import open_engine

    t0 = time.perf_counter()
    demo_root = config.home / "demo"
    shutil.rmtree(demo_root, ignore_errors=True)
    run = config.with_cache_root(demo_root)

    console.print("loading the model (the first run converts the GGUF once, ~30 s)")
    engine = open_engine(run)
    engine.warmup()
    ready_s = time.perf_counter() - t0
    console.print(f"[bold]{engine.model.name}[/] ready in {ready_s:.1f} s ({engine.model.dtype}, {engine.model.device})")

    session = f"demo-{uuid.uuid4().hex[:8]}"
    loop = AgentLoop.start(engine.model.tokenizer, shape)
    steps: list[StepRecord] = []
    t_loop = time.perf_counter()
    while loop.fits(engine, steps=2):  # leave room for the step the restarted process runs
        if steps and time.perf_counter() - t_loop > budget_s:
            console.print(f"stopping the loop after {len(steps)} steps: the demo's {budget_s:.0f} s budget is spent")
            break
        s = loop.run_step(engine, session)
        steps.append(s)
        console.print(f"step {s.step}: {s.prompt_tokens} tokens, {s.cached_tokens} cached, {s.computed_tokens} "
                      f"computed, TTFT {s.ttft_s:.2f} s, {s.completion_tokens} tokens out "
                      f"[{time.perf_counter() - t0:.0f} s]")
    engine.close()  # drains the write-behind queue: everything is on disk now
    console.print(_step_table(steps, f"agent loop, session {session} (memory + disk tiers)"))

    console.print("restarting: a fresh process resumes the session from disk (and runs the step uncached too)")
    out = run_in_subprocess(ResumeRequest(FreshProcess.of(run, demo_root), session, loop.to_state(), baseline=True))
    resumed, baseline = out["record"], out["baseline"]
    table = Table(title=f"step {resumed['step']} in a fresh process (empty memory tier)")
    for col in ("run", "prompt", "cached", "computed", "TTFT s"):
        table.add_column(col, justify="right")
    table.add_row("no cache", str(baseline["prompt_tokens"]), "0", str(baseline["computed_tokens"]),
                  f"{baseline['ttft_s']:.3f}")
    table.add_row("resumed from disk", str(resumed["prompt_tokens"]), str(resumed["cached_tokens"]),
                  str(resumed["computed_tokens"]), f"{resumed['ttft_s']:.3f}")
    console.print(table)
    prefetched = resumed["cached_tokens_by_tier"].get("memory", 0)
    if prefetched:  # the memory tier started empty: these came from disk, moved up at start-up
        console.print(f"{prefetched} of the cached tokens were prefetched from disk into memory while the fresh "
                      "process started (the session was active before the restart)")
    speedup = baseline["ttft_s"] / resumed["ttft_s"] if resumed["ttft_s"] else float("inf")
    console.print(
        f"after the restart, TTFT is [bold]{speedup:.1f}x[/] lower than without a cache; "
        f"prefill amplification over steps 2..{len(steps)}: {prefill_amplification(steps):.3f}"
    )
    result = DemoResult(ready_s, steps, resumed, baseline, out["ready_s"])
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_dict(), indent=1))
        console.print(f"wrote {json_path}")
    return result
