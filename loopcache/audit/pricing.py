"""Prices and cache rules, loaded at run time from a dated JSON file (default: `data/pricing.json` in this
package; users pass their own edited copy with `--prices`). Nothing here is a constant in code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens for one model, and its smallest cacheable prompt."""

    provider: str
    model: str
    match: tuple[str, ...]
    date: str
    source: str
    input_per_mtok: float
    output_per_mtok: float
    cache_read_per_mtok: float
    cache_write_5m_per_mtok: float
    cache_write_1h_per_mtok: float
    min_cacheable_tokens: int

    def dollars(self, per_mtok: float, tokens: float) -> float:
        return per_mtok * tokens / 1_000_000


@dataclass(frozen=True)
class CacheRule:
    """A provider cache lifetime (TTL) and its matching rules."""

    name: str
    provider: str
    ttl_s: float
    min_tokens: int
    increment_tokens: int
    lookback_blocks: int
    source: str


@dataclass(frozen=True)
class SelfHostedRule:
    """Assumptions for the self-hosted policies (engine prefix cache, loopcache)."""

    name: str
    ttl_s: float | None
    capacity_tokens: int | None
    block_tokens: int
    read_multiplier: float


@dataclass(frozen=True)
class PriceMatch:
    price: ModelPrice
    is_default: bool


@dataclass(frozen=True)
class PriceBook:
    date: str
    source_path: str
    default_model: str
    models: tuple[ModelPrice, ...]
    caches: tuple[CacheRule, ...]
    self_hosted: tuple[SelfHostedRule, ...]

    @classmethod
    def load(cls, path: Path | None = None) -> PriceBook:
        """Read the price file (`path`, or the one shipped in the package). Raises ValueError if malformed."""
        resource = files("loopcache.audit").joinpath("data/pricing.json") if path is None else path
        try:
            data = json.loads(resource.read_text(encoding="utf-8"))
            models = tuple(
                ModelPrice(**{**m, "match": tuple(m.get("match") or [m["model"]])}) for m in data["models"]
            )
            caches = tuple(
                CacheRule(
                    name=name, provider=c["provider"], ttl_s=float(c["ttl_s"]), min_tokens=int(c.get("min_tokens", 0)),
                    increment_tokens=int(c.get("increment_tokens", 1)), lookback_blocks=int(c.get("lookback_blocks", 0)),
                    source=c.get("source", ""),
                )
                for name, c in data["caches"].items()
            )
            hosted = tuple(
                SelfHostedRule(
                    name=name, ttl_s=h.get("ttl_s"), capacity_tokens=h.get("capacity_tokens"),
                    block_tokens=int(h["block_tokens"]), read_multiplier=float(h["read_multiplier"]),
                )
                for name, h in data["self_hosted"].items()
            )
            return cls(str(data["date"]), str(resource), str(data["default_model"]), models, caches, hosted)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed price file {resource}: {exc}") from exc

    def for_model(self, model: str | None) -> PriceMatch:
        """The entry whose longest `match` pattern occurs in `model` (case-insensitive); the default model's
        entry, marked `is_default`, when none does."""
        name = (model or "").lower()
        best, best_len = None, 0
        for entry in self.models:
            for pattern in entry.match:
                if pattern.lower() in name and len(pattern) > best_len:
                    best, best_len = entry, len(pattern)
        if best is not None:
            return PriceMatch(best, False)
        default = next(m for m in self.models if m.model == self.default_model)
        return PriceMatch(default, True)

    def cache(self, name: str) -> CacheRule:
        return next(c for c in self.caches if c.name == name)

    def hosted(self, name: str) -> SelfHostedRule:
        return next(h for h in self.self_hosted if h.name == name)
