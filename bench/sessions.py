"""Session-aware memory management vs plain LRU: many agent sessions, a small memory tier, long pauses, a
restart in the middle. Real compute (default model), simulated clock for the gaps.

    .venv/bin/python bench/sessions.py [--sessions 16] [--steps 10] [--json bench/results/sessions.json]

Three policies, the same prompts in the same order:
    lru_memory      memory tier only, least recently used evicted first (an in-GPU prefix cache, vLLM-like)
    lru_disk        memory + disk tiers, both plain LRU (loopcache before sessions)
    session_aware   memory + disk, session-aware eviction (sessions/eviction.py), prefetch on resume, ended
                    sessions' blocks first
The memory tier holds about 4 sessions' KV and the disk tier about `--disk-sessions`; sessions start
staggered and end after their last step, so the disk holds live and finished sessions side by side.
Reported: prefill amplification (computed / fresh tokens), TTFT p50/p95 of resumed steps (after a pause
longer than a tool call, or after the restart) against warm steps, bytes read from disk.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loopcache.config import RunConfig  # noqa: E402
from loopcache.engine.config import EngineConfig  # noqa: E402
from loopcache.engine.engine import Engine  # noqa: E402
from loopcache.model.loader import load_model  # noqa: E402
from loopcache.workload.session_bench import POLICIES, RESUMED_GAP_S, run_policy  # noqa: E402
from loopcache.workload.session_mix import MixShape, SessionMix  # noqa: E402

def _print_table(results: dict[str, dict[str, Any]]) -> None:
    head = f"{'policy':<14} {'amplification':>13} {'hit rate':>8} {'resumed p50':>11} {'resumed p95':>11} " \
           f"{'warm p50':>8} {'resumed/warm':>12} {'disk read MB':>12}"
    print(head)
    for name, r in results.items():
        ratio = r["resumed_ttft_p50_s"] / r["warm_ttft_p50_s"] if r["resumed_ttft_p50_s"] and r["warm_ttft_p50_s"] else None
        print(f"{name:<14} {r['amplification']:>13.3f} {r['hit_rate']:>8.1%} {r['resumed_ttft_p50_s'] or 0:>11.3f} "
              f"{r['resumed_ttft_p95_s'] or 0:>11.3f} {r['warm_ttft_p50_s'] or 0:>8.3f} "
              f"{(f'{ratio:.2f}x' if ratio else '-'):>12} {r['bytes_read_from_disk'] / 1e6:>12.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--tool-tokens", type=int, default=MixShape.tool_tokens)
    parser.add_argument("--memory-sessions", type=float, default=4.0, help="memory tier size, in sessions' KV")
    parser.add_argument("--disk-sessions", type=float, default=8.0, help="disk tier size, in sessions' KV")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", type=Path, default=Path("bench/results/sessions.json"))
    parser.add_argument("--compaction-json", type=Path, default=Path("bench/results/compaction.json"),
                        help="bench/compaction.py's result, merged in when present")
    args = parser.parse_args()

    config = RunConfig.from_options()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    model = load_model(config.model, config.home, dtype=config.dtype)
    shape = MixShape(sessions=args.sessions, steps=args.steps, tool_tokens=args.tool_tokens)
    mix = SessionMix(model.tokenizer, shape)  # for the sizes only
    final_tokens = len(Engine(model, None).render(mix.messages(0, shape.steps - 1)))
    session_bytes = final_tokens * model.kv_bytes_per_token
    memory_bytes = int(args.memory_sessions * session_bytes)
    disk_bytes = int(args.disk_sessions * session_bytes)
    engine_config = replace(EngineConfig(), max_running=4, learn_costs=False)
    print(f"{shape.sessions} sessions x {shape.steps} steps, final prompt {final_tokens} tokens "
          f"({session_bytes / 1e6:.0f} MB of KV); memory tier {memory_bytes / 1e6:.0f} MB, disk tier "
          f"{disk_bytes / 1e6:.0f} MB", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for policy in args.policies.split(","):
        results[policy] = run_policy(policy, model, shape, memory_bytes, disk_bytes, engine_config,
                                     lambda line: print(line, flush=True))
        _write(args, shape, memory_bytes, disk_bytes, results)  # after each policy: a long run keeps what it has
    _print_table(results)
    print(f"wrote {args.json}")


def _write(args: argparse.Namespace, shape: MixShape, memory_bytes: int, disk_bytes: int,
           results: dict[str, dict[str, Any]]) -> None:
    out: dict[str, Any] = {
        "shape": asdict(shape), "memory_bytes": memory_bytes, "disk_bytes": disk_bytes,
        "resumed_gap_s": RESUMED_GAP_S,
        "policies": {k: {f: v for f, v in r.items() if f != "steps"} for k, r in results.items()},
        "steps": {k: r["steps"] for k, r in results.items()},
    }
    if args.compaction_json.exists():
        out["compaction"] = json.loads(args.compaction_json.read_text())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
