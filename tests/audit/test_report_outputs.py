"""The JSON report keeps the documented fields; the HTML report renders its charts in headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from loopcache.audit.audit import audit_trace
from loopcache.audit.pricing import PriceBook
from loopcache.audit.report.html_report import render_html
from loopcache.audit.report.json_report import SCHEMA, report_dict
from .planted import STATIC_POLICY, PlantedStep, openai_log, read

KINDS = {"timestamp", "uuid", "counter", "json_key_order", "tools_changed", "edited_history", "other"}


def _planted_report(tmp_path):
    systems = [f"You are a travel agent. Now: 2026-01-05 10:{k:02d}.\n{STATIC_POLICY}" for k in range(4)]
    offsets = [0, 30, 30 + 9 * 60, 30 + 79 * 60]
    path = openai_log(tmp_path / "t.jsonl", [PlantedStep(system=s, at_s=t) for s, t in zip(systems, offsets)])
    return audit_trace(read(path), PriceBook.load()), str(path)


def test_json_schema_fields(tmp_path):
    report, path = _planted_report(tmp_path)
    data = json.loads(json.dumps(report_dict(report, path)))
    assert data["schema"] == SCHEMA and data["trace"]["format"] == "openai-log"
    (session,) = data["sessions"]
    assert session["session_id"] == "s1"
    for step in session["steps"]:
        assert {"input_tokens", "cached_tokens_reported", "prefix_overlap_tokens", "gap_s"} <= step.keys()
        assert step["cached_tokens_reported"] is None  # planted usage has no cache field
    assert session["steps"][0]["gap_s"] is None and session["steps"][2]["gap_s"] == 9 * 60 - 2.0
    assert session["hit_rate"]["has_cache_data"] is False and session["hit_rate"]["token_weighted"] is None
    findings = session["dynamic_prompt_findings"]
    assert [f["kind"] for f in findings] == ["timestamp"] * 3
    assert all({"kind", "char_offset", "tokens_invalidated"} <= f.keys() and f["kind"] in KINDS for f in findings)
    assert session["idle_gaps"]["over_5m"] == 2 and session["idle_gaps"]["over_1h"] == 1 and session["idle_gaps"]["over_24h"] == 0
    assert {"exact", "canonical", "semantic"} <= session["tool_repeats"].keys()
    policies = [p["policy"] for p in data["simulation"]]
    assert policies[0] == "no-cache" and "loopcache+toolcache" in policies


def test_json_on_openhands_keeps_bedrock_session_null(openhands_trace):
    data = report_dict(audit_trace(openhands_trace, PriceBook.load()), "openhands")
    by_id = {s["session_id"]: s for s in data["sessions"]}
    bedrock = by_id["django__django-11099"]
    assert bedrock["hit_rate"]["token_weighted"] is None
    assert all(step["cached_tokens_reported"] is None for step in bedrock["steps"])
    mixed = by_id["astropy__astropy-14369"]["steps"]
    assert mixed[1]["cached_tokens_reported"] == 1348 and mixed[2]["prefix_overlap_tokens"] == 2727


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("chromium is not installed (the Makefile installs the Debian package `chromium`)")


def _render_check(html: str, tmp_path: Path) -> dict[str, str]:
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=2000", "--dump-dom", page.as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=90).stdout
    start = dom.find('<div id="render-check"')
    assert start >= 0, "no DOM came back from chromium"
    tag = dom[start : dom.find(">", start)]
    return dict(part.split("=", 1) for part in tag.replace('"', "").split()[2:])


def test_html_report_renders_in_headless_chromium(tmp_path):
    report, path = _planted_report(tmp_path)
    html = render_html(report, path)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    check = _render_check(html, tmp_path)
    # cost, gap histogram, and per session: hit rate and token breakdown
    assert check["data-ok"] == "1", check
    assert check["data-charts"] == check["data-drawn"] == "4"
    assert check["data-errors"] == "0" and int(check["data-bars"]) > 10


def test_render_check_fails_on_a_script_error(tmp_path):
    report, path = _planted_report(tmp_path)
    broken = render_html(report, path).replace("</body>", "<script>undefinedFunction();</script></body>")
    check = _render_check(broken, tmp_path)
    assert check["data-ok"] == "0" and check["data-errors"] == "1"
