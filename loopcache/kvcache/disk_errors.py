"""Errors of the disk tier, and how SQLite's errors are told apart: busy is not broken.

    busy / locked (SQLITE_BUSY, SQLITE_LOCKED)      -> wait and retry up to a bound, then IndexBusyError
    damage (SQLITE_CORRUPT, SQLITE_NOTADB, a failed
            quick_check, an unknown schema)          -> IndexDamagedError: the only cause of a rebuild
    anything else (cannot open, read-only, I/O, full) -> a DiskStoreError naming the directory; no repair

Every error names the cache directory it is about.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 5, 6, 11, 13, 26


class DiskStoreError(Exception):
    """A failure of the disk tier in cache directory `root`."""

    def __init__(self, root: Path, message: str) -> None:
        super().__init__(f"{root}: {message}")
        self.root = root


class StoreClosedError(DiskStoreError, RuntimeError):
    """A maintenance call (stats, gc, clear, check_integrity) on a closed DiskStore."""


class IndexBusyError(DiskStoreError):
    """The index (or the directory lock) stayed held by another process past the wait bound.
    Nothing was changed: the caller may simply try again later."""


class IndexDamagedError(DiskStoreError):
    """Proven damage of the index file: the one condition that allows moving it aside and rebuilding."""


class NewerIndexError(DiskStoreError):
    """The index was written by a newer loopcache (a higher schema version): left alone, never rebuilt."""


class DirectoryUnusableError(DiskStoreError):
    """The cache directory or its index cannot be created, opened, read or written."""


def _code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF  # the primary result code of an extended one


def is_busy(error: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock. Never a sign of damage."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = _code(error)
    if code is not None:
        return code in (SQLITE_BUSY, SQLITE_LOCKED)
    text = str(error).lower()
    return "locked" in text or "busy" in text


def is_damage(error: BaseException) -> bool:
    """SQLITE_CORRUPT or SQLITE_NOTADB: the file's contents are not a valid database."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = _code(error)
    if code is not None:
        return code in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(error).lower()
    return "malformed" in text or "not a database" in text


def is_disk_full(error: BaseException) -> bool:
    """No space left: ENOSPC or EDQUOT from a file write, or SQLITE_FULL from the index."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(error, sqlite3.Error) and _code(error) == SQLITE_FULL
