"""RedisStore against a real redis-server: the Store protocol, TTL, split values, checksums, foreign
values, URLs and passwords."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.redis_client import RedisTarget, RedisUnavailableError, connect
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.redis_store import RedisStore
from loopcache.kvcache.store import BatchStore, Store
from tests.kvcache.blocks import block_for
from tests.redis_servers import RedisServer, free_port

KEYS = RedisKeys("test", "fp")  # blocks_for() computes with fingerprint "fp"


@pytest.fixture
def store(redis_server: RedisServer) -> Iterator[RedisStore]:
    s = RedisStore.open(RedisTarget(redis_server.url), KEYS, part_bytes=4096)
    yield s
    s.close()


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


def same(a: KVBlock | None, b: KVBlock) -> bool:
    return a is not None and a.key == b.key and a.token_ids == b.token_ids and np.array_equal(a.payload, b.payload)


def test_implements_the_store_protocols(store: RedisStore) -> None:
    assert isinstance(store, Store) and isinstance(store, BatchStore)


def test_put_get_contains_delete_keys(store: RedisStore) -> None:
    blocks = [block_for(i, nbytes=1024) for i in range(5)]
    assert all(store.put(b) for b in blocks)
    assert all(same(store.get(b.key), b) for b in blocks)
    assert store.contains(blocks[0].key) and not store.contains(block_for(99).key)
    assert set(store.keys()) == {b.key for b in blocks}
    assert store.delete(blocks[0].key) and not store.delete(blocks[0].key)
    assert store.get(blocks[0].key) is None
    s = store.stats()
    assert (s.puts, s.hits, s.misses, s.errors, s.corrupt_dropped) == (5, 5, 1, 0, 0)
    assert s.num_entries == 4 and s.bytes_used > 0
    report = store.check_integrity(deep=True)
    assert report.ok and report.num_checked == 4


def test_get_many_keeps_order_and_misses(store: RedisStore) -> None:
    blocks = [block_for(i, nbytes=10_000) for i in range(6)]  # 3 parts each
    for b in blocks[::2]:
        store.put(b)
    found = store.get_many([b.key for b in blocks])
    assert [f is not None for f in found] == [True, False] * 3
    assert all(same(f, b) for f, b in zip(found[::2], blocks[::2]))
    assert store.contains_many([b.key for b in blocks]) == [True, False] * 3


def test_large_values_are_split_into_parts_of_one_slot(store: RedisStore, raw: redis.Redis) -> None:
    block = block_for(1, nbytes=50_000)
    store.put(block)
    names = sorted(raw.keys("lc:v1:test:fp:*"))
    assert len(names) == 13  # ceil((50_000 + header) / 4096)
    assert {n.split(b"}")[0] for n in names} == {f"lc:v1:test:fp:{{{block.key.hex}".encode()}  # one hash tag
    assert max(len(raw.get(n)) for n in names) <= 4096 + 16
    assert same(store.get(block.key), block)
    assert store.delete(block.key)
    assert raw.keys("lc:v1:test:*") == []


def test_a_part_evicted_alone_is_a_miss_and_the_rest_is_removed(store: RedisStore, raw: redis.Redis) -> None:
    block = block_for(2, nbytes=20_000)
    store.put(block)
    raw.delete(KEYS.part(block.key, 3))
    assert not store.check_integrity().ok  # found, and its remains removed
    assert raw.keys("lc:v1:test:*") == []
    store.put(block)
    raw.delete(KEYS.part(block.key, 2))
    assert store.get(block.key) is None
    assert raw.keys("lc:v1:test:*") == [] and store.stats().corrupt_dropped == 0


def test_ttl_is_set_on_write_and_refreshed_on_read(redis_server: RedisServer, raw: redis.Redis) -> None:
    store = RedisStore.open(RedisTarget(redis_server.url), KEYS, ttl_s=1.5, part_bytes=4096)
    block = block_for(3, nbytes=10_000)
    store.put(block)
    ttls = [raw.pttl(n) for n in raw.keys("lc:v1:test:*")]
    assert len(ttls) == 3 and all(1000 < t <= 1500 for t in ttls)
    time.sleep(0.8)
    assert store.get(block.key) is not None  # refreshes every part's TTL
    assert all(raw.pttl(n) > 1000 for n in raw.keys("lc:v1:test:*"))
    time.sleep(1.7)
    assert store.get(block.key) is None and raw.keys("lc:v1:test:*") == []
    store.close()


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "wrong_type"])
def test_a_corrupt_value_is_dropped_and_counted(store: RedisStore, raw: redis.Redis, damage: str) -> None:
    block = block_for(4, nbytes=10_000)
    store.put(block)
    head, part = KEYS.head(block.key), KEYS.part(block.key, 1)
    if damage == "flip":
        value = bytearray(raw.get(part))
        value[100] ^= 0xFF
        raw.set(part, bytes(value))
    elif damage == "truncate":
        raw.set(part, raw.get(part)[:-10])
    elif damage == "garbage":
        raw.set(head, b"not a block at all")
    else:
        raw.delete(head)
        raw.rpush(head, b"x")
    assert store.get(block.key) is None
    assert store.stats().corrupt_dropped == 1
    assert not raw.exists(head)
    assert store.put(block) and same(store.get(block.key), block)  # recomputed and stored again


def test_foreign_values_are_dropped(redis_server: RedisServer, store: RedisStore, raw: redis.Redis) -> None:
    other_model = RedisStore.open(RedisTarget(redis_server.url), RedisKeys("test", "other"), part_bytes=4096)
    theirs = block_for(5, nbytes=2000, fingerprint="other")
    ours = block_for(6, nbytes=2000)
    other_model.put(theirs)
    assert store.get(theirs.key) is None  # another model's keys are never read
    assert store.stats().corrupt_dropped == 0
    raw.set(KEYS.head(theirs.key), raw.get(RedisKeys("test", "other").head(theirs.key)))  # copied in by hand
    assert store.get(theirs.key) is None and store.stats().corrupt_dropped == 1
    store.put(ours)
    raw.set(KEYS.head(block_for(7).key), raw.get(KEYS.head(ours.key)))  # a value under another block's key
    assert store.get(block_for(7).key) is None and store.stats().corrupt_dropped == 2
    assert same(store.get(ours.key), ours)
    other_model.close()


def test_bad_urls_are_clear_errors() -> None:
    for url in ("http://localhost:6379", "redis://", "redis://host:notaport", "redis://host/db1",
                "redis+cluster://host:7000/3", "unix://"):
        with pytest.raises(ValueError, match="Redis URL"):
            RedisTarget(url)
    assert RedisTarget("redis://user:s3cret@host:1/0").safe_url == "redis://user:***@host:1/0"
    assert RedisTarget("rediss+cluster://:pw@h:7000").cluster and not RedisTarget("rediss://h").cluster


def test_unreachable_redis_at_start_is_a_clear_error() -> None:
    t0 = time.monotonic()
    with pytest.raises(RedisUnavailableError, match=r"cannot use Redis at redis://127\.0\.0\.1:\d+.*refused"):
        connect(RedisTarget(f"redis://127.0.0.1:{free_port()}"))
    assert time.monotonic() - t0 < 5


def test_password_and_wrong_kind_of_server(tmp_path: Path, redis_server: RedisServer) -> None:
    with pytest.raises(RedisUnavailableError, match="Cluster"):
        connect(RedisTarget(redis_server.url.replace("redis://", "redis+cluster://")))
    locked = RedisServer(tmp_path / "locked", options=("--requirepass", "s3cret")).start()
    try:
        store = RedisStore.open(RedisTarget(f"redis://:s3cret@127.0.0.1:{locked.port}/2"), KEYS)
        assert store.put(block_for(8)) and store.get(block_for(8).key) is not None
        store.close()
        with pytest.raises(RedisUnavailableError) as err:
            connect(RedisTarget(f"redis://:wrong@127.0.0.1:{locked.port}"))
        assert "wrong" not in str(err.value) and "***" in str(err.value)
    finally:
        locked.stop()


def test_cache_verify_checks_the_redis_tier(tmp_path: Path, redis_server: RedisServer, raw: redis.Redis) -> None:
    from typer.testing import CliRunner

    from loopcache.cli import build_app

    for fingerprint in ("fp", "other"):
        store = RedisStore.open(RedisTarget(redis_server.url), RedisKeys("loopcache", fingerprint), part_bytes=4096)
        for i in range(3):
            store.put(block_for(i, nbytes=6000, fingerprint=fingerprint))
        store.close()
    app, runner = build_app(), CliRunner()
    args = ["cache", "verify", "--cache-dir", str(tmp_path), "--redis-url", redis_server.url]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "redis[fp]: 3 checked, 0 problems" in ok.output and "redis[other]: 3 checked, 0 problems" in ok.output
    part = RedisKeys("loopcache", "fp").part(block_for(1, nbytes=6000).key, 1)
    raw.set(part, raw.get(part)[:-1] + b"\x00")
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1 and "redis[fp]: 3 checked, 1 problems, 1 dropped" in bad.output
    assert "corrupt, dropped" in bad.output
    down = runner.invoke(app, ["cache", "verify", "--cache-dir", str(tmp_path), "--redis-url",
                               f"redis://127.0.0.1:{free_port()}"])
    assert down.exit_code == 2 and "cannot use Redis" in down.output
