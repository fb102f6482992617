"""The Store protocol every tier implements, and the small results it returns.

A store maps a `BlockHash` to a `KVBlock`. Tiering is a composite store with the same protocol; pinning,
prefetch and TTL policies live beside stores, not as new methods on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import BlockHash


@dataclass(frozen=True, slots=True)
class StoreStats:
    name: str
    num_entries: int
    bytes_used: int
    capacity_bytes: int
    hits: int = 0
    misses: int = 0
    puts: int = 0
    rejected: int = 0
    evictions: int = 0
    expired: int = 0
    corrupt_dropped: int = 0
    errors: int = 0  # calls that failed on an I/O or index error and degraded (a miss, a dropped write)
    write_failures: int = 0  # blocks not stored because their write failed (disk full, read-only, I/O)


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    name: str
    num_checked: int
    problems: tuple[str, ...] = ()
    num_fixed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class Counters:
    """Mutable hit/miss/eviction counters a store keeps; `StoreStats` is their snapshot."""

    hits: int = 0
    misses: int = 0
    puts: int = 0
    rejected: int = 0
    evictions: int = 0
    expired: int = 0
    corrupt_dropped: int = 0
    errors: int = 0
    write_failures: int = 0

    def snapshot(self, name: str, num_entries: int, bytes_used: int, capacity_bytes: int) -> StoreStats:
        return StoreStats(
            name=name,
            num_entries=num_entries,
            bytes_used=bytes_used,
            capacity_bytes=capacity_bytes,
            hits=self.hits,
            misses=self.misses,
            puts=self.puts,
            rejected=self.rejected,
            evictions=self.evictions,
            expired=self.expired,
            corrupt_dropped=self.corrupt_dropped,
            errors=self.errors,
            write_failures=self.write_failures,
        )


@runtime_checkable
class Store(Protocol):
    """A place blocks live. Implementations are safe to call from several threads."""

    name: str

    def get(self, key: BlockHash) -> KVBlock | None:
        """The block stored under `key`, or None if there is none (absent, expired or failed verification).

        A returned block is fully verified (checksum where the tier has one) and safe to use. An entry that
        fails verification is deleted and counted in `corrupt_dropped`; the caller recomputes.
        """
        ...

    def put(self, block: KVBlock) -> bool:
        """Store `block` under `block.key`, evicting as the tier's policy says. False if it was not stored
        (larger than the tier's capacity, or the tier is closed). Never exceeds the capacity."""
        ...

    def contains(self, key: BlockHash) -> bool:
        """Whether `get(key)` would probably find a block (cheap; no payload is read)."""
        ...

    def delete(self, key: BlockHash) -> bool:
        """Remove `key`; True if something was removed."""
        ...

    def keys(self) -> Iterator[BlockHash]:
        """Every key currently stored (a snapshot; order unspecified)."""
        ...

    def stats(self) -> StoreStats: ...

    def check_integrity(self, deep: bool = False) -> IntegrityReport:
        """Check internal invariants (index vs. contents, byte accounting, capacity). `deep` also verifies
        every payload's checksum. Never modifies valid entries; drops invalid ones and reports them."""
        ...

    def close(self) -> None:
        """Release resources; later calls may fail. Idempotent."""
        ...


@runtime_checkable
class BatchStore(Store, Protocol):
    """A store with a round trip per call worth saving (a remote one): the same answers as `get` and
    `contains` for many keys at once, in order."""

    def get_many(self, keys: Sequence[BlockHash]) -> list[KVBlock | None]: ...

    def contains_many(self, keys: Sequence[BlockHash]) -> list[bool]: ...
