"""What the cache knows about one tool: its schema and its caching policy, as frozen data.

A tool is cached only if it is declared read-only (explicitly, or by MCP `annotations.readOnlyHint`).
A tool that is not read-only is always called, and by default its call drops every cached entry of its
scope (`invalidates=(Invalidation(),)`); precise rules narrow that, e.g. a `write_file(path)` that drops
only `read_file` entries with the same `path`: `Invalidation(tool="read_file", match=("path",))`.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, get_args, get_origin

from loopcache.toolcache.key import schema_fingerprint
from loopcache.toolcache.verify import VerifyPolicy


# Cosine similarity a stored call needs to reach the verify stage. Verify is the guard: on the dev pairs
# (bench/toolcache_eval.py) it accepted no non-equivalent pair at any threshold down to 0.6, while ids
# written two ways ("doi:10.1145/..." / "10.1145/...") embed at 0.84-0.89; 0.8 keeps unrelated calls out.
DEFAULT_SEMANTIC_THRESHOLD = 0.8

# Whether a tool gets the semantic stage when not told (API, decorator and proxy): False = exact stage only;
# `semantic=True` (or None: on for read-only tools) turns it on, where it runs only for calls with free-text
# arguments (verify.has_free_text). Issue 13's rule: on by default only if semantic + verify keeps 0 false hits
# on pairs nobody tuned on. It did not: every blind set's first run found some (fresh 5, fresh3 8, fresh4 6,
# fresh5 2, fresh6 3, fresh7 6), and two held-out halves kept some after their dev halves' rules (fresh4 5 in
# 62, fresh7 2 in 62), where the exact stage had none. docs/toolcache.md, "Defaults".
DEFAULT_SEMANTIC: bool | None = False


class Scope(Enum):
    """Who shares cached results: one session (default), or a whole namespace (tenant)."""

    SESSION = "session"
    NAMESPACE = "namespace"


@dataclass(frozen=True, slots=True)
class SemanticPolicy:
    """The optional semantic stage of one tool.

    `threshold` is a cosine similarity between call embeddings, in [-1, 1]: a stored call is a candidate
    only if its similarity to the query is >= threshold, so HIGHER = STRICTER (1.0 accepts only calls that
    embed identically). Every candidate must still pass the verify stage.
    """

    enabled: bool = False
    threshold: float = DEFAULT_SEMANTIC_THRESHOLD
    top_k: int = 5
    verify: VerifyPolicy = VerifyPolicy()

    def __post_init__(self) -> None:
        if not -1.0 <= self.threshold <= 1.0:
            raise ValueError(f"semantic threshold is a cosine similarity in [-1, 1], got {self.threshold}")
        if self.top_k < 1:
            raise ValueError("top_k must be >= 1")


@dataclass(frozen=True, slots=True)
class Invalidation:
    """Entries a side-effecting call drops (in its own scope): of `tool` (None: every tool) whose
    canonical arguments named in `match` equal the writing call's (empty: all entries of that tool)."""

    tool: str | None = None
    match: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One registered tool. `ttl` in seconds (None: no expiry)."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"}, hash=False)
    read_only: bool = False
    ttl: float | None = None
    semantic: SemanticPolicy = SemanticPolicy()
    scope: Scope = Scope.SESSION
    invalidates: tuple[Invalidation, ...] = (Invalidation(),)
    cache_errors: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a tool needs a name")
        if self.ttl is not None and self.ttl <= 0:
            raise ValueError(f"ttl must be > 0 seconds or None, got {self.ttl}")

    @property
    def fingerprint(self) -> str:
        return schema_fingerprint(self.parameters)


def with_formats(schema: Mapping[str, Any], formats: Mapping[str, str] | None) -> dict[str, Any]:
    """A copy of a parameters schema in which argument `name` has format `formats[name]` (formats.py), for
    tools whose schema does not say what an argument is. Raises ValueError for an unknown format."""
    from loopcache.toolcache.formats import FORMATS

    out = copy.deepcopy(dict(schema))
    if formats:
        properties = out.setdefault("properties", {})
        for argument, fmt in formats.items():
            if fmt not in FORMATS:
                raise ValueError(f"argument {argument!r}: unknown format {fmt!r} (known: {sorted(FORMATS)})")
            properties[argument] = {**properties.get(argument, {"type": "string"}), "format": fmt}
    return out


def with_inference(schema: Mapping[str, Any], infer: bool) -> dict[str, Any]:
    """A copy of a parameters schema; with `infer` False it is marked so that the canonicaliser reads only what
    the schema and the user declare (canonical.py, INFER_KEY), so the fingerprint and every key change too."""
    from loopcache.toolcache.canonical import INFER_KEY

    out = copy.deepcopy(dict(schema))
    if not infer:
        out[INFER_KEY] = False
    return out


@dataclass(frozen=True, slots=True)
class ToolDefinition:
    """A tool definition read from an OpenAI or MCP description: name, schema, declared read-only hint."""

    name: str
    parameters: Mapping[str, Any]
    read_only_hint: bool | None


def parse_definition(definition: Any) -> ToolDefinition:
    """Read an OpenAI tool (`{"type": "function", "function": {...}}` or the bare function object) or an MCP
    tool (`{"name", "inputSchema", "annotations": {"readOnlyHint"}}`, or an `mcp.types.Tool`).

    The tool's `description` says what its arguments mean ("Run SQL against the PostgreSQL warehouse"): it
    becomes the description of the parameters schema where that has none of its own."""
    if not isinstance(definition, Mapping) and hasattr(definition, "model_dump"):
        definition = definition.model_dump(by_alias=True, mode="json", exclude_none=True)
    if not isinstance(definition, Mapping):
        raise TypeError(f"not a tool definition: {type(definition).__name__}")
    if definition.get("type") == "function" and isinstance(definition.get("function"), Mapping):
        definition = definition["function"]
    name = definition.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("tool definition has no name")
    schema = dict(definition.get("parameters", definition.get("inputSchema", definition.get("input_schema")))
                  or {"type": "object"})
    about = definition.get("description")
    if isinstance(about, str) and about.strip() and not schema.get("description"):
        schema["description"] = about
    annotations = definition.get("annotations") or {}
    hint = annotations.get("readOnlyHint", annotations.get("read_only_hint"))
    return ToolDefinition(name, schema, hint if isinstance(hint, bool) else None)


_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean",
                               list: "array", tuple: "array", dict: "object"}


def schema_from_signature(fn: Callable[..., Any]) -> dict[str, Any]:
    """A JSON schema for a Python function's parameters: types from annotations, defaults from defaults.

    Defaults matter: they make an explicit default equal an omitted one. Unannotated parameters are untyped.
    """
    properties: dict[str, Any] = {}
    required = []
    hints = _resolved_hints(fn)
    for name, parameter in inspect.signature(fn).parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        prop: dict[str, Any] = {}
        annotation = hints.get(name, parameter.annotation)
        json_type = _JSON_TYPES.get(get_origin(annotation) or annotation)
        if json_type is None and get_args(annotation):
            types = {_JSON_TYPES.get(get_origin(a) or a) for a in get_args(annotation) if a is not type(None)}
            json_type = types.pop() if len(types) == 1 else None
        if json_type:
            prop["type"] = json_type
        if parameter.default is parameter.empty:
            required.append(name)
        elif isinstance(parameter.default, (str, int, float, bool, type(None))):
            prop["default"] = parameter.default
        properties[name] = prop
    return {"type": "object", "properties": properties, "required": required}


def _resolved_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        import typing

        return typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        return {}
