"""EntryTable: the entries of one cache directory, and the state machine that keeps index and files in step.

    entry state:  RESERVED --(file placed)--> READY --(marked for removal)--> DYING --(file gone)--> row deleted
                      \\______________________(delete, clear, crashed writer)__/

    reserve: [txn] room? insert RESERVED row, else mark least recently used READY rows DYING
             -> unlink their files -> [txn] delete those rows, room? insert RESERVED row (the room it freed)
    place:   [txn] still RESERVED? rename the written file in, READY
    remove:  [txn] state=DYING  ->  unlink file  ->  [txn] delete row
    full disk: a removal transaction that finds no room for its WAL pages gives up the reserve file
             (block_files.py) and runs again; the reserve is written back once the removal freed space

Invariants (across threads and processes): the bytes of all rows, whatever their state, never exceed the
capacity (checked in the reserving transaction); a row is deleted only after its file is gone, so files
never outgrow the rows; a file is placed only by its own RESERVED row, under SQLite's write lock; a READY
row's file is complete.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from loopcache.kvcache.block_files import BlockFiles
from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.disk_errors import is_disk_full
from loopcache.kvcache.disk_index import DYING, DiskIndex
from loopcache.kvcache.eviction import EvictionPolicy, choose_victims

T = TypeVar("T")
Row = tuple[int, str]  # (entry id, path relative to root)
_EVICTION_ROUNDS = 4  # other writers may fill the room again (in-flight writes); give up (reject) after this
ErrorSink = Callable[[str, OSError], None]


@dataclass(frozen=True, slots=True)
class Reservation:
    """The outcome of `reserve`: a new RESERVED row (`row_id`), an existing entry (refreshed; `is_live`
    False if it is being removed), or neither (no room: the rest is held by in-flight writes). `evicted`
    counts the entries removed to make room."""

    row_id: int | None = None
    existing: bool = False
    is_live: bool = False
    evicted: int = 0


@dataclass(frozen=True, slots=True)
class PutResult:
    """What `put` did. `stored`: placed now, or the key was already there (and not being removed);
    `no_room`: the room is held by in-flight writes; `error`: the write failed (disk full, read-only, I/O),
    and nothing of it is left behind; `evicted`: entries removed to make room."""

    stored: bool
    no_room: bool = False
    evicted: int = 0
    error: OSError | None = None


class EntryTable:
    """Entry rows of `index` and their files in `files`. `on_error` hears of files that could not be
    unlinked (their rows stay DYING, still counted, until gc finishes them)."""

    def __init__(self, index: DiskIndex, files: BlockFiles, capacity_bytes: int, on_error: ErrorSink,
                 policy: EvictionPolicy | None = None) -> None:
        self.index = index
        self.files = files
        self.capacity_bytes = capacity_bytes
        self.policy = policy
        self._on_error = on_error

    def used(self, db: sqlite3.Connection | None = None) -> int:
        """Bytes of all rows (kept by triggers)."""
        sql = "SELECT nbytes FROM usage"
        row = db.execute(sql).fetchone() if db is not None else self.index.rows(sql)[0]
        return int(row[0])

    def reserve(self, key: str, nbytes: int, namespace: str, now: float, expires_at: float) -> Reservation:
        """Insert a RESERVED row for `nbytes` more, evicting least recently used ready entries if needed; if
        the key exists, refresh its LRU time and expiry instead. The room an eviction frees goes to this
        reservation: the victims' rows are deleted in the transaction that inserts it, so a concurrent
        writer cannot take it meanwhile."""
        unlinked: list[Row] = []  # dying rows whose files this call removed
        evicted = 0
        for round_ in range(_EVICTION_ROUNDS + 1):
            with self.index.txn() as db:
                db.executemany("DELETE FROM entries WHERE id = ? AND state = 2", [(r[0],) for r in unlinked])
                existing = db.execute("SELECT id, state FROM entries WHERE key = ?", (key,)).fetchone()
                if existing is not None:  # stored, or being written by another thread or process: keep it
                    db.execute("UPDATE entries SET last_access = ?, expires_at = ? WHERE id = ? AND state != 2",
                               (now, expires_at, existing[0]))
                    return Reservation(existing=True, is_live=existing[1] != DYING, evicted=evicted)
                excess = self.used(db) + nbytes - self.capacity_bytes
                if excess <= 0:
                    row_id = db.execute(
                        "INSERT INTO entries (key, path, nbytes, namespace, created_at, last_access, expires_at,"
                        " state) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                        (key, self.files.relpath(key), nbytes, namespace, now, now, expires_at),
                    ).lastrowid
                    return Reservation(row_id=row_id, evicted=evicted)
                victims = self._lru(db, excess) if round_ < _EVICTION_ROUNDS else None
                if victims is None:
                    return Reservation(evicted=evicted)
                db.executemany("UPDATE entries SET state = 2 WHERE id = ?", [(v[0],) for v in victims])
            evicted += len(victims)
            unlinked = self._unlink(victims)
        raise AssertionError("unreachable")

    def _lru(self, db: sqlite3.Connection, excess: int) -> list[Row] | None:
        """Ready rows worth `excess` bytes, least recently used first (in the policy's classes, if any); None
        if the evictable rows are not enough."""
        lru = db.execute("SELECT id, path, nbytes, key FROM entries WHERE state = 1 ORDER BY last_access, id")
        try:
            rows = (((row_id, rel), BlockHash.from_hex(key), size) for row_id, rel, size, key in lru)
            return choose_victims(rows, excess, self.policy)
        finally:
            lru.close()

    def _unlink(self, dying: list[Row]) -> list[Row]:
        """Unlink the files of dying rows; the rows whose file is gone. A file that cannot be unlinked
        (read-only or failing disk) keeps its row dying, still counted, until gc finishes it."""
        gone = []
        for row in dying:
            try:
                self.files.unlink(row[1])
                gone.append(row)
            except OSError as exc:
                self._on_error("removing a block file", exc)
        return gone

    def put(self, key: str, prefix: bytes, payload: np.ndarray, namespace: str, expires_at: float,
            clock: Callable[[], float]) -> PutResult:
        """Reserve, write a temp file, place it: the whole put of one block. Any failure undoes itself."""
        now = clock()
        reservation = self.reserve(key, len(prefix) + payload.nbytes, namespace, now, expires_at)
        evicted = reservation.evicted
        if reservation.existing:
            return PutResult(reservation.is_live, evicted=evicted)
        if reservation.row_id is None:
            return PutResult(False, no_room=True, evicted=evicted)
        row_id, rel, tmp = reservation.row_id, self.files.relpath(key), None
        try:
            tmp = self.files.write_temp(key, prefix, payload)
            if self.place(row_id, tmp, rel, clock()):
                return PutResult(True, evicted=evicted)
            self._abandon(row_id, rel, tmp)  # removed meanwhile (delete, clear): not a failure
            return PutResult(False, evicted=evicted)
        except OSError as exc:  # disk full, read-only, I/O error, temp file removed by clear()
            self._abandon(row_id, rel, tmp)
            return PutResult(False, evicted=evicted, error=exc)
        except BaseException:
            self._abandon(row_id, rel, tmp)
            raise

    def _abandon(self, row_id: int, rel: str, tmp: Path | None) -> None:
        """Undo a failed put: its temp file, then its row and its final file if it got placed."""
        if tmp is not None:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass  # a read-only directory: gc removes it once it is writable again
        self.remove([(row_id, rel)])

    def place(self, row_id: int, tmp: Path, rel: str, now: float) -> bool:
        """Move a fully written temp file into place and mark its row ready, if it is still reserved.
        False if the row was removed meanwhile (delete, clear, gc of a writer stuck for minutes)."""
        with self.index.txn() as db:
            if db.execute("SELECT 1 FROM entries WHERE id = ? AND state = 0", (row_id,)).fetchone() is None:
                return False
            self.files.place(tmp, rel)
            db.execute("UPDATE entries SET state = 1, last_access = ? WHERE id = ?", (now, row_id))
        return True

    def remove(self, rows: list[Row]) -> int:
        """Remove entries: mark them dying, unlink their files, delete the rows. Returns how many this call
        marked (rows already gone or dying are someone else's)."""
        def mark() -> list[Row]:
            with self.index.txn() as db:
                sql = "UPDATE entries SET state = 2 WHERE id = ? AND state != 2"
                return [r for r in rows if db.execute(sql, (r[0],)).rowcount]

        marked = self._with_room(mark)
        self.finish(marked)
        return len(marked)

    def _with_room(self, txn: Callable[[], T]) -> T:
        """Run a removal transaction; on a disk too full for its WAL pages, give up the reserve and retry."""
        try:
            return txn()
        except sqlite3.Error as exc:
            if not is_disk_full(exc) or not self.files.release_reserve():
                raise
            return txn()

    def finish(self, dying: list[Row]) -> None:
        """Unlink the files of dying rows, then delete the rows. Safe outside the lock: a dying row holds its
        key, so no other row can place a file at that path meanwhile."""
        gone = self._unlink(dying)
        if gone:
            def delete() -> None:
                with self.index.txn() as db:
                    db.executemany("DELETE FROM entries WHERE id = ? AND state = 2", [(r[0],) for r in gone])

            self._with_room(delete)
            self.files.keep_reserve()

    def evict(self, excess_of: Callable[[int], int], all_or_nothing: bool) -> int | None:
        """Remove least recently used ready entries worth `excess_of(bytes used)`. Returns how many; None
        (nothing removed) when `all_or_nothing` and ready entries cannot free that much."""
        def mark() -> list[Row] | None:
            with self.index.txn() as db:
                excess = excess_of(self.used(db))
                if excess <= 0:
                    return []
                victims = self._lru(db, excess)
                if victims is None:
                    if all_or_nothing:
                        return None
                    victims = [(row_id, rel) for row_id, rel, key in db.execute("SELECT id, path, key FROM entries "
                               "WHERE state = 1") if self.policy is None or self.policy.rank(BlockHash.from_hex(key)) is not None]
                db.executemany("UPDATE entries SET state = 2 WHERE id = ?", [(v[0],) for v in victims])
                return victims

        victims = self._with_room(mark)
        if victims is None:
            return None
        self.finish(victims)
        return len(victims)

    def set_expiry(self, expiry_by_key: list[tuple[float, str]]) -> int:
        """Set `expires_at` of the listed (expires_at, key) entries that are not being removed."""
        with self.index.txn() as db:
            sql = "UPDATE entries SET expires_at = ? WHERE key = ? AND state != 2"
            return sum(db.execute(sql, pair).rowcount for pair in expiry_by_key)

    def remove_orphans(self) -> int:
        """Unlink block files whose key has no row (checked under the write lock: no writer can place one)."""
        paths = self.files.block_paths()
        removed = 0
        with self.index.txn() as db:
            for f in paths:
                if db.execute("SELECT 1 FROM entries WHERE key = ?", (f.stem,)).fetchone() is None:
                    f.unlink(missing_ok=True)
                    removed += 1
        return removed

    def check(self, deep: bool) -> tuple[int, tuple[str, ...], int]:
        """(entries checked, problems, fixed). Every ready entry's file exists at its key's path with the
        recorded size (deep: it decodes, checksum verified, to the same key); bad entries are removed. The
        byte count equals the sum of rows (else recounted) and is within capacity. Leftovers of crashes
        (reserved or dying rows, temp files, orphan files) and expired entries are not problems."""
        rows = self.index.rows("SELECT id, key, path, nbytes FROM entries WHERE state = 1")
        problems: list[str] = []
        for row_id, key, rel, nbytes in rows:
            problem = self.files.check(key, rel, nbytes, deep)
            if problem is not None and self.remove([(row_id, rel)]):  # else removed meanwhile: no problem
                problems.append(f"{key[:16]}: {problem}; entry removed")
        num_fixed = len(problems)
        with self.index.txn() as db:
            (recorded,) = db.execute("SELECT nbytes FROM usage").fetchone()
            (actual,) = db.execute("SELECT COALESCE(SUM(nbytes), 0) FROM entries").fetchone()
            if recorded != actual:
                db.execute("UPDATE usage SET nbytes = ?", (actual,))
                problems.append(f"byte count {recorded} != sum of entries {actual}; recounted")
                num_fixed += 1
        if actual > self.capacity_bytes:
            problems.append(f"{actual} bytes exceed capacity {self.capacity_bytes}")
        return len(rows), tuple(problems), num_fixed

    def collect(self, now: float, stale_after_s: float) -> tuple[int, int]:
        """Remove temp files and reservations older than `stale_after_s` (crashed writers), expired entries,
        dying rows a crashed process left, and orphan files. Returns (things removed, of them expired)."""
        num_temps = self.files.remove_temps(older_than=now - stale_after_s)
        expired = self.index.rows("SELECT id, path FROM entries WHERE state = 1 AND expires_at <= ?", (now,))
        stale = self.index.rows("SELECT id, path FROM entries WHERE state = 0 AND created_at <= ?",
                                (now - stale_after_s,))
        num_expired = self.remove(expired)
        num_stale = self.remove(stale)
        dying = self.index.rows("SELECT id, path FROM entries WHERE state = 2")
        self.finish(dying)  # their remover may still be alive: finishing twice is harmless
        return num_temps + num_expired + num_stale + len(dying) + self.remove_orphans(), num_expired

    def clear(self) -> None:
        """Remove every entry, block file and temp file (puts in flight then find their rows gone)."""
        self.remove(self.index.rows("SELECT id, path FROM entries WHERE state != 2"))
        self.finish(self.index.rows("SELECT id, path FROM entries WHERE state = 2"))
        self.remove_orphans()
        self.files.remove_temps(older_than=float("inf"))
