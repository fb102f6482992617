"""Tool calls read out of recorded agent traces, each named by a stable locator.

    TraceCallReader.calls(file)  ->  TraceCall(at=(record, message, call), name, args), in file order

A labelled pair can then say "the call at (3, 7, 0) of tau-bench/gpt-4o-airline.json" instead of holding
a copy of someone else's text (see labelled_pairs.py). What the locator's parts mean depends on the format:

    tau-bench      (trajectory, message in `traj`, tool call)          OpenAI function calls, JSON-text args
    tau2-bench     (simulation, message, tool call)                     args already an object
    openhands      (0, message in `messages`, tool call)                one LLM request per file
    crewai         (interaction, 0, k-th tool call of its response)     Anthropic tool_use or OpenAI tool_calls
    claude-code    (record, 0, content block)                           `===== record NNNN =====` separated
    inspect        (sample, message, tool call)

Readers are chosen by the trace folder's name (`READERS`); the files are parsed on demand, never at import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Locator = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class TraceCall:
    """One tool call found in a trace: where it is, the tool's name and its arguments (an object)."""

    at: Locator
    name: str
    args: dict[str, Any]


def _arguments(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict):
        raise ValueError(f"tool-call arguments are not an object: {type(value).__name__}")
    return value


def _openai_calls(message: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for call in message.get("tool_calls") or []:
        function = call.get("function", call)
        yield function["name"], _arguments(function.get("arguments", {}))


def _tau_bench(path: Path) -> Iterator[TraceCall]:
    for r, trajectory in enumerate(json.loads(path.read_text())):
        for m, message in enumerate(trajectory.get("traj") or []):
            for c, (name, args) in enumerate(_openai_calls(message)):
                yield TraceCall((r, m, c), name, args)


def _tau2_bench(path: Path) -> Iterator[TraceCall]:
    for r, simulation in enumerate(json.loads(path.read_text()).get("simulations") or []):
        for m, message in enumerate(simulation.get("messages") or []):
            for c, call in enumerate(message.get("tool_calls") or []):
                yield TraceCall((r, m, c), call["name"], _arguments(call.get("arguments", {})))


def _openhands(path: Path) -> Iterator[TraceCall]:
    for m, message in enumerate(json.loads(path.read_text()).get("messages") or []):
        for c, (name, args) in enumerate(_openai_calls(message)):
            yield TraceCall((0, m, c), name, args)


def _crewai(path: Path) -> Iterator[TraceCall]:
    import yaml  # only this format needs it

    for i, interaction in enumerate((yaml.safe_load(path.read_text()) or {}).get("interactions") or []):
        body = (interaction.get("response") or {}).get("body")
        text = body.get("string") if isinstance(body, Mapping) else body
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        try:
            response = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            continue
        if not isinstance(response, Mapping):
            continue
        found: list[tuple[str, dict[str, Any]]] = []
        for block in response.get("content") or []:
            if isinstance(block, Mapping) and block.get("type") == "tool_use":
                found.append((block["name"], _arguments(block.get("input", {}))))
        for choice in response.get("choices") or []:
            found.extend(_openai_calls(choice.get("message") or {}))
        for k, (name, args) in enumerate(found):
            yield TraceCall((i, 0, k), name, args)


_RECORD = re.compile(r"^===== record (\d+) =====$", re.MULTILINE)


def _claude_code(path: Path) -> Iterator[TraceCall]:
    parts = _RECORD.split(path.read_text())
    for index in range(1, len(parts), 2):
        record = json.loads(parts[index + 1])
        content = (record.get("message") or {}).get("content")
        if not isinstance(content, list):
            continue
        for b, block in enumerate(content):
            if isinstance(block, Mapping) and block.get("type") == "tool_use":
                yield TraceCall((int(parts[index]), 0, b), block["name"], _arguments(block.get("input", {})))


def _inspect(path: Path) -> Iterator[TraceCall]:
    for s, sample in enumerate(json.loads(path.read_text()).get("samples") or []):
        for m, message in enumerate(sample.get("messages") or []):
            for c, call in enumerate(message.get("tool_calls") or []):
                yield TraceCall((s, m, c), call["function"], _arguments(call.get("arguments", {})))


# trace folder (first part of the path under the shared traces folder) -> reader
READERS: dict[str, Callable[[Path], Iterator[TraceCall]]] = {
    "tau-bench": _tau_bench,
    "tau2-bench": _tau2_bench,
    "openhands-swebench": _openhands,
    "crewai-cassettes": _crewai,
    "tracelab": _claude_code,
    "inspect-ai": _inspect,
}


class TraceCallReader:
    """Finds calls by (trace path relative to `root`, locator); parses each file once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: dict[str, dict[Locator, TraceCall]] = {}

    def calls(self, trace: str) -> list[TraceCall]:
        """Every tool call of one trace file, in file order. Raises ValueError for an unknown format."""
        return list(self._index(trace).values())

    def call(self, trace: str, at: Locator, name: str) -> TraceCall:
        """The call at `at`; raises LookupError if absent or if it is not a call of tool `name`."""
        found = self._index(trace).get(tuple(at))  # type: ignore[arg-type]
        if found is None:
            raise LookupError(f"{trace}: no tool call at {list(at)}")
        if found.name != name:
            raise LookupError(f"{trace}: the call at {list(at)} is {found.name!r}, not {name!r}")
        return found

    def _index(self, trace: str) -> dict[Locator, TraceCall]:
        if trace not in self._files:
            folder = Path(trace).parts[0]
            reader = READERS.get(folder)
            if reader is None:
                raise ValueError(f"{trace}: no reader for trace folder {folder!r} (known: {sorted(READERS)})")
            self._files[trace] = {call.at: call for call in reader(self.root / trace)}
        return self._files[trace]
