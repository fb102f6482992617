"""Which tokens of the reused chunks are recomputed: small strategies behind a registry.

    chunk:      [ t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 ]      r = 30%, first_tokens = 1
    deviation:  [ x           x        x  x     ]      t0, then the 3 whose KV deviates most at the probe layer
    first:      [ x  x  x  x                    ]      t0, then the first ceil(r * len) of each chunk

Every strategy returns absolute positions, sorted, within the chunks; the caller adds every non-chunk token.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import torch

from loopcache.blend.segments import Span


class Selector(Protocol):
    needs_probe: bool  # whether `select` reads per-token deviations (the caller runs the probe layers first)

    def select(self, chunks: Sequence[Span], deviation: torch.Tensor | None, share: float, first: int) -> list[int]:
        """Positions to recompute; `deviation` has one value per chunk token, chunks concatenated in order."""
        ...


def _first(chunks: Sequence[Span], first: int) -> list[int]:
    return [p for c in chunks for p in range(c.start, min(c.end, c.start + first))]


class DeviationSelector:
    """CacheBlend's idea: the tokens whose recomputed KV differs most from the reused one at an early layer
    are the ones whose cross-chunk attention matters; r of all chunk tokens are recomputed."""

    needs_probe = True

    def select(self, chunks: Sequence[Span], deviation: torch.Tensor | None, share: float, first: int) -> list[int]:
        forced = set(_first(chunks, first))
        positions = torch.cat([torch.arange(c.start, c.end) for c in chunks]) if chunks else torch.zeros(0)
        total = positions.numel()
        count = min(total, round(share * total))
        if deviation is None or deviation.numel() != total:
            raise ValueError("the deviation selector needs one deviation per chunk token")
        if count > 0:
            order = torch.argsort(deviation.float(), descending=True, stable=True)
            ranked = [int(p) for p in positions[order].tolist() if int(p) not in forced]
            forced.update(ranked[:count])
        return sorted(forced)


class FirstTokensSelector:
    """EPIC's idea: the first tokens of each chunk (where a chunk computed alone put its attention sink and
    where it first meets the new context), ceil(r * length) of each."""

    needs_probe = False

    def select(self, chunks: Sequence[Span], deviation: torch.Tensor | None, share: float, first: int) -> list[int]:
        picked = set(_first(chunks, first))
        for c in chunks:
            picked.update(range(c.start, c.start + min(c.num_tokens, math.ceil(share * c.num_tokens))))
        return sorted(picked)


SELECTORS: dict[str, type[DeviationSelector] | type[FirstTokensSelector]] = {
    "deviation": DeviationSelector,
    "first_tokens": FirstTokensSelector,
}


def make_selector(name: str) -> Selector:
    try:
        return SELECTORS[name]()
    except KeyError:
        raise ValueError(f"unknown selector {name!r}; known: {', '.join(SELECTORS)}") from None
