"""Country and US state names read as their codes, and the names that stay unknown (kept as written)."""

from __future__ import annotations

import pytest

from loopcache.toolcache.place_names import country_of_name, name_key, us_state_of_name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Côte d'Ivoire", "CI"), ("cote d’ivoire", "CI"), ("Ivory Coast", "CI"),  # ISO's, unaccented, common
        ("Korea, Republic of", "KR"), ("South Korea", "KR"), ("North Korea", "KP"),
        ("Bolivia", "BO"), ("Iran", "IR"), ("Falkland Islands", "FK"),  # heads of formal names, one country each
        ("the Netherlands", "NL"), ("Türkiye", "TR"), ("Turkey", "TR"), ("United Kingdom", "GB"),
        ("Korea", None), ("Virgin Islands", None), ("Congo", None),  # names two countries share
        ("Niger", "NE"), ("Nigeria", "NG"), ("Paris", None), ("", None),
    ],
)
def test_country_names(name: str, code: str | None) -> None:
    assert country_of_name(name) == code


def test_us_state_names() -> None:
    assert us_state_of_name("Iowa") == us_state_of_name(" iowa ") == us_state_of_name("IA") == "IA"
    assert us_state_of_name("New York") == "NY" and us_state_of_name("West Virginia") == "WV"
    assert us_state_of_name("Virginia") == "VA" and us_state_of_name("Ontario") is None


def test_name_keys_fold_case_accents_punctuation_and_a_leading_the() -> None:
    assert name_key("The Côte d’Ivoire") == name_key("cote d'ivoire") == "cote d ivoire"
    assert name_key("Trinidad & Tobago") == name_key("Trinidad and Tobago")
    assert name_key("The") == "the"
