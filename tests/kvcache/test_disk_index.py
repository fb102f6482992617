"""Opening a disk tier's index: busy is waited for and never repaired; only proven damage rebuilds, once,
under the directory lock, and never while another process holds the index open."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.disk_errors import IndexBusyError, NewerIndexError
from tests.kvcache.blocks import block_for

REPO = Path(__file__).resolve().parents[2]
NUM_BLOCKS = 10

# Holds a lock, prints "ready", releases it when a line arrives on stdin.
_HOLD_SQLITE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "rollback":
    db.execute("PRAGMA journal_mode=DELETE")
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE usage SET nbytes = nbytes")
print("ready", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""
_HOLD_FLOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("ready", flush=True)
sys.stdin.readline()
"""
_HOLD_STORE = """
import sys
from pathlib import Path
from loopcache.kvcache.disk import DiskStore
store = DiskStore(Path(sys.argv[1]))
print("ready", store.stats().num_entries, flush=True)
sys.stdin.readline()
store.close()
"""
_OPEN_AND_REPORT = """
import sys
from pathlib import Path
from loopcache.kvcache.disk import DiskStore
with DiskStore(Path(sys.argv[1])) as store:
    assert store.check_integrity(deep=True).ok
    print(store.stats().num_entries, store.rebuilt is not None, flush=True)
"""


class Holder:
    """A process that holds a lock until released."""

    def __init__(self, code: str, *args: object) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
        assert self.proc.stdout is not None
        self.first_line = self.proc.stdout.readline()
        assert self.first_line.startswith("ready"), "the holder failed to take its lock"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
        assert self.proc.wait(timeout=60) == 0


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.proc.poll() is None:
            holder.proc.kill()
            holder.proc.wait(timeout=30)


def populate(root: Path) -> None:
    with DiskStore(root) as store:
        for i in range(NUM_BLOCKS):
            assert store.put(block_for(i))


def aside_files(root: Path) -> list[Path]:
    return sorted(root.glob("index.sqlite3.corrupt-*"))


def assert_all_there(root: Path, extra: int = 0) -> None:
    with DiskStore(root) as store:
        report = store.check_integrity(deep=True)
        assert report.ok, report.problems
        assert store.stats().num_entries == NUM_BLOCKS + extra
        for i in range(NUM_BLOCKS):
            got = store.get(block_for(i).key)
            assert got is not None and got.payload.tobytes() == block_for(i).payload.tobytes()


def test_a_write_locked_index_is_waited_for_and_never_moved_aside(tmp_path: Path, holders: list[Holder]) -> None:
    """The reported failure: another process holds BEGIN EXCLUSIVE while a store opens and writes."""
    populate(tmp_path)
    inode = (tmp_path / "index.sqlite3").stat().st_ino
    holders.append(holder := Holder(_HOLD_SQLITE, tmp_path / "index.sqlite3", "wal"))
    store = DiskStore(tmp_path, busy_timeout_s=1.0)  # WAL: opening only reads, so it does not wait
    try:
        assert store.contains(block_for(0).key)
        assert store.put(block_for(NUM_BLOCKS)) is False  # waited for the bound, then dropped
        assert store.stats().errors == 1 and store.stats().write_failures == 1
        with pytest.raises(IndexBusyError, match=re.escape(str(tmp_path))):
            store.gc()
        assert aside_files(tmp_path) == [] and (tmp_path / "index.sqlite3").stat().st_ino == inode
        holder.release()
        assert store.put(block_for(NUM_BLOCKS)) is True
    finally:
        store.close()
    assert_all_there(tmp_path, extra=1)


def test_a_locked_index_fails_the_open_clearly_after_the_bound(tmp_path: Path, holders: list[Holder]) -> None:
    """In rollback-journal mode an exclusive lock blocks readers too: the open itself must wait, then give up
    with an error that names the directory, moving nothing."""
    populate(tmp_path)
    inode = (tmp_path / "index.sqlite3").stat().st_ino
    holders.append(holder := Holder(_HOLD_SQLITE, tmp_path / "index.sqlite3", "rollback"))
    with pytest.raises(IndexBusyError, match=f"{re.escape(str(tmp_path))}.*index busy"):
        DiskStore(tmp_path, busy_timeout_s=1.0)
    assert aside_files(tmp_path) == [] and (tmp_path / "index.sqlite3").stat().st_ino == inode
    holder.release()
    assert_all_there(tmp_path)


def test_an_open_waits_for_a_lock_held_less_than_the_bound(tmp_path: Path, holders: list[Holder]) -> None:
    populate(tmp_path)
    holders.append(holder := Holder(_HOLD_SQLITE, tmp_path / "index.sqlite3", "rollback"))
    opened: list[object] = []
    opener = threading.Thread(target=lambda: opened.append(_open_or_error(tmp_path)))
    opener.start()
    opener.join(timeout=1.0)
    assert opener.is_alive(), "the open cannot have finished while the lock is held"
    holder.release()
    opener.join(timeout=120)
    assert len(opened) == 1 and isinstance(opened[0], DiskStore), opened
    assert opened[0].stats().num_entries == NUM_BLOCKS
    opened[0].close()
    assert aside_files(tmp_path) == []


def _open_or_error(root: Path) -> object:
    try:
        return DiskStore(root, busy_timeout_s=120.0)
    except Exception as exc:  # returned to the test thread
        return exc


def test_an_open_waits_for_a_rebuild_in_another_process(tmp_path: Path, holders: list[Holder]) -> None:
    populate(tmp_path)
    holders.append(rebuilder := Holder(_HOLD_FLOCK, tmp_path / "index.lock"))  # as a rebuild holds it
    with pytest.raises(IndexBusyError, match="rebuilding"):
        DiskStore(tmp_path, busy_timeout_s=0.5)
    opened: list[object] = []
    opener = threading.Thread(target=lambda: opened.append(_open_or_error(tmp_path)))
    opener.start()
    opener.join(timeout=1.0)
    assert opener.is_alive(), "the open cannot have finished during the rebuild"
    rebuilder.release()
    opener.join(timeout=120)
    assert len(opened) == 1 and isinstance(opened[0], DiskStore), opened
    opened[0].close()
    assert_all_there(tmp_path)


def _damage(root: Path, how: str) -> None:
    index = root / "index.sqlite3"
    if how == "not a database":
        index.write_bytes(b"this is not a database" * 200)
    elif how == "corrupt page":
        data = bytearray(index.read_bytes())
        assert len(data) >= 3 * 4096
        data[4096 : 3 * 4096] = bytes(range(256)) * 32  # b-tree pages behind a valid header
        index.write_bytes(bytes(data))
    elif how == "unknown schema":
        index.unlink()
        with sqlite3.connect(index) as db:
            db.execute("CREATE TABLE other (x)")
            db.execute("PRAGMA user_version = 1")
        db.close()
    for extra in ("index.sqlite3-wal", "index.sqlite3-shm"):
        (root / extra).unlink(missing_ok=True)


@pytest.mark.parametrize("how", ["not a database", "corrupt page", "unknown schema"])
def test_proven_damage_is_rebuilt_from_the_block_files(tmp_path: Path, how: str) -> None:
    with DiskStore(tmp_path) as store:
        for i in range(300):  # enough rows for several b-tree pages
            assert store.put(block_for(i, nbytes=64))
    bad = sorted((tmp_path / "blocks").glob("*/*.kv"))[0]
    bad.write_bytes(bad.read_bytes()[:-3])  # one block file is truncated too
    _damage(tmp_path, how)
    with DiskStore(tmp_path) as store:
        assert store.rebuilt is not None and store.rebuilt.num_indexed == 299 and store.rebuilt.num_dropped == 1
        report = store.check_integrity(deep=True)
        assert report.ok, report.problems
        assert store.stats().num_entries == 299  # every intact block is back, the truncated one is gone
        for i in range(300):
            got = store.get(block_for(i, nbytes=64).key)
            assert got is None or got.payload.tobytes() == block_for(i, nbytes=64).payload.tobytes()
    assert aside_files(tmp_path)  # kept for inspection, not deleted
    with DiskStore(tmp_path) as again:
        assert again.rebuilt is None and again.stats().num_entries == 299


def test_a_newer_schema_is_left_alone(tmp_path: Path) -> None:
    populate(tmp_path)
    with sqlite3.connect(tmp_path / "index.sqlite3") as db:
        db.execute("PRAGMA user_version = 2")
    db.close()
    before = (tmp_path / "index.sqlite3").read_bytes()
    with pytest.raises(NewerIndexError, match=f"{re.escape(str(tmp_path))}.*newer loopcache"):
        DiskStore(tmp_path)
    assert aside_files(tmp_path) == [] and (tmp_path / "index.sqlite3").read_bytes() == before


def test_a_damaged_index_held_open_by_another_process_is_not_moved(tmp_path: Path, holders: list[Holder]) -> None:
    """A server has the index open when its file gets damaged: another process must not rebuild under it."""
    populate(tmp_path)
    holders.append(server := Holder(_HOLD_STORE, tmp_path))
    assert server.first_line.split() == ["ready", str(NUM_BLOCKS)]
    _damage_header(tmp_path / "index.sqlite3")
    with pytest.raises(IndexBusyError, match="damaged.*other processes have it open"):
        DiskStore(tmp_path, busy_timeout_s=1.0)
    assert aside_files(tmp_path) == []
    server.release()
    with DiskStore(tmp_path) as store:  # now nobody holds it: rebuilt
        assert store.rebuilt is not None and store.stats().num_entries == NUM_BLOCKS
    assert len({p.name.split("-wal")[0].split("-shm")[0] for p in aside_files(tmp_path)}) == 1


def _damage_header(index: Path) -> None:
    with open(index, "r+b") as fh:  # in place: the holder's descriptors still point at this file
        fh.write(b"garbage, not sqlite")


def test_two_processes_opening_a_damaged_index_rebuild_it_once(tmp_path: Path) -> None:
    populate(tmp_path)
    _damage(tmp_path, "not a database")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN_AND_REPORT, str(tmp_path)], stdout=subprocess.PIPE,
                              text=True, env=env, cwd=REPO) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted(outputs) == [[str(NUM_BLOCKS), "False"], [str(NUM_BLOCKS), "True"]]  # one rebuilt, one reused
    assert len([p for p in aside_files(tmp_path) if not p.name.endswith(("-wal", "-shm"))]) == 1
    assert_all_there(tmp_path)
