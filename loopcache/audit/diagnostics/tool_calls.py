"""Diagnostic 3: tool output sizes and repeated tool calls.

Every tool call the model emitted is matched to the result that came back (by call id) and compared with
the earlier calls of the session:

    exact      same tool, argument text identical
    canonical  same tool, arguments equal after canonicalisation (the toolcache's own rules: sorted keys,
               defaults from the tool schema, numbers and whitespace normalised, `format` hints; string
               properties named *path/*file/*dir without a format are treated as paths)
    semantic   same tool, canonical arguments at least 90 % similar (difflib ratio): a near repeat that only
               a semantic cache with verification could answer, so it is not counted as saved

A tool-result cache answers exact and canonical repeats. It is only right to do so when the tool would
have returned the same thing: a repeat whose logged result differs from the earlier one (a test rerun after
an edit) is counted as a repeat but not as saved. Calls saved = exact and canonical repeats with an
identical result; tokens saved = their result tokens (estimated).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass

from loopcache.audit.step import Session, ToolCall
from loopcache.audit.tokens import estimate_tokens
from loopcache.toolcache.canonical import canonical_json, canonicalize_args
from loopcache.toolcache.spec import parse_definition

NEAR_RATIO = 0.90
_PATH_SUFFIXES = ("path", "file", "dir", "directory", "filename")


@dataclass(frozen=True)
class ToolUse:
    """One call and what it returned (`result_tokens` 0 when the result is not in the log)."""

    step: int
    name: str
    raw_arguments: str
    canonical_arguments: str
    result_tokens: int
    repeat: str | None  # None, "exact", "canonical" or "semantic"
    repeat_of_step: int | None
    result_digest: str
    same_result: bool  # a repeat whose result equals the earlier call's result


@dataclass(frozen=True)
class ToolSize:
    name: str
    num_calls: int
    result_tokens: int
    max_result_tokens: int


@dataclass(frozen=True)
class ToolCallReport:
    uses: tuple[ToolUse, ...]

    def count(self, repeat: str) -> int:
        return sum(1 for u in self.uses if u.repeat == repeat)

    def _saved(self) -> list[ToolUse]:
        return [u for u in self.uses if u.repeat in ("exact", "canonical") and u.same_result]

    @property
    def calls_saved(self) -> int:
        return len(self._saved())

    @property
    def tokens_saved(self) -> int:
        return sum(u.result_tokens for u in self._saved())

    def sizes(self) -> tuple[ToolSize, ...]:
        names = sorted({u.name for u in self.uses})
        out = []
        for name in names:
            mine = [u.result_tokens for u in self.uses if u.name == name]
            out.append(ToolSize(name, len(mine), sum(mine), max(mine)))
        return tuple(sorted(out, key=lambda s: -s.result_tokens))


def _schemas(session: Session) -> dict[str, dict]:
    """Tool name -> its parameter schema, from the tool definitions the requests carried."""
    schemas: dict[str, dict] = {}
    for step in session.steps[:1] + session.steps[-1:]:
        for definition in step.request.tools:
            try:
                parsed = parse_definition(json.loads(definition))
            except (TypeError, ValueError):  # not JSON, or not a tool definition
                continue
            schemas[parsed.name] = _with_path_hints(dict(parsed.parameters))
    return schemas


def _with_path_hints(schema: dict) -> dict:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema
    hinted = {}
    for key, prop in properties.items():
        is_pathlike = isinstance(prop, dict) and prop.get("type") == "string" and "format" not in prop
        if is_pathlike and key.lower().endswith(_PATH_SUFFIXES):
            prop = {**prop, "format": "path"}
        hinted[key] = prop
    return {**schema, "properties": hinted}


def _canonical(call: ToolCall, schema: dict | None) -> str:
    if call.arguments is None:
        return " ".join(call.raw_arguments.split())
    try:
        return canonical_json(canonicalize_args(call.arguments, schema, call.name))
    except (TypeError, ValueError):
        return canonical_json(call.arguments)


def tool_calls(session: Session) -> ToolCallReport:
    schemas = _schemas(session)
    results: dict[str, str] = {}
    for step in session.steps:
        for result in step.tool_results:
            if result.call is not None and result.call.call_id:
                results[result.call.call_id] = result.text
    uses: list[ToolUse] = []
    for step in session.steps:
        for call in step.output_tool_calls:
            canonical = _canonical(call, schemas.get(call.name))
            repeat, of_step, same = None, None, False
            text = results.get(call.call_id or "", "")
            digest = hashlib.sha256(text.encode()).hexdigest()
            same_tool = [u for u in reversed(uses) if u.name == call.name]
            exact = next((u for u in same_tool if u.raw_arguments == call.raw_arguments), None)
            canon = exact or next((u for u in same_tool if u.canonical_arguments == canonical), None)
            if canon is not None:
                repeat = "exact" if exact is not None else "canonical"
                of_step, same = canon.step, bool(text) and canon.result_digest == digest
            else:
                near = next(
                    (u for u in same_tool if difflib.SequenceMatcher(None, u.canonical_arguments, canonical).ratio() >= NEAR_RATIO), None
                )
                if near is not None:
                    repeat, of_step = "semantic", near.step
            uses.append(
                ToolUse(step.index, call.name, call.raw_arguments, canonical, estimate_tokens(text), repeat, of_step, digest, same)
            )
    return ToolCallReport(tuple(uses))
