"""Operations: health, Prometheus metrics, access log, and the trace log that `loopcache audit` reads."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import anthropic
import openai
import pytest

from loopcache.audit.readers.registry import ReaderRegistry


def test_healthz_and_metrics(server, http) -> None:  # noqa: ANN001
    health = http.get("/healthz").json()
    assert health["status"] == "ok" and "default" in health["models"] and health["queue_depth"] == 0
    client = openai.OpenAI(base_url=server.v1, api_key="x", max_retries=0)
    messages = [{"role": "system", "content": "Metrics please. " * 4}, {"role": "user", "content": "hi"}]
    for _ in range(2):
        client.chat.completions.create(model="default", messages=messages, max_tokens=2)
    http.post("/v1/chat/completions", json={"model": "nope", "messages": messages})
    r = http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    for needle in ('loopcache_requests_total{api="openai",status="200"} 2.0',
                   'loopcache_requests_total{api="openai",status="404"} 1.0',
                   "loopcache_ttft_seconds_bucket", 'loopcache_cached_tokens_total{tier="memory"}',
                   "loopcache_computed_tokens_total", 'loopcache_store_bytes{tier="disk"}',
                   'loopcache_store_evictions_total{tier="memory"}', "loopcache_queue_depth 0.0",
                   "loopcache_running_sequences 0.0", 'loopcache_kv_pool_blocks{state="used"} 0.0',
                   "loopcache_preemptions_total 0.0", "loopcache_rejected_blocks_total 0.0"):
        assert needle in text, needle


def test_access_log(server, http, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    with caplog.at_level(logging.INFO, logger="loopcache.access"):
        http.get("/healthz", headers={"x-session-id": "s-42"})
        deadline = time.monotonic() + 5  # the line is written once the response has been sent
        while not any(r.name == "loopcache.access" for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.01)
    entries = [json.loads(r.getMessage()) for r in caplog.records if r.name == "loopcache.access"]
    assert entries[-1]["path"] == "/healthz" and entries[-1]["status"] == 200 and entries[-1]["session_id"] == "s-42"


def test_trace_log_is_read_by_the_audit(make_server, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "trace.jsonl"
    server = make_server(trace_log=path)
    client = openai.OpenAI(base_url=server.v1, api_key="x", max_retries=0,
                           default_headers={"X-Session-Id": "agent-1"})
    messages = [{"role": "system", "content": "You audit. " * 6}, {"role": "user", "content": "step one"}]
    for step in range(3):
        out = client.chat.completions.create(model="default", messages=messages, max_tokens=4,
                                             stream=step == 1, stream_options={"include_usage": True} if step == 1 else None)
        text = "".join(c.choices[0].delta.content or "" for c in out if c.choices) if step == 1 else \
            out.choices[0].message.content
        messages += [{"role": "assistant", "content": text}, {"role": "user", "content": f"step {step + 2}"}]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 3 and {"session_id", "started_at", "ended_at", "request", "response"} == set(lines[0])
    assert lines[1]["response"]["object"] == "chat.completion"  # a stream is logged as the full body
    trace = ReaderRegistry.default().read(path)
    assert trace.format == "openai-log" and not trace.problems
    (session,) = trace.sessions
    assert session.session_id == "agent-1" and len(session.steps) == 3
    assert session.steps[2].usage.cached_tokens > 0
    anth = anthropic.Anthropic(base_url=server.base_url, api_key="x", max_retries=0)
    anth.messages.create(model="default", max_tokens=2, system="s", messages=[{"role": "user", "content": "x"}])
    assert json.loads(path.read_text().splitlines()[-1])["response"]["type"] == "message"
