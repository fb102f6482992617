"""API keys map to namespaces; no tenant ever hits another tenant's blocks; session ids are resolved."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from loopcache.server.config import ServerConfig
from loopcache.server.tenants import (
    AuthError, namespace_for_key, read_api_keys_file, resolve_session_id, resolve_tenant,
)

PROMPT = [{"role": "system", "content": "Shared system prompt of every tenant. " * 3}, {"role": "user", "content": "hi"}]


def test_keys_file(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text("# tenants\nk-a team-a\n\nk-b   # no namespace given\n")
    keys = read_api_keys_file(path)
    assert keys == {"k-a": "team-a", "k-b": namespace_for_key("k-b")} and "k-b" not in keys["k-b"]
    path.write_text("a b c\n")
    with pytest.raises(ValueError):
        read_api_keys_file(path)


def test_tenant_resolution() -> None:
    open_config = ServerConfig()
    assert resolve_tenant(open_config, {"authorization": "Bearer anything"}).namespace == "default"
    config = ServerConfig(api_keys={"k-a": "team-a"})
    assert resolve_tenant(config, {"authorization": "Bearer k-a"}).namespace == "team-a"
    assert resolve_tenant(config, {"x-api-key": "k-a"}).namespace == "team-a"
    for headers in ({}, {"x-api-key": "k-b"}, {"authorization": "Basic k-a"}):
        with pytest.raises(AuthError):
            resolve_tenant(config, headers)


def test_session_resolution_order() -> None:
    assert resolve_session_id({"x-session-id": "h"}, "key", "user") == "h"
    assert resolve_session_id({}, None, "user") == "user"
    assert resolve_session_id({}, "", None) is None


def test_tenants_never_share_blocks(make_server) -> None:  # noqa: ANN001
    server = make_server(api_keys={"k-a": "team-a", "k-b": "team-b"})

    def ask(key: str) -> int:
        client = openai.OpenAI(base_url=server.v1, api_key=key, max_retries=0)
        out = client.chat.completions.create(model="default", messages=PROMPT, max_tokens=2)
        return out.usage.prompt_tokens_details.cached_tokens

    assert ask("k-a") == 0
    assert ask("k-a") > 0  # the same tenant hits its own blocks
    assert ask("k-b") == 0  # the other tenant finds nothing: no hit, no timing difference to observe
