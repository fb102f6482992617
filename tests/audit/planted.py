"""Planted traces for tests: plain OpenAI / Anthropic logs (JSON Lines) built step by step, as an agent
loop would send them: every step appends the previous answer and a tool result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

STATIC_POLICY = " ".join(f"Rule {i}: be careful with the airline policy and reply politely to the customer." for i in range(60))

TOOL_A = {"type": "function", "function": {"name": "read_file", "description": "Read a file.", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}
TOOL_B = {"type": "function", "function": {"name": "search", "description": "Search the web.", "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}


@dataclass
class PlantedStep:
    system: str
    tools: list = field(default_factory=lambda: [TOOL_A, TOOL_B])
    at_s: float = 0.0
    edit_history: bool = False
    call: tuple[str, dict] | None = None
    result: str | None = None


def openai_log(path: Path, steps: list[PlantedStep], session_id: str = "s1", t0: float = 1_767_225_600.0) -> Path:
    """Write one OpenAI-log session: step k sends the system prompt, the task, and for each earlier step
    the assistant's tool call and its tool result. Usage reports 1 token per 4 characters, no cache."""
    lines, history = [], [{"role": "user", "content": "Please plan a trip to Lisbon and check the files."}]
    for k, step in enumerate(steps):
        messages = [{"role": "system", "content": step.system}] + [dict(m) for m in history]
        if step.edit_history and len(messages) > 2:
            messages[1]["content"] = "Please plan a trip."  # an earlier message rewritten
        request = {"model": "gpt-4o", "messages": messages, "tools": step.tools}
        name, args = step.call or ("read_file", {"path": f"/data/notes_{k}.txt"})
        call_id = f"call_{k}"
        response = {
            "model": "gpt-4o-2024-08-06",
            "choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]}}],
            "usage": {"prompt_tokens": len(json.dumps(request)) // 4, "completion_tokens": 20},
        }
        start = t0 + step.at_s
        lines.append(json.dumps({"session_id": session_id, "started_at": start, "ended_at": start + 2.0, "request": request, "response": response}))
        history.append({"role": "assistant", "content": None, "tool_calls": response["choices"][0]["message"]["tool_calls"]})
        history.append({"role": "tool", "tool_call_id": call_id, "content": step.result or f"contents of step {k}: " + "lorem ipsum " * 40})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path: Path):
    from loopcache.audit.readers.registry import ReaderRegistry

    return ReaderRegistry.default().read(path)
