"""ChunkStore: chunk KV by content, separate per namespace and model fingerprint, verified on load."""

from __future__ import annotations

import torch

from loopcache.blend.chunk_store import ChunkStore
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore

SHAPE = (2, 2, 1, 0, 4)  # layers, K/V, kv_heads, tokens, head_dim
PER_TOKEN = 2 * 2 * 1 * 4 * 4  # bytes per token in float32


def _store(fingerprint: str = "fp-a", memory: MemoryStore | None = None) -> ChunkStore:
    return ChunkStore(TieredStore([memory or MemoryStore()]), fingerprint, "float32", torch.float32, PER_TOKEN, 4)


def _kv(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(2, 2, 1, n, 4, generator=torch.Generator().manual_seed(seed))


def test_round_trip_in_pieces() -> None:
    store, ids, kv = _store(), list(range(100, 110)), _kv(10)
    assert store.load("ns", ids) is None
    assert store.put("ns", ids, kv) == 3  # 4 + 4 + 2 tokens
    assert store.put("ns", ids, kv) == 0  # already there
    got = store.load("ns", ids)
    assert got is not None and got.tier == "memory"
    torch.testing.assert_close(got.kv, kv)
    assert store.load("ns", ids[:-1]) is None and store.load("ns", [*ids[:-1], 999]) is None
    store.check_integrity()


def test_namespaces_and_fingerprints_never_share_chunks() -> None:
    memory = MemoryStore()
    a, b = _store("fp-a", memory), _store("fp-b", memory)
    ids = list(range(8))
    a.put("tenant-1", ids, _kv(8))
    assert a.contains("tenant-1", ids)
    assert not a.contains("tenant-2", ids) and a.load("tenant-2", ids) is None
    assert not b.contains("tenant-1", ids) and b.load("tenant-1", ids) is None
    assert a.keys("tenant-1", ids) != a.keys("tenant-2", ids) != b.keys("tenant-1", ids)


def test_a_wrong_or_missing_piece_is_a_miss_and_a_bad_one_is_deleted() -> None:
    memory = MemoryStore()
    store, ids = _store(memory=memory), list(range(12))
    store.put("ns", ids, _kv(12))
    root, pieces = store.keys("ns", ids)
    memory.delete(pieces[2])
    assert not store.contains("ns", ids) and store.load("ns", ids) is None
    store.put("ns", ids, _kv(12))
    block = memory.get(pieces[1])
    assert block is not None
    forged = type(block)(block.key, block.parent, block.namespace, block.fingerprint, (0, 0, 0, 0), block.dtype,
                         block.shape, block.payload)
    memory.delete(pieces[1])
    memory.put(forged)  # a block under the right key with other tokens (a collision or a corrupted entry)
    assert store.load("ns", ids) is None
    assert store.counters.rejected == 1 and not memory.contains(pieces[1])
    store.check_integrity()
