"""The policies `loopcache simulate` compares, in display order, built from the price file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from loopcache.audit.pricing import ModelPrice, PriceBook
from loopcache.audit.simulate.policies import AnthropicCache, EngineLRU, LoopcachePersistent, NoCache, OpenAICache, Outcomes
from loopcache.audit.simulate.profile import SessionProfile


class CachePolicy(Protocol):
    name: str

    def rates(self, price: ModelPrice) -> tuple[float, float]:
        """(USD per million cache-read tokens, USD per million cache-written tokens) for this model."""
        ...

    def replay(self, profiles: tuple[SessionProfile, ...], prices: tuple[ModelPrice, ...]) -> Outcomes:
        """Per session, per step: tokens read from and written to the cache. Pure: no state kept."""
        ...


@dataclass(frozen=True)
class PolicyRegistry:
    policies: tuple[CachePolicy, ...]

    @classmethod
    def default(cls, book: PriceBook, engine_capacity_tokens: int | None = None) -> PolicyRegistry:
        engine = book.hosted("engine-lru")
        loopcache = book.hosted("loopcache")
        return cls(
            (
                NoCache(),
                AnthropicCache(book.cache("anthropic-5m"), write_1h=False),
                AnthropicCache(book.cache("anthropic-1h"), write_1h=True),
                OpenAICache(book.cache("openai-in-memory")),
                OpenAICache(book.cache("openai-24h")),
                EngineLRU(engine, engine_capacity_tokens or engine.capacity_tokens or 0),
                LoopcachePersistent(loopcache),
                LoopcachePersistent(loopcache, with_tool_cache=True),
            )
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.policies)

    def select(self, names: tuple[str, ...]) -> PolicyRegistry:
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise ValueError(f"unknown policy {', '.join(unknown)}; known: {', '.join(self.names)}")
        return PolicyRegistry(tuple(p for p in self.policies if p.name in names))
