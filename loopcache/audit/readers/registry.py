"""Which reader reads a path: formats are tried in a fixed order and the first whose `sniff` accepts wins;
`--format NAME` skips detection. A folder that no reader claims is read file by file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loopcache.audit.readers.claude_code import ClaudeCodeReader
from loopcache.audit.readers.codex import CodexReader
from loopcache.audit.readers.crewai import CrewAICassetteReader
from loopcache.audit.readers.inspect_log import InspectLogReader
from loopcache.audit.readers.openhands import OpenHandsReader
from loopcache.audit.readers.plain_log import AnthropicLogReader, OpenAILogReader
from loopcache.audit.readers.reader import Reader
from loopcache.audit.readers.tau2_bench import Tau2BenchReader
from loopcache.audit.readers.tau_bench import TauBenchReader
from loopcache.audit.step import ReadProblem, Trace


class UnknownFormatError(ValueError):
    """No reader recognises the path, or `--format` names no reader."""


@dataclass(frozen=True)
class ReaderRegistry:
    readers: tuple[Reader, ...]

    @classmethod
    def default(cls) -> ReaderRegistry:
        return cls(
            (
                OpenHandsReader(), ClaudeCodeReader(), CodexReader(), InspectLogReader(), Tau2BenchReader(),
                TauBenchReader(), CrewAICassetteReader(), AnthropicLogReader(), OpenAILogReader(),
            )
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.readers)

    def named(self, name: str) -> Reader:
        for reader in self.readers:
            if reader.name == name:
                return reader
        raise UnknownFormatError(f"unknown format {name!r}; known: {', '.join(self.names)}")

    def detect(self, path: Path) -> Reader | None:
        for reader in self.readers:
            if reader.sniff(path):
                return reader
        return None

    def read(self, path: Path, format_name: str | None = None) -> Trace:
        """Read `path` with the named reader or the detected one; a folder no reader claims is read per
        file (files no reader recognises become problems)."""
        if not path.exists():
            raise FileNotFoundError(path)
        if format_name:
            return _guarded(self.named(format_name), path)
        reader = self.detect(path)
        if reader is not None:
            return _guarded(reader, path)
        if not path.is_dir():
            raise UnknownFormatError(f"{path}: not a known trace format (try --format; known: {', '.join(self.names)})")
        sessions, problems, formats = [], [], []
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or child.name.startswith("LICENSE") or child.suffix in (".md", ".txt"):
                continue
            try:
                trace = self.read(child)
            except UnknownFormatError:
                problems.append(ReadProblem(str(child), None, "ignored: not a trace in a known format"))
                continue
            sessions.extend(trace.sessions)
            problems.extend(trace.problems)
            formats.append(trace.format)
        if not sessions:
            raise UnknownFormatError(f"{path}: no trace in a known format (known: {', '.join(self.names)})")
        return Trace(tuple(sessions), "+".join(sorted(set(formats))), tuple(problems))


def _guarded(reader: Reader, path: Path) -> Trace:
    """Run a reader; input of an unexpected shape it did not anticipate becomes a problem, not a crash."""
    try:
        return reader.read(path)
    except (AttributeError, TypeError, KeyError, IndexError) as exc:
        return Trace((), reader.name, (ReadProblem(str(path), None, f"could not read as {reader.name}: {type(exc).__name__}: {exc}"),))
