"""Opening a directory's index, and rebuilding it from the block files when, and only when, it is damaged.

    lock shared ──> validate ──ok──> open (the shared lock is held until the store closes)
                       │ proven damage (corrupt, not a database, failed quick_check, unknown schema)
                       v
    unlock; lock exclusive: granted only once no process has the index open (bounded wait; meanwhile,
                       |   whenever the shared lock is free, validate again: another process may have rebuilt it)
                       v
    validate again ──ok──> another process rebuilt it meanwhile: downgrade to shared, open
                       │ still damaged
                       v
    move index.sqlite3, -wal, -shm aside (*.corrupt-<stamp>-<pid>, kept for inspection), create a fresh
    index, re-index every block file that verifies (the others are deleted), downgrade to shared, open

Busy (a database lock or the directory lock held past the bound) at any step raises IndexBusyError and
moves nothing. Whoever waits for the shared lock waits out a rebuild, then opens its result.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from loopcache.kvcache.block import CorruptBlockError, decode
from loopcache.kvcache.block_files import INDEX_NAME, BlockFiles
from loopcache.kvcache.backoff import Backoff
from loopcache.kvcache.disk_errors import IndexBusyError, IndexDamagedError
from loopcache.kvcache.disk_index import READY, DiskIndex
from loopcache.kvcache.index_lock import IndexLock

log = logging.getLogger(__name__)
_BATCH = 256


@dataclass(frozen=True, slots=True)
class RebuildResult:
    cause: str
    moved_aside: tuple[Path, ...]
    num_indexed: int
    num_dropped: int  # block files that did not verify (deleted)


@dataclass(frozen=True, slots=True)
class EntryDefaults:
    """What a re-indexed entry gets: the time of the rebuild, its TTL, the capacity it must fit."""

    now: float
    ttl_s: float
    capacity_bytes: int


def open_index(files: BlockFiles, lock: IndexLock, busy_timeout_s: float,
               defaults: EntryDefaults) -> tuple[DiskIndex, RebuildResult | None]:
    """The validated index of `files.root`, with `lock` held shared. Rebuilds it first if it is damaged
    (the result says so). Raises IndexBusyError, NewerIndexError, DirectoryUnusableError; on any error the
    caller releases `lock`."""
    root = files.root
    lock.acquire(exclusive=False, wait_s=busy_timeout_s, why="another process is rebuilding the index")
    try:
        return _validated(root, busy_timeout_s), None
    except IndexDamagedError as exc:
        damage = exc
    lock.unlock()
    log.warning("%s; rebuilding it from the block files once no process has it open", damage)
    backoff = Backoff(busy_timeout_s)
    while not lock.try_acquire(exclusive=True):
        if lock.try_acquire(exclusive=False):  # has another process rebuilt it meanwhile?
            try:
                return _validated(root, busy_timeout_s), None
            except IndexDamagedError:
                lock.unlock()
        if not backoff.sleep():
            raise IndexBusyError(root, f"the index is damaged ({damage}) but other processes have it open: stop "
                                 f"them, then open the directory again to rebuild it (waited {busy_timeout_s:g} s)")
    result = None
    try:
        index = _validated(root, busy_timeout_s)  # another process may have rebuilt it while we waited
    except IndexDamagedError as exc:
        moved = _move_aside(root)
        index = _validated(root, busy_timeout_s)  # a fresh, empty index
        try:
            num_indexed, num_dropped = _reindex(index, files, defaults)
        except BaseException:
            index.close()
            raise
        result = RebuildResult(str(exc), moved, num_indexed, num_dropped)
        log.warning("%s: index rebuilt from the block files: %d entries, %d unreadable block files deleted; the "
                    "damaged index was kept as %s", root, num_indexed, num_dropped, moved[0] if moved else "-")
    try:
        lock.acquire(exclusive=False, wait_s=busy_timeout_s, why="downgrading the rebuild lock")  # never waits
    except BaseException:
        index.close()
        raise
    return index, result


def _validated(root: Path, busy_timeout_s: float) -> DiskIndex:
    index = DiskIndex(root, busy_timeout_s)
    try:
        index.validate()
    except BaseException:
        index.close()
        raise
    return index


def _move_aside(root: Path) -> tuple[Path, ...]:
    """Rename the index and its WAL and shared-memory files. Only under the exclusive lock."""
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    moved = []
    for suffix in ("", "-wal", "-shm"):
        old = root / f"{INDEX_NAME}{suffix}"
        new = root / f"{INDEX_NAME}.corrupt-{stamp}{suffix}"
        try:
            os.rename(old, new)
        except FileNotFoundError:
            continue
        moved.append(new)
    return tuple(moved)


def _reindex(index: DiskIndex, files: BlockFiles, defaults: EntryDefaults) -> tuple[int, int]:
    """Insert a ready entry for every block file that decodes, passes its checksum, carries the key of
    its name and fits the capacity; delete the others. Returns (indexed, dropped)."""
    rows: list[tuple[object, ...]] = []
    num_indexed = num_dropped = 0
    for path in files.block_paths():
        try:
            stat = path.stat()
            with path.open("rb") as fh:
                block = decode(fh, stat.st_size)
        except FileNotFoundError:
            continue
        except (OSError, CorruptBlockError):
            block = None
        if block is None or path.stem != block.key.hex or stat.st_size > defaults.capacity_bytes:
            path.unlink(missing_ok=True)
            num_dropped += 1
            continue
        rows.append((path.stem, files.relpath(path.stem), stat.st_size, block.namespace, defaults.now,
                     stat.st_mtime, defaults.now + defaults.ttl_s, READY))
        if len(rows) >= _BATCH:
            num_indexed += _insert(index, rows)
    return num_indexed + _insert(index, rows), num_dropped


def _insert(index: DiskIndex, rows: list[tuple[object, ...]]) -> int:
    with index.txn() as db:
        db.executemany(
            "INSERT OR IGNORE INTO entries (key, path, nbytes, namespace, created_at, last_access, expires_at, "
            "state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    n = len(rows)
    rows.clear()
    return n
