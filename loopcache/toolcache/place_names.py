"""Place names that stand for a code: a country's English name for its ISO 3166-1 alpha-2 code, a US state's
name for its USPS code.

    country_of_name("Côte d'Ivoire") = country_of_name("cote d’ivoire") = country_of_name("Ivory Coast") = "CI":
        ISO's names (formal, "Korea, Republic of", and apolitical) and the heads of its formal names ("Bolivia",
        "Iran", "Falkland Islands"), where one country alone has the name ("Korea", "Congo" and "Virgin Islands"
        name two), and the common English names ISO does not use (vocabulary.COUNTRY_NAMES); case, accents and
        punctuation free
    us_state_of_name("Iowa") = us_state_of_name("iowa") = "IA"

A name these do not know gives None: the caller keeps the value as written. Pure.
"""

from __future__ import annotations

import re
import unicodedata

from loopcache.toolcache.vocabulary import COUNTRY_NAMES, US_STATES

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_HEAD = re.compile(r"\s*(?:,|\().*$")


def name_key(name: str) -> str:
    """A place name compared without case, accents, punctuation or a leading "the": "The Côte d’Ivoire" -> "cote d
    ivoire"."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    words = _NOT_WORD.sub(" ", bare.casefold().replace("&", " and ")).split()
    return " ".join(words[1:] if words[:1] == ["the"] and len(words) > 1 else words)


def country_of_name(name: str) -> str | None:
    """The alpha-2 code of the country named `name` (module doc), or None."""
    from iso3166 import countries, countries_by_name  # ISO 3166-1, offline

    key = name_key(name)
    if key in COUNTRY_NAMES:
        return COUNTRY_NAMES[key].upper()
    written = name.strip().upper()
    if written in countries_by_name and not any(other.startswith(written + ",") for other in countries_by_name):
        return countries_by_name[written].alpha2  # ISO's name as ISO writes it, the head of no other's
    named = {country.alpha2 for country in countries if key in (
        name_key(country.name), name_key(country.apolitical_name), name_key(_HEAD.sub("", country.name)))}
    return named.pop() if len(named) == 1 else None


def us_state_of_name(name: str) -> str | None:
    """The USPS code of the US state (or DC) named `name`, or None; a code gives itself ("ia" -> "IA")."""
    code = US_STATES.get(name_key(name))
    return code.upper() if code is not None else None
