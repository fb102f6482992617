"""Redis tier benchmark (not a test): prints a table and writes bench/results/redis_tier.json.

    .venv/bin/python bench/redis_tier.py [--blocks 24] [--prompt-tokens 3000] [--rounds 3] [--skip-servers]

1. KV store and load GB/s through RedisStore on loopback, blocks of the default model's real size
   (256 tokens of SmolLM2-135M bf16, ~5.9 MB), against `redis-benchmark` SET/GET of values of the same
   size in the same run (one connection; and 16 requests pipelined against a 16-block get_many).
2. TTFT of a resumed step whose prefix comes from Redis vs from the local disk vs recomputed (default
   model, in-process, a fresh memory tier each time; medians of `--rounds`).
3. The same 16-block prefix loads against a 3-node Redis Cluster (`redis-cli --cluster create`): hash tags
   group one block's parts, not a prefix's blocks, so a prefix spreads over the shards; the figure says
   what that costs against one server (the alternative, one tag per prefix, puts every session that shares
   a system prompt on one shard).
4. Two `loopcache serve` (default model, a disk each) sharing the Redis: two sessions run the same steps
   1-3 on the first server; step 4 of one stays there, of the other moves to the second server: the moved
   step's cached tokens as a share of the staying one's, and both requests' latency.

Starts its own redis-server on a free port (Debian package redis-server) and stops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import ROOT, block_hash
from loopcache.kvcache.redis_client import RedisTarget
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.redis_store import RedisStore
from loopcache.kvcache.redis_value import split

BLOCK_TOKENS = 256
BYTES_PER_TOKEN = 30 * 2 * 3 * 64 * 2  # SmolLM2-135M: layers x (K, V) x kv heads x head dim x bf16
PIPELINE = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                             "--save", "", "--appendonly", "no", "--maxmemory", "3gb",
                             "--maxmemory-policy", "volatile-lru"], stdout=subprocess.DEVNULL)
    for _ in range(200):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
            return proc, port
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def synthetic_block(i: int, fingerprint: str) -> KVBlock:
    tokens = tuple(range(i * BLOCK_TOKENS, (i + 1) * BLOCK_TOKENS))
    payload = np.random.default_rng(i).integers(0, 256, BLOCK_TOKENS * BYTES_PER_TOKEN, dtype=np.uint8)
    return KVBlock(block_hash(ROOT, "bench", fingerprint, tokens), ROOT, "bench", fingerprint, tokens, "bfloat16",
                   (30, 2, 3, BLOCK_TOKENS, 64), payload)


def redis_benchmark(port: int, size: int, requests: int, pipeline: int) -> dict[str, float]:
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set,get", "-d", str(size), "-n", str(requests),
                          "-c", "1", "-P", str(pipeline), "--csv"], capture_output=True, text=True, timeout=600)
    rates = {}
    for line in out.stdout.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if cells[0] in ("SET", "GET"):
            rates[cells[0]] = float(cells[1]) * size / 1e9
    return rates


def throughput(port: int, num_blocks: int, rounds: int) -> dict[str, Any]:
    """Each round times RedisStore and redis-benchmark back to back (the machine is shared: interleaving
    keeps a noisy neighbour from landing on one side only); medians over the rounds."""
    store = RedisStore.open(RedisTarget(f"redis://127.0.0.1:{port}"), RedisKeys("bench", "synthetic"))
    blocks = [synthetic_block(i, "synthetic") for i in range(num_blocks)]
    keys = [b.key for b in blocks]
    size = len(split(blocks[0])[0])
    total = size * num_blocks
    runs: dict[str, list[float]] = {k: [] for k in ("store", "load", "load_many", "raw_set", "raw_get", "raw_get_p")}
    requests = max(num_blocks, PIPELINE) // PIPELINE * PIPELINE
    for _ in range(rounds):
        t = time.perf_counter()
        assert all(store.put(b) for b in blocks)
        runs["store"].append(total / (time.perf_counter() - t) / 1e9)
        t = time.perf_counter()
        assert all(store.get(k) is not None for k in keys)
        runs["load"].append(total / (time.perf_counter() - t) / 1e9)
        t = time.perf_counter()
        for i in range(0, num_blocks, PIPELINE):
            assert all(b is not None for b in store.get_many(keys[i:i + PIPELINE]))
        runs["load_many"].append(total / (time.perf_counter() - t) / 1e9)
        single = redis_benchmark(port, size, requests, 1)
        runs["raw_set"].append(single["SET"])
        runs["raw_get"].append(single["GET"])
        runs["raw_get_p"].append(redis_benchmark(port, size, requests, PIPELINE)["GET"])
    store.close()
    subprocess.run(["redis-cli", "-p", str(port), "flushall"], capture_output=True)
    m = {k: statistics.median(v) for k, v in runs.items()}
    return {"value_bytes": size, "blocks": num_blocks, "rounds": rounds, "store_gbps": m["store"],
            "load_gbps": m["load"], "load_many_gbps": m["load_many"], "raw_set_gbps": m["raw_set"],
            "raw_get_gbps": m["raw_get"], "raw_get_pipelined_gbps": m["raw_get_p"],
            "store_vs_raw": m["store"] / m["raw_set"], "load_vs_raw": m["load"] / m["raw_get"],
            "load_many_vs_raw_pipelined": m["load_many"] / m["raw_get_p"], "per_round": runs}


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is a valid, free port too."""
    while True:
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def start_cluster(folder: Path) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    procs, ports = [], []
    for i in range(3):
        node = folder / f"node{i}"
        node.mkdir(parents=True)
        port = cluster_port()
        procs.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node),
                                       "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
                                       "--cluster-config-file", "nodes.conf", "--maxmemory", "1gb",
                                       "--maxmemory-policy", "volatile-lru"], stdout=subprocess.DEVNULL))
        ports.append(port)
    for port in ports:
        for _ in range(200):
            answer = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout
            if answer.strip() == "PONG":
                break
            time.sleep(0.05)
    subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0",
                    "--cluster-yes"], capture_output=True, check=True, timeout=60)
    for _ in range(300):
        if all("cluster_state:ok" in subprocess.run(["redis-cli", "-p", str(p), "cluster", "info"], capture_output=True,
                                                    text=True).stdout for p in ports):
            return procs, ports
        time.sleep(0.1)
    raise RuntimeError("the cluster did not become ready")


def cluster_load(single_port: int, work: Path, num_blocks: int, rounds: int) -> dict[str, Any]:
    """get_many of 16-block prefixes from one server and from a 3-node cluster, rounds interleaved."""
    procs, ports = start_cluster(work / "cluster")
    try:
        targets = {"single": f"redis://127.0.0.1:{single_port}", "cluster": f"redis+cluster://127.0.0.1:{ports[0]}"}
        stores = {name: RedisStore.open(RedisTarget(url), RedisKeys("bench", "synthetic"))
                  for name, url in targets.items()}
        blocks = [synthetic_block(i, "synthetic") for i in range(num_blocks)]
        keys = [b.key for b in blocks]
        total = len(split(blocks[0])[0]) * num_blocks
        for store in stores.values():
            assert all(store.put(b) for b in blocks)
        runs: dict[str, list[float]] = {name: [] for name in stores}
        for _ in range(rounds):
            for name, store in stores.items():
                t = time.perf_counter()
                for i in range(0, num_blocks, PIPELINE):
                    assert all(b is not None for b in store.get_many(keys[i:i + PIPELINE]))
                runs[name].append(total / (time.perf_counter() - t) / 1e9)
        slots = [int(subprocess.run(["redis-cli", "-p", str(ports[0]), "cluster", "keyslot",
                                     RedisKeys("bench", "synthetic").head(k).decode()],
                                    capture_output=True, text=True).stdout.strip()) for k in keys[:PIPELINE]]
        shards = {slot * 3 // 16384 for slot in slots}  # `--cluster create` gives each node a third of the slots
        for store in stores.values():
            store.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(30)
    subprocess.run(["redis-cli", "-p", str(single_port), "flushall"], capture_output=True)
    m = {name: statistics.median(v) for name, v in runs.items()}
    return {"single_gbps": m["single"], "cluster_gbps": m["cluster"], "cluster_vs_single": m["cluster"] / m["single"],
            "shards_of_a_16_block_prefix": len(shards), "per_round": runs}


def resume_ttft(port: int, home: Path, work: Path, prompt_tokens: int, rounds: int) -> dict[str, Any]:
    from loopcache.engine.config import EngineConfig
    from loopcache.engine.engine import Engine
    from loopcache.engine.sampling import SamplingParams
    from loopcache.kvcache.tier_config import TierConfig, open_tiers
    from loopcache.model.loader import load_model

    model = load_model("default", home)
    config = EngineConfig(block_size=BLOCK_TOKENS, learn_costs=False)
    text = " ".join(f"line {i}: def handler_{i}(request): return process(request, retries={i % 7})"
                    for i in range(prompt_tokens))
    ids = model.tokenizer(text)["input_ids"][:prompt_tokens]
    step = ids + model.tokenizer(" Next: run the tests again and report.")["input_ids"]
    redis = RedisTarget(f"redis://127.0.0.1:{port}")
    shared_disk = work / "disk-shared"
    writer = Engine(model, open_tiers(TierConfig(root=shared_disk, redis=redis), fingerprint=model.fingerprint),
                    config)
    writer.generate(ids, SamplingParams(max_tokens=1), "bench-session")
    writer.close()  # drains the write-behind into disk and Redis

    def ttft(tiers: TierConfig | None) -> tuple[float, float, dict[str, int]]:
        engine = Engine(model, open_tiers(tiers, fingerprint=model.fingerprint) if tiers else None, config)
        stats = engine.generate(step, SamplingParams(max_tokens=1), "bench-session").stats
        engine.close()
        return stats.ttft_s, stats.load_s, stats.cached_tokens_by_tier

    Engine(model, None, config).warmup()
    runs: dict[str, list[float]] = {"recompute": [], "disk": [], "redis": []}
    loads: dict[str, list[float]] = {mode: [] for mode in runs}
    tiers_seen: dict[str, dict[str, int]] = {}
    for r in range(rounds):
        for mode in runs:
            if mode == "recompute":
                tiers = None
            elif mode == "disk":
                tiers = TierConfig(root=shared_disk)
            else:
                empty = work / f"disk-empty-{r}"
                tiers = TierConfig(root=empty, redis=redis)
            seconds, load_s, by_tier = ttft(tiers)
            runs[mode].append(seconds)
            loads[mode].append(load_s)
            tiers_seen[mode] = by_tier
            if mode == "redis":
                shutil.rmtree(work / f"disk-empty-{r}", ignore_errors=True)
    return {"prompt_tokens": len(step), **{f"ttft_{m}_s": statistics.median(v) for m, v in runs.items()},
            **{f"load_{m}_s": statistics.median(v) for m, v in loads.items()}, "cached_by_tier": tiers_seen,
            "per_round_ttft_s": runs}


def two_servers(port: int, home: Path, work: Path) -> dict[str, Any]:
    cli = [sys.executable, "-c", "from loopcache.cli import main; main()", "serve", "--cache-dir", str(home),
           "--redis-url", f"redis://127.0.0.1:{port}", "--log-level", "warning", "--threads", "1"]
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([*cli, "--kv-dir", str(work / f"server{i}"), "--port", str(p)],
                              stdout=(work / f"server{i}.log").open("wb"), stderr=subprocess.STDOUT,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"}) for i, p in enumerate(ports)]
    try:
        for p in ports:
            deadline = time.monotonic() + 600
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and all(x.poll() is None for x in procs), "server did not start"
                time.sleep(0.5)
        first, second = (httpx.Client(base_url=f"http://127.0.0.1:{p}", timeout=600) for p in ports)
        system = "You are a coding agent working in a repository. Use the tools you are given. " * 20
        messages = [{"role": "system", "content": system}, {"role": "user", "content": "Fix the failing test."}]

        def chat(client: httpx.Client, session: str, msgs: list[dict[str, str]]) -> dict[str, Any]:
            t = time.perf_counter()
            r = client.post("/v1/chat/completions", headers={"X-Session-Id": session},
                            json={"model": "default", "messages": msgs, "max_tokens": 16, "temperature": 0})
            r.raise_for_status()
            return {**r.json(), "seconds": time.perf_counter() - t}

        # Two sessions with the same steps 1-3 on the first server; step 4 of "stay" there, of "move" on
        # the second. Their step-4 messages differ after the shared history, so neither finds the other's
        # step 4: both can reuse exactly the history, one locally, one through Redis.
        for step in range(1, 4):
            body = chat(first, "stay", messages)
            chat(first, "move", messages)
            messages += [{"role": "assistant", "content": body["choices"][0]["message"]["content"]},
                         {"role": "user", "content": f"Tool output of step {step}: " + "ok test_%d " % step * 80}]
        queued = re.compile(r'^loopcache_write_behind_queued\{tier="redis"\} (\S+)$', re.M)
        while float((queued.search(first.get("/metrics").text) or ["", "0"])[1]) > 0:
            time.sleep(0.1)

        def step4(who: str) -> list[dict[str, str]]:
            return [*messages[:-1], {"role": "user", "content": f"({who} runs step 4) " + messages[-1]["content"]}]

        on_second = chat(second, "move", step4("move"))
        on_first = chat(first, "stay", step4("stay"))
        c2 = on_second["usage"]["prompt_tokens_details"]["cached_tokens"]
        c1 = on_first["usage"]["prompt_tokens_details"]["cached_tokens"]
        return {"prompt_tokens": on_second["usage"]["prompt_tokens"], "cached_on_second": c2, "cached_on_first": c1,
                "second_share_of_first": c2 / c1 if c1 else 0.0, "latency_second_s": on_second["seconds"],
                "latency_first_s": on_first["seconds"]}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=24)
    parser.add_argument("--prompt-tokens", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="TTFT rounds (throughput runs twice as many)")
    parser.add_argument("--skip-servers", action="store_true", help="leave out the two-server run")
    parser.add_argument("--only-tier", action="store_true", help="only the store/load figures (1 and 3)")
    parser.add_argument("--json", type=Path, default=Path("bench/results/redis_tier.json"))
    args = parser.parse_args()
    from loopcache.kvcache.tier_config import default_home

    home = default_home()
    with tempfile.TemporaryDirectory(prefix="loopcache-redis-bench-") as tmp:
        work = Path(tmp)
        proc, port = start_redis(work)
        try:
            result: dict[str, Any] = {"throughput": throughput(port, args.blocks, 2 * args.rounds)}
            t = result["throughput"]
            print(f"{'value size':<34}{t['value_bytes'] / 1e6:>9.2f} MB")
            print(f"{'RedisStore.put':<34}{t['store_gbps']:>9.2f} GB/s   redis-benchmark SET {t['raw_set_gbps']:.2f} "
                  f"GB/s   ratio {t['store_vs_raw']:.0%}")
            print(f"{'RedisStore.get':<34}{t['load_gbps']:>9.2f} GB/s   redis-benchmark GET {t['raw_get_gbps']:.2f} "
                  f"GB/s   ratio {t['load_vs_raw']:.0%}")
            print(f"{'RedisStore.get_many (16)':<34}{t['load_many_gbps']:>9.2f} GB/s   GET -P 16 "
                  f"{t['raw_get_pipelined_gbps']:.2f} GB/s   ratio {t['load_many_vs_raw_pipelined']:.0%}")
            result["cluster"] = c = cluster_load(port, work, args.blocks, 2 * args.rounds)
            print(f"{'get_many (16) from a 3-node cluster':<34}{c['cluster_gbps']:>9.2f} GB/s   one server "
                  f"{c['single_gbps']:.2f} GB/s   ratio {c['cluster_vs_single']:.0%} (a prefix on "
                  f"{c['shards_of_a_16_block_prefix']} shards)")
            if not args.only_tier:
                result["resume"] = r = resume_ttft(port, home, work, args.prompt_tokens, args.rounds)
                print(f"{'TTFT resumed step':<34}{r['prompt_tokens']:>6} tokens: recompute "
                      f"{r['ttft_recompute_s']:.2f} s, disk {r['ttft_disk_s']:.2f} s (load {r['load_disk_s']:.2f}), "
                      f"redis {r['ttft_redis_s']:.2f} s (load {r['load_redis_s']:.2f})  {r['cached_by_tier']}")
            if not args.skip_servers and not args.only_tier:
                result["two_servers"] = s = two_servers(port, home, work)
                print(f"{'step 4 on the second server':<34}{s['cached_on_second']:>6} of {s['prompt_tokens']} tokens "
                      f"cached ({s['second_share_of_first']:.0%} of the first server's {s['cached_on_first']}); "
                      f"latency {s['latency_second_s']:.2f} s vs {s['latency_first_s']:.2f} s")
        finally:
            proc.terminate()
            proc.wait(30)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
