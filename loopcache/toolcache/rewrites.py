"""Text rewrites applied before free text is split into words: one spelling for things written many ways.

    "third quarter of 2024" -> "Q3 2024"      "3Q24" -> "Q3 2024"      "first half of 2024" -> "H1 2024"
    "fiscal year 2023" / "FY 2023" / "FY23" -> "FY2023"
    "100 °F" / "100 degrees Fahrenheit" -> "100 degf"     "km/h" -> "kph"     27" -> 27 inch
    "D.C." / "N.W." -> "DC" / "NW"
    "5km" / "65W" -> "5 km" / "65 W"   (a number glued to a unit of vocabulary.UNITS)

Each rewrite is a small named rule (`Rewrite`); `REWRITES` is their order (periods before ordinals are read
as words, so "second quarter" never becomes "2nd quarter"). Pure functions of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from loopcache.toolcache.vocabulary import UNITS

_NTH = {"first": "1", "1st": "1", "second": "2", "2nd": "2", "third": "3", "3rd": "3", "fourth": "4", "4th": "4"}


@dataclass(frozen=True, slots=True)
class Rewrite:
    name: str
    apply: Callable[[str], str]


def _sub(pattern: str, replace: str | Callable[[re.Match[str]], str], flags: int = re.IGNORECASE) -> Callable[[str], str]:
    compiled = re.compile(pattern, flags)
    return lambda text: compiled.sub(replace, text)


def _year(two_or_four: str) -> str:
    return two_or_four if len(two_or_four) == 4 else "20" + two_or_four


def _inch_marks(text: str) -> str:
    if text.count('"') % 2 == 0:  # an even count may be quotes around a phrase: leave them
        return text
    return re.sub(r'(\d)\s*"(?=\s|$|[,.;)])', r"\1 inch", text)


_UNIT_SYMBOLS = sorted((u for u in set(UNITS.values()) if u.isalnum() and not u.startswith("deg")), key=len, reverse=True)

REWRITES: tuple[Rewrite, ...] = (
    Rewrite("quarter words", _sub(r"\b(first|1st|second|2nd|third|3rd|fourth|4th)\s+(?:quarter|qtr)\b(?:\s+of\b)?",
                                  lambda m: f"Q{_NTH[m[1].lower()]}")),
    Rewrite("half words", _sub(r"\b(first|1st|second|2nd)\s+half\b(?:\s+of\b)?", lambda m: f"H{_NTH[m[1].lower()]}")),
    Rewrite("3Q24", _sub(r"\b([1-4])\s?Q\s?['’]?(\d{2}|\d{4})\b", lambda m: f"Q{m[1]} {_year(m[2])}")),
    Rewrite("Q3'24", _sub(r"\bQ([1-4])\s?['’](\d{2})\b", lambda m: f"Q{m[1]} {_year(m[2])}")),
    Rewrite("3Q", _sub(r"\b([1-4])Q\b", r"Q\1")),
    Rewrite("1H", _sub(r"\b([12])H\b", r"H\1")),
    Rewrite("fiscal year", _sub(r"\bfiscal\s+(?:year\s+)?(\d{4})\b", r"FY\1")),
    Rewrite("FY 2023", _sub(r"\bFY\s?['’]?(\d{4}|\d{2})\b", lambda m: f"FY{_year(m[1])}")),
    Rewrite("degrees", _sub(r"(?:°\s*|\bdeg(?:ree)?s?\.?\s+)(c|f|celsius|centigrade|fahrenheit)\b",
                            lambda m: " deg" + ("f" if m[1].lower().startswith("f") else "c"))),
    Rewrite("per hour", _sub(r"\b(km|mi)\s*/\s*h(?:r|our)?\b", lambda m: "kph" if m[1].lower() == "km" else "mph")),
    Rewrite("dotted abbreviations", _sub(r"(?<![\w.])((?:[A-Za-z]\.){2,})(?![\w])",
                                         lambda m: m[1].replace(".", ""), flags=0)),
    Rewrite("inch marks", _inch_marks),
    Rewrite("number glued to a unit", _sub(rf"\b(\d+(?:\.\d+)?)({'|'.join(_UNIT_SYMBOLS)})\b", r"\1 \2")),
)


def rewrite(text: str) -> str:
    """All rewrites, in order."""
    for rule in REWRITES:
        text = rule.apply(text)
    return text
