"""Dates written many ways, to one ISO spelling; anything ambiguous or unparseable is left as written.

    "2025-03-01", "2025/3/1", "March 1, 2025", "Mar 1st 2025", "1 March 2025", "1st of march, 2025",
    "20250301" (ISO basic, when no day-first or month-first reading is a date), "2025-03-01T00:00:00.000Z"
    (midnight, local or UTC) -> "2025-03-01";
    "25/03/2025" -> "2025-03-25";   "03/04/2025" (US or European?) -> as written

Date-times with an offset name an instant: they are spelled in UTC ("2025-03-14T16:00:00+01:00" ->
"2025-03-14T15:00:00+00:00"); a date-time without one is local wall-clock time and stays as written (its
instant depends on a zone), unless the argument's description says such times are UTC ("UTC when no
offset is given", or names a zone: `naive_zone`). Times of day: "9:00" -> "09:00", "09:00:00" -> "09:00", "9:00 pm" ->
"21:00", "12 a.m." -> "00:00". Durations: "1m" = "60s" = "PT1M" -> "60s" (`canonical_duration`).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from fractions import Fraction

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
_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MIDNIGHT = re.compile(r"^t00:00(?::00(?:\.0+)?)?(?:z|\+00:00)?$")  # midnight, local or UTC: the date itself
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DURATION_UNITS = {"ms": Fraction(1, 1000), "s": Fraction(1), "m": Fraction(60), "h": Fraction(3600),
                   "d": Fraction(86400), "w": Fraction(604800)}
_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_GO_DURATION = re.compile(f"(?:{_GO_PART.pattern})+")
_ISO_DURATION = re.compile(r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?")
_BARE_SECONDS = re.compile(r"\b(?:a |the )?number of seconds\b|\bin seconds\b|\bbare numbers? (?:are|is) seconds\b",
                           re.I)
_TWELVE_HOUR = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))? ?([ap])\.? ?m\.?$", re.I)
_EPOCH_MS = re.compile(r"\bmilliseconds since (?:the )?(?:Unix )?epoch\b|\b(?:Unix|epoch) (?:time )?in milliseconds\b"
                       r"|\bepoch millis(?:econds)?\b", re.I)
_NAIVE_NAMED = re.compile(r"\b(?:without|with no|lacking) (?:an? )?(?:UTC )?offset\b[^.;]*?\b(?:read|taken|interpreted)"
                          r" (?:as|in)\b[^.;]*?\b([A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_+-]+){1,2})\b")
_EPOCH_S = re.compile(r"\bseconds since (?:the )?(?:Unix )?epoch\b|\bUnix (?:time|timestamp|seconds)\b", re.I)
_NAIVE_UTC = re.compile(r"\bUTC (?:when|if|where) (?:no|without an?) (?:offset|time ?zone)"
                        r"|\b(?:without|with no|lacking) (?:an? )?(?:offset|time ?zone)[^.;]*\b(?:is|are) "
                        r"(?:read as |taken as |assumed (?:to be )?|interpreted as )?(?:in )?UTC\b"
                        r"|\b(?:naive|local) (?:date-?times|times) (?:is|are) "
                        r"(?:read as |taken as |assumed (?:to be )?)?(?:in )?UTC\b", re.I)


def month_number(word: str) -> int | None:
    """1-12 for a month's name or abbreviation ("July", "jul", "Sept"), else None."""
    return _MONTHS.get(word.lower().rstrip("."))


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
        if _BASIC.match(text):
            return _basic_date(text)
        if len(text) > 10 and text[4] == "-":
            return datetime.fromisoformat(text.upper()).date() if _MIDNIGHT.match(text[10:]) else None
    except ValueError:
        return None
    return None


def _basic_date(text: str) -> date | None:
    """"20241129": year first, unless a day-first or month-first reading ("01022024") is also a date."""
    first, second, last_year = int(text[0:2]), int(text[2:4]), int(text[4:])
    if _is_date(last_year, second, first) or _is_date(last_year, first, second):
        return None
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    return date(year, month, day) if _is_date(year, month, day) else None


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def canonical_datetime(value: str, naive: tzinfo | None = None) -> str:
    """ISO 8601 date-times to `datetime.isoformat()`, in UTC when they carry an offset (or when `naive` is the
    zone the tool reads one without an offset in: `naive_zone`); else as written. A date alone is its midnight; an
    interval "start/end" is each end so ("2025-03-01T10:00+02:00/.." = "2025-03-01T08:00:00+00:00/..")."""
    text = value.strip()
    if text.count("/") == 1:  # an interval "start/end" (RFC 3339, STAC), ".." an open end
        parts = [part.strip() for part in text.split("/")]
        if all(part == ".." or _parsed(part) for part in parts) and any(part != ".." for part in parts):
            return "/".join(part if part == ".." else canonical_datetime(part, naive) for part in parts)
    parsed = _parsed(text)
    if parsed is None:
        return _WHITESPACE.sub(" ", text)
    if parsed.tzinfo is None and naive is not None:
        parsed = parsed.replace(tzinfo=naive)
    return (parsed.astimezone(timezone.utc) if parsed.tzinfo is not None else parsed).isoformat()


def _parsed(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None


def canonical_duration(value: str, bare_seconds: bool = False) -> str:
    """A duration in Go / Prometheus units ("1m30s", "90s", "1.5m"; ms, s, m, h, d = 24h, w = 7d) or ISO 8601's
    time part ("PT1M30S"), as a whole number of seconds or milliseconds ("90s", "1500ms"); a bare number is
    seconds only when `bare_seconds` (the description says so). Calendar units (ISO days, months, years) and
    anything else: as written."""
    text = value.strip()
    total = None
    if _GO_DURATION.fullmatch(text):
        total = sum(Fraction(number) * _DURATION_UNITS[unit] for number, unit in _GO_PART.findall(text))
    elif (iso := _ISO_DURATION.fullmatch(text.upper())) and any(iso.groups()):
        total = sum(Fraction(part or 0) * scale for part, scale in zip(iso.groups(), (3600, 60, 1), strict=True))
    elif bare_seconds and re.fullmatch(r"\d+(?:\.\d+)?", text):
        total = Fraction(text)
    if total is None:
        return _WHITESPACE.sub(" ", text)
    return f"{total.numerator}s" if total.denominator == 1 else (
        f"{total * 1000}ms" if (total * 1000).denominator == 1 else _WHITESPACE.sub(" ", text))


def seconds_when_bare(description: str) -> bool:
    """Whether a duration argument's description says a bare number counts seconds."""
    return bool(_BARE_SECONDS.search(description))


def epoch_scale(description: str) -> int:
    """What a bare integer counts where a date-time's description says it may be one: 1000 for "milliseconds
    since the epoch", 1 for "seconds since the epoch" / "Unix time", 0 where it says neither."""
    if _EPOCH_MS.search(description):
        return 1000
    return 1 if _EPOCH_S.search(description) else 0


def in_epoch(value: str, scale: int) -> str:
    """A bare integer of `scale` per second since the epoch as the UTC instant it names; else `value`."""
    text = value.strip()
    if not scale or not re.fullmatch(r"\d{1,16}", text):
        return value
    since = timedelta(milliseconds=int(text)) if scale == 1000 else timedelta(seconds=int(text))
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + since).isoformat()


def naive_zone(description: str) -> tzinfo | None:
    """The zone an argument's description says a date-time without an offset is read in: UTC ("UTC when no
    offset is given"), or a zone it names ("a time without offset is read in the helpdesk's time zone,
    Europe/Berlin"); None where it says neither (such a time stays wall-clock time, as written)."""
    if _NAIVE_UTC.search(description):
        return timezone.utc
    named = _NAIVE_NAMED.search(description)
    if named:
        try:
            return zoneinfo.ZoneInfo(named[1])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None
    return None


def canonical_time(value: str) -> str:
    """A time of day `H:MM[:SS]`, or on the 12-hour clock with am/pm ("7:30 PM", "7pm", "12 a.m."), to `HH:MM`
    (`HH:MM:SS` when the seconds are not zero); else as written."""
    text = _WHITESPACE.sub(" ", value).strip()
    match = _TIME.match(text)
    twelve = None if match else _TWELVE_HOUR.match(text)
    if not match and not twelve:
        return text
    try:
        if twelve:
            hour = int(twelve[1])
            if not 1 <= hour <= 12:
                return text
            hour = hour % 12 + (12 if twelve[4].lower() == "p" else 0)
            parsed = time(hour, int(twelve[2] or 0), int(twelve[3] or 0))
        else:
            parsed = time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        return text
    return parsed.isoformat(timespec="seconds" if parsed.second else "minutes")
