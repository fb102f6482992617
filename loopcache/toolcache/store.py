"""Where cached tool results live: the `Store` protocol, its `Entry`, and the in-memory store (tests, fakes).

A store is a dumb keyed table: it never canonicalises, embeds or decides policy. Results and arguments are
JSON values (never pickle). `SQLiteStore` (sqlite_store.py) is the persistent default.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from loopcache.toolcache.key import ToolKey, make_key


@dataclass(frozen=True, slots=True)
class Entry:
    """One cached call: who (tool, schema fingerprint, scope), what (canonical args), the result, and when.

    `embedding` is the float32 bytes of the call's unit-norm embedding, or None when the tool is exact-only.
    """

    key: ToolKey
    tool: str
    fingerprint: str
    scope: str
    args: dict[str, Any]
    result: Any
    is_error: bool
    created_at: float
    expires_at: float | None
    elapsed_s: float
    embedding: bytes | None = field(default=None, repr=False)

    def is_live(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class StoredVector:
    """An embedding as the semantic index sees it; `seq` grows with every put (a catch-up watermark)."""

    seq: int
    key: ToolKey
    tool: str
    fingerprint: str
    scope: str
    vector: bytes


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """Result of `check_integrity()`: `ok` with no problems, or the list of what is wrong."""

    entries: int
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class Store(Protocol):
    """A table of entries. Every call is safe from several threads; SQLite is also safe across processes."""

    def get(self, key: ToolKey, now: float) -> Entry | None:
        """The live entry under `key`; None when absent or expired. Mutates nothing."""

    def put(self, entry: Entry) -> None:
        """Insert or replace the entry under `entry.key` (atomically)."""

    def delete(self, keys: Iterable[ToolKey]) -> int:
        """Remove these entries; returns how many existed."""

    def entries(self, scope: str | None = None, tool: str | None = None) -> Iterator[Entry]:
        """All entries (live or not), optionally only of one scope and/or one tool. A snapshot."""

    def vectors_since(self, seq: int) -> list[StoredVector]:
        """Embeddings put after watermark `seq`, oldest first (entries may since have been deleted)."""

    def purge_expired(self, now: float) -> int:
        """Remove expired entries; returns how many."""

    def check_integrity(self) -> IntegrityReport:
        """Verify the table: keys recomputed from their contents, vectors well-formed."""

    def close(self) -> None:
        """Release resources; further calls are errors."""


def entry_problems(entry: Entry, dim: int | None = None) -> list[str]:
    """What is wrong with one entry (shared by the stores' check_integrity)."""
    problems = []
    if make_key(entry.tool, entry.fingerprint, entry.scope, entry.args) != entry.key:
        problems.append(f"{entry.key.hex[:12]}: key does not match its tool/scope/args")
    if entry.embedding is not None and (len(entry.embedding) % 4 or (dim and len(entry.embedding) != 4 * dim)):
        problems.append(f"{entry.key.hex[:12]}: embedding has {len(entry.embedding)} bytes")
    return problems


class MemoryStore:
    """The in-memory `Store`: a dict plus an insertion sequence. For tests and throwaway caches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[ToolKey, tuple[int, Entry]] = {}
        self._seq = 0

    def get(self, key: ToolKey, now: float) -> Entry | None:
        with self._lock:
            found = self._entries.get(key)
        return found[1] if found and found[1].is_live(now) else None

    def put(self, entry: Entry) -> None:
        with self._lock:
            self._seq += 1
            self._entries[entry.key] = (self._seq, entry)

    def delete(self, keys: Iterable[ToolKey]) -> int:
        with self._lock:
            return sum(self._entries.pop(key, None) is not None for key in keys)

    def entries(self, scope: str | None = None, tool: str | None = None) -> Iterator[Entry]:
        with self._lock:
            snapshot = [e for _, e in self._entries.values() if scope in (None, e.scope) and tool in (None, e.tool)]
        return iter(snapshot)

    def vectors_since(self, seq: int) -> list[StoredVector]:
        with self._lock:
            rows = sorted((item for item in self._entries.values() if item[0] > seq), key=lambda item: item[0])
        return [StoredVector(s, e.key, e.tool, e.fingerprint, e.scope, e.embedding) for s, e in rows
                if e.embedding is not None]

    def purge_expired(self, now: float) -> int:
        with self._lock:
            dead = [k for k, (_, e) in self._entries.items() if not e.is_live(now)]
            for key in dead:
                del self._entries[key]
        return len(dead)

    def check_integrity(self) -> IntegrityReport:
        with self._lock:
            entries = [e for _, e in self._entries.values()]
        problems = [p for e in entries for p in entry_problems(e)]
        return IntegrityReport(len(entries), tuple(problems))

    def close(self) -> None:
        with self._lock:
            self._entries.clear()
