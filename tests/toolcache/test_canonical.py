"""Each canonicalisation rule, both directions: what must agree agrees, what must differ differs."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonical_json, canonicalize_args


def same(a: dict, b: dict, schema: dict | None = None) -> bool:
    return canonical_json(canonicalize_args(a, schema)) == canonical_json(canonicalize_args(b, schema))


def obj(**properties: dict) -> dict:
    return {"type": "object", "properties": properties}


def test_keys_sorted_and_order_ignored() -> None:
    assert list(canonicalize_args({"b": 1, "a": 2})) == ["a", "b"]
    assert same({"city": "Paris", "unit": "c"}, {"unit": "c", "city": "Paris"})


def test_default_filled_so_explicit_default_equals_omitted() -> None:
    schema = obj(q={"type": "string"}, n={"type": "integer", "default": 10})
    assert canonicalize_args({"q": "x"}, schema) == {"n": 10, "q": "x"}
    assert same({"q": "x"}, {"q": "x", "n": 10}, schema)
    assert not same({"q": "x"}, {"q": "x", "n": 3}, schema)


def test_null_for_optional_counts_as_omitted_but_not_when_null_is_a_type() -> None:
    assert same({"q": "x", "n": None}, {"q": "x"}, obj(q={"type": "string"}, n={"type": "integer"}))
    nullable = obj(n={"type": ["integer", "null"]})
    assert canonicalize_args({"n": None}, nullable) == {"n": None}


def test_numbers_normalised() -> None:
    assert canonical_json({"x": 100.0}) == canonical_json({"x": 100}) == '{"x":100}'
    assert canonical_json({"x": -0.0}) == '{"x":0}'
    assert same({"x": 100}, {"x": 100.0})
    assert not same({"x": 100}, {"x": 100.5})
    assert canonicalize_args({"n": " 10 "}, obj(n={"type": "integer"})) == {"n": 10}
    assert canonicalize_args({"flag": True}) == {"flag": True}  # a bool is not the number 1


def test_strings_trimmed_and_whitespace_folded_but_case_kept() -> None:
    assert canonicalize_args({"q": "  python \t asyncio\ntutorial "}) == {"q": "python asyncio tutorial"}
    assert not same({"q": "Paris"}, {"q": "paris"})  # case is for the semantic stage, not the key


def test_enum_takes_its_own_spelling() -> None:
    schema = obj(unit={"type": "string", "enum": ["celsius", "fahrenheit"]})
    assert canonicalize_args({"unit": "Celsius"}, schema) == {"unit": "celsius"}


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("src/app/main.py", "./src/app/main.py", True),
        ("src", "src/", True),
        ("src/lib/../app//main.py", "src/app/main.py", True),
        ("/etc/hosts", "/etc/./hosts", True),
        ("src/app/main.py", "src/app/Main.py", False),
        ("src/app/main.py", "src/lib/main.py", False),
        ("../a", "a", False),
    ],
)
def test_path_format(a: str, b: str, equal: bool) -> None:
    assert same({"p": a}, {"p": b}, obj(p={"type": "string", "format": "path"})) is equal


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("https://Example.com/docs", "https://example.com/docs", True),
        ("HTTPS://example.com:443/docs", "https://example.com/docs", True),
        ("https://example.com", "https://example.com/", True),
        ("https://example.com/Docs", "https://example.com/docs", False),
        ("https://example.com/docs?page=2", "https://example.com/docs?page=3", False),
        ("https://example.com/docs?Q=a", "https://example.com/docs?q=a", False),
        ("https://example.com:8443/x", "https://example.com/x", False),
    ],
)
def test_uri_format(a: str, b: str, equal: bool) -> None:
    assert same({"u": a}, {"u": b}, obj(u={"type": "string", "format": "uri"})) is equal


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025-03-01", "2025-03-01"),
        ("2025/3/1", "2025-03-01"),
        ("March 1, 2025", "2025-03-01"),
        ("Mar 1st 2025", "2025-03-01"),
        ("1 March 2025", "2025-03-01"),
        ("1st of march, 2025", "2025-03-01"),
        ("25/03/2025", "2025-03-25"),
        ("03/04/2025", "03/04/2025"),  # ambiguous (US or European): left as written, never guessed
        ("next tuesday", "next tuesday"),
        ("2025-02-30", "2025-02-30"),  # not a date: left as written
        ("20260917", "2026-09-17"),  # ISO basic: no day-first or month-first reading is a date
        ("2026-09-17T00:00:00.000Z", "2026-09-17"), ("2026-09-17T00:00", "2026-09-17"),  # midnight: the date
        ("2026-09-17T00:00:00+02:00", "2026-09-17T00:00:00+02:00"),  # midnight elsewhere: another UTC date
        ("03042026", "03042026"),  # 3 April or 4 March 2026, or nothing year-first: left as written
    ],
)
def test_date_format(text: str, iso: str) -> None:
    assert canonicalize_args({"d": text}, obj(d={"type": "string", "format": "date"})) == {"d": iso}


def test_date_time_format() -> None:
    schema = obj(t={"type": "string", "format": "date-time"})
    assert same({"t": "2025-03-01T10:00:00Z"}, {"t": "2025-03-01T10:00:00+00:00"}, schema)
    assert not same({"t": "2025-03-01T10:00:00Z"}, {"t": "2025-03-01T11:00:00Z"}, schema)
    # one instant, another offset; zero seconds and milliseconds written or not
    assert same({"t": "2026-07-04T18:30:00+02:00"}, {"t": "2026-07-04T16:30Z"}, schema)
    assert same({"t": "2026-07-04T16:30:00.000Z"}, {"t": "2026-07-04T16:30:00Z"}, schema)
    # local wall-clock time is not an instant: never the same as one with an offset
    assert not same({"t": "2026-10-25T02:30:00"}, {"t": "2026-10-25T02:30:00+01:00"}, schema)


def test_time_of_day_format() -> None:
    schema = obj(at={"type": "string", "description": "earliest start, HH:MM"}, t={"type": "string", "format": "time"})
    assert same({"at": "7:05"}, {"at": "07:05"}, schema) and same({"t": "07:05:00"}, {"t": "7:05"}, schema)
    assert not same({"at": "7:05"}, {"at": "19:05"}, schema)
    assert not same({"at": "7:05 pm"}, {"at": "7:05"}, schema)  # not HH:MM: kept as written
    assert canonicalize_args({"at": "7:05"}, obj(at={"type": "string", "description": "YYYY-MM-DD HH:MM"})) == {"at": "7:05"}


def test_numbers_with_separators_only_in_groups_of_three() -> None:
    schema = obj(n={"type": "number"})
    assert canonicalize_args({"n": "12,500"}, schema) == {"n": 12500}
    assert canonicalize_args({"n": "2,5"}, schema) == {"n": "2,5"}  # a decimal comma or a list, not 25
    assert not same({"n": "2,5"}, {"n": 25}, schema)


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("SELECT * FROM users WHERE id = 42", "select * from users where id = 42", True),
        ("SELECT * FROM users WHERE id = 42", "SELECT *\nFROM users\nWHERE id=42;", True),
        ("SELECT count(*) FROM t", "SELECT count( * ) FROM t -- comment", True),
        ("SELECT * FROM users WHERE name = 'Bob'", "SELECT * FROM users WHERE name = 'bob'", False),
        ("SELECT * FROM t WHERE s = 'a  b'", "SELECT * FROM t WHERE s = 'a b'", False),
        ("SELECT * FROM t WHERE s = 'it''s select'", "select * from t where s = 'it''s SELECT'", False),
        ("SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = 24", False),
        ("SELECT count(*) FROM orders", "SELECT count(*) FROM order_items", False),
        ("SELECT COUNT(*) FROM t", "select count(*) from t", True),
        ("SELECT a FROM t WHERE b != 2", "SELECT a FROM t WHERE b <> 2", True),
        ("SELECT a FROM t WHERE b IN (3, 1, 2)", "SELECT a FROM t WHERE b IN (1, 2, 3)", True),
        ("SELECT a FROM t WHERE b IN ('x', 'Y')", "SELECT a FROM t WHERE b IN ('y', 'X')", False),
        ("SELECT a FROM t WHERE d BETWEEN 1 AND 9", "SELECT a FROM t WHERE d >= 1 AND d <= 9", True),
        ("SELECT a FROM t WHERE d BETWEEN 1 AND 9", "SELECT a FROM t WHERE d > 1 AND d < 9", False),
        ("SELECT a FROM t WHERE NOT d BETWEEN 1 AND 9", "SELECT a FROM t WHERE NOT d >= 1 AND d <= 9", False),
        ("SELECT x.a FROM things x WHERE x.b = 1", "SELECT a FROM things WHERE b = 1", True),
        ("SELECT things.a FROM things AS x", "SELECT a FROM things", False),  # the alias hides the name
        ("SELECT x.a FROM things x JOIN more y ON y.k = x.k", "SELECT a FROM things JOIN more ON k = k", False),
        ("SELECT a, b FROM t", "SELECT b, a FROM t", False),  # column order is the result's shape
        ("SELECT a AS total FROM t", "SELECT a FROM t", False),
        ("SELECT $$It's$$ FROM t", "SELECT $$it's$$ FROM t", False),
        ("SELECT Name FROM Users", "SELECT name FROM users", False),  # no dialect said: case kept
        ("SELECT a FROM t WHERE b = 1 AND c < 2", "SELECT a FROM t WHERE c < 2 AND b = 1", True),
        ("SELECT a FROM t WHERE b = 1 AND c < 2 OR d = 3", "SELECT a FROM t WHERE c < 2 AND b = 1 OR d = 3", False),
        ("SELECT a FROM t WHERE (b = 1 OR c = 2) AND d = 3", "SELECT a FROM t WHERE d = 3 AND (b = 1 OR c = 2)", True),
        ("SELECT a FROM t WHERE (b = 1 OR c = 2) AND d = 3", "SELECT a FROM t WHERE (b = 1 OR d = 3) AND c = 2", False),
    ],
)
def test_sql_format(a: str, b: str, equal: bool) -> None:
    assert same({"s": a}, {"s": b}, obj(s={"type": "string", "format": "sql"})) is equal


def test_sql_identifiers_fold_when_the_schema_says_postgresql() -> None:
    schema = obj(s={"type": "string", "format": "sql", "description": "a PostgreSQL query"})
    assert same({"s": "SELECT Name FROM Users"}, {"s": "select name from users"}, schema)
    assert not same({"s": 'SELECT "Name" FROM users'}, {"s": "SELECT name FROM users"}, schema)  # quoted: kept
    assert not same({"s": "SELECT a FROM t WHERE s = 'Ann'"}, {"s": "SELECT a FROM t WHERE s = 'ann'"}, schema)


def test_sql_dialect_from_the_tool_where_the_argument_is_silent() -> None:
    """The argument's description names the dialect, else the tool's description, else the tool's name."""
    def folded(schema: dict, tool: str | None = None) -> bool:
        one, other = ({"sql": q} for q in ("SELECT Name FROM Users", "select name from users"))
        return canonicalize_args(one, schema, tool) == canonicalize_args(other, schema, tool)

    silent = obj(sql={"type": "string", "description": "SQL to run in a read-only transaction"})
    assert folded(silent, "postgres_query") and folded(silent, "queryPostgreSQL") and folded(silent, "redshiftQuery")
    assert not folded(silent) and not folded(silent, "mysql_query") and not folded(silent, "run_query")
    assert folded({**silent, "description": "Run SQL against the PostgreSQL warehouse"}, "run_query")
    assert not folded({**silent, "description": "Run SQL on the SQLite file"}, "postgres_query")  # closer says
    mysql = obj(sql={"type": "string", "description": "SQL to run (MySQL dialect)"})
    assert not folded(mysql, "postgres_query")  # the argument's own words win
    assert not folded(obj(sql={"type": "string", "description": "SQL to run"}), "postgresql_to_sqlite")  # which?
    # string literals and quoted names are never folded, whatever the dialect
    assert canonicalize_args({"sql": "SELECT a FROM t WHERE s = 'Ann'"}, silent, "postgres_query") != \
        canonicalize_args({"sql": "SELECT a FROM t WHERE s = 'ann'"}, silent, "postgres_query")


def test_sql_keeps_literal_exactly() -> None:
    out = canonicalize_args({"s": "select 'Mixed  CASE from' from t"}, obj(s={"format": "sql"}))
    assert out == {"s": "SELECT 'Mixed  CASE from' FROM t"}


@pytest.mark.parametrize(
    ("a", "b"), [("def main", "def  main"), ("TODO", "todo"), ("x", " x"), ("a$", "a$ ")]
)
def test_regex_format_is_untouched(a: str, b: str) -> None:
    schema = obj(r={"type": "string", "format": "regex"})
    assert canonicalize_args({"r": a}, schema) == {"r": a}
    assert not same({"r": a}, {"r": b}, schema)


def test_nested_objects_and_arrays_follow_their_schema() -> None:
    schema = obj(
        filters={"type": "object", "properties": {"limit": {"type": "integer", "default": 5}}},
        paths={"type": "array", "items": {"type": "string", "format": "path"}},
    )
    out = canonicalize_args({"filters": {}, "paths": ["./a/", "b//c"]}, schema)
    assert out == {"filters": {"limit": 5}, "paths": ["a", "b/c"]}


def test_unknown_keys_kept_and_input_not_mutated() -> None:
    args = {"q": " x ", "extra": 2.0}
    out = canonicalize_args(args, obj(q={"type": "string"}))
    assert out == {"extra": 2, "q": "x"}
    assert args == {"q": " x ", "extra": 2.0}


def test_canonical_json_is_deterministic_and_rejects_nan() -> None:
    assert canonical_json({"b": [1, {"d": 1, "c": "é"}], "a": None}) == '{"a":null,"b":[1,{"c":"é","d":1}]}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        canonicalize_args(["not", "a", "dict"])  # type: ignore[arg-type]


def test_whitespace_inside_quotes_is_kept() -> None:
    schema = {"type": "object", "properties": {"range": {"type": "string"}}}
    assert canonicalize_args({"range": "  'Q3 Budget'!A1:D20 "}, schema) == {"range": "'Q3 Budget'!A1:D20"}
    assert canonicalize_args({"range": "'Q3  Budget'!A1:D20"}, schema) != canonicalize_args(
        {"range": "'Q3 Budget'!A1:D20"}, schema)  # another sheet's title
    assert canonicalize_args({"range": "it's  a dog's   life"}, schema) == {"range": "it's a dog's life"}


def test_an_integer_for_a_string_argument_is_its_digits() -> None:
    schema = {"type": "object", "properties": {"routing": {"type": "string", "pattern": "^[0-9]{9}$"}}}
    assert canonicalize_args({"routing": 121000358}, schema) == canonicalize_args({"routing": "121000358"}, schema)
    assert canonicalize_args({"routing": True}, schema) == {"routing": True}


def test_a_value_taken_exactly_as_written_is_not_normalised_by_its_format() -> None:
    exact = {"type": "object", "properties": {"path": {"type": "string", "description": (
        "path template exactly as written in the spec's paths object")}}}
    loose = {"type": "object", "properties": {"path": {"type": "string"}}}
    assert canonicalize_args({"path": "/v1/charges/"}, exact) != canonicalize_args({"path": "/v1/charges"}, exact)
    assert canonicalize_args({"path": "/v1/charges/"}, loose) == canonicalize_args({"path": "/v1/charges"}, loose)


def test_a_part_taken_exactly_as_written_leaves_the_format_the_rest() -> None:
    url = {"type": "object", "properties": {"link": {"type": "string", "format": "uri", "description": (
        "page to open; the path and query are sent exactly as written")}}}
    assert canonicalize_args({"link": "HTTPS://Example.ORG:443/A?b=C"}, url) == {"link": "https://example.org/A?b=C"}
    assert canonicalize_args({"link": "https://example.org/a"}, url) != canonicalize_args(
        {"link": "https://example.org/A"}, url)
    whole = {"type": "object", "properties": {"link": {"type": "string", "format": "uri", "description": (
        "callback URL exactly as registered; compared exactly as written")}}}
    assert canonicalize_args({"link": "https://Example.org/cb"}, whole) == {"link": "https://Example.org/cb"}


def test_a_url_without_the_scheme_its_description_says_is_assumed() -> None:
    said = {"type": "object", "properties": {"link": {"type": "string", "format": "uri", "description": (
        "short link; the scheme may be left out (https is assumed)")}}}
    http = {"type": "object", "properties": {"link": {"type": "string", "format": "uri", "description": (
        "address of the device's page; http:// is assumed")}}}
    silent = {"type": "object", "properties": {"link": {"type": "string", "format": "uri"}}}
    assert canonicalize_args({"link": "sho.rt/Ab3"}, said) == canonicalize_args({"link": "https://SHO.rt/Ab3"}, said)
    assert canonicalize_args({"link": "sho.rt/Ab3"}, said) != canonicalize_args({"link": "sho.rt/ab3"}, said)
    assert canonicalize_args({"link": "router.lan/status"}, http) == {"link": "http://router.lan/status"}
    assert canonicalize_args({"link": "sho.rt/Ab3"}, silent) == {"link": "sho.rt/Ab3"}  # nothing said: as written
    assert canonicalize_args({"link": "not a url"}, said) == {"link": "not a url"}


def test_a_literal_is_not_even_unicode_normalised() -> None:
    literal = {"type": "object", "properties": {"text": {"type": "string", "description": "literal text, no "
                                                                                         "normalisation"}}}
    plain = {"type": "object", "properties": {"text": {"type": "string"}}}
    kelvin, composed, decomposed = "\u212a", "\u00e9", "e\u0301"
    assert canonicalize_args({"text": kelvin}, literal) != canonicalize_args({"text": "K"}, literal)
    assert canonicalize_args({"text": composed}, literal) != canonicalize_args({"text": decomposed}, literal)
    assert canonicalize_args({"text": composed}, plain) == canonicalize_args({"text": decomposed}, plain)


def test_with_inference_off_only_what_the_schema_declares_makes_two_calls_one() -> None:
    from loopcache.toolcache.spec import with_inference

    schema = obj(q={"type": "string", "description": "case-insensitive search terms"},
                 limit={"type": "integer", "default": 10}, since={"type": "string", "format": "date"},
                 tags={"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                 user_ids={"type": "array", "items": {"type": "string"}}, sort={"type": "object"},
                 state={"type": "string", "enum": ["open", "closed"]})
    declared = with_inference(schema, infer=False)
    inferred = with_inference(schema, infer=True)
    assert inferred == schema and declared is not schema and "x-loopcache-infer" not in schema
    call = {"q": "Red Shoes", "limit": 10, "since": "March 5, 2024", "tags": ["b", "a"], "user_ids": ["2", "1"]}
    # declared: key order, a default written out, numeric strings of integers, declared formats and sets
    assert canonicalize_args(call, declared) == canonicalize_args(
        {"user_ids": ["2", "1"], "tags": ["a", "b", "a"], "since": " 2024-03-05", "limit": "10", "q": "Red Shoes"},
        declared)
    assert canonicalize_args({"q": "x", "limit": None}, declared) == canonicalize_args({"q": "x"}, declared)
    # inferred only: the description's case rule, an id list as a set, an enum's case, a nested object's key order
    for other in ({"q": "red shoes"}, {"user_ids": ["1", "2"]}, {"state": "OPEN"}):
        a, b = {**call, "state": "open"}, {**call, "state": "open", **other}
        assert canonicalize_args(a, inferred) == canonicalize_args(b, inferred)
        assert canonicalize_args(a, declared) != canonicalize_args(b, declared)
    assert canonicalize_args({"sort": {"b": 1, "a": 1}}, declared) != canonicalize_args({"sort": {"a": 1, "b": 1}},
                                                                                         declared)
    for spaced in ("Red  Shoes", " Red Shoes"):  # free text as written, spaces too
        assert canonicalize_args({"q": spaced}, declared) != canonicalize_args({"q": "Red Shoes"}, declared)


def test_a_numeral_for_an_argument_that_is_a_number_or_a_string_is_the_number() -> None:
    schema = obj(price={"type": ["number", "string"], "pattern": "^[0-9]+(\\.[0-9]{1,4})?$"},
                 id={"type": ["integer", "string"], "pattern": "^[0-9]+$"},
                 version={"type": ["number", "string"]})
    assert same({"price": "24.50", "id": "3167641"}, {"price": 24.5, "id": 3167641}, schema)
    assert not same({"price": "24.51"}, {"price": 24.5}, schema)
    assert not same({"id": "007"}, {"id": 7}, schema)  # leading zeros: maybe another id
    assert not same({"id": "7.0"}, {"id": 7}, schema)  # an integer id is no decimal
    assert not same({"version": "1.10"}, {"version": 1.1}, schema)
    assert same({"version": "4"}, {"version": 4}, schema)  # a whole version number: no dotted part to lose


def test_a_version_with_the_prefix_an_example_equates_is_the_number() -> None:
    version = {"type": ["integer", "string"], "pattern": "^[vV]?[1-9][0-9]*$",
               "description": "model version: an integer, a decimal string or 'v'-prefixed ('v12' = '12' = 12)"}
    schema = obj(version=version)
    assert same({"version": "v12"}, {"version": 12}, schema) and same({"version": "V12"}, {"version": "12"}, schema)
    assert not same({"version": "v12"}, {"version": 2}, schema) and not same({"version": "v12"}, {"version": 1}, schema)
    silent = obj(version={**version, "description": "model version"})
    assert not same({"version": "v12"}, {"version": 12}, silent)


def test_a_timestamp_for_seconds_where_the_description_allows_both() -> None:
    offset = {"type": ["number", "string"], "description": "seconds from the start, or an 'HH:MM:SS(.sss)' timestamp"}
    schema = obj(start=offset, length={"type": ["number", "string"], "description": "written like `start`"},
                 at={"type": ["number", "string"], "description": "a clock time HH:MM:SS"})
    assert same({"start": "00:01:15", "length": "00:00:30.000"}, {"start": 75, "length": 30}, schema)
    assert not same({"start": "00:01:15"}, {"start": 76}, schema)
    assert not same({"at": "00:01:15"}, {"at": 75}, schema)  # no seconds said: kept


def test_a_hex_numeral_where_the_description_speaks_of_hex() -> None:
    flags = {"type": ["integer", "string"], "description": "an integer, or a string in decimal or in hex with '0x'"}
    schema = obj(flags=flags, id={"type": ["integer", "string"]})
    assert same({"flags": "0x704"}, {"flags": 1796}, schema) and same({"flags": "0X0704"}, {"flags": "1796"}, schema)
    assert not same({"flags": "0x705"}, {"flags": 1796}, schema)
    assert not same({"id": "0x10"}, {"id": 16}, schema)  # hex not said
