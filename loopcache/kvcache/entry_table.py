"""EntryTable: the entries of one cache directory, and the state machine that keeps index and files in step.

    entry state:  RESERVED --(file placed)--> READY --(marked for removal)--> DYING --(file gone)--> row deleted
                      \\______________________(delete, clear, crashed writer)__/

    reserve: [txn] room? insert RESERVED row, else mark least recently used READY rows DYING
             -> unlink their files -> [txn] delete those rows, room? insert RESERVED row (the room it freed)
    place:   [txn] still RESERVED? rename the written file in, READY
    remove:  [txn] state=DYING  ->  unlink file  ->  [txn] delete row

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

from loopcache.kvcache.block_files import BlockFiles
from loopcache.kvcache.disk_index import DYING, DiskIndex

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


class EntryTable:
    """Entry rows of `index` and their files in `files`. `on_error` hears of files that could not be
    unlinked (their rows stay DYING, still counted, until gc finishes them)."""

    def __init__(self, index: DiskIndex, files: BlockFiles, capacity_bytes: int, on_error: ErrorSink) -> None:
        self.index = index
        self.files = files
        self.capacity_bytes = capacity_bytes
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

    @staticmethod
    def _lru(db: sqlite3.Connection, excess: int) -> list[Row] | None:
        """The least recently used ready rows worth `excess` bytes; None if all ready rows are not enough."""
        victims: list[Row] = []
        lru = db.execute("SELECT id, path, nbytes FROM entries WHERE state = 1 ORDER BY last_access, id")
        for row_id, rel, size in lru:
            victims.append((row_id, rel))
            excess -= size
            if excess <= 0:
                break
        lru.close()
        return victims if excess <= 0 else None

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
        with self.index.txn() as db:
            mark = "UPDATE entries SET state = 2 WHERE id = ? AND state != 2"
            marked = [r for r in rows if db.execute(mark, (r[0],)).rowcount]
        self.finish(marked)
        return len(marked)

    def finish(self, dying: list[Row]) -> None:
        """Unlink the files of dying rows, then delete the rows. Safe outside the lock: a dying row holds its
        key, so no other row can place a file at that path meanwhile."""
        gone = self._unlink(dying)
        if gone:
            with self.index.txn() as db:
                db.executemany("DELETE FROM entries WHERE id = ? AND state = 2", [(r[0],) for r in gone])

    def evict(self, excess_of: Callable[[int], int], all_or_nothing: bool) -> int | None:
        """Remove least recently used ready entries worth `excess_of(bytes used)`. Returns how many; None
        (nothing removed) when `all_or_nothing` and ready entries cannot free that much."""
        with self.index.txn() as db:
            excess = excess_of(self.used(db))
            if excess <= 0:
                return 0
            victims = self._lru(db, excess)
            if victims is None:
                if all_or_nothing:
                    return None
                victims = [(row_id, rel) for row_id, rel in db.execute("SELECT id, path FROM entries WHERE state = 1")]
            db.executemany("UPDATE entries SET state = 2 WHERE id = ?", [(v[0],) for v in victims])
        self.finish(victims)
        return len(victims)

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

    def recount(self) -> tuple[int, int]:
        """(recorded, actual) byte counts; a wrong recorded count is corrected."""
        with self.index.txn() as db:
            (recorded,) = db.execute("SELECT nbytes FROM usage").fetchone()
            (actual,) = db.execute("SELECT COALESCE(SUM(nbytes), 0) FROM entries").fetchone()
            if recorded != actual:
                db.execute("UPDATE usage SET nbytes = ?", (actual,))
        return recorded, actual
