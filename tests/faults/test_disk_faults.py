"""DiskStore under storage faults: a disk that fills, a directory that turns read-only, a directory deleted
while open. Each data call keeps answering (a miss, a dropped write), the error is counted and logged, the
index stays consistent, nothing stored is lost or altered, and the store recovers when the fault ends.

Real filesystems where the machine allows it (a small tmpfs, a read-only bind mount: see mounts.py); an
injected-error variant of each of those always runs."""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.disk_errors import DirectoryUnusableError, DiskStoreError
from tests.faults.mounts import read_only, tmpfs
from tests.kvcache.blocks import block_for


def files_bytes(root: Path) -> int:
    """Bytes of block files and temp files (a file removed while listing is skipped)."""
    total = 0
    for f in [*root.glob("blocks/*/*.kv"), *root.glob("tmp/*")]:
        try:
            total += f.stat().st_size
        except FileNotFoundError:
            pass
    return total


def assert_consistent(store: DiskStore, root: Path) -> set[Any]:
    """Deep integrity, no temp file left, every listed key served byte-exact. Returns the keys."""
    report = store.check_integrity(deep=True)
    assert report.ok, report.problems
    assert list((root / "tmp").iterdir()) == []
    keys = set(store.keys())
    assert store.stats().bytes_used == sum(f.stat().st_size for f in root.glob("blocks/*/*.kv"))
    return keys


def fill(store: DiskStore, blocks: list[KVBlock]) -> list[bool]:
    return [store.put(b) for b in blocks]


def assert_full_disk_handled(store: DiskStore, root: Path, blocks: list[KVBlock], stored: list[bool]) -> None:
    assert False in stored, "the disk never filled: the test wrote too little"
    first_failure = stored.index(False)
    stats = store.stats()
    assert stats.write_failures >= 1 and stats.errors >= 1  # dropped and counted
    assert stats.evictions >= 1  # the full disk evicted least recently used blocks...
    assert any(stored[first_failure + 1 :])  # ...so that later writes fit again
    keys = assert_consistent(store, root)
    last = max(i for i, ok in enumerate(stored) if ok)
    assert blocks[last].key in keys
    by_key = {b.key: b for b in blocks}
    for key in keys:
        got = store.get(key)
        assert got is not None and got.payload.tobytes() == by_key[key].payload.tobytes()


def quota_write(root: Path, quota: int) -> Callable[[int, Any], int]:
    """An os.write that fails with ENOSPC once the block and temp files under `root` would pass `quota`."""
    real_write = os.write

    def write(fd: int, data: Any) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target.startswith(str(root)) and files_bytes(root) + memoryview(data).nbytes > quota:
            raise OSError(errno.ENOSPC, "No space left on device (injected)")
        return real_write(fd, data)

    return write


def test_disk_full_injected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "kv"
    store = DiskStore(root, capacity_bytes=2**30)  # configured far larger than the "disk"
    blocks = [block_for(i, nbytes=2048) for i in range(60)]
    monkeypatch.setattr(os, "write", quota_write(root, quota=30_000))
    with caplog.at_level(logging.WARNING):
        stored = fill(store, blocks)
    assert files_bytes(root) <= 30_000
    assert_full_disk_handled(store, root, blocks, stored)
    assert any(str(root) in r.getMessage() and "No space left" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert store.put(block_for(999)) and store.get(block_for(999).key) is not None
    store.close()


def test_disk_full_on_a_real_small_filesystem(tmp_path: Path) -> None:
    size = 8 * 2**20
    with tmpfs(tmp_path / "disk", size) as disk:
        root = disk / "kv"
        store = DiskStore(root, capacity_bytes=2**30)
        try:
            blocks = [block_for(i, nbytes=32 * 1024) for i in range(400)]  # 13 MB into 8 MB
            stored = fill(store, blocks)
            assert_full_disk_handled(store, root, blocks, stored)
            store.clear()  # space frees again: nothing of ours is left behind
            vfs = os.statvfs(disk)
            assert vfs.f_bavail * vfs.f_frsize >= size * 0.75
            assert store.put(blocks[0]) and store.check_integrity(deep=True).ok
        finally:
            store.close()


def fill_to_the_last_byte(path: Path) -> None:
    """Write zeros into `path` until the filesystem has no byte left."""
    chunk = bytes(64 * 1024)
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                chunk = chunk[: len(chunk) // 2]
                if not chunk:
                    return


def test_delete_and_clear_work_on_a_disk_with_no_byte_left(tmp_path: Path) -> None:
    """Emptying the cache is what a user does when the disk is full: the index's removal transactions need
    WAL pages, so the store keeps a reserve file to give up at that moment."""
    with tmpfs(tmp_path / "disk", 8 * 2**20) as disk:
        root = disk / "kv"
        store = DiskStore(root, capacity_bytes=2**30)
        try:
            blocks = [block_for(i, nbytes=256) for i in range(1200)]  # a removal of all rows: many WAL pages
            assert all(fill(store, blocks))
            fill_to_the_last_byte(disk / "someone-elses-file")
            assert store.delete(blocks[0].key)
            store.clear()
            assert list(store.keys()) == [] and not list(root.glob("blocks/*/*.kv"))
            (disk / "someone-elses-file").unlink()
            assert store.put(blocks[0]) and store.check_integrity(deep=True).ok
            assert (root / "reserve").stat().st_size > 0  # written back once there is room again
        finally:
            store.close()


def _assert_read_only_handled(store: DiskStore, root: Path, kept: list[KVBlock], caplog: pytest.LogCaptureFixture,
                              make_read_only: Callable[[], Any]) -> None:
    with caplog.at_level(logging.WARNING), make_read_only():
        for b in kept:  # every stored block is still served, exact
            got = store.get(b.key)
            assert got is not None and got.payload.tobytes() == b.payload.tobytes()
        assert [store.put(block_for(100 + i)) for i in range(3)] == [False] * 3
        stats = store.stats()
        assert stats.write_failures == 3 and stats.errors >= 3 and stats.num_entries == len(kept)
    assert any(str(root) in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)
    again = [block_for(200 + i) for i in range(20)]
    with caplog.at_level(logging.WARNING):
        assert all(store.put(b) for b in again)  # writable again
    assert any("writes work again" in r.getMessage() for r in caplog.records)
    assert assert_consistent(store, root) == {b.key for b in kept + again}


def test_read_only_directory_injected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "kv"
    store = DiskStore(root)
    kept = [block_for(i) for i in range(5)]
    assert all(store.put(b) for b in kept)

    def erofs(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if str(path).startswith(str(root)):
                raise OSError(errno.EROFS, "Read-only file system (injected)", str(path))
            return real(path, *args, **kwargs)
        return call

    @contextmanager
    def make_read_only() -> Iterator[None]:
        with monkeypatch.context() as patch:
            patch.setattr(os, "open", erofs(os.open))  # new files (temp files)
            patch.setattr(os, "replace", erofs(os.replace))
            patch.setattr(os, "unlink", erofs(os.unlink))
            yield

    _assert_read_only_handled(store, root, kept, caplog, make_read_only)
    store.close()


def test_read_only_directory_on_a_real_mount(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "kv"
    store = DiskStore(root)
    kept = [block_for(i) for i in range(5)]
    assert all(store.put(b) for b in kept)
    try:
        _assert_read_only_handled(store, root, kept, caplog, lambda: read_only(root))
    finally:
        store.close()


def test_deleted_directory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "kv"
    store = DiskStore(root)
    kept = [block_for(i) for i in range(5)]
    assert all(store.put(b) for b in kept)
    with caplog.at_level(logging.WARNING):
        shutil.rmtree(root)
        assert store.get(kept[0].key) is None  # its file is gone with the directory: a miss, not a crash
        assert store.put(block_for(50)) is False
        assert not store.contains(kept[1].key) and list(store.keys()) == []
        stats = store.stats()
    assert stats.errors >= 3 and stats.corrupt_dropped == 0  # an error of the directory, not of the entry
    assert any(str(root) in r.getMessage() and "deleted or replaced" in r.getMessage() for r in caplog.records)
    with pytest.raises(DiskStoreError, match="deleted or replaced"):
        store.check_integrity()
    assert not root.exists()  # a detached store recreates nothing behind the user's back
    store.close()
    with DiskStore(root) as fresh:  # reopening starts a new, empty directory
        assert fresh.stats().num_entries == 0 and fresh.put(kept[0]) and fresh.get(kept[0].key) is not None


def _open_descriptors_under(root: Path) -> list[str]:
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return [t for t in targets if t.startswith(str(root))]


def test_opening_a_read_only_directory_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "kv"
    with DiskStore(root) as store:
        assert store.put(block_for(0))
    with read_only(root):
        with pytest.raises(DirectoryUnusableError, match=re.escape(str(root))):
            DiskStore(root)
        assert _open_descriptors_under(root) == []  # nothing left open by the failed attempt
    with DiskStore(root) as store:
        assert store.get(block_for(0).key) is not None and store.check_integrity(deep=True).ok
