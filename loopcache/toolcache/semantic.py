"""The semantic index: unit embeddings of stored calls, grouped by (tool, schema fingerprint, scope).

    group ("web_search", "3f9c...", "session:abc")  ->  matrix [n, 384] float32 + row -> key
    nearest(query)  =  top-k rows by dot product (cosine), keeping those >= threshold

A brute-force numpy dot product: at 10k stored calls of one tool a search is well under a millisecond
next to ~10 ms to embed the query (see bench/toolcache_eval.py), so no ANN library is needed.
The index is a view of the store: `catch_up()` pulls embeddings other processes put since the last call;
rows whose entries were deleted are dropped lazily (the cache re-reads every candidate from the store).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from loopcache.toolcache.key import ToolKey
from loopcache.toolcache.store import IntegrityReport, Store

GroupId = tuple[str, str, str]  # (tool, schema fingerprint, scope)


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A stored call near the query: its key and cosine similarity (1.0 = same direction)."""

    key: ToolKey
    similarity: float


class _Group:
    def __init__(self, dim: int) -> None:
        self.matrix = np.zeros((16, dim), dtype=np.float32)
        self.keys: list[ToolKey | None] = []
        self.rows: dict[ToolKey, int] = {}

    def add(self, key: ToolKey, vector: np.ndarray) -> None:
        row = self.rows.get(key)
        if row is None:
            row = len(self.keys)
            if row == len(self.matrix):
                self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
            self.keys.append(key)
            self.rows[key] = row
        self.matrix[row] = vector

    def remove(self, key: ToolKey) -> None:
        row = self.rows.pop(key, None)
        if row is not None:
            self.keys[row] = None
            self.matrix[row] = 0.0


class SemanticIndex:
    """In-memory nearest-neighbour index over the store's embeddings. Thread-safe."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._groups: dict[GroupId, _Group] = {}
        self._seq = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(group.rows) for group in self._groups.values())

    def catch_up(self, store: Store) -> int:
        """Add embeddings put into `store` since the last catch-up; returns how many."""
        with self._lock:
            vectors = store.vectors_since(self._seq)
            for stored in vectors:
                vector = np.frombuffer(stored.vector, dtype=np.float32)
                if vector.shape == (self.dim,):
                    self._group((stored.tool, stored.fingerprint, stored.scope)).add(stored.key, vector)
                self._seq = max(self._seq, stored.seq)
            return len(vectors)

    def add(self, group: GroupId, key: ToolKey, vector: np.ndarray) -> None:
        with self._lock:
            self._group(group).add(key, np.asarray(vector, dtype=np.float32).reshape(self.dim))

    def remove(self, keys: list[ToolKey]) -> None:
        with self._lock:
            for group in self._groups.values():
                for key in keys:
                    group.remove(key)

    def nearest(self, group: GroupId, vector: np.ndarray, k: int, threshold: float) -> list[Neighbour]:
        """Up to `k` stored calls of `group` with cosine similarity >= `threshold`, most similar first."""
        with self._lock:
            found = self._groups.get(group)
            if found is None or not found.rows:
                return []
            count = len(found.keys)
            scores = found.matrix[:count] @ np.asarray(vector, dtype=np.float32).reshape(self.dim)
            wanted = min(count, k + (count - len(found.rows)))  # room for removed rows (zero vectors)
            top = np.argpartition(-scores, wanted - 1)[:wanted] if wanted < count else np.arange(count)
            top = top[np.argsort(-scores[top], kind="stable")]
            result = []
            for row in top:
                key = found.keys[row]
                if key is not None and scores[row] >= threshold:
                    result.append(Neighbour(key, float(scores[row])))
            return result[:k]

    def check_integrity(self) -> IntegrityReport:
        """Row bookkeeping consistent, every live row a unit vector."""
        problems = []
        with self._lock:
            for group_id, group in self._groups.items():
                for key, row in group.rows.items():
                    if group.keys[row] != key:
                        problems.append(f"{group_id}: row {row} does not hold {key.hex[:12]}")
                    elif abs(float(np.linalg.norm(group.matrix[row])) - 1.0) > 1e-3:
                        problems.append(f"{group_id}: {key.hex[:12]} is not a unit vector")
            count = sum(len(group.rows) for group in self._groups.values())
        return IntegrityReport(count, tuple(problems))

    def _group(self, group: GroupId) -> _Group:
        if group not in self._groups:
            self._groups[group] = _Group(self.dim)
        return self._groups[group]
