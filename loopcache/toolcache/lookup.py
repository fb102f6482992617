"""Small named results of the pipeline: which stage answered a call (`Lookup`), and a cached error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from loopcache.toolcache.key import ToolKey
from loopcache.toolcache.store import Entry


class Stage(Enum):
    EXACT = "exact"
    SEMANTIC = "semantic"
    MISS = "miss"
    BYPASS = "bypass"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the pipeline found for one call. `entry` is set on EXACT/SEMANTIC; `reason` explains a
    MISS/BYPASS; `key`, `args`, `embedding` let the caller store the result without recomputing them."""

    stage: Stage
    tool: str
    scope: str = ""
    key: ToolKey | None = None
    args: Mapping[str, Any] | None = None
    entry: Entry | None = None
    similarity: float | None = None
    reason: str = ""
    embedding: bytes | None = None

    @property
    def is_hit(self) -> bool:
        return self.entry is not None


class CachedToolError(RuntimeError):
    """Raised on a hit of a cached error (only for tools registered with cache_errors=True)."""
