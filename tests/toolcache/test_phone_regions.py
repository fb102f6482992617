"""National phone numbers are read in the region the call names, and only there (phone_regions.py)."""

from __future__ import annotations

from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.phone_regions import phones_in_region

LOOKUP = {"type": "object", "properties": {
    "phone": {"type": "string", "description": "the subscriber's number"},
    "region": {"type": "string", "description": "two-letter region for numbers written without a country code"},
    "verbose": {"type": "boolean", "default": False}}}


def canonical(**args: object) -> dict:
    return canonicalize_args(args, LOOKUP)


def test_a_national_number_in_the_named_region_is_its_e164_form() -> None:
    assert canonical(phone="0161 496 0000", region="gb") == canonical(phone="+44 161 496 0000") == \
        {"phone": "+441614960000", "verbose": False}
    assert canonical(phone="(212) 555-0199", region="US") == canonical(phone="+1 212 555 0199")
    assert canonical(phone="06 6988 3000", region="IT") == canonical(phone="+39 06 6988 3000")  # no trunk 0 there
    assert canonical(phone="06 6988 3000", region="IT") != canonical(phone="+39 6 6988 3000")


def test_no_region_no_assumption_and_another_region_another_number() -> None:
    assert canonical(phone="0161 496 0000") != canonical(phone="+44 161 496 0000")
    assert canonical(phone="030 901820", region="DE") != canonical(phone="030 901820", region="AT")
    assert canonical(phone="12", region="GB") == {"phone": "12", "region": "GB", "verbose": False}  # not possible


def test_a_region_that_only_reads_national_numbers_is_dropped_once_none_is_left() -> None:
    assert canonical(phone="+33 1 42 68 53 00", region="FR") == canonical(phone="0033 1 42 68 53 00")
    searched = {"type": "object", "properties": {"phone": {"type": "string"},
                                                 "country": {"type": "string", "description": "country to search"}}}
    kept = canonicalize_args({"phone": "+33142685300", "country": "FR"}, searched)
    assert kept == {"country": "FR", "phone": "+33142685300"}  # the region may mean more: kept


def test_left_alone_without_phones_or_with_two_regions() -> None:
    args = {"city": "Leeds", "region": "GB"}
    assert phones_in_region(args, {}) is args
    two = {"phone": "01614960000", "region": "GB", "country": "IE"}
    assert phones_in_region(two, {"phone": {"type": "string"}}) == two  # which one reads it?
