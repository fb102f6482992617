"""Claude Code session logs (`~/.claude/projects/*/*.jsonl`, or TraceLab's record-separated copy).

Records of type `user` carry user text or `tool_result` blocks; records of type `assistant` carry one
content block each, and all blocks of one API call share `message.id` and the same `usage`. One step per
distinct `message.id`. The log does not keep the system prompt or the tool list, so requests are the
conversation only (`is_exact=False`).
"""

from __future__ import annotations

from pathlib import Path

from loopcache.audit.readers.provider_body import anthropic_messages, tool_call_from_anthropic
from loopcache.audit.readers.reader import head_text
from loopcache.audit.readers.record_file import read_records
from loopcache.audit.step import Message, ReadProblem, Request, Session, Step, Trace, assemble_step
from loopcache.audit.timestamps import parse_time
from loopcache.audit.usage import usage_from_report


class ClaudeCodeReader:
    name = "claude-code"

    def sniff(self, path: Path) -> bool:
        if not path.is_file():
            return False
        head = head_text(path, 20_000)
        return '"sessionId"' in head and ('"parentUuid"' in head or '"permission-mode"' in head)

    def read(self, path: Path) -> Trace:
        batch = read_records(path)
        problems: list[ReadProblem] = list(batch.problems)
        by_session: dict[str, list] = {}
        for record in batch.records:
            value = record.value
            if isinstance(value, dict) and value.get("type") in ("user", "assistant") and not value.get("isSidechain"):
                by_session.setdefault(str(value.get("sessionId") or path.stem), []).append(value)
        sessions = [
            Session(session_id=sid, steps=self._steps(records, str(path)), source=str(path), format=self.name)
            for sid, records in by_session.items()
        ]
        return Trace(sessions=tuple(s for s in sessions if s.steps), format=self.name, problems=tuple(problems))

    def _steps(self, records: list[dict], source: str) -> tuple[Step, ...]:
        conversation: list[Message] = []
        steps: list[Step] = []
        input_time: float | None = None
        current_id: str | None = None
        blocks: list[dict] = []
        head: dict | None = None
        last_time: float | None = None

        def close() -> None:
            if head is None:
                return
            message = head.get("message") or {}
            calls = tuple(tool_call_from_anthropic(b) for b in blocks if b.get("type") == "tool_use")
            steps.append(
                assemble_step(
                    len(steps),
                    Request(system="", messages=tuple(conversation), is_exact=False),
                    usage_from_report(message.get("usage")),
                    started_at=input_time,
                    ended_at=last_time,
                    model=message.get("model"),
                    provider="anthropic",
                    output_tool_calls=calls,
                    source=source,
                )
            )
            conversation.extend(anthropic_messages([{"role": "assistant", "content": blocks}]))

        for record in records:
            message = record.get("message") or {}
            when = parse_time(record.get("timestamp"))
            if record.get("type") == "assistant":
                message_id = message.get("id")
                if message_id != current_id:
                    close()
                    current_id, blocks, head = message_id, [], record
                content = message.get("content")
                blocks.extend(b for b in (content if isinstance(content, list) else []) if isinstance(b, dict))
                last_time = when
            else:
                close()
                current_id, blocks, head = None, [], None
                conversation.extend(anthropic_messages([{"role": "user", "content": message.get("content")}]))
                input_time = when
        close()
        return tuple(steps)
