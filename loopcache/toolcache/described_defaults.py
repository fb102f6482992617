"""The default an argument's description states in words, where its schema has no `default`.

    "USD by default"                       -> "USD" (a bare word only where the enum or the pattern takes it)
    "0.5 by default", "defaults to 10"     -> a number, for an `integer` / `number` argument
    "defaults to ['uk']"                   -> a list, for an `array` argument
    "(default: 'desc')", "default is true" -> the quoted string, the boolean
    "Default 5e-8", "Default [a, b]"       -> the number, the enum values
    "when false (the default) ..."         -> false
    "pvalue ascending (default)", "0, the default, means all"  -> "pvalue", 0
    an object "every field defaults to ..." -> {} (each of its fields then its own default), where every field
                                              of it has a default

An argument that "defaults to age_from" or "if left out equals date_from" (a sibling's exact name) takes that
sibling's value (`default_sibling`).

So an omitted argument equals the same call with that value written out (canonical.py fills it in like a
schema `default`). Only a literal counts, and only one the sentence states without a condition: "defaults to
the account's currency", "defaults to 20 for free plans" and "if `full` is set, defaults to 50" state none.
Pure; None where the description states no such default.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

_LITERAL = r"('[^']*'|\"[^\"]*\"|`[^`]*`|\[[^\]]*\]|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z][\w.-]*)"
_END = r"\s*(?:\([^()]*\)\s*)?(?=[).,;]|$)"  # "default 'MWL' (Muslim World League)"
_STATED = (re.compile(rf"\bdefaults?(?:\s+(?:to|is|value is)|\s*[:=])?\s*{_LITERAL}{_END}", re.I),
           re.compile(rf"(?:^\s*|[;(,]\s*|\.\s+){_LITERAL} (?:by default|is the default|if omitted|when omitted)"
                      rf"{_END}", re.I))
# marked as the default: "when false (the default) ...", "pvalue ascending (default)", "0, the default, means all"
_MARKED = (re.compile(rf"\b(?:when|if) {_LITERAL} \((?:the )?default\)", re.I),
           re.compile(rf"(?:^\s*|[,;(]\s*|\.\s+|\bor\s+){_LITERAL}(?: [a-z]+)? \((?:the )?default\)", re.I),
           re.compile(rf"(?:^\s*|[.;(]\s*){_LITERAL}, the default,", re.I))
_SIBLING = re.compile(r"\bdefaults? (?:to|is) (?:the value of |the same value as |the same as )?[`'\"‘“]?"
                      r"([A-Za-z_][A-Za-z0-9_]*)[`'\"’”]?(?=[).,;]|\s*$)", re.I)
# "if left out it equals date_from": the condition is the omission itself
_OMITTED_SIBLING = re.compile(r"\b(?:if|when) (?:left out|omitted|not given|not set|absent),? (?:it )?"
                              r"(?:equals|is|takes) "
                              r"(?:the value of |the same value as |the same as )?[`'\"‘“]?([A-Za-z_][A-Za-z0-9_]*)"
                              r"[`'\"’”]?(?=[).,;]|\s*$)"
                              r"|\bsame as [`'\"‘“]?([A-Za-z_][A-Za-z0-9_]*)[`'\"’”]? (?:if|when) "
                              r"(?:not set|not given|omitted|left out|absent)\b", re.I)
_CONDITION = re.compile(r"\b(?:if|when|unless|except|otherwise|depending)\b", re.I)
_TRIGGER = re.compile(r"\b(?:if|when) omitted\b", re.I)
_SENTENCE = re.compile(r"[^.;]+(?:\.\d[^.;]*)*")  # a clause, a decimal point not ending it


def described_default(schema: Mapping[str, Any], text: str) -> tuple[Any] | None:
    """`(value,)` for the default description `text` states for an argument with schema `schema`; else None."""
    if "default" in schema or not text or "default" not in text.lower() and "omitted" not in text.lower():
        return None
    fields = schema.get("properties")
    if schema.get("type") == "object" and isinstance(fields, Mapping) and fields and all(
            isinstance(field, Mapping) and ("default" in field or described_default(field, field.get("description", ""))
                                            is not None) for field in fields.values()):
        return ({},)  # "every field defaults to the blank form": omitted, it is all its defaults
    for sentence in _SENTENCE.findall(text):
        for marked in _MARKED:  # marked as the default: whatever the rest of the sentence says
            for match in marked.finditer(sentence):
                if (value := _typed(match[1], schema)) is not None:
                    return value
        if _CONDITION.search(_TRIGGER.sub("", sentence)):
            continue
        for pattern in _STATED:
            for match in pattern.finditer(sentence):
                if (value := _typed(match[1], schema)) is not None:
                    return value
    return None


def _typed(literal: str, schema: Mapping[str, Any]) -> tuple[Any] | None:
    """The literal as a value of the argument's type (one of them, for a list of types), or None where it is not
    one (or no type is declared)."""
    declared = schema.get("type")
    kinds = set(declared) if isinstance(declared, list) else {declared}
    if literal[:1] in "'\"`":
        return _checked(literal[1:-1], schema) if "string" in kinds else None
    if literal.startswith("["):
        try:
            items = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            items = _bare_items(literal, schema)
            if items is None:
                return None
        ok = isinstance(items, list) and all(isinstance(item, (str, int, float)) for item in items)
        return (items,) if "array" in kinds and ok else None
    if literal.lower() in ("true", "false"):
        return (literal.lower() == "true",) if "boolean" in kinds else None
    if re.fullmatch(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", literal):
        number = float(literal) if "." in literal or "e" in literal.lower() else int(literal)
        return (number,) if "number" in kinds or ("integer" in kinds and isinstance(number, int)) else None
    return _checked(literal, schema, bare=True) if "string" in kinds else None


def _bare_items(literal: str, schema: Mapping[str, Any]) -> list[str] | None:
    """"[definition, synonyms]": unquoted words, where every one is a value of the items' enum; else None."""
    items = schema.get("items")
    enum = items.get("enum") if isinstance(items, Mapping) else None
    words = [word.strip() for word in literal[1:-1].split(",")]
    if not isinstance(enum, list) or not all(word in enum for word in words):
        return None
    return words


def _checked(value: str, schema: Mapping[str, Any], bare: bool = False) -> tuple[Any] | None:
    """A string default, where the schema's enum or pattern takes it (a bare word needs one of them to)."""
    enum = schema.get("enum")
    if isinstance(enum, list):
        return (value,) if any(isinstance(e, str) and e.casefold() == value.casefold() for e in enum) else None
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            return (value,) if re.search(pattern, value) else None
        except re.error:
            return None
    return None if bare else (value,)


def default_sibling(text: str, name: str, siblings: Mapping[str, Any]) -> str | None:
    """The sibling whose value an omitted argument `name` takes ("Defaults to age_from, i.e. a single age");
    None where its description `text` names none without a condition."""
    for clause in _SENTENCE.findall(text):
        said = _SIBLING.search(clause)
        if said is None or _CONDITION.search(clause):
            said = _OMITTED_SIBLING.search(clause)
        sibling = (said[1] or said[2]) if said else None  # "if left out it equals X", "same as X if not set"
        if sibling and sibling != name and sibling in siblings:
            return sibling
    return None
