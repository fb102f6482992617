"""Bad input gets a 4xx in each API's own error shape (never a 500); a full queue answers 429; a client that
disconnects mid-stream cancels its generation, keeps the KV computed so far, and disturbs nobody."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.server.conftest import tiny_engine
from tests.server.engine_doubles import GatedEngine

CHAT = "/v1/chat/completions"
MSG = "/v1/messages"
USER = [{"role": "user", "content": "hello"}]


def _openai_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    return err


def _anthropic_error(r: httpx.Response, status: int, kind: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == kind and body["error"]["message"]


@pytest.mark.parametrize("body", [
    {"model": "default", "messages": "hello"},
    {"model": "default", "messages": USER, "max_tokens": "ten"},
    {"model": "default", "messages": USER, "temperature": 9},
    {"model": "default", "messages": USER, "bogus_field": 1},
    {"model": "default", "messages": []},
    {"model": "default", "messages": USER, "max_tokens": 0},
    {"model": "default", "messages": USER, "max_completion_tokens": -3},
    {"model": "default", "messages": [{"role": "wizard", "content": "x"}]},
    {"model": "default", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
    {"model": "default", "messages": USER, "n": 2},
    {"messages": USER},
    [1, 2, 3],
])
def test_openai_bad_input_is_400(http, body) -> None:  # noqa: ANN001
    _openai_error(http.post(CHAT, json=body), 400)


@pytest.mark.parametrize("body", [
    {"model": "default", "messages": USER},
    {"model": "default", "max_tokens": 0, "messages": USER},
    {"model": "default", "max_tokens": 5, "messages": []},
    {"model": "default", "max_tokens": 5, "messages": USER, "extra": True},
    {"model": "default", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]},
    {"model": "default", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "nope"}]}]},
    {"model": "default", "max_tokens": 5, "messages": USER, "temperature": -1},
    {"model": "default", "max_tokens": 5, "messages": USER, "system": 7},
])
def test_anthropic_bad_input_is_400(http, body) -> None:  # noqa: ANN001
    _anthropic_error(http.post(MSG, json=body), 400, "invalid_request_error")


def test_malformed_json(http) -> None:  # noqa: ANN001
    headers = {"content-type": "application/json"}
    assert "JSON" in _openai_error(http.post(CHAT, content=b'{"model": ', headers=headers), 400)["message"]
    _anthropic_error(http.post(MSG, content=b"{nope", headers=headers), 400, "invalid_request_error")
    _openai_error(http.post(CHAT, content=b"model=default"), 400)


def test_unknown_model_is_404(http) -> None:  # noqa: ANN001
    assert _openai_error(http.post(CHAT, json={"model": "gpt-9", "messages": USER}), 404)["code"] == "model_not_found"
    _anthropic_error(http.post(MSG, json={"model": "claude-9", "max_tokens": 5, "messages": USER}), 404,
                     "not_found_error")
    _openai_error(http.get("/v1/models/gpt-9"), 404)
    _openai_error(http.get("/v1/nowhere"), 404)


def test_prompt_longer_than_context(http, tiny_model) -> None:  # noqa: ANN001
    long = [{"role": "user", "content": "x" * (tiny_model.max_context + 10)}]
    for stream in (False, True):
        err = _openai_error(http.post(CHAT, json={"model": "default", "messages": long, "stream": stream}), 400)
        assert err["code"] == "context_length_exceeded"
        _anthropic_error(http.post(MSG, json={"model": "default", "max_tokens": 5, "messages": long, "stream": stream}),
                         400, "invalid_request_error")
    assert http.post(CHAT, json={"model": "default", "messages": USER, "max_tokens": 2}).status_code == 200


def test_api_keys(make_server) -> None:  # noqa: ANN001
    server = make_server(api_keys={"k1": "team-a"})
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        _openai_error(http.post(CHAT, json={"model": "default", "messages": USER}), 401)
        _openai_error(http.get("/v1/models", headers={"authorization": "Bearer wrong"}), 401)
        _anthropic_error(http.post(MSG, json={"model": "default", "max_tokens": 2, "messages": USER}), 401,
                         "authentication_error")
        ok = http.post(MSG, headers={"x-api-key": "k1"}, json={"model": "default", "max_tokens": 2, "messages": USER})
        assert ok.status_code == 200
        assert http.get("/healthz").status_code == 200


def test_queue_full_is_429_and_the_server_keeps_serving(make_server, tiny_model, tmp_path) -> None:  # noqa: ANN001
    engine = GatedEngine(tiny_engine(tiny_model, tmp_path / "c", max_running=1))  # one runs, one may wait
    server = make_server(engine, max_queue=1)
    body = {"model": "default", "messages": USER, "max_tokens": 3}
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        with http.stream("POST", CHAT, json={**body, "stream": True}) as running:  # headers come once started
            assert running.status_code == 200
            waiting: list[httpx.Response] = []
            thread = threading.Thread(target=lambda: waiting.append(http.post(CHAT, json=body)))
            thread.start()
            deadline = time.monotonic() + 10
            while server.state.worker.stats().queue_depth < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            full = http.post(CHAT, json=body)
            assert _openai_error(full, 429)["type"] == "rate_limit_error"
            assert full.headers["retry-after"] == "1"
            _anthropic_error(http.post(MSG, json={**body, "messages": USER}), 429, "rate_limit_error")
            engine.gate.set()
            assert b"[DONE]" in running.read()
        thread.join(30)
        assert waiting[0].status_code == 200
        assert http.post(CHAT, json=body).status_code == 200


def test_disconnect_cancels_the_generation_and_keeps_its_kv(server, http) -> None:  # noqa: ANN001
    messages = [{"role": "system", "content": "Write a very long story. " * 4}, {"role": "user", "content": "Go."}]
    body = {"model": "default", "messages": messages, "max_tokens": 3000, "temperature": 1.0, "seed": 3}
    with http.stream("POST", CHAT, json={**body, "stream": True}) as r:
        lines = r.iter_lines()
        for _ in range(6):
            next(lines)
    deadline = time.monotonic() + 10
    while server.state.worker.stats().cancelled < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    stats = server.state.worker.stats()
    assert stats.cancelled == 1 and stats.cancelled_tokens < 50  # of 3000 asked for
    again = http.post(CHAT, json={**body, "max_tokens": 2})
    usage = again.json()["usage"]
    assert again.status_code == 200 and usage["completion_tokens"] == 2
    assert usage["prompt_tokens_details"]["cached_tokens"] == usage["prompt_tokens"] - 1  # stored when cancelled


def test_a_non_streamed_request_whose_client_goes_away_is_cancelled(make_server, tiny_model, tmp_path) -> None:  # noqa: ANN001
    engine = GatedEngine(tiny_engine(tiny_model, tmp_path / "c"), free_steps=1)  # prefill, then hold
    server = make_server(engine)
    body = {"model": "default", "messages": USER, "max_tokens": 3000, "temperature": 1.0, "seed": 5}
    with httpx.Client(base_url=server.base_url, timeout=httpx.Timeout(60, read=1.0)) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post(CHAT, json=body)  # gives up after a second and closes the connection
    deadline = time.monotonic() + 30
    while not server.state.worker.stats().cancelled and time.monotonic() < deadline:
        time.sleep(0.02)
    stats = server.state.worker.stats()
    assert stats.cancelled == 1 and stats.completed == 0
    engine.gate.set()
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        again = http.post(CHAT, json={**body, "max_tokens": 2})
    usage = again.json()["usage"]
    assert again.status_code == 200 and usage["prompt_tokens_details"]["cached_tokens"] == usage["prompt_tokens"] - 1


def test_extreme_sampling_values_are_served(http) -> None:  # noqa: ANN001
    for extra in ({"temperature": 1e-300, "seed": -5}, {"temperature": 2, "top_p": 0}, {"seed": 2**63 - 1},
                  {"stop": ["", "x"]}):
        r = http.post(CHAT, json={"model": "default", "messages": USER, "max_tokens": 2, **extra})
        assert r.status_code == 200, (extra, r.text)
