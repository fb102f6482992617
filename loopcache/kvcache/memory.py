"""MemoryStore: the fastest tier, a map bounded in bytes (least recently used evicted first, or in the order
an `EvictionPolicy` gives). It doubles as the fake store in tests."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.eviction import EvictionPolicy, choose_victims
from loopcache.kvcache.store import Counters, IntegrityReport, StoreStats

DEFAULT_MEMORY_BYTES = 2 * 2**30


class MemoryStore:
    """Blocks held as objects (no copy, no serialisation), least recently used evicted first.

    Invariant: `bytes_used` equals the sum of the payload sizes held and never exceeds `capacity_bytes`.
    """

    def __init__(self, capacity_bytes: int = DEFAULT_MEMORY_BYTES, name: str = "memory",
                 policy: EvictionPolicy | None = None) -> None:
        if capacity_bytes <= 0:
            raise ValueError("capacity_bytes must be positive")
        self.name = name
        self.capacity_bytes = capacity_bytes
        self.policy = policy
        self._blocks: OrderedDict[BlockHash, KVBlock] = OrderedDict()
        self._bytes_used = 0
        self._counters = Counters()
        self._lock = threading.Lock()

    def get(self, key: BlockHash) -> KVBlock | None:
        with self._lock:
            block = self._blocks.get(key)
            if block is None:
                self._counters.misses += 1
                return None
            self._blocks.move_to_end(key)
            self._counters.hits += 1
            return block

    def put(self, block: KVBlock) -> bool:
        with self._lock:
            if block.nbytes > self.capacity_bytes:
                self._counters.rejected += 1
                return False
            old = self._blocks.get(block.key)
            excess = self._bytes_used - (old.nbytes if old is not None else 0) + block.nbytes - self.capacity_bytes
            others = ((k, k, b.nbytes) for k, b in self._blocks.items() if k != block.key)
            victims = choose_victims(others, excess, self.policy)
            if victims is None:  # the rest is protected (pinned)
                self._counters.rejected += 1
                return False
            for key in victims:
                self._bytes_used -= self._blocks.pop(key).nbytes
                self._counters.evictions += 1
            if old is not None:
                self._bytes_used -= self._blocks.pop(block.key).nbytes
            self._blocks[block.key] = block
            self._bytes_used += block.nbytes
            self._counters.puts += 1
            return True

    def contains(self, key: BlockHash) -> bool:
        with self._lock:
            return key in self._blocks

    def delete(self, key: BlockHash) -> bool:
        with self._lock:
            block = self._blocks.pop(key, None)
            if block is None:
                return False
            self._bytes_used -= block.nbytes
            return True

    def keys(self) -> Iterator[BlockHash]:
        with self._lock:
            return iter(list(self._blocks))

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()
            self._bytes_used = 0

    def stats(self) -> StoreStats:
        with self._lock:
            return self._counters.snapshot(self.name, len(self._blocks), self._bytes_used, self.capacity_bytes)

    def check_integrity(self, deep: bool = False) -> IntegrityReport:
        with self._lock:
            problems = []
            actual = sum(b.nbytes for b in self._blocks.values())
            if actual != self._bytes_used:
                problems.append(f"byte count {self._bytes_used} != sum of payloads {actual}")
            if self._bytes_used > self.capacity_bytes:
                problems.append(f"{self._bytes_used} bytes exceed capacity {self.capacity_bytes}")
            problems += [f"{k} stored under another key" for k, b in self._blocks.items() if b.key != k]
            return IntegrityReport(self.name, len(self._blocks), tuple(problems))

    def close(self) -> None:
        self.clear()
