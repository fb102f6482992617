"""Tool-call cache quality and latency: loopcache vs GPTCache on the labelled dev pairs, side by side.

    .venv/bin/python bench/toolcache_eval.py [--data-dir ../shared/data] [--json bench/results/toolcache_eval.json]

Quality: for every labelled pair, a fresh cache stores call `a`, then looks up call `b`; a hit on a pair
labelled equivalent is a true hit, a hit on any other pair a false hit. Reported per stage:
  loopcache exact            canonicalise + key only (semantic stage off)
  loopcache semantic, no verify   exact + nearest neighbour above the threshold, verify skipped (ablation)
  loopcache exact+semantic   the full pipeline (exact -> semantic -> verify)
  GPTCache                   its default similarity cache (sqlite + faiss + SearchDistanceEvaluation,
                             similarity_threshold 0.8) with the same all-MiniLM-L6-v2 model, keyed on
                             `tool + JSON(args)` text
plus a safety check the dev pairs do not cover: each non-read-only tool called twice with identical
arguments (must never hit). Latency: exact and semantic lookups against 10k stored calls of one tool.
Not a test: it prints a table and writes JSON.
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
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from loopcache.toolcache.cache import Stage, ToolCache  # noqa: E402
from loopcache.toolcache.canonical import canonicalize_args  # noqa: E402
from loopcache.toolcache.embedder import MiniLMEmbedder, call_text, minilm_model_dir  # noqa: E402
from loopcache.toolcache.key import make_key  # noqa: E402
from loopcache.toolcache.spec import DEFAULT_SEMANTIC_THRESHOLD  # noqa: E402
from loopcache.toolcache.store import Entry  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Score:
    system: str
    true_hits: int
    false_hits: int
    equivalent: int
    non_equivalent: int
    unsafe_hits: int | None  # hits on identical repeats of non-read-only tools

    @property
    def precision(self) -> float | None:
        hits = self.true_hits + self.false_hits
        return self.true_hits / hits if hits else None

    @property
    def recall(self) -> float:
        return self.true_hits / self.equivalent if self.equivalent else 0.0

    @property
    def false_hit_rate(self) -> float:
        return self.false_hits / self.non_equivalent if self.non_equivalent else 0.0


def score(system: str, pairs: list[dict], hits: list[bool], unsafe_hits: int | None) -> Score:
    equivalent = sum(p["equivalent"] for p in pairs)
    true_hits = sum(h and p["equivalent"] for p, h in zip(pairs, hits, strict=True))
    false_hits = sum(h and not p["equivalent"] for p, h in zip(pairs, hits, strict=True))
    return Score(system, true_hits, false_hits, equivalent, len(pairs) - equivalent, unsafe_hits)


def sample_args(schema: dict) -> dict:
    """Identical-repeat arguments for a tool from its schema (for the non-read-only safety check)."""
    sample = {"string": "example", "integer": 1, "number": 1.5, "boolean": True}
    return {name: sample.get(prop.get("type"), "example") for name, prop in schema.get("properties", {}).items()}


def run_loopcache(pairs: list[dict], tools: dict, embedder: MiniLMEmbedder, semantic: bool,
                  threshold: float) -> tuple[list[bool], list[str], int]:
    hits, stages = [], []
    with ToolCache(":memory:", embedder=embedder) as cache:
        for name, tool in tools.items():
            cache.register_tool(name, tool["parameters"], read_only=tool["read_only"], semantic=semantic,
                                threshold=threshold if semantic else None)
        for index, pair in enumerate(pairs):
            session = f"pair-{index}"  # a fresh scope per pair: store a, query b
            cache.call(pair["tool"], pair["a"], lambda **_: {"result": "a"}, session=session)
            lookup = cache.lookup(pair["tool"], pair["b"], session=session)
            hits.append(lookup.is_hit)
            stages.append(lookup.stage.value)
        unsafe = 0
        for name, tool in tools.items():
            if not tool["read_only"]:
                args = sample_args(tool["parameters"])
                cache.call(name, args, lambda **_: "sent", session="unsafe")
                unsafe += cache.lookup(name, args, session="unsafe").stage in (Stage.EXACT, Stage.SEMANTIC)
    return hits, stages, unsafe


def run_threshold_only(pairs: list[dict], tools: dict, embedder: MiniLMEmbedder, threshold: float) -> list[bool]:
    """Ablation: exact key match, else cosine >= threshold, with the verify stage switched off."""
    hits = []
    for pair in pairs:
        schema = tools[pair["tool"]]["parameters"]
        a, b = canonicalize_args(pair["a"], schema), canonicalize_args(pair["b"], schema)
        va, vb = embedder.embed([call_text(pair["tool"], a), call_text(pair["tool"], b)])
        hits.append(a == b or float(va @ vb) >= threshold)
    return hits


def gptcache_text(tool: str, args: dict) -> str:
    return f"{tool} {json.dumps(args, sort_keys=True)}"


def run_gptcache(pairs: list[dict], tools: dict) -> tuple[list[bool], int] | str:
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

    def fresh(index: int) -> Cache:
        cache = Cache()
        manager = get_data_manager(CacheBase("sqlite", sql_url=f"sqlite:///{folder}/{index}.db"),
                                   VectorBase("faiss", dimension=encoder.dimension,
                                              index_path=f"{folder}/{index}.faiss"))
        cache.init(pre_embedding_func=get_prompt, embedding_func=encoder.to_embeddings, data_manager=manager,
                   similarity_evaluation=SearchDistanceEvaluation(), config=Config(similarity_threshold=0.8))
        return cache

    hits = []
    for index, pair in enumerate(pairs):
        cache = fresh(index)
        put(gptcache_text(pair["tool"], pair["a"]), "a", cache_obj=cache)
        hits.append(get(gptcache_text(pair["tool"], pair["b"]), cache_obj=cache) is not None)
    unsafe = 0
    for name, tool in tools.items():
        if not tool["read_only"]:
            cache = fresh(10_000 + len(name))
            text = gptcache_text(name, sample_args(tool["parameters"]))
            put(text, "sent", cache_obj=cache)
            unsafe += get(text, cache_obj=cache) is not None
    return hits, unsafe


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


def fmt(value: float | None, percent: bool = True) -> str:
    if value is None:
        return "-"
    return f"{100 * value:5.1f}%" if percent else f"{value}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "toolcache_eval.json")
    parser.add_argument("--threshold", type=float, default=DEFAULT_SEMANTIC_THRESHOLD,
                        help="cosine similarity threshold of the semantic stage (higher = stricter)")
    parser.add_argument("--latency-stored", type=int, default=10_000)
    parser.add_argument("--latency-queries", type=int, default=300)
    parser.add_argument("--skip-gptcache", action="store_true")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads for embedding (as the MCP proxy uses); 0: torch's default")
    args = parser.parse_args(argv)
    args.threads = args.threads or None

    pairs_path, tools_path = args.data_dir / "toolcalls-dev.jsonl", args.data_dir / "toolcalls-dev-tools.json"
    if not pairs_path.is_file() or not tools_path.is_file():
        print(f"SKIP: labelled dev data not found in {args.data_dir} (expected the `shared` folder beside the repo)")
        return 0
    pairs = [json.loads(line) for line in pairs_path.read_text().splitlines() if line.strip()]
    tools = json.loads(tools_path.read_text())
    embedder = MiniLMEmbedder(threads=args.threads)
    embedder.embed(["warm up"])

    exact_hits, _, exact_unsafe = run_loopcache(pairs, tools, embedder, False, args.threshold)
    full_hits, full_stages, full_unsafe = run_loopcache(pairs, tools, embedder, True, args.threshold)
    scores = [
        score("loopcache exact", pairs, exact_hits, exact_unsafe),
        score("loopcache semantic, no verify", pairs, run_threshold_only(pairs, tools, embedder, args.threshold),
              None),
        score("loopcache exact+semantic+verify", pairs, full_hits, full_unsafe),
    ]
    gpt_note = "skipped (--skip-gptcache)"
    if not args.skip_gptcache:
        outcome = run_gptcache(pairs, tools)
        if isinstance(outcome, str):
            gpt_note = outcome
        else:
            scores.append(score("GPTCache (MiniLM, default similarity)", pairs, *outcome))
            gpt_note = "ran offline: sqlite + faiss + SearchDistanceEvaluation, similarity_threshold=0.8"

    print(f"\nTool-call cache on {len(pairs)} labelled pairs ({sum(p['equivalent'] for p in pairs)} equivalent), "
          f"threshold {args.threshold}")
    print(f"{'system':40} {'precision':>9} {'recall':>7} {'false-hit':>9} {'TP':>3} {'FP':>3} {'unsafe hits':>11}")
    for s in scores:
        unsafe = "-" if s.unsafe_hits is None else f"{s.unsafe_hits}/3"
        print(f"{s.system:40} {fmt(s.precision):>9} {fmt(s.recall):>7} {fmt(s.false_hit_rate):>9} "
              f"{s.true_hits:>3} {s.false_hits:>3} {unsafe:>11}")
    print(f"GPTCache: {gpt_note}")
    by_stage = {stage: sum(1 for st, p in zip(full_stages, pairs, strict=True) if st == stage and p["equivalent"])
                for stage in ("exact", "semantic")}
    print(f"loopcache full pipeline, true hits by stage: {by_stage}")
    missed = [f"{p['tool']}: {p['why']}" for p, h in zip(pairs, full_hits, strict=True) if p["equivalent"] and not h]
    print(f"equivalent pairs missed: {missed}")

    latency = run_latency(embedder, args.latency_stored, args.latency_queries, args.threshold)
    load = os.getloadavg()[0]
    latency["load_average_1m"] = load
    print(f"\nLookup latency at {latency['stored_calls']} stored calls of one tool (SQLite on disk, "
          f"{latency['queries']} queries; embedding threads {args.threads or 'torch default'}; "
          f"machine load average {load:.1f} on {os.cpu_count()} CPUs)")
    for name in ("exact", "semantic", "semantic_index_search_only"):
        row = latency[name]
        print(f"  {name:28} p50 {row['p50_ms']:7.3f} ms   p99 {row['p99_ms']:7.3f} ms")

    targets = {"false_hit_rate<=1%": scores[2].false_hit_rate <= 0.01, "recall>=80%": scores[2].recall >= 0.8,
               "zero hits on non-read-only tools": scores[2].unsafe_hits == 0}
    print(f"targets (full pipeline): {targets}")
    report = {"pairs": len(pairs), "threshold": args.threshold, "gptcache": gpt_note,
              "scores": [{**asdict(s), "precision": s.precision, "recall": s.recall,
                          "false_hit_rate": s.false_hit_rate} for s in scores],
              "true_hits_by_stage": by_stage, "missed_equivalent": missed, "latency": latency,
              "targets": targets, "embedding_threads": args.threads, "python": sys.version.split()[0]}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
