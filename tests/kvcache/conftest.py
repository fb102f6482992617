"""Fixtures of the Redis tier's tests: real redis-server processes on free ports, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_servers import RedisCluster3, RedisServer, require_redis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    require_redis()
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster3]:
    require_redis()
    cluster = RedisCluster3.start(tmp_path_factory.mktemp("redis-cluster"))
    yield cluster
    cluster.stop()
