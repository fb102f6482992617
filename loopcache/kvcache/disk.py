"""DiskStore: the embedded durable tier. Block files in one directory, indexed by SQLite, shared by processes.

    root/index.sqlite3            the index (disk_index.py); opened, and rebuilt only if damaged, by
    root/index.lock               index_rebuild.py under this lock (index_lock.py)
    root/blocks/ab/ab12...ef.kv   one encoded block per file; root/tmp/ blocks being written (block_files.py)

    entries       RESERVED -> READY -> DYING -> gone, index and files kept in step (entry_table.py)

Invariants (entry_table.py): the bytes of all rows never exceed capacity_bytes, and files never outgrow
the rows, at any instant, across threads and processes; only READY rows are served and their files are
complete; a crash (kill -9) leaves only benign leftovers (RESERVED or DYING rows, temp files), never served,
finished by gc(). Busy is not broken: a locked index is waited for, never repaired (index_rebuild.py).

Faults: a data call (get, put, contains, delete, keys, stats) never raises for an I/O or index error; it
degrades (a miss, a dropped write), counts the error (stats().errors, .write_failures) and logs it once
(tier_health.py). A full disk drops the write and evicts least recently used blocks so that later writes fit.
A deleted or replaced directory detaches the store: it answers nothing (every call counted) until reopened.
A block file that cannot be read for a transient reason (EIO, EACCES) is kept; a missing or corrupt one is
dropped.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from loopcache.kvcache.block import CorruptBlockError, KVBlock, encode_prefix
from loopcache.kvcache.block_files import BlockFiles
from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.disk_errors import (
    DirectoryUnusableError, DiskStoreError, IndexBusyError, StoreClosedError, is_disk_full,
)
from loopcache.kvcache.entry_table import EntryTable, PutResult
from loopcache.kvcache.eviction import EvictionPolicy
from loopcache.kvcache.index_lock import IndexLock
from loopcache.kvcache.index_rebuild import EntryDefaults, RebuildResult, open_index
from loopcache.kvcache.store import Counters, IntegrityReport, StoreStats
from loopcache.kvcache.tier_health import TierHealth

__all__ = ["STALE_AFTER_S", "DiskStore", "StoreClosedError"]

log = logging.getLogger(__name__)
T = TypeVar("T")

STALE_AFTER_S = 600.0  # a reservation or temp file this old belongs to a crashed (or hopelessly stuck) writer
DEFAULT_BUSY_TIMEOUT_S = 60.0
_TOUCH_WAIT_S = 2.0  # a hit's LRU update waits this long for the write lock, then is skipped (still a hit)
_FULL_DISK_SHARE = 32  # a full disk evicts max(2 x the block, 1/32 of the stored bytes)
_FAULTS = (sqlite3.Error, OSError, DiskStoreError)


class DiskStore:
    """Durable, capacity-bounded, TTL-bounded block store; several threads and processes may share a `root`.

    After `close()`, data calls degrade (get -> None, put/contains/delete -> False, keys -> empty) so a
    write-behind thread racing shutdown never crashes; maintenance calls raise `StoreClosedError`.
    `clock` is wall-clock epoch seconds; it dates entries and also ages temp files (by mtime) in gc().
    The expiry is set (and refreshed) by put; a get refreshes only last_access, the LRU order.
    Counters in stats() are this instance's; entry counts and bytes are the directory's.
    Opening waits (up to `busy_timeout_s`) for a rebuild in another process; it raises IndexBusyError,
    NewerIndexError or DirectoryUnusableError (all DiskStoreError, naming the directory) when it cannot open;
    `rebuilt` says whether this open rebuilt a damaged index.
    """

    def __init__(
        self,
        root: Path,
        capacity_bytes: int = 20 * 2**30,
        ttl_s: float = 7 * 86400,
        name: str = "disk",
        clock: Callable[[], float] = time.time,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        policy: EvictionPolicy | None = None,
    ) -> None:
        if isinstance(capacity_bytes, bool) or not isinstance(capacity_bytes, int) or capacity_bytes <= 0:
            raise ValueError(f"capacity_bytes must be a positive int, got {capacity_bytes!r}")
        if not ttl_s > 0:  # also rejects NaN
            raise ValueError(f"ttl_s must be > 0 seconds, got {ttl_s!r}")
        if not busy_timeout_s > 0:
            raise ValueError(f"busy_timeout_s must be > 0 seconds, got {busy_timeout_s!r}")
        self.name = name
        self.root = Path(root)
        self.capacity_bytes = capacity_bytes
        self.ttl_s = float(ttl_s)
        self._clock = clock
        self._counters = Counters()
        self._counters_lock = threading.Lock()
        self._health = TierHealth(f"{name} tier at {self.root}")
        self._files = BlockFiles(self.root)
        self._dir_lock = IndexLock(self.root)
        self._detached = False
        self._last_counts = (0, 0)  # (ready entries, bytes): what stats() says while the index is unreachable
        try:
            self._files.ensure_dirs()
            self._files.keep_reserve()
        except OSError as exc:
            raise DirectoryUnusableError(self.root, f"cannot create the cache directory: {exc}") from exc
        try:
            defaults = EntryDefaults(clock(), self.ttl_s, capacity_bytes)
            self._index, self.rebuilt = open_index(self._files, self._dir_lock, busy_timeout_s, defaults)
        except BaseException:
            self._dir_lock.release()
            raise
        self._identity = self._files.identity()
        self._entries = EntryTable(self._index, self._files, capacity_bytes,
                                   lambda what, exc: self._failed(what, exc, write=True), policy)
        try:
            if self._entries.used() > capacity_bytes:
                self._make_room(0)  # reopened with a smaller capacity: shrink now, the limit is hard
        except BaseException:
            self.close()
            raise

    # ---- Store protocol ---------------------------------------------------------------------------------

    def get(self, key: BlockHash) -> KVBlock | None:
        """The verified block under `key`, or None. Expired, missing, corrupt or mismatched entries are
        removed (row and file) and counted (`expired`, `corrupt_dropped`); a hit refreshes last_access."""
        block = self._guarded("get", None, lambda: self._get(key))
        with self._counters_lock:
            self._counters.hits += block is not None
            self._counters.misses += block is None
        return block

    def put(self, block: KVBlock) -> bool:
        """Store `block` durably, evicting least recently used entries. True once it is readable, or if the
        key is already stored or being written (its last_access and expiry are refreshed, nothing rewritten).
        False (counted in `rejected`) if larger than the capacity or the room is held by in-flight writes;
        False on an I/O error (counted in `write_failures`), while the key is being removed, or when closed."""
        return self._guarded("put", False, lambda: self._put(block), write=True)

    def contains(self, key: BlockHash) -> bool:
        """Whether a ready, unexpired entry exists (index only; the file is not read)."""
        sql = "SELECT 1 FROM entries WHERE key = ? AND state = 1 AND expires_at > ?"
        return self._guarded("contains", False, lambda: bool(self._index.rows(sql, (key.hex, self._clock()))))

    def delete(self, key: BlockHash) -> bool:
        """Remove `key` (also an in-flight write, whose put then returns False). True if this call removed it."""
        sql = "SELECT id, path FROM entries WHERE key = ?"
        return self._guarded("delete", False, lambda: self._entries.remove(self._index.rows(sql, (key.hex,))) > 0)

    def set_expiry(self, keys: Iterable[BlockHash], expires_at: float) -> int:
        """Give stored `keys` a new expiry time (a session's retention policy). Returns how many changed."""
        hexes = [(expires_at, k.hex) for k in keys]
        return self._guarded("set expiry", 0, lambda: self._entries.set_expiry(hexes))

    def keys(self) -> Iterator[BlockHash]:
        """A snapshot of the ready, unexpired keys."""
        sql = "SELECT key FROM entries WHERE state = 1 AND expires_at > ?"
        rows = self._guarded("keys", [], lambda: self._index.rows(sql, (self._clock(),)))
        return iter([BlockHash.from_hex(k) for (k,) in rows])

    def stats(self) -> StoreStats:
        """num_entries counts ready entries; bytes_used counts every row, in-flight writes included. While
        the index cannot be read, the last figures read (the error is counted). Raises StoreClosedError."""
        if not self._detached:
            self._index.require_open()
            try:
                (num_entries,) = self._index.rows("SELECT COUNT(*) FROM entries WHERE state = 1")[0]
                self._last_counts = (num_entries, self._entries.used())
            except StoreClosedError:
                raise
            except _FAULTS as exc:
                self._failed("stats", exc)
        with self._counters_lock:
            stats = self._counters.snapshot(self.name, *self._last_counts, self.capacity_bytes)
        return replace(stats, errors=self._health.errors)

    def check_integrity(self, deep: bool = False) -> IntegrityReport:
        """Every ready entry's file exists at its key's path with the recorded size (deep: it also decodes,
        checksum verified, to the same key); the byte count equals the sum of rows and is within capacity.
        Bad entries are removed and reported. Crash leftovers (reserved or dying rows, temp files, orphan
        files) are benign, never problems even when deep: gc() removes them. So are expired entries."""
        self._require_attached()
        num_checked, problems, num_fixed = self._entries.check(deep)
        return IntegrityReport(self.name, num_checked, problems, num_fixed)

    def close(self) -> None:
        """Close the index and drop the directory lock. Idempotent. Puts in flight in other threads then
        return False."""
        self._index.close()
        self._dir_lock.release()

    def __enter__(self) -> DiskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- maintenance --------------------------------------------------------------------------------------

    def gc(self) -> int:
        """Remove temp files and reservations older than STALE_AFTER_S (crashed writers), expired entries,
        dying entries a crashed process left, and orphan block files (no row for their key: only after a
        power loss or outside meddling). Returns how many things were removed."""
        self._require_attached()
        removed, num_expired = self._entries.collect(self._clock(), STALE_AFTER_S)
        with self._counters_lock:
            self._counters.expired += num_expired
        return removed

    def clear(self) -> None:
        """Remove every entry, block file and temp file (puts in flight then return False)."""
        self._require_attached()
        self._entries.clear()

    # ---- internals ----------------------------------------------------------------------------------------

    def _guarded(self, what: str, fallback: T, call: Callable[[], T], write: bool = False) -> T:
        """Run a data call; an I/O or index error degrades to `fallback` and is counted and logged."""
        if self._detached:
            self._health.failed(what, DiskStoreError(self.root, "directory deleted or replaced"), write=write)
            return fallback
        try:
            result = call()
        except StoreClosedError:
            return fallback
        except _FAULTS as exc:
            self._failed(what, exc, write=write)
            if write:  # a put: its block was not stored
                with self._counters_lock:
                    self._counters.write_failures += 1
                if is_disk_full(exc) and not self._detached:  # the index could not grow
                    self._free_space(0)
            return fallback
        if not write or result:
            self._health.succeeded(write)
        return result

    def _failed(self, what: str, exc: BaseException, write: bool = False) -> None:
        self._health.failed(what, exc, write=write)
        if not self._detached and self._identity is not None and self._files.identity() != self._identity:
            self._detached = True
            log.error("%s: the cache directory was deleted or replaced while in use; the %s tier is off in this "
                      "process until it reopens the directory (restart)", self.root, self.name)
            self._index.close()  # frees the deleted files' space; a replacement directory is left alone
            self._dir_lock.release()

    def _require_attached(self) -> None:
        if self._detached:
            raise DiskStoreError(self.root, "the directory was deleted or replaced while open; reopen it")

    def _get(self, key: BlockHash) -> KVBlock | None:
        now = self._clock()
        sql = "SELECT id, path, expires_at FROM entries WHERE key = ? AND state = 1"
        rows = self._index.rows(sql, (key.hex,))
        if not rows:
            return None
        row_id, rel, expires_at = rows[0]
        if expires_at <= now:
            num_expired = self._entries.remove([(row_id, rel)])
            with self._counters_lock:
                self._counters.expired += num_expired
            return None
        try:
            block = self._files.read(rel, key)
        except (FileNotFoundError, CorruptBlockError) as exc:
            if isinstance(exc, FileNotFoundError) and self._files.identity() != self._identity:
                raise  # the whole directory is gone, not this entry
            num_dropped = self._entries.remove([(row_id, rel)])  # 0 if it was removed meanwhile (then not corrupt)
            with self._counters_lock:
                self._counters.corrupt_dropped += num_dropped
            return None
        try:
            with self._index.txn(wait_s=_TOUCH_WAIT_S) as db:
                db.execute("UPDATE entries SET last_access = ? WHERE id = ?", (now, row_id))
        except IndexBusyError:
            pass  # the LRU order is a hint: a hit stays a hit
        except StoreClosedError:
            raise
        except _FAULTS as exc:  # e.g. a read-only index: still a hit
            self._failed("LRU update", exc, write=True)
        return block

    def _put(self, block: KVBlock) -> bool:
        prefix = encode_prefix(block)
        nbytes = len(prefix) + block.nbytes
        if nbytes > self.capacity_bytes:
            result = PutResult(False, no_room=True)
        else:
            result = self._entries.put(block.key.hex, prefix, block.payload, block.namespace,
                                       self._clock() + self.ttl_s, self._clock)
        with self._counters_lock:
            self._counters.evictions += result.evicted
            self._counters.rejected += result.no_room
            self._counters.puts += result.stored
            self._counters.write_failures += result.error is not None
        if result.error is not None:
            self._failed("block write", result.error, write=True)
            if is_disk_full(result.error) and not self._detached:
                self._free_space(nbytes)
        return result.stored

    def _make_room(self, nbytes: int) -> bool:
        """Evict least recently used ready entries until `nbytes` more fit. False (nothing evicted) if ready
        entries cannot free enough: the rest is held by in-flight writes and removals."""
        evicted = self._entries.evict(lambda used: used + nbytes - self.capacity_bytes, all_or_nothing=True)
        self._count_evictions(evicted or 0)
        return evicted is not None

    def _free_space(self, nbytes: int) -> None:
        """The disk is full: evict least recently used entries so that later writes find room."""
        try:
            share = lambda used: max(2 * nbytes, used // _FULL_DISK_SHARE)  # noqa: E731
            self._count_evictions(self._entries.evict(share, all_or_nothing=False) or 0)
        except _FAULTS as exc:
            self._failed("eviction for space", exc, write=True)

    def _count_evictions(self, n: int) -> None:
        with self._counters_lock:
            self._counters.evictions += n
