"""Field traits and codes: what a schema's descriptions, names and flags say about a free-text argument, and
the exact stage's spelling under them. None of these schemas or values are from the labelled pair sets."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonical_json, canonicalize_args
from loopcache.toolcache.codes import CodeCase, canonical_code, word_code
from loopcache.toolcache.field_traits import (NO_FLAGS, Flags, TextKind, container_flags, is_key_ordered, is_set_valued,
                                              is_token_set, sibling_flags, text_traits)
from loopcache.toolcache.verify import verify_call


def text(description: str = "", **schema: object) -> dict:
    return {"type": "string", "description": description, **schema} if description else {"type": "string", **schema}


def same(a: dict, b: dict, schema: dict) -> bool:
    return canonical_json(canonicalize_args(a, schema)) == canonical_json(canonicalize_args(b, schema))


@pytest.mark.parametrize(
    ("name", "schema", "kind"),
    [
        ("q", text(), TextKind.FREE),
        ("needle", text("exact text to look for, matched literally"), TextKind.LITERAL),
        ("snippet", text("substring to find (whitespace included)"), TextKind.LITERAL),
        ("title", text("the page title; case-sensitive"), TextKind.CASED),
        ("slug", text("slug as registered (case, dots and dashes kept)"), TextKind.CASED),
        ("tag", text("tag name, case-insensitive"), TextKind.FREE),
        ("note", text("use case: anything"), TextKind.FREE),  # "use case" is not letter case
        ("text", text(), TextKind.PROSE), ("email_body", text(), TextKind.PROSE), ("prompt", text(), TextKind.PROSE),
        ("version", text("exact release string"), TextKind.CASED), ("page_token", text(), TextKind.CASED),
        ("client_secret", text(), TextKind.CASED),
        ("tz", text(), TextKind.TIMEZONE), ("display_time_zone", text(), TextKind.TIMEZONE),
        ("zone", text("an IANA name"), TextKind.TIMEZONE),
        # a clause about quoted phrases says nothing of the field's case; "any order" is not prose
        ("terms", text('words to find; "quoted phrases" are matched exactly'), TextKind.FREE),
        ("terms", text("words to find, matched exactly"), TextKind.CASED),
        ("text", text("keywords, in any order"), TextKind.FREE),
        # said both ways: case counts; "as written" beside "case-insensitive" is about the format
        ("name", text("ids of A are case-insensitive; names of B are matched exactly"), TextKind.CASED),
        ("zone_code", text("as written locally; letters case-insensitive"), TextKind.FREE),
    ],
)
def test_kind_from_description_and_name(name: str, schema: dict, kind: TextKind) -> None:
    assert text_traits(name, schema).kind is kind


def test_flags_apply_to_the_siblings_that_name_them_else_to_all() -> None:
    properties = {"pattern": text("what to match; a regular expression if use_regex is set"), "dir": text(),
                  "use_regex": {"type": "boolean", "default": False}, "match_case": {"type": "boolean"}}
    flags = sibling_flags({"use_regex": True, "match_case": False}, properties)
    assert flags["pattern"] == Flags(case_sensitive=False, regex=True)
    assert flags["dir"] == Flags(case_sensitive=False, regex=False)  # no description names match_case: all
    assert sibling_flags({"pattern": "x"}, {"pattern": text()}) == {}
    assert sibling_flags({"ignore_case": True}, {"term": text()})["term"].case_sensitive is False
    assert text_traits("pattern", properties["pattern"], flags["pattern"]).kind is TextKind.REGEX
    assert text_traits("term", text(), Flags(case_sensitive=True)).kind is TextKind.CASED
    assert text_traits("term", text(), Flags(case_sensitive=False)).lower_all


@pytest.mark.parametrize(
    ("name", "schema", "code"),
    [
        ("from_airport", text("ICAO code of the airport"), CodeCase.UPPER),
        ("cur", text("ISO 4217 currency"), CodeCase.UPPER),
        ("nation", text("ISO 3166-1 alpha-3"), CodeCase.UPPER),
        ("country_code", text(), CodeCase.UPPER), ("billing_currency", text(), CodeCase.UPPER),
        ("ref", text("booking reference, e.g. 'QX7Z42'"), CodeCase.UPPER),
        ("locale", text(), CodeCase.LOWER), ("ui_lang", text(), CodeCase.LOWER),
        ("dialect", text("IETF BCP 47 tag"), CodeCase.LOWER),
        ("city", text("e.g. 'Lyon'"), None), ("user_id", text("the user's id"), None), ("q", text(), None),
    ],
)
def test_code_fields(name: str, schema: dict, code: CodeCase | None) -> None:
    assert text_traits(name, schema).code is code


def test_codes_take_one_case_only_when_written_in_one_case() -> None:
    assert canonical_code("yul", CodeCase.UPPER) == canonical_code("YUL", CodeCase.UPPER) == "YUL"
    assert canonical_code("Yul", CodeCase.UPPER) == "Yul"  # mixed case: kept as written
    assert canonical_code("Montreal Trudeau", CodeCase.UPPER) == "Montreal Trudeau"  # not a code
    assert canonical_code("fr-CA", CodeCase.LOWER) == canonical_code("FR-ca", CodeCase.LOWER) == "fr-ca"
    assert canonical_code("fr-CA", CodeCase.LOWER) != canonical_code("fr-FR", CodeCase.LOWER)
    assert canonical_code("#k77q", CodeCase.UPPER, drop_hash=True) == "K77Q"
    assert canonical_code("#k77q", CodeCase.UPPER) == "#k77q"


def test_a_word_with_digits_is_a_code() -> None:
    assert word_code("zx81") == word_code("ZX81") == "ZX81"
    assert word_code("Zx81") == "Zx81"  # mixed case may be case-sensitive ("dQw4w9WgXcQ")
    assert word_code("5m") == "5m" and word_code("5M") == "5M"  # one letter: 5 minutes / 5 months
    assert word_code("spam") == "spam"  # no digit: a word
    assert word_code("a_1b") == "a_1b"  # underscores: an identifier, not a code


def test_codes_in_the_exact_stage() -> None:
    schema = {"type": "object", "properties": {
        "port": text("UN/LOCODE or IATA code"), "flight": text(), "word": text("headword, case sensitive"),
        "session_token": text(), "order": text("order number, e.g. '#88412' (leading '#' is optional)")}}
    assert same({"port": "cdg"}, {"port": "CDG"}, schema)
    assert same({"flight": "af1234"}, {"flight": "AF1234"}, schema)
    assert not same({"flight": "af1234"}, {"flight": "af1243"}, schema)
    assert not same({"word": "ab12"}, {"word": "AB12"}, schema)  # the description says case counts
    assert not same({"session_token": "ab12cd34"}, {"session_token": "AB12CD34"}, schema)  # opaque
    assert not same({"port": "Paris"}, {"port": "PARIS"}, schema)  # mixed case, not a code spelling


def test_an_exact_match_mode_beside_a_text_compares_it_word_by_word() -> None:
    """`match: "exact"` (or `exact_match: true`) beside a name: "Blue Fin" is another name than "Bluefin"."""
    schema = {"type": "object", "properties": {
        "name": text("word element to look up"), "match": text(enum=["exact", "contains", "fuzzy"], default="exact")}}
    def accepted(a: dict, b: dict, properties: dict = schema) -> bool:
        return verify_call(canonicalize_args(b, properties), canonicalize_args(a, properties), properties).accepted

    assert not accepted({"name": "Redwood"}, {"name": "Red Wood"})  # the default mode is exact
    assert not accepted({"name": "Redwood", "match": "EXACT"}, {"name": "Red Wood", "match": "EXACT"})
    assert accepted({"name": "REDWOOD"}, {"name": "Redwood"})  # case: as prose, free
    assert accepted({"name": "Redwood", "match": "fuzzy"}, {"name": "Red Wood", "match": "fuzzy"})  # another mode
    flagged = {"type": "object", "properties": {"title": text(), "exact_match": {"type": "boolean"}}}
    assert not accepted({"title": "Redwood", "exact_match": True}, {"title": "Red Wood", "exact_match": True},
                        flagged)
    assert sibling_flags({"exact_match": True}, flagged["properties"])["title"].exact_words
    assert not sibling_flags({"exact_match": False}, flagged["properties"])["title"].exact_words
    assert text_traits("q", text(), Flags(exact_words=True)).kind is TextKind.PROSE
    assert text_traits("airport", text("IATA code"), Flags(exact_words=True)).code is not None  # a code stays one


def test_literal_regex_and_case_flags_in_the_exact_stage() -> None:
    schema = {"type": "object", "properties": {
        "needle": text("literal text to find (whitespace included) unless regex is true"),
        "regex": {"type": "boolean", "default": False}, "case_sensitive": {"type": "boolean", "default": False}}}
    assert same({"needle": "MaxRetries"}, {"needle": "maxretries"}, schema)  # case-insensitive by default
    assert not same({"needle": "max  retries"}, {"needle": "max retries"}, schema)  # whitespace is searched
    assert not same({"needle": " retries"}, {"needle": "retries"}, schema)
    assert not same({"needle": "MaxRetries", "case_sensitive": True}, {"needle": "maxretries", "case_sensitive": True},
                    schema)
    assert not same({"needle": "a|b", "regex": True}, {"needle": "A|B", "regex": True}, schema)  # \\D != \\d
    assert canonicalize_args({"needle": " x ", "regex": True}, schema)["needle"] == " x "


def test_sets_sorted_lists_kept() -> None:
    schema = {"type": "object", "properties": {
        "exclude_sites": {"type": "array", "items": {"type": "string"}},
        "sections": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "members": {"type": "array", "items": {"type": "string"}, "description": "the answer is keyed by member"},
        "tags": {"type": "array", "items": {"type": "string"}, "description": "results carry all of these tags"},
        "kinds": {"type": "array", "items": {"type": "string"}, "description": "match any of the given kinds"},
        "drugs": {"type": "array", "items": {"type": "string"}, "description": "drugs to check against each other"},
        "routes": {"type": "array", "items": {"type": "string"}, "description": "route names values to keep"},
        "skills": {"type": "array", "items": {"type": "string"}, "description": "the candidate must have all"},
        "zones": {"type": "array", "items": {"type": "string"}, "description": "the host is in one of the given"},
        "dirs": {"type": "array", "items": {"type": "string"}, "description": "restrict the search to these dirs"},
        "people": {"type": "array", "items": {"type": "string"}, "description": "only these people"},
        "elements": {"type": "array", "items": {"type": "string"}, "description": "materials containing all of these"},
        "countries": {"type": "array", "items": {"type": "string"}, "description": "rows whose country is one of these"},
        "dates": {"type": "array", "items": {"type": "string"}, "description": "one per date bound, all must hold"},
        "names": {"type": "array", "items": {"type": "string"}, "description": "entity names to retrieve"},
        "rules": {"type": "array", "items": {"type": "string"}, "description": "rule codes to enable"},
        "user_ids": {"type": "array", "items": {"type": "string"}},
        "stops": {"type": "array", "items": {"type": "string"}}}}
    for field in ("exclude_sites", "sections", "members", "tags", "kinds", "drugs", "routes", "skills", "zones",
                  "dirs", "people", "elements", "countries", "dates", "names", "rules", "user_ids"):
        assert is_set_valued(field, schema["properties"][field])
        assert same({field: ["b", "a", "b"]}, {field: ["a", "b"]}, schema)
        assert not same({field: ["a"]}, {field: ["a", "b"]}, schema)
    assert not is_set_valued("stops", schema["properties"]["stops"])
    assert not same({"stops": ["b", "a"]}, {"stops": ["a", "b"]}, schema)  # a route: order counts
    for ordered in ("visit these in order; each must follow the last", "limit to 10 results", "must be sorted"):
        assert not is_set_valued("stops", {"type": "array", "description": ordered})


def test_the_conditions_of_a_filters_and_or_commute_but_nested_lists_keep_their_order() -> None:
    schema = {"type": "object", "properties": {"filter": {"type": "object"}}}
    done, mine = {"property": "Status", "equals": "Done"}, {"property": "Owner", "contains": "u1"}
    assert same({"filter": {"and": [done, mine]}}, {"filter": {"and": [mine, done]}}, schema)
    assert same({"filter": {"$or": [{"a": 1}, {"b": 2}]}}, {"filter": {"$or": [{"b": 2}, {"a": 1}]}}, schema)
    assert not same({"filter": {"and": [done, mine]}}, {"filter": {"or": [mine, done]}}, schema)
    assert not same({"filter": {"and": [done]}}, {"filter": {"and": [done, mine]}}, schema)
    sorts = [{"property": "Due"}, {"property": "Created"}]
    assert not same({"filter": {"and": [done], "sorts": sorts}},
                    {"filter": {"and": [done], "sorts": sorts[::-1]}}, schema)


def test_examples_with_spaces_and_underscores_say_they_are_one_value() -> None:
    schema = {"type": "object", "properties": {
        "page": {"type": "string", "description": "page title (e.g. 'Alan Turing' or 'Alan_Turing') or its URL"},
        "other": {"type": "string", "description": "a title, e.g. 'Alan Turing' or 'snake_case_name'"}}}
    assert text_traits("page", schema["properties"]["page"]).folds.underscores_are_spaces
    assert not text_traits("other", schema["properties"]["other"]).folds.underscores_are_spaces
    assert same({"page": "Ada_Lovelace"}, {"page": "Ada  Lovelace"}, schema)
    assert not same({"other": "Ada_Lovelace"}, {"other": "Ada Lovelace"}, schema)
    assert canonicalize_args({"page": "https://en.wikipedia.org/wiki/Ada_Lovelace"}, schema)["page"].endswith(
        "/Ada_Lovelace")  # a URL keeps its path


def test_prose_to_look_up_is_a_key_compared_as_written() -> None:
    segment = {"type": "string", "description": "segment to look up"}
    assert text_traits("source_text", segment).kind is TextKind.LITERAL
    assert text_traits("source_text", {"type": "string", "description": "text to translate"}).kind is TextKind.PROSE
    schema = {"type": "object", "properties": {"source_text": segment}}
    assert not verify_call({"source_text": "Sign In"}, {"source_text": "Sign in"}, schema).accepted


def test_a_title_names_one_thing_unless_it_is_searched() -> None:
    page = {"type": "string", "description": "page title, e.g. 'Alan Turing'"}
    searched = {"type": "string", "description": "title to search for"}
    assert text_traits("page", page).kind is TextKind.CASED and text_traits("book_title", page).kind is TextKind.CASED
    assert text_traits("title", searched).kind is TextKind.FREE
    schema = {"type": "object", "properties": {"page": page}}
    assert not verify_call({"page": "Red dwarf"}, {"page": "Red Dwarf"}, schema).accepted  # the star, the sitcom


def test_no_flags_is_the_default() -> None:
    assert text_traits("q", text(), NO_FLAGS) == text_traits("q", text())


def test_a_statement_of_case_on_a_container_covers_its_contents() -> None:
    item = {"type": "object", "properties": {"name": text(), "values": {"type": "array", "items": text()}}}
    schema = {"type": "object", "properties": {
        "filters": {"type": "array", "items": item, "description": "names and values are case-sensitive"},
        "loose": {"type": "array", "items": item}}}
    assert not same({"filters": [{"name": "Tier", "values": ["Gold"]}]},
                    {"filters": [{"name": "tier", "values": ["gold"]}]}, schema)
    assert text_traits("name", text(), container_flags(schema["properties"]["filters"])).kind is TextKind.CASED
    assert text_traits("name", text(), container_flags(schema["properties"]["loose"])).kind is TextKind.FREE


def test_a_clause_of_case_for_the_value_a_sibling_has_in_this_call() -> None:
    schema = {"type": "object", "properties": {
        "registry": {"type": "string", "enum": ["alpha", "beta", "gamma"]},
        "name": text("alpha.dev ids are case-insensitive; beta names are matched exactly")}}
    assert same({"registry": "alpha", "name": "FooBar"}, {"registry": "alpha", "name": "foobar"}, schema)
    assert not same({"registry": "beta", "name": "FooBar"}, {"registry": "beta", "name": "foobar"}, schema)
    # a value no clause names: the description as a whole, which says both: case-sensitive
    assert not same({"registry": "gamma", "name": "FooBar"}, {"registry": "gamma", "name": "foobar"}, schema)
    assert sibling_flags({"registry": "alpha"}, schema["properties"])["name"].value_case is False


def test_a_clause_that_says_names_are_normalised_frees_case_and_separators_for_that_value_only() -> None:
    schema = {"type": "object", "properties": {
        "registry": {"type": "string", "enum": ["alpha", "beta"], "default": "alpha"},
        "name": text("name as published; alpha names are normalised (case, '-', '_', '.'), beta names are not")}}
    assert same({"name": "Flask-SQLAlchemy"}, {"name": "flask_sqlalchemy"}, schema)
    assert same({"name": "zope.interface"}, {"name": "Zope__Interface"}, schema)
    assert not same({"name": "flask-sqlalchemy"}, {"name": "flasksqlalchemy"}, schema)  # a separator is not nothing
    # the comma ends the alpha clause: beta's names keep their case and separators
    assert not same({"registry": "beta", "name": "Flask-SQLAlchemy"}, {"registry": "beta", "name": "flask-sqlalchemy"},
                    schema)
    assert not same({"registry": "beta", "name": "a-b"}, {"registry": "beta", "name": "a_b"}, schema)
    # normalised case alone: case free, separators kept
    only_case = {"type": "object", "properties": {"registry": schema["properties"]["registry"],
                                                  "name": text("alpha names are normalised (case)")}}
    assert same({"name": "FooBar"}, {"name": "foobar"}, only_case)
    assert not same({"name": "foo-bar"}, {"name": "foo_bar"}, only_case)


def test_hexadecimal_digits_have_no_case() -> None:
    schema = {"type": "object", "properties": {"address": text("account address, hex, optionally checksummed"),
                                               "digest": text("SHA-256 of the file, in hex"), "memo": text()}}
    assert same({"address": "0xAbC123"}, {"address": "0xabc123"}, schema)
    assert same({"digest": "DEADBEEF"}, {"digest": "deadbeef"}, schema)
    assert not same({"address": "0xabc123"}, {"address": "0xabc124"}, schema)
    assert not same({"memo": "Ab"}, {"memo": "ab"}, schema)


def test_matched_case_insensitively_and_case_does_not_matter() -> None:
    assert text_traits("name", text("venue name, matched case-insensitively")).lower_all
    assert text_traits("name", text("letter case does not matter")).lower_all
    assert text_traits("name", text("matched case-sensitively")).kind is TextKind.CASED


def test_a_clause_that_a_value_is_normalised_as_in_pep_503_or_case_and_separators_do_not_matter() -> None:
    schema = {"type": "object", "properties": {
        "index": {"type": "string", "enum": ["wheelhouse", "tarball_hub"]},
        "name": text("tarball hub names are exact. Wheelhouse names are normalised as in PEP 503: letter case and "
                     "runs of '-', '_' and '.' do not matter.")}}
    assert same({"index": "wheelhouse", "name": "Zope_Interface"}, {"index": "wheelhouse", "name": "zope.interface"},
                schema)
    # the enum value `tarball_hub` is named "tarball hub": its names keep case and separators
    assert not same({"index": "tarball_hub", "name": "Zope_Interface"},
                    {"index": "tarball_hub", "name": "zope_interface"}, schema)
    assert not same({"index": "tarball_hub", "name": "a-b"}, {"index": "tarball_hub", "name": "a_b"}, schema)


def test_a_clause_may_name_the_value_of_an_enum_in_an_object_around_it() -> None:
    item = {"type": "object", "properties": {"name": text("Wheelhouse names are compared after PEP 503 normalisation"),
                                             "version": text()}}
    schema = {"type": "object", "properties": {
        "index": {"type": "string", "enum": ["wheelhouse", "tarball_hub"]},
        "packages": {"type": "array", "items": item}}}

    def call(index: str, name: str) -> dict:
        return {"index": index, "packages": [{"name": name, "version": "1.0"}]}

    assert same(call("wheelhouse", "Zope_Interface"), call("wheelhouse", "zope-interface"), schema)
    assert not same(call("tarball_hub", "Zope_Interface"), call("tarball_hub", "zope-interface"), schema)
    assert not same(call("wheelhouse", "zope-interface"), call("wheelhouse", "zope-interfaces"), schema)


def test_an_array_the_object_around_it_names_as_a_set() -> None:
    values = {"type": "array", "items": {"type": "string"}}
    schema = {"type": "object", "properties": {
        "filter": {"type": "object", "description": "keep only rows whose field has one of the values",
                   "properties": {"field": text(), "values": values}},
        "sort": {"type": "object", "description": "rows sorted by these keys, in order",
                 "properties": {"keys": values}}}}
    assert same({"filter": {"field": "r", "values": ["b", "a"]}}, {"filter": {"field": "r", "values": ["a", "b"]}},
                schema)
    assert not same({"sort": {"keys": ["b", "a"]}}, {"sort": {"keys": ["a", "b"]}}, schema)


def test_an_array_of_enum_values_is_a_set_unless_it_is_an_order() -> None:
    def picked(description: str = "") -> dict:
        return {"type": "array", "items": {"type": "string", "enum": ["low", "high", "mid"]},
                "description": description}
    for name, schema in (("severities", picked()), ("sections", picked("extra sections to return"))):
        assert is_set_valued(name, schema)
    for name, schema in (("sort", picked()), ("priority", picked()), ("levels", picked("checked in order, first wins")),
                         ("steps", picked())):
        assert not is_set_valued(name, schema)


def test_an_object_that_says_its_array_filters_are_or_ed_makes_them_sets() -> None:
    strings = {"type": "array", "items": {"type": "string"}}
    schema = {"type": "object", "description": "Search issues. Array filters are OR-ed within a filter and AND-ed "
                                               "across filters.", "properties": {"rules": strings, "tags": strings}}
    assert same({"rules": ["b c", "a"], "tags": ["y", "x"]}, {"rules": ["a", "b c"], "tags": ["x", "y"]}, schema)
    plain = {"type": "object", "description": "Search issues.", "properties": {"rules": strings}}
    assert not same({"rules": ["b c", "a"]}, {"rules": ["a", "b c"]}, plain)  # texts (not one token each)


def test_a_sort_specification_keeps_the_order_of_its_keys() -> None:
    schema = {"type": "object", "properties": {
        "sort": {"type": "object", "description": "sort specification, e.g. {\"created_at\": -1}"},
        "rank": {"type": "object", "description": "weights; keys are applied in the order given"},
        "labels": {"type": "object"}}}
    assert not same({"sort": {"last": 1, "first": 1}}, {"sort": {"first": 1, "last": 1}}, schema)
    assert same({"sort": {"last": 1.0, "first": -1}}, {"sort": {"last": 1, "first": -1}}, schema)
    assert not same({"rank": {"a": 2, "b": 1}}, {"rank": {"b": 1, "a": 2}}, schema)
    assert same({"labels": {"a": "x", "b": "y"}}, {"labels": {"b": "y", "a": "x"}}, schema)  # a plain mapping


def test_returned_fields_and_rule_switches_are_sets_and_an_empty_exclusion_is_no_filter() -> None:
    strings = {"type": "array", "items": {"type": "string"}}
    schema = {"type": "object", "properties": {
        "fields": strings, "sort_fields": strings, "disabled_rules": strings, "enabled_rules": strings,
        "include": strings}}
    for field in ("fields", "disabled_rules", "enabled_rules"):
        assert same({field: ["b", "a"]}, {field: ["a", "b"]}, schema)
    assert not same({"sort_fields": ["b", "a"]}, {"sort_fields": ["a", "b"]}, schema)
    assert same({"disabled_rules": []}, {}, schema)
    assert not same({"include": []}, {}, schema)  # an empty inclusion may mean nothing at all


def test_a_case_flag_that_names_a_sibling_outweighs_its_description() -> None:
    schema = {"type": "object", "properties": {
        "glob": text("paths to match; the tree is case-sensitive"), "root": text("directory; case-sensitive"),
        "fold_case": {"type": "boolean", "default": False, "description": "true matches the glob ignoring case"}}}
    assert not same({"glob": "*.MD"}, {"glob": "*.md"}, schema)
    assert same({"glob": "*.MD", "fold_case": True}, {"glob": "*.md", "fold_case": True}, schema)
    assert not same({"root": "Docs", "glob": "*", "fold_case": True}, {"root": "docs", "glob": "*", "fold_case": True},
                    schema)  # the flag names the glob only


def test_an_array_that_means_every_item_or_none_when_omitted() -> None:
    schema = {"type": "object", "properties": {
        "parts": {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": ["head", "body", "tail"]},
                  "description": "parts returned; all when omitted"},
        "stars": {"type": "array", "uniqueItems": True, "items": {"type": "integer", "minimum": 1, "maximum": 3},
                  "description": "only these star ratings; every rating when omitted"},
        "extras": {"type": "array", "items": {"type": "string"}, "description": "sections to add; none when omitted"},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                 "description": "only these tags; all when omitted"}}}
    assert same({}, {"parts": ["tail", "body", "head"]}, schema)
    assert not same({}, {"parts": ["tail", "head"]}, schema)
    assert same({}, {"stars": [3, 1, 2]}, schema) and not same({}, {"stars": [1, 2]}, schema)
    assert same({}, {"extras": []}, schema) and not same({}, {"extras": ["x"]}, schema)
    parts = {"type": "object", "properties": {"parts": {"type": "array", "uniqueItems": True, "items": {
        "type": "string", "enum": ["a", "b", "c"]}, "description": "parts to return; default all three"}}}
    assert same({}, {"parts": ["c", "a", "b"]}, parts) and not same({}, {"parts": ["a", "b"]}, parts)
    assert not same({}, {"tags": []}, schema)  # no list of every tag: "all" cannot be written out


@pytest.mark.parametrize("said", ["(any case)", "case ignored", "letters, case and a leading '#' are ignored",
                                  "the case is ignored", "letter case, spaces and hyphens are ignored",
                                  "compared without regard to case", "case- and accent-insensitive",
                                  "case-insensitive, otherwise exact"])
def test_case_said_to_be_ignored_frees_it(said: str) -> None:
    schema = {"type": "object", "properties": {"lot": text(f"lot code, e.g. 'QX-100'; {said}")}}
    assert same({"lot": "qx-100"}, {"lot": "QX-100"}, schema)
    assert not same({"lot": "QX-100"}, {"lot": "QX-101"}, schema)
    in_any_case = {"type": "object", "properties": {"lot": text("the lot as printed, in any case never reused")}}
    assert text_traits("lot", in_any_case["properties"]["lot"]).lower_all is False


def test_arrays_whose_items_must_all_or_must_not_occur_and_codes_to_return_are_sets() -> None:
    for said in ("labels the issue must all carry", "labels the issue must not carry", "unit codes to return",
                 "country codes to compare; all countries when omitted"):
        assert is_set_valued("picks", {"type": "array", "items": {"type": "string"}, "description": said}), said
    for said in ("stops to visit, all when omitted, in the order given", "stops the route must pass"):
        assert not is_set_valued("picks", {"type": "array", "items": {"type": "string"}, "description": said}), said
    assert not is_set_valued("stops", {"type": "array", "items": {"type": "object"}, "description": "all when omitted"})


def test_an_array_of_one_token_strings_is_a_set_unless_read_by_position() -> None:
    plain = {"type": "array", "items": {"type": "string"}}
    assert is_token_set("stations", {**plain, "description": "ICAO station ids"}, ["KJFK", "KLGA"])
    assert is_token_set("logins", {"type": "array"}, ["ana", "bo"])  # no item schema: the values say
    for name, schema, value in [
            ("stations", plain, ["New York", "KLGA"]),  # an item with a space: text, its position may count
            ("args", plain, ["-l", "-a"]), ("keys", plain, ["user:1", "user:2"]),  # mget answers by position
            ("columns", plain, ["a", "b"]), ("order_by", plain, ["a", "b"]),
            ("targets", {**plain, "description": "hosts, pinged in the order given"}, ["a", "b"]),
            ("targets", {**plain, "description": "one result per target, respectively"}, ["a", "b"]),
            ("kinds", {"type": "array", "items": {"type": "string", "format": "date"}}, ["2024-01-01"]),
            ("counts", {"type": "array", "items": {"type": "integer"}}, [1, 2])]:
        assert not is_token_set(name, schema, value), (name, schema, value)
    schema = {"type": "object", "properties": {"stations": plain, "args": plain}}
    assert same({"stations": ["KLGA", "KJFK", "KLGA"]}, {"stations": ["KJFK", "KLGA"]}, schema)
    assert not same({"stations": ["KLGA", "KJFK"]}, {"stations": ["KJFK"]}, schema)
    assert not same({"args": ["-a", "-l"]}, {"args": ["-l", "-a"]}, schema)


def test_a_zone_described_as_another_kind_than_a_time_zone_is_text() -> None:
    forecast = text("forecast zone name as the center publishes it, e.g. 'Salt Lake' (case-insensitive)")
    assert text_traits("zone", forecast).kind is TextKind.FREE and text_traits("zone", forecast).lower_all
    for said in ("", "the zone the times are given in", "IANA zone name"):
        assert text_traits("zone", text(said)).kind is TextKind.TIMEZONE, said


def test_a_whole_name_match_counts_every_word() -> None:
    artist = text("artist name, matched as a whole name, case-insensitively")
    assert text_traits("artist", artist).kind is TextKind.PROSE
    schema = {"type": "object", "properties": {"artist": artist}}
    assert not verify_call({"artist": "National"}, {"artist": "The National"}, schema).accepted
    assert same({"artist": "the  NATIONAL"}, {"artist": "The National"}, schema)


def test_a_field_written_like_a_sibling_reads_its_description() -> None:
    schema = {"type": "object", "properties": {
        "start": {"type": "string", "format": "date-time", "description": "a time without an offset is read as UTC"},
        "end": {"type": "string", "description": "end of the interval, same format as start"}}}
    assert same({"end": "2024-05-12T23:59:59"}, {"end": "2024-05-12T23:59:59Z"}, schema)
    assert not same({"end": "2024-05-12T23:59:59"}, {"end": "2024-05-12T23:59:59+02:00"}, schema)


def test_text_where_every_character_counts_is_a_literal() -> None:
    for said in ("the exact text to count; every character counts: case, whitespace and line endings",
                 "text to hash; Unicode normalisation changes the digest"):
        assert text_traits("text", text(said)).kind is TextKind.LITERAL, said
    schema = {"type": "object", "properties": {"text": text("every character counts")}}
    assert not same({"text": "a fix.\n"}, {"text": "a fix."}, schema)
    assert not same({"text": "caf\u00e9"}, {"text": "cafe\u0301"}, schema)
    extras = {"type": "object", "properties": {"include": {"type": "array", "items": {"type": "string", "enum": [
        "a", "b"]}, "description": "extra sections (a set). Default none: only the state"}}}
    assert same({}, {"include": []}, extras) and not same({}, {"include": ["a"]}, extras)


def test_a_keyword_whose_plural_and_word_order_count_is_matched_as_written() -> None:
    keyword = text("keywords, case-insensitive; word order, plural/singular and accents are significant")
    assert text_traits("keyword", keyword).kind is TextKind.PROSE
    schema = {"type": "object", "properties": {"keyword": keyword}}
    assert not verify_call({"keyword": "running shoes"}, {"keyword": "running shoe"}, schema).accepted
    assert not verify_call({"keyword": "shoes running"}, {"keyword": "running shoes"}, schema).accepted
    assert same({"keyword": "Running  Shoes"}, {"keyword": "running shoes"}, schema)
    assert text_traits("keyword", text("keywords, case-insensitive")).kind is TextKind.FREE
    listed = {"type": "object", "properties": {"keywords": {"type": "array", "items": {"type": "string"}, "description":
                                                             "keywords, a set; plural/singular are significant"}}}
    assert not verify_call({"keywords": ["running shoes"]}, {"keywords": ["running shoe"]}, listed).accepted


def test_returned_fields_said_to_keep_their_order_are_a_list() -> None:
    assert is_set_valued("fields", {"type": "array", "description": "columns returned for each alert"})
    assert not is_set_valued("fields", {"type": "array", "description": "columns returned, in this order: the "
                                                                         "result keeps the order given"})


def test_text_matched_without_stemming_takes_no_other_word_form() -> None:
    said = "free text; every word must occur, in any order, whole words only, without stemming; case-insensitive"
    schema = {"type": "object", "properties": {"query": text(said)}}
    assert text_traits("query", text(said)).word_forms
    assert not verify_call({"query": "seal"}, {"query": "seals"}, schema).accepted
    assert verify_call({"query": "pump seal"}, {"query": "seal pump"}, schema).accepted
    loose = {"type": "object", "properties": {"query": text("free text")}}
    assert verify_call({"query": "seal leak"}, {"query": "seals leak"}, loose).accepted  # a plural, as a rule


def test_an_object_whose_key_order_is_said_not_to_matter_is_a_mapping() -> None:
    assert not is_key_ordered("externals", {"type": "object", "description": "by variable name; key order irrelevant"})
    assert is_key_ordered("weights", {"type": "object", "description": "applied in the order given"})


def test_an_unordered_array_whose_repeats_count_and_a_list_said_not_to_be_a_set() -> None:
    ages = {"type": "array", "items": {"type": "integer"},
            "description": "one entry per child. Order does not matter, but every entry is a child"}
    schema = {"type": "object", "properties": {"ages": ages, "tokens": {
        "type": "array", "items": {"type": "string"}, "description": "answered in the order given (a list, not a set)"}}}
    assert same({"ages": [7, 3]}, {"ages": [3, 7]}, schema) and not same({"ages": [3, 7, 7]}, {"ages": [3, 7]}, schema)
    assert not same({"tokens": ["the", "model"]}, {"tokens": ["model", "the"]}, schema)


def test_more_wordings_of_case_and_an_exact_match_that_is_not_about_case() -> None:
    from loopcache.toolcache.field_traits import _stated_case
    assert _stated_case("Service point: 'SP' and nine digits. The letters may be in either case.") is False
    assert _stated_case("Container number (e.g. TGHU4802130). Upper or lower case is accepted.") is False
    assert _stated_case("Spaces are removed and letters compared without case.") is False
    assert _stated_case("Department code; compared case-insensitively. Only that exact unit, not units whose codes "
                        "begin with it.") is False
    assert _stated_case("Symbol; lower-case letters match either case") is not False
    assert _stated_case("names are case-insensitive; ids match exactly") is True


def test_in_any_case_inside_a_sentence_and_set_semantics() -> None:
    from loopcache.toolcache.field_traits import _stated_case
    assert _stated_case("Currency of the prices; ISO code in any case, default USD.") is False
    assert _stated_case("In any case, the code is matched as written.") is not False
    schema = {"type": "object", "properties": {"floors": {"type": "array", "items": {"type": "integer"},
                                                          "description": "set semantics, duplicates collapse"}}}
    assert canonicalize_args({"floors": [3, 4, 4]}, schema) == canonicalize_args({"floors": [4, 3]}, schema)


def test_a_substring_search_counts_word_forms() -> None:
    schema = {"type": "object", "properties": {"search": {
        "type": "string", "description": "case-insensitive substring match on the title"}}}
    assert not verify_call({"search": "firewall review"}, {"search": "firewall reviews"}, schema).accepted
    assert verify_call({"search": "Firewall Review"}, {"search": "firewall review"}, schema).accepted


def test_lower_case_accepted_and_exact_digits() -> None:
    from loopcache.toolcache.field_traits import _stated_case
    assert _stated_case("MEL categories (A, B, C, D); a set, lower-case letters accepted.") is False
    assert _stated_case("staff id C + four digits (C0192); the C may be lower case") is False
    assert _stated_case("Codes are issued in upper case; lower-case input is accepted and upper-cased before lookup.") \
        is False
    assert _stated_case("EASA, FAA, TCCA or CASA, in any letter case.") is False
    assert _stated_case("Letters are matched case-insensitively. Digits are exact, leading zeros included.") is False
