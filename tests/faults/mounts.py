"""Real small or read-only filesystems for fault tests, always cleaned up.

Where mounting is not permitted (not root, no `mount`, a container without the capability) the test is
skipped with the reason; an injected-error variant of the same fault always runs beside it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(path: Path, size_bytes: int) -> Iterator[Path]:
    """A fresh tmpfs of `size_bytes` mounted at `path` (created if needed)."""
    path.mkdir(parents=True, exist_ok=True)
    _mount_or_skip(["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0755", "tmpfs", str(path)])
    try:
        yield path
    finally:
        _umount(path)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` turns read-only for every new lookup (a read-only bind mount over itself), as when a disk is
    remounted read-only or a directory loses its write permission: files a process already has open stay
    writable through their descriptors, every new file, rename or unlink fails with EROFS."""
    _mount_or_skip(["mount", "--bind", str(path), str(path)])
    try:
        done = subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only here ({done.stderr.strip()}); the injected variant runs")
        yield
    finally:
        _umount(path)


def _mount_or_skip(command: list[str]) -> None:
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command here; the injected-error variant of this fault runs instead")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting is not permitted here ({done.stderr.strip()}); the injected-error variant runs")


def _umount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], check=True)  # still in use: detach now, free when unused
