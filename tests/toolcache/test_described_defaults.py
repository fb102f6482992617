"""Defaults a description states in words (described_defaults.py), and the exact stage filling them in."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.described_defaults import described_default

CURRENCY = {"type": "string", "pattern": "^[A-Za-z]{3}$"}
DIRECTION = {"type": "string", "enum": ["asc", "desc"]}


@pytest.mark.parametrize(("schema", "text", "value"), [
    (CURRENCY, "ISO 4217 currency of the totals; EUR by default", ("EUR",)),
    ({"type": "number"}, "bucket width in points; 0.25 by default", (0.25,)),
    ({"type": "integer"}, "results per page, defaults to 40", (40,)),
    ({"type": "array", "items": {"type": "string"}}, "regions to poll; defaults to ['eu', 'us']. Ignored with `ids`",
     (["eu", "us"],)),
    ({"type": "string"}, "sort direction (default: 'desc')", ("desc",)),
    (DIRECTION, "sort direction, default desc", ("desc",)),
    ({"type": "boolean"}, "add archived rows; default is false", (False,)),
    ({"type": "boolean"}, "expand nested groups; default false (direct members only)", (False,)),
    ({"type": "integer"}, "page size, 25 when omitted", (25,)),
    ({"type": "string"}, "calculation convention; default 'MWL' (Muslim World League)", ("MWL",)),
    ({"type": "boolean"}, "let betas match; when false (the default) a beta only matches its own range", (False,)),
    ({"type": "object", "description": "the form; every field defaults to the blank form", "properties": {
        "boxed": {"type": "boolean", "description": "default false"}, "n": {"type": "integer", "default": 0}}},
     "the form; every field defaults to the blank form", ({},)),
])
def test_a_stated_literal_default(schema: dict, text: str, value: tuple) -> None:
    assert described_default(schema, text) == value


@pytest.mark.parametrize(("schema", "text"), [
    ({"type": "integer"}, "max results; defaults to 20 for free plans"),  # a condition after it
    ({"type": "integer"}, "If `full` is set, defaults to 50"),  # a condition before it
    ({"type": "string"}, "defaults to the account's currency"),  # no literal
    ({"type": "string"}, "EUR by default"),  # a bare word no enum or pattern takes
    (DIRECTION, "sort direction, default newest"),  # not one of the enum's
    ({"type": "string", "format": "date"}, "the day; today when omitted"),
    ({"type": "string"}, "a count; defaults to 10"),  # a number for a string argument
    ({"type": "integer", "default": 5}, "defaults to 10"),  # the schema's own default wins
    ({"type": "integer"}, "default page size is 50"),
    ({"type": "object", "properties": {"boxed": {"type": "boolean"}, "n": {"type": "integer", "default": 0}}},
     "the form; its fields default to the blank form"),  # a field without a default: omitted is not {}
    ({"type": "object", "properties": {"n": {"type": "integer", "default": 0}}}, "display options"),  # says nothing
])
def test_no_default_stated(schema: dict, text: str) -> None:
    assert described_default(schema, text) is None


def test_the_exact_stage_fills_a_stated_default_in() -> None:
    schema = {"type": "object", "properties": {
        "currency": {**CURRENCY, "description": "currency of the totals; EUR by default"},
        "regions": {"type": "array", "items": {"type": "string"}, "description": "regions; defaults to ['eu']"}}}
    assert canonicalize_args({}, schema) == canonicalize_args({"currency": "EUR", "regions": ["eu"]}, schema)
    assert canonicalize_args({}, schema) != canonicalize_args({"currency": "USD"}, schema)
    assert canonicalize_args({}, schema) != canonicalize_args({"regions": ["eu", "us"]}, schema)


def test_a_default_for_an_argument_of_several_types_is_read_as_one_of_them() -> None:
    either = {"type": ["integer", "string"], "pattern": "^[0-9]+$"}
    assert described_default(either, "Maximum records. Defaults to 1000.") == (1000,)
    assert described_default({"type": ["integer", "string"]}, "Defaults to 2.5.") is None  # not an integer
    assert described_default({"type": ["boolean", "null"]}, "Defaults to false.") == (False,)


def test_defaults_marked_in_an_enumeration_in_scientific_notation_or_as_bare_words() -> None:
    sort = {"type": "string", "enum": ["pvalue", "year", "effect_size"]}
    assert described_default(sort, "pvalue ascending (default), year newest first, or effect_size descending.") == (
        "pvalue",)
    assert described_default(sort, "pvalue ascending, year (default) newest first") == ("year",)
    assert described_default({"type": "integer"}, "a subset of this many reads. 0, the default, means all.") == (0,)
    assert described_default({"type": ["number", "string"]}, "Keep p <= this. Default 5e-8.") == (5e-8,)
    sections = {"type": "array", "items": {"type": "string", "enum": ["definition", "synonyms", "xrefs"]}}
    assert described_default(sections, "A set. Default [definition, synonyms].") == (["definition", "synonyms"],)
    assert described_default(sections, "A set. Default [definition, parents].") is None  # not an enum value


def test_an_argument_that_defaults_to_a_sibling_takes_its_value() -> None:
    schema = {"type": "object", "properties": {
        "age_from": {"type": "integer"},
        "age_to": {"type": "integer", "description": "Last age (inclusive). Defaults to age_from, i.e. a single age."},
        "end": {"type": "integer", "description": "defaults to age_from when sex is given"}}}
    assert canonicalize_args({"age_from": 60}, schema) == canonicalize_args({"age_from": 60, "age_to": 60}, schema)
    assert canonicalize_args({"age_from": 60}, schema) != canonicalize_args({"age_from": 60, "age_to": 61}, schema)
    assert canonicalize_args({"age_from": 60}, schema) != canonicalize_args({"age_from": 60, "end": 60}, schema)


def test_an_argument_that_equals_a_sibling_when_left_out() -> None:
    schema = {"type": "object", "properties": {
        "date_from": {"type": "string", "format": "date"},
        "date_to": {"type": "string", "format": "date",
                    "description": "last day, inclusive. if left out it equals date_from, i.e. one day"}}}
    one = {"date_from": "2025-08-06"}
    assert canonicalize_args(one, schema) == canonicalize_args({**one, "date_to": "2025-08-06"}, schema)
    assert canonicalize_args(one, schema) != canonicalize_args({**one, "date_to": "2025-08-07"}, schema)


def test_same_as_a_sibling_if_not_set_and_a_default_marked_after_or() -> None:
    schema = {"type": "object", "properties": {
        "date_from": {"type": "string", "format": "date"},
        "date_to": {"type": "string", "format": "date",
                    "description": "last day, inclusive; same as date_from if not set"},
        "release": {"type": "string",
                    "description": "a month 'YYYY-MM', or 'latest' (default), resolved at call time"}}}
    day = {"date_from": "2027-07-02"}
    assert canonicalize_args(day, schema) == canonicalize_args({**day, "date_to": "2027-07-02", "release": "latest"},
                                                               schema)
