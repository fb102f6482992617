"""Storage faults under a running `loopcache serve`: the disk fills, the KV directory turns read-only, the
KV directory is deleted. Every request still succeeds (the disk tier is skipped, never a 500), a clear
warning names the directory in the log, /metrics counts the errors, and the disk tier recovers when the
fault ends. Real filesystems (tests/faults/mounts.py); the injected-error variants of the same faults run
against the DiskStore in test_disk_faults.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.faults.mounts import read_only, tmpfs
from tests.faults.serve import Servers, cli, conversation


def test_the_disk_fills_under_a_server(servers: Servers, tmp_path: Path) -> None:
    size = 6 * 2**20
    with tmpfs(tmp_path / "disk", size) as disk:
        kv = disk / "kv-root"
        server = servers.start(kv)  # configured for 20 GiB on a 6 MiB filesystem
        puts_after_full = 0
        for i in range(8):  # ~1.2 MB of blocks each
            before = (server.disk("loopcache_store_blocks"), server.disk("loopcache_store_evictions_total"),
                      server.disk("loopcache_store_write_failures_total"))
            server.chat(conversation(f"fill{i}", 300), session=f"fill{i}")
            server.wait_written()
            blocks, evictions = server.disk("loopcache_store_blocks"), server.disk("loopcache_store_evictions_total")
            if before[2] > 0:  # the disk was already full before this request: did its writes still land?
                puts_after_full += int(blocks - before[0] + evictions - before[1])
        assert server.disk("loopcache_store_write_failures_total") > 0, "the disk never filled"
        assert server.disk("loopcache_store_evictions_total") > 0  # a full disk evicts...
        assert puts_after_full > 0  # ...so that writes go on
        log = server.log_text()
        assert str(kv / "kv") in log and "No space left on device" in log

        verify = cli("cache", "verify", "--deep", "--cache-dir", str(kv))
        assert verify.returncode == 0 and " 0 problems" in verify.stdout, verify.stdout + verify.stderr
        clear = cli("cache", "clear", "--yes", "--cache-dir", str(kv))  # while the server runs
        assert clear.returncode == 0, clear.stdout + clear.stderr
        assert not list((kv / "kv").glob("blocks/*/*.kv"))
        vfs = os.statvfs(disk)
        kept = sum(f.stat().st_size for f in disk.rglob("*") if f.is_file())  # indexes, registry, WALs, reserve
        assert vfs.f_bavail * vfs.f_frsize >= size - kept - 2**19  # all but those files' space is free again
        server.chat_persisted(conversation("after-clear", 60), session="after")  # its blocks all land
        server.stop()


def test_the_kv_dir_turns_read_only_under_a_server(servers: Servers, tmp_path: Path) -> None:
    kv = tmp_path / "kv-root"
    server = servers.start(kv)
    server.chat_persisted(conversation("before", 60), session="before")
    with read_only(kv / "kv"):
        for i in range(3):
            server.chat(conversation(f"read-only{i}", 60), session=f"ro{i}")
        server.wait_written()
        assert server.disk("loopcache_store_write_failures_total") > 0
        assert server.disk("loopcache_store_errors_total") > 0
    log = server.log_text()
    assert str(kv / "kv") in log and "Read-only file system" in log
    server.chat_persisted(conversation("after", 60), session="after")  # writable again: its blocks land
    assert "writes work again" in server.log_text()
    server.stop()


def test_the_kv_dir_is_deleted_under_a_server(servers: Servers, tmp_path: Path) -> None:
    kv = tmp_path / "kv-root"
    server = servers.start(kv)
    server.chat_persisted(conversation("before", 60), session="before")
    shutil.rmtree(kv)
    for i in range(3):
        server.chat(conversation(f"gone{i}", 60), session=f"gone{i}")
    server.chat(conversation("before", 60), session="before")
    server.wait_written()
    assert server.disk("loopcache_store_errors_total") > 0
    assert server.client.get("/healthz").status_code == 200
    assert "deleted or replaced" in server.log_text() and str(kv / "kv") in server.log_text()
    server.stop()
