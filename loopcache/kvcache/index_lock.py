"""IndexLock: the cross-process lock that keeps a rebuild away from every process using the index.

    root/index.lock     fcntl.flock:  shared     held by every open DiskStore, for as long as it is open
                                      exclusive  held by a process rebuilding the index

So a rebuild runs only when no process has the index open, and no process opens the index while a rebuild
runs: nobody ever moves an index that another process holds open. flock locks belong to an open file
description, so two stores in one process are two holders; the kernel drops a lock when its holder dies
(kill -9 included), so a crash never leaves the directory locked.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from loopcache.kvcache.backoff import Backoff
from loopcache.kvcache.disk_errors import DirectoryUnusableError, IndexBusyError

LOCK_NAME = "index.lock"


class IndexLock:
    """One holder of `root/index.lock`. Not thread-safe: one DiskStore owns it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / LOCK_NAME
        self._fd: int | None = None
        self.mode = "none"  # "none" | "shared" | "exclusive"

    def try_acquire(self, exclusive: bool) -> bool:
        """Take the lock shared or exclusive if that is possible now. Downgrading exclusive to shared always
        succeeds; to upgrade, `unlock()` first (with flock an upgrade is not atomic)."""
        fd = self._open()
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.mode = "exclusive" if exclusive else "shared"
        return True

    def acquire(self, exclusive: bool, wait_s: float, why: str) -> None:
        """Take the lock, waiting with backoff up to `wait_s`. Raises IndexBusyError naming `why` if it is
        still held against us then; DirectoryUnusableError if the lock file cannot be opened."""
        backoff = Backoff(wait_s)
        while not self.try_acquire(exclusive):
            if not backoff.sleep():
                raise IndexBusyError(self.root, f"{why}: still held by another process after {wait_s:g} s; "
                                     "nothing was changed, try again later")

    def release(self) -> None:
        """Drop the lock and close the lock file. Idempotent."""
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None
        self.mode = "none"

    def unlock(self) -> None:
        """Drop the lock but keep the file open (to take it again in another mode)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.mode = "none"

    def _open(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                    raise DirectoryUnusableError(self.root, f"cannot open {LOCK_NAME}: {exc}") from exc
                try:  # a read-only directory: flock works on a read-only descriptor too
                    self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError as again:
                    raise DirectoryUnusableError(self.root, f"cannot open {LOCK_NAME}: {exc}") from again
        return self._fd
