"""Tool-call keys: sha256 over canonical bytes, identical across processes, machines and restarts.

    key = sha256("loopcache.toolcall.v2" \0 tool \0 schema_fingerprint \0 scope \0 canonical_json(args))

The schema fingerprint is part of the key, so a tool whose schema changed never serves old results; the
scope ("session:<id>" or "namespace:<name>") keeps tenants and sessions apart. Python's `hash()` is
never used: it differs per process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loopcache.toolcache.canonical import canonical_json

# Bump when the canonical bytes change: old keys then simply stop matching.
KEY_FORMAT_VERSION = 3  # 2: formats by name and value shape, patterns, integer "#12" (issue 13); 3: field traits,
#                        codes, sets, host names, times, arithmetic, SQL rewrites, UTC date-times
_DOMAIN = b"loopcache.toolcall.v%d\x00" % KEY_FORMAT_VERSION


@dataclass(frozen=True, slots=True)
class ToolKey:
    """The 64-hex-digit sha256 naming one canonical call of one tool (schema version) in one scope."""

    hex: str

    def __post_init__(self) -> None:
        if len(self.hex) != 64 or any(c not in "0123456789abcdef" for c in self.hex):
            raise ValueError(f"ToolKey needs 64 lower-case hex digits, got {self.hex!r}")


def schema_fingerprint(schema: Mapping[str, Any] | None) -> str:
    """16 hex digits identifying a parameters schema (key order and number spelling do not matter)."""
    return hashlib.sha256(canonical_json(dict(schema or {})).encode()).hexdigest()[:16]


def make_key(tool: str, fingerprint: str, scope: str, canonical_args: Mapping[str, Any]) -> ToolKey:
    """The one function that builds keys. `canonical_args` must already be canonicalised."""
    digest = hashlib.sha256(_DOMAIN)
    for part in (tool, fingerprint, scope, canonical_json(dict(canonical_args))):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return ToolKey(digest.hexdigest())
