"""Canonical tool-call arguments: two calls that mean the same to the tool get the same canonical form.

    raw args  --(schema: defaults, types, formats, patterns; property names)-->  canonical dict
              --canonical_json-->  key bytes

Rules (driven by the tool's JSON schema; with no schema only the generic rules and name hints apply):

- object keys sorted; a property's `default` is filled in, so an explicit default equals an omitted one (also
  one its description states: "USD by default", "defaults to ['uk']"; described_defaults.py);
  `null` for an optional property with no default (and no "null" type) counts as omitted; an array its
  description says means every item ("all when omitted": an enum, a small integer range) or none ("none when
  omitted") when omitted is that list written out (field_traits.omitted_array).
- numbers normalised: `100 == 100.0`, `-0.0 == 0`; numeric strings become numbers where the schema
  says `integer` / `number` ("#5012" and "1,000" included; "1,5" is not 15), and an integer its digits where
  it says `string`. Where it says a number or a string (`["integer", "string"]`), a plain numeral is the number
  ("3167641" = 3167641, "24.50" = 24.5 for a `number`), but one with leading zeros ("007") or a version
  ("1.10") stays a string, and an 'HH:MM:SS' timestamp is its seconds where the description says it may be
  either ("00:01:15" = 75), and a '0x' hex numeral its number where the description speaks of hex ("0x704" =
  1796). Booleans stay booleans.
- a number with a unit field of its own (`radius` and `radius_unit`) is written in its dimension's base
  unit: 1.5 km = 1500 m (quantities.py). A phone number written without its country code is read in the
  region a sibling names (`default_region: "GB"`) and written in E.164 (phone_regions.py).
- an argument its description says the tool does not read under the other arguments' values is dropped
  ("ignored when fulfilment is 'merchant'", "only used with include_forecast"; conditional_fields.py).
- arrays keep their order, except sets (field_traits.is_set_valued: `uniqueItems`, "a set", a filter such
  as `include_domains`, the conditions of a filter's `and` / `$or`; or an array the object's description
  names as one, `arrays_named_as_sets`: "has one of the values"; or, in this call, plain strings that are
  each one token, `is_token_set`: codes, ids, logins, unless named or described as read by position):
  sorted, repeats dropped.
- strings: Unicode NFC, trimmed, internal whitespace runs folded to one space (not inside quotes); an `enum`
  value matching case-insensitively takes the enum's own spelling.
- a literal is kept as written before anything else, Unicode normalisation included (`é` as one code point is
  not `e` + a combining accent to a tool that describes code points).
- free text (no format) loses what its description says does not count (folds.py: "dots and spaces are
  ignored", "leading zeros optional"), then is spelled by its traits (field_traits.py): a literal (the
  description says "literal", "whitespace included") is kept exactly as written, a regex (a true `regex` flag
  beside it) untouched but for an alternation of plain words in another order (regexes.py); where the tool
  ignores case (a false `case_sensitive` flag, "case-insensitive") it is lower-cased; codes take one case
  (codes.py: "jfk" = "JFK" for an IATA code, "hat043" = "HAT043" anywhere), unless the description
  mentions letter case or the name says the value is opaque (token, secret, key, cursor).
- aliases the tool's user declared for an argument (aliases.py: `EPL` = `English Premier League`) are
  written as their canonical value first, in any string but a regex; where none are declared, aliases the
  description lists ("aliases: 'TI' = 'Texas Instruments'") for a whole value.
- a string's format (the schema's `format`, else one inferred from the property name, its description or
  the value: see formats.py) replaces the generic rule (unless the description says the value is taken
  "exactly as written" or "verbatim": then it is only trimmed): path, uri, date, date-time, time, sql, regex,
  email, hostname, arithmetic, address, period, unit, doi, arxiv, and standard identifiers (standard_ids.py).
- a schema `pattern` the value does not match is tried against a few safe repairs, and the first one that
  matches is the canonical value: trimmed, the scheme prefix dropped ("arXiv:2405.16444", "NASDAQ:MSFT",
  an arXiv / DOI resolver URL), a leading "#" or "$" dropped; never another letter case (a value the pattern
  refuses in its case is an invalid call, not the same one). A value that already matches is never changed;
  one no repair fixes is kept as written. A separator the pattern makes optional between parts of fixed width
  is dropped (pattern_separators.py: "482-117-9035" = "4821179035" under `^[0-9]{3}-?[0-9]{3}-?[0-9]{4}$`).

Other free text is not case-folded here: the key stays exact, and the semantic stage decides on meaning.

A tool whose user turned inference off (`infer = false` in the proxy config, `infer=False` in
`ToolCache.register_tool`; the schema then carries `INFER_KEY: false`) gets only what its schema and that user
declare, for a tool the rules above read wrongly: argument names in any order, a declared `default` equal to
the argument omitted (`null` too, where the schema does not allow null), numbers by value (a numeric string too
where the `type` is integer / number), an array in order unless `uniqueItems`, a string spelled by its declared
`format` (the config's `formats` included; else kept as written, spaces too) and its declared aliases. Nothing is
read from names, descriptions or values, and a nested object keeps its keys' order (`[[key, value], ...]`).
The audit's tool-repeat diagnostic uses these functions, so audit and cache agree on what repeats.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loopcache.toolcache.aliases import ALIASES_KEY, apply_aliases, described_aliases
from loopcache.toolcache.codes import canonical_code, word_code
from loopcache.toolcache.conditional_fields import unread_arguments
from loopcache.toolcache.described_defaults import default_sibling, described_default
from loopcache.toolcache.dates import (canonical_date, canonical_datetime, canonical_duration,  # noqa: F401
                                       epoch_scale, in_epoch, naive_zone, seconds_when_bare)
from loopcache.toolcache.field_traits import (NO_FLAGS, Flags, TextKind, TextTraits, arrays_named_as_sets,
                                              compile_pattern, container_flags, described_like_siblings,
                                              description, is_empty_exclusion, is_key_ordered, is_set_valued,
                                              is_token_set, is_written_exactly, item_schema, omitted_array,
                                              repeats_count, says_case_is_free,
                                              sibling_flags, text_traits)
from loopcache.toolcache.formats import (FORMATS, canonical_email, canonical_path, canonical_uri,  # noqa: F401
                                         infer_format, ip_address_text, name_words, value_format,
                                         with_assumed_scheme)
from loopcache.toolcache.folds import described_folds
from loopcache.toolcache.identifiers import parse_identifier
from loopcache.toolcache.pattern_separators import without_optional_separators
from loopcache.toolcache.phone_regions import phones_in_region
from loopcache.toolcache.quantities import in_base_units
from loopcache.toolcache.regexes import canonical_regex
from loopcache.toolcache.sql import canonical_sql, folds_identifiers
from loopcache.toolcache.unit_strings import converted_count

_WHITESPACE = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[-_.]+")
_QUOTED_PART = re.compile(r"((?<!\w)'[^']*'(?!\w)|\"[^\"]*\")")  # an apostrophe ("it's") does not open one
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
# a plain numeral, without leading zeros (an id "007" is not 7), under a type that is a number or a string
_NUMERAL = re.compile(r"^-?(?:0|[1-9]\d*)(?P<fraction>\.\d+)?(?P<exponent>[eE][-+]?\d+)?$")
_HEX_NUMERAL = re.compile(r"^0[xX][0-9a-fA-F]+$")
_HEX_SAID = re.compile(r"\bhex(?:adecimal)?\b", re.I)
_CLOCK = re.compile(r"^(\d{1,3}):(\d{2}):(\d{2}(?:\.\d{1,6})?)$")
_SECONDS_OR_CLOCK = re.compile(r"\bseconds?\b(?=.*\bHH:MM:SS)|\bHH:MM:SS\b.*\bseconds?\b", re.I)
_VERSIONED = frozenset({"version", "release", "tag"})  # "1.10" is not 1.1

# The schema key that turns the inferred rules off for a whole tool (module doc; spec.with_inference sets it).
INFER_KEY = "x-loopcache-infer"


@dataclass(frozen=True, slots=True)
class _About:
    """What a tool says of itself, read where an argument is silent: its schema's description, its name's words."""

    description: str
    name: str


def canonical_json(value: Any) -> str:
    """Deterministic compact JSON: sorted keys, no spaces, numbers normalised, UTF-8 text kept as is.

    Tuples become lists. Raises ValueError for NaN/infinity and TypeError for values JSON cannot hold.
    """
    return json.dumps(_normalise_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def canonicalize_args(args: Mapping[str, Any], schema: Mapping[str, Any] | None = None,
                      tool: str | None = None) -> dict[str, Any]:
    """The canonical form of one call's arguments under the tool's parameters schema (see module doc).

    `tool` is the tool's name: with the schema's own description it is what the tool says of itself, read
    where an argument is silent (the SQL dialect of `postgres_query`'s `sql`).
    Pure: `args` is not modified. Keys not in the schema are kept and canonicalised generically.
    """
    if not isinstance(args, Mapping):
        raise TypeError(f"tool arguments must be an object, got {type(args).__name__}")
    schema = dict(schema) if schema else {"type": "object"}
    if schema.get(INFER_KEY) is False:
        result = _declared_object(args, schema, ordered=False)
    else:
        result = _canonical_value(dict(args), schema, None, _About(description(schema), " ".join(name_words(tool))))
    assert isinstance(result, dict)
    return result


def string_format(name: str | None, schema: Mapping[str, Any], value: str) -> str | None:
    """The format a string value is canonicalised (and compared) under; None for free text. A value that only looks
    like a URI is free text where its description strips the scheme ("an 's3://' prefix is accepted and stripped")."""
    if (declared := infer_format(name, schema)) or "enum" in schema or not value_format(value):
        return declared
    return "uri" if described_folds(description(schema)).without_prefix(value.strip()) == value.strip() else None


def _canonical_value(value: Any, schema: Mapping[str, Any], name: str | None, about: _About,
                     flags: Flags = NO_FLAGS) -> Any:
    if isinstance(value, Mapping) and is_key_ordered(name, schema):  # a sort specification: [[key, value], ...]
        inner = container_flags(schema, flags)
        return [[str(key), _canonical_value(item, {}, str(key), about, inner)] for key, item in value.items()]
    if isinstance(value, Mapping):
        return _canonical_object(value, schema, about, container_flags(schema, flags))
    if isinstance(value, (list, tuple)):
        items = item_schema(schema)
        result = [_canonical_value(item, items, name, about, container_flags(schema, flags)) for item in value]
        if is_set_valued(name, schema) and repeats_count(schema):  # "[3, 7, 7] is three children": a multiset
            return sorted(result, key=canonical_json)
        return _as_set(result) if is_set_valued(name, schema) or is_token_set(name, schema, result) else result
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and (schema.get("type") == "string"  # 121000358 for "121000358": its digits
                                   or str(value) in described_aliases(description(schema))):  # -1 for 'latest'
        return _canonical_string(str(value), schema, name, about, flags)
    if isinstance(value, (int, float)):
        return _canonical_number(value)
    if isinstance(value, str):
        return _canonical_string(value, schema, name, about, flags)
    return value


def _canonical_object(value: Mapping[str, Any], schema: Mapping[str, Any], about: _About,
                      inherited: Flags) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = described_like_siblings(properties) if isinstance(properties, Mapping) else {}
    flags = sibling_flags(value, properties, inherited)
    as_sets = arrays_named_as_sets(schema)
    out: dict[str, Any] = {}
    for name, prop in properties.items():
        prop = prop if isinstance(prop, Mapping) else {}
        prop = {**prop, "uniqueItems": True} if name in as_sets else prop  # the object's description says so
        present = name in value and not (value[name] is None and not _allows_null(prop)) \
            and not is_empty_exclusion(name, value[name])
        if present:
            out[name] = _canonical_value(value[name], prop, name, about, flags.get(name, inherited))
        elif "default" in prop:
            out[name] = _canonical_value(prop["default"], prop, name, about, flags.get(name, inherited))
        elif (stated := described_default(prop, description(prop))) is not None:  # "USD by default"
            out[name] = _canonical_value(stated[0], prop, name, about, flags.get(name, inherited))
        elif (meaning := omitted_array(name, prop)) is not None:  # "all when omitted": the full set written out
            out[name] = _canonical_value(meaning, prop, name, about, flags.get(name, inherited))
    for name, prop in properties.items():  # "Defaults to age_from": the sibling's value, once it has one
        if name not in out and isinstance(prop, Mapping) \
                and (sibling := default_sibling(description(prop), name, properties)) in out:
            out[name] = out[sibling]
    for name, item in value.items():
        if name not in properties:
            out[str(name)] = _canonical_value(item, {}, str(name), about, flags.get(str(name), inherited))
    out = phones_in_region(in_base_units(out), properties)
    unread = unread_arguments(out, value, {key: prop for key, prop in properties.items() if isinstance(prop, Mapping)})
    return {name: out[name] for name in sorted(out) if name not in unread}


def _as_set(items: list[Any]) -> list[Any]:
    """Canonical items of a set: sorted by their canonical JSON, repeats dropped."""
    unique = {canonical_json(item): item for item in items}
    return [unique[key] for key in sorted(unique)]


def _allows_null(prop: Mapping[str, Any]) -> bool:
    types = prop.get("type")
    if "default" in prop and prop["default"] is None:
        return True
    if isinstance(types, list):
        return "null" in types
    return types == "null"


def _canonical_number(value: int | float) -> int | float:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _free_text_traits(fmt: str | None, name: str | None, schema: Mapping[str, Any],
                      flags: Flags = NO_FLAGS) -> TextTraits | None:
    """The traits of a string argument that is free text (no format `fmt`, enum or const; not a number), else None."""
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if types & {"integer", "number"} and "string" not in types:
        return None
    if fmt is not None or "enum" in schema or "const" in schema:
        return None
    return text_traits(name, schema, flags)


def _canonical_string(value: str, schema: Mapping[str, Any], name: str | None, about: _About,
                      flags: Flags = NO_FLAGS) -> Any:
    fmt = string_format(name, schema, value)
    traits = _free_text_traits(fmt, name, schema, flags)
    if fmt == "regex" or (traits is not None and traits.kind is TextKind.REGEX):
        return canonical_regex(value)
    aliases = schema.get(ALIASES_KEY)
    if isinstance(aliases, Mapping) and aliases:
        value = apply_aliases(value, aliases)
    elif listed := described_aliases(description(schema)):  # "'TI' = 'Texas Instruments'": a whole value
        value = listed.get(" ".join(value.split()).casefold(), value)
    if traits is not None and traits.kind is TextKind.LITERAL:  # not even NFC: "K" (Kelvin sign) is not "K"
        return value.lower() if traits.lower_all else value
    value = unicodedata.normalize("NFC", value)
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if types & {"integer", "number"} and "string" not in types:
        text = value.strip().lstrip("#")
        number = _parse_number(text.replace(",", "") if _THOUSANDS.match(text) else text)
        if number is not None:
            return number
    elif (number := _either_number(value, types, name, description(schema))) is not None:
        return number
    elif types == {"string"} and (count := converted_count(value, description(schema), False)) is not None:
        return count  # "where kB, MB, GB and TB are powers of 1024": "1GB" = "1024MB"
    if fmt is not None and is_written_exactly(schema, fmt):
        return value.strip()  # the description says the value is taken as written: no format normalises it
    if fmt == "sql":
        return canonical_sql(value.strip(), folds_identifiers(description(schema), about.description, about.name))
    if fmt == "date-time":  # "UTC when no offset is given"; "or milliseconds since the epoch"
        text = in_epoch(value, epoch_scale(description(schema)))
        return canonical_datetime(text.strip(), naive_zone(description(schema)))
    if FORMATS.get(fmt or "") is canonical_uri:
        return canonical_uri(with_assumed_scheme(value.strip(), description(schema)))
    if fmt == "duration":
        return canonical_duration(value, seconds_when_bare(description(schema)))
    if fmt == "email" and says_case_is_free(schema):  # "matched without regard to letter case": all of it
        return canonical_email(value.strip()).lower()
    if fmt == "path" and says_case_is_free(schema):  # "compared case-insensitively": an engine's asset paths
        return canonical_path(value.strip()).lower()
    if fmt in FORMATS:
        return FORMATS[fmt](value.strip())
    folded = _folded_whitespace(value)
    enum = schema.get("enum")
    if isinstance(enum, list) and folded not in enum:
        matches = [e for e in enum if isinstance(e, str) and e.casefold() == folded.casefold()]
        if len(matches) == 1:
            return matches[0]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        folded = without_optional_separators(_repaired(folded, pattern), pattern)
    if traits is not None and traits.folds:
        folded = traits.folds.apply(folded)
        if (number := _numeral(folded, types, name)) is not None:  # "0000320193", leading zeros optional
            return number
    if traits is not None and (":" in folded or "/" in folded) \
            and (address := ip_address_text(folded, description(schema))):
        return address  # an IP address in free text ("a domain or an IPv4/IPv6 address"), as RFC 5952 writes it
    return _spelled(folded, traits, pattern if isinstance(pattern, str) else None) if traits else folded


def _either_number(value: str, types: set[Any], name: str | None, text: str) -> int | float | None:
    """The number a string stands for under a type that is a number or a string (`text`: its description): a
    plain numeral ("a number or a digit string": '24.50' = 24.5), an 'HH:MM:SS' timestamp where the description
    says seconds or such a timestamp ('00:01:15' = 75), a '0x' numeral where it speaks of hex ('0x704' = 1796), a
    count with its unit where it says the tool converts it ("500MB" = 500000000: unit_strings.py)."""
    if not (types & {"integer", "number"} and "string" in types):
        return None
    if (number := _numeral(value, types, name)) is not None:
        return number
    if _HEX_NUMERAL.match(value.strip()) and _HEX_SAID.search(text):
        return int(value.strip(), 16)
    if (count := converted_count(value, text, "number" not in types)) is not None:
        return count
    return _clock_seconds(value, text)


def _clock_seconds(value: str, text: str) -> int | float | None:
    """Seconds an 'HH:MM:SS(.sss)' timestamp stands for, where the description `text` says seconds or such a
    timestamp; else None."""
    clock = _CLOCK.match(value.strip())
    if clock is None or not _SECONDS_OR_CLOCK.search(text):
        return None
    hours, minutes, seconds = int(clock[1]), int(clock[2]), float(clock[3])
    return _canonical_number(hours * 3600 + minutes * 60 + seconds) if minutes < 60 and seconds < 60 else None


def _numeral(value: str, types: set[Any], name: str | None) -> int | float | None:
    """The number a plain numeral stands for under a type that is a number or a string; None for '007' (an id
    with leading zeros), a decimal where only an integer is allowed, or a dotted version ('1.10' is not 1.1)."""
    numeral = _NUMERAL.match(value.strip()) if types & {"integer", "number"} and "string" in types else None
    if numeral is None or ((numeral["fraction"] or numeral["exponent"])
                           and ("number" not in types or _VERSIONED.intersection(name_words(name)))):
        return None
    return _parse_number(numeral[0])


def _folded_whitespace(text: str) -> str:
    """Whitespace runs folded to one space and the ends trimmed, but inside a quoted part, which is kept as
    written ("'Q3  Budget'!A1" names another sheet than "'Q3 Budget'!A1")."""
    parts = _QUOTED_PART.split(text)
    return "".join(part if i % 2 else _WHITESPACE.sub(" ", part) for i, part in enumerate(parts)).strip()


def _spelled(text: str, traits: TextTraits, pattern: str | None) -> str:
    """Free text in the case its traits give it (module doc); a spelling the schema's pattern refuses is not used."""
    if traits.kind is TextKind.CASED:
        return text
    if traits.lower_all:
        return _SEPARATORS.sub("-", text.lower()) if traits.fold_separators else text.lower()
    if traits.kind is not TextKind.FREE:
        return text
    spelled = canonical_code(text, traits.code, traits.drop_hash) if traits.code else word_code(text)
    compiled = compile_pattern(pattern) if pattern else None
    if pattern and (compiled is None or not compiled.search(spelled)):
        return text
    return spelled


def _repaired(value: str, pattern: str) -> str:
    compiled = compile_pattern(pattern)
    if compiled is None or compiled.search(value):  # no repairs under a pattern Python cannot read
        return value
    found = parse_identifier(value)
    bare = found.value if found else value
    for candidate in (bare, bare.lstrip("#$")):  # a scheme or sigil the pattern leaves out; never another case:
        if compiled.search(candidate):  # a value in a case the pattern refuses is an invalid call, not this one
            return candidate
    return value


def _declared_value(value: Any, schema: Mapping[str, Any]) -> Any:
    """The canonical form of a value under what its schema declares only (a tool with inference off)."""
    if isinstance(value, Mapping):
        return _declared_object(value, schema, ordered=True)
    if isinstance(value, (list, tuple)):
        items = schema.get("items")
        result = [_declared_value(item, items if isinstance(items, Mapping) else {}) for item in value]
        return _as_set(result) if schema.get("uniqueItems") is True else result
    if isinstance(value, bool) or value is None:
        return value
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if isinstance(value, (int, float)):
        return str(value) if isinstance(value, int) and types == {"string"} else _canonical_number(value)
    if not isinstance(value, str):
        return value
    aliases = schema.get(ALIASES_KEY)
    text = apply_aliases(value, aliases) if isinstance(aliases, Mapping) and aliases else value
    if types & {"integer", "number"} and "string" not in types and (number := _parse_number(text.strip())) is not None:
        return number
    fmt = schema.get("format")
    return FORMATS[fmt](text.strip()) if isinstance(fmt, str) and fmt in FORMATS else text  # " é" is not "é"


def _declared_object(value: Mapping[str, Any], schema: Mapping[str, Any], ordered: bool) -> Any:
    """An object's declared canonical form: sorted keys (`ordered`: its key order kept, as `[[key, value], ...]`)."""
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    out: dict[str, Any] = {}
    for name, item in value.items():
        prop = properties.get(name)
        prop = prop if isinstance(prop, Mapping) else {}
        if not (item is None and name in properties and not _allows_null(prop)):
            out[str(name)] = _declared_value(item, prop)
    for name, prop in properties.items():
        if name not in out and isinstance(prop, Mapping) and "default" in prop:
            out[name] = _declared_value(prop["default"], prop)
    return [[name, item] for name, item in out.items()] if ordered else {name: out[name] for name in sorted(out)}


def _parse_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return _canonical_number(number) if math.isfinite(number) else None


def _normalise_numbers(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _normalise_numbers(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise_numbers(item) for item in value]
    if isinstance(value, float) and not isinstance(value, bool):
        return _canonical_number(value)
    return value
