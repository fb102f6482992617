"""Compaction benchmark: a long agent loop on the default model, with and without cache-aware compaction.

    .venv/bin/python bench/compaction.py [--steps 32] [--output-tokens 24] [--json bench/results/compaction.json]

Without compaction the loop stops when its history outgrows the 8K context; with it, every step runs and each
step after a rewrite should reuse >= 90% of its prompt from the cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--output-tokens", type=int, default=24)
    parser.add_argument("--stub-order", default="oldest", choices=("oldest", "newest"))
    parser.add_argument("--keep-last-k", type=int, default=2)
    parser.add_argument("--model", default="default")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", type=Path, default=Path("bench/results/compaction.json"))
    args = parser.parse_args(argv)

    from loopcache.engine.config import EngineConfig
    from loopcache.engine.engine import Engine
    from loopcache.kvcache.memory import MemoryStore
    from loopcache.kvcache.tier_config import default_home
    from loopcache.kvcache.tiered import TieredStore
    from loopcache.model.loader import load_model
    from loopcache.sessions.compaction import CompactionConfig
    from loopcache.workload.compaction_bench import run_compaction_bench

    console = Console()
    model = load_model(args.model, default_home(), device=args.device)
    engine = Engine(model, TieredStore([MemoryStore()]), EngineConfig(threads=args.threads))
    engine.warmup()
    t0 = time.perf_counter()
    config = CompactionConfig(enabled=True, stub_order=args.stub_order, keep_last_k=args.keep_last_k)
    result = run_compaction_bench(engine, args.steps, args.output_tokens, config,
                                  log=lambda line: console.print(f"[{time.perf_counter() - t0:.0f} s] {line}"))
    result["model"], result["device"], result["wall_s"] = model.name, model.device, time.perf_counter() - t0
    engine.close()

    table = Table(title=f"compaction, {model.name} on {model.device}: context {result['context_tokens']}, "
                        f"trigger {result['budget']['trigger_tokens']}, target {result['budget']['target_tokens']}")
    for col in ("step", "history", "prompt", "cached", "hit rate", "rewrite cost", "without: prompt (hit rate)"):
        table.add_column(col, justify="right")
    without = {r["step"]: r for r in result["per_step_without"]}
    for r in result["per_step"]:
        w = without.get(r["step"])
        table.add_row(str(r["step"]), str(r["history_tokens"]), str(r["prompt_tokens"]), str(r["cached_tokens"]),
                      f"{r['hit_rate']:.1%}", f"{r['rewrite_cost_tokens']} REWRITE" if r["rewrote"] else "",
                      f"{w['prompt_tokens']} ({w['hit_rate']:.1%})" if w else "over the context")
    console.print(table)
    low = result["min_hit_rate_after_compaction"]
    console.print(
        f"steps completed: with compaction {result['steps_completed']}/{args.steps}, without "
        f"{result['steps_completed_without']}; {result['compactions']} rewrites costing "
        f"{result['rewrite_cost_tokens']} recomputed tokens; {result['tokens_saved']} tokens saved on the last step; "
        f"lowest hit rate after a compaction {'n/a' if low is None else f'{low:.1%}'} (target >= 90%)"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1))
    console.print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
