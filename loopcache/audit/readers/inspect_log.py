"""Inspect eval logs (JSON): `samples[].events[]`; each `model` event has the exact provider request in
`call.request` (strings like `attachment://<hash>` resolved from `samples[].attachments`), the raw
response in `call.response`, usage in `output.usage` (`input_tokens_cache_read`), and start/end times.
One session per sample."""

from __future__ import annotations

import json
from pathlib import Path

from loopcache.audit.readers.provider_body import anthropic_request, is_anthropic_body, openai_request, response_tool_calls
from loopcache.audit.readers.reader import head_text
from loopcache.audit.step import ReadProblem, Session, Trace, assemble_step
from loopcache.audit.timestamps import parse_time
from loopcache.audit.usage import usage_from_report

_PREFIX = "attachment://"


def _resolve(value: object, attachments: dict) -> object:
    if isinstance(value, str) and value.startswith(_PREFIX):
        return attachments.get(value[len(_PREFIX) :], value)
    if isinstance(value, dict):
        return {k: _resolve(v, attachments) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, attachments) for v in value]
    return value


class InspectLogReader:
    name = "inspect"

    def sniff(self, path: Path) -> bool:
        head = head_text(path, 4000) if path.is_file() else ""
        return '"eval"' in head and ('"samples"' in head or '"plan"' in head) and '"version"' in head

    def read(self, path: Path) -> Trace:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Trace((), self.name, (ReadProblem(str(path), None, f"unreadable: {exc}"),))
        if not isinstance(data, dict):
            return Trace((), self.name, (ReadProblem(str(path), None, "not an Inspect log (no top-level object)"),))
        sessions = []
        for sample in (s for s in data.get("samples") or [] if isinstance(s, dict)):
            attachments = sample.get("attachments") or {}
            steps = []
            for event in sample.get("events") or []:
                if not isinstance(event, dict) or event.get("event") != "model" or not isinstance(event.get("call"), dict):
                    continue
                body = _resolve(event["call"].get("request") or {}, attachments)
                anthropic = is_anthropic_body(body) or str(event.get("model", "")).startswith("anthropic/")
                request = anthropic_request(body) if anthropic else openai_request(body)
                output = event.get("output") or {}
                steps.append(
                    assemble_step(
                        len(steps), request,
                        usage_from_report(output.get("usage"), "anthropic" if anthropic else None),
                        started_at=parse_time(event.get("timestamp")), ended_at=parse_time(event.get("completed")),
                        model=output.get("model") or event.get("model"), provider="anthropic" if anthropic else "openai",
                        output_tool_calls=response_tool_calls(event["call"].get("response")), source=str(path),
                    )
                )
            sessions.append(Session(f"{sample.get('id')}-epoch{sample.get('epoch', 1)}", tuple(steps), str(path), self.name))
        return Trace(tuple(s for s in sessions if s.steps), self.name, ())
