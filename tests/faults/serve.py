"""`loopcache serve` driven only from the outside, for fault tests: a subprocess on a free port, HTTP
requests, /metrics, signals, and the `loopcache` CLI in another subprocess. Nothing here imports the
server or the engine, so these tests hold while their internals change.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BLOCK_SIZE = 16
_CLI = [sys.executable, "-c", "from loopcache.cli import main; main()"]
_METRIC = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `loopcache ARGS...` in its own process."""
    return subprocess.run([*_CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


@dataclass
class Server:
    """One `loopcache serve` process."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    model: str
    api_key: str | None = None
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120, headers=headers)

    def chat(self, messages: list[dict[str, str]], session: str, max_tokens: int = 8,
             api_key: str | None = None) -> dict[str, Any]:
        """A greedy chat completion; asserts HTTP 200 and returns the body."""
        headers = {"X-Session-Id": session, **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
        r = self.client.post("/v1/chat/completions", headers=headers, json={
            "model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0})
        assert r.status_code == 200, r.text
        return r.json()

    def chat_found(self, messages: list[dict[str, str]], session: str, max_tokens: int = 8,
                   api_key: str | None = None) -> tuple[dict[str, Any], int]:
        """The body, and how many prompt tokens the cache held: loaded (cached_tokens) plus those the
        engine's adaptive cost model chose to recompute (cheaper than loading on a loaded machine). Only
        for a request nothing else runs beside."""
        skipped = "loopcache_skipped_cached_tokens_total"
        before = self.metrics().get(skipped, 0.0)
        body = self.chat(messages, session, max_tokens, api_key)
        return body, cached_tokens(body) + int(self.metrics().get(skipped, 0.0) - before)

    def metrics(self) -> dict[str, float]:
        """`name{labels}` -> value of every sample on /metrics."""
        r = self.client.get("/metrics")
        assert r.status_code == 200, r.text
        samples = {}
        for line in r.text.splitlines():
            m = _METRIC.match(line)
            if m:
                samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
        return samples

    def chat_persisted(self, messages: list[dict[str, str]], session: str) -> dict[str, Any]:
        """A chat whose newly computed blocks are on disk when it returns (nothing else may run meanwhile)."""
        blocks = self.disk("loopcache_store_blocks")
        body, found = self.chat_found(messages, session)
        self.wait_written(int(blocks) + (body["usage"]["prompt_tokens"] - found) // BLOCK_SIZE)
        return body

    def disk(self, name: str) -> float:
        """A per-tier sample of the disk tier, e.g. disk("loopcache_store_errors_total")."""
        return self.metrics().get(f'{name}{{tier="disk"}}', 0.0)

    def wait_written(self, min_disk_blocks: int = 0, timeout: float = 120) -> None:
        """Wait (bounded) until no background disk write is pending and the disk tier holds at least
        `min_disk_blocks` blocks (the second condition covers an engine that queues its writes only after
        answering)."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.metrics()
            pending = m.get('loopcache_write_behind_queued{tier="disk"}', 0.0)
            if pending == 0 and m.get('loopcache_store_blocks{tier="disk"}', 0.0) >= min_disk_blocks:
                return
            assert time.monotonic() < deadline, f"disk writes still pending: {pending}"
            time.sleep(0.1)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(60) == -signal.SIGKILL

    def stop(self) -> None:
        """Graceful: the server finishes queued work and drains its disk writes."""
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(120) in (0, -signal.SIGTERM), self.log_text()[-3000:]


class Servers:
    """Starts servers over the tiny model; every one still running at the end is killed."""

    def __init__(self, model_dir: Path, tmp_path: Path) -> None:
        self.model_dir = model_dir
        self.tmp_path = tmp_path
        self.started: list[Server] = []

    def start(self, kv_dir: Path, *extra: str, api_key: str | None = None, count: int = 1) -> Server:
        """Start `count` servers on `kv_dir` at once and wait until all answer; returns the first (all are in
        `started`)."""
        spawned = [self._spawn(kv_dir, extra, api_key) for _ in range(count)]
        for server in spawned:
            self._wait_ready(server)
        return spawned[0]

    def start_each(self, kv_dirs: list[Path], *extra: str) -> list[Server]:
        """Start one server on each of `kv_dirs` at once and wait until all answer."""
        spawned = [self._spawn(kv_dir, extra, None) for kv_dir in kv_dirs]
        for server in spawned:
            self._wait_ready(server)
        return spawned

    def _spawn(self, kv_dir: Path, extra: tuple[str, ...], api_key: str | None) -> Server:
        port, log = free_port(), self.tmp_path / f"serve-{len(self.started)}.log"
        cmd = [*_CLI, "serve", "--model", str(self.model_dir), "--cache-dir", str(self.tmp_path / "home"),
               "--kv-dir", str(kv_dir), "--port", str(port), "--dtype", "float32", "--block-size",
               str(BLOCK_SIZE), "--log-level", "info", "--fixed-costs", *extra]
        proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                env={**os.environ, "HF_HUB_OFFLINE": "1"})
        server = Server(proc, port, log, self.model_dir.name, api_key)
        self.started.append(server)
        return server

    @staticmethod
    def _wait_ready(server: Server) -> None:
        deadline = time.monotonic() + 180
        while True:
            assert server.proc.poll() is None, f"server exited: {server.log_text()[-3000:]}"
            try:
                if httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)

    def kill_all(self) -> None:
        for server in self.started:
            server.client.close()
            if server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait(60)


def conversation(task: str, words: int) -> list[dict[str, str]]:
    """A system prompt shared by every session plus this session's task of about `words` words."""
    system = "You are a coding agent working in a repository. Use the tools you are given. " * 3
    return [{"role": "system", "content": system},
            {"role": "user", "content": " ".join(f"{task}-{i}" for i in range(words))}]


def cached_tokens(body: dict[str, Any]) -> int:
    return int(body["usage"]["prompt_tokens_details"]["cached_tokens"])
