"""Non-prefix chunk reuse (`loopcache.blend`, issue 12): hit rate, TTFT and quality vs prefix-only reuse.

    .venv/bin/python bench/blend.py                # 2 prompts per scenario at every r, 10 more re-read-heavy
                                                   # ones per scenario at the default r: ~15 min on 2 cores
    .venv/bin/python bench/blend.py --prompts 1 --more 1 --no-sweep --repeats 1     # a quick look
    .venv/bin/python bench/blend.py --dtype float32 --first-tokens 16 --unseen-from 22 --more 16 \
        --openhands-phase 2        # float32 (no bf16 rounding noise), on prompts no earlier run used: ~45 min

Prompts are rebuilt from real agent traces in ../shared/traces (read in place, never copied):

    tau_edit      tau-bench airline: a session whose first user message was edited (a context edit, a
                  reminder inserted): only the system prompt is a prefix hit, every later message is a
                  re-read at a shifted position (re-read heavy)
    tau_trials    tau-bench: trial B of a task after trial A of the same task (same user, same tool
                  results, a different conversation): natural mix of re-read and novel chunks
    openhands     OpenHands SWE-bench: the session's tool outputs (file views, listings) re-read in reverse
                  order after the task (re-read heavy)
    qa            bench/data/blend/qa.jsonl: two documents, each first seen alone, then asked about
                  together; the answer needs attention across the two chunks

For every prompt the store is warmed with the earlier context (the first occurrence of each chunk), then
the prompt runs read-only against it (nothing it computes is stored, so every run sees the same cache):
prefix-only (the reference: exact full prefill of everything after the prefix hit) and blended alternate
`--repeats` times per r, and each TTFT is the fastest of its runs. Measured side by side in one run: TTFT
ratio (median over prompts), hit rate (tokens not computed /
prompt), next-token KL(full || blended) and top-1 agreement on the first generated token, greedy match of
the first `--decode` tokens, and the guard: the proxy (KV deviation of the reused tokens) of each request
against its measured agreement; the bound must never pass a request that disagrees. Then the decay of the
gain with the share of novel chunks (tau_edit at the default r). Writes bench/results/blend.json.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from loopcache.blend.config import BlendConfig, GuardConfig  # noqa: E402
from loopcache.blend.guard import top1_margin  # noqa: E402
from loopcache.engine.blend_prefill import BlendedPrefill, BlendOutcome  # noqa: E402
from loopcache.engine.config import EngineConfig  # noqa: E402
from loopcache.engine.cost_model import CostModel  # noqa: E402
from loopcache.engine.engine import Completion, Engine  # noqa: E402
from loopcache.engine.native import load_kernels  # noqa: E402
from loopcache.engine.sampling import SamplingParams  # noqa: E402
from loopcache.kvcache.block import KVBlock  # noqa: E402
from loopcache.kvcache.block_hash import BlockHash  # noqa: E402
from loopcache.kvcache.memory import MemoryStore  # noqa: E402
from loopcache.kvcache.store import IntegrityReport, StoreStats  # noqa: E402
from loopcache.kvcache.tiered import TieredStore  # noqa: E402
from loopcache.model.loader import load_model  # noqa: E402

TRACES = REPO.parent / "shared" / "traces"
QA = REPO / "bench" / "data" / "blend" / "qa.jsonl"
SHARES = (0.0, 0.05, 0.15, 0.30)
DEFAULT_R = 0.15
NOVEL = (0.0, 0.25, 0.5, 0.75, 1.0)
Message = dict[str, str]


@dataclass(frozen=True)
class Case:
    scenario: str
    name: str
    warm: list[list[Message]]  # prompts run first (their KV, prefix blocks and chunks, is stored)
    test: list[Message]


# ---- prompts from the traces ----------------------------------------------------------------------------


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
    return "" if content is None else str(content)


def _tau_message(m: dict[str, Any]) -> Message:
    if m["role"] == "assistant" and m.get("tool_calls"):
        calls = "; ".join(f"{c['function']['name']}({c['function']['arguments']})" for c in m["tool_calls"])
        return {"role": "assistant", "content": f"{_text(m.get('content')) if m.get('content') else ''}call: {calls}"}
    return {"role": m["role"], "content": _text(m.get("content"))}


def _fit(engine: Engine, messages: list[Message], limit: int, keep: int) -> list[Message]:
    """The longest leading part of `messages` (at least `keep` of them) whose prompt fits `limit` tokens."""
    out = list(messages)
    while len(out) > keep and len(engine.render(out)) > limit:
        out.pop()
    return out


def _fit_tail(engine: Engine, head: list[Message], body: list[Message], limit: int) -> list[Message]:
    """The longest trailing part of `body` (at least one message) that fits `limit` tokens after `head`."""
    start = 0
    while start < len(body) - 1 and len(engine.render(head + body[start:])) > limit:
        start += 1
    return body[start:]


def tau_cases(engine: Engine, n: int, limit: int) -> tuple[list[Case], list[Case]]:
    data = json.loads((TRACES / "tau-bench" / "gpt-4o-airline.json").read_text())
    by_task: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for t in data:
        by_task[t["task_id"]].append(t)
    edits, trials = [], []
    for task, runs in by_task.items():
        if len(edits) >= n and len(trials) >= n:
            break
        msgs = [_tau_message(m) for m in runs[0]["traj"]]
        if len(edits) < n and sum(m["role"] == "tool" for m in msgs) >= 2:
            warm = _fit(engine, msgs, limit, 4)
            edited = [warm[0], {"role": "user", "content": warm[1]["content"] + " (Sent again: my last message did "
                                "not go through.)"}, *warm[2:]]
            edits.append(Case("tau_edit", f"task{task}", [warm], edited))
        tools = [{m["content"] for m in (_tau_message(x) for x in r["traj"]) if m["role"] == "tool"} for r in runs]
        pairs = [(a, b) for a in range(len(runs)) for b in range(len(runs)) if a != b and len(tools[a] & tools[b]) >= 2]
        if len(trials) < n and pairs:
            a, b = pairs[0]
            warm = _fit(engine, [_tau_message(m) for m in runs[a]["traj"]], limit, 4)
            test = _fit(engine, [_tau_message(m) for m in runs[b]["traj"]], limit, 4)
            trials.append(Case("tau_trials", f"task{task}:{a}->{b}", [warm], test))
    return edits[:n], trials[:n]


def openhands_cases(engine: Engine, n: int, limit: int, phase: int = 0) -> list[Case]:
    """Up to `n` cases: for each session in turn, the `phase`-th completion from the last, then every 4th one
    before it (another set of file views re-read), until `n` are found."""
    folders = sorted((TRACES / "openhands-swebench" / "llm_completions").iterdir())
    steps = {f: sorted(glob.glob(str(f / "*.json")))[::-1] for f in folders}
    cases = []
    for depth in range(max(len(v) for v in steps.values())):
        for folder in folders:
            if len(cases) >= n:
                return cases
            if depth >= len(steps[folder]) or depth % 4 != phase:
                continue  # every 4th completion from the last: they overlap less
            case = _openhands_case(engine, folder.name, Path(steps[folder][depth]), limit, depth)
            if case is not None and all(case.test != c.test for c in cases):
                cases.append(case)
    return cases


def _openhands_case(engine: Engine, session: str, path: Path, limit: int, depth: int) -> Case | None:
    raw = json.loads(path.read_text())["messages"]
    msgs = [{"role": m["role"] if m["role"] in ("system", "user", "assistant", "tool") else "user",
             "content": _text(m.get("content"))[:3000]} for m in raw]
    head = msgs[:2]
    views = [m for m in msgs[2:] if m["role"] == "tool" and len(m["content"]) > 200]
    body = [m for m in msgs[2:] if m["role"] in ("tool", "assistant")]
    warm = head + _fit_tail(engine, head, body, limit)  # the latest turns: each depth has its own
    seen = [m for m in warm[2:] if m in views]
    if len(seen) < 2:
        return None
    ask = {"role": "user", "content": "Re-read the outputs above and say which file to change first."}
    test = _fit(engine, head + list(reversed(seen)), limit - 40, 3) + [ask]
    return Case("openhands", f"{session}@-{depth}", [warm], test)


def qa_cases(n: int) -> list[Case]:
    items = [json.loads(line) for line in QA.read_text().splitlines() if line.strip()]
    system = {"role": "system", "content": "You answer questions about the notes you are given, in a few words."}
    cases = []
    for i, item in enumerate(items[:n]):
        other = items[(i + 1) % len(items)]["documents"][0]
        a, b = item["documents"]
        docs = [{"role": "tool", "content": d} for d in (a, b, other)]
        warm = [[system, d, {"role": "user", "content": "Summarise the note."}] for d in docs]
        test = [system, {"role": "user", "content": "Here are the notes."}, docs[1], docs[2], docs[0],
                {"role": "user", "content": item["question"]}]
        cases.append(Case("qa", item["id"], warm, test))
    return cases


def with_novel_share(case: Case, share: float) -> Case:
    """`case` with a share of its re-read messages (after the first two) changed, so they are novel chunks."""
    body = case.test[2:]
    k = round(share * len(body))
    changed = [{"role": m["role"], "content": m["content"] + " [updated]"} if i < k else m for i, m in enumerate(body)]
    return replace(case, test=case.test[:2] + changed)


# ---- running ---------------------------------------------------------------------------------------------


class ReadOnly:
    """A Store view that serves `inner` and stores nothing: every run sees the same warmed cache."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner, self.name = inner, "memory"

    def get(self, key: BlockHash) -> KVBlock | None:
        return self.inner.get(key)

    def put(self, block: KVBlock) -> bool:
        return False

    def contains(self, key: BlockHash) -> bool:
        return self.inner.contains(key)

    def delete(self, key: BlockHash) -> bool:
        return self.inner.delete(key)

    def keys(self) -> Iterator[BlockHash]:
        return self.inner.keys()

    def stats(self) -> StoreStats:
        return self.inner.stats()

    def check_integrity(self, deep: bool = False) -> IntegrityReport:
        return self.inner.check_integrity(deep)

    def close(self) -> None:
        pass


class FirstLogits:
    """Wraps a sequence's sampler and keeps the logits of its first sampled token."""

    def __init__(self, sampler: Any) -> None:
        self.sampler, self.logits = sampler, None

    def __call__(self, logits: torch.Tensor) -> int:
        if self.logits is None:
            self.logits = logits.detach().float().clone()
        return self.sampler(logits)


def use_store(engine: Engine, store: TieredStore, blend: BlendConfig | None = None) -> None:
    """Point `engine` at `store` (and a fresh blend hook for `blend`): one model, many configurations."""
    engine.store = store
    engine.prefix_cache.store = store
    if engine.blend is None:
        return
    engine.blend.chunks.store = store
    if blend is not None:
        engine.blend = BlendedPrefill(blend, engine.runner, engine.pool, engine.blend.chunks, engine.blend.boundaries,
                                      engine.blend.piece_tokens)
        engine.scheduler.on_admit = engine.blend.admit


@dataclass
class Run:
    ttft_s: float
    prompt_tokens: int
    cached_tokens: int
    reused_tokens: int
    chunk_tokens: int
    tokens: tuple[int, ...]
    logits: torch.Tensor
    deviation: float
    fallback: str


def run(engine: Engine, prompt: list[Message], decode: int) -> Run:
    done: list[Completion] = []
    seq = engine.add_request(prompt, SamplingParams(max_tokens=decode),
                             sink=lambda e: done.append(e) if isinstance(e, Completion) else None)
    probe = FirstLogits(seq.sampler)
    seq.sampler = probe  # the first token's logits, for KL and top-1
    while not seq.is_finished:
        engine.step()
    stats = done[0].stats
    outcome = seq.blend if isinstance(seq.blend, BlendOutcome) else BlendOutcome()
    assert probe.logits is not None
    return Run(stats.ttft_s, stats.prompt_tokens, stats.cached_tokens, outcome.reused_tokens, outcome.chunk_tokens,
               tuple(seq.output_ids), probe.logits, outcome.deviation, outcome.fallback)


def kl(full: torch.Tensor, blended: torch.Tensor) -> float:
    p, q = torch.log_softmax(full, -1), torch.log_softmax(blended, -1)
    return float((p.exp() * (p - q)).sum().clamp_min(0))


def warmed(engine: Engine, case: Case, config: BlendConfig) -> TieredStore:
    """A memory store holding what the case's warm prompts leave behind (prefix blocks and chunks, computed
    exactly: r = 1)."""
    memory = MemoryStore(8 * 2**30)
    use_store(engine, TieredStore([memory]), replace(config, recompute_share=1.0))
    for prompt in case.warm:
        engine.generate(prompt, SamplingParams(max_tokens=1))
    return TieredStore([ReadOnly(memory)])


def measure(plain: Engine, blend: Engine, case: Case, shares: tuple[float, ...], config: BlendConfig,
            decode: int, repeats: int, store: TieredStore | None = None,
            floor: Engine | None = None) -> list[dict[str, Any]]:
    """Per r: prefix-only and blended runs alternating `repeats` times on the same read-only cache; TTFT is
    the fastest of each (the machine's noise only ever adds time), quality is from the first of each (the
    computation is deterministic). `floor`: an exact engine that prefills in other chunks; its agreement
    with the reference, at the default r's rows, is the noise floor (rounding alone flips near ties)."""
    store = store or warmed(blend, case, config)  # the blend engine warms: it stores chunks and prefix blocks
    rows = []
    for r in shares:
        refs, gots = [], []
        for _ in range(repeats):
            use_store(plain, store)
            refs.append(run(plain, case.test, decode))
            use_store(blend, store, replace(config, recompute_share=r))
            gots.append(run(blend, case.test, decode))
        ref, got = refs[0], gots[0]
        prefix_ttft, blend_ttft = min(x.ttft_s for x in refs), min(x.ttft_s for x in gots)
        rows.append({
            "scenario": case.scenario, "case": case.name, "r": r, "prompt_tokens": got.prompt_tokens,
            "prefix_hit_rate": ref.cached_tokens / ref.prompt_tokens,
            "chunk_hit_rate": (got.cached_tokens + got.chunk_tokens) / got.prompt_tokens,
            "hit_rate": (got.cached_tokens + got.reused_tokens) / got.prompt_tokens,
            "ttft_prefix_s": prefix_ttft, "ttft_blend_s": blend_ttft, "ttft_ratio": blend_ttft / prefix_ttft,
            "ttft_prefix_runs_s": [x.ttft_s for x in refs], "ttft_blend_runs_s": [x.ttft_s for x in gots],
            "kl": kl(ref.logits, got.logits), "top1": int(ref.logits.argmax()) == int(got.logits.argmax()),
            "greedy": got.tokens == ref.tokens,
            "greedy_prefix_tokens": next((i for i, (a, b) in enumerate(zip(got.tokens, ref.tokens)) if a != b),
                                         len(ref.tokens)),
            "deviation": got.deviation, "margin": top1_margin(got.logits),
        })
        if floor is not None and r == config.recompute_share:
            use_store(floor, store)
            other = run(floor, case.test, decode)
            rows[-1].update(floor_kl=kl(ref.logits, other.logits), floor_greedy=other.tokens == ref.tokens,
                            floor_top1=int(ref.logits.argmax()) == int(other.logits.argmax()))
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {"n": 0}
    return {
        "n": len(rows),
        "prefix_hit_rate": statistics.fmean(x["prefix_hit_rate"] for x in rows),
        "hit_rate": statistics.fmean(x["hit_rate"] for x in rows),
        "ttft_ratio_vs_prefix_only": statistics.median(x["ttft_ratio"] for x in rows),
        "kl_mean": statistics.fmean(x["kl"] for x in rows),
        "kl_max": max(x["kl"] for x in rows),
        "top1_agreement": statistics.fmean(x["top1"] for x in rows),
        "greedy_match": statistics.fmean(x["greedy"] for x in rows),
        **({"floor_top1_agreement": statistics.fmean(x["floor_top1"] for x in rows if "floor_top1" in x),
            "floor_greedy_match": statistics.fmean(x["floor_greedy"] for x in rows if "floor_top1" in x),
            "floor_kl_mean": statistics.fmean(x["floor_kl"] for x in rows if "floor_top1" in x)}
           if any("floor_top1" in x for x in rows) else {}),
    }


def guard_check(rows: list[dict[str, Any]], guard: GuardConfig) -> dict[str, Any]:
    """The proxy and margin bounds against measured agreement: passed requests that disagree are violations."""
    passed = [x for x in rows
              if x["deviation"] <= guard.max_deviation and x.get("margin", math.inf) >= guard.min_margin]
    bad = [x for x in passed if not (x["top1"] and x["kl"] <= guard.max_kl)]
    return {"max_deviation": guard.max_deviation, "min_margin": guard.min_margin, "max_kl": guard.max_kl,
            "requests": len(rows), "proxy_passed": sum(x["deviation"] <= guard.max_deviation for x in rows),
            "passed": len(passed), "violations": len(bad),
            "served_top1": statistics.fmean(x["top1"] for x in passed) if passed else None,
            "violating": [(x["case"], x["r"], round(x["deviation"], 3), round(x["kl"], 3)) for x in bad],
            "disagreeing_proxy_passed": [(x["case"], round(x["margin"], 3)) for x in rows
                                         if x["deviation"] <= guard.max_deviation and not x["top1"] and "margin" in x]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=2, help="prompts per scenario, run at every r")
    ap.add_argument("--more", type=int, default=10, help="further re-read-heavy prompts per scenario (tau_edit, "
                    "openhands), run at the default r only: the guard's bound was chosen before they were seen")
    ap.add_argument("--unseen-from", type=int, default=12, help="the unseen tau_edit prompts start after this many "
                    "tasks: the 10 after the first 2 were seen when the margin check was added (2026-12-02)")
    ap.add_argument("--floor-chunk", type=int, default=256, help="noise floor: an exact engine prefilling in "
                    "chunks of this many tokens, compared with the reference at the default r (0: skip)")
    ap.add_argument("--repeats", type=int, default=2, help="prefix-only / blended runs alternating per prompt and r "
                    "(TTFT: the fastest of each)")
    ap.add_argument("--sweep-prompts", type=int, default=1, help="tau_edit prompts in the novel-chunk sweep")
    ap.add_argument("--max-prompt-tokens", type=int, default=3072)
    ap.add_argument("--decode", type=int, default=8, help="greedy tokens compared")
    ap.add_argument("--selector", default="deviation", choices=("deviation", "first_tokens"))
    ap.add_argument("--first-tokens", type=int, default=0, help="tokens at the start of each chunk always recomputed")
    ap.add_argument("--recent-tokens", type=int, default=0, help="chunk tokens among the prompt's last N always "
                    "recomputed")
    ap.add_argument("--probe-layer", type=int, default=1, help="the layer whose KV deviation selects the tokens")
    ap.add_argument("--openhands-phase", type=int, default=0, choices=range(4), help="OpenHands cases take every 4th "
                    "completion from the last, starting this many back (0: the set run before 2026-12-02's third "
                    "session; 2: completions none of the earlier runs used)")
    ap.add_argument("--default-r", type=float, default=DEFAULT_R, help="the r of the unseen prompts, the noise "
                    "floor, the sweep and the re-read summary")
    ap.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float32"),
                    help="model dtype (float32: no bf16 rounding, so disagreement is the blend's own)")
    ap.add_argument("--scenarios", default="tau_edit,tau_trials,openhands,qa")
    ap.add_argument("--no-sweep", action="store_true", help="skip the novel-chunk sweep")
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "blend.json")
    ap.add_argument("--summarise", action="store_true",
                    help="no runs: rebuild the tables and the guard check from --json's per-prompt rows")
    args = ap.parse_args()
    if args.summarise:
        saved = json.loads(args.json.read_text())
        report(saved, saved["per_prompt"], saved["novel_chunk_sweep"], args.json)
        return

    home = Path.home() / ".cache" / "loopcache"
    model = load_model("default", home, dtype=args.dtype)
    kernels = load_kernels(home / "kernels")
    config = BlendConfig(recompute_share=args.default_r, selector=args.selector, first_tokens=args.first_tokens,
                         recent_tokens=args.recent_tokens, probe_layer=args.probe_layer,
                         guard=GuardConfig(verify_every=0, max_deviation=math.inf, min_margin=0.0))  # raw: the
    # guard is judged offline, on each request's proxy and margin
    base = EngineConfig(learn_costs=False)
    plain = Engine(model, TieredStore([MemoryStore()]), base, CostModel(window=0), kernels)  # prefix only
    blend = Engine(model, TieredStore([MemoryStore()]), EngineConfig(learn_costs=False, blend=config),
                   CostModel(window=0), kernels)
    floor = None
    if args.floor_chunk:  # exact, prefilled in chunks of `floor_chunk` tokens instead of one
        chunked = EngineConfig(learn_costs=False, step_tokens=args.floor_chunk, solo_step_tokens=args.floor_chunk)
        floor = Engine(model, TieredStore([MemoryStore()]), chunked, CostModel(window=0), kernels)
        floor.warmup()
    plain.warmup()
    blend.warmup()
    wanted = set(args.scenarios.split(","))
    edits, trials = tau_cases(plain, max(args.prompts, args.unseen_from) + args.more, args.max_prompt_tokens)
    views = openhands_cases(plain, args.prompts + args.more, args.max_prompt_tokens, args.openhands_phase)
    grid = [c for c in [*edits[:args.prompts], *trials[:args.prompts], *views[:args.prompts],
                        *qa_cases(args.prompts)] if c.scenario in wanted]
    unseen = [c for c in [*edits[max(args.prompts, args.unseen_from):], *views[args.prompts:]] if c.scenario in wanted]
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    partial = args.json.with_suffix(".partial.json")
    partial.parent.mkdir(parents=True, exist_ok=True)
    for group, cases, shares in (("grid", grid, SHARES), ("unseen", unseen, (args.default_r,))):
        for case in cases:
            got = [{**x, "set": group} for x in measure(plain, blend, case, shares, config, args.decode, args.repeats,
                                                        floor=floor)]
            rows += got
            partial.write_text(json.dumps(rows))  # a run cut short still leaves its rows
            for x in got:
                print(f"  {group:<6} {x['scenario']:<10} {x['case']:<28} r={x['r']:<4} tokens={x['prompt_tokens']:<5} "
                      f"hit {x['prefix_hit_rate']:.2f}->{x['hit_rate']:.2f} ttft {x['ttft_prefix_s']:.2f}->"
                      f"{x['ttft_blend_s']:.2f} s x{x['ttft_ratio']:.2f} kl={x['kl']:.3f} top1={int(x['top1'])} "
                      f"greedy={int(x['greedy'])} dev={x['deviation']:.3f}", flush=True)
    sweep = []
    if not args.no_sweep and edits and "tau_edit" in wanted:
        stores = [warmed(blend, c, config) for c in edits[: args.sweep_prompts]]
        for share in NOVEL:
            got = [measure(plain, blend, with_novel_share(c, share), (args.default_r,), config, args.decode,
                           args.repeats, st)[0]
                   for c, st in zip(edits, stores)]
            sweep.append({"novel_share": share, **summarise(got)})
            print(f"  novel share {share:.2f}: {sweep[-1]}", flush=True)
    result = {"model": model.name, "dtype": args.dtype, "default_r": args.default_r, "selector": args.selector,
              "first_tokens": args.first_tokens, "recent_tokens": args.recent_tokens, "probe_layer": args.probe_layer,
              "openhands_phase": args.openhands_phase,
              "unseen_from": args.unseen_from,
              "prompts_per_scenario": args.prompts,
              "more_reread_prompts": args.more, "repeats": args.repeats, "floor_chunk": args.floor_chunk,
              "max_prompt_tokens": args.max_prompt_tokens, "decode_tokens": args.decode,
              "seconds": time.perf_counter() - t0}
    report(result, rows, sweep, args.json)


def report(result: dict[str, Any], rows: list[dict[str, Any]], sweep: list[dict[str, Any]], path: Path) -> None:
    """Tables by r and scenario, the guard check with the default bounds; print them, write `path`."""
    default_guard = GuardConfig()
    table = []
    grid = [x for x in rows if x.get("set", "grid") == "grid"]
    for r in SHARES:
        at = [x for x in grid if x["r"] == r]
        table.append({"r": r, **summarise(at), "by_scenario": {s: summarise([x for x in at if x["scenario"] == s])
                                                               for s in sorted({x["scenario"] for x in at})}})
    default_r = result.get("default_r", DEFAULT_R)  # older result files have none: they ran at DEFAULT_R
    reread = [x for x in rows if x["r"] == default_r and x["scenario"] in ("tau_edit", "openhands")]
    unseen = [x for x in rows if x.get("set") == "unseen"]
    result = {**result, "default_r": default_r, "rows": table, "reread_heavy_at_default_r": summarise(reread),
              "reread_heavy_by_scenario": {s: summarise([x for x in reread if x["scenario"] == s])
                                           for s in ("tau_edit", "openhands")},
              "novel_chunk_sweep": sweep, "guard": guard_check(grid, default_guard),
              "guard_unseen": guard_check(unseen, default_guard), "per_prompt": rows}
    print(f"\n{'r':>5} {'prefix hit':>10} {'blend hit':>9} {'TTFT x':>7} {'KL mean':>8} {'top-1':>6} {'greedy':>6}")
    for row in (r for r in table if r["n"]):
        print(f"{row['r']:>5.2f} {row['prefix_hit_rate']:>10.2f} {row['hit_rate']:>9.2f} "
              f"{row['ttft_ratio_vs_prefix_only']:>7.2f} {row['kl_mean']:>8.3f} {row['top1_agreement']:>6.2f} "
              f"{row['greedy_match']:>6.2f}")
        for s, v in row["by_scenario"].items():
            print(f"      {s:<12} hit {v['prefix_hit_rate']:.2f}->{v['hit_rate']:.2f} TTFT x{v['ttft_ratio_vs_prefix_only']:.2f}"
                  f" top-1 {v['top1_agreement']:.2f} greedy {v['greedy_match']:.2f}")
    if sweep:
        print("\nnovel share  hit   TTFT x  top-1  greedy   (tau_edit, r = default)")
        for s in sweep:
            print(f"{s['novel_share']:>11.2f} {s['hit_rate']:>4.2f} {s['ttft_ratio_vs_prefix_only']:>7.2f} "
                  f"{s['top1_agreement']:>6.2f} {s['greedy_match']:>6.2f}")
    print(f"\nguard (max_deviation {default_guard.max_deviation}, min_margin {default_guard.min_margin}, max_kl "
          f"{default_guard.max_kl}):", result["guard"])
    print("guard on prompts its bound never saw:", result["guard_unseen"])
    print("re-read heavy (tau_edit + openhands) at the default r:", result["reread_heavy_at_default_r"])
    for name, v in result["reread_heavy_by_scenario"].items():
        print(f"  {name}: {v}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    print(f"wrote {path} (runs took {result['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
