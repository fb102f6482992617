"""A count written with its unit where the description says the tool converts it (unit_strings.py)."""

from __future__ import annotations

from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.unit_strings import converted_count

STEP = "resolution: an integer number of seconds, or a duration string with unit s, m or h, converted to seconds"
SIZE = ("an integer number of bytes, or a string with a unit that is converted to bytes: KB, MB, GB are powers of "
        "1000, KiB, MiB, GiB powers of 1024")


def test_counts_under_the_stated_conversion() -> None:
    assert converted_count("5m", STEP, True) == converted_count("300s", STEP, True) == 300
    assert converted_count("1h", STEP, True) == 3600 and converted_count("1500ms", STEP, False) is None  # no ms
    timeout = "a number of seconds, or a string with unit ms or s, converted to seconds"
    assert converted_count("1500ms", timeout, False) == 1.5 and converted_count("1500ms", timeout, True) is None
    assert converted_count("500MB", SIZE, True) == converted_count("500 MB", SIZE, True) == 500_000_000
    assert converted_count("1 GiB", SIZE, True) == 1024**3
    assert converted_count("5M", STEP, True) is None  # not a minute: a unit the tool does not name
    assert converted_count("5m", "a duration string with unit s, m or h", True) is None  # no conversion said
    assert converted_count("1MB", "a size; converted to bytes; MiB is 2^20", True) is None  # MB: 10^6 or 2^20


def test_applied_to_an_argument_that_is_a_number_or_a_string() -> None:
    schema = {"type": "object", "properties": {"step": {"type": ["integer", "string"], "description": STEP},
                                               "size": {"type": ["integer", "string"], "description": SIZE}}}
    one = lambda args: canonicalize_args(args, schema)  # noqa: E731
    assert one({"step": "5m", "size": "500MB"}) == one({"step": 300, "size": 500_000_000})
    assert one({"step": "5m"}) != one({"step": "5s"}) and one({"size": "1 GiB"}) != one({"size": "1 GB"})


def test_the_base_unit_said_in_other_words_and_binary_sizes() -> None:
    ms = "Integer milliseconds, or a string: a number with the unit ms, s or min ('1.5s' is 1500)"
    assert converted_count("1min", ms, True) == converted_count("60s", ms, True) == 60000
    assert converted_count("1h", ms, True) is None  # a unit it does not name
    waits = "An integer is seconds; a string is a number with an optional unit s, m or h ('90s', '1.5m')"
    assert converted_count("1.5m", waits, True) == 90
    pg = "PostgreSQL's size notation, where kB, MB, GB and TB are powers of 1024 (so 1GB = 1024MB). Default '0 bytes'"
    assert converted_count("1GB", pg, False) == converted_count("1024MB", pg, False) == 1024**3
    assert converted_count("0 bytes", pg, False) == 0
    schema = {"type": "object", "properties": {"min_size": {"type": "string", "description": pg}}}
    assert canonicalize_args({"min_size": "1GB"}, schema) == canonicalize_args({"min_size": "1024 MB"}, schema)
    assert canonicalize_args({"min_size": "1GB"}, schema) != canonicalize_args({"min_size": "1000MB"}, schema)


def test_minutes_energy_pressure_a_compound_unit_and_percent() -> None:
    minutes = "A bare integer is minutes; a string can carry a unit: '90m', '90min', '2h' (= 120 minutes)."
    assert converted_count("2h", minutes, True) == converted_count("120m", minutes, True) == 120
    assert converted_count("30s", minutes, True) is None  # seconds are not a unit it writes
    visit = "Visit length: whole minutes as a number (30), or a string with a unit, '30m', '30min' or '1h'."
    assert converted_count("1h", visit, True) == 60
    energy = "A bare number is kWh; a string carries its unit, 'kWh' or 'Wh', and is converted"
    assert converted_count("500 Wh", energy, False) == 0.5 and converted_count("2 kWh", energy, False) == 2
    assert converted_count("500 Wh", energy, True) is None  # not whole under an integer type
    pressure = "Give a number with its unit; it is converted exactly to kPa (1 bar = 100 kPa, 1 mbar = 0.1 kPa)"
    assert converted_count("1.5 bar", pressure, False) == converted_count("1500 mbar", pressure, False) == 150
    assert converted_count("1.5 psi", pressure, False) is None  # no exact factor known
    weight = "test weight. a bare number is lb/bu. a string must say 'lb/bu' or 'kg/hl'"
    assert converted_count("54 lb/bu", weight, False) == 54
    moisture = "sample moisture in percent, as a number (15.5) or a string with a percent sign (\"15.5%\")"
    assert converted_count("15.5%", moisture, False) == 15.5 and converted_count("15.5%", "a share", False) is None
    assert converted_count("5 or", "an integer or a string", True) is None  # "integer or" names no unit


def test_a_number_of_days_and_weeks() -> None:
    days = "An integer is a number of days; a string carries its unit, d for days or w for weeks (7 days)"
    assert converted_count("2w", days, True) == converted_count("14d", days, True) == 14
    assert converted_count("6h", "An integer is a number of MINUTES; a string must carry its unit, '4h' or '240m'",
                           True) == 360


def test_a_bracketed_aside_before_the_unit() -> None:
    horizon = "A bare number (or a number with 'd') is days; 'w' is weeks, converted at 7 days each ('4w' = 28 days)."
    assert converted_count("4w", horizon, True) == converted_count("28d", horizon, True) == 28
