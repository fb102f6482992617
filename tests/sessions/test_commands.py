"""`loopcache sessions ls|show|rm` over a real registry and disk tier."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from loopcache.cli import build_app
from loopcache.kvcache.disk import DiskStore
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.registry import SessionRegistry, StepRecord
from tests.kvcache.blocks import block_for


def test_ls_show_rm(tmp_path: Path) -> None:
    with DiskStore(tmp_path / "kv") as disk:
        for i in range(3):
            assert disk.put(block_for(i))
    registry = SessionRegistry(tmp_path)
    for session, keys in (("agent-a", [0, 1]), ("agent-b", [0, 2])):
        record = StepRecord(step=1, at=1_800_000_000.0, prompt_tokens=900, cached_tokens=600, computed_tokens=300,
                            fresh_tokens=300, output_tokens=20, ttft_s=0.25, gap_s=None,
                            cached_tokens_by_tier={"disk": 600})
        registry.record_step("team", session, record, [block_for(i).key.hex for i in keys], b"", RetentionPolicy())
    registry.close()

    run = CliRunner().invoke
    app = build_app()
    listed = run(app, ["sessions", "ls", "--cache-dir", str(tmp_path)])
    assert listed.exit_code == 0 and "agent-a" in listed.output and "agent-b" in listed.output
    shown = run(app, ["sessions", "show", "agent-a", "--cache-dir", str(tmp_path)])
    assert shown.exit_code == 0 and "66.7%" in shown.output and "disk 600" in shown.output
    assert run(app, ["sessions", "show", "nobody", "--cache-dir", str(tmp_path)]).exit_code == 1
    removed = run(app, ["sessions", "rm", "agent-a", "--cache-dir", str(tmp_path)])
    assert removed.exit_code == 0 and "1 blocks only it held" in removed.output
    with DiskStore(tmp_path / "kv") as disk:  # block 0 is agent-b's too: kept
        assert [disk.contains(block_for(i).key) for i in range(3)] == [True, False, True]
    assert "agent-a" not in run(app, ["sessions", "ls", "--cache-dir", str(tmp_path)]).output
