"""A number written with its unit, where the description says which unit the tool counts in.

    "an integer number of seconds, or a duration string with unit s, m or h, converted to seconds"
                                                  -> "5m" = "300s" = 300
    "Integer milliseconds, or a string: a number with the unit ms, s or min ('1.5s' is 1500)"
                                                  -> "1min" = 60000
    "A bare integer is minutes; a string can carry a unit: '90m', '90min', '2h'"
                                                  -> "2h" = 120
    "an integer number of bytes, or a string with a unit that is converted to bytes: KB, MB, GB are powers of
    1000, KiB, MiB, GiB powers of 1024"           -> "500MB" = 500000000, "1 GiB" = 1073741824
    "PostgreSQL's size notation, where kB, MB, GB and TB are powers of 1024"
                                                  -> "1GB" = "1024MB"
    "A bare number is kWh; a string carries its unit, 'kWh' or 'Wh'"
                                                  -> "500 Wh" = 0.5
    "Give a number with its unit; it is converted exactly to kPa (1 bar = 100 kPa)"
                                                  -> "1.5 bar" = "150 kPa"
    "a bare number is lb/bu"                      -> "54 lb/bu" = 54 (the unit counted in, any unit)
    "in percent, as a number (15.5) or a string with a percent sign" -> "15.5%" = 15.5

The unit counted in is the one the description names: "converted to seconds", "converted exactly to kPa",
"integer (number of) milliseconds", "a bare number is kWh", "whole minutes as a number", or, for sizes, a sentence
that says what KB, MB, GB are. Another unit is converted only within one dimension (time, bytes, energy, pressure),
and only if the description writes that unit (as a word, "unit s, m or h", or in an example, "'5m'"), so "m" is
never read as minutes where the description does not write it. KiB, MiB, GiB, TiB are powers of 1024 by
definition; KB, MB, GB, TB are powers of 1000 or of 1024 only where the description says which (by convention
they are either). A count that is not whole where only integers are allowed is left as written. Pure.
"""

from __future__ import annotations

import re
from fractions import Fraction

_UNIT = r"([A-Za-z][A-Za-z/]*|%)"
_BASE = (re.compile(rf"\bconverted (?:exactly )?(?:in)?to {_UNIT}(?=[\s.,;)]|$)", re.I),
         re.compile(rf"\b(?:bare |plain )?(?:integer|number)(?: without (?:a |its )?unit)?(?: \([^()]{{0,40}}\))? "
                    r"(?:is|means|counts) "
                    rf"(?:in |an? (?:number|count) of )?{_UNIT}(?=[\s.,;)]|$)", re.I),
         re.compile(rf"\binteger (?:number )?(?:of )?{_UNIT}(?=[\s.,;)]|$)", re.I),
         re.compile(rf"\bwhole {_UNIT} as a number\b", re.I))
_PERCENT = re.compile(r"\bpercent(?:age)?\b", re.I)
_DECIMAL_BYTES = re.compile(r"\b(?:KB|kB|MB|GB|TB)\b[^.;]{0,40}?\b(?:(?:are )?powers of 1000|decimal)\b")
_BINARY_BYTES_SAID = re.compile(r"\b(?:KB|kB|MB|GB|TB)\b[^.;]{0,40}?\b(?:(?:are )?powers of 1024|binary)\b")
_WRITTEN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z][A-Za-z/]*|%)\s*$")
# unit -> (dimension, factor to the dimension's base): spelled as written; longer words any case
_UNITS: dict[str, tuple[str, Fraction]] = {
    **{unit: ("time", Fraction(1, 1000)) for unit in ("ms", "millisecond", "milliseconds")},
    **{unit: ("time", Fraction(1)) for unit in ("s", "sec", "secs", "second", "seconds")},
    **{unit: ("time", Fraction(60)) for unit in ("m", "min", "mins", "minute", "minutes")},
    **{unit: ("time", Fraction(3600)) for unit in ("h", "hr", "hrs", "hour", "hours")},
    **{unit: ("time", Fraction(86400)) for unit in ("d", "day", "days")},
    **{unit: ("time", Fraction(604800)) for unit in ("w", "wk", "week", "weeks")},
    **{unit: ("bytes", Fraction(1)) for unit in ("B", "byte", "bytes")},
    "KiB": ("bytes", Fraction(1024)), "MiB": ("bytes", Fraction(1024**2)), "GiB": ("bytes", Fraction(1024**3)),
    "TiB": ("bytes", Fraction(1024**4)),
    "Wh": ("energy", Fraction(1)), "kWh": ("energy", Fraction(1000)), "MWh": ("energy", Fraction(10**6)),
    "Pa": ("pressure", Fraction(1)), "hPa": ("pressure", Fraction(100)), "kPa": ("pressure", Fraction(1000)),
    "MPa": ("pressure", Fraction(10**6)), "bar": ("pressure", Fraction(10**5)), "mbar": ("pressure", Fraction(100)),
}
_PREFIXED_BYTES = {"KB": 1, "kB": 1, "MB": 2, "GB": 3, "TB": 4}  # the power of 1000 or 1024


def converted_count(value: str, description: str, integer_only: bool) -> int | float | None:
    """The count of the described unit `value` ("5m", "500 MB", "15.5%") stands for; None where the description
    names no unit, the unit written is not one it allows, or (`integer_only`) the count is not whole."""
    written = _WRITTEN.match(value)
    if written is None:
        return None
    unit = written[2]
    if unit == "%":
        factor = Fraction(1) if _PERCENT.search(description) and "%" in description else None
    else:
        base = _base(description)
        factor = None if base is None else Fraction(1) if unit == base else _factor(unit, base, description)
    if factor is None:
        return None
    count = Fraction(written[1]) * factor
    if count.denominator == 1:
        return int(count)
    return None if integer_only else float(count)


def _base(description: str) -> str | None:
    """The unit a bare number counts, as `_UNITS` spells it ("seconds" -> "s"), or as written for another unit."""
    for pattern in _BASE:
        for said in pattern.finditer(description):  # a unit of the table, or a compound one ("lb/bu"), not "or"
            if (unit := _spelled(said[1]) or (said[1] if "/" in said[1] else None)) is not None:
                return unit
    return "B" if _DECIMAL_BYTES.search(description) or _BINARY_BYTES_SAID.search(description) else None


def _spelled(unit: str) -> str | None:
    return unit if unit in _UNITS else unit.lower() if len(unit) > 2 and unit.lower() in _UNITS else None


def _factor(unit: str, base: str, description: str) -> Fraction | None:
    """What one `unit` is in `base` units, where both are of one dimension and the description allows `unit`."""
    if base not in _UNITS:
        return None
    dimension, to_base = _UNITS[base]
    if dimension == "bytes" and unit in _PREFIXED_BYTES:
        power = 1000 if _DECIMAL_BYTES.search(description) else 1024 if _BINARY_BYTES_SAID.search(description) else 0
        return Fraction(power ** _PREFIXED_BYTES[unit]) / to_base if power else None
    spelled = _spelled(unit)
    if spelled is None or _UNITS[spelled][0] != dimension:
        return None
    if dimension == "time" and not re.search(rf"(?<![A-Za-z]){re.escape(unit)}\b", description,
                                             re.I if len(unit) > 2 else 0):
        return None  # "M" is no minute, nor "m" where the description never writes it
    return _UNITS[spelled][1] / to_base
