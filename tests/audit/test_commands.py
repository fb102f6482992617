"""`loopcache audit` and `loopcache simulate` as a user runs them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from loopcache.cli import build_app
from .planted import STATIC_POLICY, PlantedStep, openai_log

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(build_app(), list(args), env={"COLUMNS": "200"})


def test_simulate_synthetic_prints_the_loop_table():
    result = _invoke("simulate", "--synthetic", "--steps", "10", "--system", "500", "--tool", "600", "--output", "200")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Assumptions" in out and "41,000" in out and "5,900" in out
    assert "$0.0702" in out  # anthropic-5m, hand-computed in test_simulate
    assert "6.95x" in out  # no-cache prefill amplification 41000 / 5900


def test_audit_planted_trace_end_to_end(tmp_path):
    path = openai_log(
        tmp_path / "agent.jsonl",
        [PlantedStep(system=f"Now: 2026-01-05T10:0{k}:00Z\n{STATIC_POLICY}", at_s=t) for k, t in enumerate([0, 20, 600])],
    )
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:1] + ["not json at all"] + lines[1:]) + "\n")
    json_out, html_out = tmp_path / "a.json", tmp_path / "a.html"
    result = _invoke("audit", str(path), "--json", str(json_out), "--html", str(html_out))
    assert result.exit_code == 0, result.output
    assert f"{path}:2" in result.output and "malformed JSON line" in result.output
    assert "timestamp" in result.output and "Replay under cache policies" in result.output
    data = json.loads(json_out.read_text())
    assert len(data["sessions"][0]["steps"]) == 3
    assert data["trace"]["problems"][0]["line"] == 2
    assert html_out.read_text().startswith("<!DOCTYPE html>")


def test_audit_real_openhands(traces):
    result = _invoke("audit", str(traces / "openhands-swebench"))
    assert result.exit_code == 0, result.output
    assert "django__django-11099" in result.output and "no cache data" in result.output


def test_simulate_trace_with_policy_filter(traces):
    result = _invoke("simulate", str(traces / "inspect-ai"), "--policy", "no-cache", "--policy", "loopcache")
    assert result.exit_code == 0, result.output
    assert "loopcache" in result.output and "anthropic-5m" not in result.output


def test_bad_input_is_a_clear_error(tmp_path):
    missing = _invoke("audit", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code != 0 and "no such file" in missing.output
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    unknown = _invoke("audit", str(odd))
    assert unknown.exit_code != 0 and "not a known trace format" in unknown.output
    assert _invoke("simulate").exit_code != 0
