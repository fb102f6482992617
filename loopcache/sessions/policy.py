"""A session's retention policy, and how the hints of the APIs people already use map onto it.

    disk_ttl_s          how long its blocks stay on disk after its last step (default 7 days)
    memory_residency_s  how long its blocks stay in memory after a step, in preference to idle sessions'
                        (None: learned from the session's own tool gaps, see tool_gaps.py)
    pinned_until        a pin: eviction never touches its blocks before this time (epoch seconds; 0: none)
    ended               the session said it is done: its private blocks are evicted first

Hints: Anthropic `cache_control: {"type": "ephemeral", "ttl": "5m" | "1h"}` -> a pin of that length;
OpenAI `prompt_cache_retention: "in_memory" | "24h"` -> "24h" is a pin of 24 hours; `POST
/v1/sessions/{id}/pin {"ttl_s": ...}` -> a pin of ttl_s.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

DEFAULT_DISK_TTL_S = 7 * 86400.0
MAX_PIN_S = 30 * 86400.0
MAX_DISK_TTL_S = 10 * 365 * 86400.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class PolicyError(ValueError):
    """A retention setting that cannot be honoured as given (bad duration, negative TTL)."""


def parse_duration(text: str) -> float:
    """Seconds in "300s", "5m", "1h", "24h", "7d"."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise PolicyError(f"a duration looks like 5m, 1h, 24h or 7d; got {text!r}")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def check_seconds(value: Any, what: str, upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PolicyError(f"{what} must be a number of seconds, got {value!r}")
    if not 0 < value <= upper:
        raise PolicyError(f"{what} must be in (0, {upper:g}] seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class RetentionPolicy:
    disk_ttl_s: float = DEFAULT_DISK_TTL_S
    memory_residency_s: float | None = None
    pinned_until: float = 0.0
    ended: bool = False

    def __post_init__(self) -> None:
        check_seconds(self.disk_ttl_s, "disk_ttl_s", MAX_DISK_TTL_S)
        if self.memory_residency_s is not None:
            check_seconds(self.memory_residency_s, "memory_residency_s", MAX_PIN_S)

    def is_pinned(self, now: float) -> bool:
        return self.pinned_until > now

    def pinned_for(self, now: float, ttl_s: float) -> RetentionPolicy:
        """This policy with a pin lasting at least `ttl_s` from `now` (a pin is never shortened by a hint)."""
        return replace(self, pinned_until=max(self.pinned_until, now + check_seconds(ttl_s, "pin ttl_s", MAX_PIN_S)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RetentionPolicy:
        known = {k: data[k] for k in ("disk_ttl_s", "memory_residency_s", "pinned_until", "ended") if k in data}
        return cls(**known)


@dataclass(frozen=True)
class RetentionHint:
    """What one request asked for, in seconds of pin (None: nothing)."""

    pin_s: float | None = None

    @classmethod
    def from_anthropic_ttl(cls, ttl: str | None) -> RetentionHint:
        return cls(None if ttl is None else parse_duration(ttl))

    @classmethod
    def from_openai_retention(cls, retention: str | None) -> RetentionHint:
        if retention in (None, "in_memory", "in-memory"):
            return cls(None)
        return cls(parse_duration(retention))
