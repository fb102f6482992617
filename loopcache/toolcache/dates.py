"""Dates written many ways, to one ISO spelling; anything ambiguous or unparseable is left as written.

    "2025-03-01", "2025/3/1", "March 1, 2025", "Mar 1st 2025", "1 March 2025", "1st of march, 2025"
    -> "2025-03-01";   "25/03/2025" -> "2025-03-25";   "03/04/2025" (US or European?) -> as written
"""

from __future__ import annotations

import re
from datetime import date, datetime

_WHITESPACE = re.compile(r"\s+")
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


def canonical_date(value: str) -> str:
    """Common unambiguous date forms to ISO `YYYY-MM-DD`; anything else is returned as written."""
    parsed = parse_date(value)
    return parsed.isoformat() if parsed else _WHITESPACE.sub(" ", value).strip()


def parse_date(value: str) -> date | None:
    """The date a whole value names, if it is one of the unambiguous forms; else None."""
    text = _WHITESPACE.sub(" ", value).strip().lower()
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
