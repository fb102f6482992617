"""String formats: what kind of value an argument is, and that kind's one canonical spelling.

    format      canonical spelling (a value it cannot read is left as written, whitespace folded)
    path        lexical normalisation (`./`, `..`, `//`, trailing `/`), case-sensitive
    uri         scheme and host lower-cased, default port dropped; path, query, fragment as written (also `url`, `iri`)
    date        common unambiguous forms to ISO `YYYY-MM-DD` ("03/04/2025" is ambiguous: kept)
    date-time   ISO 8601 to `datetime.isoformat()`
    sql         keywords upper-cased, whitespace canonical, literals untouched (sql.py)
    regex       untouched: case and whitespace are significant
    email       trimmed, lower case
    address     postal address: case and punctuation dropped, USPS abbreviations ("Parkway" = "Pkwy",
                "South" = "S"), state names = codes after a comma or before a ZIP ("Redmond, Washington")
    period      reporting period: "third quarter of 2024" = "2024 Q3" = "3Q24" -> "Q3 2024"; "first half
                of 2024" -> "H1 2024"; "fiscal year 2023" / "FY 23" -> "FY2023" ("Q3 FY2024" stays fiscal)
    unit        unit of measure: "kilometres" = "km", "°F" = "fahrenheit", "lbs" = "pounds";
                "GB" != "GiB", and "Mb" (megabit) is not "MB"
    doi         the DOI itself, lower case (DOIs are case-insensitive): "doi:", "https://doi.org/" dropped
    arxiv       the arXiv id itself: "arXiv:", "arxiv.org/abs/", "/pdf/" dropped; a version suffix kept

Where the schema gives no `format`, `infer_format` reads one from the property's name (its last word:
`file_path`, `dir` -> path; `url`, `href` -> uri; `date`, `start_date` -> date; `shipping_address` ->
address, `email_address` -> email, `ip_address` -> none; `period`, `quarter` -> period; `unit`, `to_unit` ->
unit; `doi` -> doi; `arxiv_id` -> arxiv; `email` -> email), and `value_format` from the value itself
(a whole value that is an absolute URL is a uri).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loopcache.toolcache.dates import canonical_date, canonical_datetime
from loopcache.toolcache.identifiers import parse_identifier
from loopcache.toolcache.rewrites import rewrite
from loopcache.toolcache.sql import canonical_sql
from loopcache.toolcache.text_tokens import tokenize
from loopcache.toolcache.vocabulary import UNITS

_WHITESPACE = re.compile(r"\s+")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


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


def canonical_address(value: str) -> str:
    return " ".join(token.text for token in tokenize(rewrite(value)))


def canonical_period(value: str) -> str:
    """"third quarter of 2024" -> "Q3 2024"; a value with anything else in it is kept as written."""
    words = re.findall(r"[A-Za-z0-9]+", rewrite(value))
    order = {"q": 0, "h": 0, "fy": 1, "year": 2}
    parts = []
    for word in words:
        upper = word.upper()
        kind = ("q" if re.fullmatch(r"Q[1-4]", upper) else "h" if re.fullmatch(r"H[12]", upper)
                else "fy" if re.fullmatch(r"FY\d{4}", upper) else "year" if re.fullmatch(r"\d{4}", word) else None)
        if kind is None:
            return _WHITESPACE.sub(" ", value).strip()
        parts.append((order[kind], upper))
    return " ".join(text for _, text in sorted(parts)) if parts else _WHITESPACE.sub(" ", value).strip()


def canonical_unit(value: str) -> str:
    text = _WHITESPACE.sub(" ", rewrite(value)).strip()
    key = text.casefold()
    is_bits = len(text) == 2 and text[0].isupper() and text[1] == "b"  # "Mb" is a megabit
    return UNITS[key] if key in UNITS and not is_bits else text


def canonical_doi(value: str) -> str:
    found = parse_identifier(value)
    if found and found.scheme in ("doi", None) and _DOI.match(found.value):
        return found.value.lower()
    return _WHITESPACE.sub(" ", value).strip()


def canonical_arxiv(value: str) -> str:
    found = parse_identifier(value)
    return found.value.lower() if found and found.scheme in ("arxiv", None) else _WHITESPACE.sub(" ", value).strip()


FORMATS: dict[str, Callable[[str], str]] = {
    "path": canonical_path,
    "uri": canonical_uri, "url": canonical_uri, "iri": canonical_uri,
    "date": canonical_date,
    "date-time": canonical_datetime,
    "sql": canonical_sql,
    "regex": lambda value: value,
    "email": lambda value: value.strip().lower(),
    "address": canonical_address,
    "period": canonical_period,
    "unit": canonical_unit,
    "doi": canonical_doi,
    "arxiv": canonical_arxiv,
}

# property-name word -> format (the name's last word; see the module doc)
_NAME_HINTS: dict[str, str] = {
    "path": "path", "file": "path", "filepath": "path", "filename": "path", "dir": "path", "directory": "path",
    "folder": "path", "paths": "path", "files": "path", "filenames": "path", "dirs": "path", "directories": "path",
    "folders": "path", "url": "uri", "uri": "uri", "href": "uri", "link": "uri", "urls": "uri", "uris": "uri",
    "links": "uri", "date": "date", "dates": "date",
    "address": "address", "period": "period", "quarter": "period", "unit": "unit", "units": "unit",
    "doi": "doi", "email": "email",
}
_NOT_POSTAL = frozenset({"email", "mail", "ip", "mac", "wallet", "memory", "server", "host", "bind", "listen",
                         "remote", "local", "web", "contract", "network", "broadcast"})


def infer_format(name: str | None, schema: Mapping[str, Any]) -> str | None:
    """The property's format: the schema's `format` if it has one (known or not), else one read from the
    property name, else None. Enums and consts are not formatted (they have their own spellings)."""
    declared = schema.get("format")
    if isinstance(declared, str):
        return declared
    if not name or "enum" in schema or "const" in schema:
        return None
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if not words:
        return None
    if "arxiv" in words:
        return "arxiv"
    hint = _NAME_HINTS.get(words[-1])
    if hint == "address" and {"email", "mail"}.intersection(words):
        return "email"
    if hint == "address" and _NOT_POSTAL.intersection(words):
        return None
    return hint


def value_format(value: str) -> str | None:
    """A format the value shows by itself: an absolute URL is a uri."""
    return "uri" if _URL.match(value.strip()) else None


