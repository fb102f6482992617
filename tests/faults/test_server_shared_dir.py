"""Two `loopcache serve` processes on one --kv-dir: each finds the blocks the other wrote, and `loopcache
cache verify|gc|clear` run while both serve a burst of requests, with no false problem and no failed
request. After `clear` both keep caching."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.faults.serve import BLOCK_SIZE, Server, Servers, cli, conversation


def _burst(servers: list[Server], n: int, failures: list[BaseException]) -> list[threading.Thread]:
    def one(server: Server, i: int) -> None:
        try:
            server.chat(conversation(f"burst{i}", 80), session=f"burst{i}", max_tokens=8)
        except BaseException as exc:  # surfaced by the test
            failures.append(exc)

    threads = [threading.Thread(target=one, args=(servers[i % len(servers)], i)) for i in range(n)]
    for t in threads:
        t.start()
    return threads


def test_two_servers_share_one_kv_dir_while_the_cli_maintains_it(servers: Servers, tmp_path: Path) -> None:
    kv = tmp_path / "shared-kv"
    servers.start(kv, count=2)  # both open the directory at the same time
    a, b = servers.started

    first = a.chat_persisted(conversation("written-by-a", 60), session="x")
    _, found_by_b = b.chat_found(conversation("written-by-a", 60), session="x")  # b's memory is empty
    assert found_by_b >= first["usage"]["prompt_tokens"] // BLOCK_SIZE * BLOCK_SIZE > 0

    second = b.chat_persisted(conversation("written-by-b", 60), session="y")
    _, found_by_a = a.chat_found(conversation("written-by-b", 60), session="y")
    assert found_by_a >= second["usage"]["prompt_tokens"] // BLOCK_SIZE * BLOCK_SIZE  # a holds only the shared
    # system prompt in memory: the rest can only come from b's disk writes

    failures: list[BaseException] = []
    threads = _burst([a, b], 8, failures)
    verify = cli("cache", "verify", "--deep", "--cache-dir", str(kv))  # while both servers write
    gc = cli("cache", "gc", "--cache-dir", str(kv))
    for t in threads:
        t.join(300)
    assert not failures, failures
    assert verify.returncode == 0 and " 0 problems" in verify.stdout, verify.stdout + verify.stderr
    assert gc.returncode == 0 and "removed" in gc.stdout, gc.stdout + gc.stderr

    threads = _burst([a, b], 6, failures)
    clear = cli("cache", "clear", "--yes", "--cache-dir", str(kv))
    for t in threads:
        t.join(300)
    assert not failures, failures
    assert clear.returncode == 0 and "cleared" in clear.stdout, clear.stdout + clear.stderr
    after = cli("cache", "verify", "--deep", "--cache-dir", str(kv))
    assert after.returncode == 0 and " 0 problems" in after.stdout, after.stdout + after.stderr

    third = a.chat_persisted(conversation("after-clear", 60), session="z")  # both still cache, across servers
    _, found = b.chat_found(conversation("after-clear", 60), session="z")
    assert found >= third["usage"]["prompt_tokens"] // BLOCK_SIZE * BLOCK_SIZE
    for server in (a, b):
        assert server.disk("loopcache_store_errors_total") == 0
        server.stop()
