import threading
from pathlib import Path

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore
from tests.kvcache.blocks import block_for


def test_write_through_memory_write_behind_disk_and_promotion(tmp_path: Path) -> None:
    memory, disk = MemoryStore(), DiskStore(tmp_path)
    store = TieredStore([memory, disk])
    block = block_for(1)
    assert store.put(block)
    assert memory.contains(block.key)  # synchronous
    store.drain()
    assert disk.contains(block.key)  # after the background write
    memory.clear()
    hit = store.find(block.key)
    assert hit is not None and hit.tier == "disk"
    assert memory.contains(block.key)  # promoted
    hit = store.find(block.key)
    assert hit is not None and hit.tier == "memory"
    assert store.check_integrity(deep=True).ok
    store.close()


class _SlowStore(MemoryStore):
    """A tier whose put blocks until released: the caller must never wait for it."""

    def __init__(self) -> None:
        super().__init__(name="slow")
        self.entered = threading.Event()
        self.release = threading.Event()

    def put(self, block: KVBlock) -> bool:
        self.entered.set()
        self.release.wait(120)  # a caller that waited here would see the writes land before it returned
        return super().put(block)


def test_slow_tier_never_blocks_and_a_full_queue_drops_writes() -> None:
    slow = _SlowStore()
    store = TieredStore([MemoryStore(), slow], max_write_queue=2)
    for i in range(10):
        assert store.put(block_for(i))  # stored in memory at once
    assert slow.stats().num_entries == 0  # every put returned while the slow tier's write was still blocked
    assert slow.entered.wait(60)  # the background writer is inside the slow put
    dropped = store.writer_stats()["slow"].dropped
    assert dropped >= 7  # one in the worker's hands, two queued, the rest dropped
    assert store.writer_stats()["slow"].queued == 10 - dropped  # pending counts the write in the worker's hands
    slow.release.set()
    store.drain()
    assert slow.stats().num_entries == 10 - dropped and store.writer_stats()["slow"].queued == 0
    store.close()


def test_close_drains_pending_writes(tmp_path: Path) -> None:
    store = TieredStore([MemoryStore(), DiskStore(tmp_path)])
    for i in range(20):
        store.put(block_for(i))
    store.close()
    with DiskStore(tmp_path) as disk:
        assert disk.stats().num_entries == 20
        assert disk.check_integrity(deep=True).ok
