"""The verify stage: may a semantic candidate's stored result answer this query? Whatever the similarity.

Both calls are canonical argument dicts of the same tool (same schema). Field by field:

    non-string values (numbers, booleans, null)  -> equal
    strings with a `format` hint or an `enum`    -> equal after canonicalisation (paths, SQL, regexes, ...)
    free-text strings                            -> same TextSignature: quoted strings, numbers / dates /
                                                    codes in order, operators, negations, named entities,
                                                    and (policy.content_words) the same content words;
                                                    case, stop words, punctuation and word order may differ
    objects / arrays                             -> same keys / length, then recursively

A rejection says which field and which part differed, so a miss can be explained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loopcache.toolcache.text_signature import TextSignature, text_signature


@dataclass(frozen=True, slots=True)
class VerifyPolicy:
    """How strict free-text comparison is. `content_words=False` trades false hits for recall."""

    content_words: bool = True


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verify stage's answer; `reason` names the first difference found ("" when accepted)."""

    accepted: bool
    reason: str = ""


ACCEPTED = Verdict(True)


def verify_call(
    query: Mapping[str, Any],
    candidate: Mapping[str, Any],
    schema: Mapping[str, Any] | None,
    policy: VerifyPolicy = VerifyPolicy(),
) -> Verdict:
    """Pure: accept `candidate`'s result for `query` only if no guard finds a difference."""
    return _compare(query, candidate, dict(schema or {}), "args", policy)


def has_free_text(args: Mapping[str, Any], schema: Mapping[str, Any] | None) -> bool:
    """Whether any value would be compared as free text (if none, only an exact key can match)."""
    return _has_free_text(args, dict(schema or {}))


def _has_free_text(value: Any, schema: Mapping[str, Any]) -> bool:
    if isinstance(value, Mapping):
        return any(_has_free_text(item, _property(schema, key)) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_free_text(item, _items(schema)) for item in value)
    return isinstance(value, str) and _is_free_text(schema)


def _compare(query: Any, candidate: Any, schema: Mapping[str, Any], where: str, policy: VerifyPolicy) -> Verdict:
    if type(query) is not type(candidate):
        return Verdict(False, f"{where}: types differ")
    if isinstance(query, Mapping):
        if set(query) != set(candidate):
            return Verdict(False, f"{where}: keys differ {sorted(set(query) ^ set(candidate))}")
        for key in sorted(query):
            verdict = _compare(query[key], candidate[key], _property(schema, key), f"{where}.{key}", policy)
            if not verdict.accepted:
                return verdict
        return ACCEPTED
    if isinstance(query, list):
        if len(query) != len(candidate):
            return Verdict(False, f"{where}: lengths differ")
        for index, (q, c) in enumerate(zip(query, candidate, strict=True)):
            verdict = _compare(q, c, _items(schema), f"{where}[{index}]", policy)
            if not verdict.accepted:
                return verdict
        return ACCEPTED
    if isinstance(query, str) and _is_free_text(schema):
        return _compare_text(query, candidate, where, policy)
    return ACCEPTED if query == candidate else Verdict(False, f"{where}: values differ")


def _compare_text(query: str, candidate: str, where: str, policy: VerifyPolicy) -> Verdict:
    if query == candidate:
        return ACCEPTED
    q, c = text_signature(query), text_signature(candidate)
    difference = _signature_difference(q, c, policy)
    return Verdict(False, f"{where}: {difference}") if difference else ACCEPTED


def _signature_difference(q: TextSignature, c: TextSignature, policy: VerifyPolicy) -> str:
    if q.quoted != c.quoted:
        return f"quoted strings differ {q.quoted} vs {c.quoted}"
    if q.anchors != c.anchors:
        return f"numbers/dates/codes differ {q.anchors} vs {c.anchors}"
    if q.operators != c.operators:
        return f"operators differ {q.operators} vs {c.operators}"
    if q.negations != c.negations:
        return f"negations differ ({q.negations} vs {c.negations})"
    missing = sorted((q.entities - c.words) | (c.entities - q.words))
    if missing:
        return f"named entities differ {missing}"
    if policy.content_words and q.content != c.content:
        return f"content words differ {sorted(q.content ^ c.content)}"
    return ""


def _is_free_text(schema: Mapping[str, Any]) -> bool:
    return "format" not in schema and "enum" not in schema and "const" not in schema


def _property(schema: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    properties = schema.get("properties")
    prop = properties.get(key) if isinstance(properties, Mapping) else None
    return prop if isinstance(prop, Mapping) else {}


def _items(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    items = schema.get("items")
    return items if isinstance(items, Mapping) else {}
