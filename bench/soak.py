"""Disk-tier soak: K processes x M seconds of mixed operations on one cache directory, then a deep verify;
then the same with one writer killed (SIGKILL) every S seconds and replaced by a new process.

    .venv/bin/python bench/soak.py [--procs 4] [--seconds 60] [--kill-every 10] [--block-kb 16]
        [--capacity-mb 4096] [--dir DIR] [--json bench/results/soak.json]

Each process: put a new block of its own 45 %, get one of its own 30 %, get anyone's 15 %, delete one of
its own 8 %, a shallow integrity check 1.5 %, gc 0.5 %. It keeps a ledger (`P i` before a put, `A i` once
the put returned True, `D i` before a delete, `C n` operations so far), flushed as it goes, so whatever
instant it is killed at, the ledger says which entries must still be there. The capacity is ample, so no
entry is evicted: every acknowledged, undeleted entry must survive.

Reported per scenario: operations per second (all processes), lost entries (acknowledged, not deleted,
missing at the end: must be 0), foreign entries (present but never written: must be 0), bad reads (a get
that returned other bytes: must be 0), integrity problems of the final deep verify, and again after gc has
removed the killed writers' leftovers (must be 0), and degraded calls (errors). Not a test: it prints a
table and writes JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import ROOT, block_hash
from loopcache.kvcache.disk import STALE_AFTER_S, DiskStore

REPO = Path(__file__).resolve().parents[1]


def make_block(writer: int, i: int, nbytes: int) -> KVBlock:
    """Block `i` of writer incarnation `writer`; its bytes derive from its key, so any copy can be checked."""
    key = block_hash(ROOT, f"w{writer}", "soak", [i])
    seed = int.from_bytes(hashlib.sha256(key.digest).digest()[:8], "little")
    payload = np.random.default_rng(seed).integers(0, 256, nbytes, dtype=np.uint8)
    return KVBlock(key, ROOT, f"w{writer}", "soak", (i,), "uint8", (nbytes,), payload)


# ---- one worker process ------------------------------------------------------------------------------------

def work(root: Path, writer: int, seed: int, ledger_path: Path, deadline: float, capacity: int, nbytes: int,
         num_writers_hint: int) -> None:
    rng = random.Random(seed)
    mine: list[int] = []
    ops = bad = problems = 0
    with DiskStore(root, capacity_bytes=capacity) as store, open(ledger_path, "a") as ledger:
        def note(line: str) -> None:
            ledger.write(line + "\n")
            ledger.flush()

        next_i = 0
        while time.time() < deadline:
            r = rng.random()
            if r < 0.45:
                note(f"P {next_i}")
                if store.put(make_block(writer, next_i, nbytes)):
                    note(f"A {next_i}")
                    mine.append(next_i)
                next_i += 1
            elif r < 0.90:
                w, i = (writer, rng.choice(mine)) if r < 0.75 and mine else (
                    rng.randrange(num_writers_hint), rng.randrange(next_i + 1))
                want = make_block(w, i, nbytes)
                got = store.get(want.key)
                bad += got is not None and got.payload.tobytes() != want.payload.tobytes()
            elif r < 0.98:
                if mine:
                    i = mine.pop(rng.randrange(len(mine)))
                    note(f"D {i}")
                    store.delete(make_block(writer, i, nbytes).key)
            elif r < 0.995:
                problems += len(store.check_integrity().problems)  # while the others write: must stay 0
            else:
                store.gc()
            ops += 1
            if ops % 50 == 0:
                note(f"C {ops} {bad} {problems} {store.stats().errors}")
        note(f"C {ops} {bad} {problems} {store.stats().errors}")


# ---- the supervisor ----------------------------------------------------------------------------------------

@dataclass
class Ledger:
    must: set[int]
    may: set[int]
    ops: int
    bad: int
    problems: int
    errors: int


def read_ledger(path: Path) -> Ledger:
    must: set[int] = set()
    may: set[int] = set()
    ops = bad = problems = errors = 0
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 2 or not all(p.isdigit() for p in parts[1:]):
            continue  # a line cut by the kill
        op, i = parts[0], int(parts[1])
        if op == "P":
            may.add(i)
        elif op == "A":
            must.add(i)
        elif op == "D":
            must.discard(i)
        elif op == "C" and len(parts) == 5:
            ops, bad, problems, errors = i, int(parts[2]), int(parts[3]), int(parts[4])
    return Ledger(must, may, ops, bad, problems, errors)


@dataclass(frozen=True)
class Result:
    scenario: str
    procs: int
    seconds: float
    kills: int
    ops: int
    ops_per_s: float
    entries_at_end: int
    lost_entries: int
    foreign_entries: int
    bad_reads: int
    problems_during: int  # reported by the workers' own integrity checks while all of them wrote
    integrity_problems: int
    integrity_problems_after_gc: int
    leftovers_removed_by_gc: int
    errors: int


def run_scenario(name: str, root: Path, procs: int, seconds: float, kill_every: float, capacity: int,
                 nbytes: int) -> Result:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    ledgers = root.parent / f"{root.name}-ledgers"
    shutil.rmtree(ledgers, ignore_errors=True)
    ledgers.mkdir()
    deadline = time.time() + seconds
    live: dict[int, subprocess.Popen[bytes]] = {}
    incarnations = 0

    def spawn() -> None:
        nonlocal incarnations
        writer, incarnations = incarnations, incarnations + 1
        args = [sys.executable, __file__, "--worker", str(root), str(writer), str(1000 + writer),
                str(ledgers / f"{writer}.log"), repr(deadline), str(capacity), str(nbytes), str(procs)]
        live[writer] = subprocess.Popen(args, cwd=REPO)

    t0 = time.time()
    for _ in range(procs):
        spawn()
    kills, rng = 0, random.Random(7)
    next_kill = t0 + kill_every if kill_every > 0 else float("inf")
    while any(p.poll() is None for p in live.values()):
        if time.time() >= next_kill and time.time() < deadline - 1:
            victim = rng.choice([w for w, p in live.items() if p.poll() is None])
            live[victim].send_signal(signal.SIGKILL)
            live[victim].wait()
            kills += 1
            spawn()
            next_kill += kill_every
        time.sleep(0.05)
    elapsed = time.time() - t0
    failed = [w for w, p in live.items() if p.returncode not in (0, -signal.SIGKILL)]
    if failed:
        raise SystemExit(f"{name}: worker(s) {failed} failed")

    books = {w: read_ledger(ledgers / f"{w}.log") for w in range(incarnations)}
    with DiskStore(root, capacity_bytes=capacity) as store:
        problems = len(store.check_integrity(deep=True).problems)
        present = set(store.keys())
        lost = sum(1 for w, b in books.items() for i in b.must if make_block(w, i, nbytes).key not in present)
        written = {make_block(w, i, nbytes).key for w, b in books.items() for i in b.may}
        foreign = len(present - written)
        bad = sum(b.bad for b in books.values())
        by_key = {make_block(w, i, nbytes).key: (w, i) for w, b in books.items() for i in b.may}
        for key in present & set(by_key):
            got = store.get(key)
            bad += got is None or got.payload.tobytes() != make_block(*by_key[key], nbytes).payload.tobytes()
    later = time.time() + STALE_AFTER_S + 1  # the killed writers' reservations and temp files are stale now
    with DiskStore(root, capacity_bytes=capacity, clock=lambda: later) as store:
        leftovers = store.gc()
        problems_after = len(store.check_integrity(deep=True).problems)
    ops = sum(b.ops for b in books.values())
    return Result(name, procs, round(elapsed, 1), kills, ops, round(ops / elapsed, 1), len(present), lost, foreign,
                  bad, sum(b.problems for b in books.values()), problems, problems_after, leftovers,
                  sum(b.errors for b in books.values()))


def print_table(results: list[Result]) -> None:
    cols = ["scenario", "procs", "seconds", "kills", "ops", "ops_per_s", "entries_at_end", "lost_entries",
            "foreign_entries", "bad_reads", "problems_during", "integrity_problems", "integrity_problems_after_gc",
            "leftovers_removed_by_gc", "errors"]
    rows = [[str(getattr(r, c)) for c in cols] for r in results]
    widths = [max(len(c), *(len(row[k]) for row in rows)) for k, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        root, writer, seed, ledger, deadline, capacity, nbytes, hint = sys.argv[2:10]
        work(Path(root), int(writer), int(seed), Path(ledger), float(deadline), int(capacity), int(nbytes),
             int(hint))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kill-every", type=float, default=10.0, help="seconds between kills in the second run")
    parser.add_argument("--block-kb", type=int, default=16)
    parser.add_argument("--capacity-mb", type=int, default=4096)
    parser.add_argument("--dir", type=Path, default=None, help="where the cache directory goes (default: a "
                        "temporary directory on the same disk as /tmp, removed afterwards)")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "soak.json")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="loopcache-soak-"))
    capacity, nbytes = args.capacity_mb * 2**20, args.block_kb * 1024
    try:
        results = [run_scenario("no kills", base / "calm", args.procs, args.seconds, 0, capacity, nbytes),
                   run_scenario(f"kill -9 every {args.kill_every:g} s", base / "killed", args.procs, args.seconds,
                                args.kill_every, capacity, nbytes)]
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"command": " ".join(sys.argv), "cpus": os.cpu_count(),
                                     "results": [asdict(r) for r in results]}, indent=2))
    print(f"wrote {args.json}")
    if any(r.lost_entries or r.foreign_entries or r.bad_reads or r.problems_during or r.integrity_problems
           or r.integrity_problems_after_gc for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
