"""Server load benchmark: N concurrent agent sessions x a multi-step loop against `loopcache serve`,
with the KV cache on and off, side by side (each mode gets its own fresh server and cache).

    .venv/bin/python bench/server_load.py [--model default|PATH] [--sessions 8] [--steps 5]
        [--system-words 300] [--tool-words 150] [--output-tokens 16] [--json bench/results/server_load.json]

Every session shares one system prompt (as agents of one product do) and has its own task and tool
results; each step re-sends the whole conversation plus the previous answer and a new tool result, through
the official OpenAI SDK (streaming, so TTFT is measured at the client, queueing included). Reports
requests/s, client TTFT p50/p95, the engine's mean TTFT (from /metrics: prefill only, no queueing), the
cached-token ratio (cached / prompt tokens) and errors (must be 0).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import openai

WORDS = ("cache block token prefix session tier disk memory request engine layer tensor config index store hash "
         "chunk policy eviction worker queue stream decode prefill latency budget trace audit server client").split()


@dataclass(frozen=True)
class StepResult:
    session: int
    step: int
    ttft_s: float
    latency_s: float
    prompt_tokens: int
    cached_tokens: int
    error: str | None = None


@dataclass(frozen=True)
class ModeSummary:
    mode: str
    requests: int
    errors: int
    wall_s: float
    requests_per_s: float
    ttft_p50_s: float
    ttft_p95_s: float
    cached_token_ratio: float
    prompt_tokens: int
    cached_tokens: int
    server_ttft_mean_s: float  # engine-side TTFT (no queueing), from the server's /metrics


def _server_ttft_mean(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    values = {}
    for line in text.splitlines():
        if line.startswith(("loopcache_ttft_seconds_sum", "loopcache_ttft_seconds_count")):
            name, value = line.rsplit(" ", 1)
            values[name.split("{")[0]] = values.get(name.split("{")[0], 0.0) + float(value)
    count = values.get("loopcache_ttft_seconds_count", 0.0)
    return values.get("loopcache_ttft_seconds_sum", 0.0) / count if count else float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _start_server(model: str, home: Path | None, kv_dir: Path, port: int, cache: bool, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from loopcache.cli import main; main()", "serve", "--model", model,
           "--port", str(port), "--kv-dir", str(kv_dir), "--log-level", "warning", "--max-queue", "64"]
    cmd += ["--cache-dir", str(home)] if home else []
    cmd += [] if cache else ["--no-cache"]
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start")


def _session(base_url: str, index: int, args: argparse.Namespace, system: str, out: list[StepResult]) -> None:
    rng = random.Random(1000 + index)
    client = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=600)
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": f"Task {index}: the tests of module {_words(rng, 3)} fail. Fix them."}]
    for step in range(1, args.steps + 1):
        t0 = time.perf_counter()
        ttft, text, usage, error = None, "", None, None
        try:
            stream = client.chat.completions.create(
                model="default" if args.model == "default" else args.model, messages=messages, stream=True,
                max_tokens=args.output_tokens, stream_options={"include_usage": True},
                extra_headers={"X-Session-Id": f"bench-{index}"})
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content and ttft is None:
                    ttft = time.perf_counter() - t0
                if chunk.choices:
                    text += chunk.choices[0].delta.content or ""
                if chunk.usage is not None:
                    usage = chunk.usage
        except openai.APIError as exc:
            error = f"{type(exc).__name__}: {exc}"
        latency = time.perf_counter() - t0
        cached = usage.prompt_tokens_details.cached_tokens if usage and usage.prompt_tokens_details else 0
        out.append(StepResult(index, step, ttft if ttft is not None else latency, latency,
                              usage.prompt_tokens if usage else 0, cached or 0, error))
        tool = f"$ run_tests --step {step}\n" + "\n".join(
            f"src/{_words(rng, 2).replace(' ', '/')}.py:{rng.randint(1, 900)}: {_words(rng, 8)}"
            for _ in range(max(1, args.tool_words // 10)))
        messages += [{"role": "assistant", "content": text}, {"role": "user", "content": tool}]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_mode(args: argparse.Namespace, cache: bool, system: str) -> tuple[ModeSummary, list[StepResult]]:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="loopcache-bench-") as tmp:
        proc = _start_server(args.model, args.cache_dir, Path(tmp) / "kv", port, cache, Path(tmp) / "serve.log")
        try:
            results: list[StepResult] = []
            base = f"http://127.0.0.1:{port}/v1"
            threads = [threading.Thread(target=_session, args=(base, i, args, system, results))
                       for i in range(args.sessions)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            server_ttft = _server_ttft_mean(port)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
    ok = [r for r in results if r.error is None]
    ttfts = [r.ttft_s for r in ok]
    prompt = sum(r.prompt_tokens for r in ok)
    cached = sum(r.cached_tokens for r in ok)
    summary = ModeSummary("cache on" if cache else "cache off", len(results), len(results) - len(ok), wall,
                          len(ok) / wall if wall else 0.0, statistics.median(ttfts) if ttfts else float("nan"),
                          _percentile(ttfts, 0.95), cached / prompt if prompt else 0.0, prompt, cached, server_ttft)
    return summary, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where models live (default: loopcache's)")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--system-words", type=int, default=300)
    parser.add_argument("--tool-words", type=int, default=150)
    parser.add_argument("--output-tokens", type=int, default=16)
    parser.add_argument("--json", type=Path, default=Path("bench/results/server_load.json"))
    args = parser.parse_args()
    rng = random.Random(7)
    system = "You are a careful software agent working in a git repository. Rules:\n" + "\n".join(
        f"{i + 1}. {_words(rng, 10)}." for i in range(max(1, args.system_words // 10)))
    summaries, details = [], {}
    for cache in (True, False):
        summary, results = run_mode(args, cache, system)
        summaries.append(summary)
        details[summary.mode] = [asdict(r) for r in results]
        print(f"{summary.mode}: done in {summary.wall_s:.1f} s", file=sys.stderr)
    on, off = summaries
    rows = [("requests", "requests", "{:d}"), ("errors", "errors", "{:d}"), ("wall s", "wall_s", "{:.1f}"),
            ("requests/s", "requests_per_s", "{:.3f}"), ("TTFT p50 s", "ttft_p50_s", "{:.3f}"),
            ("TTFT p95 s", "ttft_p95_s", "{:.3f}"), ("engine TTFT mean s", "server_ttft_mean_s", "{:.3f}"),
            ("cached-token ratio", "cached_token_ratio", "{:.3f}")]
    print(f"\nserver load: {args.sessions} sessions x {args.steps} steps, model {args.model}, "
          f"{args.output_tokens} output tokens/step")
    print(f"{'':<20}{'cache on':>12}{'cache off':>12}{'on/off':>10}")
    for label, key, fmt in rows:
        a, b = getattr(on, key), getattr(off, key)
        ratio = f"{a / b:.2f}" if isinstance(a, float) and b else ""
        print(f"{label:<20}{fmt.format(a):>12}{fmt.format(b):>12}{ratio:>10}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                     "summary": [asdict(s) for s in summaries], "steps": details}, indent=1))
    print(f"\nwrote {args.json}")
    if on.errors or off.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
