"""Codex CLI rollouts (`~/.codex/sessions/**/rollout-*.jsonl`, or TraceLab's record-separated copy).

`response_item` records are the conversation (messages, reasoning, function calls and their outputs);
each `event_msg` of type `token_count` closes one model call and reports its usage in
`info.last_token_usage` (OpenAI-style: `input_tokens` includes `cached_input_tokens`). The base
instructions are in `session_meta`; the tool list is not logged (`is_exact=False`).
"""

from __future__ import annotations

from pathlib import Path

from loopcache.audit.readers.provider_body import content_text, parse_arguments
from loopcache.audit.readers.reader import head_text
from loopcache.audit.readers.record_file import read_records
from loopcache.audit.step import Message, Request, Session, Step, ToolCall, Trace, assemble_step
from loopcache.audit.timestamps import parse_time
from loopcache.audit.usage import usage_from_report

_OUTPUT_ITEMS = ("reasoning", "function_call", "custom_tool_call")


class CodexReader:
    name = "codex"

    def sniff(self, path: Path) -> bool:
        if not path.is_file():
            return False
        head = head_text(path, 20_000)
        return '"session_meta"' in head or ('"response_item"' in head and '"payload"' in head)

    def read(self, path: Path) -> Trace:
        batch = read_records(path)
        session_id = path.stem
        system = ""
        conversation: list[Message] = []
        steps: list[Step] = []
        open_request: Request | None = None
        open_calls: list[ToolCall] = []
        input_time: float | None = None
        model: str | None = None
        for record in batch.records:
            value = record.value if isinstance(record.value, dict) else {}
            payload = value.get("payload") if isinstance(value.get("payload"), dict) else {}
            kind, item = value.get("type"), payload.get("type")
            when = parse_time(value.get("timestamp"))
            if kind == "turn_context" and payload.get("model"):
                model = str(payload["model"])
            if kind == "session_meta":
                session_id = str(payload.get("id") or session_id)
                system = content_text((payload.get("base_instructions") or {}).get("text"))
            elif kind == "response_item":
                is_output = item in _OUTPUT_ITEMS or (item == "message" and payload.get("role") == "assistant")
                if is_output and open_request is None:
                    open_request = Request(system=system, messages=tuple(conversation), is_exact=False)
                    open_calls = []
                message = self._message(payload)
                if message is not None:
                    conversation.append(message)
                    open_calls.extend(message.tool_calls)
                if not is_output:
                    input_time = when
            elif kind == "event_msg" and item == "token_count" and isinstance(payload.get("info"), dict):
                usage = usage_from_report(payload["info"].get("last_token_usage"))
                request = open_request or Request(system=system, messages=tuple(conversation), is_exact=False)
                steps.append(
                    assemble_step(
                        len(steps), request, usage, started_at=input_time, ended_at=when, model=model,
                        provider="openai", output_tool_calls=tuple(open_calls), source=str(path),
                    )
                )
                open_request, open_calls = None, []
        sessions = (Session(session_id, tuple(steps), str(path), self.name),) if steps else ()
        return Trace(sessions=sessions, format=self.name, problems=batch.problems)

    def _message(self, payload: dict) -> Message | None:
        item = payload.get("type")
        if item == "message":
            return Message(role=str(payload.get("role", "user")), text=content_text(payload.get("content")))
        if item == "reasoning":
            return None
        if item in ("function_call", "custom_tool_call"):
            arguments, raw = parse_arguments(payload.get("arguments", payload.get("input")))
            call = ToolCall(payload.get("call_id"), str(payload.get("name") or "?"), arguments, raw)
            return Message(role="assistant", text="", tool_calls=(call,))
        if item in ("function_call_output", "custom_tool_call_output"):
            output = payload.get("output")
            return Message(role="tool", text=content_text(output), tool_call_id=payload.get("call_id"))
        return None
