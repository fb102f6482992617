"""The agent-loop benchmark: one loop in three modes, side by side in one run, plus disk-tier throughput.

    warm      memory + disk tiers, one process (the normal case): runs the loop, answers included
    nocache   no KV cache at all: the same prompt, prefilled whole (first token only: TTFT is what differs)
    restart   a new process whose memory tier is off: the same prompt (all reuse comes from disk), then the
              warm run's answer is fed after it, so the session's KV on disk ends where the warm one does

All modes see the same prompts (the warm run's), interleaved step by step so that machine noise hits them
alike; only the warm mode decodes its answers, which keeps the run within minutes. Then the disk tier's
block loads (read + checksum + decode) are timed against a raw read of the same files.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from loopcache.config import RunConfig
from loopcache.workload.agent_loop import AgentLoop, LoopShape, StepRecord, prefill_amplification
from loopcache.workload.resume import FreshProcess, ReplayRequest, run_in_subprocess

MODES = ("nocache", "warm", "restart")


def disk_throughput(disk_dir: Path, rounds: int = 5) -> dict[str, float]:
    """Median GB/s of DiskStore.get over every stored block vs. a raw read of the same files."""
    from loopcache.kvcache.disk import DiskStore

    with DiskStore(disk_dir) as disk:
        keys = list(disk.keys())
    files = sorted(disk_dir.glob("blocks/*/*.kv"))
    total = sum(f.stat().st_size for f in files)
    buffer = np.empty(max(f.stat().st_size for f in files), dtype=np.uint8)
    view = memoryview(buffer)

    def raw() -> None:
        for f in files:
            with f.open("rb", buffering=0) as fh:
                fh.readinto(view[: f.stat().st_size])

    def load(disk: DiskStore) -> None:
        for key in keys:
            if disk.get(key) is None:
                raise RuntimeError(f"block {key} vanished during the benchmark")

    raw_s: list[float] = []
    load_s: list[float] = []
    with DiskStore(disk_dir) as disk:
        raw()
        load(disk)  # both page-cached from here on
        for _ in range(rounds):
            t = time.perf_counter()
            raw()
            raw_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            load(disk)
            load_s.append(time.perf_counter() - t)
    return {
        "blocks": len(files),
        "bytes": total,
        "raw_read_gbps": total / statistics.median(raw_s) / 1e9,
        "disk_load_gbps": total / statistics.median(load_s) / 1e9,
    }


def run_agent_loop_bench(config: RunConfig, shape: LoopShape, console: Console, json_path: Path) -> dict[str, Any]:
    from loopcache.engine.engine import Engine
    from loopcache.engine.sampling import SamplingParams
    from loopcache.engine.stats import RequestStats
    from loopcache.kvcache.tier_config import open_tiers
    from loopcache.model.loader import load_model

    root = config.home / "bench"
    shutil.rmtree(root, ignore_errors=True)
    warm_cfg = config.with_cache_root(root / "warm")
    fresh = FreshProcess.of(config, root / "restart", memory_tier=False)
    model = load_model(config.model, config.home, device=config.device, dtype=config.dtype)
    nocache, warm = Engine(model, None, config.engine), Engine(model, open_tiers(warm_cfg.tiers, fingerprint=model.fingerprint), config.engine)
    nocache.warmup()
    loop = AgentLoop.start(model.tokenizer, shape)
    records: dict[str, list[StepRecord]] = {mode: [] for mode in MODES}
    t0 = time.perf_counter()
    while loop.fits(warm):
        w = loop.run_step(warm, "bench-warm")
        prompt, answer = loop.previous_sequence[: w.prompt_tokens], loop.previous_sequence[w.prompt_tokens :]
        n = nocache.generate(prompt, SamplingParams(max_tokens=1)).stats
        out = run_in_subprocess(ReplayRequest(fresh, "bench-restart", prompt, answer))
        r = RequestStats(**{k: v for k, v in out["stats"].items() if k != "decode_tokens_per_s"})
        records["warm"].append(w)
        records["nocache"].append(StepRecord.of(w.step, n, w.fresh_tokens))
        records["restart"].append(StepRecord.of(w.step, r, w.fresh_tokens))
        console.print(f"step {w.step}: {w.prompt_tokens} tokens ({w.fresh_tokens} fresh); TTFT nocache "
                      f"{n.ttft_s:.2f} s, warm {w.ttft_s:.2f} s ({w.cached_tokens} cached), restart {r.ttft_s:.2f} s "
                      f"({r.cached_tokens} from disk) [{time.perf_counter() - t0:.0f} s]")
    warm.close()
    console.print("timing disk tier loads against a raw read of the same files")
    throughput = disk_throughput(warm_cfg.tiers.disk_dir)

    result = {
        "model": model.name,
        "dtype": model.dtype,
        "device": model.device,
        "block_size": config.engine.block_size,
        "shape": {"system": shape.system_tokens, "tool": shape.tool_tokens, "output": shape.output_tokens},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "modes": {
            m: {"steps": [r.to_dict() for r in records[m]], "prefill_amplification": prefill_amplification(records[m])}
            for m in MODES
        },
        **throughput,
    }
    last = {m: records[m][-1].ttft_s for m in MODES}
    result["last_step"] = {
        "ttft_s": last,
        "nocache_over_warm": last["nocache"] / last["warm"],
        "restart_over_warm": last["restart"] / last["warm"],
    }
    result["disk_load_over_raw"] = throughput["disk_load_gbps"] / throughput["raw_read_gbps"]
    _print(console, records, result)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=1))
    console.print(f"wrote {json_path}")
    return result


def _print(console: Console, records: dict[str, list[StepRecord]], result: dict[str, Any]) -> None:
    table = Table(title=f"agent loop, {result['model']} {result['dtype']} on {result['device']}: TTFT s (cached/prompt)")
    table.add_column("step", justify="right")
    table.add_column("prompt", justify="right")
    table.add_column("fresh", justify="right")
    for m in MODES:
        table.add_column(m, justify="right")
    table.add_column("nocache/warm", justify="right")
    table.add_column("restart/warm", justify="right")
    for i, w in enumerate(records["warm"]):
        n, r = records["nocache"][i], records["restart"][i]
        table.add_row(
            str(w.step), str(w.prompt_tokens), str(w.fresh_tokens),
            f"{n.ttft_s:.3f}", f"{w.ttft_s:.3f} ({w.cached_tokens})", f"{r.ttft_s:.3f} ({r.cached_tokens})",
            f"{n.ttft_s / w.ttft_s:.1f}x", f"{r.ttft_s / w.ttft_s:.2f}x",
        )
    console.print(table)
    amp = {m: result["modes"][m]["prefill_amplification"] for m in MODES}
    ls = result["last_step"]
    console.print(
        f"last step: nocache/warm {ls['nocache_over_warm']:.1f}x (target >= 8), restart/warm "
        f"{ls['restart_over_warm']:.2f}x (target <= 1.3)\n"
        f"prefill amplification (steps 2..N): " + ", ".join(f"{m} {a:.3f}" for m, a in amp.items())
        + " (target <= 1.1 warm and restart)\n"
        f"disk tier load {result['disk_load_gbps']:.2f} GB/s vs raw read {result['raw_read_gbps']:.2f} GB/s of the "
        f"same {result['blocks']} files = {result['disk_load_over_raw']:.0%} (target >= 50%)"
    )
