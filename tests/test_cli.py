"""The `loopcache cache` commands on a real disk tier (typer's runner, same code path as the shell)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from loopcache.cli import build_app
from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.tier_config import TierConfig
from tests.kvcache.blocks import block_for


def _populate(home: Path, n: int) -> list[Path]:
    with DiskStore(TierConfig(root=home).disk_dir) as disk:
        for i in range(n):
            assert disk.put(block_for(i))
    return sorted((home / "kv" / "blocks").glob("*/*.kv"))


def test_stats_verify_gc_clear(tmp_path: Path) -> None:
    files = _populate(tmp_path, 5)
    app, runner = build_app(), CliRunner()
    out = runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path)])
    assert out.exit_code == 0 and "5 blocks" in out.output

    ok = runner.invoke(app, ["cache", "verify", "--cache-dir", str(tmp_path)])
    assert ok.exit_code == 0 and "5 checked, 0 problems" in ok.output
    data = bytearray(files[0].read_bytes())
    data[-1] ^= 0xFF
    files[0].write_bytes(bytes(data))
    bad = runner.invoke(app, ["cache", "verify", "--cache-dir", str(tmp_path)])
    assert bad.exit_code == 1 and "1 dropped" in bad.output
    assert "4 blocks" in runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path)]).output

    (tmp_path / "kv" / "blocks" / "zz").mkdir()
    (tmp_path / "kv" / "blocks" / "zz" / ("0" * 64 + ".kv")).write_bytes(b"orphan")
    assert "removed 1 items" in runner.invoke(app, ["cache", "gc", "--cache-dir", str(tmp_path)]).output

    refused = runner.invoke(app, ["cache", "clear", "--cache-dir", str(tmp_path)], input="n\n")
    assert refused.exit_code != 0
    assert runner.invoke(app, ["cache", "clear", "--yes", "--cache-dir", str(tmp_path)]).exit_code == 0
    assert "0 blocks" in runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path)]).output


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    out = CliRunner().invoke(build_app(), ["demo", "--device", "tpu", "--cache-dir", str(tmp_path)])
    assert out.exit_code == 2 and "device must be one of" in out.output
