"""Counters of what the cache did: hits by stage, misses, calls it could not cache, and what hits saved."""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True, slots=True)
class CacheStats:
    """A snapshot. `saved_seconds` sums the original run time of every call answered from cache."""

    exact_hits: int = 0
    semantic_hits: int = 0
    misses: int = 0
    bypassed: int = 0  # calls of tools that are not read-only (or not registered): always run
    errors: int = 0  # tool calls that raised / returned an error
    rejected_by_verify: int = 0  # semantic candidates the verify stage refused
    invalidated: int = 0  # entries dropped by side-effecting calls and invalidate()
    saved_seconds: float = 0.0

    @property
    def hits(self) -> int:
        return self.exact_hits + self.semantic_hits

    @property
    def saved_calls(self) -> int:
        return self.hits

    def __add__(self, other: CacheStats) -> CacheStats:
        return CacheStats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


class StatsCounter:
    """Thread-safe accumulation into per-tool `CacheStats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_tool: dict[str, CacheStats] = {}

    def add(self, tool: str, **increments: float) -> None:
        with self._lock:
            current = self._by_tool.get(tool, CacheStats())
            self._by_tool[tool] = replace(current, **{k: getattr(current, k) + v for k, v in increments.items()})

    def total(self) -> CacheStats:
        with self._lock:
            return sum(self._by_tool.values(), CacheStats())

    def by_tool(self) -> dict[str, CacheStats]:
        with self._lock:
            return dict(self._by_tool)
