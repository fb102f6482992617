"""DiskStore: the embedded durable tier. Block files in one directory, indexed by SQLite, shared by processes.

    root/index.sqlite3          entries(key, path, nbytes, namespace, created_at, last_access, expires_at, state)
    root/blocks/ab/ab12...ef.kv one encoded block (block.py) per file
    root/tmp/<key>.<rand>.tmp   a block being written

    entry state:  RESERVED --(file placed)--> READY --(marked for removal)--> DYING --(file gone)--> row deleted
                      \\______________________(delete, clear, crashed writer)__/

    put:     [txn] room? insert RESERVED row  (else: mark LRU READY rows DYING, unlink their files, [txn] delete)
             write tmp file, fsync
             [txn] still RESERVED? os.replace(tmp, final), fsync dir, state=READY
    remove:  [txn] state=DYING   ->  unlink file  ->  [txn] delete row

Invariants:
- Bytes of all rows, whatever their state (kept by triggers), <= capacity_bytes. A block or temp file exists
  only while its row does (a row is deleted only after its files are gone), so the directory's block files
  never exceed the capacity, at any instant, across threads and processes.
- Only READY rows are served, and a READY row's file is complete (placed before READY commits, removed only
  after DYING commits). A crash (kill -9) leaves only RESERVED or DYING rows and temp files: benign, never
  served, finished by gc(). Files are placed only by their own RESERVED row, under SQLite's write lock.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from loopcache.kvcache.block import CorruptBlockError, KVBlock, decode, encode_prefix
from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.store import Counters, IntegrityReport, StoreStats

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
STALE_AFTER_S = 600.0  # a reservation or temp file this old belongs to a crashed (or hopelessly stuck) writer
RESERVED, READY, DYING = 0, 1, 2
_BUSY_TIMEOUT_S = 30.0
_EVICTION_ROUNDS = 4  # other writers may take the room an eviction freed; give up (reject) after this many

_SCHEMA = (
    """CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
        nbytes INTEGER NOT NULL CHECK (nbytes > 0), namespace TEXT NOT NULL, created_at REAL NOT NULL,
        last_access REAL NOT NULL, expires_at REAL NOT NULL, state INTEGER NOT NULL)""",
    "CREATE INDEX entries_lru ON entries (state, last_access)",
    "CREATE INDEX entries_expiry ON entries (expires_at)",
    "CREATE TABLE usage (id INTEGER PRIMARY KEY CHECK (id = 0), nbytes INTEGER NOT NULL)",
    "INSERT INTO usage VALUES (0, 0)",
    "CREATE TRIGGER entries_add AFTER INSERT ON entries BEGIN UPDATE usage SET nbytes = nbytes + NEW.nbytes; END",
    "CREATE TRIGGER entries_del AFTER DELETE ON entries BEGIN UPDATE usage SET nbytes = nbytes - OLD.nbytes; END",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)

Row = tuple[int, str]  # (entry id, path relative to root)


class StoreClosedError(RuntimeError):
    """A maintenance call (stats, gc, clear, check_integrity) on a closed DiskStore."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(path: Path) -> None:
    """Create `path` if needed, durably (its parent is fsynced when the entry is new)."""
    try:
        path.mkdir()
    except FileExistsError:
        return
    _fsync_dir(path.parent)


class DiskStore:
    """Durable, capacity-bounded, TTL-bounded block store; several threads and processes may share a `root`.

    After `close()`, data calls degrade (get -> None, put/contains/delete -> False, keys -> empty) so a
    write-behind thread racing shutdown never crashes; maintenance calls raise `StoreClosedError`.
    `clock` is wall-clock epoch seconds; it dates entries and also ages temp files (by mtime) in gc().
    The expiry is set (and refreshed) by put; a get refreshes only last_access, the LRU order.
    Counters in stats() are this instance's; entry counts and bytes are the directory's.
    """

    def __init__(
        self,
        root: Path,
        capacity_bytes: int = 20 * 2**30,
        ttl_s: float = 7 * 86400,
        name: str = "disk",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(capacity_bytes, bool) or not isinstance(capacity_bytes, int) or capacity_bytes <= 0:
            raise ValueError(f"capacity_bytes must be a positive int, got {capacity_bytes!r}")
        if not ttl_s > 0:  # also rejects NaN
            raise ValueError(f"ttl_s must be > 0 seconds, got {ttl_s!r}")
        self.name = name
        self.root = Path(root)
        self.capacity_bytes = capacity_bytes
        self.ttl_s = float(ttl_s)
        self._clock = clock
        self._counters = Counters()
        self._lock = threading.Lock()  # guards the one connection and the counters
        self.root.mkdir(parents=True, exist_ok=True)
        _ensure_dir(self.root / "blocks")
        _ensure_dir(self.root / "tmp")
        self._db: sqlite3.Connection | None = None
        try:
            try:
                self._open_index()
            except sqlite3.DatabaseError as exc:  # a damaged index file: rebuild it from the block files
                self._rebuild_index(exc)
            self._make_room(0)  # reopened with a smaller capacity: shrink now, the limit is hard
        except BaseException:
            self.close()
            raise

    def _open_index(self) -> None:
        self._db = sqlite3.connect(
            self.root / "index.sqlite3", timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a killed process never loses a commit; a power cut may lose the last few, which
        # leaves only reserved rows or orphan files (gc removes them), never a row pointing at bad bytes.
        # FULL would fsync on every hit's last_access update (~1 ms per block read).
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._txn() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version == 0:
                for statement in _SCHEMA:
                    db.execute(statement)
            elif version != SCHEMA_VERSION:
                raise ValueError(f"{self.root}: index schema {version}, this loopcache reads {SCHEMA_VERSION}")

    def _rebuild_index(self, cause: Exception) -> None:
        """Move the unreadable index aside and re-index every block file that still verifies."""
        if self._db is not None:
            self._db.close()
            self._db = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            old = self.root / f"index.sqlite3{suffix}"
            if old.exists():
                old.rename(self.root / f"index.sqlite3{suffix}.corrupt-{stamp}")
        log.warning("%s: index unreadable (%s); moved aside, rebuilding from block files", self.root, cause)
        self._open_index()
        now = self._clock()
        for path in sorted((self.root / "blocks").glob("*/*.kv")):
            size = path.stat().st_size
            try:
                with path.open("rb") as fh:
                    block = decode(fh, size)
            except (OSError, CorruptBlockError):
                path.unlink(missing_ok=True)
                continue
            if path.stem != block.key.hex or size > self.capacity_bytes:
                path.unlink(missing_ok=True)
                continue
            with self._txn() as db:
                db.execute(
                    "INSERT OR IGNORE INTO entries (key, path, nbytes, namespace, created_at, last_access, "
                    "expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (path.stem, self._relpath(path.stem), size, block.namespace, now, path.stat().st_mtime,
                     now + self.ttl_s),
                )

    # ---- Store protocol ---------------------------------------------------------------------------------

    def get(self, key: BlockHash) -> KVBlock | None:
        """The verified block under `key`, or None. Expired, unreadable, corrupt or mismatched entries are
        removed (row and file) and counted (`expired`, `corrupt_dropped`); a hit refreshes last_access."""
        try:
            return self._get(key)
        except StoreClosedError:
            return None

    def put(self, block: KVBlock) -> bool:
        """Store `block` durably, evicting least recently used entries. True once it is readable, or if the
        key is already stored or being written (its last_access and expiry are refreshed, nothing rewritten).
        False (counted in `rejected`) if larger than the capacity or the room is held by in-flight writes;
        False on an I/O error, while the key is being removed, or when closed."""
        try:
            return self._put(block)
        except StoreClosedError:
            return False

    def contains(self, key: BlockHash) -> bool:
        """Whether a ready, unexpired entry exists (index only; the file is not read)."""
        try:
            sql = "SELECT 1 FROM entries WHERE key = ? AND state = 1 AND expires_at > ?"
            return bool(self._rows(sql, (key.hex, self._clock())))
        except StoreClosedError:
            return False

    def delete(self, key: BlockHash) -> bool:
        """Remove `key` (also an in-flight write, whose put then returns False). True if this call removed it."""
        try:
            return self._remove(self._rows("SELECT id, path FROM entries WHERE key = ?", (key.hex,))) > 0
        except StoreClosedError:
            return False

    def keys(self) -> Iterator[BlockHash]:
        """A snapshot of the ready, unexpired keys."""
        try:
            rows = self._rows("SELECT key FROM entries WHERE state = 1 AND expires_at > ?", (self._clock(),))
        except StoreClosedError:
            rows = []
        return iter([BlockHash.from_hex(k) for (k,) in rows])

    def stats(self) -> StoreStats:
        """num_entries counts ready entries; bytes_used counts every row, in-flight writes included."""
        (num_entries,) = self._rows("SELECT COUNT(*) FROM entries WHERE state = 1")[0]
        (bytes_used,) = self._rows("SELECT nbytes FROM usage")[0]
        with self._lock:
            return self._counters.snapshot(self.name, num_entries, bytes_used, self.capacity_bytes)

    def check_integrity(self, deep: bool = False) -> IntegrityReport:
        """Every ready entry's file exists at its key's path with the recorded size (deep: it also decodes,
        checksum verified, to the same key); the byte count equals the sum of rows and is within capacity.
        Bad entries are removed and reported. Crash leftovers (reserved or dying rows, temp files, orphan
        files) are benign, never problems even when deep: gc() removes them. So are expired entries."""
        rows = self._rows("SELECT id, key, path, nbytes FROM entries WHERE state = 1")
        problems: list[str] = []
        num_fixed = 0
        for row_id, key, rel, nbytes in rows:
            problem = self._check_entry(key, rel, nbytes, deep)
            if problem is not None and self._remove([(row_id, rel)]):  # else removed meanwhile: no problem
                problems.append(f"{key[:16]}: {problem}; entry removed")
                num_fixed += 1
        with self._txn() as db:
            (recorded,) = db.execute("SELECT nbytes FROM usage").fetchone()
            (actual,) = db.execute("SELECT COALESCE(SUM(nbytes), 0) FROM entries").fetchone()
            if recorded != actual:
                db.execute("UPDATE usage SET nbytes = ?", (actual,))
                problems.append(f"byte count {recorded} != sum of entries {actual}; recounted")
                num_fixed += 1
        if actual > self.capacity_bytes:
            problems.append(f"{actual} bytes exceed capacity {self.capacity_bytes}")
        return IntegrityReport(self.name, len(rows), tuple(problems), num_fixed)

    def close(self) -> None:
        """Close the index. Idempotent. Puts in flight in other threads then return False."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> DiskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- maintenance --------------------------------------------------------------------------------------

    def gc(self) -> int:
        """Remove temp files and reservations older than STALE_AFTER_S (crashed writers), expired entries,
        dying entries a crashed process left, and orphan block files (no row for their key: only after a
        power loss or outside meddling). Returns how many things were removed."""
        now = self._clock()
        num_temps = self._remove_temps(older_than=now - STALE_AFTER_S)
        expired = self._rows("SELECT id, path FROM entries WHERE state = 1 AND expires_at <= ?", (now,))
        stale_sql = "SELECT id, path FROM entries WHERE state = 0 AND created_at <= ?"
        stale = self._rows(stale_sql, (now - STALE_AFTER_S,))
        num_expired = self._remove(expired)
        num_stale = self._remove(stale)
        dying = self._rows("SELECT id, path FROM entries WHERE state = 2")
        self._finish(dying)  # their remover may still be alive: finishing twice is harmless
        with self._lock:
            self._counters.expired += num_expired
        return num_temps + num_expired + num_stale + len(dying) + self._remove_orphans()

    def clear(self) -> None:
        """Remove every entry, block file and temp file (puts in flight then return False)."""
        self._remove(self._rows("SELECT id, path FROM entries WHERE state != 2"))
        self._finish(self._rows("SELECT id, path FROM entries WHERE state = 2"))
        self._remove_orphans()
        self._remove_temps(older_than=float("inf"))

    # ---- internals ----------------------------------------------------------------------------------------

    @contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: BEGIN IMMEDIATE takes SQLite's write lock (across processes) at once."""
        with self._lock:
            db = self._require_db()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._require_db().execute(sql, args).fetchall()

    def _require_db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreClosedError(f"DiskStore {self.name!r} at {self.root} is closed")
        return self._db

    def _get(self, key: BlockHash) -> KVBlock | None:
        now = self._clock()
        rows = self._rows("SELECT id, path, expires_at FROM entries WHERE key = ? AND state = 1", (key.hex,))
        block = None
        if rows:
            row_id, rel, expires_at = rows[0]
            if expires_at <= now:
                num_expired = self._remove([(row_id, rel)])
                with self._lock:
                    self._counters.expired += num_expired
            elif (block := self._read(rel, key)) is None:
                num_dropped = self._remove([(row_id, rel)])  # 0 if it was removed meanwhile (then not corrupt)
                with self._lock:
                    self._counters.corrupt_dropped += num_dropped
            else:
                with self._txn() as db:
                    db.execute("UPDATE entries SET last_access = ? WHERE id = ?", (now, row_id))
        with self._lock:
            if block is None:
                self._counters.misses += 1
            else:
                self._counters.hits += 1
        return block

    def _read(self, rel: str, key: BlockHash) -> KVBlock | None:
        """The block in `rel` if it decodes, passes its checksum and carries `key`; else None."""
        try:
            with open(self.root / rel, "rb") as fh:
                block = decode(fh, os.fstat(fh.fileno()).st_size)
        except (OSError, CorruptBlockError):
            return None
        return block if block.key == key else None

    def _put(self, block: KVBlock) -> bool:
        prefix = encode_prefix(block)
        nbytes = len(prefix) + block.nbytes
        key, rel = block.key.hex, self._relpath(block.key.hex)
        if nbytes <= self.capacity_bytes:
            for _ in range(_EVICTION_ROUNDS):
                now, row_id = self._clock(), None
                with self._txn() as db:
                    existing = db.execute("SELECT id, state FROM entries WHERE key = ?", (key,)).fetchone()
                    if existing is not None:  # stored, or being written by another thread or process: keep it
                        db.execute(
                            "UPDATE entries SET last_access = ?, expires_at = ? WHERE id = ? AND state != 2",
                            (now, now + self.ttl_s, existing[0]),
                        )
                    elif self._used(db) + nbytes <= self.capacity_bytes:
                        row_id = db.execute(
                            "INSERT INTO entries (key, path, nbytes, namespace, created_at, last_access,"
                            " expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                            (key, rel, nbytes, block.namespace, now, now, now + self.ttl_s),
                        ).lastrowid
                if existing is not None:
                    return self._count_put(existing[1] != DYING)
                if row_id is not None:
                    return self._count_put(self._write(row_id, rel, prefix, block))
                if not self._make_room(nbytes):
                    break
        with self._lock:
            self._counters.rejected += 1
        return False

    def _count_put(self, stored: bool) -> bool:
        if stored:
            with self._lock:
                self._counters.puts += 1
        return stored

    def _write(self, row_id: int, rel: str, prefix: bytes, block: KVBlock) -> bool:
        """Write the reserved block to a temp file, fsync, place it. On failure undo everything; False."""
        tmp = self.root / "tmp" / f"{block.key.hex}.{secrets.token_hex(8)}.tmp"
        try:
            with open(tmp, "xb") as fh:
                fh.write(prefix)
                fh.write(memoryview(block.payload))
                fh.flush()
                os.fsync(fh.fileno())
            if self._place(row_id, tmp, rel):
                return True
        except OSError:
            pass  # disk full, I/O error, temp file removed by clear(): not stored
        except BaseException:
            self._abandon(row_id, rel, tmp)
            raise
        self._abandon(row_id, rel, tmp)
        with self._lock:
            self._counters.extra["write_failures"] = self._counters.extra.get("write_failures", 0) + 1
        return False

    def _place(self, row_id: int, tmp: Path, rel: str) -> bool:
        """Move a fully written temp file into place and mark its row ready, if it is still reserved."""
        final = self.root / rel
        with self._txn() as db:
            if db.execute("SELECT 1 FROM entries WHERE id = ? AND state = 0", (row_id,)).fetchone() is None:
                return False  # removed meanwhile by delete(), clear() or gc() of a writer stuck for minutes
            _ensure_dir(final.parent)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            db.execute("UPDATE entries SET state = 1, last_access = ? WHERE id = ?", (self._clock(), row_id))
        return True

    def _abandon(self, row_id: int, rel: str, tmp: Path) -> None:
        """Undo a failed put: its temp file, then its row and its final file if it got placed."""
        tmp.unlink(missing_ok=True)
        self._remove([(row_id, rel)])

    def _make_room(self, nbytes: int) -> bool:
        """Evict least recently used ready entries until `nbytes` more fit. False (nothing evicted) if ready
        entries cannot free enough: the rest is held by in-flight writes and removals."""
        with self._txn() as db:
            excess = self._used(db) + nbytes - self.capacity_bytes
            victims: list[Row] = []
            if excess > 0:
                lru = db.execute("SELECT id, path, nbytes FROM entries WHERE state = 1 ORDER BY last_access, id")
                for row_id, rel, size in lru:
                    victims.append((row_id, rel))
                    excess -= size
                    if excess <= 0:
                        break
                lru.close()
            if excess > 0:
                return False
            db.executemany("UPDATE entries SET state = 2 WHERE id = ?", [(v[0],) for v in victims])
        self._finish(victims)
        with self._lock:
            self._counters.evictions += len(victims)
        return True

    def _remove(self, rows: list[Row]) -> int:
        """Remove entries: mark them dying, unlink their files, delete the rows. Returns how many this call
        marked (rows already gone or dying are someone else's)."""
        with self._txn() as db:
            mark = "UPDATE entries SET state = 2 WHERE id = ? AND state != 2"
            marked = [r for r in rows if db.execute(mark, (r[0],)).rowcount]
        self._finish(marked)
        return len(marked)

    def _finish(self, dying: list[Row]) -> None:
        """Unlink the files of dying rows, then delete the rows. Safe outside the lock: a dying row holds its
        key, so no other row can place a file at that path meanwhile."""
        if dying:
            for _, rel in dying:
                (self.root / rel).unlink(missing_ok=True)
            with self._txn() as db:
                db.executemany("DELETE FROM entries WHERE id = ? AND state = 2", [(r[0],) for r in dying])

    def _remove_orphans(self) -> int:
        """Unlink block files whose key has no row (checked under the write lock: no writer can place one)."""
        files = list((self.root / "blocks").glob("*/*.kv"))
        removed = 0
        with self._txn() as db:
            for f in files:
                if db.execute("SELECT 1 FROM entries WHERE key = ?", (f.stem,)).fetchone() is None:
                    f.unlink(missing_ok=True)
                    removed += 1
        return removed

    def _remove_temps(self, older_than: float) -> int:
        removed = 0
        for f in (self.root / "tmp").iterdir():
            try:
                if f.stat().st_mtime <= older_than:
                    f.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed

    def _check_entry(self, key: str, rel: str, nbytes: int, deep: bool) -> str | None:
        if rel != self._relpath(key):
            return f"path {rel} is not the key's path"
        try:
            size = (self.root / rel).stat().st_size
            if size != nbytes:
                return f"file has {size} bytes, index says {nbytes}"
            if deep:
                with open(self.root / rel, "rb") as fh:
                    if decode(fh, size).key.hex != key:
                        return "file holds another key"
        except FileNotFoundError:
            return "file missing"
        except (OSError, CorruptBlockError) as exc:
            return f"unreadable file: {exc}"
        return None

    @staticmethod
    def _used(db: sqlite3.Connection) -> int:
        (used,) = db.execute("SELECT nbytes FROM usage").fetchone()
        return int(used)

    @staticmethod
    def _relpath(key_hex: str) -> str:
        return f"blocks/{key_hex[:2]}/{key_hex}.kv"
