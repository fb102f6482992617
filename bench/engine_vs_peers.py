"""loopcache vs plain transformers vs vLLM (CPU) vs llama.cpp: same prompts, same machine, one run.

    .venv/bin/python bench/engine_vs_peers.py                       # every engine that is installed
    .venv/bin/python bench/engine_vs_peers.py --engines loopcache,vllm

One spec (bench/peers/make_spec.py, preset `full`, a 9-step agent loop) is written once; each engine then
runs it in its own process, one after another (bench/peers/*_runner.py: the same measurement code for all):
cold prefill at 1K / 4K / 7K tokens, decode at 1K / 4K / 7K of context, aggregate decode of 1 / 4 / 8
sequences at 2K, and the agent loop's step latency (TTFT + 200 tokens out) with each engine's own prefix
cache on. vLLM and llama.cpp run from `.venv-peers` (`make peers`); engines that are not installed are
skipped, and said to be. Plain transformers has no prefix cache, so it runs only the loop steps reported
(2, 5 and 9) and one decode repeat, to keep the run in minutes.

Prints a table, checks issue 9's targets (ratios in this run), writes bench/results/engine_vs_peers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / "bench" / "peers"
sys.path.insert(0, str(PEERS))

import make_spec  # noqa: E402

ENGINES = ("loopcache", "transformers", "vllm", "llama.cpp")
REPORTED_STEPS = (2, 5, 9)  # one-based, as in the issue
LOOP_STEPS = 9


def _paths() -> tuple[Path, Path]:
    from loopcache.kvcache.tier_config import default_home
    from loopcache.model.loader import convert_default_model, default_gguf_path

    return convert_default_model(default_home()), default_gguf_path()


def _command(engine: str, hf: Path, gguf: Path, spec: Path, out: Path, threads: int) -> list[str] | None:
    here, peers = sys.executable, REPO / ".venv-peers" / "bin" / "python"
    runner = {"loopcache": "loopcache_runner.py", "transformers": "transformers_runner.py",
              "vllm": "vllm_runner.py", "llama.cpp": "llamacpp_runner.py"}[engine]
    python = here if engine in ("loopcache", "transformers") else str(peers)
    if not Path(python).exists():
        return None
    model = gguf if engine == "llama.cpp" else hf
    cmd = [python, str(PEERS / runner), "--model", str(model), "--spec", str(spec), "--out", str(out)]
    if engine in ("loopcache", "transformers"):
        cmd += ["--threads", str(threads)]
    return cmd


def _spec_for(engine: str, spec: dict[str, Any]) -> dict[str, Any]:
    if engine != "transformers":
        return spec
    light = json.loads(json.dumps(spec))
    light["decode"]["repeats"] = 1
    light["loop"]["steps"] = [spec["loop"]["steps"][k - 1] for k in REPORTED_STEPS]
    return light


def _run(engine: str, cmd: list[str], log: Path) -> float:
    t0 = time.perf_counter()
    with log.open("w") as fh, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                              cwd=REPO) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            fh.write(line)
            if line.startswith("["):  # the runners' progress lines; engine logs stay in the log file
                print(f"  {engine:12s} {line.rstrip()}", flush=True)
    return time.perf_counter() - t0


def _case(result: dict[str, Any], section: str, name: str, field: str) -> float | None:
    for c in result.get(section, {}).get("cases", []):
        if c["name"] == name:
            return c.get(field)
    return None


def _loop_total(result: dict[str, Any], engine: str, step: int) -> float | None:
    steps = result.get("loop", {}).get("steps", [])
    index = REPORTED_STEPS.index(step) if engine == "transformers" else step - 1
    return steps[index]["total_s"] if index < len(steps) else None


def _rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, float | None]]]:
    rows: list[tuple[str, dict[str, float | None]]] = []
    for name in ("1k", "4k", "7k"):
        rows.append((f"prefill {name} tok/s", {e: _case(r, "prefill", name, "tok_s") for e, r in results.items()}))
    for name in ("1k", "4k", "7k"):
        rows.append((f"decode at {name} tok/s", {e: _case(r, "decode", name, "decode_tok_s") for e, r in results.items()}))
    for name in ("n1", "n4", "n8"):
        rows.append((f"aggregate decode {name[1:]} seq tok/s",
                     {e: _case(r, "aggregate", name, "agg_decode_tok_s") for e, r in results.items()}))
    for step in REPORTED_STEPS:
        rows.append((f"loop step {step}: TTFT + 200 tok, s", {e: _loop_total(r, e, step) for e, r in results.items()}))
    return rows


def _targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    lc, vl = results.get("loopcache", {}), results.get("vllm")
    out: list[dict[str, Any]] = []

    def check(what: str, value: float | None, bound: float | None, higher: bool = True) -> None:
        ok = None if value is None or bound is None else (value >= bound if higher else value < bound)
        out.append({"target": what, "value": value, "bound": bound, "met": ok})

    d7, d1 = _case(lc, "decode", "7k", "decode_tok_s"), _case(lc, "decode", "1k", "decode_tok_s")
    check("decode at 7K >= 15 tok/s", d7, 15.0)
    check("decode at 1K >= 30 tok/s", d1, 30.0)
    n1, n8 = _case(lc, "aggregate", "n1", "agg_decode_tok_s"), _case(lc, "aggregate", "n8", "agg_decode_tok_s")
    check("aggregate decode of 8 sessions >= 4x one session", n8, 4 * n1 if n1 else None)
    if vl is not None:
        v7 = _case(vl, "decode", "7k", "decode_tok_s")
        check("decode at 7K >= 2x vLLM CPU", d7, 2 * v7 if v7 else None)
        for name in ("1k", "4k", "7k"):
            check(f"prefill at {name} >= vLLM CPU", _case(lc, "prefill", name, "tok_s"), _case(vl, "prefill", name, "tok_s"))
        for step in REPORTED_STEPS:
            check(f"loop step {step} latency < vLLM CPU", _loop_total(lc, "loopcache", step),
                  _loop_total(vl, "vllm", step), higher=False)
    return out


def _fmt(x: float | None) -> str:
    return "-" if x is None else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="loopcache and transformers threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "engine_vs_peers.json")
    args = ap.parse_args()
    work = args.json.parent / "engine_vs_peers"
    work.mkdir(parents=True, exist_ok=True)
    hf, gguf = _paths()
    spec = make_spec.build("full", args.seed, hf / "tokenizer.json", loop_steps=LOOP_STEPS)
    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    walls: dict[str, float] = {}
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        spec_path = work / f"spec-{engine}.json"
        spec_path.write_text(json.dumps(_spec_for(engine, spec)))
        out = work / f"{engine}.json"
        out.unlink(missing_ok=True)
        cmd = _command(engine, hf, gguf, spec_path, out, args.threads)
        if cmd is None:
            skipped[engine] = "not installed (make peers builds .venv-peers with vLLM CPU and llama.cpp)"
            print(f"{engine}: skipped, {skipped[engine]}", flush=True)
            continue
        print(f"{engine}: running ({' '.join(cmd[1:3])} ...)", flush=True)
        walls[engine] = _run(engine, cmd, work / f"{engine}.log")
        if out.exists():
            results[engine] = json.loads(out.read_text())
        else:
            skipped[engine] = f"failed; see {work / f'{engine}.log'}"
            print(f"{engine}: {skipped[engine]}", flush=True)

    rows = _rows(results)
    names = list(results)
    print("\n" + " | ".join(["metric", *names, "loopcache / vllm" if "vllm" in names else ""]))
    for label, values in rows:
        ratio = ""
        lc, vl = values.get("loopcache"), values.get("vllm")
        if lc and vl:
            ratio = f"{lc / vl:.2f}x"
        print(" | ".join([label, *(_fmt(values.get(e)) for e in names), ratio]))
    targets = _targets(results)
    print("\ntargets (issue 9):")
    for t in targets:
        mark = {True: "met", False: "NOT MET", None: "n/a"}[t["met"]]
        print(f"  {mark:8s} {t['target']}: {_fmt(t['value'])} (bound {_fmt(t['bound'])})")
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "loadavg": os.getloadavg()},
        "spec": {"note": spec["note"], "loop_steps": LOOP_STEPS, "reported_steps": REPORTED_STEPS},
        "threads": args.threads,
        "table": [{"metric": label, **values} for label, values in rows],
        "targets": targets,
        "skipped": skipped,
        "wall_s": walls,
        "engines": results,
    }
    args.json.write_text(json.dumps(report, indent=1))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
