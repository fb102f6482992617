"""Labelled pairs of tool calls: would a correct cache answer call `b` with the stored result of call `a`?

One JSON object a line (`bench/data/toolcalls/pairs.jsonl`):

    {"id": "grd-007", "tool": "get_reservation_details", "equivalent": false, "why": "one character off",
     "a": {"ref": {"trace": "tau-bench/gpt-4o-airline.json", "at": [12, 4, 0]}},
     "b": {"ref": {"trace": "tau-bench/gpt-4o-airline.json", "at": [12, 4, 0]},
           "edits": [{"op": "bump_digit", "field": "reservation_id"}]}}

A side of a pair is either literal arguments written by hand (`{"args": {...}}`) or a reference to a real
call in the shared traces folder (`ref`: trace path relative to that folder + locator, see trace_calls.py),
optionally with `edits` applied at load time. So no text of those traces is stored here: a reference is
resolved when the pairs are loaded, and the tool name in the trace must match the pair's tool.

Edits (`EDITS`): set, drop, case, pad, spaces, replace, bump_digit, swap_fields, date_style, shift_date,
prefix, rotate_words, reorder_keys. `field` may be a dotted path into nested objects / lists ("flights.0.date").

The split into dev and held-out is decided once, by a seeded hash of the pair id (`split_of`), and
recorded in `split.json` next to the pairs; loading checks the recorded split against the hash.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from loopcache.toolcache.trace_calls import TraceCallReader

SPLIT_SEED = "loopcache-toolcalls-split-v1"
HELD_OUT_FRACTION = 0.5
DEV, HELD_OUT = "dev", "heldout"


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """One resolved pair: both calls' arguments as the tool would receive them."""

    id: str
    tool: str
    a: dict[str, Any]
    b: dict[str, Any]
    equivalent: bool
    why: str
    kind: str  # "trace" (both calls from traces), "variant" (a trace call edited) or "hand" (written by hand)
    split: str


@dataclass(frozen=True, slots=True)
class ToolInfo:
    name: str
    read_only: bool
    parameters: dict[str, Any]
    source: str


def split_of(pair_id: str) -> str:
    """dev or heldout, from sha256(seed:id): stable across machines, independent of file order."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{pair_id}".encode()).digest()
    return HELD_OUT if int.from_bytes(digest[:8], "big") / 2**64 < HELD_OUT_FRACTION else DEV


def load_tools(path: Path) -> dict[str, ToolInfo]:
    raw = json.loads(Path(path).read_text())
    return {name: ToolInfo(name, bool(tool["read_only"]), dict(tool["parameters"]), tool.get("source", ""))
            for name, tool in raw.items()}


def load_pairs(pairs_path: Path, shared: Path, split_path: Path | None = None) -> list[LabelledPair]:
    """Read, resolve and check every pair. `shared` is the shared folder (its `traces/` holds the traces).

    Raises ValueError naming the line for a malformed pair, a trace call that is not where the pair
    says, a duplicate id, or a recorded split that disagrees with `split_of`.
    """
    reader = TraceCallReader(Path(shared) / "traces")
    recorded = json.loads(Path(split_path).read_text())["split"] if split_path else {}
    pairs, seen = [], set()
    for number, line in enumerate(Path(pairs_path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{pairs_path}:{number}"
        try:
            raw = json.loads(line)
            pair_id, tool = str(raw["id"]), str(raw["tool"])
            sides = [_resolve(raw[side], tool, reader) for side in ("a", "b")]
            kinds = {_kind(raw[side]) for side in ("a", "b")}
        except (KeyError, TypeError, ValueError, LookupError) as error:
            raise ValueError(f"{where}: {error}") from error
        if pair_id in seen:
            raise ValueError(f"{where}: duplicate pair id {pair_id!r}")
        seen.add(pair_id)
        split = split_of(pair_id)
        if split_path and recorded.get(pair_id) != split:
            raise ValueError(f"{where}: pair {pair_id!r} is recorded as {recorded.get(pair_id)!r} in {split_path}, "
                             f"the hash says {split!r}")
        kind = "hand" if kinds == {"hand"} else "trace" if kinds == {"trace"} else "variant"
        pairs.append(LabelledPair(pair_id, tool, sides[0], sides[1], bool(raw["equivalent"]), str(raw.get("why", "")),
                                  kind, split))
    return pairs


def _kind(side: Mapping[str, Any]) -> str:
    if "args" in side:
        return "hand"
    return "variant" if side.get("edits") else "trace"


def _resolve(side: Mapping[str, Any], tool: str, reader: TraceCallReader) -> dict[str, Any]:
    if "args" in side:
        if not isinstance(side["args"], dict):
            raise ValueError("`args` must be an object")
        return copy.deepcopy(side["args"])
    ref = side["ref"]
    args = copy.deepcopy(reader.call(ref["trace"], tuple(ref["at"]), tool).args)
    for edit in side.get("edits") or []:
        operation = EDITS.get(edit.get("op"))
        if operation is None:
            raise ValueError(f"unknown edit {edit.get('op')!r} (known: {sorted(EDITS)})")
        args = operation(args, edit)
    return args


# -- edits: small pure functions (args, edit) -> args ----------------------------------------------------

def _get(args: Any, field: str) -> Any:
    for part in field.split("."):
        args = args[int(part)] if isinstance(args, list) else args[part]
    return args


def _put(args: Any, field: str, value: Any) -> None:
    *parents, last = field.split(".")
    target = _get(args, ".".join(parents)) if parents else args
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def _on_string(change: Callable[[str, Mapping[str, Any]], Any]) -> Callable[[dict, Mapping[str, Any]], dict]:
    def edit(args: dict, spec: Mapping[str, Any]) -> dict:
        value = _get(args, spec["field"])
        if not isinstance(value, str):
            raise ValueError(f"edit {spec['op']} needs a string at {spec['field']}, got {type(value).__name__}")
        _put(args, spec["field"], change(value, spec))
        return args

    return edit


def _set(args: dict, spec: Mapping[str, Any]) -> dict:
    _put(args, spec["field"], copy.deepcopy(spec["value"]))
    return args


def _drop(args: dict, spec: Mapping[str, Any]) -> dict:
    *parents, last = spec["field"].split(".")
    target = _get(args, ".".join(parents)) if parents else args
    del target[last]
    return args


def _bump_digit(args: dict, spec: Mapping[str, Any]) -> dict:
    value = _get(args, spec["field"])
    if isinstance(value, int) and not isinstance(value, bool):
        _put(args, spec["field"], value + 1)
        return args
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    if not digits:
        raise ValueError(f"bump_digit: no digit in {spec['field']}")
    i = digits[-1]
    _put(args, spec["field"], value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1:])
    return args


def _swap_fields(args: dict, spec: Mapping[str, Any]) -> dict:
    first, second = _get(args, spec["a"]), _get(args, spec["b"])
    _put(args, spec["a"], second)
    _put(args, spec["b"], first)
    return args


_DATE_STYLES = {
    "long": lambda d: f"{d:%B} {d.day}, {d.year}",
    "short": lambda d: f"{d:%b} {d.day} {d.year}",
    "day_first": lambda d: f"{d.day} {d:%B} {d.year}",
    "slash": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
}


def _iso(value: str) -> date:
    return date.fromisoformat(value.strip())


def _rotate_words(value: str, spec: Mapping[str, Any]) -> str:
    words = value.split()
    n = int(spec.get("n", 1))
    return " ".join(words[n:] + words[:n])


def _reorder_keys(args: dict, spec: Mapping[str, Any]) -> dict:
    return dict(reversed(list(args.items())))


EDITS: dict[str, Callable[[dict, Mapping[str, Any]], dict]] = {
    "set": _set,
    "drop": _drop,
    "case": _on_string(lambda v, s: {"lower": v.lower(), "upper": v.upper(), "title": v.title()}[s["to"]]),
    "pad": _on_string(lambda v, s: f"  {v} "),
    "spaces": _on_string(lambda v, s: v.replace(" ", "") if s["mode"] == "remove" else re.sub(" ", "  ", v)),
    "replace": _on_string(lambda v, s: _replace(v, s["old"], s["new"])),
    "bump_digit": _bump_digit,
    "swap_fields": _swap_fields,
    "date_style": _on_string(lambda v, s: _DATE_STYLES[s["style"]](_iso(v))),
    "shift_date": _on_string(lambda v, s: (_iso(v) + timedelta(days=int(s["days"]))).isoformat()),
    "prefix": _on_string(lambda v, s: s["value"] + v),
    "rotate_words": _on_string(_rotate_words),
    "reorder_keys": _reorder_keys,
}


def _replace(value: str, old: str, new: str) -> str:
    if old not in value:
        raise ValueError(f"replace: {old!r} not found")
    return value.replace(old, new, 1)
