"""DiskStore: round trips, persistence across instances and processes, TTL, hard capacity with LRU, corruption,
crash safety under SIGKILL, and concurrent threads and processes. Opening, busy and damaged indexes:
test_disk_index.py; storage faults and contention: tests/faults/."""

from __future__ import annotations

import inspect
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from loopcache.kvcache.block import KVBlock, encoded_size
from loopcache.kvcache.block_hash import ROOT, BlockHash, block_hash
from loopcache.kvcache.disk import STALE_AFTER_S, DiskStore, StoreClosedError
from loopcache.kvcache.store import Store

REPO = Path(__file__).resolve().parents[2]


def make_block(i: int) -> KVBlock:
    """Block number `i`: 1-4 KB whose payload is derived from its key, so any copy can be verified."""
    key = block_hash(ROOT, "ns", "fp", [i])
    n = 1024 + key.digest[0] * 12
    payload = np.random.default_rng(int.from_bytes(key.digest[:8], "little")).integers(0, 256, n, dtype=np.uint8)
    return KVBlock(key, ROOT, "ns", "fp", (i,), "uint8", (n,), payload)


EXPECTED = {make_block(i).key: i for i in range(400)}

_PRELUDE = (
    "import sys\nimport numpy as np\nfrom pathlib import Path\n"
    "from loopcache.kvcache.block import KVBlock\nfrom loopcache.kvcache.block_hash import ROOT, block_hash\n"
    "from loopcache.kvcache.disk import DiskStore\n\n" + inspect.getsource(make_block)
)


def spawn(code: str, *args: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", _PRELUDE + code, *map(str, args)], env=env, cwd=REPO)


def assert_same(got: KVBlock | None, want: KVBlock) -> None:
    assert got is not None
    assert (got.key, got.parent, got.namespace, got.fingerprint) == (want.key, want.parent, "ns", "fp")
    assert (got.token_ids, got.dtype, got.shape) == (want.token_ids, want.dtype, want.shape)
    assert got.payload.tobytes() == want.payload.tobytes()


def assert_exact(got: KVBlock | None) -> None:
    """`got` is byte-exact to the test block its key names."""
    assert got is not None
    assert_same(got, make_block(EXPECTED[got.key]))


def block_files(root: Path) -> dict[str, int]:
    """Name -> size of every block file (a file unlinked while listing is skipped)."""
    sizes = {}
    for f in (root / "blocks").glob("*/*.kv"):
        try:
            sizes[f.name] = f.stat().st_size
        except FileNotFoundError:
            pass
    return sizes


def dir_bytes(root: Path) -> int:
    """Bytes of block files and temp files."""
    return sum(block_files(root).values()) + sum(f.stat().st_size for f in (root / "tmp").iterdir())


def file_of(root: Path, key: BlockHash) -> Path:
    return root / "blocks" / key.hex[:2] / f"{key.hex}.kv"


def ticking(start: float = 1_000_000.0) -> Callable[[], float]:
    """A clock that advances one second per call (strict LRU order)."""
    now = [start]

    def clock() -> float:
        now[0] += 1.0
        return now[0]

    return clock


def assert_ok(store: DiskStore, deep: bool = False) -> None:
    report = store.check_integrity(deep=deep)
    assert report.ok, report.problems


def test_round_trip_miss_delete_keys_and_stats(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    assert isinstance(store, Store)
    b0, b1 = make_block(0), make_block(1)
    assert store.get(b0.key) is None
    assert store.put(b0) and store.put(b1)
    assert_ok(store, deep=True)
    assert_same(store.get(b0.key), b0)
    assert store.contains(b1.key) and not store.contains(make_block(2).key)
    assert set(store.keys()) == {b0.key, b1.key}
    assert set(block_files(tmp_path)) == {f"{b0.key.hex}.kv", f"{b1.key.hex}.kv"}
    assert store.delete(b1.key) and not store.delete(b1.key)
    assert not file_of(tmp_path, b1.key).exists()
    assert store.get(b1.key) is None
    stats = store.stats()
    assert (stats.hits, stats.misses, stats.puts, stats.num_entries) == (1, 2, 2, 1)
    assert stats.bytes_used == encoded_size(b0) == sum(block_files(tmp_path).values())
    assert_ok(store, deep=True)
    store.clear()
    assert list(store.keys()) == [] and block_files(tmp_path) == {} and store.stats().bytes_used == 0
    assert_ok(store)


def test_reput_keeps_the_file_and_refreshes_expiry(tmp_path: Path) -> None:
    now = [1000.0]
    store = DiskStore(tmp_path, ttl_s=100, clock=lambda: now[0])
    block = make_block(0)
    assert store.put(block)
    mtime = file_of(tmp_path, block.key).stat().st_mtime_ns
    now[0] = 1090.0
    assert store.put(block)
    assert file_of(tmp_path, block.key).stat().st_mtime_ns == mtime
    now[0] = 1150.0  # past the first expiry, before the refreshed one
    assert_same(store.get(block.key), block)
    assert store.stats().num_entries == 1
    assert_ok(store)


def test_invalid_arguments(tmp_path: Path) -> None:
    for capacity in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="capacity_bytes"):
            DiskStore(tmp_path, capacity_bytes=capacity)  # type: ignore[arg-type]
    for ttl in (0, -5, float("nan")):
        with pytest.raises(ValueError, match="ttl_s"):
            DiskStore(tmp_path, ttl_s=ttl)


def test_close_is_idempotent_and_degrades(tmp_path: Path) -> None:
    with DiskStore(tmp_path) as store:
        assert store.put(make_block(0))
    store.close()
    assert store.put(make_block(1)) is False
    assert store.get(make_block(0).key) is None
    assert not store.contains(make_block(0).key) and list(store.keys()) == []
    with pytest.raises(StoreClosedError):
        store.stats()
    with DiskStore(tmp_path) as again:
        assert_same(again.get(make_block(0).key), make_block(0))


def test_second_instance_and_other_process_find_blocks(tmp_path: Path) -> None:
    with DiskStore(tmp_path) as first:
        assert first.put(make_block(0))
    with DiskStore(tmp_path) as second:
        assert_same(second.get(make_block(0).key), make_block(0))
    code = "s = DiskStore(Path(sys.argv[1]))\nfor i in range(1, 6): assert s.put(make_block(i))\ns.close()\n"
    assert spawn(code, tmp_path).wait(timeout=60) == 0
    with DiskStore(tmp_path) as third:
        assert_ok(third, deep=True)
        assert {EXPECTED[k] for k in third.keys()} == set(range(6))
        for i in range(6):
            assert_same(third.get(make_block(i).key), make_block(i))


def test_ttl_expired_entries_are_not_served_and_gc_removes_them(tmp_path: Path) -> None:
    now = [1000.0]
    store = DiskStore(tmp_path, ttl_s=100, clock=lambda: now[0])
    b0, b1, b2 = make_block(0), make_block(1), make_block(2)
    assert store.put(b0) and store.put(b1)
    now[0] = 1090.0
    assert_same(store.get(b0.key), b0)  # a hit refreshes last_access, not the expiry
    assert store.put(b2)
    now[0] = 1101.0
    assert not store.contains(b0.key)
    assert set(store.keys()) == {b2.key}
    assert store.get(b0.key) is None
    assert not file_of(tmp_path, b0.key).exists()
    assert store.stats().expired == 1
    assert_ok(store)
    assert store.gc() == 1  # b1
    assert not file_of(tmp_path, b1.key).exists()
    assert store.stats().expired == 2 and store.stats().num_entries == 1
    assert store.stats().bytes_used == encoded_size(b2) == sum(block_files(tmp_path).values())
    now[0] = 1200.0
    assert store.gc() == 1 and block_files(tmp_path) == {}
    assert_ok(store, deep=True)


def test_capacity_is_hard_and_evicts_least_recently_used(tmp_path: Path) -> None:
    blocks = [make_block(i) for i in range(40)]
    capacity = sum(encoded_size(b) for b in blocks[:5])
    store = DiskStore(tmp_path, capacity_bytes=capacity, clock=ticking())
    for b in blocks[:5]:
        assert store.put(b)
    assert store.stats().bytes_used == capacity
    assert_same(store.get(blocks[0].key), blocks[0])  # now the most recently used
    assert store.put(blocks[5])
    assert store.contains(blocks[0].key) and not store.contains(blocks[1].key)
    for b in blocks[6:]:
        assert store.put(b)
        assert store.get(b.key) is not None
        used = sum(block_files(tmp_path).values())
        assert used <= capacity and used == store.stats().bytes_used
    assert_ok(store, deep=True)
    assert set(store.keys()) == {b.key for b in blocks[-len(block_files(tmp_path)) :]}
    stats = store.stats()
    assert stats.evictions == 40 - stats.num_entries and stats.rejected == 0

    big = np.zeros(capacity + 1, dtype=np.uint8)
    oversized = KVBlock(block_hash(ROOT, "ns", "fp", [999]), ROOT, "ns", "fp", (999,), "uint8", (big.size,), big)
    assert not store.put(oversized)
    assert store.stats().rejected == 1 and not store.contains(oversized.key)
    assert store.stats().num_entries == stats.num_entries
    store.close()

    with DiskStore(tmp_path, capacity_bytes=capacity // 2) as smaller:  # reopening smaller shrinks at once
        assert sum(block_files(tmp_path).values()) == smaller.stats().bytes_used <= capacity // 2
        assert smaller.stats().num_entries >= 1
        assert_ok(smaller, deep=True)


def _corrupt(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[:-10]
    elif how == "payload":
        data[-1] ^= 0xFF
    elif how == "header":
        data[30] ^= 0x01  # inside the JSON header
    elif how == "magic":
        data[0] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncated", "payload", "header", "magic", "missing", "other key"])
def test_corrupt_entry_is_dropped_and_can_be_stored_again(tmp_path: Path, how: str) -> None:
    store = DiskStore(tmp_path)
    block, other = make_block(0), make_block(1)
    assert store.put(block) and store.put(other)
    path = file_of(tmp_path, block.key)
    if how == "missing":
        path.unlink()
    elif how == "other key":
        path.write_bytes(file_of(tmp_path, other.key).read_bytes())
    else:
        _corrupt(path, how)
    assert store.get(block.key) is None
    assert not path.exists() and not store.contains(block.key)
    stats = store.stats()
    assert (stats.corrupt_dropped, stats.misses, stats.num_entries) == (1, 1, 1)
    assert stats.bytes_used == encoded_size(other)
    assert_ok(store, deep=True)
    assert store.put(block)
    assert_same(store.get(block.key), block)
    assert_same(store.get(other.key), other)
    assert_ok(store, deep=True)


def test_check_integrity_reports_and_drops_bad_entries(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    blocks = [make_block(i) for i in range(4)]
    for b in blocks:
        assert store.put(b)
    file_of(tmp_path, blocks[0].key).unlink()
    _corrupt(file_of(tmp_path, blocks[1].key), "payload")  # same size: only a deep check sees it
    shallow = store.check_integrity()
    assert shallow.num_checked == 4 and shallow.num_fixed == 1 and len(shallow.problems) == 1
    assert "missing" in shallow.problems[0]
    deep = store.check_integrity(deep=True)
    assert deep.num_checked == 3 and deep.num_fixed == 1 and "checksum" in deep.problems[0]
    assert set(store.keys()) == {blocks[2].key, blocks[3].key}
    assert store.stats().bytes_used == sum(block_files(tmp_path).values())
    assert_ok(store, deep=True)


def test_gc_removes_crash_leftovers(tmp_path: Path) -> None:
    now = [time.time()]
    store = DiskStore(tmp_path, clock=lambda: now[0])
    kept, dying, reserved = make_block(0), make_block(2), make_block(3)
    assert store.put(kept) and store.put(dying) and store.put(reserved)
    with store._index.txn() as db:  # a remover killed before unlinking; a writer killed before committing `ready`
        db.execute("UPDATE entries SET state = 2 WHERE key = ?", (dying.key.hex,))
        db.execute("UPDATE entries SET state = 0 WHERE key = ?", (reserved.key.hex,))
    orphan = file_of(tmp_path, make_block(1).key)  # only after a power loss or meddling
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"no row")
    (tmp_path / "tmp" / "fresh.tmp").write_bytes(b"x")
    old_temp = tmp_path / "tmp" / "old.tmp"
    old_temp.write_bytes(b"x")
    os.utime(old_temp, (now[0] - STALE_AFTER_S - 5, now[0] - STALE_AFTER_S - 5))
    assert_ok(store, deep=True)  # leftovers are benign, not problems
    assert set(store.keys()) == {kept.key}
    assert store.get(dying.key) is None and store.get(reserved.key) is None
    assert store.gc() == 3  # the dying entry, the orphan and the old temp file; the reservation is young
    assert not orphan.exists() and not old_temp.exists() and (tmp_path / "tmp" / "fresh.tmp").exists()
    assert not file_of(tmp_path, dying.key).exists() and file_of(tmp_path, reserved.key).exists()
    assert store.stats().bytes_used == encoded_size(kept) + encoded_size(reserved)
    now[0] += STALE_AFTER_S + 1
    assert store.gc() == 2  # the stale reservation (and its placed file) and the other temp file
    assert set(block_files(tmp_path)) == {f"{kept.key.hex}.kv"}
    assert store.stats().bytes_used == encoded_size(kept)
    assert_same(store.get(kept.key), kept)
    assert store.put(reserved) and store.put(dying)
    assert_ok(store, deep=True)


def test_a_file_is_unlinked_only_while_its_row_still_counts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes of a file are freed in the index only after the file is gone (the hard limit under races)."""
    capacity = sum(encoded_size(make_block(i)) for i in range(3))
    store = DiskStore(tmp_path, capacity_bytes=capacity)
    index = sqlite3.connect(tmp_path / "index.sqlite3")
    real_unlink = os.unlink
    counted: list[bool] = []

    def unlink(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> None:
        f = Path(path)
        if f.suffix == ".kv":
            row = index.execute("SELECT nbytes FROM entries WHERE key = ?", (f.stem,)).fetchone()
            counted.append(row is not None and row[0] == f.stat().st_size)
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    for i in range(8):  # five evictions
        assert store.put(make_block(i))
    assert store.delete(make_block(7).key)
    _corrupt(file_of(tmp_path, make_block(6).key), "payload")
    assert store.get(make_block(6).key) is None
    monkeypatch.undo()
    index.close()
    assert len(counted) >= 7 and all(counted)
    assert_ok(store, deep=True)


def test_a_delete_during_a_write_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DiskStore(tmp_path)
    block = make_block(0)
    real_fsync = os.fsync
    deleted: list[bool] = []

    def fsync(fd: int) -> None:
        if not deleted:  # the temp file is written, not yet placed
            deleted.append(store.delete(block.key))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert not store.put(block)
    monkeypatch.undo()
    assert deleted == [True]
    assert not store.contains(block.key) and store.stats().bytes_used == 0
    assert block_files(tmp_path) == {} and list((tmp_path / "tmp").iterdir()) == []
    assert_ok(store, deep=True)
    assert store.put(block)
    assert_same(store.get(block.key), block)


_WRITER_LOOP = """
store = DiskStore(Path(sys.argv[1]), capacity_bytes=int(sys.argv[2]))
i = 0
while True:
    store.put(make_block(i % 400))
    if i % 3 == 0:
        store.get(make_block((i * 7) % 400).key)
    if i % 11 == 0:
        store.delete(make_block((i * 5) % 400).key)
    i += 1
"""


@pytest.mark.parametrize("extra_delay_s", [0.0, 0.137])
def test_sigkill_mid_write_leaves_a_reopenable_store(tmp_path: Path, extra_delay_s: float) -> None:
    capacity = 150_000  # ~50 blocks: the writer evicts while it is killed
    proc = spawn(_WRITER_LOOP, tmp_path, capacity)
    try:
        deadline = time.monotonic() + 60
        while len(block_files(tmp_path)) < 40:
            assert proc.poll() is None, "writer died on its own"
            assert time.monotonic() < deadline, "writer too slow"
            time.sleep(0.02)
        time.sleep(extra_delay_s)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    later = [time.time() + STALE_AFTER_S + 1]  # so that gc sees the dead writer's reservation as stale
    assert dir_bytes(tmp_path) <= capacity  # the limit holds across the crash, before any repair
    store = DiskStore(tmp_path, capacity_bytes=capacity, clock=lambda: later[0])
    assert_ok(store, deep=True)
    keys = list(store.keys())
    assert len(keys) >= 20
    for key in keys:
        assert_exact(store.get(key))
    store.gc()
    assert list((tmp_path / "tmp").iterdir()) == []
    assert set(block_files(tmp_path)) == {f"{k.hex}.kv" for k in store.keys()}
    assert sum(block_files(tmp_path).values()) == store.stats().bytes_used <= capacity
    assert store.put(make_block(399)) and store.get(make_block(399).key) is not None
    assert_ok(store, deep=True)


_CRASH_AT_STEP = """
import os
import loopcache.kvcache.block_files as block_files
store = DiskStore(Path(sys.argv[1]), capacity_bytes=int(sys.argv[2]))
for i in range(3):
    assert store.put(make_block(i))
crash_at, steps = int(sys.argv[3]), [0]

def step() -> None:
    if steps[0] == crash_at:
        os._exit(137)
    steps[0] += 1

def before(real):
    def call(*args, **kwargs):
        step()
        return real(*args, **kwargs)
    return call

def after(real):
    def call(*args, **kwargs):
        result = real(*args, **kwargs)
        step()
        return result
    return call

os.fsync, os.replace, os.unlink = before(os.fsync), before(os.replace), before(os.unlink)
block_files.fsync_dir = after(block_files.fsync_dir)
assert store.put(make_block(3))
print(steps[0])
"""


def test_crash_before_each_filesystem_step_of_a_put(tmp_path: Path) -> None:
    """Kill the writer (os._exit) before each unlink, fsync and rename of a put that evicts, and after its
    last directory fsync (before `ready` commits): every crash point leaves a consistent, reopenable store."""
    capacity = sum(encoded_size(make_block(i)) for i in range(3))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    count = subprocess.run(
        [sys.executable, "-c", _PRELUDE + _CRASH_AT_STEP, str(tmp_path / "count"), str(capacity), "-1"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )
    num_steps = int(count.stdout)
    assert num_steps >= 5  # unlink victim, fsync tmp, rename, fsync dir, after it (+ a new subdir's fsync)
    for crash_at in range(num_steps):
        root = tmp_path / str(crash_at)
        assert spawn(_CRASH_AT_STEP, root, capacity, crash_at).wait(timeout=60) == 137
        assert dir_bytes(root) <= capacity
        later = [time.time() + STALE_AFTER_S + 1]
        with DiskStore(root, capacity_bytes=capacity, clock=lambda: later[0]) as store:
            assert_ok(store, deep=True)
            keys = set(store.keys())
            assert make_block(0).key not in keys  # evicted (least recently used) before any step ran
            for key in keys:
                assert_exact(store.get(key))
            store.gc()
            assert list((root / "tmp").iterdir()) == []
            assert set(block_files(root)) == {f"{k.hex}.kv" for k in store.keys()}
            assert sum(block_files(root).values()) == store.stats().bytes_used <= capacity
            assert store.put(make_block(3))
            assert_exact(store.get(make_block(3).key))
            assert_ok(store, deep=True)


def test_two_threads_put_and_get_concurrently(tmp_path: Path) -> None:
    capacity = 60_000  # ~20 blocks for 60 keys: constant eviction
    store = DiskStore(tmp_path, capacity_bytes=capacity)
    errors: list[BaseException] = []
    served = [0]

    def work(ids: range) -> None:
        try:
            for i in ids:
                store.put(make_block(i))
                for j in (i, i - 7, i + 3):
                    got = store.get(make_block(j % 60).key)
                    if got is not None:
                        assert_exact(got)
                        served[0] += 1
                assert sum(block_files(tmp_path).values()) <= capacity
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            raise

    threads = [threading.Thread(target=work, args=(r,)) for r in (range(0, 40), range(20, 60))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert served[0] > 0
    assert_ok(store, deep=True)
    assert sum(block_files(tmp_path).values()) == store.stats().bytes_used <= capacity
    assert store.stats().corrupt_dropped == 0
    for key in store.keys():
        assert_exact(store.get(key))


def test_two_processes_write_into_one_directory(tmp_path: Path) -> None:
    capacity = 60_000
    code = (
        "s = DiskStore(Path(sys.argv[1]), capacity_bytes=int(sys.argv[2]))\n"
        "stored = 0\n"
        "for i in range(int(sys.argv[3]), int(sys.argv[3]) + 40):\n"
        "    stored += s.put(make_block(i % 60))  # False only if the other process is removing that key\n"
        "    g = s.get(make_block((i * 3) % 60).key)\n"
        "    assert g is None or g.payload.tobytes() == make_block((i * 3) % 60).payload.tobytes()\n"
        "assert s.stats().corrupt_dropped == 0\n"
        "assert stored >= 30, stored\n"
    )
    procs = [spawn(code, tmp_path, capacity, start) for start in (0, 20)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with DiskStore(tmp_path, capacity_bytes=capacity) as store:
        assert_ok(store, deep=True)
        assert list((tmp_path / "tmp").iterdir()) == []
        assert set(block_files(tmp_path)) == {f"{k.hex}.kv" for k in store.keys()}
        assert sum(block_files(tmp_path).values()) == store.stats().bytes_used <= capacity
        assert store.stats().num_entries > 0
        for key in store.keys():
            assert_exact(store.get(key))
