"""The measurement protocol shared by the peer runners (spec in, result out).

Each runner wraps its engine in an adapter with two methods and hands it to `run_spec`:

    run_one(prompt_ids, max_tokens) -> Gen
    run_many(list_of_prompt_ids, max_tokens) -> (wall_s, [Gen, ...])

Greedy, EOS ignored, exactly `max_tokens` output tokens. `run_many` submits all prompts at once where the
engine batches (vLLM) or runs them one after another where it cannot (llama-cpp-python); the adapter says
which in `aggregate_mode`. Everything else (what to run, in what order, the statistics and the JSON) lives
here, so both runners measure the same thing. The schemas are in README.md beside this file.

This module must import neither loopcache nor the engines: it runs in .venv-peers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SPEC_SCHEMA = "loopcache.peers.spec/1"
RESULT_SCHEMA = "loopcache.peers.result/1"


@dataclass
class Gen:
    """One sequence's timings, measured from the moment it was submitted."""

    ttft_s: float
    total_s: float
    output_ids: list[int]
    cached_tokens: int | None = None  # prompt tokens the engine reused from its prefix cache

    @property
    def output_tokens(self) -> int:
        return len(self.output_ids)


class Adapter(Protocol):
    engine: str
    aggregate_mode: str  # "concurrent" or "sequential"
    aggregate_note: str

    def run_one(self, prompt: list[int], max_tokens: int) -> Gen: ...

    def run_many(self, prompts: list[list[int]], max_tokens: int) -> tuple[float, list[Gen]]: ...


@dataclass
class Spec:
    raw: dict[str, Any]
    warmup: list[list[int]] = field(default_factory=list)
    warmup_max_tokens: int = 4
    max_model_len: int = 8192
    vocab_size: int | None = None

    def section(self, name: str) -> dict[str, Any] | None:
        value = self.raw.get(name)
        return value if value else None


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _ids(value: Any, where: str) -> list[int]:
    if not isinstance(value, list) or not value or not all(isinstance(t, int) and t >= 0 for t in value):
        raise ValueError(f"{where}: expected a non-empty list of token ids (ints >= 0)")
    return value


def load_spec(path: Path) -> Spec:
    raw = json.loads(Path(path).read_text())
    if raw.get("schema") != SPEC_SCHEMA:
        raise ValueError(f"{path}: schema must be {SPEC_SCHEMA!r}, got {raw.get('schema')!r}")
    spec = Spec(
        raw=raw,
        warmup=[_ids(p, f"warmup[{i}]") for i, p in enumerate(raw.get("warmup", []))],
        warmup_max_tokens=int(raw.get("warmup_max_tokens", 4)),
        max_model_len=int(raw.get("max_model_len", 8192)),
        vocab_size=raw.get("vocab_size"),
    )
    every: list[tuple[str, list[int], int]] = [(f"warmup[{i}]", p, spec.warmup_max_tokens) for i, p in enumerate(spec.warmup)]
    if (s := spec.section("prefill")) is not None:
        for c, case in enumerate(s["cases"]):
            for i, p in enumerate(case["prompts"]):
                every.append((f"prefill.cases[{c}].prompts[{i}]", _ids(p, "prefill"), 1))
    if (s := spec.section("decode")) is not None:
        for c, case in enumerate(s["cases"]):
            every.append((f"decode.cases[{c}].prompt", _ids(case["prompt"], "decode"), int(s["max_tokens"])))
    if (s := spec.section("aggregate")) is not None:
        for c, case in enumerate(s["cases"]):
            for i, p in enumerate(case["prompts"]):
                every.append((f"aggregate.cases[{c}].prompts[{i}]", _ids(p, "aggregate"), int(s["max_tokens"])))
    if (s := spec.section("loop")) is not None:
        for i, p in enumerate(s["steps"]):
            every.append((f"loop.steps[{i}]", _ids(p, "loop"), int(s["max_tokens"])))
    for where, prompt, max_tokens in every:
        if len(prompt) + max_tokens > spec.max_model_len:
            raise ValueError(f"{where}: {len(prompt)} prompt + {max_tokens} output tokens > max_model_len {spec.max_model_len}")
        if spec.vocab_size is not None and max(prompt) >= spec.vocab_size:
            raise ValueError(f"{where}: token id {max(prompt)} >= vocab_size {spec.vocab_size}")
    return spec


def med(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _rate(tokens: float, seconds: float) -> float | None:
    return tokens / seconds if seconds > 0 else None


def decode_rate(g: Gen) -> float | None:
    """(N-1) tokens over the time after the first one: the first token belongs to prefill."""
    return _rate(g.output_tokens - 1, g.total_s - g.ttft_s) if g.output_tokens > 1 else None


def _gen_json(g: Gen, with_ids: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ttft_s": round(g.ttft_s, 6),
        "total_s": round(g.total_s, 6),
        "output_tokens": g.output_tokens,
        "cached_tokens": g.cached_tokens,
    }
    if with_ids:
        out["output_ids"] = g.output_ids
    return out


def _check_len(g: Gen, max_tokens: int, where: str, errors: list[str]) -> None:
    if g.output_tokens != max_tokens:
        errors.append(f"{where}: {g.output_tokens} output tokens, expected {max_tokens}")


def run_prefill(a: Adapter, s: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    cases = []
    for case in s["cases"]:
        runs = []
        for i, prompt in enumerate(case["prompts"]):
            g = a.run_one(prompt, 1)
            _check_len(g, 1, f"prefill {case['name']}[{i}]", errors)
            r = _gen_json(g) | {"prompt_tokens": len(prompt), "tok_s": _rate(len(prompt), g.ttft_s)}
            runs.append(r)
            log(f"prefill {case['name']}[{i}]: {len(prompt)} tok, ttft {g.ttft_s:.3f}s, {r['tok_s']:.0f} tok/s, cached {g.cached_tokens}")
        cases.append({
            "name": case["name"],
            "prompt_tokens": med([r["prompt_tokens"] for r in runs]),
            "ttft_s": med([r["ttft_s"] for r in runs]),
            "tok_s": med([r["tok_s"] for r in runs]),
            "runs": runs,
        })
    return {"cases": cases}


def run_decode(a: Adapter, s: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    n = int(s["max_tokens"])
    repeats = int(s.get("repeats", 3))
    cases = []
    for case in s["cases"]:
        prompt = case["prompt"]
        prime = a.run_one(prompt, n)  # fills the prefix cache with this prompt; not counted
        log(f"decode {case['name']} prime: {len(prompt)} tok, ttft {prime.ttft_s:.3f}s, total {prime.total_s:.3f}s")
        runs = []
        for i in range(repeats):
            g = a.run_one(prompt, n)
            _check_len(g, n, f"decode {case['name']}[{i}]", errors)
            r = _gen_json(g, with_ids=(i == 0)) | {"decode_tok_s": decode_rate(g), "e2e_tok_s": _rate(g.output_tokens, g.total_s)}
            runs.append(r)
            log(f"decode {case['name']}[{i}]: ttft {g.ttft_s:.3f}s total {g.total_s:.3f}s, decode {r['decode_tok_s'] or 0:.1f} tok/s, e2e {r['e2e_tok_s'] or 0:.1f} tok/s, cached {g.cached_tokens}")
        cases.append({
            "name": case["name"],
            "prompt_tokens": len(prompt),
            "prime": _gen_json(prime),
            "ttft_s": med([r["ttft_s"] for r in runs]),
            "total_s": med([r["total_s"] for r in runs]),
            "decode_tok_s": med([r["decode_tok_s"] for r in runs]),
            "e2e_tok_s": med([r["e2e_tok_s"] for r in runs]),
            "runs": runs,
        })
    return {"max_tokens": n, "repeats": repeats, "cases": cases}


def run_aggregate(a: Adapter, s: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    n = int(s["max_tokens"])
    repeats = int(s.get("repeats", 1))
    cases = []
    for case in s["cases"]:
        prompts = case["prompts"]
        for p in prompts:  # put every prompt in the prefix cache (as far as the engine can hold them)
            a.run_one(p, 1)
        runs = []
        for i in range(repeats):
            wall, gens = a.run_many(prompts, n)
            for j, g in enumerate(gens):
                _check_len(g, n, f"aggregate {case['name']}[{i}].seq[{j}]", errors)
            out_tokens = sum(g.output_tokens for g in gens)
            if a.aggregate_mode == "concurrent":
                # All sequences decode together once the last one has its first token.
                decode_s = wall - max(g.ttft_s for g in gens)
            else:
                decode_s = sum(g.total_s - g.ttft_s for g in gens)
            r = {
                "wall_s": round(wall, 6),
                "output_tokens": out_tokens,
                "agg_tok_s": _rate(out_tokens, wall),
                "agg_decode_tok_s": _rate(sum(g.output_tokens - 1 for g in gens), decode_s),
                "ttft_s": [round(g.ttft_s, 6) for g in gens],
                "total_s": [round(g.total_s, 6) for g in gens],
                "cached_tokens": [g.cached_tokens for g in gens],
            }
            runs.append(r)
            log(f"aggregate {case['name']}[{i}]: {len(prompts)} seq, wall {wall:.3f}s, {r['agg_tok_s']:.1f} tok/s e2e, {r['agg_decode_tok_s'] or 0:.1f} tok/s decode, cached {r['cached_tokens']}")
        cases.append({
            "name": case["name"],
            "sequences": len(prompts),
            "prompt_tokens": [len(p) for p in prompts],
            "wall_s": med([r["wall_s"] for r in runs]),
            "agg_tok_s": med([r["agg_tok_s"] for r in runs]),
            "agg_decode_tok_s": med([r["agg_decode_tok_s"] for r in runs]),
            "runs": runs,
        })
    return {"mode": a.aggregate_mode, "note": a.aggregate_note, "max_tokens": n, "repeats": repeats, "cases": cases}


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def run_loop(a: Adapter, s: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    n = int(s["max_tokens"])
    steps = []
    prev: list[int] = []
    for k, prompt in enumerate(s["steps"]):
        g = a.run_one(prompt, n)
        _check_len(g, n, f"loop step {k}", errors)
        shared = _common_prefix(prev, prompt)
        steps.append({"step": k, "prompt_tokens": len(prompt), "shared_with_previous": shared, "new_tokens": len(prompt) - shared}
                     | _gen_json(g, with_ids=True))
        log(f"loop step {k}: {len(prompt)} tok ({len(prompt) - shared} new), ttft {g.ttft_s:.3f}s, total {g.total_s:.3f}s, cached {g.cached_tokens}")
        prev = prompt
    return {
        "max_tokens": n,
        "steps": steps,
        "ttft_s_median": med([x["ttft_s"] for x in steps]),
        "total_s_median": med([x["total_s"] for x in steps]),
        "total_s_sum": sum(x["total_s"] for x in steps),
    }


SECTIONS = (("prefill", run_prefill), ("decode", run_decode), ("aggregate", run_aggregate), ("loop", run_loop))


def parse_args(description: str, extra=None, default_threads: int | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(p)
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--spec", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--threads", type=int, default=default_threads or os.cpu_count() or 2,
                   help=f"CPU threads for the engine (default: {default_threads or 'all CPUs'})")
    p.add_argument("--only", default="", help="comma-separated sections to run (default: all in the spec)")
    return p.parse_args()


def host_info() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(), "loadavg_at_start": load}


def write_result(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(out)


def run_spec(adapter: Adapter, spec: Spec, args: argparse.Namespace, started: float, header: dict[str, Any]) -> dict[str, Any]:
    """Run every section of the spec, write the result after each section (a crash keeps what was done)."""
    result: dict[str, Any] = {"schema": RESULT_SCHEMA, **header, "host": host_info(), "errors": [], "sections_s": {}}
    only = {x for x in args.only.split(",") if x}

    def write() -> None:
        result["wall_s"] = round(time.perf_counter() - started, 3)
        write_result(result, args.out)

    if spec.warmup:
        t = time.perf_counter()
        for p in spec.warmup:
            adapter.run_one(p, spec.warmup_max_tokens)
        result["warmup_s"] = round(time.perf_counter() - t, 3)
        log(f"warmup: {len(spec.warmup)} prompts in {result['warmup_s']:.1f}s")
    for name, fn in SECTIONS:
        s = spec.section(name)
        if s is None or (only and name not in only):
            continue
        log(f"== {name}")
        t = time.perf_counter()
        try:
            result[name] = fn(adapter, s, result["errors"])
        except Exception as exc:  # keep the other sections' numbers; say what broke
            result["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
            log(f"{name} failed: {exc!r}")
        result["sections_s"][name] = round(time.perf_counter() - t, 3)
        write()
    write()
    log(f"done in {result['wall_s']:.1f}s; wrote {args.out}" + (f"; {len(result['errors'])} errors" if result["errors"] else ""))
    return result


def fail(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)
    raise SystemExit(2)
