"""Session-aware eviction: the order in which a full tier gives up blocks, from what the SessionBook says.

    rank (lower goes first)      memory tier                      disk tier
    DEAD                         0                                0
    UNKNOWN                      1                                1
    IDLE                         1  (spills to disk)              1
    WAITING                      2  (a tool call is running)      1
    SHARED                       3                                2
    PINNED                       3  (kept, not guaranteed)        never

Within a rank, least recently used first (the tier's own order). Pins are a guarantee on disk, the durable
tier that the pin share is checked against; in memory a pinned session is kept in preference, not at any cost.
"""

from __future__ import annotations

from loopcache.kvcache.block_hash import BlockHash
from loopcache.sessions.book import BlockClass, SessionBook

_MEMORY_RANK = {BlockClass.DEAD: 0, BlockClass.UNKNOWN: 1, BlockClass.IDLE: 1, BlockClass.WAITING: 2,
                BlockClass.SHARED: 3, BlockClass.PINNED: 3}
_DISK_RANK: dict[BlockClass, int | None] = {BlockClass.DEAD: 0, BlockClass.UNKNOWN: 1, BlockClass.IDLE: 1,
                                            BlockClass.WAITING: 1, BlockClass.SHARED: 2, BlockClass.PINNED: None}


class MemoryResidency:
    """EvictionPolicy for the memory tier."""

    def __init__(self, book: SessionBook) -> None:
        self.book = book

    def rank(self, key: BlockHash) -> int | None:
        return _MEMORY_RANK[self.book.classify(key)]


class DiskRetention:
    """EvictionPolicy for the disk tier."""

    def __init__(self, book: SessionBook) -> None:
        self.book = book

    def rank(self, key: BlockHash) -> int | None:
        return _DISK_RANK[self.book.classify(key)]
