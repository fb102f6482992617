"""A number and the unit field that says what it counts, in one unit: `{"radius": 1.5, "radius_unit": "km"}`
and `{"radius": 1500, "radius_unit": "m"}` ask the same (canonical: `{"radius": 1500, "radius_unit": "m"}`).

A unit field belongs to the number whose name it extends: `radius_unit` / `radius_units` / `radiusUnit` to
`radius`, or where there is none to its bounds (`distance_unit` to `min_distance` and `max_distance`), and a
`dimension_unit` / `size_unit` to the lengths, widths and heights beside it; a lone
`unit` or `units` belongs to a lone `quantity`, `amount` or `value` (`{"quantity": 1, "unit": "l"}` =
`{"quantity": 1000, "unit": "ml"}`), or to every number of an object whose two or more numbers are all
measures (`{"length": 12, "width": 10, "height": 8, "unit": "in"}`), and is otherwise left alone (it often
chooses the units of the answer: "metric" weather; `{"distance": 2, "unit": "km"}` and `{"limit": 10, "radius":
5, "unit": "km"}` are not converted).
Only exact conversions of one dimension are made, in rational arithmetic, so two values are equal only when
they are the same quantity: 1 mi is 1609.344 m, and 1.609 km stays another radius.

    length  m, km, cm, mm, mi, ft, yd, inch (in), nmi     mass    g, kg, mg, lb, oz
    time    ms, sec, s, min, h, d (24 h), wk (7 d)        volume  l, ml
    power   w, kw                                         speed   mph, kph (m/s)
    frequency  Hz, kHz, MHz, GHz (as written: "mHz" would be millihertz)

A day or a week is 24 h or 7 d as a length of time (a conversion window, a timeout), but not as the bucket of
a series (`interval`, `granularity`, `bucket`, `period`, `step`, `resolution`, `frequency`: weekly buckets
start on a Monday, 7-day ones where the range starts). Not converted: bytes (kB is 1000 or 1024 bytes by
convention), gallons (US or imperial), temperatures (an offset, not a factor), decibels (dBm, dBW: a logarithm),
months and years (28 to 31 days, 365 or 366), anything not listed.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from loopcache.toolcache.formats import canonical_unit, name_words

# symbol (as canonical_unit spells it) -> (base symbol, exact factor to the base)
_FACTORS: dict[str, tuple[str, Fraction]] = {
    "m": ("m", Fraction(1)), "km": ("m", Fraction(1000)), "cm": ("m", Fraction(1, 100)),
    "mm": ("m", Fraction(1, 1000)), "mi": ("m", Fraction("1609.344")), "ft": ("m", Fraction("0.3048")),
    "yd": ("m", Fraction("0.9144")), "inch": ("m", Fraction("0.0254")), "in": ("m", Fraction("0.0254")),
    "nmi": ("m", Fraction(1852)),
    "g": ("g", Fraction(1)), "kg": ("g", Fraction(1000)), "mg": ("g", Fraction(1, 1000)),
    "lb": ("g", Fraction("453.59237")), "oz": ("g", Fraction("28.349523125")),
    "ms": ("sec", Fraction(1, 1000)), "sec": ("sec", Fraction(1)), "s": ("sec", Fraction(1)),
    "min": ("sec", Fraction(60)), "h": ("sec", Fraction(3600)), "d": ("sec", Fraction(86400)),
    "wk": ("sec", Fraction(604800)),
    "l": ("l", Fraction(1)), "ml": ("l", Fraction(1, 1000)),
    "w": ("w", Fraction(1)), "kw": ("w", Fraction(1000)),
    "mph": ("m/s", Fraction("0.44704")), "kph": ("m/s", Fraction(5, 18)),
    "Hz": ("Hz", Fraction(1)), "kHz": ("Hz", Fraction(10**3)), "MHz": ("Hz", Fraction(10**6)),
    "GHz": ("Hz", Fraction(10**9)),
}
_UNIT_WORDS = ("unit", "units")
# a day or a week as a bucket of a series starts at midnight or on a Monday (7 d is not 1 wk there)
_CALENDAR_UNITS = frozenset({"d", "wk"})
_BUCKET_WORDS = frozenset({"interval", "granularity", "bucket", "period", "step", "resolution", "frequency"})
_MEASURED = ("quantity", "amount", "value")  # the number a lone `unit` measures
_BOUNDS = frozenset({"min", "max", "minimum", "maximum", "from", "to", "lower", "upper"})
# numbers a lone `unit` measures together when an object has no other number (a box's dimensions, a weight)
_MEASURES = frozenset({"length", "width", "height", "depth", "diameter", "thickness", "distance", "radius", "weight",
                       "mass", "volume", "duration"})
# what a `dimension_unit` measures
_LENGTHS = frozenset({"length", "width", "height", "depth", "diameter", "thickness"})


def in_base_units(args: dict[str, Any]) -> dict[str, Any]:
    """`args` (one canonical object: names -> canonical values) with every number that has a unit field of its
    own converted to its dimension's base unit, and that field set to the base unit. Pure: a changed object is
    a copy."""
    units = [name for name, unit in args.items() if isinstance(unit, str) and name.lower().endswith(_UNIT_WORDS)]
    if not units:  # the common case, and this runs on every object of every call
        return args
    numbers = {tuple(name_words(name)): name for name, value in args.items() if _is_number(value)}
    out = dict(args)
    for name in units:
        words, unit = tuple(name_words(name)), args[name]
        if not words or words[-1] not in _UNIT_WORDS:
            continue
        if len(words) == 1:
            measured = [numbers[(word,)] for word in _MEASURED if (word,) in numbers]
            targets = measured if len(measured) == 1 else []
            if not targets and len(numbers) > 1 and all(len(key) == 1 and key[0] in _MEASURES for key in numbers):
                targets = list(numbers.values())
        elif words[:-1] in numbers:
            targets = [numbers[words[:-1]]]
        elif words[:-1] in (("dimension",), ("dimensions",), ("size",)):  # a box's `dimension_unit`
            targets = [number for key, number in numbers.items() if len(key) == 1 and key[0] in _LENGTHS]
        else:  # `distance_unit` with no `distance`: the bounds `min_distance`, `max_distance`
            measure = words[:-1]
            targets = [number for key, number in numbers.items()
                       if len(key) == len(measure) + 1 and key[1:] == measure and key[0] in _BOUNDS]
        symbol = unit if unit in _FACTORS else canonical_unit(unit)
        if symbol in _CALENDAR_UNITS:
            targets = [t for t in targets if not _BUCKET_WORDS.intersection(name_words(t))]
        factor = _FACTORS.get(symbol)
        if not targets or factor is None:
            continue
        base, scale = factor
        for target in targets:
            out[target] = _number(Fraction(repr(args[target])) * scale)
        out[name] = base
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)
