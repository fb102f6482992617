"""The `loopcache cache` commands on a real disk tier (typer's runner, same code path as the shell)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from loopcache.cli import build_app
from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.tier_config import TierConfig
from loopcache.toolcache.cache import ToolCache
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
    assert "toolcache" not in ok.output  # no tool cache database here: none is created
    assert not (tmp_path / "toolcache.sqlite3").exists()
    data = bytearray(files[0].read_bytes())
    data[-1] ^= 0xFF
    files[0].write_bytes(bytes(data))
    shallow = runner.invoke(app, ["cache", "verify", "--shallow", "--cache-dir", str(tmp_path)])
    assert shallow.exit_code == 0 and "5 checked, 0 problems" in shallow.output  # same size: only deep sees it
    bad = runner.invoke(app, ["cache", "verify", "--deep", "--cache-dir", str(tmp_path)])
    assert bad.exit_code == 1 and "1 dropped" in bad.output and "checksum" in bad.output
    assert "4 blocks" in runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path)]).output

    (tmp_path / "kv" / "blocks" / "zz").mkdir()
    (tmp_path / "kv" / "blocks" / "zz" / ("0" * 64 + ".kv")).write_bytes(b"orphan")
    assert "removed 1 items" in runner.invoke(app, ["cache", "gc", "--cache-dir", str(tmp_path)]).output

    refused = runner.invoke(app, ["cache", "clear", "--cache-dir", str(tmp_path)], input="n\n")
    assert refused.exit_code != 0
    assert runner.invoke(app, ["cache", "clear", "--yes", "--cache-dir", str(tmp_path)]).exit_code == 0
    assert "0 blocks" in runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path)]).output


def test_verify_also_checks_the_tool_cache(tmp_path: Path) -> None:
    _populate(tmp_path, 2)
    with ToolCache(tmp_path / "toolcache.sqlite3", session="s") as tools:
        tools.register_tool("square", {"type": "object", "properties": {"i": {"type": "integer"}}}, read_only=True)
        for i in range(3):
            assert tools.call("square", {"i": i}, lambda i: {"sq": i * i}) == {"sq": i * i}
    app, runner = build_app(), CliRunner()
    ok = runner.invoke(app, ["cache", "verify", "--cache-dir", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert "disk: 2 checked, 0 problems" in ok.output and "toolcache: 3 checked, 0 problems" in ok.output
    with sqlite3.connect(tmp_path / "toolcache.sqlite3") as db:  # a row whose key no longer matches its args
        db.execute("UPDATE entries SET args = ? WHERE rowid = (SELECT MIN(rowid) FROM entries)", ('{"i":7}',))
    db.close()
    bad = runner.invoke(app, ["cache", "verify", "--cache-dir", str(tmp_path)])
    assert bad.exit_code == 1 and "toolcache: 3 checked, 1 problems" in bad.output
    assert "key does not match" in bad.output and "disk: 2 checked, 0 problems" in bad.output


def test_an_unusable_cache_dir_is_a_clear_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    for command in ("stats", "verify", "gc"):
        out = CliRunner().invoke(build_app(), ["cache", command, "--cache-dir", str(not_a_dir)])
        assert out.exit_code == 2 and "error:" in out.output and str(not_a_dir / "kv") in out.output
        assert out.exception is None or isinstance(out.exception, SystemExit)  # no traceback


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    out = CliRunner().invoke(build_app(), ["demo", "--device", "tpu", "--cache-dir", str(tmp_path)])
    assert out.exit_code == 2 and "device must be one of" in out.output


def test_every_commands_help_renders() -> None:
    """`--help` of every command and group (a help text with [brackets] once crashed typer's rich renderer)."""
    import typer.main

    app, runner = build_app(), CliRunner()
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    assert ["serve"] in paths and ["sessions", "ls"] in paths
    for path in paths:
        out = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert out.exit_code == 0, (path, out.output, out.exception)
        assert "Usage" in out.output
