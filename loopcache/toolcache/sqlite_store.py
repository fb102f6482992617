"""The persistent `Store`: one SQLite file, WAL mode, safe for several threads and processes.

Every write is one transaction (the old row or the new one, never half). A corrupt or foreign file is
never fatal: the error is logged, the bad file is moved aside (`<name>.corrupt-<time>`) and a fresh store
is opened in its place; the same happens if corruption is detected while running. Busy/locked errors
after the busy timeout degrade to a miss (get) or a skipped write (put), with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from loopcache.toolcache.canonical import canonical_json
from loopcache.toolcache.key import ToolKey
from loopcache.toolcache.store import Entry, IntegrityReport, StoredVector, entry_problems

logger = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA_VERSION = 1
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_COLUMNS = "key, tool, fingerprint, scope, args, result, is_error, created_at, expires_at, elapsed_s, embedding"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    tool TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    scope TEXT NOT NULL,
    args TEXT NOT NULL,
    result TEXT NOT NULL,
    is_error INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    elapsed_s REAL NOT NULL,
    embedding BLOB
);
CREATE INDEX IF NOT EXISTS entries_scope_tool ON entries (scope, tool);
CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires_at);
PRAGMA user_version = {SCHEMA_VERSION};
"""


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    message = str(error).lower()
    return "locked" in message or "busy" in message


def is_corruption(error: sqlite3.DatabaseError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _CORRUPT_CODES
    text = str(error).lower()
    return "malformed" in text or "not a database" in text


class SQLiteStore:
    """`Store` over one SQLite file. Open with `SQLiteStore(path)`; close with `close()` or `with`."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()
        self.recovered_from: Path | None = None
        self._conn = self._open()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening and recovery -------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            if not is_corruption(error):
                raise
            self._move_aside(error)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        """Open and set up the file. Two processes creating it at once can both ask to switch it to WAL; SQLite
        answers one of them "database is locked" at once (a lock upgrade it will not wait for), so a busy
        set-up is tried again until the busy timeout."""
        deadline = time.monotonic() + self._busy_timeout_s
        while True:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, check_same_thread=False,
                                   isolation_level=None)
            try:
                self._set_up(conn)
                return conn
            except sqlite3.OperationalError as error:
                conn.close()
                if is_corruption(error) or not _is_busy(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02 + random.random() * 0.05)
            except BaseException:
                conn.close()
                raise

    @staticmethod
    def _set_up(conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        row = conn.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed: {row}")
        conn.executescript(_SCHEMA)

    def _move_aside(self, error: BaseException) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                os.replace(source, Path(str(aside) + suffix))
        self.recovered_from = aside
        logger.error("tool cache database %s is unreadable (%s); moved it to %s and started a fresh store",
                     self.path, error, aside)

    def _run(self, operation: Callable[[sqlite3.Connection], T], fallback: T, what: str) -> T:
        """Run one operation; corruption -> recover and fall back; busy -> warn and fall back."""
        with self._lock:
            try:
                return operation(self._conn)
            except sqlite3.DatabaseError as error:
                if is_corruption(error):
                    self._conn.close()
                    self._move_aside(error)
                    self._conn = self._connect()
                else:
                    logger.warning("tool cache %s skipped: %s", what, error)
                return fallback

    # -- Store protocol -------------------------------------------------------------------------------

    def get(self, key: ToolKey, now: float) -> Entry | None:
        def operation(conn: sqlite3.Connection) -> Entry | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM entries WHERE key = ?", (key.hex,)).fetchone()
            return _entry(row) if row else None

        entry = self._run(operation, None, "get")
        return entry if entry is not None and entry.is_live(now) else None

    def put(self, entry: Entry) -> None:
        row = (entry.key.hex, entry.tool, entry.fingerprint, entry.scope, canonical_json(entry.args),
               json.dumps(entry.result, ensure_ascii=False), int(entry.is_error), entry.created_at,
               entry.expires_at, entry.elapsed_s, entry.embedding)

        def operation(conn: sqlite3.Connection) -> None:
            conn.execute(f"INSERT OR REPLACE INTO entries ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)

        self._run(operation, None, "put")

    def delete(self, keys: Iterable[ToolKey]) -> int:
        hexes = [(key.hex,) for key in keys]

        def operation(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = conn.total_changes
                conn.executemany("DELETE FROM entries WHERE key = ?", hexes)
                count = conn.total_changes - before
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return count

        return self._run(operation, 0, "delete") if hexes else 0

    def entries(self, scope: str | None = None, tool: str | None = None) -> Iterator[Entry]:
        filters = [(column, value) for column, value in (("scope", scope), ("tool", tool)) if value is not None]
        where = " AND ".join(f"{column} = ?" for column, _ in filters) or "1"
        query = f"SELECT {_COLUMNS} FROM entries WHERE {where}"
        params = tuple(value for _, value in filters)
        rows = self._run(lambda conn: conn.execute(query, params).fetchall(), [], "scan")
        return iter([_entry(row) for row in rows])

    def vectors_since(self, seq: int) -> list[StoredVector]:
        query = ("SELECT seq, key, tool, fingerprint, scope, embedding FROM entries "
                 "WHERE seq > ? AND embedding IS NOT NULL ORDER BY seq")
        rows = self._run(lambda conn: conn.execute(query, (seq,)).fetchall(), [], "index catch-up")
        return [StoredVector(s, ToolKey(k), t, f, sc, bytes(v)) for s, k, t, f, sc, v in rows]

    def purge_expired(self, now: float) -> int:
        def operation(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM entries WHERE expires_at IS NOT NULL AND expires_at <= ?",
                                (now,)).rowcount

        return self._run(operation, 0, "purge")

    def check_integrity(self) -> IntegrityReport:
        def operation(conn: sqlite3.Connection) -> IntegrityReport:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall() if row[0] != "ok"]
            rows = conn.execute(f"SELECT {_COLUMNS} FROM entries").fetchall()
            for row in rows:
                try:
                    problems.extend(entry_problems(_entry(row)))
                except (ValueError, TypeError) as error:
                    problems.append(f"{row[0][:12]}: unreadable row ({error})")
            return IntegrityReport(len(rows), tuple(problems))

        return self._run(operation, IntegrityReport(0, ("database was corrupt and has been replaced",)),
                         "integrity check")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _entry(row: tuple) -> Entry:
    key, tool, fingerprint, scope, args, result, is_error, created_at, expires_at, elapsed_s, embedding = row
    return Entry(
        key=ToolKey(key), tool=tool, fingerprint=fingerprint, scope=scope, args=json.loads(args),
        result=json.loads(result), is_error=bool(is_error), created_at=created_at, expires_at=expires_at,
        elapsed_s=elapsed_s, embedding=bytes(embedding) if embedding is not None else None,
    )
