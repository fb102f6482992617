"""Fixtures of the multi-server tests: one fleet per module (a real redis-server, two `loopcache serve`
processes over the tiny model with a disk each, nginx in front), all stopped at the end. Server starts
dominate these tests' time, so the tests share one fleet and each uses sessions of its own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.serve import Server, Servers
from tests.multiserver.balancer import Balancer
from tests.redis_servers import RedisServer, require_redis


@dataclass
class Fleet:
    redis: RedisServer
    servers: list[Server]
    balancer: Balancer

    def alive(self) -> list[Server]:
        return [s for s in self.servers if s.proc.poll() is None]


@pytest.fixture(scope="module")
def fleet(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    require_redis()
    folder = tmp_path_factory.mktemp("fleet")
    redis = RedisServer(folder / "redis").start()
    running = Servers(tiny_model_dir, folder)
    balancer = None
    try:
        started = running.start_each([folder / "kv1", folder / "kv2"], "--redis-url", redis.url)
        balancer = Balancer.start(folder / "nginx", [s.port for s in started])
        yield Fleet(redis, started, balancer)
    finally:
        if balancer is not None:
            balancer.stop()
        running.kill_all()
        redis.stop()
