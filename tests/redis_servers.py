"""Real `redis-server` processes for tests (Debian package `redis-server`; `make install` adds it): one
server or a 3-node Redis Cluster on free ports in a temp folder, started and stopped by the test. The same
helper runs `valkey-server` (Debian package, bookworm-backports) and a server that speaks only TLS."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def free_port() -> int:
    """A free port below 55536 whose +10000 (a cluster node's bus port) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 55535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 20 s; nothing if it has already exited."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(20)


def require_redis(*tools: str) -> None:
    for tool in tools or ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (apt-get install redis-server valkey-server; `make install` does it)")


def tls_files(folder: Path) -> Path:
    """A CA and a certificate for 127.0.0.1 signed by it (openssl), in `folder`: ca.crt, server.crt/.key."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        out = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=folder, timeout=60)
        assert out.returncode == 0, out.stderr

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=loopcache test CA",
            "-keyout", "ca.key", "-out", "ca.crt")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
            "-out", "server.csr")
    (folder / "san.cnf").write_text("subjectAltName = IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.cnf", "-out", "server.crt")
    return folder


@dataclass
class RedisServer:
    """One redis-server on `port` with its data in `folder` (restartable on the same port and data)."""

    folder: Path
    port: int = field(default_factory=free_port)
    options: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    binary: str = "redis-server"  # or "valkey-server" (then valkey-cli)
    tls: Path | None = None  # tls_files(): serve TLS only, on `port`

    @property
    def url(self) -> str:
        if self.tls is None:
            return f"redis://127.0.0.1:{self.port}"
        return f"rediss://127.0.0.1:{self.port}?ssl_ca_certs={self.tls / 'ca.crt'}"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        listen = ["--port", str(self.port)] if self.tls is None else [
            "--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.tls / "server.crt"),
            "--tls-key-file", str(self.tls / "server.key"), "--tls-ca-cert-file", str(self.tls / "ca.crt"),
            "--tls-auth-clients", "no"]
        cmd = [self.binary, *listen, "--bind", "127.0.0.1", "--dir", str(self.folder),
               "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
               "--logfile", str(self.folder / "redis.log"), *self.options]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        try:
            while not self.answers():
                assert self.proc.poll() is None, f"redis-server exited: {self.log_text()[-2000:]}"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        return self

    def answers(self) -> bool:
        out = subprocess.run([*self._cli(), "ping"], capture_output=True, text=True)
        return out.stdout.strip() == "PONG" or out.stdout.startswith("NOAUTH")

    def cli(self, *args: str) -> str:
        out = subprocess.run([*self._cli(), *args], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def _cli(self) -> list[str]:
        tool = self.binary.replace("-server", "-cli")
        tls = [] if self.tls is None else ["--tls", "--cacert", str(self.tls / "ca.crt")]
        return [tool, "-p", str(self.port), *tls]

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(20)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def log_text(self) -> str:
        log = self.folder / "redis.log"
        return log.read_text(errors="replace") if log.exists() else ""


@dataclass
class RedisCluster3:
    """Three masters (no replicas) joined with `redis-cli --cluster create`."""

    nodes: list[RedisServer]

    @classmethod
    def start(cls, folder: Path) -> RedisCluster3:
        nodes = [RedisServer(folder / f"node{i}", options=("--cluster-enabled", "yes", "--cluster-config-file",
                                                          "nodes.conf", "--cluster-node-timeout", "2000"))
                 for i in range(3)]
        cluster = cls(nodes)
        try:
            for node in nodes:
                node.start()
            out = subprocess.run(["redis-cli", "--cluster", "create",
                                  *(f"127.0.0.1:{n.port}" for n in nodes), "--cluster-replicas", "0",
                                  "--cluster-yes"], capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stdout + out.stderr
            deadline = time.monotonic() + 30
            while not all("cluster_state:ok" in n.cli("cluster", "info") for n in nodes):
                assert time.monotonic() < deadline, "cluster did not become ready"
                time.sleep(0.1)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
