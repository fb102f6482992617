"""crewAI VCR cassettes (YAML): `interactions[]` of recorded HTTP calls. Calls to an OpenAI chat-completions
or Anthropic messages endpoint are steps (exact request bodies); other calls (telemetry, search APIs) are
ignored. The response `Date` header times each step. One cassette is one session, even when several
crewAI agents with different system prompts interleave in it."""

from __future__ import annotations

import json
from pathlib import Path

from loopcache.audit.readers.provider_body import anthropic_request, is_anthropic_body, openai_request, response_tool_calls
from loopcache.audit.readers.reader import head_text
from loopcache.audit.step import ReadProblem, Session, Trace, assemble_step
from loopcache.audit.timestamps import parse_time
from loopcache.audit.usage import usage_from_report


def _header(headers: object, name: str) -> str | None:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) and value else value
    return None


def _body_text(body: object) -> str | None:
    if isinstance(body, dict):
        body = body.get("string")
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return body if isinstance(body, str) else None


class CrewAICassetteReader:
    name = "crewai"

    def sniff(self, path: Path) -> bool:
        if path.is_dir():
            return any(self.sniff(p) for p in sorted(path.glob("*.yaml"))[:3])
        return path.suffix in (".yaml", ".yml") and head_text(path, 200).lstrip().startswith("interactions:")

    def read(self, path: Path) -> Trace:
        import yaml  # lazy: only cassette users need it

        files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
        sessions, problems = [], []
        for file in files:
            try:
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
                data = yaml.load(file.read_text(encoding="utf-8"), Loader=loader)
            except (OSError, yaml.YAMLError) as exc:
                problems.append(ReadProblem(str(file), getattr(getattr(exc, "problem_mark", None), "line", None), f"unreadable cassette: {exc}"))
                continue
            if not isinstance(data, dict):
                problems.append(ReadProblem(str(file), None, "not a VCR cassette (no 'interactions')"))
                continue
            steps = []
            for number, interaction in enumerate(i for i in data.get("interactions") or [] if isinstance(i, dict)):
                step = self._step(len(steps), interaction, str(file))
                if isinstance(step, str):
                    problems.append(ReadProblem(str(file), None, f"interaction {number} skipped: {step}"))
                elif step is not None:
                    steps.append(step)
            if steps:
                sessions.append(Session(file.stem, tuple(steps), str(file), self.name))
        return Trace(tuple(sessions), self.name, tuple(problems))

    def _step(self, index: int, interaction: dict, source: str):
        request, response = interaction.get("request") or {}, interaction.get("response") or {}
        uri = str(request.get("uri", ""))
        if not (uri.endswith("/chat/completions") or uri.endswith("/v1/messages")):
            return None
        try:
            body = json.loads(_body_text(request.get("body")) or "")
        except ValueError:
            return "request body is not JSON"
        try:
            reply = json.loads(_body_text(response.get("body")) or "")
        except ValueError:
            reply = {}
        anthropic = uri.endswith("/v1/messages") or is_anthropic_body(body)
        when = parse_time(_header(response.get("headers"), "date"))
        return assemble_step(
            index,
            anthropic_request(body) if anthropic else openai_request(body),
            usage_from_report(reply.get("usage") if isinstance(reply, dict) else None),
            ended_at=when,
            model=(reply.get("model") if isinstance(reply, dict) else None) or body.get("model"),
            provider="anthropic" if anthropic else "openai",
            output_tool_calls=response_tool_calls(reply),
            source=source,
        )
