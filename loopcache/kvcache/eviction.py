"""Which blocks a full tier evicts first: a small strategy the memory and disk tiers consult.

    tier (recency order, least recently used first):   a  b  c  d  e  f
    policy.rank(key):                                    1  0  -  1  2  0      (- : None, never evicted)
    victims for 2 blocks' worth:                         b  f                  (lowest rank first, then LRU)

A tier without a policy is plain LRU. The policy only orders; the tier keeps its capacity a hard limit: when
the blocks it may evict are not enough, the put is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from loopcache.kvcache.block_hash import BlockHash

T = TypeVar("T")


class EvictionPolicy(Protocol):
    def rank(self, key: BlockHash) -> int | None:
        """The eviction class of `key`: lower classes go first (least recently used first within a class);
        None: never evict (a pin that has not expired)."""
        ...


def choose_victims(lru_order: Iterable[tuple[T, BlockHash, int]], excess: int,
                   policy: EvictionPolicy | None) -> list[T] | None:
    """Items worth at least `excess` bytes to evict, from `(item, key, nbytes)` in recency order (least
    recent first); None when the evictable items are not enough."""
    if excess <= 0:
        return []
    if policy is None:
        victims: list[T] = []
        for item, _, nbytes in lru_order:
            victims.append(item)
            excess -= nbytes
            if excess <= 0:
                return victims
        return None
    ranked = []
    for position, (item, key, nbytes) in enumerate(lru_order):
        rank = policy.rank(key)
        if rank is not None:
            ranked.append((rank, position, item, nbytes))
    ranked.sort(key=lambda r: (r[0], r[1]))
    victims = []
    for _, _, item, nbytes in ranked:
        victims.append(item)
        excess -= nbytes
        if excess <= 0:
            return victims
    return None
