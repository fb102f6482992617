"""BlockPool: sequences get consecutive blocks where possible (KV as a view), scattered ones are gathered,
ownership is checked, and blocks round-trip in the store's layout."""

from __future__ import annotations

import pytest
import torch

from loopcache.engine.block_pool import BlockPool


def _pool(num_blocks: int = 8, block_size: int = 4) -> BlockPool:
    per_block = 2 * 2 * 1 * 2 * block_size * 4  # layers 2, K+V, 1 head, dim 2, float32
    return BlockPool(2, 1, 2, block_size, num_blocks * per_block, torch.float32, "cpu")


def test_allocation_prefers_consecutive_blocks_and_growth_in_place() -> None:
    pool = _pool()
    a = pool.allocate(2)
    b = pool.allocate(3)
    assert a == [0, 1] and b == [2, 3, 4]
    pool.free(a)
    c = pool.allocate(1)  # the largest free run starts after b: room for c and b to grow apart
    assert c == [5]
    assert pool.allocate(1, after=c[-1]) == [6]
    assert pool.allocate(4) is None and pool.num_free == 3
    assert pool.allocate(3) == [0, 1, 7]  # fragmented: the lowest free blocks
    pool.free([0, 1, 7])
    pool.check_integrity([b, c + [6]])
    with pytest.raises(AssertionError):
        pool.check_integrity([b])
    with pytest.raises(ValueError):
        pool.free([0])


def test_kv_index_is_a_view_for_consecutive_blocks_and_a_gather_otherwise() -> None:
    pool = _pool()
    assert pool.kv_index([2, 3, 4], 9) == slice(8, 20)  # padded to the end of the block holding token 9
    scattered = pool.kv_index([5, 1], 6)
    assert isinstance(scattered, torch.Tensor) and scattered.tolist() == [20, 21, 22, 23, 4, 5, 6, 7]
    assert pool.slots([5, 1], 3, 6).tolist() == [23, 4, 5]


def test_new_blocks_hold_zeros_where_nothing_was_written() -> None:
    pool = _pool()
    pool.kv.fill_(float("nan"))  # what uninitialised memory may hold
    (block,) = pool.allocate(1)
    assert torch.equal(pool.read(block, 4), torch.zeros(2, 2, 1, 4, 2))  # attention may read padding slots


def test_write_and_read_round_trip_in_the_block_layout() -> None:
    pool = _pool()
    kv = torch.arange(2 * 2 * 1 * 3 * 2, dtype=torch.float32).view(2, 2, 1, 3, 2)
    pool.write(6, kv)
    assert torch.equal(pool.read(6, 3), kv)
    assert torch.equal(pool.kv[:, :, :, 24:27], kv)
    with pytest.raises(ValueError):
        pool.write(6, torch.zeros(2, 2, 1, 5, 2))  # 5 tokens > block size 4


def test_a_pool_too_small_for_one_block_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot hold one block"):
        BlockPool(2, 1, 2, 4, 10, torch.float32, "cpu")
