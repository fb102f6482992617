"""The session API of a real server over the tiny model, with the official SDKs: retention hints from
each API's own fields pin the session, steps and context growth are recorded, tenants see only their own
sessions, pins beyond their share are refused (409), and bad input is a 400 in the OpenAI error shape."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from loopcache.config import RunConfig
from loopcache.engine.engine import Engine
from loopcache.engine.factory import open_sessions
from loopcache.kvcache.tier_config import TierConfig, open_tiers
from loopcache.sessions.book import SessionBook
from loopcache.sessions.config import SessionConfig
from loopcache.sessions.eviction import DiskRetention, MemoryResidency
from tests.server.conftest import ServerFactory, tiny_engine

KEYS = {"k-a": "team-a", "k-b": "team-b"}
SYSTEM = "You are a careful agent. " * 12


def session_engine(tiny_model: Any, root: Path, pin_share: float = 0.5) -> Engine:
    """The tiny engine with sessions, wired as `open_engine` wires them."""
    engine = tiny_engine(tiny_model, root, use_cache=False)
    config = RunConfig(tiers=TierConfig(root=root), engine=engine.config, sessions=SessionConfig(pin_share=pin_share))
    book = SessionBook(time.time)
    store = open_tiers(config.tiers, MemoryResidency(book), DiskRetention(book))
    return Engine(tiny_model, store, engine.config, sessions=open_sessions(config, tiny_model, store, book, time.time))


def test_openai_steps_and_retention(make_server: ServerFactory, tiny_model: Any, tmp_path: Path) -> None:
    server = make_server(session_engine(tiny_model, tmp_path / "cache"), api_keys=KEYS)
    client = openai.OpenAI(base_url=server.v1, api_key="k-a")
    messages: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "list the files"}]
    for turn in range(3):
        out = client.chat.completions.create(model="default", messages=messages, max_tokens=8, temperature=0,
                                             prompt_cache_key="agent-1", extra_body={"prompt_cache_retention": "24h"})
        messages += [{"role": "assistant", "content": out.choices[0].message.content},
                     {"role": "user", "content": f"tool result {turn}: " + "file.py " * 10}]
    with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k-a"}) as http:
        listed = http.get("/v1/sessions").json()["data"]
        assert [(s["id"], s["steps"]) for s in listed] == [("agent-1", 3)]
        assert listed[0]["policy"]["pinned_until"] == pytest.approx(time.time() + 86400, abs=120)
        body = http.get("/v1/sessions/agent-1").json()
        growth = [p["prompt_tokens"] for p in body["context_growth"]]
        assert growth == sorted(growth) and growth[0] < growth[-1]
        assert body["steps"][0]["cached_tokens"] == 0 and body["steps"][2]["cached_tokens"] > 0
        assert body["steps"][2]["fresh_tokens"] < body["steps"][2]["prompt_tokens"] / 2
        assert body["steps"][1]["gap_s"] is not None and body["usage"]["pinned"] is True
        assert sum(body["usage"]["bytes_by_tier"].values()) > 0

        metrics = http.get("/metrics").text
        assert 'loopcache_session_steps{namespace="team-a",session="agent-1"} 3.0' in metrics

    with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k-b"}) as other:
        assert other.get("/v1/sessions").json()["data"] == []  # another tenant sees nothing
        missing = other.get("/v1/sessions/agent-1")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "session_not_found"
        assert other.delete("/v1/sessions/agent-1").status_code == 404


def test_anthropic_cache_control_ttl_pins(make_server: ServerFactory, tiny_model: Any, tmp_path: Path) -> None:
    server = make_server(session_engine(tiny_model, tmp_path / "cache"))
    client = anthropic.Anthropic(base_url=server.base_url, api_key="x")
    client.messages.create(
        model="default", max_tokens=8, metadata={"user_id": "claude-session"},
        system=[{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        messages=[{"role": "user", "content": "hello"}])
    with httpx.Client(base_url=server.base_url) as http:
        body = http.get("/v1/sessions/claude-session").json()
        assert body["policy"]["pinned_until"] == pytest.approx(time.time() + 3600, abs=120)
    with pytest.raises(anthropic.BadRequestError, match="ttl"):
        client.messages.create(model="default", max_tokens=8, metadata={"user_id": "claude-session"},
                               system=[{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral", "ttl": "soon"}}],
                               messages=[{"role": "user", "content": "hello"}])


def test_pin_end_prefetch_delete(make_server: ServerFactory, tiny_model: Any, tmp_path: Path) -> None:
    server = make_server(session_engine(tiny_model, tmp_path / "cache", pin_share=1e-6))
    client = openai.OpenAI(base_url=server.v1, api_key="x")
    client.chat.completions.create(model="default", max_tokens=4, prompt_cache_key="s",
                                   messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "hi"}])
    with httpx.Client(base_url=server.base_url) as http:
        refused = http.post("/v1/sessions/s/pin", json={"ttl_s": 60})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "pin_refused"
        assert "more than 0%" in refused.json()["error"]["message"]
        assert http.post("/v1/sessions/s/pin", json={"ttl_s": -5}).status_code == 400
        assert http.post("/v1/sessions/s/pin", json={"ttl": 5}).status_code == 400  # unknown field
        assert http.post("/v1/sessions/new/pin", json={"ttl_s": 5}).status_code == 200  # pinned before its first step
        assert http.get("/v1/sessions/new").json()["steps"] == []
        assert http.post("/v1/sessions/nope/prefetch").status_code == 404
        patched = http.patch("/v1/sessions/s", json={"disk_ttl_s": 3600, "memory_residency_s": 20})
        assert patched.status_code == 200 and patched.json()["policy"]["disk_ttl_s"] == 3600
        assert http.get("/v1/sessions/s").json()["policy"]["memory_residency_s"] == 20
        assert http.patch("/v1/sessions/s", json={"disk_ttl_s": "soon"}).status_code == 400
        assert http.patch("/v1/sessions/s", json={"disk_ttl_s": 0}).status_code == 400
        queued = http.post("/v1/sessions/s/prefetch").json()["blocks_queued"]
        assert queued >= 1
        assert http.post("/v1/sessions/s/end").json()["ended"] is True
        assert http.get("/v1/sessions/s").json()["policy"]["ended"] is True
        deleted = http.delete("/v1/sessions/s").json()
        assert deleted["deleted"] is True and deleted["blocks_removed"] >= 1
        assert http.get("/v1/sessions/s").status_code == 404
    with pytest.raises(openai.BadRequestError, match="prompt_cache_retention"):
        client.chat.completions.create(model="default", max_tokens=4, prompt_cache_key="s",
                                       messages=[{"role": "user", "content": "hi"}],
                                       extra_body={"prompt_cache_retention": "forever"})


def test_sessions_off_without_a_registry(make_server: ServerFactory) -> None:
    server = make_server()  # the plain tiny engine has no session manager
    with httpx.Client(base_url=server.base_url) as http:
        off = http.get("/v1/sessions")
        assert off.status_code == 404 and "sessions are off" in off.json()["error"]["message"]


def test_compaction_opt_in_through_the_api(make_server: ServerFactory, tiny_model: Any, tmp_path: Path) -> None:
    server = make_server(session_engine(tiny_model, tmp_path / "cache"))
    with httpx.Client(base_url=server.base_url) as http:
        assert http.post("/v1/sessions/c/compaction", json={"enabled": True, "nonsense": 1}).status_code == 400
        on = http.post("/v1/sessions/c/compaction", json={"enabled": True, "trigger_tokens": 2000,
                                                             "target_tokens": 1300, "keep_last_k": 1})
        assert on.status_code == 200
    client = openai.OpenAI(base_url=server.v1, api_key="x")
    messages: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "fix the bug"}]
    usages = []
    for turn in range(8):
        out = client.chat.completions.create(model="default", messages=messages, max_tokens=2, temperature=0,
                                             prompt_cache_key="c")
        usages.append(out.usage.model_dump())
        call = {"id": f"call_{turn}", "type": "function", "function": {"name": "read", "arguments": f'{{"n": {turn}}}'}}
        messages += [{"role": "assistant", "content": None, "tool_calls": [call]},
                     {"role": "tool", "tool_call_id": f"call_{turn}", "content": f"line {turn} of the file. " * 40}]
    rewrites = [i for i, u in enumerate(usages) if u["compaction"]["rewrote"]]
    assert rewrites, usages  # the history outgrew the trigger
    first = rewrites[0]
    assert usages[first]["compaction"]["tokens_saved"] > 0 and usages[first]["compaction"]["rewrite_cost_tokens"] > 0
    last = usages[-1]
    assert last["compaction"]["tokens_before"] - last["prompt_tokens"] == last["compaction"]["tokens_saved"] > 2000
    sent = [u["compaction"]["tokens_before"] for u in usages]
    grown = last["prompt_tokens"] - usages[first]["prompt_tokens"]
    assert grown < 0.4 * (sent[-1] - sent[first])  # the rendered prompt grows far slower than the history
    # each later rewrite stubs only the output that just fell out of the last k: the compacted prefix before it,
    # rendered byte for byte as before, is reused, so the cached part grows from step to step
    cached = [u["prompt_tokens_details"]["cached_tokens"] for u in usages[first:]]
    assert cached == sorted(cached) and cached[-1] > cached[0] + 1000
    with httpx.Client(base_url=server.base_url) as http:
        body = http.get("/v1/sessions/c").json()
        assert body["compaction"]["checkpoints"] == len(rewrites)
        assert body["steps"][first]["tokens_saved"] == usages[first]["compaction"]["tokens_saved"]
        assert body["steps"][first]["compaction_cost_tokens"] > 0
