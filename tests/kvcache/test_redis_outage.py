"""The Redis tier under a TieredStore while its server is killed, stopped (SIGSTOP) and restarted, and a
Redis restart with persistence (appendonly, appendfsync always): nothing acknowledged is lost."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.redis_client import RedisTarget, connect
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.redis_store import RedisStore
from loopcache.kvcache.retry_gate import RetryGate
from loopcache.kvcache.tiered import TieredStore
from tests.kvcache.blocks import block_for
from tests.redis_servers import RedisServer

KEYS = RedisKeys("outage", "fp")


def redis_tier(server: RedisServer, socket_timeout_s: float = 5.0) -> RedisStore:
    target = RedisTarget(server.url, connect_timeout_s=0.5, socket_timeout_s=socket_timeout_s)
    return RedisStore(connect(target), KEYS, part_bytes=4096, gate=RetryGate(0.05, 0.5))


@pytest.fixture
def tiers(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[TieredStore, RedisStore]]:
    redis = redis_tier(redis_server, socket_timeout_s=0.5)
    store = TieredStore([MemoryStore(1 << 20), DiskStore(tmp_path / "disk"), redis])
    yield store, redis
    store.close()


def wait_for(condition, timeout: float = 15.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def only_in_redis(store: TieredStore, i: int) -> bytes:
    """Put block `i` everywhere, then leave it only in Redis; returns its key's digest."""
    block = block_for(i, nbytes=8000)
    store.put(block)
    store.drain()
    for tier in store.tiers[:2]:
        tier.delete(block.key)
    return block.key.digest


def test_killed_redis_degrades_to_local_tiers_and_reconnects(tiers: tuple[TieredStore, RedisStore],
                                                             redis_server: RedisServer) -> None:
    store, redis = tiers
    before = [block_for(i, nbytes=8000) for i in range(10)]
    for b in before:
        store.put(b)
    store.drain()
    assert redis.stats().puts == 10
    hit = store.find(block_for(50, nbytes=8000).key)
    assert hit is None
    only_in_redis(store, 60)
    assert store.find(block_for(60, nbytes=8000).key).tier == "redis"

    redis_server.kill9()
    t0 = time.monotonic()
    for b in before:  # served by the local tiers, no request fails
        found = store.find(b.key)
        assert found is not None and found.tier == "memory" and np.array_equal(found.block.payload, b.payload)
    during = [block_for(i, nbytes=8000) for i in range(10, 40)]
    assert all(store.put(b) for b in during)  # memory takes them; the Redis writes fail behind
    store.drain()
    assert all(store.get(b.key) is not None for b in during)
    assert store.get(block_for(61).key) is None  # a miss everywhere, at once
    assert time.monotonic() - t0 < 5
    s = redis.stats()
    assert s.errors >= 1 and s.write_failures >= 1 and s.puts == 11
    assert s.errors < 10  # the gate: not one failed connection per call

    redis_server.start()  # same port, empty (no persistence here)
    probe = block_for(99, nbytes=8000)
    wait_for(lambda: store.put(probe) and (store.drain() or redis.contains(probe.key)))
    errors = redis.stats().errors
    after = [block_for(i, nbytes=8000) for i in range(100, 110)]
    for b in after:
        store.put(b)
    store.drain()
    assert all(redis.contains(b.key) for b in after)
    assert redis.stats().errors == errors


def test_stopped_redis_costs_one_timeout_then_nothing(tiers: tuple[TieredStore, RedisStore],
                                                      redis_server: RedisServer) -> None:
    store, redis = tiers
    only_in_redis(store, 1)
    assert redis_server.proc is not None
    redis_server.proc.send_signal(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        assert store.get(block_for(1, nbytes=8000).key) is None  # times out (0.5 s) and degrades
        first = time.monotonic() - t0
        t1 = time.monotonic()
        misses = [store.get(block_for(i).key) for i in range(200, 220)]
        assert misses == [None] * 20 and time.monotonic() - t1 < 0.4  # the gate answers without the network
        assert 0.4 < first < 3 and redis.stats().errors == 1
    finally:
        redis_server.proc.send_signal(signal.SIGCONT)
    wait_for(lambda: store.get(block_for(1, nbytes=8000).key) is not None)
    assert store.find(block_for(1, nbytes=8000).key).tier == "memory"  # promoted again


def test_restart_with_appendonly_loses_nothing_acknowledged(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "aof", options=("--appendonly", "yes", "--appendfsync", "always")).start()
    try:
        redis = redis_tier(server)
        store = TieredStore([MemoryStore(1 << 20), redis])
        blocks = [block_for(i, nbytes=9000) for i in range(30)]
        for b in blocks:
            store.put(b)
        store.drain()
        assert store.writer_stats()["redis"].written == 30  # acknowledged by Redis
        server.kill9()  # no shutdown save: only the append-only file
        server.start()
        store.close()
        fresh = redis_tier(server)
        found = fresh.get_many([b.key for b in blocks])
        assert all(f is not None and np.array_equal(f.payload, b.payload) for f, b in zip(found, blocks))
        assert fresh.check_integrity(deep=True).ok
        fresh.close()
    finally:
        server.stop()
