"""Both session registries keep the same records: the embedded SQLite one and the one shared through Redis
(a real redis-server, and a 3-node Redis Cluster). Then what only the shared one does: several servers see
each other's sessions and policies (two SessionManagers with their own books), keys expire with the
session's policy, and a Redis outage loses a step's record but fails nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.redis_client import RedisTarget, connect
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.retry_gate import RetryGate
from loopcache.sessions.book import BlockClass, SessionBook
from loopcache.sessions.manager import SessionManager, StepOutcome
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.redis_registry import RedisSessionRegistry
from loopcache.sessions.registry import Registry, SessionRegistry, StepRecord
from tests.redis_servers import RedisServer, require_redis

HOUR = 3600.0


def shared(url: str, keyspace: str, ttl_s: float = HOUR, gate: RetryGate | None = None) -> RedisSessionRegistry:
    return RedisSessionRegistry(connect(RedisTarget(url)), RedisKeys(keyspace, "model-a"), ttl_s, gate=gate,
                                label=url)


@pytest.fixture(params=["sqlite", "redis", "cluster"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    if request.param == "sqlite":
        opened: Registry = SessionRegistry(tmp_path)
    else:
        server = request.getfixturevalue("redis_server" if request.param == "redis" else "redis_cluster")
        opened = shared(server.url, re.sub(r"[^A-Za-z0-9_.-]", "-", tmp_path.name))
    yield opened
    opened.close()


def step(n: int, at: float, prompt: int = 100, cached: int = 0) -> StepRecord:
    return StepRecord(step=n, at=at, prompt_tokens=prompt, cached_tokens=cached, computed_tokens=prompt - cached,
                      fresh_tokens=prompt - cached, output_tokens=4, ttft_s=0.1, gap_s=None if n == 1 else 5.0,
                      cached_tokens_by_tier={"disk": cached} if cached else {})


def test_the_registries_keep_the_same_records(registry: Registry) -> None:
    policy = RetentionPolicy(disk_ttl_s=2 * HOUR)
    tokens = np.arange(10, dtype=np.int32).tobytes()
    registry.record_step("ns", "a", step(1, 1000.0), ["k1", "k2"], b"", policy)
    registry.record_step("ns", "a", step(2, 1010.0, 120, 96), ["k1", "k2", "k3"], tokens, policy)
    registry.record_step("ns", "b", step(1, 1005.0), ["k9"], b"", policy)
    registry.record_step("other", "a", step(1, 1020.0), [], b"", policy)

    info = registry.get("ns", "a")
    assert info is not None and (info.steps, info.created, info.last_activity) == (2, 1000.0, 1010.0)
    assert info.policy == policy and registry.get("ns", "nobody") is None
    assert registry.progress("ns", "a") == (2, tokens) and registry.progress("ns", "nobody") == (0, None)
    assert [s.to_dict() for s in registry.steps("ns", "a")] == [step(1, 1000.0).to_dict(),
                                                               step(2, 1010.0, 120, 96).to_dict()]
    assert registry.block_keys("ns", "a") == ["k1", "k2", "k3"]  # in order: chain first
    assert [s.session_id for s in registry.list_sessions("ns")] == ["a", "b"]  # most recent first
    assert [(s.namespace, s.session_id) for s in registry.list_sessions(None, limit=2)] == [("other", "a"), ("ns", "a")]
    assert sorted(registry.all_block_keys()) == [("ns", "a", "k1"), ("ns", "a", "k2"), ("ns", "a", "k3"),
                                                ("ns", "b", "k9")]

    pinned = RetentionPolicy(disk_ttl_s=HOUR, pinned_until=5000.0)
    registry.set_policy("ns", "b", pinned, 1030.0)
    registry.set_policy("ns", "new", RetentionPolicy(ended=True), 1040.0)  # a session not seen yet is created
    registry.set_compaction("ns", "b", {"config": {"enabled": True}, "state": None})
    registry.set_compaction("ns", "ghost", {"config": {}})  # nothing for a session that does not exist
    b = registry.get("ns", "b")
    assert b is not None and b.policy == pinned and b.compaction == {"config": {"enabled": True}, "state": None}
    assert b.steps == 1 and b.last_activity == 1005.0  # a policy change is not activity
    new = registry.get("ns", "new")
    assert new is not None and new.steps == 0 and new.policy.ended
    assert registry.get("ns", "ghost") is None

    assert registry.delete("ns", "a") and not registry.delete("ns", "a")
    assert registry.get("ns", "a") is None and registry.steps("ns", "a") == [] and registry.block_keys("ns", "a") == []
    assert registry.get("other", "a") is not None  # another tenant's session of the same id stays
    assert registry.check_integrity() == [] and registry.error_count() == 0


def test_servers_sharing_redis_see_each_others_sessions_and_policies(redis_server: RedisServer) -> None:
    clock = {"now": 1_000_000.0}

    def manager(registry: RedisSessionRegistry) -> tuple[SessionManager, SessionBook]:
        book = SessionBook(lambda: clock["now"])
        return SessionManager(registry, book, None, 4096, lambda: clock["now"]), book

    first, first_book = manager(shared(redis_server.url, "fleet"))
    second, second_book = manager(shared(redis_server.url, "fleet"))
    keys = [BlockHash.from_hex(f"{i:064x}") for i in range(1, 4)]

    def run_step(on: SessionManager, prompt: list[int], held: list[BlockHash]) -> StepRecord:
        on.arrived("s", "ns")
        clock["now"] += 2.0
        return on.finished(StepOutcome("s", "ns", prompt, [7, 7], 0, {}, len(prompt), 0.5, held))

    first_step = run_step(first, list(range(40)), keys[:2])
    assert first_step.step == 1 and first_step.fresh_tokens == 40
    first.update_policy("ns", "s", {"disk_ttl_s": 2 * HOUR, "memory_residency_s": 30.0})
    first.pin("ns", "s", 600.0)
    pinned_until = clock["now"] + 600.0

    assert second.get("ns", "s").steps == 1  # the API of the other server answers for it
    clock["now"] += 40.0
    moved = run_step(second, [*range(40), 7, 7, *range(50, 60)], keys)
    # numbered after the first server's step; fresh tokens against its tokens; the gap spans both servers
    assert (moved.step, moved.fresh_tokens, moved.gap_s) == (2, 10, 40.0)
    state = second_book.get(("ns", "s"))
    assert state is not None and state.policy.pinned_until == pinned_until and state.policy.memory_residency_s == 30.0
    assert second_book.classify(keys[2]) is BlockClass.PINNED  # its eviction honours the pin set elsewhere

    clock["now"] += 10.0
    back = run_step(first, [*range(40), 7, 7, *range(50, 60), 7, 7, 1, 2], keys)  # and back: first catches up
    assert (back.step, back.fresh_tokens) == (3, 2)
    assert first_book.keys_of(("ns", "s")) == set(keys)
    assert [s.step for s in second.steps("ns", "s")] == [1, 2, 3]
    first.close()
    second.close()


def test_session_keys_expire_with_the_sessions_policy(redis_server: RedisServer) -> None:
    registry = shared(redis_server.url, "expiry", ttl_s=HOUR)
    registry.record_step("ns", "short", step(1, 1000.0), ["k"], b"", RetentionPolicy(disk_ttl_s=60.0))
    registry.record_step("ns", "long", step(1, 1000.0), ["k"], b"", RetentionPolicy(disk_ttl_s=48 * HOUR))
    registry.set_policy("ns", "pinned", RetentionPolicy(disk_ttl_s=60.0, pinned_until=1000.0 + 72 * HOUR), 1000.0)
    client: Any = connect(RedisTarget(redis_server.url))
    ttls = {}
    metas = [k for k in client.scan_iter(match="lc:v1:expiry:model-a:s:{*}*") if k.endswith(b"}")]
    for name in (b"short", b"long", b"pinned"):
        found = [k for k in metas if client.hget(k, b"id") == name]
        assert len(found) == 1
        ttls[name] = [client.ttl(k) for k in client.scan_iter(match=found[0] + b"*")]
    assert all(HOUR - 60 <= t <= HOUR for t in ttls[b"short"]) and len(ttls[b"short"]) == 3  # the registry's TTL
    assert all(48 * HOUR - 60 <= t <= 48 * HOUR for t in ttls[b"long"])  # its disk TTL is longer
    assert all(72 * HOUR - 60 <= t <= 72 * HOUR for t in ttls[b"pinned"])  # the pin is longer still
    client.delete(*client.scan_iter(match="lc:v1:expiry:model-a:s:{*}*"))  # as if expired
    assert registry.list_sessions() == [] and client.zcard(b"lc:v1:expiry:model-a:sessions") == 0  # index pruned
    client.close()
    registry.close()


def test_a_redis_outage_loses_records_not_requests(tmp_path: Path) -> None:
    require_redis()
    server = RedisServer(tmp_path / "redis").start()
    try:
        registry = shared(server.url, "outage", gate=RetryGate(first_delay_s=0.05, max_delay_s=0.2))
        registry.record_step("ns", "s", step(1, 1000.0), ["k1"], b"", RetentionPolicy())
        server.kill9()
        registry.record_step("ns", "s", step(2, 1010.0), ["k1", "k2"], b"", RetentionPolicy())  # dropped
        assert registry.get("ns", "s") is None and registry.steps("ns", "s") == []  # "unknown", no exception
        assert registry.list_sessions() == [] and registry.progress("ns", "s") == (0, None)
        assert registry.error_count() >= 1
        assert registry.check_integrity() == [f"session registry at {server.url} unreachable"]
        server.start()  # empty again (no persistence): the registry reconnects by itself
        deadline = time.monotonic() + 10
        while registry.get("ns", "s") is None:
            registry.record_step("ns", "s", step(1, 1020.0), ["k3"], b"", RetentionPolicy())
            assert time.monotonic() < deadline, "the registry did not reconnect"
            time.sleep(0.05)
        assert registry.block_keys("ns", "s") == ["k3"] and registry.check_integrity() == []
        registry.close()
    finally:
        server.stop()


def test_the_cli_lists_and_shows_sessions_of_a_shared_registry(redis_server: RedisServer) -> None:
    from typer.testing import CliRunner

    from loopcache.cli import build_app

    for model, session in (("model-a", "agent-a"), ("model-b", "agent-b")):  # two models in one keyspace
        registry = RedisSessionRegistry(connect(RedisTarget(redis_server.url)), RedisKeys("cli", model), HOUR)
        registry.record_step("team", session, step(1, 1_800_000_000.0, 900, 600), ["k1"], b"", RetentionPolicy())
        registry.close()
    run, app = CliRunner().invoke, build_app()
    common = ["--redis-url", redis_server.url, "--redis-keyspace", "cli"]
    listed = run(app, ["sessions", "ls", *common])
    assert listed.exit_code == 0 and "agent-a" in listed.output and "agent-b" in listed.output, listed.output
    shown = run(app, ["sessions", "show", "agent-b", *common])
    assert shown.exit_code == 0 and "66.7%" in shown.output and "disk 600" in shown.output
    assert run(app, ["sessions", "show", "nobody", *common]).exit_code == 1
    empty = run(app, ["sessions", "ls", "--redis-url", redis_server.url, "--redis-keyspace", "nothing-here"])
    assert empty.exit_code == 0 and "no sessions recorded" in empty.output
    assert run(app, ["sessions", "ls", "--redis-url", "http://x"]).exit_code == 2
    down = run(app, ["sessions", "ls", "--redis-url", "redis://127.0.0.1:1"])
    assert down.exit_code == 2 and "cannot use Redis at redis://127.0.0.1:1" in down.output
