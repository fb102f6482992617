"""Codes: short identifiers whose letter case carries no meaning ("JFK" = "jfk", "OPS-4412" = "ops-4412").

    the field holds codes (`CodeCase`)              value                        canonical
    UPPER: codes of a standard (IATA, ISO 4217,     one token, written in one    upper case: "jfk" -> "JFK",
      ISO 3166, "currency code", ...) or an          case                         "ops-4412" -> "OPS-4412"
      example code ("e.g. 'ABC123'")
    LOWER: language tags (BCP 47, ISO 639, `lang`)  one token, any case          lower case: "en-GB" -> "en-gb"
    any free-text field (`word_code`)               letters and digits, >= 2     upper case: "hat043" -> "HAT043"
                                                    letters, one case
    DROP_HASH: the schema says a leading "#" is optional: "#W2378156" -> "W2378156"

Mixed case is kept as written outside language tags ("dQw4w9WgXcQ" is case-sensitive by design), and so is
anything with a space, a slash or other punctuation: such a value is not a code. Which fields hold codes is
decided in field_traits.py from the schema; this module only spells values.
"""

from __future__ import annotations

import re
from enum import Enum

_TOKEN = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")
_WORD_CODE = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")


class CodeCase(Enum):
    """How a code field spells its codes."""

    UPPER = "upper"
    LOWER = "lower"


def is_code_token(value: str) -> bool:
    """One token of letters and digits (joined by `-`, `_` or `.`), with at least one letter."""
    return bool(_TOKEN.match(value)) and any(c.isalpha() for c in value)


def single_case(value: str) -> bool:
    letters = [c for c in value if c.isalpha()]
    return all(c.isupper() for c in letters) or all(c.islower() for c in letters)


def canonical_code(value: str, case: CodeCase, drop_hash: bool = False) -> str:
    """The code's one spelling in a field that holds codes; a value that is not a code is returned as is."""
    bare = value[1:] if drop_hash and value.startswith("#") else value
    if not is_code_token(bare):
        return value
    if case is CodeCase.LOWER:
        return bare.lower()
    return bare.upper() if single_case(bare) else bare


def word_code(value: str) -> str:
    """A word with digits written in one case is a code ("h100", "1z999aa1"): upper case; else as is.
    Needs two letters, so "1m" (a minute) and "1M" (a month) stay apart."""
    if not _WORD_CODE.match(value) or not any(c.isdigit() for c in value) or not single_case(value):
        return value
    return value.upper() if sum(c.isalpha() for c in value) >= 2 else value
