"""`--trace-log PATH`: one JSON line per request, in the plain-log format `loopcache audit` reads:

    {"session_id": ..., "started_at": ISO-8601, "ended_at": ISO-8601, "request": {...}, "response": {...}}

Chat and text completions are logged as OpenAI bodies (`openai-log`); Messages calls as Anthropic bodies
(`anthropic-log`). A streamed response is logged as the equivalent non-streamed body.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TraceLog:
    """Appends whole lines under a lock; each line is flushed at once (a crash loses at most one)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    def write(self, session_id: str | None, started_at: float, ended_at: float,
              request: dict[str, Any], response: dict[str, Any]) -> None:
        entry = {"session_id": session_id, "started_at": iso(started_at), "ended_at": iso(ended_at),
                 "request": request, "response": response}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            if not self._file.closed:
                self._file.write(line)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
