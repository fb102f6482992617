"""OpenHands LLM-completion logs: one JSON file per call, one folder per session.

Each file holds `messages` (the exact request, LiteLLM/OpenAI shape with Anthropic `cache_control`
markers), `kwargs.tools`, `response` (with `usage`) and `timestamp` (unix seconds, written when the call
returned). A folder of such files is one session; a folder of folders is several.
"""

from __future__ import annotations

import json
from pathlib import Path

from loopcache.audit.readers.provider_body import openai_request, response_tool_calls
from loopcache.audit.readers.reader import head_text
from loopcache.audit.step import ReadProblem, Session, Step, Trace, assemble_step
from loopcache.audit.timestamps import parse_time
from loopcache.audit.usage import usage_from_report

_MARKERS = ('"messages"', '"response"', '"timestamp"')


def _looks_like_completion(path: Path) -> bool:
    head = head_text(path, 200_000)
    return path.suffix == ".json" and all(m in head for m in _MARKERS) and '"kwargs"' in head


def _provider_of(model: str) -> str:
    if "anthropic." in model or "bedrock" in model:
        return "bedrock"
    if "claude" in model:
        return "anthropic"
    return "openai"


class OpenHandsReader:
    name = "openhands"

    def sniff(self, path: Path) -> bool:
        if path.is_file():
            return _looks_like_completion(path)
        for folder in self._session_folders(path)[:1]:
            files = sorted(folder.glob("*.json"))
            return bool(files) and _looks_like_completion(files[0])
        return False

    def _session_folders(self, path: Path) -> list[Path]:
        if any(path.glob("*.json")) and not (path / "metadata.json").is_file():
            return [path]
        folders = [p.parent for p in sorted(path.rglob("*.json")) if p.name != "metadata.json"]
        return sorted(set(folders))

    def read(self, path: Path) -> Trace:
        problems: list[ReadProblem] = []
        if path.is_file():
            groups = [(path.parent.name, [path])]
        else:
            groups = [(f.name, sorted(f.glob("*.json"))) for f in self._session_folders(path)]
        sessions = []
        for session_id, files in groups:
            records = []
            for file in files:
                try:
                    record = json.loads(file.read_text(encoding="utf-8"))
                    if not isinstance(record, dict) or "messages" not in record:
                        raise ValueError("not an OpenHands completion record (no 'messages')")
                    records.append((parse_time(record.get("timestamp")) or 0.0, file, record))
                except (OSError, ValueError) as exc:
                    problems.append(ReadProblem(str(file), None, f"skipped: {exc}"))
            records.sort(key=lambda r: r[0])
            steps = [self._step(i, t, f, r) for i, (t, f, r) in enumerate(records)]
            if steps:
                sessions.append(Session(session_id=session_id, steps=tuple(steps), source=str(path), format=self.name))
        return Trace(sessions=tuple(sessions), format=self.name, problems=tuple(problems))

    def _step(self, index: int, timestamp: float, file: Path, record: dict) -> Step:
        response = record.get("response") or {}
        model = str(response.get("model") or "")
        kwargs = record.get("kwargs") or {}
        request = openai_request({"messages": record.get("messages") or []}, tools=kwargs.get("tools"))
        return assemble_step(
            index,
            request,
            usage_from_report(response.get("usage")),
            ended_at=timestamp or None,
            model=model or None,
            provider=_provider_of(model),
            output_tool_calls=response_tool_calls(response),
            source=str(file),
        )
