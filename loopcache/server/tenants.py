"""Who is asking: API key -> namespace (tenant), and which session a request belongs to.

A namespace is part of every block hash, so one tenant's requests can never find (or time) another
tenant's blocks. Without configured keys the server is open and everything runs in one namespace.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loopcache.server.config import OPEN_NAMESPACE, ServerConfig

SESSION_HEADER = "x-session-id"


class AuthError(Exception):
    """Missing or unknown API key."""


@dataclass(frozen=True)
class Tenant:
    namespace: str


def namespace_for_key(key: str) -> str:
    """The namespace of a key listed without one: stable, and not the key itself."""
    return "tenant-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def read_api_keys_file(path: Path) -> dict[str, str]:
    """Lines `KEY [NAMESPACE]`; blank lines and `#` comments are skipped."""
    keys: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) > 2:
            raise ValueError(f"{path}:{number}: expected 'KEY [NAMESPACE]'")
        keys[parts[0]] = parts[1] if len(parts) == 2 else namespace_for_key(parts[0])
    if not keys:
        raise ValueError(f"{path}: no API keys")
    return keys


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from `Authorization: Bearer KEY` (OpenAI) or `x-api-key: KEY` (Anthropic)."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return headers.get("x-api-key")


def resolve_tenant(config: ServerConfig, headers: Mapping[str, str]) -> Tenant:
    if config.is_open:
        return Tenant(OPEN_NAMESPACE)
    key = presented_key(headers)
    if key:
        for known, namespace in config.api_keys.items():
            if hmac.compare_digest(known.encode(), key.encode()):
                return Tenant(namespace)
    raise AuthError("missing or invalid API key" if key else "no API key given")


def resolve_session_id(headers: Mapping[str, str], *fallbacks: str | None) -> str | None:
    """`X-Session-Id`, else the first non-empty fallback (prompt_cache_key, user, metadata.user_id)."""
    header = headers.get(SESSION_HEADER)
    if header:
        return header
    return next((f for f in fallbacks if f), None)
