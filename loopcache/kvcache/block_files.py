"""BlockFiles: where the disk tier's block files live and how they are written, read and removed.

    root/blocks/ab/ab12...ef.kv     one encoded block (block.py) per file, named after its key
    root/tmp/<key>.<rand>.tmp       a block being written
    root/reserve                    a small file of zeros, given up when the disk is full so that the index
                                    finds room for the transactions that remove entries (and free space)

Knows nothing of the index: the DiskStore decides when a file may be placed or removed. A placed file is
always complete: written to a temp file, fsynced, renamed into place, its directory fsynced.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loopcache.kvcache.block import CorruptBlockError, KVBlock, decode
from loopcache.kvcache.block_hash import BlockHash

INDEX_NAME = "index.sqlite3"
RESERVE_NAME = "reserve"
RESERVE_BYTES = 1 << 19  # room for the WAL pages of a removal transaction over thousands of rows


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create `path` if needed, durably (its parent is fsynced when the entry is new)."""
    try:
        path.mkdir()
    except FileExistsError:
        return
    fsync_dir(path.parent)


@dataclass(frozen=True, slots=True)
class DirIdentity:
    """Which directory and index file a store opened (device, inode): a deleted or replaced directory has
    another identity, or none."""

    root: tuple[int, int]
    index: tuple[int, int]


class WrongKeyError(CorruptBlockError):
    """A valid block file that holds another key than its name says."""


class BlockFiles:
    """The files of one cache directory. Stateless apart from `root`; safe from any thread or process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blocks = root / "blocks"
        self.tmp = root / "tmp"
        self.reserve = root / RESERVE_NAME

    def ensure_dirs(self) -> None:
        """Create root, blocks/ and tmp/ if missing. Raises OSError."""
        self.root.mkdir(parents=True, exist_ok=True)
        ensure_dir(self.blocks)
        ensure_dir(self.tmp)

    def keep_reserve(self) -> None:
        """Write the reserve file if it is missing; a disk too full for it (or read-only) is left alone."""
        if self.reserve.exists():
            return
        try:
            tmp = self.write_temp(RESERVE_NAME, b"", np.zeros(RESERVE_BYTES, np.uint8))
            os.replace(tmp, self.reserve)
        except OSError:
            pass

    def release_reserve(self) -> bool:
        """Delete the reserve file to give its space back; True if this call removed it."""
        try:
            self.reserve.unlink()
        except OSError:
            return False
        return True

    @staticmethod
    def relpath(key_hex: str) -> str:
        return f"blocks/{key_hex[:2]}/{key_hex}.kv"

    def write_temp(self, key_hex: str, prefix: bytes, payload: np.ndarray) -> Path:
        """Write prefix + payload to a new temp file and fsync it. On any failure the partial file is
        removed and the OSError (ENOSPC, EROFS, ENOENT when the directory is gone, ...) raised."""
        tmp = self.tmp / f"{key_hex}.{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            try:
                for part in (memoryview(prefix), memoryview(payload)):
                    while part.nbytes:
                        part = part[os.write(fd, part) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    def place(self, tmp: Path, rel: str) -> None:
        """Rename a complete temp file to its final path, durably. Raises OSError."""
        final = self.root / rel
        ensure_dir(final.parent)
        os.replace(tmp, final)
        fsync_dir(final.parent)

    def unlink(self, rel: str) -> None:
        """Remove a block file; a missing one is fine (also where a read-only filesystem refuses to unlink
        what is not there). Raises an OSError if the file is still there."""
        path = self.root / rel
        try:
            path.unlink(missing_ok=True)
        except OSError:
            if os.path.lexists(path):
                raise

    def read(self, rel: str, key: BlockHash) -> KVBlock:
        """The verified block in `rel`. Raises FileNotFoundError, another OSError, or CorruptBlockError
        (WrongKeyError when it decodes to another key)."""
        with open(self.root / rel, "rb") as fh:
            block = decode(fh, os.fstat(fh.fileno()).st_size)
        if block.key != key:
            raise WrongKeyError(f"file holds {block.key.hex[:16]}")
        return block

    def check(self, key_hex: str, rel: str, nbytes: int, deep: bool) -> str | None:
        """What is wrong with the file of an entry (path, size; deep: checksum and key), or None."""
        if rel != self.relpath(key_hex):
            return f"path {rel} is not the key's path"
        try:
            size = (self.root / rel).stat().st_size
            if size != nbytes:
                return f"file has {size} bytes, index says {nbytes}"
            if deep:
                self.read(rel, BlockHash.from_hex(key_hex))
        except FileNotFoundError:
            return "file missing"
        except WrongKeyError:
            return "file holds another key"
        except (OSError, CorruptBlockError) as exc:
            return f"unreadable file: {exc}"
        return None

    def block_paths(self) -> list[Path]:
        return sorted(self.blocks.glob("*/*.kv"))

    def remove_temps(self, older_than: float) -> int:
        """Unlink temp files whose mtime is <= `older_than` (epoch seconds). Returns how many."""
        removed = 0
        for f in self.tmp.iterdir():
            try:
                if f.stat().st_mtime <= older_than:
                    f.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed

    def identity(self) -> DirIdentity | None:
        """The current identity of the directory and its index file; None if either is gone."""
        try:
            r, i = os.stat(self.root), os.stat(self.root / INDEX_NAME)
        except OSError:
            return None
        return DirIdentity((r.st_dev, r.st_ino), (i.st_dev, i.st_ino))
