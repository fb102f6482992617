import pytest

from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.store import Store
from tests.kvcache.blocks import block_for


def test_lru_eviction_keeps_the_byte_bound() -> None:
    store = MemoryStore(capacity_bytes=3 * 2048)
    assert isinstance(store, Store)
    for i in range(3):
        assert store.put(block_for(i))
    assert store.get(block_for(0).key) is not None  # 0 is now the most recently used
    assert store.put(block_for(3))
    assert not store.contains(block_for(1).key)  # the least recently used went
    assert all(store.contains(block_for(i).key) for i in (0, 2, 3))
    stats = store.stats()
    assert stats.bytes_used == 3 * 2048 <= stats.capacity_bytes
    assert stats.evictions == 1 and stats.hits == 1
    assert store.check_integrity().ok


def test_oversized_block_is_rejected_and_delete_frees_bytes() -> None:
    store = MemoryStore(capacity_bytes=1000)
    assert not store.put(block_for(0, nbytes=2048))
    assert store.stats().rejected == 1
    big = MemoryStore(capacity_bytes=10_000)
    big.put(block_for(0))
    assert big.delete(block_for(0).key) and not big.delete(block_for(0).key)
    assert big.stats().bytes_used == 0 and big.get(block_for(0).key) is None
    assert big.check_integrity().ok
    with pytest.raises(ValueError):
        MemoryStore(capacity_bytes=0)
