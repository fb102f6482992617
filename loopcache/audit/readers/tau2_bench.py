"""tau2-bench results: `simulations[]`, each with `messages` (agent, simulated user and tool turns, ISO
timestamps). Agent turns are the assistant messages with `usage`; the Anthropic `raw_data.usage` is used
when present (it has the cache fields). The agent's system prompt is not stored; the domain policy from
`info.environment_info.policy` stands in for it, so requests are `is_exact=False`."""

from __future__ import annotations

import json
from pathlib import Path

from loopcache.audit.readers.provider_body import content_text, parse_arguments
from loopcache.audit.readers.reader import head_text
from loopcache.audit.step import Message, ReadProblem, Request, Session, ToolCall, Trace, assemble_step
from loopcache.audit.timestamps import parse_time
from loopcache.audit.usage import usage_from_report


def _message(raw: dict) -> Message:
    calls = []
    for call in raw.get("tool_calls") or []:
        if isinstance(call, dict):
            arguments, text = parse_arguments(call.get("arguments"))
            calls.append(ToolCall(call.get("id"), str(call.get("name") or "?"), arguments, text))
    call_id = raw.get("id") if raw.get("role") == "tool" else None
    return Message(role=str(raw.get("role")), text=content_text(raw.get("content")), tool_calls=tuple(calls), tool_call_id=call_id)


class Tau2BenchReader:
    name = "tau2-bench"

    def sniff(self, path: Path) -> bool:
        head = head_text(path, 4000) if path.is_file() else ""
        return '"user_simulator"' in head or '"simulations"' in head

    def read(self, path: Path) -> Trace:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Trace((), self.name, (ReadProblem(str(path), None, f"unreadable: {exc}"),))
        if not isinstance(data, dict):
            return Trace((), self.name, (ReadProblem(str(path), None, "not a tau2 results file (no top-level object)"),))
        info = data.get("info") or {}
        policy = str((info.get("environment_info") or {}).get("policy") or "")
        agent_model = (info.get("agent_info") or {}).get("llm")
        sessions = []
        for simulation in (s for s in data.get("simulations") or [] if isinstance(s, dict)):
            raw_messages = [m for m in simulation.get("messages") or [] if isinstance(m, dict)]
            steps = []
            for k, raw in enumerate(raw_messages):
                if raw.get("role") != "assistant" or not raw.get("usage"):
                    continue
                raw_data = raw.get("raw_data") if isinstance(raw.get("raw_data"), dict) else {}
                report = raw_data.get("usage") if isinstance(raw_data.get("usage"), dict) else raw.get("usage")
                request = Request(system=policy, messages=tuple(_message(m) for m in raw_messages[:k]), is_exact=False)
                model = raw_data.get("model") or agent_model
                steps.append(
                    assemble_step(
                        len(steps), request, usage_from_report(report),
                        started_at=parse_time(raw_messages[k - 1].get("timestamp")) if k else None,
                        ended_at=parse_time(raw.get("timestamp")),
                        model=model, provider="anthropic" if model and "claude" in model else "openai",
                        output_tool_calls=_message(raw).tool_calls, source=str(path),
                    )
                )
            sessions.append(Session(str(simulation.get("id")), tuple(steps), str(path), self.name))
        return Trace(tuple(sessions), self.name, ())
