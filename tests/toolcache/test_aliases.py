"""Aliases a tool's user declares (aliases.py): applied by the canonicaliser, through register_tool and the
decorator, validated with clear errors."""

from __future__ import annotations

import pytest

from loopcache.toolcache.aliases import ALIASES_KEY, apply_aliases, described_aliases, validate_aliases, with_aliases
from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.key import schema_fingerprint

LEAGUES = {"EPL": "English Premier League", "Premier League": "English Premier League", "Man Utd": "Manchester United"}


def test_whole_values_and_phrases_take_the_canonical_spelling() -> None:
    assert apply_aliases("EPL", LEAGUES) == "English Premier League"
    assert apply_aliases("epl", LEAGUES) == "English Premier League"
    assert apply_aliases("man  utd v EPL leaders", LEAGUES) == "Manchester United v English Premier League leaders"
    # the canonical value matches itself first: never "English English Premier League"
    assert apply_aliases("english premier league", LEAGUES) == "English Premier League"
    assert apply_aliases("Premier League table", LEAGUES) == "English Premier League table"


def test_only_whole_words_match() -> None:
    assert apply_aliases("EPLX", LEAGUES) == "EPLX"
    assert apply_aliases("sEPL", LEAGUES) == "sEPL"
    assert apply_aliases("Man Utdx", LEAGUES) == "Man Utdx"
    assert apply_aliases("Scottish Premiership", LEAGUES) == "Scottish Premiership"


def test_canonical_arguments_under_an_alias_table() -> None:
    schema = with_aliases({"type": "object", "properties": {"competition": {"type": "string"},
                                                            "teams": {"type": "array", "items": {"type": "string"}},
                                                            "pattern": {"type": "string", "format": "regex"}}},
                          {"competition": LEAGUES, "teams": LEAGUES, "pattern": LEAGUES})
    assert schema["properties"]["teams"]["items"][ALIASES_KEY] == LEAGUES
    one = canonicalize_args({"competition": "EPL", "teams": ["Man Utd"]}, schema)
    other = canonicalize_args({"competition": "English Premier League", "teams": ["manchester united"]}, schema)
    assert one == other == {"competition": "English Premier League", "teams": ["Manchester United"]}
    assert canonicalize_args({"competition": "Scottish Premiership"}, schema) != one
    assert canonicalize_args({"pattern": "EPL|Premier"}, schema) == {"pattern": "EPL|Premier"}  # regexes untouched
    # the table is part of the schema, so of every cache key: changing it never serves entries made without it
    plain = {"type": "object", "properties": {"competition": {"type": "string"}}}
    assert schema_fingerprint(with_aliases(plain, {"competition": LEAGUES})) != schema_fingerprint(plain)
    assert plain == {"type": "object", "properties": {"competition": {"type": "string"}}}  # not modified


def test_bad_tables_are_refused_with_the_place_named() -> None:
    with pytest.raises(ValueError, match=r"tools.x.aliases.league: .*non-empty strings"):
        validate_aliases({"league": {"EPL": ""}}, "tools.x.aliases")
    with pytest.raises(ValueError, match=r"tools.x.aliases.league must be a non-empty table"):
        validate_aliases({"league": "EPL"}, "tools.x.aliases")
    with pytest.raises(ValueError, match=r"\['Premier League'\] are both an alias and a canonical value"):
        validate_aliases({"league": {"EPL": "Premier League", "Premier League": "English Premier League"}}, "t")
    with pytest.raises(ValueError, match="must be a table"):
        validate_aliases(["EPL"], "tools.x.aliases")


def test_register_tool_and_decorator_take_aliases(tmp_path) -> None:
    from loopcache.toolcache.cache import ToolCache
    from loopcache.toolcache.lookup import Stage

    cache = ToolCache(tmp_path / "tools.sqlite")
    calls: list[str] = []

    @cache.tool(read_only=True, semantic=False, aliases={"competition": LEAGUES})
    def standings(competition: str, season: str = "2024-25") -> str:
        calls.append(competition)
        return f"table of {competition} {season}"

    assert standings("EPL") == standings("english premier league") == "table of EPL 2024-25"
    assert standings("Scottish Premiership") == "table of Scottish Premiership 2024-25"
    assert calls == ["EPL", "Scottish Premiership"]
    spec = cache.register_tool("results", {"type": "object", "properties": {"league": {"type": "string"}}},
                               read_only=True, semantic=False, aliases={"league": LEAGUES})
    cache.put(cache.lookup("results", {"league": "Premier League"}), "r", 0.1)
    assert cache.lookup(spec.name, {"league": "EPL"}).stage is Stage.EXACT
    with pytest.raises(ValueError, match="both an alias and a canonical value"):
        cache.register_tool("bad", {"type": "object"}, read_only=True, aliases={"q": {"a": "b", "b": "c"}})


def test_aliases_a_description_lists_are_applied_to_a_whole_value() -> None:
    said = ("Only parts of this manufacturer. Case-insensitive. These aliases are resolved to the catalogue name: "
            "'TI' = 'Texas Instruments', 'onsemi' = 'ON Semiconductor'.")
    assert described_aliases(said) == {"ti": "Texas Instruments", "onsemi": "ON Semiconductor"}
    schema = {"type": "object", "properties": {"maker": {"type": "string", "description": said}}}
    one = lambda value: canonicalize_args({"maker": value}, schema)["maker"]  # noqa: E731
    assert one("onsemi") == one("ON  Semiconductor") == one("ON Semiconductor")
    assert one("TI") == one("texas instruments") != one("TI op amps")  # a whole value only
    assert described_aliases("e.g. 'TI' = 'Texas Instruments'") == {}  # not said to be aliases
    assert described_aliases("aliases: 'a' = 'b', 'b' = 'c'") == {}  # a chain: ambiguous


def test_aliases_listed_as_is_and_are_sentences() -> None:
    said = ("Accepted aliases, read as the canonical name: 'win64' and 'pc' are 'windows'; 'xsx' and 'scarlett' "
            "are 'xbox_series'; 'nx' is 'switch'.")
    assert described_aliases(said) == {"win64": "windows", "pc": "windows", "xsx": "xbox_series",
                                       "scarlett": "xbox_series", "nx": "switch"}
    assert described_aliases("'BCG-E3091A' is 'BCGE3091A'") == {}  # no word of aliases: an example, not a table


def test_a_value_said_to_be_an_alias_for_another() -> None:
    said = "version number, or 'latest'; default 'latest'. -1 (or '-1') is the registry's alias for 'latest'"
    assert described_aliases(said) == {"-1": "latest"}
    schema = {"type": "object", "properties": {"version": {"type": ["integer", "string"], "default": "latest",
                                                           "description": said}}}
    one = lambda args: canonicalize_args(args, schema)["version"]  # noqa: E731
    assert one({"version": -1}) == one({"version": "-1"}) == one({}) == one({"version": "latest"}) == "latest"
    assert one({"version": 1}) != "latest"
    assert described_aliases("'xbl' is an alias of 'xbox_live'") == {"xbl": "xbox_live"}
    assert described_aliases("'xbl' is not 'xbox_live'") == {}


def test_a_value_accepted_as_another_name() -> None:
    said = "floor-plan types, e.g. ['1BR', '2BR']. Case-insensitive; 'STUDIO' is accepted as another name for '0BR'."
    assert described_aliases(said) == {"studio": "0BR"}
    assert described_aliases("'STUDIO' is not another name for '0BR'") == {}


def test_values_said_to_be_taken_or_read_as_another() -> None:
    assert described_aliases("Case-insensitive. 'UK' is taken as 'GB'.") == {"uk": "GB"}
    said = "The trade names 'beans' and 'soy' are read as soybeans and 'milo' as sorghum."
    assert described_aliases(said) == {"beans": "soybeans", "soy": "soybeans", "milo": "sorghum"}
    assert described_aliases("'x' is read as a regular expression") == {}


def test_short_forms_in_brackets_and_numbered_names() -> None:
    said = "Codes: booking_com, expedia. The short forms 'bdc' (= booking_com) and 'exp' (= expedia) are accepted too."
    assert described_aliases(said) == {"bdc": "booking_com", "exp": "expedia"}
    assert described_aliases("The spellings 'soya' (for soy) and 'sulfites' (for sulphites) are accepted.") == {
        "soya": "soy", "sulfites": "sulphites"}
    assert described_aliases("Short forms: 'NIST' = 'nist-800-53-r5', 'SOC2' = 'soc2-tsc-2017'") == {
        "nist": "nist-800-53-r5", "soc2": "soc2-tsc-2017"}
    ring = {"type": "object", "properties": {"ring": {
        "type": ["integer", "string"], "description": "Ring number, or its name: canary = 0, pilot = 1, broad = 2. "
                                                      "Names are case-insensitive."}}}
    assert canonicalize_args({"ring": "broad"}, ring) == canonicalize_args({"ring": 2}, ring)
    assert canonicalize_args({"ring": "PILOT"}, ring) == canonicalize_args({"ring": 1}, ring)
    assert canonicalize_args({"ring": "broad"}, ring) != canonicalize_args({"ring": 1}, ring)
    assert described_aliases("limit = 10") == {}  # one equation is no list of names
