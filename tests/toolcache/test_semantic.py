"""The numpy semantic index: nearest neighbours by cosine, grouping, removal, catch-up from a store."""

from __future__ import annotations

import numpy as np

from loopcache.toolcache.key import make_key
from loopcache.toolcache.semantic import SemanticIndex
from loopcache.toolcache.store import Entry, MemoryStore

GROUP = ("search", "fp", "session:a")


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def key(i: int):
    return make_key("search", "fp", "session:a", {"i": i})


def test_nearest_orders_by_similarity_and_applies_threshold() -> None:
    index = SemanticIndex(dim=3)
    index.add(GROUP, key(1), unit(1, 0, 0))
    index.add(GROUP, key(2), unit(1, 1, 0))
    index.add(GROUP, key(3), unit(0, 0, 1))
    assert index.check_integrity().ok and index.check_integrity().entries == 3
    found = index.nearest(GROUP, unit(1, 0.1, 0), k=5, threshold=0.5)
    assert [n.key for n in found] == [key(1), key(2)]
    assert found[0].similarity > found[1].similarity >= 0.5
    assert [n.key for n in index.nearest(GROUP, unit(1, 0.1, 0), k=1, threshold=0.0)] == [key(1)]
    assert index.nearest(GROUP, unit(1, 0.1, 0), k=5, threshold=0.9999) == []


def test_groups_are_separate_and_removal_is_respected() -> None:
    index = SemanticIndex(dim=3)
    index.add(GROUP, key(1), unit(1, 0, 0))
    index.add(("search", "fp", "session:b"), key(2), unit(1, 0, 0))
    assert [n.key for n in index.nearest(GROUP, unit(1, 0, 0), 5, 0.0)] == [key(1)]
    index.remove([key(1)])
    assert index.nearest(GROUP, unit(1, 0, 0), 5, 0.0) == []
    assert len(index) == 1


def test_growth_past_initial_capacity_and_k_with_holes() -> None:
    index = SemanticIndex(dim=2)
    rng = np.random.default_rng(0)
    for i in range(100):
        index.add(GROUP, key(i), unit(*rng.normal(size=2)))
    index.remove([key(i) for i in range(0, 100, 2)])
    found = index.nearest(GROUP, unit(1, 0), k=10, threshold=-1.0)
    assert len(found) == 10 and all(int(n.key.hex, 16) for n in found)
    assert index.check_integrity().ok
    assert [n.similarity for n in found] == sorted((n.similarity for n in found), reverse=True)


def test_catch_up_reads_new_vectors_from_the_store() -> None:
    store = MemoryStore()
    index = SemanticIndex(dim=2)
    for i in range(3):
        store.put(Entry(key(i), "search", "fp", "session:a", {"i": i}, i, False, 0.0, None, 0.0,
                        unit(1, i).tobytes()))
    assert index.catch_up(store) == 3
    assert index.catch_up(store) == 0
    store.put(Entry(key(9), "search", "fp", "session:a", {"i": 9}, 9, False, 0.0, None, 0.0, unit(0, 1).tobytes()))
    assert index.catch_up(store) == 1 and len(index) == 4
