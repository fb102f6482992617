"""Exact, canonical and near repeats of tool calls; savings count only repeats with identical results."""

from __future__ import annotations

from loopcache.audit.diagnostics.tool_calls import tool_calls
from .planted import STATIC_POLICY, PlantedStep, openai_log, read

SYSTEM = "You are a travel agent.\n" + STATIC_POLICY


def _report(tmp_path, calls):
    steps = [PlantedStep(system=SYSTEM, call=call, result=result) for call, result in calls]
    steps.append(PlantedStep(system=SYSTEM, call=("finish", {})))  # the last result enters this step's prompt
    report = tool_calls(read(openai_log(tmp_path / "tools.jsonl", steps)).sessions[0])
    assert report.uses[-1].name == "finish"
    return type(report)(report.uses[:-1])


def test_repeat_kinds(tmp_path):
    same = "file body " * 50
    report = _report(
        tmp_path,
        [
            (("read_file", {"path": "/data/a.txt"}), same),
            (("read_file", {"path": "/data/a.txt"}), same),  # exact
            (("read_file", {"path": "/data/./b/../a.txt"}), same),  # canonical: path normalised
            (("search", {"query": "lisbon  hotels "}), "results one"),
            (("search", {"query": "lisbon hotels"}), "results one"),  # canonical: whitespace
            (("search", {"query": "lisbon hotel"}), "results two"),  # near (semantic)
            (("read_file", {"path": "/data/a.txt"}), "file body changed"),  # exact, but the file changed
        ],
    )
    kinds = [u.repeat for u in report.uses]
    assert kinds == [None, "exact", "canonical", None, "canonical", "semantic", "exact"]
    assert [u.repeat_of_step for u in report.uses] == [None, 0, 1, None, 3, 4, 1]
    assert (report.count("exact"), report.count("canonical"), report.count("semantic")) == (2, 2, 1)
    # The last repeat returned something else: a cache would have answered it wrongly, so it is not saved.
    assert [u.same_result for u in report.uses] == [False, True, True, False, True, False, False]
    assert report.calls_saved == 3
    by_step = {u.step: u.result_tokens for u in report.uses}
    assert report.tokens_saved == by_step[1] + by_step[2] + by_step[4] > 0


def test_sizes_per_tool(tmp_path):
    report = _report(tmp_path, [(("read_file", {"path": "/a"}), "x " * 400), (("search", {"query": "q"}), "short")])
    sizes = {s.name: s for s in report.sizes()}
    assert sizes["read_file"].num_calls == 1 and sizes["read_file"].result_tokens > 50 * sizes["search"].result_tokens
    assert report.sizes()[0].name == "read_file"  # largest first
