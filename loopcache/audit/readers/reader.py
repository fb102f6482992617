"""The reader interface: every trace format is one small class with `sniff` and `read`."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from loopcache.audit.step import Trace


class Reader(Protocol):
    """Reads one trace format. `sniff` must be cheap and must not raise; `read` never raises on bad input:
    a malformed record becomes a `ReadProblem` in the returned trace and the rest is still read."""

    name: str

    def sniff(self, path: Path) -> bool:
        """Whether `path` (a file or a folder) looks like this format."""
        ...

    def read(self, path: Path) -> Trace:
        """Every session in `path`, plus what had to be skipped."""
        ...


def head_text(path: Path, size: int = 4096) -> str:
    """The first `size` characters of a file ('' when unreadable): what `sniff` looks at."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return handle.read(size)
    except OSError:
        return ""
