"""TieredStore: a composite Store over tiers ordered fastest first (memory -> disk -> ...).

    get:  ask each tier in order; a hit in a slower tier is promoted into the first (memory).
    find_many / tiers_of: the same for a run of keys, one call per tier (a `BatchStore`, e.g. Redis,
          answers them in one round trip).
    put:  write-through into the first tier (synchronous), write-behind into the others (background,
          bounded; a full queue drops the write, never blocks the caller).
    close: drains the write-behind queues, then closes every tier.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.store import BatchStore, Counters, IntegrityReport, Store, StoreStats
from loopcache.kvcache.write_behind import WriteBehind, WriteBehindStats


@dataclass(frozen=True, slots=True)
class TierHit:
    block: KVBlock
    tier: str


class TieredStore:
    """Implements `Store`; `find` also says which tier served a block."""

    def __init__(self, tiers: Sequence[Store], max_write_queue: int = 256, name: str = "tiered") -> None:
        if not tiers:
            raise ValueError("TieredStore needs at least one tier")
        names = [t.name for t in tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique, got {names}")
        self.name = name
        self.tiers = list(tiers)
        self._writers = [WriteBehind(t, max_write_queue) for t in self.tiers[1:]]
        self._batched = [isinstance(t, BatchStore) for t in self.tiers]
        self._counters = Counters()
        self._closed = False

    def find(self, key: BlockHash) -> TierHit | None:
        """The block under `key` from the fastest tier holding it, promoted into the faster tiers."""
        return self.find_many([key])[0]

    def find_many(self, keys: Sequence[BlockHash]) -> list[TierHit | None]:
        """`find` of each of `keys`, in order; each tier is asked once for the keys the faster ones lacked."""
        hits: list[TierHit | None] = [None] * len(keys)
        for i, tier in enumerate(self.tiers):
            wanted = [j for j, hit in enumerate(hits) if hit is None]
            if not wanted:
                break
            if self._batched[i]:
                blocks = tier.get_many([keys[j] for j in wanted])  # type: ignore[attr-defined]
            else:
                blocks = [tier.get(keys[j]) for j in wanted]
            for j, block in zip(wanted, blocks):
                if block is not None:
                    self._promote(block, i)
                    hits[j] = TierHit(block, tier.name)
        found = sum(h is not None for h in hits)
        self._counters.hits += found
        self._counters.misses += len(keys) - found
        return hits

    def _promote(self, block: KVBlock, found_in: int) -> None:
        """Copy a block found in a slower tier into the first one. Not into the tiers between: a Redis hit
        written to disk as well would cost the request CPU (encoding, checksum, fsync) for a copy that
        the shared tier already keeps."""
        if found_in > 0:
            self.tiers[0].put(block)

    def tier_of(self, key: BlockHash) -> str | None:
        """Name of the fastest tier that holds `key` (no payload is read); None if no tier does."""
        return self.tiers_of([key])[0]

    def tiers_of(self, keys: Sequence[BlockHash]) -> list[str | None]:
        """`tier_of` of each of `keys`, in order (one call per tier)."""
        names: list[str | None] = [None] * len(keys)
        for i, tier in enumerate(self.tiers):
            wanted = [j for j, name in enumerate(names) if name is None]
            if not wanted:
                break
            if self._batched[i]:
                held = tier.contains_many([keys[j] for j in wanted])  # type: ignore[attr-defined]
            else:
                held = [tier.contains(keys[j]) for j in wanted]
            for j, is_held in zip(wanted, held):
                if is_held:
                    names[j] = tier.name
        return names

    def get(self, key: BlockHash) -> KVBlock | None:
        hit = self.find(key)
        return hit.block if hit is not None else None

    def put(self, block: KVBlock) -> bool:
        if self._closed:
            return False
        stored = self.tiers[0].put(block)
        for writer in self._writers:
            stored = writer.submit(block) or stored
        self._counters.puts += 1
        return stored

    def contains(self, key: BlockHash) -> bool:
        return self.tier_of(key) is not None

    def delete(self, key: BlockHash) -> bool:
        self.drain()
        removed = [tier.delete(key) for tier in self.tiers]
        return any(removed)

    def keys(self) -> Iterator[BlockHash]:
        seen: set[BlockHash] = set()
        for tier in self.tiers:
            for key in tier.keys():
                if key not in seen:
                    seen.add(key)
                    yield key

    def drain(self) -> None:
        """Wait until every queued background write has been attempted."""
        for writer in self._writers:
            writer.drain()

    def stats(self) -> StoreStats:
        parts = [t.stats() for t in self.tiers]
        return self._counters.snapshot(
            self.name,
            num_entries=sum(p.num_entries for p in parts),
            bytes_used=sum(p.bytes_used for p in parts),
            capacity_bytes=sum(p.capacity_bytes for p in parts),
        )

    def tier_stats(self) -> list[StoreStats]:
        return [t.stats() for t in self.tiers]

    def writer_stats(self) -> dict[str, WriteBehindStats]:
        return {w.target.name: w.stats() for w in self._writers}

    def check_integrity(self, deep: bool = False) -> IntegrityReport:
        reports = [t.check_integrity(deep) for t in self.tiers]
        return IntegrityReport(
            self.name,
            num_checked=sum(r.num_checked for r in reports),
            problems=tuple(f"{r.name}: {p}" for r in reports for p in r.problems),
            num_fixed=sum(r.num_fixed for r in reports),
        )

    def close(self) -> None:
        """Drain pending writes, then close every tier. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for writer in self._writers:
            writer.close()
        for tier in self.tiers:
            tier.close()
