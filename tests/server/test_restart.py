"""An agent loop through the OpenAI SDK against `loopcache serve` in a subprocess, restarted between steps
3 and 4 on the same cache dir: step 4 still reports the earlier steps' tokens as cached (from disk)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai

from tests.server.conftest import free_port

SYSTEM = "You are a coding agent working in a repository. Use the tools you are given. " * 3


def _serve(model_dir: Path, cache_dir: Path, port: int, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from loopcache.cli import main; main()", "serve", "--model", str(model_dir),
           "--cache-dir", str(cache_dir), "--port", str(port), "--dtype", "float32", "--block-size", "16",
           "--log-level", "info", "--fixed-costs"]  # tiny-model prefill is so fast it could beat loading
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, env={**os.environ})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def _stop(proc: subprocess.Popen, log: Path) -> None:
    proc.send_signal(signal.SIGTERM)  # graceful: drains the disk write-behind before exiting
    assert proc.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a clean shutdown
    assert log.read_text().count("shutdown complete") >= 1


def test_cache_survives_a_restart_between_steps_3_and_4(tiny_model_dir: Path, tmp_path: Path) -> None:
    cache_dir, port, log = tmp_path / "cache", free_port(), tmp_path / "serve.log"
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Fix the failing test."}]
    proc = _serve(tiny_model_dir, cache_dir, port, log)
    usages = []
    try:
        for step in range(1, 5):
            if step == 4:
                _stop(proc, log)
                proc = _serve(tiny_model_dir, cache_dir, port, log)
            client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=60)
            out = client.chat.completions.create(model=tiny_model_dir.name, messages=messages, max_tokens=8,
                                                 extra_headers={"X-Session-Id": "restart-run"})
            usages.append(out.usage)
            messages += [{"role": "assistant", "content": out.choices[0].message.content},
                         {"role": "user", "content": f"Tool output of step {step}: 3 passed, 1 failed."}]
    finally:
        _stop(proc, log)
    assert usages[0].prompt_tokens_details.cached_tokens == 0
    assert all(u.prompt_tokens_details.cached_tokens >= p.prompt_tokens for u, p in zip(usages[1:], usages))
    assert usages[3].prompt_tokens_details.cached_tokens >= usages[2].prompt_tokens  # after the restart
