"""The Redis tier and the shared session registry on the other servers people run: Valkey (valkey-server,
Debian bookworm-backports) and Redis over TLS only (rediss://, a CA made by openssl here, with a
password), each a real process started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from loopcache.kvcache.redis_client import RedisTarget, RedisUnavailableError, connect
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.redis_store import RedisStore
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.redis_registry import RedisSessionRegistry
from loopcache.sessions.registry import StepRecord
from tests.kvcache.blocks import block_for
from tests.redis_servers import RedisServer, require_redis, tls_files

KEYS = RedisKeys("compat", "fp")  # block_for() computes with fingerprint "fp"


@pytest.fixture(params=["valkey", "redis-tls"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[RedisServer, str]]:
    """A running server and the URL a user would give (TLS: with the password in the URL)."""
    if request.param == "valkey":
        require_redis("valkey-server", "valkey-cli")
        running = RedisServer(tmp_path / "valkey", binary="valkey-server").start()
        url = running.url
    else:
        require_redis("redis-server", "redis-cli", "openssl")
        running = RedisServer(tmp_path / "tls", tls=tls_files(tmp_path / "certs"),
                              options=("--requirepass", "s3cret")).start()
        url = running.url.replace("rediss://", "rediss://:s3cret@")
    yield running, url
    running.stop()


def test_blocks_and_sessions_round_trip(server: tuple[RedisServer, str]) -> None:
    running, url = server
    store = RedisStore.open(RedisTarget(url), KEYS, part_bytes=4096)  # small parts: a block is several keys
    blocks = [block_for(i, nbytes=10_000) for i in range(4)]
    assert all(store.put(b) for b in blocks)
    got = store.get_many([b.key for b in blocks] + [block_for(99).key])
    assert [g is not None and np.array_equal(g.payload, b.payload) for g, b in zip(got, blocks)] == [True] * 4
    assert got[-1] is None and store.check_integrity(deep=True).ok
    assert store.stats().errors == 0
    store.close()

    registry = RedisSessionRegistry.open(RedisTarget(url), KEYS, ttl_s=3600.0)
    record = StepRecord(step=1, at=10.0, prompt_tokens=64, cached_tokens=48, computed_tokens=16, fresh_tokens=16,
                        output_tokens=2, ttft_s=0.2, gap_s=None)
    registry.record_step("ns", "s", record, ["aa", "bb"], b"\x01\x00\x00\x00", RetentionPolicy())
    info = registry.get("ns", "s")
    assert info is not None and info.steps == 1 and registry.steps("ns", "s") == [record]
    assert registry.block_keys("ns", "s") == ["aa", "bb"] and registry.check_integrity() == []
    registry.close()
    assert int(running.cli("-a", "s3cret", "--no-auth-warning", "dbsize") if running.tls else running.cli("dbsize")) > 4


def test_tls_refuses_a_server_it_cannot_verify(tmp_path: Path) -> None:
    require_redis("redis-server", "redis-cli", "openssl")
    running = RedisServer(tmp_path / "tls", tls=tls_files(tmp_path / "certs")).start()
    try:
        with pytest.raises(RedisUnavailableError, match="cannot use Redis at rediss://"):
            connect(RedisTarget(f"rediss://127.0.0.1:{running.port}"))  # no CA given: the system's CAs refuse it
        with pytest.raises(RedisUnavailableError):
            connect(RedisTarget(f"redis://127.0.0.1:{running.port}"))  # plain text to a TLS port
        connect(RedisTarget(running.url)).close()
    finally:
        running.stop()
