"""Tool-call cache quality and latency: loopcache vs GPTCache on labelled pairs, side by side.

    .venv/bin/python bench/toolcache_eval.py [--sets shared-dev,dev,heldout] [--json bench/results/toolcache_eval.json]

Sets of labelled pairs:
  shared-dev  ../shared/data/toolcalls-dev.jsonl (60 pairs; the first verify rules were written on it), plus
              each of its non-read-only tools called twice with identical arguments
  dev         loopcache's own set, dev split (bench/data/toolcalls; real trace calls by reference + hand-written)
  heldout     the same set's held-out split: reported, never tuned on (its errors are not listed)
  fresh-dev   a second set (bench/data/toolcalls/fresh), written on 2026-12-02 by a labeller who had not
  fresh-heldout  seen the rules (a fix made after `heldout`'s one false hit had spent that split). Its first
              run, on all of it, is recorded in its README; then it was split by the same seeded hash: rules
              may be tuned on fresh-dev, fresh-heldout is only reported (its errors are not listed)
  fresh2      a third set (bench/data/toolcalls/fresh2), written blind to the rules after the fresh-dev
              rules and the switch of the semantic default; held out for one run (recorded in its README),
              then a dev set: rules may be tuned on it
  fresh3-dev  a fourth set (bench/data/toolcalls/fresh3), written by a labeller blind to the rules while
  fresh3-heldout  rules were being tuned on fresh2. Its first run, on all of it, is recorded in its README
              (4 and 8 false hits); then it was split like fresh: tuned on fresh3-dev, fresh3-heldout only
              reported (its errors are not listed)
  fresh4-dev  a fifth set (bench/data/toolcalls/fresh4), written blind to the rules, split like fresh3 after
  fresh4-heldout  its first run (README); tuned on fresh4-dev, then on fresh4-heldout to fix its false hits
              (so it is no longer held out)
  fresh5-dev  a sixth set (bench/data/toolcalls/fresh5), written blind to the rules while fresh4 was tuned
  fresh5-heldout  on; split after its first run (README): tuned on fresh5-dev, fresh5-heldout only reported
  fresh6-dev  a seventh set (bench/data/toolcalls/fresh6), written blind to the rules after fresh5's; split
  fresh6-heldout  after its first run like fresh5
  fresh7-dev  an eighth (bench/data/toolcalls/fresh7), written blind after fresh6's rules; split likewise
  fresh7-heldout  (then opened for its false hits)
  fresh8-dev  a ninth (bench/data/toolcalls/fresh8), written blind after the semantic stage was turned off
  fresh8-heldout  by default; split likewise
  fresh9-dev  a tenth (bench/data/toolcalls/fresh9): tools of the kinds popular MCP servers expose (files,
  fresh9-heldout  git, GitHub, Slack, Notion, calendars, SQL, search), terse descriptions; split likewise
  fresh10-dev  an eleventh (bench/data/toolcalls/fresh10): customer-service and back-office tools whose
  fresh10-heldout  descriptions do not spell out normalisation; split likewise
  fresh11-dev  a twelfth (bench/data/toolcalls/fresh11): NOTAMs, court dockets, business registers, stream
  fresh11-heldout  gauges, grid carbon, SPDX, funnels, ticketing, museums; split likewise
  fresh12-dev  a thirteenth (bench/data/toolcalls/fresh12): coding-agent tools (symbols, tests, CI logs,
  fresh12-heldout  Kubernetes), help centres, recipes, visas, recruiting, proteins, crops, recalls; likewise
  fresh13-dev  a fourteenth (bench/data/toolcalls/fresh13), written blind after fresh12-dev's rules; split
  fresh13-heldout  likewise
  fresh14-dev  a fifteenth (bench/data/toolcalls/fresh14), written blind after fresh13-dev's rules; split
  fresh14-heldout  likewise
  fresh15-dev  a sixteenth (bench/data/toolcalls/fresh15), written blind after fresh14-dev's rules; split
  fresh15-heldout  likewise
  fresh16-dev  a seventeenth (bench/data/toolcalls/fresh16), written blind after fresh15-dev's rules; split
  fresh16-heldout  likewise
  fresh17-dev  an eighteenth (bench/data/toolcalls/fresh17), written blind after fresh16's first run; split
  fresh17-heldout  likewise
  fresh18-dev  a nineteenth (bench/data/toolcalls/fresh18), written blind after fresh17's first run; split
  fresh18-heldout  likewise
  fresh19-dev ... fresh46-heldout  the twentieth to forty-seventh (bench/data/toolcalls/fresh19 ... fresh46),
              written blind two at a time, each pair by two labellers who did not see each other's, while the
              previous pair's dev rules were written; split likewise

Errors are listed for every set but the held-out pairs of a split set (whichever way the set is loaded).

Quality: for every pair a fresh scope stores call `a`, then looks up call `b`. Over pairs of read-only tools
a hit on an equivalent pair is a true hit, a hit on any other a false hit; over pairs of tools that are not
read-only any hit is a side-effect hit. Systems:
  loopcache exact, infer off  every tool registered with infer=False: only what its schema declares (canonical.py)
  loopcache exact            canonicalise + key only (semantic stage off)
  loopcache default          what register_tool() does when not told (the exact stage only)
  semantic, no verify        exact + nearest neighbour above the threshold, verify skipped (ablation)
  loopcache semantic+verify  the full pipeline (exact -> semantic -> verify)
  GPTCache                   its default similarity cache (sqlite + faiss + SearchDistanceEvaluation,
                             similarity_threshold 0.8) with the same all-MiniLM-L6-v2 model, keyed on
                             `tool + JSON(args)` text; it knows nothing of side effects
Latency: exact and semantic lookups against 10k stored calls of one tool. Not a test: prints, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from loopcache.toolcache.cache import Stage, ToolCache  # noqa: E402
from loopcache.toolcache.canonical import canonicalize_args  # noqa: E402
from loopcache.toolcache.embedder import Embedder, MiniLMEmbedder, PreparedEmbedder, call_text, minilm_model_dir  # noqa: E402
from loopcache.toolcache.key import make_key  # noqa: E402
from loopcache.toolcache.labelled_pairs import HELD_OUT, LabelledPair, ToolInfo, load_pairs, load_tools  # noqa: E402
from loopcache.toolcache.pair_scoring import PairResult, Score, register_tools, replay_pairs, score  # noqa: E402
from loopcache.toolcache.spec import DEFAULT_SEMANTIC_THRESHOLD  # noqa: E402
from loopcache.toolcache.store import Entry  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OWN = REPO / "bench" / "data" / "toolcalls"
LabelledSet = tuple[list[LabelledPair], dict[str, ToolInfo]]
def shared_dev_set(data_dir: Path) -> LabelledSet | None:
    pairs_path, tools_path = data_dir / "toolcalls-dev.jsonl", data_dir / "toolcalls-dev-tools.json"
    if not pairs_path.is_file() or not tools_path.is_file():
        return None
    tools = load_tools(tools_path)
    pairs = [LabelledPair(f"shared-{i}", p["tool"], p["a"], p["b"], p["equivalent"], p.get("why", ""), "hand", "dev")
             for i, p in enumerate(json.loads(line) for line in pairs_path.read_text().splitlines() if line.strip())]
    for info in tools.values():  # identical repeats of every tool that is not read-only: must never hit
        if not info.read_only:
            args = sample_args(info.parameters)
            pairs.append(LabelledPair(f"shared-repeat-{info.name}", info.name, args, dict(args), False,
                                      "side effect: identical repeat", "hand", "dev"))
    return pairs, tools


def sample_args(schema: dict) -> dict:
    sample = {"string": "example", "integer": 1, "number": 1.5, "boolean": True}
    return {name: sample.get(prop.get("type"), "example") for name, prop in schema.get("properties", {}).items()}


# blind sets split after their first run by the seeded hash of the pair id: each loads whole, -dev or -heldout
SPLIT_BLIND_SETS = ("fresh", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9", "fresh10",
                    "fresh11", "fresh12", "fresh13", "fresh14", "fresh15", "fresh16", "fresh17",
                    "fresh18", "fresh19", "fresh20", "fresh21", "fresh22", "fresh23", "fresh24",
                    "fresh25", "fresh26", "fresh27", "fresh28", "fresh29", "fresh30",
                    "fresh31", "fresh32", "fresh33", "fresh34", "fresh35", "fresh36",
                    "fresh37", "fresh38", "fresh39", "fresh40", "fresh41", "fresh42",
                    "fresh43", "fresh44", "fresh45", "fresh46")


# every set, each split one as its two halves: shared-dev, dev, heldout, fresh-dev, fresh-heldout, fresh2, fresh3-dev, ...
DEFAULT_SETS = ("shared-dev", "dev", "heldout", "fresh-dev", "fresh-heldout", "fresh2",
                *(f"{name}-{half}" for name in SPLIT_BLIND_SETS[1:] for half in ("dev", "heldout")))


def fresh_set(shared: Path, name: str, split: str) -> LabelledSet | None:
    """A blind set split after its first run by the seeded hash of the pair id (no split file)."""
    if not (shared / "traces").is_dir() or not (OWN / name).is_dir():
        return None
    pairs = load_pairs(OWN / name / "pairs.jsonl", shared)
    return [p for p in pairs if p.split == split], load_tools(OWN / name / "tools.json")


def whole_set(shared: Path, name: str) -> LabelledSet | None:
    folder = OWN / name
    if not (shared / "traces").is_dir() or not folder.is_dir():
        return None
    return load_pairs(folder / "pairs.jsonl", shared), load_tools(folder / "tools.json")


def own_set(shared: Path, split: str) -> LabelledSet | None:
    if not (shared / "traces").is_dir():
        return None
    pairs = load_pairs(OWN / "pairs.jsonl", shared, OWN / "split.json")
    return [p for p in pairs if p.split == split], load_tools(OWN / "tools.json")


def run_loopcache(labelled: LabelledSet, embedder: Embedder, semantic: bool | None,
                  threshold: float) -> list[PairResult]:
    """`semantic`: True (on, at `threshold`), False (exact only) or None (register_tool's default)."""
    pairs, tools = labelled
    with ToolCache(":memory:", embedder=embedder) as cache:
        if semantic:
            for info in tools.values():
                cache.register_tool(info.name, info.parameters, read_only=info.read_only, semantic=True,
                                    threshold=threshold)
        else:
            register_tools(cache, tools, semantic)
        return replay_pairs(cache, pairs, tools)


def run_declared(labelled: LabelledSet) -> list[PairResult]:
    """Every tool registered with `infer=False`: only what its schema declares makes two calls one."""
    pairs, tools = labelled
    with ToolCache(":memory:") as cache:
        for info in tools.values():
            cache.register_tool(info.name, info.parameters, read_only=info.read_only, infer=False)
        return replay_pairs(cache, pairs, tools)


def prepared(labelled: LabelledSet, embedder: Embedder) -> PreparedEmbedder:
    """Every call text of the set embedded in one batch (same vectors, far fewer model calls)."""
    pairs, tools = labelled
    return PreparedEmbedder(embedder, [call_text(p.tool, canonicalize_args(args, tools[p.tool].parameters, p.tool))
                                       for p in pairs for args in (p.a, p.b)])


def run_threshold_only(labelled: LabelledSet, embedder: Embedder, threshold: float) -> Score:
    """Ablation: exact key match, else cosine >= threshold, with the verify stage switched off."""
    pairs, tools = labelled
    hits = []
    for pair in pairs:
        schema = tools[pair.tool].parameters
        a, b = (canonicalize_args(args, schema, pair.tool) for args in (pair.a, pair.b))
        va, vb = embedder.embed([call_text(pair.tool, a), call_text(pair.tool, b)])
        hits.append(a == b or float(va @ vb) >= threshold)
    return score_hits("semantic, no verify", labelled, hits)


def score_hits(system: str, labelled: LabelledSet, hits: list[bool]) -> Score:
    pairs, tools = labelled
    results = [PairResult(p, not tools[p.tool].read_only, "exact" if h else "miss", "", None)
               for p, h in zip(pairs, hits, strict=True)]
    return score(system, results)


def run_gptcache(labelled: LabelledSet) -> Score | str:
    try:
        from gptcache import Cache, Config
        from gptcache.adapter.api import get, put
        from gptcache.embedding import SBERT
        from gptcache.manager import CacheBase, VectorBase, get_data_manager
        from gptcache.processor.pre import get_prompt
        from gptcache.similarity_evaluation.distance import SearchDistanceEvaluation
    except ImportError as error:
        return f"GPTCache not available ({error}); pip install -e '.[bench]'"
    encoder = SBERT(str(minilm_model_dir()))
    folder = tempfile.mkdtemp(prefix="gptcache-")
    hits = []
    for index, pair in enumerate(labelled[0]):
        cache = Cache()
        manager = get_data_manager(CacheBase("sqlite", sql_url=f"sqlite:///{folder}/{index}.db"),
                                   VectorBase("faiss", dimension=encoder.dimension, index_path=f"{folder}/{index}.faiss"))
        cache.init(pre_embedding_func=get_prompt, embedding_func=encoder.to_embeddings, data_manager=manager,
                   similarity_evaluation=SearchDistanceEvaluation(), config=Config(similarity_threshold=0.8))
        put(f"{pair.tool} {json.dumps(pair.a, sort_keys=True)}", "a", cache_obj=cache)
        hits.append(get(f"{pair.tool} {json.dumps(pair.b, sort_keys=True)}", cache_obj=cache) is not None)
    return score_hits("GPTCache (MiniLM, default similarity)", labelled, hits)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}


def run_latency(embedder: MiniLMEmbedder, stored: int, queries: int, threshold: float) -> dict:
    """Fill an on-disk cache with `stored` calls of one tool (bulk-embedded), then time lookups."""
    rng = random.Random(7)
    words = ("python rust redis kafka gpu llm cache tutorial install debian config memory bandwidth latency "
             "benchmark error timeout docker kubernetes postgres index query vector search api auth token "
             "deploy release build test async thread socket http json yaml parse stream batch").split()
    texts = sorted({" ".join(rng.sample(words, 4)) + f" {i}" for i in range(stored)})[:stored]
    schema = {"type": "object", "properties": {"query": {"type": "string"}}}
    folder = Path(tempfile.mkdtemp(prefix="toolcache-latency-"))
    with ToolCache(folder / "cache.sqlite3", embedder=embedder, session="bench") as cache:
        spec = cache.register_tool("web_search", schema, read_only=True, semantic=True, threshold=threshold)
        scope = "session:bench"
        started = time.perf_counter()
        vectors = embedder.embed([call_text("web_search", {"query": t}) for t in texts])
        embed_s = time.perf_counter() - started
        for text, vector in zip(texts, vectors, strict=True):
            args = {"query": text}
            cache.store.put(Entry(make_key("web_search", spec.fingerprint, scope, args), "web_search",
                                  spec.fingerprint, scope, args, {"hits": [text]}, False, time.time(), None, 0.2,
                                  vector.tobytes()))
        cache.lookup("web_search", {"query": "warm up the index"})  # loads the index (catch-up) once
        picks = rng.sample(texts, queries)
        exact, semantic, index_only = [], [], []
        for text in picks:
            t0 = time.perf_counter()
            assert cache.lookup("web_search", {"query": text}).stage is Stage.EXACT
            exact.append(time.perf_counter() - t0)
        for text in picks:
            t0 = time.perf_counter()
            found = cache.lookup("web_search", {"query": text.upper()})
            semantic.append(time.perf_counter() - t0)
            assert found.stage is Stage.SEMANTIC, found.reason
        index = cache._get_index(embedder.dim)
        for vector in vectors[:queries]:
            t0 = time.perf_counter()
            index.nearest(("web_search", spec.fingerprint, scope), vector, 5, threshold)
            index_only.append(time.perf_counter() - t0)
    return {"stored_calls": len(texts), "queries": queries, "bulk_embed_s": embed_s,
            "exact": percentiles(exact), "semantic": percentiles(semantic),
            "semantic_index_search_only": percentiles(index_only)}


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:5.1f}%"


def print_table(name: str, labelled: LabelledSet, scores: list[Score]) -> None:
    pairs, tools = labelled
    print(f"\n{name}: {len(pairs)} pairs on {len({p.tool for p in pairs})} tools "
          f"({scores[0].equivalent} equivalent, {scores[0].non_equivalent} not, {scores[0].side_effect_pairs} on "
          f"side-effecting tools)")
    print(f"  {'system':38} {'recall':>7} {'TP':>4} {'false hits':>10} {'FP rate':>8} {'side-effect hits':>16}")
    for s in scores:
        print(f"  {s.system:38} {fmt(s.recall):>7} {s.true_hits:>4} {s.false_hits:>10} {fmt(s.false_hit_rate):>8} "
              f"{s.side_effect_hits:>6}/{s.side_effect_pairs:<3}")


def is_split(name: str) -> bool:
    """Whether set `name` is (a half of) a set split into dev and held-out pairs."""
    base = name.removesuffix("-dev").removesuffix("-heldout")
    return base in ("dev", "heldout") or base in SPLIT_BLIND_SETS


def print_errors(results: list[PairResult], split: bool) -> list[dict]:
    """List the errors, but never those of a split set's held-out pairs: looking at them is tuning on them."""
    errors, hidden = [], 0
    for r in results:
        if r.is_false_hit or r.is_hit and r.side_effect or (r.pair.equivalent and not r.is_hit and not r.side_effect):
            if split and r.pair.split == HELD_OUT:
                hidden += 1
                continue
            kind = "FALSE HIT" if r.is_hit else "missed"
            errors.append({"id": r.pair.id, "kind": kind, "tool": r.pair.tool, "why": r.pair.why, "reason": r.reason})
            print(f"    {kind:9} {r.pair.id:16} {r.pair.tool}: {r.pair.why}  [{r.reason[:110]}]")
    if hidden:
        print(f"    ({hidden} errors on held-out pairs, not listed)")
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared folder (data, traces)")
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="comma-separated names of the sets above")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "toolcache_eval.json")
    parser.add_argument("--threshold", type=float, default=DEFAULT_SEMANTIC_THRESHOLD,
                        help="cosine similarity threshold of the semantic stage (higher = stricter)")
    parser.add_argument("--latency-stored", type=int, default=10_000, help="0: skip the latency measurement")
    parser.add_argument("--latency-queries", type=int, default=300)
    parser.add_argument("--skip-gptcache", action="store_true")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads for embedding (as the MCP proxy uses); 0: torch's default")
    args = parser.parse_args(argv)
    loaders = {"shared-dev": lambda: shared_dev_set(args.shared / "data"),
               "dev": lambda: own_set(args.shared, "dev"), "heldout": lambda: own_set(args.shared, "heldout"),
               "fresh2": lambda: whole_set(args.shared, "fresh2"),
               **{f"{name}{part}": loader for name in SPLIT_BLIND_SETS for part, loader in (
                   ("", lambda name=name: whole_set(args.shared, name)),
                   ("-dev", lambda name=name: fresh_set(args.shared, name, "dev")),
                   ("-heldout", lambda name=name: fresh_set(args.shared, name, "heldout")))}}
    embedder = MiniLMEmbedder(threads=args.threads or None)
    embedder.embed(["warm up"])
    report: dict = {"threshold": args.threshold, "sets": {}, "python": sys.version.split()[0]}
    for name in args.sets.split(","):
        labelled = loaders[name]()
        if labelled is None:
            print(f"\nSKIP {name}: not found under {args.shared} (the `shared` folder beside the repository)")
            continue
        model = prepared(labelled, embedder)
        full = run_loopcache(labelled, model, True, args.threshold)
        scores = [score("loopcache exact, infer off", run_declared(labelled)),
                  score("loopcache exact", run_loopcache(labelled, model, False, args.threshold)),
                  score("loopcache default", run_loopcache(labelled, model, None, args.threshold)),
                  run_threshold_only(labelled, model, args.threshold),
                  score("loopcache semantic+verify", full)]
        if not args.skip_gptcache:
            outcome = run_gptcache(labelled)
            if isinstance(outcome, Score):
                scores.append(outcome)
            else:
                print(outcome)
        print_table(name, labelled, scores)
        entry: dict = {"scores": [{**asdict(s), "recall": s.recall, "false_hit_rate": s.false_hit_rate}
                                  for s in scores]}
        entry["true_hits_by_stage"] = {st: sum(r.is_true_hit and r.stage == st for r in full)
                                       for st in ("exact", "semantic")}
        entry["errors"] = print_errors(full, is_split(name))
        report["sets"][name] = entry
    if args.latency_stored:
        latency = run_latency(embedder, args.latency_stored, args.latency_queries, args.threshold)
        latency["load_average_1m"] = os.getloadavg()[0]
        print(f"\nLookup latency at {latency['stored_calls']} stored calls of one tool (SQLite on disk, "
              f"{latency['queries']} queries; embedding threads {args.threads or 'torch default'}; machine load "
              f"average {latency['load_average_1m']:.1f} on {os.cpu_count()} CPUs)")
        for row in ("exact", "semantic", "semantic_index_search_only"):
            print(f"  {row:28} p50 {latency[row]['p50_ms']:7.3f} ms   p99 {latency[row]['p99_ms']:7.3f} ms")
        report["latency"] = latency
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
