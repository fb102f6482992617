"""Plain request/response logs (JSON Lines), one line per call:

    {"session_id": "...", "started_at": "2026-01-01T10:00:00Z", "ended_at": "...",
     "request": {...body sent...}, "response": {...body received...}}

`openai-log` holds chat-completions bodies (what `loopcache serve --trace-log` writes); `anthropic-log`
holds Messages-API bodies. Times are ISO 8601 or unix seconds. A malformed line is reported with its
line number and skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

from loopcache.audit.readers.provider_body import anthropic_request, is_anthropic_body, openai_request, response_tool_calls
from loopcache.audit.readers.reader import head_text
from loopcache.audit.readers.record_file import read_records
from loopcache.audit.step import ReadProblem, Session, Step, Trace, assemble_step
from loopcache.audit.timestamps import parse_time
from loopcache.audit.usage import usage_from_report


def _first_entry(path: Path) -> dict | None:
    for line in head_text(path, 200_000).splitlines():
        if line.strip():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict) and "request" in value and "response" in value:
                return value
    return None


class _PlainLogReader:
    name = ""
    anthropic = False

    def sniff(self, path: Path) -> bool:
        entry = _first_entry(path) if path.is_file() else None
        return entry is not None and isinstance(entry["request"], dict) and is_anthropic_body(entry["request"]) == self.anthropic

    def read(self, path: Path) -> Trace:
        batch = read_records(path)
        problems = list(batch.problems)
        by_session: dict[str, list[Step]] = {}
        for record in batch.records:
            entry = record.value
            if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
                problems.append(ReadProblem(str(path), record.line, "skipped: no 'request' object"))
                continue
            body, reply = entry["request"], entry.get("response") if isinstance(entry.get("response"), dict) else {}
            steps = by_session.setdefault(str(entry.get("session_id") or "default"), [])
            steps.append(
                assemble_step(
                    len(steps),
                    anthropic_request(body) if self.anthropic else openai_request(body),
                    usage_from_report(reply.get("usage")),
                    started_at=parse_time(entry.get("started_at")),
                    ended_at=parse_time(entry.get("ended_at")),
                    model=reply.get("model") or body.get("model"),
                    provider="anthropic" if self.anthropic else "openai",
                    output_tool_calls=response_tool_calls(reply),
                    source=f"{path}:{record.line}",
                )
            )
        sessions = tuple(Session(sid, tuple(steps), str(path), self.name) for sid, steps in by_session.items())
        return Trace(sessions, self.name, tuple(problems))


class OpenAILogReader(_PlainLogReader):
    name = "openai-log"
    anthropic = False


class AnthropicLogReader(_PlainLogReader):
    name = "anthropic-log"
    anthropic = True
