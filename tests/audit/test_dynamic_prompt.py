"""Planted prefix breaks are found, located and classified; a clean trace yields no finding."""

from __future__ import annotations

import json
import os
import uuid

from loopcache.audit.diagnostics.dynamic_prompt import dynamic_prompt
from loopcache.audit.prefix_map import PrefixMap
from .planted import STATIC_POLICY, TOOL_A, TOOL_B, PlantedStep, openai_log, read


def _findings(path):
    session = read(path).sessions[0]
    prefix_map = PrefixMap.of(session)
    return session, prefix_map, dynamic_prompt(session, prefix_map)


def test_clean_loop_has_no_finding(tmp_path):
    steps = [PlantedStep(system="You are a travel agent.\n" + STATIC_POLICY, at_s=10 * k) for k in range(5)]
    session, _, report = _findings(openai_log(tmp_path / "clean.jsonl", steps))
    assert len(session.steps) == 5
    assert report.findings == ()
    assert report.prompt_variants == 0


def test_timestamp_in_system_prompt(tmp_path):
    systems = [f"You are a travel agent. Current time: 2026-01-05T10:0{k}:00Z.\n{STATIC_POLICY}" for k in range(4)]
    _, prefix_map, report = _findings(openai_log(tmp_path / "ts.jsonl", [PlantedStep(system=s, at_s=60 * k) for k, s in enumerate(systems)]))
    assert [f.kind for f in report.findings] == ["timestamp"] * 3
    for k, finding in enumerate(report.findings, start=1):
        assert finding.section == "system"
        assert finding.parent_step == k - 1
        expected = len(os.path.commonprefix([systems[k - 1], systems[k]]))
        assert finding.section_offset == expected == systems[0].index("10:00:00") + 4
        parent = prefix_map.steps[finding.parent_step]
        # What the change invalidates is everything of the parent after the divergence.
        assert abs(finding.tokens_invalidated + finding.token_offset - parent.input_tokens) <= 1
        assert finding.tokens_invalidated > 0.8 * parent.input_tokens
        assert "user turn" in finding.fix


def test_uuid_at_start_of_system_prompt(tmp_path):
    ids = [str(uuid.UUID(int=(k + 1) * 0x1111_2222_3333_4444_5555)) for k in range(3)]
    systems = [f"request {i}\nYou are a travel agent.\n{STATIC_POLICY}" for i in ids]
    _, _, report = _findings(openai_log(tmp_path / "uuid.jsonl", [PlantedStep(system=s) for s in systems]))
    assert [f.kind for f in report.findings] == ["uuid", "uuid"]
    assert report.findings[0].section_offset == len(os.path.commonprefix(systems[:2]))
    assert report.findings[0].section_offset < len("request ") + 36


def test_counter_at_end_of_system_prompt(tmp_path):
    systems = [f"You are a travel agent.\n{STATIC_POLICY}\nThis is turn {k + 7}." for k in range(3)]
    _, _, report = _findings(openai_log(tmp_path / "counter.jsonl", [PlantedStep(system=s) for s in systems]))
    assert [f.kind for f in report.findings] == ["counter", "counter"]
    assert report.findings[0].section_offset == len(systems[0]) - len("7.")
    # Only the tail of the system prompt and what follows it are invalidated.
    assert report.findings[0].tokens_invalidated < report.findings[0].token_offset


def test_reordered_tool_list(tmp_path):
    system = "You are a travel agent.\n" + STATIC_POLICY
    steps = [PlantedStep(system=system, tools=[TOOL_A, TOOL_B]), PlantedStep(system=system, tools=[TOOL_B, TOOL_A])]
    _, _, report = _findings(openai_log(tmp_path / "tools.jsonl", steps))
    assert len(report.findings) == 1
    finding = report.findings[0]
    assert (finding.kind, finding.section) == ("tools_changed", "tools")
    assert "same tools in the same order" in finding.fix


def test_unstable_json_key_order(tmp_path):
    config = {"user": "mia_li", "plan": "gold", "seat": "aisle"}
    orders = [["user", "plan", "seat"], ["plan", "seat", "user"], ["seat", "user", "plan"]]
    systems = [f"You are a travel agent. Profile: {json.dumps({k: config[k] for k in order})}\n{STATIC_POLICY}" for order in orders]
    _, _, report = _findings(openai_log(tmp_path / "json.jsonl", [PlantedStep(system=s) for s in systems]))
    assert [f.kind for f in report.findings] == ["json_key_order", "json_key_order"]
    assert report.findings[0].section_offset == len(os.path.commonprefix(systems[:2]))
    assert "sort_keys=True" in report.findings[0].fix


def test_unstable_key_order_in_tool_definition(tmp_path):
    system = "You are a travel agent.\n" + STATIC_POLICY
    reordered = {"function": TOOL_A["function"], "type": "function"}
    steps = [PlantedStep(system=system, tools=[TOOL_A, TOOL_B]), PlantedStep(system=system, tools=[reordered, TOOL_B])]
    _, _, report = _findings(openai_log(tmp_path / "tooljson.jsonl", steps))
    assert [(f.kind, f.section) for f in report.findings] == [("json_key_order", "tools")]


def test_edited_history(tmp_path):
    system = "You are a travel agent.\n" + STATIC_POLICY
    steps = [PlantedStep(system=system), PlantedStep(system=system), PlantedStep(system=system, edit_history=True)]
    _, _, report = _findings(openai_log(tmp_path / "edit.jsonl", steps))
    assert [(f.step, f.kind, f.section) for f in report.findings] == [(2, "edited_history", "messages")]
    assert report.findings[0].section_offset == len("Please plan a trip")


def test_interleaved_agents_are_prompt_variants_not_findings(tmp_path):
    a = "You are the planner agent.\n" + STATIC_POLICY
    b = "Summarise the findings of the research crew in three bullet points, citing sources. " * 30
    log = tmp_path / "crew.jsonl"
    lines = []
    for name, system in (("planner", a), ("writer", b)):
        path = openai_log(tmp_path / f"{name}.jsonl", [PlantedStep(system=system) for _ in range(3)], session_id="crew")
        lines.append(path.read_text().splitlines())
    log.write_text("\n".join(x for pair in zip(*lines) for x in pair) + "\n")
    _, _, report = _findings(log)
    assert report.findings == ()
    assert report.prompt_variants == 1
