"""Lock contention: 4 processes x 250 mixed operations (put, get, delete, gc, integrity check) on one
directory while a busy loop occupies a core. Zero lost entries, zero foreign entries, zero integrity
problems, zero errors, every served block byte-exact; with eviction too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopcache.kvcache.disk import DiskStore
from tests.faults.contention_worker import BLOCK_BYTES, NUM_WORKERS, block

REPO = Path(__file__).resolve().parents[2]
NUM_OPS = 250


@pytest.fixture
def busy_core() -> Iterator[None]:
    """A busy loop on one core for the duration of the test (as on a loaded CI machine)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield
    proc.kill()
    proc.wait(timeout=30)


def read_ledger(path: Path) -> tuple[set[int], set[int]]:
    """(keys that must be there, keys that may be there) of one worker."""
    must: set[int] = set()
    may: set[int] = set()
    for line in path.read_text().splitlines():
        op, i = line.split()
        if op == "P":
            may.add(int(i))
        elif op == "A":
            must.add(int(i))
        else:
            must.discard(int(i))
    return must, may


@pytest.mark.parametrize("evicting", [False, True], ids=["ample", "evicting"])
def test_four_processes_on_one_directory(tmp_path: Path, busy_core: None, evicting: bool) -> None:
    root = tmp_path / "kv"
    capacity = 60 * (BLOCK_BYTES + 512) if evicting else 2**30  # evicting: ~60 blocks for ~500 puts
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ledgers = [tmp_path / f"ledger-{w}" for w in range(NUM_WORKERS)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.faults.contention_worker", str(root), str(w),
                               str(NUM_OPS), str(capacity), str(1000 + w), str(ledgers[w])],
                              stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
             for w in range(NUM_WORKERS)]
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
        results.append(json.loads(out))
    for r in results:
        assert r["ops"] == NUM_OPS
        assert (r["put_failures"], r["bad_reads"], r["integrity_problems"]) == (0, 0, 0), r
        assert (r["errors"], r["write_failures"], r["corrupt_dropped"]) == (0, 0, 0), r
    assert sum(r["hits"] for r in results) > 0
    with DiskStore(root, capacity_bytes=capacity) as store:
        report = store.check_integrity(deep=True)
        assert report.ok, report.problems
        present = set(store.keys())
        assert sum(f.stat().st_size for f in root.glob("blocks/*/*.kv")) == store.stats().bytes_used <= capacity
        written: dict[object, int] = {}  # key -> worker, of every block anybody tried to put
        for w, ledger in enumerate(ledgers):
            must, may = read_ledger(ledger)
            written.update({block(w, i).key: w for i in may})
            lost = {i for i in must if block(w, i).key not in present}
            assert evicting or lost == set(), f"worker {w} lost {sorted(lost)[:10]}"
        assert present <= set(written)  # nothing that nobody wrote
        for key in present:
            got = store.get(key)
            assert got is not None and got.namespace == f"w{written[key]}"
        if evicting:
            assert sum(r["evictions"] for r in results) > 0
