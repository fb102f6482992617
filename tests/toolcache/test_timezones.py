"""Time zone names: links of the tz database are one zone; zones with other rules are not."""

from __future__ import annotations

import pytest

from loopcache.toolcache.timezones import same_zone, zone_rules
from loopcache.toolcache.verify import verify_call

needs_tzdata = pytest.mark.skipif(zone_rules("Etc/UTC") is None, reason="no tz database on this machine")


@needs_tzdata
def test_links_are_one_zone() -> None:
    assert same_zone("Etc/UTC", "UTC")
    assert same_zone("Europe/Kiev", "Europe/Kyiv")


@needs_tzdata
@pytest.mark.parametrize(("a", "b"), [("EST", "America/New_York"), ("America/Denver", "America/Phoenix"),
                                      ("GMT", "Europe/London"), ("UTC", "+00:00"), ("Nowhere/City", "Nowhere/City2")])
def test_other_rules_are_other_zones(a: str, b: str) -> None:
    assert not same_zone(a, b)


def test_unknown_or_unsafe_names_match_only_themselves() -> None:
    assert zone_rules("../../etc/passwd") is None and zone_rules("/etc/passwd") is None
    assert same_zone("Mars/Olympus", "Mars/Olympus") and not same_zone("Mars/Olympus", "Mars/Gale")


@needs_tzdata
def test_verify_compares_zone_fields_by_rules_not_by_words() -> None:
    schema = {"type": "object", "properties": {"tz": {"type": "string"}}}
    assert verify_call({"tz": "Etc/UTC"}, {"tz": "UTC"}, schema).accepted
    assert not verify_call({"tz": "america/denver"}, {"tz": "America/Denver"}, schema).accepted
    assert not verify_call({"tz": "America/Phoenix"}, {"tz": "America/Denver"}, schema).accepted
