"""DiskIndex: the SQLite index of one cache directory (schema, connections, transactions, bounded waits).

    entries(id, key, path, nbytes, namespace, created_at, last_access, expires_at, state)
    usage(nbytes)  = sum of entries.nbytes, kept by triggers

Busy is not broken: a statement that finds the database locked is waited for (SQLite's busy handler, then
retries with backoff) up to `busy_timeout_s`, then IndexBusyError; it is never taken for damage. Only
`validate()` judges damage, and it only reports it (IndexDamagedError): moving files is the rebuild's job,
under the directory lock (index_rebuild.py).

Each thread gets its own connection, so a reader never queues behind another thread's wait for the write
lock. Every connection is WAL, synchronous=NORMAL: a killed process never loses a commit; a power cut may
lose the last few, which leaves only reserved rows or orphan files (gc removes them), never a row pointing
at bad bytes. FULL would fsync on every hit's last_access update.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from loopcache.kvcache.backoff import Backoff
from loopcache.kvcache.block_files import INDEX_NAME
from loopcache.kvcache.disk_errors import (
    DirectoryUnusableError, IndexBusyError, IndexDamagedError, NewerIndexError, StoreClosedError,
    is_busy, is_damage,
)

T = TypeVar("T")
SCHEMA_VERSION = 1
RESERVED, READY, DYING = 0, 1, 2
_WAL_CHECKPOINT_PAGES = 256  # ~1 MB: the WAL stays small, so a full disk is mostly block files, which evict

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
_OBJECTS = {"entries", "entries_lru", "entries_expiry", "usage", "entries_add", "entries_del"}
_COLUMNS = ["id", "key", "path", "nbytes", "namespace", "created_at", "last_access", "expires_at", "state"]


@dataclass(slots=True)
class _Connection:
    db: sqlite3.Connection
    lock: threading.Lock
    closed: bool = False


class DiskIndex:
    """The index file `root/index.sqlite3`. Safe from several threads (one connection each) and processes.

    Raises StoreClosedError after close(), IndexBusyError when a lock outlasts the bound, and lets other
    sqlite3 errors through (the DiskStore decides what a failed data call means).
    """

    def __init__(self, root: Path, busy_timeout_s: float) -> None:
        self.root = root
        self.path = root / INDEX_NAME
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[_Connection] = []
        self._registry_lock = threading.Lock()
        self._closed = False

    # ---- opening ------------------------------------------------------------------------------------------

    def validate(self) -> None:
        """Open the file, switch it to WAL, run `PRAGMA quick_check` and check the schema, creating it in an
        empty file. Raises IndexDamagedError (corrupt, not a database, failed check, unknown schema),
        NewerIndexError, IndexBusyError, or DirectoryUnusableError (cannot open, read-only, I/O error)."""
        try:
            self._retry("switching to WAL", lambda: self._execute("PRAGMA journal_mode=WAL"))
            check = self._retry("quick_check", lambda: self._execute("PRAGMA quick_check"))
            if [row[0] for row in check] != ["ok"]:
                raise IndexDamagedError(self.root, f"PRAGMA quick_check failed: {check[:3]}")
            if self._schema_version() == 0:
                with self.txn() as db:
                    if self._schema_version(db) == 0:  # another process may have created it meanwhile
                        for statement in _SCHEMA:
                            db.execute(statement)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise IndexDamagedError(self.root, f"index unreadable: {exc}") from exc
            raise DirectoryUnusableError(self.root, f"cannot use the index: {exc}") from exc

    def _schema_version(self, db: sqlite3.Connection | None = None) -> int:
        """The schema version; 0 for an empty file. Raises for a schema this code cannot read."""
        def read(db: sqlite3.Connection) -> tuple[int, dict[str, str], list[str]]:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            objects = dict(db.execute("SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
            columns = [row[1] for row in db.execute("PRAGMA table_info(entries)")]
            return version, objects, columns

        version, objects, columns = read(db) if db is not None else self._retry("reading the schema",
                                                                               lambda: self._use(read))
        if version > SCHEMA_VERSION:
            raise NewerIndexError(self.root, f"index schema {version} was written by a newer loopcache (this one "
                                  f"reads {SCHEMA_VERSION}); use that version or another cache directory")
        if version == 0 and not objects:
            return 0
        if version != SCHEMA_VERSION or not _OBJECTS <= set(objects) or columns != _COLUMNS:
            raise IndexDamagedError(self.root, f"unknown index schema (version {version}, objects "
                                    f"{sorted(objects)[:8]})")
        return version

    # ---- statements ---------------------------------------------------------------------------------------

    @contextmanager
    def txn(self, wait_s: float | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction. BEGIN IMMEDIATE takes SQLite's write lock (across processes) at once, waiting
        up to `wait_s` (default: the busy timeout); all or nothing."""
        connection = self._connection()
        with connection.lock:
            if connection.closed:
                raise StoreClosedError(self.root, "the disk store is closed")
            db = connection.db
            if wait_s is None or wait_s >= self.busy_timeout_s:
                self._retry("waiting for the write lock", lambda: db.execute("BEGIN IMMEDIATE"))
            else:  # a short wait: SQLite's own busy handler must give up early too
                db.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
                try:
                    self._retry("waiting for the write lock", lambda: db.execute("BEGIN IMMEDIATE"), wait_s)
                finally:
                    db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        """All rows of one read statement (a consistent snapshot)."""
        return self._retry("reading", lambda: self._execute(sql, args))

    def require_open(self) -> None:
        if self._closed:
            raise StoreClosedError(self.root, "the disk store is closed")

    def close(self) -> None:
        """Close every thread's connection. Idempotent; later calls raise StoreClosedError."""
        with self._registry_lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            with connection.lock:
                connection.closed = True
                connection.db.close()

    # ---- internals ----------------------------------------------------------------------------------------

    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        return self._use(lambda db: db.execute(sql, args).fetchall())

    def _use(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._connection()
        with connection.lock:
            if connection.closed:
                raise StoreClosedError(self.root, "the disk store is closed")
            return fn(connection.db)

    def _connection(self) -> _Connection:
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            with self._registry_lock:
                if self._closed:
                    raise StoreClosedError(self.root, "the disk store is closed")
                connection = _Connection(self._connect(), threading.Lock())
                self._connections.append(connection)
            self._local.connection = connection
        return connection

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                                 check_same_thread=False)
        except sqlite3.Error as exc:
            raise DirectoryUnusableError(self.root, f"cannot open {INDEX_NAME}: {exc}") from exc
        try:
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA wal_autocheckpoint = {_WAL_CHECKPOINT_PAGES}")
        except BaseException:
            db.close()  # at once: a failed open must not hold the file until garbage collection
            raise  # validate() tells damage from an unusable directory
        return db

    def _retry(self, what: str, fn: Callable[[], T], wait_s: float | None = None) -> T:
        """Run `fn`; while it finds the database busy or locked, retry with backoff up to the bound."""
        backoff = Backoff(self.busy_timeout_s if wait_s is None else wait_s)
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                if not backoff.sleep():
                    raise IndexBusyError(self.root, f"index busy while {what}: another process held its lock for "
                                         f"{backoff.wait_s:g} s ({exc}); nothing was changed") from exc

