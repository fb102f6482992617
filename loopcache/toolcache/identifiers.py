"""Identifiers written with or without the scheme that names them: one id, several spellings.

    "arXiv:2405.16444"  "arxiv.org/abs/2405.16444"  "https://arxiv.org/pdf/2405.16444v2.pdf"  -> arxiv 2405.16444(v2)
    "doi:10.1145/3600006.3613165"  "DOI: 10.1145/..."  "https://doi.org/10.1145/..."            -> doi 10.1145/...
    "NASDAQ:MSFT"                                                                               -> nasdaq MSFT
    "2405.16444"                                                                                -> (no scheme)

A scheme is recognised only from `vocabulary.ID_SCHEMES` (so "site:example.com" or "issue:12" are not ids)
or from a resolver URL of arXiv or DOI. Two spellings name the same id when the ids are equal ignoring case
(DOIs and arXiv ids are case-insensitive) and the schemes agree, a missing scheme agreeing with any: the
prefix only repeats what the tool's argument already is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loopcache.toolcache.vocabulary import ID_SCHEMES

_RESOLVERS = (
    ("arxiv", re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>[^\s?#]+?)(?:\.pdf)?/?$",
                         re.IGNORECASE)),
    ("doi", re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/(?P<id>10\.\S+)$", re.IGNORECASE)),
)
_PREFIXED = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9-]*)\s*:\s*(?P<id>\S+)$")
_TOKEN = re.compile(r"^\S+$")
# In running text: a known scheme word directly before an id ("arXiv:2405.16444", "NYSE: IBM"); without the
# colon only arXiv and DOI ("doi 10.1/x"), since "amex 5 cards" is not an exchange
_IN_TEXT = re.compile(r"\b(?P<scheme>[A-Za-z][A-Za-z0-9-]*)(?P<colon>\s*:\s*|\s+)(?=[A-Za-z0-9]*\d|[A-Z]{1,5}\b)")
_SPACED = frozenset({"arxiv", "doi"})


@dataclass(frozen=True, slots=True)
class Identifier:
    """One id as written: its scheme (lower case) if the spelling names one, and the id itself."""

    scheme: str | None
    value: str

    def same_as(self, other: Identifier) -> bool:
        """Same id: equal ignoring case, and the schemes agree (a missing one agrees with any)."""
        if self.scheme and other.scheme and self.scheme != other.scheme:
            return False
        return self.value.casefold() == other.value.casefold()


def parse_identifier(text: str) -> Identifier | None:
    """The whole value as one identifier, or None if it is not a single token (running text)."""
    value = text.strip()
    for scheme, pattern in _RESOLVERS:
        if match := pattern.match(value):
            return Identifier(scheme, match["id"])
    match = _PREFIXED.match(value)
    if match and match["scheme"].lower() in ID_SCHEMES:
        return Identifier(match["scheme"].lower(), match["id"])
    return Identifier(None, value) if _TOKEN.match(value) else None


def same_identifier(a: str, b: str) -> bool | None:
    """Whether two values name the same id; None when the rule does not apply (no scheme on either side,
    or one of them is not a single identifier)."""
    first, second = parse_identifier(a), parse_identifier(b)
    if first is None or second is None or (first.scheme is None and second.scheme is None):
        return None
    return first.same_as(second)


def strip_schemes(text: str) -> tuple[str, frozenset[str]]:
    """Running text with known scheme prefixes and arXiv/DOI resolver URLs reduced to the bare ids, and
    the schemes that were named."""
    schemes: set[str] = set()
    words = []
    for word in text.split(" "):
        found = next(((s, m) for s, p in _RESOLVERS if (m := p.match(word))), None)
        if found:
            schemes.add(found[0])
            word = found[1]["id"]
        words.append(word)

    def drop(match: re.Match[str]) -> str:
        scheme = match["scheme"].lower()
        if scheme not in ID_SCHEMES or (":" not in match["colon"] and scheme not in _SPACED):
            return match.group()
        schemes.add(scheme)
        return ""

    return _IN_TEXT.sub(drop, " ".join(words)), frozenset(schemes)
