"""The SQLite store: persistence across processes, two processes at once, corrupt files, integrity."""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from loopcache.toolcache.cache import ToolCache
from loopcache.toolcache.key import make_key
from loopcache.toolcache.sqlite_store import SQLiteStore
from loopcache.toolcache.store import Entry, MemoryStore

WORKER = Path(__file__).with_name("cache_worker.py")


def run_worker(db: Path, mode: str, count: int, tag: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), str(db), mode, str(count), tag],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def entry(i: int, scope: str = "session:x") -> Entry:
    args = {"i": i}
    return Entry(make_key("t", "fp", scope, args), "t", "fp", scope, args, {"v": i}, False, 0.0, None, 0.1,
                 b"\x00" * 16)


@pytest.mark.parametrize("make_store", [MemoryStore, lambda: SQLiteStore(":memory:")], ids=["memory", "sqlite"])
def test_store_protocol(make_store) -> None:
    store = make_store()
    for i in range(3):
        store.put(entry(i))
    assert store.get(entry(1).key, now=0).result == {"v": 1}
    assert [v.key for v in store.vectors_since(0)] == [entry(i).key for i in range(3)]
    assert len(store.vectors_since(store.vectors_since(0)[1].seq)) == 1
    assert store.delete([entry(0).key, entry(0).key]) == 1
    assert store.get(entry(0).key, now=0) is None
    assert {e.args["i"] for e in store.entries("session:x", "t")} == {1, 2}
    assert list(store.entries("session:other")) == []
    expiring = dataclasses.replace(entry(9), expires_at=5.0)
    store.put(expiring)
    assert store.get(expiring.key, now=4.0) is not None and store.get(expiring.key, now=5.0) is None
    assert store.purge_expired(now=6.0) == 1
    report = store.check_integrity()
    assert report.ok and report.entries == 2
    store.close()


def test_integrity_check_finds_a_tampered_row(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "c.db") as store:
        store.put(entry(1))
        store._conn.execute("UPDATE entries SET args = ?", ('{"i":2}',))
        report = store.check_integrity()
        assert not report.ok and "key does not match" in report.problems[0]


def test_persistence_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    first = finish(run_worker(db, "shared", 20, "a"))
    second = finish(run_worker(db, "shared", 20, "b"))
    assert (first["runs"], first["hits"]) == (20, 0)
    assert (second["runs"], second["hits"]) == (0, 20)
    assert second["ok"] and second["entries"] == 20


def test_two_processes_at_once(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    workers = [run_worker(db, "own", 150, tag) for tag in ("a", "b")]
    results = [finish(worker) for worker in workers]
    assert all(r["runs"] == 150 and r["ok"] for r in results)
    with ToolCache(db) as cache:
        assert cache.check_integrity().entries == 300
    both = [run_worker(db, "shared", 100, tag) for tag in ("c", "d")]
    shared = [finish(worker) for worker in both]
    assert all(r["ok"] for r in shared)
    assert sum(r["runs"] for r in shared) + sum(r["hits"] for r in shared) == 200


@pytest.mark.parametrize("garbage", [b"this is not a database" * 100, b""], ids=["garbage", "empty-ish"])
def test_corrupt_database_is_moved_aside_and_replaced(tmp_path: Path, caplog, garbage: bytes) -> None:
    db = tmp_path / "cache.db"
    with ToolCache(db) as cache:
        cache.register_tool("t", None, read_only=True)
        cache.call("t", {"x": 1}, lambda x: x)
    db.write_bytes(garbage + b"x" * 5000)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    with caplog.at_level(logging.ERROR, logger="loopcache.toolcache.sqlite_store"):
        with ToolCache(db) as cache:
            cache.register_tool("t", None, read_only=True)
            assert cache.call("t", {"x": 1}, lambda x: x + 1) == 2  # a fresh store: the tool ran
            assert cache.call("t", {"x": 1}, lambda x: x + 100) == 2  # and it caches again
            assert cache.check_integrity().ok
    assert "unreadable" in caplog.text and "fresh store" in caplog.text
    assert len(list(tmp_path.glob("cache.db.corrupt-*"))) == 1


def test_corruption_while_running_recovers(tmp_path: Path, caplog) -> None:
    db = tmp_path / "cache.db"
    cache = ToolCache(db)
    cache.register_tool("t", None, read_only=True)
    cache.call("t", {"x": 1}, lambda x: x)
    cache.store._conn.close()
    db.write_bytes(b"garbage" * 2000)
    cache.store._conn = __import__("sqlite3").connect(db, check_same_thread=False, isolation_level=None)
    with caplog.at_level(logging.ERROR):
        assert cache.call("t", {"x": 1}, lambda x: x + 1) == 2  # a miss, never a crash
        assert cache.call("t", {"x": 1}, lambda x: x + 5) == 2  # fresh store works
    assert "fresh store" in caplog.text
    cache.close()
