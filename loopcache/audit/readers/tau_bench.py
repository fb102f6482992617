"""tau-bench historical trajectories: a JSON list of runs, each with `traj` (OpenAI chat messages, the
airline policy as message 0). No usage, no timestamps, no tool list: token counts are estimated and
requests are marked `is_exact=False`. One session per run, one step per assistant message."""

from __future__ import annotations

import json
from pathlib import Path

from loopcache.audit.readers.provider_body import openai_request
from loopcache.audit.readers.reader import head_text
from loopcache.audit.step import ReadProblem, Request, Session, Trace, assemble_step


class TauBenchReader:
    name = "tau-bench"

    def sniff(self, path: Path) -> bool:
        head = head_text(path, 100_000) if path.is_file() else ""
        return head.lstrip().startswith("[") and '"traj"' in head and '"task_id"' in head

    def read(self, path: Path) -> Trace:
        try:
            runs = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Trace((), self.name, (ReadProblem(str(path), None, f"unreadable: {exc}"),))
        sessions, problems = [], []
        for number, run in enumerate(runs if isinstance(runs, list) else []):
            traj = run.get("traj") if isinstance(run, dict) else None
            if not isinstance(traj, list):
                problems.append(ReadProblem(str(path), None, f"run {number} skipped: no 'traj' list"))
                continue
            steps = []
            for k, message in enumerate(traj):
                if isinstance(message, dict) and message.get("role") == "assistant" and k > 0:
                    base = openai_request({"messages": traj[:k]})
                    request = Request(base.system, base.messages, base.tools, is_exact=False)
                    calls = openai_request({"messages": [message]}).messages[0].tool_calls
                    steps.append(assemble_step(len(steps), request, None, provider="openai", output_tool_calls=calls, source=str(path)))
            session_id = f"task{run.get('task_id')}-trial{run.get('trial')}"
            sessions.append(Session(session_id, tuple(steps), str(path), self.name))
        return Trace(tuple(sessions), self.name, tuple(problems))
