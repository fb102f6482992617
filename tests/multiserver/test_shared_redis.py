"""Several `loopcache serve` processes, each with its own disk, sharing one redis-server: a session started
on one continues on another with its cache hits, behind nginx (`hash $http_x_session_id consistent`) a
killed server's sessions move with their cache, and a Redis outage fails no request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.faults.serve import Server, cached_tokens, conversation
from tests.multiserver.conftest import Fleet
from tests.redis_servers import free_port

REDIS_QUEUED = 'loopcache_write_behind_queued{tier="redis"}'


def next_step(messages: list[dict[str, str]], body: dict[str, Any], step: int) -> list[dict[str, str]]:
    answer = body["choices"][0]["message"]["content"]
    return [*messages, {"role": "assistant", "content": answer},
            {"role": "user", "content": f"Tool output of step {step}: 3 passed, 1 failed."}]


def wait_redis_written(*servers: Server, timeout: float = 60) -> None:
    """Until no server has a Redis write pending (its last answer's blocks are in Redis)."""
    deadline = time.monotonic() + timeout
    for server in servers:
        while server.metrics().get(REDIS_QUEUED, 0.0) > 0:
            assert time.monotonic() < deadline, "Redis writes still pending"
            time.sleep(0.05)


def via(client: httpx.Client, model: str, messages: list[dict[str, str]], session: str) -> tuple[dict[str, Any], int]:
    """A greedy chat through the balancer: the body and the port of the server that answered."""
    r = client.post("/v1/chat/completions", headers={"X-Session-Id": session}, json={
        "model": model, "messages": messages, "max_tokens": 8, "temperature": 0})
    assert r.status_code == 200, r.text
    return r.json(), int(r.headers["x-upstream"].split(",")[-1].rsplit(":", 1)[1])


def test_a_session_continues_on_another_server_with_its_hits(fleet: Fleet) -> None:
    first, second = fleet.servers
    messages = conversation("shared", 60)
    body = first.chat(messages, "moving-session")
    prompt1 = body["usage"]["prompt_tokens"]
    wait_redis_written(first)
    assert int(fleet.redis.cli("dbsize")) >= prompt1 // 16  # full blocks and the tail slot

    step2 = next_step(messages, body, 1)
    before = second.metrics()
    moved = second.chat(step2, "moving-session")
    assert cached_tokens(moved) >= prompt1  # everything step 1 saw, from Redis (second's disk lacks it)
    m = second.metrics()
    redis_hits, prefetched = 'loopcache_cached_tokens_total{tier="redis"}', "loopcache_prefetched_blocks_total"
    # read from Redis by the lookup, or moved from Redis into memory first by the prefetch on arrival (the
    # shared registry tells the second server which blocks the session holds)
    from_redis = m[redis_hits] - before.get(redis_hits, 0.0) + 16 * (m[prefetched] - before.get(prefetched, 0.0))
    assert from_redis >= prompt1
    stayed = first.chat(step2, "moving-session")  # the same step where the KV was computed
    assert moved["choices"][0]["message"]["content"] == stayed["choices"][0]["message"]["content"]


def test_a_sessions_records_and_policy_follow_it_to_another_server(fleet: Fleet) -> None:
    first, second = fleet.servers
    messages = conversation("policy", 40)
    body = first.chat(messages, "policy-session")
    assert first.client.patch("/v1/sessions/policy-session", json={"disk_ttl_s": 7200, "memory_residency_s": 30}
                              ).status_code == 200
    pin = first.client.post("/v1/sessions/policy-session/pin", json={"ttl_s": 600})
    assert pin.status_code == 200, pin.text
    seen = second.client.get("/v1/sessions/policy-session").json()  # the other server knows it already
    assert len(seen["steps"]) == 1 and seen["policy"]["disk_ttl_s"] == 7200
    assert seen["policy"]["pinned_until"] == pin.json()["pinned_until"]

    wait_redis_written(first)
    step2 = next_step(messages, body, 1)
    moved = second.chat(step2, "policy-session")
    record = second.client.get("/v1/sessions/policy-session").json()["steps"][-1]
    assert record["step"] == 2 and record["gap_s"] is not None  # numbered and timed across servers
    # fresh tokens counted against the first server's last step: only the new turn is fresh
    assert record["fresh_tokens"] < moved["usage"]["prompt_tokens"] - body["usage"]["prompt_tokens"] + 16
    assert second.metrics()['loopcache_session_pinned{namespace="default",session="policy-session"}'] == 1.0
    assert second.client.delete("/v1/sessions/policy-session").status_code == 200
    assert first.client.get("/v1/sessions/policy-session").status_code == 404  # gone for every server


def test_behind_nginx_sessions_stick_and_move_with_their_cache(fleet: Fleet) -> None:
    assert len(fleet.alive()) == 2
    by_port = {s.port: s for s in fleet.servers}
    model = fleet.servers[0].model
    with httpx.Client(base_url=fleet.balancer.url, timeout=120) as client:
        sessions = {f"agent-{i}": conversation(f"task{i}", 40) for i in range(6)}
        home: dict[str, int] = {}
        prompts: dict[str, int] = {}
        for name, messages in sessions.items():
            body, home[name] = via(client, model, messages, name)
            prompts[name] = body["usage"]["prompt_tokens"]
            sessions[name] = next_step(messages, body, 1)
        for name, messages in sessions.items():  # step 2: the same server, its own hits
            body, port = via(client, model, messages, name)
            assert port == home[name] and cached_tokens(body) >= prompts[name]
            prompts[name] = body["usage"]["prompt_tokens"]
            sessions[name] = next_step(messages, body, 2)
        wait_redis_written(*fleet.servers)

        victim = home["agent-0"]
        survivor = next(s for p, s in by_port.items() if p != victim)
        hits_before = survivor.metrics().get('loopcache_cached_tokens_total{tier="redis"}', 0.0)
        by_port[victim].kill9()
        for name, messages in sessions.items():  # step 3: the killed server's sessions move
            body, port = via(client, model, messages, name)
            assert port == survivor.port
            assert cached_tokens(body) >= prompts[name], name  # moved with their cache, via Redis
        moved = [n for n in sessions if home[n] == victim]
        redis_hits = survivor.metrics()['loopcache_cached_tokens_total{tier="redis"}'] - hits_before
        # the survivor never saw the moved sessions' own turns: those came from Redis (their shared system
        # prompt may have come from its own tiers)
        assert "agent-0" in moved and redis_hits >= 16 * len(moved)


def test_redis_outage_fails_no_request_and_the_server_reconnects(fleet: Fleet) -> None:
    server = fleet.alive()[0]
    messages = conversation("outage", 40)
    body = server.chat(messages, "outage")
    wait_redis_written(server)
    before = server.metrics()
    fleet.redis.kill9()
    for step in range(1, 4):  # served from memory and disk; the Redis writes fail behind
        messages = next_step(messages, body, step)
        prompt = body["usage"]["prompt_tokens"]
        body = server.chat(messages, "outage")
        assert cached_tokens(body) >= prompt
    assert server.chat(conversation("fresh", 30), "new-session")["usage"]["prompt_tokens"] > 0
    wait_redis_written(server)
    m = server.metrics()
    errors, failures = 'loopcache_store_errors_total{tier="redis"}', 'loopcache_store_write_failures_total{tier="redis"}'
    assert m[errors] - before.get(errors, 0.0) >= 1
    assert m[failures] - before.get(failures, 0.0) >= 1

    fleet.redis.start()  # empty again (no persistence here): new writes reach it once reconnected
    deadline = time.monotonic() + 30
    i = 0
    while int(fleet.redis.cli("dbsize")) == 0:
        assert time.monotonic() < deadline, "the server did not reconnect to Redis"
        server.chat(conversation(f"after-{i}", 30), f"after-{i}")
        wait_redis_written(server)
        i += 1
        time.sleep(0.2)
    count = server.metrics()[errors]
    server.chat(conversation("later", 30), "later")
    wait_redis_written(server)
    assert server.metrics()[errors] == count
    assert "redis tier at redis://127.0.0.1" in server.log_text()  # the outage was logged, naming the tier


def test_bad_or_unreachable_redis_url_is_a_clear_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from loopcache.cli import build_app

    common = ["serve", "--model", str(tiny_model_dir), "--cache-dir", str(tmp_path / "home"), "--dtype", "float32",
              "--port", str(free_port())]
    runner = CliRunner()
    bad = runner.invoke(build_app(), [*common, "--redis-url", "http://127.0.0.1:6379"])
    assert bad.exit_code == 2 and "Redis URL must start with" in bad.output
    down = runner.invoke(build_app(), [*common, "--redis-url", f"redis://:pw@127.0.0.1:{free_port()}"])
    assert down.exit_code == 2, down.output
    assert "cannot use Redis at redis://:***@127.0.0.1" in down.output and "pw@" not in down.output
    assert down.exception is None or isinstance(down.exception, SystemExit)  # no traceback
    env = runner.invoke(build_app(), common, env={"LOOPCACHE_REDIS_URL": "redis+cluster://127.0.0.1:1/5"})
    assert env.exit_code == 2 and "only database 0" in " ".join(env.output.split())
