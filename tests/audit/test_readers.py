"""Every real trace format is detected and read as it is; bad input is reported and skipped."""

from __future__ import annotations

import json

import pytest

from loopcache.audit.readers.registry import ReaderRegistry, UnknownFormatError
from .planted import PlantedStep, openai_log

# (folder or file, format, sessions, steps per session in file order, steps with usage)
REAL = [
    ("openhands-swebench", "openhands", 3, None, 62),
    ("tracelab/claude/trace.json", "claude-code", 1, [10], 10),
    ("tracelab/codex/trace.json", "codex", 1, [9], 9),
    ("inspect-ai", "inspect", 1, [5], 5),
    ("crewai-cassettes", "crewai", 8, None, 62),
    ("tau2-bench", "tau2-bench", 70, None, 673),
]


@pytest.mark.parametrize("relative,fmt,num_sessions,steps,with_usage", REAL)
def test_real_formats(traces, relative, fmt, num_sessions, steps, with_usage):
    trace = ReaderRegistry.default().read(traces / relative)
    assert trace.format == fmt
    assert trace.problems == ()
    assert len(trace.sessions) == num_sessions
    if steps is not None:
        assert [len(s.steps) for s in trace.sessions] == steps
    assert sum(1 for s in trace.sessions for st in s.steps if st.usage) == with_usage


def test_openhands_sessions_and_usage(openhands_trace):
    by_id = {s.session_id: s for s in openhands_trace.sessions}
    assert {k: len(v.steps) for k, v in by_id.items()} == {"astropy__astropy-14369": 22, "django__django-10999": 23, "django__django-11099": 17}
    step = by_id["astropy__astropy-14369"].steps[1]
    # LiteLLM: prompt_tokens includes the cache read and the cache write.
    assert (step.usage.input_tokens, step.usage.cached_tokens, step.usage.cache_write_tokens) == (2727, 1348, 1374)
    assert step.request.is_exact
    assert [json.loads(t)["function"]["name"] for t in step.request.tools] == ["execute_bash", "finish", "str_replace_editor"]
    assert "cache_control" not in step.request.messages[-1].text
    assert all(s.usage.cached_tokens is None for s in by_id["django__django-11099"].steps)
    times = [s.ended_at for s in by_id["astropy__astropy-14369"].steps]
    assert times == sorted(times)


def test_tau_bench_has_no_usage_and_no_times(traces):
    trace = ReaderRegistry.default().read(traces / "tau-bench" / "gpt-4o-airline.json")
    assert len(trace.sessions) == 200
    first = trace.sessions[0]
    assert first.steps[0].usage is None and first.steps[0].ended_at is None
    assert first.steps[0].request.system.startswith("# Airline Agent Policy")
    assert not first.steps[0].request.is_exact


def test_tracelab_folder_reads_both_sessions_and_reports_the_rest(traces):
    trace = ReaderRegistry.default().read(traces / "tracelab")
    assert sorted(len(s.steps) for s in trace.sessions) == [9, 10]
    assert trace.format == "claude-code+codex"


def test_malformed_line_is_reported_with_file_and_line_and_skipped(tmp_path):
    path = openai_log(tmp_path / "log.jsonl", [PlantedStep(system="You are an agent.") for _ in range(3)])
    lines = path.read_text().splitlines()
    lines.insert(1, '{"session_id": "s1", "request": {truncated')
    path.write_text("\n".join(lines) + "\n")
    trace = ReaderRegistry.default().read(path)
    assert [len(s.steps) for s in trace.sessions] == [3]
    (problem,) = trace.problems
    assert (problem.path, problem.line) == (str(path), 2)
    assert problem.describe().startswith(f"{path}:2: malformed JSON line")


def test_malformed_record_in_separated_file(tmp_path):
    path = tmp_path / "trace.json"
    records = [
        {"type": "user", "sessionId": "x", "parentUuid": None, "timestamp": "2026-01-01T00:00:00Z", "message": {"role": "user", "content": "hi"}},
        {"type": "assistant", "sessionId": "x", "parentUuid": "a", "timestamp": "2026-01-01T00:00:02Z",
         "message": {"id": "m1", "role": "assistant", "content": [{"type": "text", "text": "hello"}],
                     "usage": {"input_tokens": 5, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 10, "output_tokens": 3}}},
    ]
    text = "# comment\n\n===== record 0001 =====\n" + json.dumps(records[0], indent=2)
    text += "\n===== record 0002 =====\n{ not json\n===== record 0003 =====\n" + json.dumps(records[1], indent=2) + "\n"
    path.write_text(text)
    trace = ReaderRegistry.default().read(path)
    assert trace.format == "claude-code"
    (problem,) = trace.problems
    assert problem.line == 3 + len(json.dumps(records[0], indent=2).splitlines()) + 1 + 1
    (step,) = trace.sessions[0].steps
    assert (step.usage.input_tokens, step.usage.cached_tokens) == (115, 100)


def test_anthropic_log_and_format_override(tmp_path):
    entry = {
        "session_id": "a", "started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-01T10:00:03Z",
        "request": {"model": "claude-sonnet-4-5", "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
                    "messages": [{"role": "user", "content": "hi"}]},
        "response": {"model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "hello"}],
                     "usage": {"input_tokens": 3, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1200, "output_tokens": 2}},
    }
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(entry) + "\n")
    registry = ReaderRegistry.default()
    trace = registry.read(path)
    assert trace.format == "anthropic-log"
    step = trace.sessions[0].steps[0]
    assert step.request.system == "Be brief."
    assert (step.usage.input_tokens, step.usage.cached_tokens) == (1203, 1200)
    assert step.ended_at - step.started_at == 3.0
    assert registry.read(path, "openai-log").format == "openai-log"
    with pytest.raises(UnknownFormatError):
        registry.read(path, "nope")


def test_unknown_file_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(UnknownFormatError, match="not a known trace format"):
        ReaderRegistry.default().read(path)


@pytest.mark.parametrize("fmt", ReaderRegistry.default().names)
@pytest.mark.parametrize("content", ["[1, 2, 3]", '"text"', "", '{"samples": [1], "simulations": [2], "interactions": 3}'])
def test_forced_format_on_wrong_input_never_crashes(tmp_path, fmt, content):
    path = tmp_path / "odd.json"
    path.write_text(content)
    trace = ReaderRegistry.default().read(path, fmt)
    assert trace.format == fmt
    assert not any(s.steps for s in trace.sessions)
