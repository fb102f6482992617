"""How sessions are kept: one frozen config, validated once (no imports of the heavy parts)."""

from __future__ import annotations

from dataclasses import dataclass

EVICTION_POLICIES = ("session", "lru")


@dataclass(frozen=True)
class SessionConfig:
    """registry: record sessions and steps (off: requests are anonymous to the cache, as before).
    eviction: "session" (session-aware, see sessions/eviction.py) or "lru" (plain least recently used).
    pin_share: the most of the disk tier (the memory tier without one) that pins may hold.
    prefetch: move a session's blocks into memory when its request arrives and, at start, for the sessions
        active before the restart."""

    registry: bool = True
    eviction: str = "session"
    pin_share: float = 0.5
    prefetch: bool = True

    def __post_init__(self) -> None:
        if self.eviction not in EVICTION_POLICIES:
            raise ValueError(f"eviction must be one of {EVICTION_POLICIES}, got {self.eviction!r}")
        if not 0 < self.pin_share <= 1:
            raise ValueError(f"pin_share must be in (0, 1], got {self.pin_share!r}")
