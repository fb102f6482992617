"""Canonical tool-call arguments: two calls that mean the same to the tool get the same canonical form.

    raw args  --(schema: defaults, types, format hints)-->  canonical dict  --canonical_json-->  key bytes

Rules (driven by the tool's JSON schema; with no schema only the generic rules apply):

- object keys sorted; a property's `default` is filled in, so an explicit default equals an omitted one;
  `null` for an optional property with no default (and no "null" type) counts as omitted.
- numbers normalised: `100 == 100.0`, `-0.0 == 0`; numeric strings become numbers where the schema
  says `integer` / `number`. Booleans stay booleans.
- strings: Unicode NFC, trimmed, internal whitespace runs folded to one space; an `enum` value matching
  case-insensitively takes the enum's own spelling.
- `format` hints replace the generic string rule:
  `path`  lexical normalisation (`./`, `..`, `//`, trailing `/`), case-sensitive;
  `uri`   scheme and host lower-cased, default port dropped, path/query/fragment case-sensitive;
  `date`  common forms ("March 1, 2025", "1 Mar 2025", "2025/03/01") to ISO `YYYY-MM-DD`;
          ambiguous numeric forms ("03/04/2025") are left as written;
  `date-time` ISO 8601 forms to `datetime.isoformat()`;
  `sql`   keywords upper-cased and whitespace canonicalised outside string literals and quoted
          identifiers; a trailing `;` dropped; literals are never touched;
  `regex` nothing at all (whitespace and case are significant).

The audit's tool-repeat diagnostic uses these functions, so audit and cache agree on what repeats.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loopcache.toolcache.sql import canonical_sql

_WHITESPACE = re.compile(r"\s+")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{4})$")
_NUMERIC_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def canonical_json(value: Any) -> str:
    """Deterministic compact JSON: sorted keys, no spaces, numbers normalised, UTF-8 text kept as is.

    Tuples become lists. Raises ValueError for NaN/infinity and TypeError for values JSON cannot hold.
    """
    return json.dumps(_normalise_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def canonicalize_args(args: Mapping[str, Any], schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The canonical form of one call's arguments under the tool's parameters schema (see module doc).

    Pure: `args` is not modified. Keys not in the schema are kept and canonicalised generically.
    """
    if not isinstance(args, Mapping):
        raise TypeError(f"tool arguments must be an object, got {type(args).__name__}")
    result = _canonical_value(dict(args), dict(schema) if schema else {"type": "object"})
    assert isinstance(result, dict)
    return result


def _canonical_value(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, Mapping):
        return _canonical_object(value, schema)
    if isinstance(value, (list, tuple)):
        items = schema.get("items")
        item_schema = items if isinstance(items, Mapping) else {}
        return [_canonical_value(item, item_schema) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return _canonical_number(value)
    if isinstance(value, str):
        return _canonical_string(value, schema)
    return value


def _canonical_object(value: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    out: dict[str, Any] = {}
    for name, prop in properties.items():
        prop = prop if isinstance(prop, Mapping) else {}
        present = name in value and not (value[name] is None and not _allows_null(prop))
        if present:
            out[name] = _canonical_value(value[name], prop)
        elif "default" in prop:
            out[name] = _canonical_value(prop["default"], prop)
    for name, item in value.items():
        if name not in properties:
            out[str(name)] = _canonical_value(item, {})
    return {name: out[name] for name in sorted(out)}


def _allows_null(prop: Mapping[str, Any]) -> bool:
    types = prop.get("type")
    if "default" in prop and prop["default"] is None:
        return True
    if isinstance(types, list):
        return "null" in types
    return types == "null"


def _canonical_number(value: int | float) -> int | float:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _canonical_string(value: str, schema: Mapping[str, Any]) -> Any:
    fmt = schema.get("format")
    if fmt == "regex":
        return value
    value = unicodedata.normalize("NFC", value)
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if types & {"integer", "number"} and "string" not in types:
        number = _parse_number(value.strip())
        if number is not None:
            return number
    if fmt in _FORMATTERS:
        return _FORMATTERS[fmt](value.strip())
    folded = _WHITESPACE.sub(" ", value).strip()
    enum = schema.get("enum")
    if isinstance(enum, list) and folded not in enum:
        matches = [e for e in enum if isinstance(e, str) and e.casefold() == folded.casefold()]
        if len(matches) == 1:
            return matches[0]
    return folded


def _parse_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return _canonical_number(number) if math.isfinite(number) else None


def canonical_path(value: str) -> str:
    """Lexical path normalisation: `./a//b/../c/` -> `a/c`. Case-sensitive; symlinks are not resolved."""
    if not value:
        return value
    normalised = posixpath.normpath(value)
    if normalised.startswith("//"):
        normalised = "/" + normalised.lstrip("/")
    return normalised


def canonical_uri(value: str) -> str:
    """Scheme and host case-insensitive (lower-cased), default port dropped; the rest kept as written."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return value
    if not parts.scheme or not parts.netloc:
        return value
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))


def canonical_date(value: str) -> str:
    """Common unambiguous date forms to ISO `YYYY-MM-DD`; anything else is returned as written."""
    text = _WHITESPACE.sub(" ", value).strip().lower()
    parsed = _parse_date(text)
    return parsed.isoformat() if parsed else _WHITESPACE.sub(" ", value).strip()


def _parse_date(text: str) -> date | None:
    try:
        if match := _ISO_DATE.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if (match := _MONTH_DAY_YEAR.match(text)) and match[1] in _MONTHS:
            return date(int(match[3]), _MONTHS[match[1]], int(match[2]))
        if (match := _DAY_MONTH_YEAR.match(text)) and match[2] in _MONTHS:
            return date(int(match[3]), _MONTHS[match[2]], int(match[1]))
        if match := _NUMERIC_DMY.match(text):
            first, second = int(match[1]), int(match[2])
            if first > 12 >= second:
                return date(int(match[3]), second, first)
            if second > 12 >= first:
                return date(int(match[3]), first, second)
        if len(text) > 10 and text[4] == "-":
            return datetime.fromisoformat(text.upper()).date() if text[10:] in ("t00:00:00", "t00:00") else None
    except ValueError:
        return None
    return None


def canonical_datetime(value: str) -> str:
    """ISO 8601 date-times (`Z` or an offset) to `datetime.isoformat()`; anything else as written."""
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("z", "Z")).isoformat()
    except ValueError:
        return _WHITESPACE.sub(" ", text)


_FORMATTERS = {
    "path": canonical_path,
    "uri": canonical_uri,
    "url": canonical_uri,
    "date": canonical_date,
    "date-time": canonical_datetime,
    "sql": canonical_sql,
}


def _normalise_numbers(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _normalise_numbers(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise_numbers(item) for item in value]
    if isinstance(value, float) and not isinstance(value, bool):
        return _canonical_number(value)
    return value
