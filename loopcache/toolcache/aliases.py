"""Aliases one tool's user declares: names its API treats as one value, that no generic rule can know.

    [tools.sports_results.aliases]            # proxy config; register_tool(aliases=...) / @cache.tool(aliases=...)
    competition = { EPL = "English Premier League", "Premier League" = "English Premier League" }

An alias table is stored in the argument's schema under `ALIASES_KEY` (so the schema fingerprint, and with it
every cache key, changes when the table does) and applied by the canonicaliser before its other rules: each
alias, matched case-insensitively as whole words (the whole value, or a phrase inside free text), is written
as its canonical value, longest alias first; the canonical values match themselves, so "English Premier
League" never becomes "English English Premier League". Regex arguments are left alone. An alias is the
user's statement that the API answers both names the same: nothing checks it, so declare only what its
documentation says.

A description that lists aliases itself ("These aliases are resolved to the catalogue name: 'TI' = 'Texas
Instruments', 'onsemi' = 'ON Semiconductor'") is such a statement too (`described_aliases`); its aliases are
applied to a whole value only ("TI" = "Texas Instruments", but "TI op amp" is kept), where none are declared.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

ALIASES_KEY = "x-loopcache-aliases"
_ALIAS_WORDS = re.compile(r"\b(?:alias(?:es)?|abbreviations?|synonyms?|another name|short forms?)\b", re.I)
_QUOTED = re.compile(r"['\"‘“]([^'\"’”=]{1,40})['\"’”]")
_QUOTED_ARE = re.compile(r"((?:['\"‘“][^'\"’”=]{1,40}['\"’”](?:,? and |, ))*['\"‘“][^'\"’”=]{1,40}['\"’”]) (?:is|are) "
                         r"['\"‘“]([^'\"’”=]{1,60})['\"’”]")
_QUOTED_EQUAL = re.compile(r"['\"‘“]([^'\"’”=]{1,40})['\"’”]\s*=\s*['\"‘“]([^'\"’”=]{1,60})['\"’”]")
# "-1 (or '-1') is the registry's alias for 'latest'": a value, quoted or a bare number, named an alias of another
_ALIAS_FOR = re.compile(r"(?:['\"‘“]([^'\"’”=]{1,40})['\"’”]|(?<![\w.])(-?\d+)) (?:\([^()]{1,30}\) )?"
                        r"is (?:an? |the )?(?:(?!not |never |no )[\w'’]+ ){0,3}?"
                        r"(?:alias|synonym|shorthand|another name) (?:for|of) ['\"‘“]([^'\"’”=]{1,60})['\"’”]", re.I)


# "'UK' is taken as 'GB'", "The trade names 'beans' and 'soy' are read as soybeans and 'milo' as sorghum": said of
# the values themselves, so no word of aliases is needed
_TAKEN_AS = re.compile(r"((?:['\"‘“][^'\"’”=]{1,40}['\"’”](?:,? and |, ))*['\"‘“][^'\"’”=]{1,40}['\"’”]) (?:is|are) "
                       r"(?:also )?(?:taken|read|treated|interpreted) as (?!(?:an?|the|one|part|literal)\b)"
                       r"['\"‘“]?([\w-]{1,40})['\"’”]?"
                       r"((?:,? and ['\"‘“][^'\"’”=]{1,40}['\"’”] as ['\"‘“]?[\w-]{1,40}['\"’”]?)*)")
# "The short forms 'bdc' (= booking_com) and 'exp' (= expedia)", "'soya' (for soy)": a value and, in brackets, the one
# it stands for
_BRACKETED = re.compile(r"['\"‘“]([^'\"’”=]{1,40})['\"’”] \((?:= ?|for |i\.e\. )['\"‘“]?([\w-]{1,40})['\"’”]?\)")
# "canary = 0, pilot = 1, broad = 2": names numbered in a list of two or more
_NUMBERED = re.compile(r"\b[a-z][\w-]* = \d+(?:, [a-z][\w-]* = \d+)+\b", re.I)
_AND_AS = re.compile(r"['\"‘“]([^'\"’”=]{1,40})['\"’”] as ['\"‘“]?([\w-]{1,40})")


def validate_aliases(aliases: Any, where: str) -> dict[str, dict[str, str]]:
    """`{argument: {alias: canonical}}` checked: strings, no empty alias, no alias that is also a canonical
    value of another alias (chains are ambiguous). Raises ValueError naming `where` and the bad entry."""
    if aliases is None:
        return {}
    if not isinstance(aliases, Mapping):
        raise ValueError(f"{where} must be a table of argument = {{ alias = canonical }}")
    out: dict[str, dict[str, str]] = {}
    for argument, table in aliases.items():
        if not isinstance(table, Mapping) or not table:
            raise ValueError(f"{where}.{argument} must be a non-empty table of alias = canonical")
        for alias, canonical in table.items():
            if not (isinstance(alias, str) and isinstance(canonical, str) and alias.strip() and canonical.strip()):
                raise ValueError(f"{where}.{argument}: {alias!r} = {canonical!r}: "
                                 "alias and value are non-empty strings")
        targets = {_folded(canonical) for canonical in table.values()}
        chained = sorted(alias for alias, canonical in table.items()
                         if _folded(alias) in targets and _folded(alias) != _folded(canonical))
        if chained:
            raise ValueError(f"{where}.{argument}: {chained} are both an alias and a canonical value")
        out[str(argument)] = {" ".join(alias.split()): canonical.strip() for alias, canonical in table.items()}
    return out


def with_aliases(schema: Mapping[str, Any], aliases: Mapping[str, Mapping[str, str]] | None) -> dict[str, Any]:
    """A copy of a parameters schema with each argument's alias table (on its items for an array argument)."""
    out = copy.deepcopy(dict(schema))
    if aliases:
        properties = out.setdefault("properties", {})
        for argument, table in validate_aliases(aliases, "aliases").items():
            prop = dict(properties.get(argument, {"type": "string"}))
            if prop.get("type") == "array" and isinstance(prop.get("items"), Mapping):
                prop["items"] = {**prop["items"], ALIASES_KEY: table}
            else:
                prop[ALIASES_KEY] = table
            properties[argument] = prop
    return out


def apply_aliases(text: str, table: Mapping[str, str]) -> str:
    """`text` with every alias of `table` (whole words, any case) written as its canonical value."""
    spelled = {_folded(alias): canonical for alias, canonical in table.items()}
    spelled.update({_folded(canonical): canonical for canonical in table.values()})
    names = sorted(spelled, key=len, reverse=True)
    pattern = r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, name.split(" "))) for name in names) + r")(?!\w)"
    return re.sub(pattern, lambda match: spelled.get(_folded(match.group(0)), match.group(0)), text,
                  flags=re.IGNORECASE)


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def described_aliases(description: str) -> dict[str, str]:
    """The `'alias' = 'canonical'` (or `'a' and 'b' are 'canonical'`, `'a' is an alias for 'canonical'`) pairs a
    description that speaks of aliases (or abbreviations, synonyms) lists, and the values it says are "taken as" or
    "read as" another ("'UK' is taken as 'GB'"), folded alias -> canonical; empty where it lists none, or where a
    value is both (a chain)."""
    if not description:
        return {}
    pairs = list(_BRACKETED.findall(description))
    pairs += [tuple(item.split(" = ")) for listed in _NUMBERED.finditer(description) for item in listed[0].split(", ")]
    for said in _TAKEN_AS.finditer(description):
        pairs.extend((alias, said[2]) for alias in _QUOTED.findall(said[1]))
        pairs.extend(_AND_AS.findall(said[3]))
    if not _ALIAS_WORDS.search(description):
        return _unchained(pairs)
    pairs += _QUOTED_EQUAL.findall(description)
    pairs.extend((said[1] or said[2], said[3]) for said in _ALIAS_FOR.finditer(description))
    for listed in _QUOTED_ARE.finditer(description):  # "'win64' and 'pc' are 'windows'; 'nx' is 'switch'"
        pairs.extend((alias, listed[2]) for alias in _QUOTED.findall(listed[1]))
    return _unchained(pairs)


def _unchained(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """folded alias -> canonical; empty where a value is both an alias and a canonical value (a chain)."""
    table = {_folded(alias): canonical.strip() for alias, canonical in pairs if _folded(alias) != _folded(canonical)}
    return {} if set(table) & {_folded(canonical) for canonical in table.values()} else table

