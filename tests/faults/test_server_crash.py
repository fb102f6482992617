"""kill -9 of `loopcache serve` during a burst of concurrent requests, then a restart on the same
directories: `loopcache cache verify --deep` is clean, the next step of every session gets its cache hits,
and no corrupt or foreign block is served (greedy output equals an uncached run's, token for token).
"Gets its hits" counts the tokens the cache held for the step, loaded or not: on a loaded machine the
engine's adaptive cost model may choose to recompute cached tokens rather than load them from disk."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from tests.faults.serve import BLOCK_SIZE, Servers, cli, conversation

SESSIONS = ("alpha", "beta", "gamma")


def test_kill_9_during_a_burst_then_restart(servers: Servers, tmp_path: Path) -> None:
    kv = tmp_path / "kv-root"
    keys = tmp_path / "keys.txt"
    keys.write_text("key-agents agents\n" + "".join(f"key-ref-{s} ref-{s}\n" for s in SESSIONS))
    first = servers.start(kv, "--api-keys-file", str(keys), api_key="key-agents")
    steps = {s: conversation(s, 60) for s in SESSIONS}
    prompt_1 = {}
    for s in SESSIONS:  # step 1 of every session, persisted before the crash
        body = first.chat(steps[s], session=s)
        prompt_1[s] = body["usage"]["prompt_tokens"]
        steps[s] = steps[s] + [{"role": "assistant", "content": body["choices"][0]["message"]["content"]},
                               {"role": "user", "content": f"Tool output for {s}: 3 passed, 1 failed."}]
    first.wait_written(min_disk_blocks=max(prompt_1.values()) // BLOCK_SIZE)
    persisted = {k: v for k, v in first.metrics().items() if "tier=\"disk\"" in k}

    answered = threading.Event()
    outcomes: list[object] = []

    def request(messages: list[dict[str, str]], session: str, max_tokens: int) -> None:
        try:
            outcomes.append(first.chat(messages, session=session, max_tokens=max_tokens))
            answered.set()
        except (httpx.HTTPError, AssertionError) as exc:  # the server is killed under it
            outcomes.append(exc)

    burst = [threading.Thread(target=request, args=(steps[s], s, 24)) for s in SESSIONS]
    burst += [threading.Thread(target=request, args=(conversation(f"noise{i}", 150), f"noise{i}", 800))
              for i in range(4)]  # long generations: still running when the first step has answered
    for t in burst:
        t.start()
    assert answered.wait(120), "no request of the burst finished"
    first.kill9()  # while the rest of the burst runs and its blocks are being written
    for t in burst:
        t.join(120)
    assert any(isinstance(o, Exception) for o in outcomes), "the kill came after the whole burst"

    verify = cli("cache", "verify", "--deep", "--cache-dir", str(kv))
    assert verify.returncode == 0 and " 0 problems" in verify.stdout, verify.stdout + verify.stderr

    second = servers.start(kv, "--api-keys-file", str(keys), api_key="key-agents")
    for s in SESSIONS:
        body, found = second.chat_found(steps[s], session=s, max_tokens=12)
        assert found >= prompt_1[s] // BLOCK_SIZE * BLOCK_SIZE > 0, (s, body["usage"], persisted)
        reference, found = second.chat_found(steps[s], session=f"ref-{s}", max_tokens=12, api_key=f"key-ref-{s}")
        assert found == 0  # a fresh namespace: never finds the agents' blocks
        assert body["choices"][0]["message"]["content"] == reference["choices"][0]["message"]["content"]
    assert second.disk("loopcache_store_errors_total") == 0
    second.stop()
