"""A number written with its unit, where the description says which base unit the tool counts in.

    "an integer number of seconds, or a duration string with unit s, m or h, converted to seconds"
                                                  -> "5m" = "300s" = 300
    "Integer milliseconds, or a string: a number with the unit ms, s or min ('1.5s' is 1500)"
                                                  -> "1min" = 60000
    "an integer number of bytes, or a string with a unit that is converted to bytes: KB, MB, GB are powers of
    1000, KiB, MiB, GiB powers of 1024"           -> "500MB" = 500000000, "1 GiB" = 1073741824
    "PostgreSQL's size notation, where kB, MB, GB and TB are powers of 1024"
                                                  -> "1GB" = "1024MB"

The base unit is the one the description names: "converted to seconds", "integer (number of) milliseconds", "an
integer is seconds", or, for sizes, a sentence that says what KB, MB, GB are. A time unit must be named in the
description too (as a word, "unit s, m or h", or in an example, "'5m'"), so "m" is never read as minutes where the
description does not write it. KiB, MiB, GiB, TiB are powers of 1024 by definition; KB, MB, GB, TB are powers of
1000 or of 1024 only where the description says which (by convention they are either). A count that is not whole
where only integers are allowed is left as written. Pure.
"""

from __future__ import annotations

import re
from fractions import Fraction

_BASE = re.compile(r"\bconverted (?:in)?to (seconds|milliseconds|bytes)\b"
                   r"|\b(?:an? )?integer (?:number )?(?:of |is |in )?(seconds|milliseconds|bytes)\b", re.I)
_DECIMAL_BYTES = re.compile(r"\b(?:KB|kB|MB|GB|TB)\b[^.;]{0,40}?\b(?:(?:are )?powers of 1000|decimal)\b")
_BINARY_BYTES_SAID = re.compile(r"\b(?:KB|kB|MB|GB|TB)\b[^.;]{0,40}?\b(?:(?:are )?powers of 1024|binary)\b")
_WRITTEN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_SECONDS = {"ms": Fraction(1, 1000), "s": Fraction(1), "sec": Fraction(1), "secs": Fraction(1),
            "second": Fraction(1), "seconds": Fraction(1), "m": Fraction(60), "min": Fraction(60),
            "mins": Fraction(60), "minute": Fraction(60), "minutes": Fraction(60), "h": Fraction(3600),
            "hr": Fraction(3600), "hrs": Fraction(3600), "hour": Fraction(3600), "hours": Fraction(3600),
            "d": Fraction(86400), "day": Fraction(86400), "days": Fraction(86400)}
_BINARY = {"B": 1, "byte": 1, "bytes": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
_PREFIXED = {"KB": 1, "kB": 1, "MB": 2, "GB": 3, "TB": 4}  # the power of 1000 or 1024


def converted_count(value: str, description: str, integer_only: bool) -> int | float | None:
    """The count of base units `value` ("5m", "500 MB") stands for under `description`'s base unit; None where
    it names none, the unit is not one it allows, or (`integer_only`) the count is not whole."""
    written = _WRITTEN.match(value)
    base = _base(description)
    if written is None or base is None:
        return None
    factor = _factor(written[2], base, description)
    if factor is None:
        return None
    count = Fraction(written[1]) * factor
    if count.denominator == 1:
        return int(count)
    return None if integer_only else float(count)


def _base(description: str) -> str | None:
    said = _BASE.search(description)
    if said:
        return (said[1] or said[2]).lower()
    return "bytes" if _DECIMAL_BYTES.search(description) or _BINARY_BYTES_SAID.search(description) else None


def _factor(unit: str, base: str, description: str) -> Fraction | None:
    if base == "bytes":
        if unit in _BINARY:
            return Fraction(_BINARY[unit])
        if unit in _PREFIXED and _DECIMAL_BYTES.search(description):
            return Fraction(1000 ** _PREFIXED[unit])
        if unit in _PREFIXED and _BINARY_BYTES_SAID.search(description):
            return Fraction(1024 ** _PREFIXED[unit])
        return None
    seconds = _SECONDS.get(unit) or (_SECONDS.get(unit.lower()) if len(unit) > 2 else None)  # "M" is no minute
    named = re.search(rf"(?<![A-Za-z]){re.escape(unit)}\b", description, re.I if len(unit) > 2 else 0)
    if seconds is None or named is None:
        return None
    return seconds * 1000 if base == "milliseconds" else seconds
