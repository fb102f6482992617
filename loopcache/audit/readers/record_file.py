"""JSON records from a text file: JSON Lines, or TraceLab's pretty-printed records separated by
`===== record NNNN =====` lines (with `#` comment lines at the top).

Every record carries the 1-based line where it starts, so a malformed one is reported as `file:line`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from loopcache.audit.step import ReadProblem

_SEPARATOR = re.compile(r"^===== record \d+ =====\s*$")


@dataclass(frozen=True)
class Record:
    line: int
    value: object


@dataclass(frozen=True)
class RecordBatch:
    records: tuple[Record, ...]
    problems: tuple[ReadProblem, ...]


def has_separators(head: str) -> bool:
    return any(_SEPARATOR.match(line) for line in head.splitlines())


def read_records(path: Path) -> RecordBatch:
    """All records of `path`; unparsable ones become problems (file, line, reason) and are skipped."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return RecordBatch((), (ReadProblem(str(path), None, f"unreadable: {exc}"),))
    if any(_SEPARATOR.match(line) for line in lines[:200]) or any(_SEPARATOR.match(line) for line in lines):
        return _separated(path, lines)
    return _json_lines(path, lines)


def _json_lines(path: Path, lines: list[str]) -> RecordBatch:
    records, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(Record(number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(ReadProblem(str(path), number, f"malformed JSON line skipped ({exc.msg})"))
    return RecordBatch(tuple(records), tuple(problems))


def _separated(path: Path, lines: list[str]) -> RecordBatch:
    records, problems = [], []
    start, chunk = None, []

    def flush() -> None:
        if start is None or not "".join(chunk).strip():
            return
        try:
            records.append(Record(start, json.loads("\n".join(chunk))))
        except json.JSONDecodeError as exc:
            problems.append(ReadProblem(str(path), start, f"malformed record skipped ({exc.msg})"))

    for number, line in enumerate(lines, start=1):
        if _SEPARATOR.match(line):
            flush()
            start, chunk = number + 1, []
        elif start is not None:
            chunk.append(line)
    flush()
    return RecordBatch(tuple(records), tuple(problems))
