"""Retention hints in the request bodies people already send, as a `RetentionHint` (a pin length).

    Anthropic: `cache_control: {"type": "ephemeral", "ttl": "5m" | "1h"}` on any system/message/tool block,
               or at the top level -> a pin as long as the longest ttl (no ttl: no pin; loopcache keeps the
               prefix anyway)
    OpenAI:    `prompt_cache_retention: "24h"` -> a 24-hour pin; "in_memory" -> none
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from loopcache.server.errors import APIError
from loopcache.sessions.policy import PolicyError, RetentionHint, parse_duration


def _cache_controls(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cache_control" and isinstance(value, dict):
                yield value
            else:
                yield from _cache_controls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _cache_controls(item)


def anthropic_hint(raw_body: dict[str, Any]) -> RetentionHint:
    ttls = [c["ttl"] for c in _cache_controls(raw_body) if c.get("ttl") is not None]
    try:
        return RetentionHint(max((parse_duration(t) for t in ttls), default=None))
    except PolicyError as exc:
        raise APIError(400, f"cache_control.ttl: {exc}") from None


def openai_hint(prompt_cache_retention: str | None) -> RetentionHint:
    try:
        return RetentionHint.from_openai_retention(prompt_cache_retention)
    except PolicyError as exc:
        raise APIError(400, f"prompt_cache_retention: {exc}", param="prompt_cache_retention") from None
