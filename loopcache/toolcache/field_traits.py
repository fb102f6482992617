"""What a schema says about one argument beyond its format: how far two spellings of it may differ.

A string without a format (free text) gets `TextTraits`, read from its description, its name and the
boolean flags beside it; the exact stage (canonical.py) spells it by them and verify (verify.py) compares by
its `kind`:

    kind       verify compares                                  read from
    FREE       TextSignature (order, case, stop words free)     default: queries, places, names, ids
    PROSE      same words in the same order (case, spaces free) name: text, content, body, message, prompt, ...
                                                                (unless its description says "any order");
                                                                an exact match mode beside it (`match: "exact"`,
                                                                `exact_match: true`): "Blue Fin" is not "Bluefin";
                                                                description: "whole name", "plural/singular
                                                                are significant" ("shoe" is not "shoes")
    LITERAL    equal (not even trimmed)                         description: "literal", "verbatim",
                                                                "whitespace included"; prose "to look up"
    REGEX      equal, untouched                                 a true flag beside it: regex, use_regex, is_regex
    CASED      equal (case counts)                              description mentions letter case ("case-sensitive",
                                                                "lower case") or says the value is taken
                                                                "exactly" / "as written" (not of a quoted phrase);
                                                                a true case_sensitive flag;
                                                                an opaque value by name: token, secret, key, cursor;
                                                                a title or page not described as searched
    TIMEZONE   equal, or one zone under two names               name tz / timezone / time_zone; description
                                                                "IANA", "time zone"

    lower_all  the tool ignores case (a false `case_sensitive`, a true `ignore_case`, "case-insensitive", "case is
               not significant", "hex")
    code       the field holds codes (codes.py): a standard's codes, "X code", or an example code ("e.g. 'ABC123'");
               elsewhere a word with digits is read as a code
    folds      what the description says does not count (folds.py): characters it ignores, leading zeros,
               zero padding, spaces or underscores its examples show are optional
    word_forms  "without stemming", "as whole words": verify accepts no other form of a word ("seal" / "seals")
    words_keep_case  code in a query language ("PromQL", "GraphQL", "JQL", "Query DSL", "-m expression",
               "selection syntax"): verify compares it as free text (operand order, quotes, spacing free) but a
               word in another case is another name, and its operators and separators are counted ("a b" / "a,b")

A flag applies to the siblings whose description names it ("... unless regex is true") or that its own
description names (`case_sensitive`: "false matches the pattern ignoring letter case": it then outweighs the
pattern's own description), or to every sibling when no description does; a field whose own description
speaks of letter case follows its description, and
a clause of it that names the value an enum sibling has in the call ("crates.io ids are case-insensitive",
`ecosystem` "crates"; "PyPI names are normalised (case, '-', '_', '.')", `registry` "pypi": case and
separators free) wins over the rest of it.
Arrays are sets (`is_set_valued`: order and repeats free) when the schema says
`uniqueItems`, the description says so ("a set", "any order", "keyed by", "must carry all these", "must speak
all", "has one of the values", "limit the diff to these paths", "only these people", "any of these": an AND
or an OR of items; "checked against each other", "pairwise": a symmetric relation; "values to keep", rule
codes "to enable"), the name is a filter (`include_domains`, `allowed_domains`, `blocked_domains`, `exclude`):
a filter's order never changes the answer, or a list of record ids (`user_ids`, `schedule_ids`), the fields
of each record returned (`fields`, `properties`), an array of enum values not named or described as an order
(`severities`, not `sort` or "in order"), or the name is a logical connective of a filter object (`and`, `or`,
`$and`, `$or`, `$nor`: Notion, MongoDB), whose conditions commute. An array the description of the object
around it names in such a clause is a set too (`arrays_named_as_sets`), and so is, in a call, an array of plain
strings each of one token (`is_token_set`: `["KJFK", "KLGA"]`) unless named or described as read by position (an
order, `args`, `columns`, `coordinates`, `texts`, `keys`, "respectively"). A sort specification keeps the order
of its keys (`is_key_ordered`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from loopcache.toolcache.codes import CodeCase
from loopcache.toolcache.folds import NO_FOLDS, Folds, described_folds
from loopcache.toolcache.formats import name_words


class TextKind(Enum):
    FREE = "free"
    PROSE = "prose"
    LITERAL = "literal"
    REGEX = "regex"
    CASED = "cased"
    TIMEZONE = "timezone"


@dataclass(frozen=True, slots=True)
class Flags:
    """What the other arguments of a call say of how a string is matched (None: nothing).

    case_sensitive: a case flag beside it (`case_sensitive`, `ignore_case`) or its container's statement.
    regex: a true regex flag beside it.
    value_case: what the string's own description says of letter case for the values its siblings have in
        this call ("crates.io ids are case-insensitive; npm names are matched exactly", with `ecosystem`
        "crates"); it outweighs everything else.
    value_separators: that clause also says "-", "_" and "." are one separator ("PyPI names are normalised
        (case, '-', '_', '.')", with `registry` "pypi").
    exact_words: a match mode beside it says the match is exact (`match: "exact"`, `exact_match: true`): the
        words count as written ("Blue Fin" is not "Bluefin"), not only what they mean.
    enum_values: the values enum arguments of the objects around it have in this call (`ecosystem` "PyPI" for
        the `name` of each item of `packages`): a clause of its description may name one (`value_case`).
    """

    case_sensitive: bool | None = None
    regex: bool = False
    value_case: bool | None = None
    value_separators: bool = False
    exact_words: bool = False
    enum_values: tuple[str, ...] = ()


NO_FLAGS = Flags()


@dataclass(frozen=True, slots=True)
class TextTraits:
    """How one free-text argument may be spelled and still be the same call (see module doc)."""

    kind: TextKind = TextKind.FREE
    lower_all: bool = False  # the tool ignores case: the exact stage lower-cases the whole value
    code: CodeCase | None = None  # the field holds codes
    drop_hash: bool = False  # the schema says a leading "#" is optional
    fold_separators: bool = False  # "-", "_", "." and their runs are one separator (PyPI's name normalisation)
    folds: Folds = NO_FOLDS  # what the description says does not count (folds.py: "dots are ignored")
    words_keep_case: bool = False  # code in a query language ("JQL", "GraphQL"): verify compares words' case
    commas_are_space: bool = False  # GraphQL: a comma between names is whitespace, not a separator
    word_forms: bool = False  # "without stemming": "seal" is not "seals", verify takes no word variants

    @property
    def exact(self) -> bool:
        """Compared by equality in verify: the semantic stage can find nothing the exact stage does not."""
        return self.kind in (TextKind.LITERAL, TextKind.REGEX, TextKind.CASED)


_FLAG_NAMES = {"casesensitive": "case", "matchcase": "case", "ignorecase": "nocase", "caseinsensitive": "nocase",
               "foldcase": "nocase",
               "regex": "regex", "regexp": "regex", "useregex": "regex", "isregex": "regex",
               "exact": "exact", "exactmatch": "exact", "matchexact": "exact", "exactphrase": "exact"}
# a match mode named so, whose value "exact" says the words count as written (any other mode: nothing)
_MATCH_MODE_NAMES = frozenset({"match", "matchtype", "matchmode", "matching", "matchstrategy", "searchtype",
                               "searchmode", "querytype", "querymode"})
_PROSE_NAMES = frozenset({"text", "texts", "content", "body", "message", "sentence", "paragraph", "passage",
                          "document", "prompt"})
_TIMEZONE_NAMES = frozenset({"tz", "timezone", "zone"})
_LANGUAGE_NAMES = frozenset({"lang", "language", "locale"})
_CODE_NAMES = frozenset({"iata", "icao", "currency"})
_CODE_OF = frozenset({"country", "currency", "language", "airport", "region", "subdivision", "iso"})
_OPAQUE_NAMES = frozenset({"token", "secret", "password", "passwd", "pwd", "cursor", "nonce", "signature", "otp",
                           "key", "apikey"})
# a title or page names one thing, spelled as written ("Red Dwarf" the sitcom, "Red dwarf" the star), unless
# the description speaks of searching by it ("title to search for", "title words")
_TITLE_NAMES = frozenset({"title", "page"})
_SEARCHED = re.compile(r"\bsearch|\bquery\b|\bwords\b|\bkeywords?\b|\bmatch", re.I)
# a filter by name, or a list of record ids (`user_ids`: the records, whatever the order they are named in)
_FILTER_WORDS = frozenset({"include", "included", "exclude", "excluded", "allowed", "allow", "blocked", "block",
                           "deny", "denied", "ignore", "ignored", "skip", "enabled", "disabled", "ids"})
# what a filter leaves out: an empty one is no filter at all (`disabled_rules: []` = omitted)
_EXCLUDING_WORDS = frozenset({"exclude", "excluded", "blocked", "block", "deny", "denied", "ignore", "ignored", "skip",
                              "disabled"})
# the fields of each record returned, which come back keyed by name (`fields`, `properties`), not sort keys
_RETURNED_NAMES = frozenset({"fields", "properties", "attributes"})
_ORDERING_WORDS = frozenset({"sort", "order", "orderby", "sortby", "group", "groupby", "rank", "ranking", "priority",
                             "sequence", "steps", "route", "path"})
_ORDERED = re.compile(r"\b(?:in (?:this |that |the (?:given )?)?order|order(?:ed)? (?:matters|counts)|sorted|sequence|"
                      r"priority|first|then)\b", re.I)
# arrays whose items are read by position: a command's arguments, a table's columns, a point's coordinates, the
# inputs of a batch answered in their order (texts, keys, queries, documents, messages)
_POSITIONAL_NAMES = frozenset({"args", "argv", "arguments", "command", "cmd", "columns", "cols", "dimensions",
                               "headers", "header", "coordinates", "coords", "bbox", "point", "points", "waypoints",
                               "stops", "lines", "texts", "text", "inputs", "input", "messages", "sentences",
                               "documents", "docs", "queries", "prompts", "keys", "values", "segments", "parts",
                               "pair", "range", "stack", "history", "chain", "hops", "layers", "levels"})
_POSITIONAL = re.compile(r"\b(?:respectively|positional|by position|same order|corresponding|one (?:result )?per|"
                         r"index(?:es|ed)?)\b", re.I)
_TOKEN = re.compile(r"[^\s,]{1,64}")
# a filter's logical connectives (Notion's "and", MongoDB's "$or"): their conditions commute
_CONNECTIVES = frozenset({"and", "or", "nor", "$and", "$or", "$nor"})

_LITERAL = re.compile(r"\bliteral(?:ly)?\b|\bverbatim\b|\bwhitespace (?:included|is significant|matters|counts)\b"
                      r"|\bno (?:unicode )?normali[sz]ation\b"
                      r"|\bevery (?:character|byte) (?:counts|matters|is significant)\b"
                      r"|\b(?:unicode )?normali[sz]ation (?:changes?|matters|counts)\b", re.I)
_PART_WORDS = {"uri": re.compile(r"\b(?:path|query|fragment|code|rest)\b", re.I),
               "email": re.compile(r"\blocal part\b", re.I)}
_EXACTLY_AS = re.compile(r"\bexactly as (?:written|given|listed|stored|published|defined)\b", re.I)
# code in a query language: its words keep their case (GraphQL field names, PromQL metric names, the names in
# pytest's "-m expression", dbt's "node selection syntax"); a search, arithmetic or regular expression is not
# such code, nor a search syntax
_CODE_TEXT = re.compile(r"(?i:\bquery language\b)|\bDSL\b|\b[A-Z][A-Za-z]*QL\b"
                        r"|(?i:(?<!search )(?<!arithmetic )(?<!math )(?<!mathematical )(?<!regular )"
                        r"\bexpression\b)|(?i:(?<!search )(?<!query )\bsyntax\b)")
_GRAPHQL = re.compile(r"\bGraphQL\b", re.I)
_CASE_WORD = re.compile(r"(?<!\bin )(?<!\buse )(?<!\btest )(?<!\bedge )(?<!\bbase )(?<!\bworst )\bcase\b"
                        r"|\b(?:upper|lower)case\b|\bcapitali[sz]|\bexact(?:ly)?\b|\bas (?:written|published)\b", re.I)
_CASE_HINTS = ("case", "exact", "written", "published", "capitali", "pep")  # every match of _CASE_WORD, _NORMALISED
# outweighs "case-insensitive" beside it, but for "otherwise exact" (case apart)
_CASE_STRONG = re.compile(r"\bcase[- ]sensitive\b|(?<!\botherwise )(?<!\bdigits are )\bexact(?:ly)?\b"
                          # "Only that exact unit, not units whose codes begin with it": exact of the match, not case
                          r"(?![^.;]{0,40}\b(?:begin|start|prefix|contain|substring|children|descendants|sub-?units?))",
                          re.I)
_INSENSITIVE = re.compile(r"\bcase[- ]insensitive(?:ly)?\b|\bnot case[- ]sensitive\b|\bignor\w* (?:letter )?case\b"
                          r"|\bregardless of (?:letter )?case\b|\b(?:letter )?case (?:does not|doesn't) matter\b"
                          # "(any case)", "case ignored", "case and a leading '#' are ignored"
                          r"|(?<!\bin )\bany (?:letter )?case\b"
                          r"|\bcase(?:(?:,| and) [^.;]{1,30}?)? (?:is |are )?ignored\b"
                          # "without regard to case", "case- and accent-insensitive"
                          r"|\bwithout regard to (?:letter )?case\b|\bcase- and [\w-]+-insensitive\b"
                          r"|\b(?:letter )?case (?:is |are )?(?:not significant|insignificant)\b"
                          # "in either case", "upper or lower case is accepted", "compared without case"
                          r"|\b(?:in|accepted in) either case\b|\(either case\)|\beither case (?:is |are )?accepted\b"
                          r"|(?<=[a-z] )in any (?:letter )?case\b|\bin any letter case\b"  # not "In any case, ..."
                          # "lower-case letters accepted", "the C may be lower case", "upper-cased before lookup"
                          r"|\blower[- ]case (?:letters |input |codes )?(?:is |are )?accepted\b"
                          r"|\b(?:may|can) be (?:in )?(?:lower|upper)[- ]case\b|\b(?:upper|lower)[- ]cased before\b"
                          r"|\b(?:upper|lower) or (?:upper|lower)[- ]?case\b|\bwithout case\b", re.I)
_LOOKED_UP = re.compile(r"\bto look up\b|\bto be looked up\b|\blookup key\b", re.I)
_SAME_AS = re.compile(r"\b(?:same (?:[a-z]+ )?(?:format|form|rules?|syntax|units?) as|(?:written|given|formatted) like)"
                      r" (?:the |for )?`?([A-Za-z_]\w*)`?", re.I)
# "matched as a whole name": every word counts, "the" too ("The National" is not "National")
_NO_STEMMING = re.compile(r"\b(?:without|no) stemming\b|\bnot stemmed\b|\b(?:as |match(?:es|ed)? )?whole[- ]words?\b"
                          r"|\bsubstring\b",  # "review" finds "reviews"; "reviews" does not find "review"
                          re.I)
_WHOLE_NAME = re.compile(r"\b(?:as a |the )?whole (?:name|title|phrase|value)\b", re.I)
# word forms or word order said to count: "plural/singular and word order are significant" (a keyword matched as is)
_FORMS_COUNT = re.compile(r"\b(?:plural|singular|word order)s?\b[^.;]{0,60}\b(?:significant|matters?|count|distinct)\b"
                          r"|\b(?:significant|matters?|count|distinct)\b[^.;]{0,20}\b(?:plural|singular|word order)",
                          re.I)
_TIMEZONE = re.compile(r"\bIANA\b|\btime ?zone\b", re.I)
# a `zone` described as another kind of zone than a time zone: "forecast zone name", "DNS zone", "availability zone"
_OTHER_ZONE = re.compile(r"\b(?!(?:time|the|a|an|its|this|that|which|each|every|any|one|local|own)\b)[a-z]+ zones?\b",
                         re.I)
_LANGUAGE_CODES = re.compile(r"\bBCP[ -]?47\b|\bISO[ -]?639\b|\blanguage (?:tag|code)s?\b", re.I)
_STANDARD_CODES = re.compile(r"\bIATA\b|\bICAO\b|\bISO[ -]?(?:4217|3166)\b"
                             r"|\b(?:currency|country|airport|region) codes?\b", re.I)
_EXAMPLE = re.compile(r"e\.g\.?,?\s*['\"‘“]([^'\"’”]+)['\"’”]")
_OPTIONAL_HASH = re.compile(r"['\"‘“]?#['\"’”]?\s+(?:is\s+)?optional\b"
                            r"|\boptional\s+(?:leading\s+)?['\"‘“]?#", re.I)
_DENIED_BEFORE = re.compile(r"\b(?:not|never|no)\s+$", re.I)
# repeated items of an unordered array still count: "every entry is a child", "duplicates count"
_REPEATS_COUNT = re.compile(r"\b(?:every|each) (?:entry|item|element|value) (?:is|counts)\b"
                            r"|\b(?:repeats|duplicates|repeated (?:items|values|entries)) (?:count|matter|are kept)\b",
                            re.I)
_SET_WORDS = re.compile(r"\ba set\b|\bset of\b|\bset semantics\b|\bany order\b|\bunordered\b"
                        r"|\border (?:does not|doesn't) matter\b"
                        r"|\bkeyed by\b|\b(?:against|with) (?:each other|one another)\b|\bpairwise\b"
                        r"|\bvalues to (?:keep|include|exclude)\b"
                        r"|\b(?:all|any|each|every) (?:one )?of (?:these|them|the (?:given|listed))\b"
                        r"|\b(?:carry|carries|carrying|have|having|has|match|matches|matching|include|includes|"
                        r"including|contain|contains|containing) (?:all|any) (?:of )?"
                        r"(?:these|the (?:given|listed))\b"
                        # an AND, an OR or a filter of the items: "must speak all", "has one of the values",
                        # "limit the diff to these paths"
                        r"|\bmust \w+ (?:all|every one)\b"
                        r"|\b(?:has|have|is|are|match(?:es)?)(?: in)? one of (?:these|the (?:values|given|listed))\b"
                        r"|\ball (?:must|have to) (?:hold|match|apply)\b"
                        r"|\bmust (?:all|not) (?:hold|match|apply|carry|have|contain|include)\b"
                        r"|\b(?:limit|restrict)(?:s|ed)?\b[^.;]*\bto (?:these|the (?:given|listed))\b"
                        # "only these people", rule codes "to enable" / "to disable"
                        r"|\bonly (?:\w+ )?(?:these|the (?:given|listed))\b|\bto (?:enable|disable|turn on|turn off)\b"
                        r"|\b(?:OR|AND)-?ed\b"  # "array filters are OR-ed within a filter"
                        r"|\b(?:names|ids|keys|codes) (?:\w+ )?to (?:retrieve|fetch|look up|return)\b",  # a batch
                        re.I)
_ALL_WHEN_OMITTED = re.compile(r"\b(?:all|every)(?: \w+)?(?: \w+)? when omitted\b|\bwhen omitted,? (?:all|every)\b"
                               r"|\b(?:defaults?(?: to| is)?:?|by default|omitted:|if omitted,?) (?:all|every)\b"
                               r"|\ball by default\b", re.I)
_NONE_WHEN_OMITTED = re.compile(r"\b(?:none|nothing|no \w+) when omitted\b"
                                r"|\bdefaults?(?: to| is)?:? (?:none|nothing)\b", re.I)
_ARRAYS = re.compile(r"\barray (?:filters|values|arguments)\b|\b(?:arrays|lists)\b", re.I)
_HEX = re.compile(r"^\W*(?:\w+\s+){0,3}?(?:hex|hexadecimal)\b|\b(?:in|as) hex(?:adecimal)?\b|,\s*hex(?:adecimal)?\b",
                  re.I)
_KEY_ORDER = re.compile(r"\bin the order (?:given|written|listed)\b|\border of (?:the |its )?keys\b|\bkeys? order\b",
                        re.I)
# "key order irrelevant", "key order does not matter": a denial, not an order
_ORDER_DENIED = re.compile(r"\s*(?:is |are )?(?:irrelevant|ignored|insignificant|not significant|"
                           r"(?:does|do) not matter|doesn't matter|free)\b", re.I)
_ANY_ORDER = re.compile(r"\bany order\b|\border (?:does not|doesn't) matter\b", re.I)
# a clause about quoted phrases ('"quoted phrases" match exactly') speaks of them, not of the field's letter case
_PHRASE_CLAUSE = re.compile(r"[^;,.()]*\bphrases?\b[^;,.()]*", re.I)


def description(schema: Mapping[str, Any]) -> str:
    text = schema.get("description")
    return text if isinstance(text, str) else ""


def item_schema(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of an array's items, with the array's description where the items have none of their own
    ("vehicles: 'AGV-' and the number; leading zeros are ignored" describes each vehicle)."""
    items = schema.get("items")
    items = items if isinstance(items, Mapping) else {}
    text = description(schema)
    return {**items, "description": text} if text and not description(items) else items


def described_like_siblings(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The properties, each whose description says it is written like a sibling ("same format as start", "written
    like `start`") with that sibling's `format`, `pattern` and description added to its own."""
    out = dict(properties)
    for key, prop in properties.items():
        same = _SAME_AS.search(description(prop)) if isinstance(prop, Mapping) else None
        other = properties.get(same[1]) if same else None
        if isinstance(other, Mapping) and same and same[1] != key:
            out[key] = {**{k: v for k, v in other.items() if k in ("format", "pattern")}, **prop,
                        "description": f"{description(prop)} {description(other)}"}
    return out


def container_flags(schema: Mapping[str, Any], flags: Flags = NO_FLAGS) -> Flags:
    """The flags for the strings inside an object or array: a statement of letter case in the container's own
    description ("names and values are case-sensitive") covers its contents, and so does one that word forms
    count ("keywords, a set; plural/singular are significant": each is matched as written); else they keep
    `flags`."""
    text = description(schema)
    case, exact = _stated_case(text), flags.exact_words or bool(_FORMS_COUNT.search(text))
    if case is None and exact == flags.exact_words:
        return flags
    return Flags(flags.case_sensitive if case is None else case, flags.regex, exact_words=exact,
                 enum_values=flags.enum_values)  # value_case: its own


def sibling_flags(args: Mapping[str, Any], properties: Mapping[str, Any],
                  inherited: Flags = NO_FLAGS) -> dict[str, Flags]:
    """The flags that apply to each argument of one object (its keys and its schema's properties), over the
    `inherited` ones of the object itself. Arguments without any of their own: absent (use `inherited`), unless
    enum values are in scope (`Flags.enum_values`, which every argument then carries down)."""
    names = set(properties) | {str(key) for key in args}
    enum_values = tuple(dict.fromkeys(inherited.enum_values + _enum_values(args, properties)))
    by_value = _case_by_sibling_value(properties, enum_values)
    found = []
    for key in names:
        prop = properties.get(key)
        value = args[key] if key in args else (prop.get("default") if isinstance(prop, Mapping) else None)
        squeezed = re.sub(r"[^a-z]", "", key.lower())
        kind = _FLAG_NAMES.get(squeezed)
        if kind and isinstance(value, bool):
            found.append((kind, key, value))
        elif squeezed in _MATCH_MODE_NAMES and isinstance(value, str):
            found.append(("exact", key, re.sub(r"[^a-z]", "", value.lower()) in ("exact", "exactmatch")))
    if not found:
        said = (inherited.value_case, inherited.value_separators)
        return {key: Flags(inherited.case_sensitive, inherited.regex, *by_value.get(key, said),
                           exact_words=inherited.exact_words, enum_values=enum_values)
                for key in (names if enum_values else by_value)}
    described = {key: description(prop) for key, prop in properties.items() if isinstance(prop, Mapping)}
    # the siblings a flag's own description names ("false matches the pattern ignoring letter case")
    named = {flag: {name for name in names if name != flag and _names_value(described.get(flag, ""), name)}
             for _, flag, _ in found}
    targets = {flag: named[flag] | {name for name, text in described.items()
                                    if re.search(rf"\b{re.escape(flag)}\b", text)}
               for _, flag, _ in found}
    result = {}
    for key in names:
        case, regex, exact = inherited.case_sensitive, inherited.regex, inherited.exact_words
        value_case, separators = by_value.get(key, (None, False))
        for kind, flag, value in found:
            if key == flag or (targets[flag] and key not in targets[flag]):
                continue
            if kind == "regex":
                regex = value
            elif kind == "exact":
                exact = value
            else:
                case = value if kind == "case" else not value
                if key in named[flag] and value_case is None:  # named by the flag: outweighs its own description
                    value_case = case
        result[key] = Flags(case, regex, value_case, separators, exact, enum_values)
    return result


# a comma inside parentheses or before a quoted character ("'-', '_' and '.'") does not end a clause
_CLAUSE = re.compile(r";|\.\s+|\.$|,\s+(?![^()]*\))(?!['\"‘“])")
# "PyPI names are normalised (case, '-', '_', '.')", "... as in PEP 503: letter case and runs of '-', '_' and '.'
# do not matter": the registry folds letter case, the name's case is free
_NORMALISED = re.compile(r"\bnormali[sz]ed\s*\(\s*(?:letter\s+)?case\b|\bPEP ?503\b"
                         r"|\b(?:letter )?case\b[^.;]*\b(?:do|does) not matter\b", re.I)
_FOLDS_SEPARATORS = re.compile(r"^[^)]*['\"‘“]-['\"’”][^)]*['\"‘“]_['\"’”]")


def _enum_values(args: Mapping[str, Any], properties: Mapping[str, Any]) -> tuple[str, ...]:
    """The values the enum arguments of one object have in this call (a default where one is omitted)."""
    values = []
    for key, prop in properties.items():
        if isinstance(prop, Mapping) and isinstance(prop.get("enum"), list):
            value = args.get(key, prop.get("default"))
            if isinstance(value, str) and value:
                values.append(value)
    return tuple(values)


def _case_by_sibling_value(properties: Mapping[str, Any], values: tuple[str, ...]) -> dict[str, tuple[bool, bool]]:
    """For each string property whose description has a clause of letter case that names a value an enum
    argument of this object or of one around it has in this call: what that clause says (two clauses that
    disagree: case-sensitive). A clause ends at ";", ".", or a comma outside parentheses; "X names are
    normalised (case, ...)" says case is free, and separators too where its parentheses list "-" and "_".
    Returns {name: (case-sensitive, separators)}."""
    result: dict[str, tuple[bool, bool]] = {}
    if not values:
        return result
    for key, prop in properties.items():
        is_enum = isinstance(prop, Mapping) and isinstance(prop.get("enum"), list)
        text = description(prop) if isinstance(prop, Mapping) and not is_enum else ""
        if not _may_state_case(text):
            continue
        said, separators = set(), set()
        for clause in _CLAUSE.split(text):
            if not any(_names_value(clause, v) for v in values):
                continue
            normalised = _NORMALISED.search(clause)
            case = False if normalised else _stated_case(clause)
            if case is not None:
                said.add(case)
                separators.add(bool(normalised and (normalised[0].upper().startswith("PEP")
                                                    or _FOLDS_SEPARATORS.search(clause[normalised.start():]))))
        if said:
            result[key] = (True in said, said == {False} and separators == {True})
    return result


def _names_value(clause: str, value: str) -> bool:
    """Whether a clause names an enum value, its "_" or "-" read as a space too ("App Store" for `app_store`)."""
    words = [re.escape(word) for word in re.split(r"[ _-]+", value) if word]
    return bool(words) and re.search(r"\b" + r"[ _-]?".join(words) + r"\b", clause, re.I) is not None


def text_traits(name: str | None, schema: Mapping[str, Any], flags: Flags = NO_FLAGS) -> TextTraits:
    """The traits of a free-text string argument `name` with schema `schema` (see module doc)."""
    text = description(schema)
    if flags.regex:
        return TextTraits(TextKind.REGEX)
    literal = bool(_LITERAL.search(text))
    case_sensitive = flags.value_case  # its own description, read for this call's sibling values, wins; then
    if case_sensitive is None:  # its own description as a whole, then a flag beside it or its container's
        case_sensitive = _stated_case(text)
    if case_sensitive is None:
        case_sensitive = flags.case_sensitive
    if case_sensitive is None and _HEX.search(text):
        case_sensitive = False  # hexadecimal digits have no case ("0xAbC..." = "0xabc...")
    insensitive = case_sensitive is False
    if flags.value_case is False and flags.value_separators and not literal:
        return TextTraits(TextKind.FREE, lower_all=True, fold_separators=True)
    if case_sensitive:
        return TextTraits(TextKind.LITERAL) if literal else TextTraits(TextKind.CASED, folds=described_folds(text))
    if literal:
        return TextTraits(TextKind.LITERAL, lower_all=insensitive)
    words = name_words(name)
    if (words and words[-1] in _TIMEZONE_NAMES and not (words[-1] == "zone" and _OTHER_ZONE.search(text))) \
            or words[-2:] == ["time", "zone"] or _TIMEZONE.search(text):
        return TextTraits(TextKind.TIMEZONE)
    if words and words[-1] in _PROSE_NAMES and not _ANY_ORDER.search(text):
        if _LOOKED_UP.search(text) and not insensitive:  # a segment looked up in a memory is its key, as written
            return TextTraits(TextKind.LITERAL)
        return TextTraits(TextKind.PROSE, lower_all=insensitive)
    code = _code_case(words, text)
    if code is None and _OPAQUE_NAMES.intersection(words) and not insensitive:
        return TextTraits(TextKind.CASED)  # a token, a secret, a cursor: opaque, compared as written
    if words and words[-1] in _TITLE_NAMES and not _SEARCHED.search(text) and not insensitive:
        return TextTraits(TextKind.CASED, folds=described_folds(text))
    exact = flags.exact_words or _WHOLE_NAME.search(text) or _FORMS_COUNT.search(text)
    if exact and code is None:  # an exact match: word by word
        return TextTraits(TextKind.PROSE, lower_all=insensitive)
    return TextTraits(TextKind.FREE, insensitive, code, bool(_OPTIONAL_HASH.search(text)),
                      folds=described_folds(text),
                      words_keep_case=bool(_CODE_TEXT.search(text)) and not insensitive,
                      commas_are_space=bool(_GRAPHQL.search(text)), word_forms=bool(_NO_STEMMING.search(text)))


def says_case_is_free(schema: Mapping[str, Any]) -> bool:
    """Whether an argument's description says its letter case does not count ("matched without regard to letter
    case"), read the way free text's is: for a format that otherwise keeps case (an e-mail's local part)."""
    return _stated_case(description(schema)) is False


def _stated_case(text: str) -> bool | None:
    """What a description says of letter case: True (it counts), False (ignored), None (nothing). One that says
    both ("crates ids are case-insensitive; npm names are matched exactly") is read as case-sensitive; "as
    written" beside "case-insensitive" is about the format ("as written in that country; letters
    case-insensitive")."""
    if not _may_state_case(text):
        return None
    if "phrase" in text.lower():
        text = _PHRASE_CLAUSE.sub("", text)
    if not _INSENSITIVE.search(text):
        return True if _CASE_WORD.search(text) else None
    return bool(_CASE_STRONG.search(_INSENSITIVE.sub("", text)))


def _may_state_case(text: str) -> bool:
    """A cheap test before the regexes (this runs on every argument of every call): whether any word they
    look for is in `text` at all."""
    lowered = text.lower()
    return any(word in lowered for word in _CASE_HINTS)


def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """A schema's `pattern`, compiled; None for one Python cannot read (ECMA-only syntax): it says nothing."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def is_written_exactly(schema: Mapping[str, Any], fmt: str | None = None) -> bool:
    """Whether the description says the value is taken exactly as written ("path template exactly as written in
    the spec", "verbatim"): then no format normalises it ("/v1/charges/" is another route than "/v1/charges").
    A clause that says it of a part of a URL or email address `fmt` ("path and query are sent exactly as
    written") leaves the format to normalise the rest (a URL's host case): it keeps that part as written anyway."""
    text = description(schema)
    parts = _PART_WORDS.get(fmt or "")
    for clause in _CLAUSE.split(text):
        for match in (*_EXACTLY_AS.finditer(clause), *_LITERAL.finditer(clause)):
            if parts is None or not parts.search(clause[:match.start()]):
                return True
    return False


def omitted_array(name: str | None, schema: Mapping[str, Any]) -> list | None:
    """What an array argument with no `default` means when omitted, where its description says so: every item
    it can hold ("parts returned, any order; all when omitted", an enum or a small integer range, a set), or
    none ("subqueries to include; none when omitted"); else None. Written out, that list is the same call."""
    if schema.get("type") != "array" or "default" in schema:
        return None
    text = description(schema)
    if _NONE_WHEN_OMITTED.search(text):
        return []
    items = schema.get("items")
    if not (_ALL_WHEN_OMITTED.search(text) and isinstance(items, Mapping) and is_set_valued(name, schema)):
        return None
    if isinstance(items.get("enum"), list):
        return list(items["enum"])
    low, high = items.get("minimum"), items.get("maximum")
    if items.get("type") == "integer" and isinstance(low, int) and isinstance(high, int) and 0 <= high - low < 64:
        return list(range(low, high + 1))
    return None


def is_set_valued(name: str | None, schema: Mapping[str, Any]) -> bool:
    """Whether an array argument is a set: its order and repeated items do not change the answer."""
    if schema.get("uniqueItems") is True or _says_set(description(schema)):
        return True
    if name is not None and name.casefold() in _CONNECTIVES:
        return True
    words = name_words(name)
    if words[-1:] and words[-1] in _RETURNED_NAMES and not _ORDERING_WORDS.intersection(words) \
            and not _ORDERED.search(description(schema)):  # "columns returned, in this order": a table's order
        return True
    items = schema.get("items")
    scalar_filter = isinstance(items, Mapping) and items.get("type") in ("string", "integer") \
        and bool(_ALL_WHEN_OMITTED.search(description(schema)))
    if isinstance(items, Mapping) and (isinstance(items.get("enum"), list) or scalar_filter) \
            and not _ORDERING_WORDS.intersection(words) and not _ORDERED.search(description(schema)):
        return True  # categories picked from a list (severities, sections, maturities), a filter that is all of them
        # when omitted ("country codes; all countries when omitted"): which, not in what order
    return bool(_FILTER_WORDS.intersection(words))


def _says_set(text: str) -> bool:
    """Whether a description calls an array a set, not in a denial ("a list, not a set")."""
    return any(not _DENIED_BEFORE.search(text[:match.start()]) for match in _SET_WORDS.finditer(text))


def repeats_count(schema: Mapping[str, Any]) -> bool:
    """Whether an array whose order does not count still counts its repeated items ("every entry is a child:
    [3, 7, 7] is three children"): a multiset, sorted but not deduplicated."""
    return bool(_REPEATS_COUNT.search(description(schema)))


def is_token_set(name: str | None, schema: Mapping[str, Any], value: list[Any]) -> bool:
    """Whether an array of plain strings is a set in this call because every item is one token (codes, ids,
    keys, logins, paths: `["KJFK", "KLGA"]`): which ones, not in what order, unless the name or description
    says the position counts (an order, a command's arguments, columns, coordinates, texts or keys whose
    answers come back by position: `mget(keys)`, a batch of `texts`)."""
    items = schema.get("items", {"type": "string"})
    if not isinstance(items, Mapping) or items.get("type", "string") != "string" or set(items) & {"enum", "format"}:
        return False
    if not value or not all(isinstance(item, str) and _TOKEN.fullmatch(item) for item in value):
        return False
    words = name_words(name)
    text = description(schema)
    return not (_ORDERING_WORDS | _POSITIONAL_NAMES).intersection(words) and not _ORDERED.search(text) \
        and not _POSITIONAL.search(text)


def is_empty_exclusion(name: str | None, value: Any) -> bool:
    """Whether `value` is an empty list of what a filter leaves out (`exclude`, `disabled_rules`): no filter."""
    return value == [] and bool(_EXCLUDING_WORDS.intersection(name_words(name)))


def is_key_ordered(name: str | None, schema: Mapping[str, Any]) -> bool:
    """Whether an object of free-form keys is ordered by its keys: a sort specification (`sort`, `order_by`,
    MongoDB's `{"last_name": 1, "first_name": 1}`) or one described so ("keys are applied in the order given")."""
    if isinstance(schema.get("properties"), Mapping) and schema["properties"]:
        return False
    words = name_words(name)
    text = description(schema)
    said = any(not _ORDER_DENIED.match(text, match.end()) for match in _KEY_ORDER.finditer(text))
    return said or words[-1:] in (["sort"], ["sorting"], ["orderby"]) or words[-2:] in (["order", "by"], ["sort", "by"])


def arrays_named_as_sets(schema: Mapping[str, Any]) -> frozenset[str]:
    """The array properties an object's own description names in a clause that speaks of a set ("keep only
    costs whose dimension has one of the values": `values`), or all of them where that clause speaks of its
    arrays ("array filters are OR-ed within a filter"); `is_set_valued` reads only their own schema."""
    text = description(schema)
    properties = schema.get("properties")
    if not text or not isinstance(properties, Mapping):
        return frozenset()
    clauses = [clause for clause in re.split(r";|\.\s+|\.$", text) if _SET_WORDS.search(clause)]
    every = any(_ARRAYS.search(clause) for clause in clauses)  # "array filters are OR-ed within a filter"
    return frozenset(key for key, prop in properties.items()
                     if isinstance(prop, Mapping) and prop.get("type") == "array" and name_words(key)
                     and (every or any(re.search(r"\b" + r"[ _-]?".join(map(re.escape, name_words(key))) + r"\b",
                                                 clause, re.I) for clause in clauses)))


def _code_case(words: list[str], text: str) -> CodeCase | None:
    if _LANGUAGE_CODES.search(text) or (words and words[-1] in _LANGUAGE_NAMES):
        return CodeCase.LOWER
    if _STANDARD_CODES.search(text) or (words and words[-1] in _CODE_NAMES):
        return CodeCase.UPPER
    if words[-2:-1] and words[-1] == "code" and words[-2] in _CODE_OF:
        return CodeCase.UPPER
    example = _EXAMPLE.search(text)
    if example:
        code = example[1].strip().lstrip("#")
        letters = [c for c in code if c.isalpha()]
        if (re.fullmatch(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*", code) and letters and any(c.isdigit() for c in code)
                and all(c.isupper() for c in letters)):
            return CodeCase.UPPER
    return None
