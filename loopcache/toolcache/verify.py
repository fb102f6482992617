"""The verify stage: may a semantic candidate's stored result answer this query? Whatever the similarity.

Both calls are canonical argument dicts of the same tool (same schema). Field by field:

    non-string values (numbers, booleans, null)   -> equal
    strings with a format (declared or inferred,  -> equal after canonicalisation (paths, URLs, dates,
      formats.py), an enum or a const                addresses, periods, units, SQL, regexes, ...)
    free text the schema says is literal, a       -> equal after canonicalisation (field_traits.py: "literal",
      regex, or case-sensitive                       a true `regex` / `case_sensitive` flag, "case-sensitive")
    a time zone name                              -> the same zone (timezones.py: "UTC" = "Etc/UTC")
    identifiers, one side naming its scheme       -> the same id ("arXiv:2405.16444" = "2405.16444",
                                                     "https://doi.org/10.1/x" = "10.1/X"; identifiers.py)
    a URL on either side                          -> equal URLs, or a URL whose last path segment is the id on
                                                     the other side, an id with letters and digits
                                                     (".../browse/OPS-4412" = "OPS-4412")
    prose (text to translate, a message, ...)     -> the same words in the same order, punctuation included
                                                     (case and spacing may differ)
    a lone token whose case may mean something    -> the same case ("1m" minute / "1M" month; "v" / "V";
                                                     "CO" / "Co"; irregular case, "dQw4w9WgXcQ")
    two lone tokens, one with digits or symbols   -> the same parts in the same order, symbols in the same
      (an identifier, a path, a selector)            places ("BRK-B" = "BRK.B"; "4700::1111" != "4700:1111::",
                                                     "!canary" != "canary"); paths, selectors and names in
                                                     code keep their case ("app=Web", "HTTP_requests")
    a string under a schema `pattern`             -> both match it or neither (one would be an invalid call)
    free text                                     -> same TextSignature (text_signature.py): quoted strings,
                                                     anchors, operators, currencies, negations, relations,
                                                     schemes, named entities and content words; case, stop
                                                     words, punctuation and word order may differ
    objects / arrays                              -> same keys / length, then recursively (sets were sorted
                                                     by the canonicaliser); the strings of a nested object
                                                     whose schema declares no properties (free-form data,
                                                     a query DSL body) keep their case

Content words that differ only as forms of one word ("stream" / "streaming", "set up" / "setup") are
accepted with a condition: the candidate must be at least `policy.variant_similarity` similar
(`Verdict.min_similarity`), since such a pair is also how "train" / "training" differ.
A rejection says which field and which part differed, so a miss can be explained.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from loopcache.toolcache.field_traits import (NO_FLAGS, Flags, TextKind, compile_pattern, container_flags,
                                              item_schema, sibling_flags, text_traits)
from loopcache.toolcache.formats import infer_format, value_format
from loopcache.toolcache.identifiers import same_identifier
from loopcache.toolcache.text_signature import TextSignature, are_variants, stem, text_signature
from loopcache.toolcache.timezones import same_zone

DEFAULT_VARIANT_SIMILARITY = 0.95
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]+$")
_DN_KEYS = frozenset({"cn", "ou", "dc", "uid"})  # the RDN attribute types of LDAP distinguished names (RFC 4514)


@dataclass(frozen=True, slots=True)
class VerifyPolicy:
    """How strict free-text comparison is. `content_words=False` trades false hits for recall;
    `variant_similarity` is the cosine similarity a match through word variants needs (1.0: never)."""

    content_words: bool = True
    variant_similarity: float = DEFAULT_VARIANT_SIMILARITY


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verify stage's answer. `reason` names the first difference found (or, when accepted, what was
    relaxed); an accepted verdict with `min_similarity` holds only for a candidate at least that similar."""

    accepted: bool
    reason: str = ""
    min_similarity: float | None = None


ACCEPTED = Verdict(True)


def verify_call(
    query: Mapping[str, Any],
    candidate: Mapping[str, Any],
    schema: Mapping[str, Any] | None,
    policy: VerifyPolicy = VerifyPolicy(),
) -> Verdict:
    """Pure: accept `candidate`'s result for `query` only if no guard finds a difference."""
    return _compare(query, candidate, dict(schema or {}), None, "args", policy)


def has_free_text(args: Mapping[str, Any], schema: Mapping[str, Any] | None) -> bool:
    """Whether any string has no format from its schema or name and is not compared as written (literal,
    regex, case-sensitive): then the semantic stage may find an equivalent call (if none, only an exact key
    can match). A URL in such a field counts: "https://doi.org/X" may be the call a later "X" needs."""
    return _has_free_text(args, dict(schema or {}), None)


def _has_free_text(value: Any, schema: Mapping[str, Any], name: str | None, flags: Flags = NO_FLAGS) -> bool:
    if isinstance(value, Mapping):
        inherited = container_flags(schema, flags)
        siblings = sibling_flags(value, _properties(schema), inherited)
        return any(_has_free_text(item, _property(schema, key), key, siblings.get(key, inherited))
                   for key, item in value.items())
    if isinstance(value, list):
        return any(_has_free_text(item, item_schema(schema), name, container_flags(schema, flags)) for item in value)
    return isinstance(value, str) and _is_free_text(schema, name) and not text_traits(name, schema, flags).exact


def _compare(query: Any, candidate: Any, schema: Mapping[str, Any], name: str | None, where: str,
             policy: VerifyPolicy, flags: Flags = NO_FLAGS) -> Verdict:
    if type(query) is not type(candidate):
        return Verdict(False, f"{where}: types differ")
    if isinstance(query, Mapping):
        if set(query) != set(candidate):
            return Verdict(False, f"{where}: keys differ {sorted(set(query) ^ set(candidate))}")
        inherited = container_flags(schema, flags)
        if where != "args" and not _properties(schema) and inherited.case_sensitive is None:
            inherited = replace(inherited, case_sensitive=True)  # free-form data (a query DSL body): as written
        siblings = sibling_flags(query, _properties(schema), inherited)
        parts = [_compare(query[k], candidate[k], _property(schema, k), k, f"{where}.{k}", policy,
                          siblings.get(k, inherited)) for k in sorted(query)]
        return _all(parts)
    if isinstance(query, list):
        if len(query) != len(candidate):
            return Verdict(False, f"{where}: lengths differ")
        items = container_flags(schema, flags)
        return _all([_compare(q, c, item_schema(schema), name, f"{where}[{i}]", policy, items)
                     for i, (q, c) in enumerate(zip(query, candidate, strict=True))])
    if isinstance(query, str) and query != candidate and _one_fails_pattern(query, candidate, schema):
        return Verdict(False, f"{where}: one value fails the schema's pattern (an invalid call)")
    if isinstance(query, str) and query != candidate and query.casefold() == candidate.casefold() \
            and _pattern_names_an_identifier(schema):
        return Verdict(False, f"{where}: an identifier in another case (its pattern spells both cases)")
    if isinstance(query, str) and _is_free_text(schema, name) and query != candidate:
        traits = text_traits(name, schema, flags)
        if traits.words_keep_case and _recased(query, candidate):
            return Verdict(False, f"{where}: a name in another case (code in a query language)")
        commas = traits.commas_are_space
        if traits.words_keep_case and _code_separators(query, commas) != _code_separators(candidate, commas):
            return Verdict(False, f"{where}: other operators or separators (code in a query language)")
        return _compare_free_text(query, candidate, traits.kind, name, where, policy, traits.word_forms)
    return ACCEPTED if query == candidate else Verdict(False, f"{where}: values differ")


def _pattern_names_an_identifier(schema: Mapping[str, Any]) -> bool:
    """Whether the schema's pattern describes a name whose case is its own: both letter cases, separators
    (`.`, `_`, `-`, `/`) but no whitespace ("^[A-Za-z0-9._-]{1,249}$", a Kafka topic: "Orders" is not
    "orders"); letters and digits alone are a code ("^[A-Za-z0-9]{4}$", a MIC), whose case the tool may ignore."""
    pattern = schema.get("pattern")
    if not isinstance(pattern, str) or compile_pattern(pattern) is None:
        return False
    allows_space = bool(re.search(r"\\s| |\.(?![^\[]*\])", pattern))  # \s, a space, or "." outside a class
    members = "".join(re.sub(r"[A-Za-z0-9]-[A-Za-z0-9]", "", cls) for cls in re.findall(r"\[([^\]]*)\]", pattern))
    separators = any(c in members for c in "._-/")  # a class's own members, not its ranges ("A-Z")
    return not allows_space and separators and "a-z" in pattern and "A-Z" in pattern


def _recased(query: str, candidate: str) -> bool:
    """Whether a word of both texts is written in another case in one ("createdAt" / "createdat")."""
    spellings: dict[str, set[str]] = {}
    for word in re.findall(r"\w+", query):
        spellings.setdefault(word.casefold(), set()).add(word)
    return any(word.casefold() in spellings and word not in spellings[word.casefold()]
               for word in re.findall(r"\w+", candidate))


def _code_separators(code: str, commas_are_space: bool = False) -> tuple[list[str], int]:
    """The operators and separators of code, in any order, and its number of whitespace-separated parts once
    spaces around them are dropped: dbt's "a b" (a union) / "a,b" (an intersection) differ, "a = 1" = "a=1".
    Quotes are one kind ('x' = "x"); in GraphQL a comma is whitespace."""
    code = re.sub(r"['`]", '"', code.replace(",", " ") if commas_are_space else code)
    tight = re.sub(r"\s*([^\w\s])\s*", r"\1", code.strip())
    return sorted(re.findall(r"[^\w\s]", tight)), len(tight.split())


def _one_fails_pattern(query: str, candidate: str, schema: Mapping[str, Any]) -> bool:
    pattern = schema.get("pattern")
    compiled = compile_pattern(pattern) if isinstance(pattern, str) else None
    return compiled is not None and bool(compiled.search(query)) != bool(compiled.search(candidate))


def _compare_free_text(query: str, candidate: str, kind: TextKind, name: str | None, where: str,
                       policy: VerifyPolicy, word_forms: bool = False) -> Verdict:
    if kind is TextKind.CASED and (value_format(query) or value_format(candidate)):
        return _url_of_id(query, candidate, where, cased=True)  # a permalink and its id, in the id's own case
    if kind in (TextKind.LITERAL, TextKind.REGEX, TextKind.CASED):
        return Verdict(False, f"{where}: values differ ({kind.value})")
    if kind is TextKind.TIMEZONE:
        return ACCEPTED if same_zone(query, candidate) else Verdict(False, f"{where}: another time zone")
    same_id = same_identifier(query, candidate)
    if same_id is not None:
        return ACCEPTED if same_id else Verdict(False, f"{where}: identifiers differ")
    if value_format(query) or value_format(candidate):
        return _url_of_id(query, candidate, where)
    if kind is TextKind.PROSE:
        same = _prose(query) == _prose(candidate)
        return ACCEPTED if same else Verdict(False, f"{where}: another text (prose compares word by word)")
    if query.casefold() == candidate.casefold() and (_case_matters(query, candidate)
                                                     or _case_matters(candidate, query)):
        return Verdict(False, f"{where}: case differs where it may matter")
    if _is_lone(query) and _is_lone(candidate) and (_is_id_token(query) or _is_id_token(candidate)) \
            and _token_shape(query) != _token_shape(candidate):
        return Verdict(False, f"{where}: another identifier (its parts or separators differ)")
    return _compare_text(query, candidate, where, policy, word_forms)


def _url_of_id(query: str, candidate: str, where: str, cased: bool = False) -> Verdict:
    """A URL on one side, an id on the other: the same call when the URL's last path segment is that id and the
    id has letters and digits ("https://tracker.example.com/browse/OPS-4412" = "OPS-4412", an imdb.com title
    URL = "tt0111161"; case as free text has it, or exact where `cased`); a bare number or word is not enough
    (whose issue 12?)."""
    url, other = (query, candidate) if value_format(query) else (candidate, query)
    if value_format(other) is None and _is_id_token(other) and any(c.isalpha() for c in other) \
            and any(c.isdigit() for c in other):
        segments = [unquote(segment) for segment in urlsplit(url).path.split("/") if segment]
        if segments and (segments[-1] == other if cased else segments[-1].casefold() == other.casefold()):
            return Verdict(True, f"{where}: the URL names the id")
    return Verdict(False, f"{where}: values differ")


def _is_id_token(value: str) -> bool:
    """A lone token with a digit or a symbol: an identifier, path or expression ("2606:4700::1111", "v1.2",
    "BRK-B", "app/2024/", "app!=web"), whose parts mean something in their order and whose symbols' places
    matter (free text's word order does not). Compared by `_token_shape` with any other lone token."""
    return _is_lone(value) and any(not c.isalpha() for c in value)


def _is_lone(value: str) -> bool:
    return bool(value) and not any(c.isspace() for c in value)


def _token_shape(value: str) -> tuple[str, ...]:
    """A lone token's parts in order, case folded, and its symbols as written, but that each run of `-`, `_`,
    `.` and `:` is known by its length ("BRK-B" = "BRK.B"; "4700::1111" != "4700:1111::", "!canary" != "canary")
    and a leading "#" is dropped ("#W123" = "W123"). Comma-separated items with letters each are a set
    ("app=web,tier=db" = "tier=db,app=web"), but for a path of `key=value` steps: a key repeated, or the
    keys of an LDAP distinguished name ("cn=x,ou=Groups,dc=corp,dc=com": its RDNs are a path); others keep
    their order ("51.5,-0.1"). The text signature still compares what passes."""
    raw = value.removeprefix("#").split(",")
    items = [_parts(item) for item in raw]
    keys = [item.partition("=")[0].strip().casefold() for item in raw if "=" in item]
    path = len(keys) == len(raw) and (len(set(keys)) < len(keys) or bool(_DN_KEYS.intersection(keys)))
    if len(items) > 1 and not path and all(any(c.isalpha() for c in item) for item in raw):
        items.sort()
    return tuple(part for item in items for part in (*item, ","))


def _parts(value: str) -> tuple[str, ...]:
    return tuple(part.casefold() if part[0].isalnum() else (f"<{len(part)}>" if part[0] in "-_.:" else part)
                 for part in re.findall(r"[^\W_]+|[-_.:]+|[\W_]", value))


def _case_matters(value: str, other: str) -> bool:
    """Whether `value`, a lone token, may mean another thing than `other`, the same letters in another case:
    a path, a selector or a name in code ("app/2024/", "app=web", "http_requests_total": keys, label values
    and identifiers keep their case), a number with one letter ("1m" minute / "1M" month), a letter alone, a short
    all-capitals token against a capitalised word (a symbol or an acronym: "CO" carbon monoxide / "Co"
    cobalt), or a token in irregular case ("dQw4w9WgXcQ", "JSONStream": names and ids mixing cases inside a
    word are spelled exactly)."""
    if _is_lone(value) and any(c in "/=_" for c in value):
        return True
    if not _TOKEN.match(value):
        return False
    letters = sum(c.isalpha() for c in value)
    if letters == 1 and (len(value) == 1 or any(c.isdigit() for c in value)):
        return True  # "1m" minute / "1M" month; a one-letter code ("v" video / "V" video but not cover art)
    if 2 <= letters <= 3 and value.isupper() and other[:1].isupper():
        return True
    return bool(re.search(r"[a-z][A-Z]|[A-Z]{2}[a-z]", value))


def _prose(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _all(verdicts: list[Verdict]) -> Verdict:
    """The first rejection, else acceptance under the strictest similarity condition."""
    for verdict in verdicts:
        if not verdict.accepted:
            return verdict
    conditions = [v for v in verdicts if v.min_similarity is not None]
    return max(conditions, key=lambda v: v.min_similarity or 0.0) if conditions else ACCEPTED


def _compare_text(query: str, candidate: str, where: str, policy: VerifyPolicy, word_forms: bool = False) -> Verdict:
    if query == candidate:
        return ACCEPTED
    q, c = text_signature(query), text_signature(candidate)
    difference = _signature_difference(q, c)
    if difference:
        return Verdict(False, f"{where}: {difference}")
    left = (q.entities - c.words) | ((q.content - c.content) if policy.content_words else set())
    right = (c.entities - q.words) | ((c.content - q.content) if policy.content_words else set())
    if word_forms and set(q.word_sequence) != set(c.word_sequence):  # "without stemming": "seals" is not "seal"
        return Verdict(False, f"{where}: other word forms {sorted(set(q.word_sequence) ^ set(c.word_sequence))}")
    if not left and not right:
        return ACCEPTED
    if not word_forms and _aligned(set(left), set(right), q, c):
        return Verdict(True, f"{where}: word variants {sorted(left)} ~ {sorted(right)}", policy.variant_similarity)
    kind = "named entities" if (q.entities - c.words) | (c.entities - q.words) else "content words"
    return Verdict(False, f"{where}: {kind} differ {sorted(left | right)}")


def _signature_difference(q: TextSignature, c: TextSignature) -> str:
    if q.quoted != c.quoted:
        return f"quoted strings differ {q.quoted} vs {c.quoted}"
    if q.word_sequence.count("or") != c.word_sequence.count("or"):  # `a eq "x" and b` / `a eq "x" or b`
        return "an `or` on one side only"
    if q.operators or c.operators:
        if q.expression != c.expression:
            return f"numbers/operators differ {q.expression} vs {c.expression}"
        if {"OR", "|", "||"}.intersection(q.operators) and q.sequence != c.sequence:
            return "the operands of OR differ"
    elif sorted(q.anchors) != sorted(c.anchors):
        return f"numbers/dates/codes differ {[v for _, v in q.anchors]} vs {[v for _, v in c.anchors]}"
    else:
        for kind in {k for k, _ in q.anchors}:
            if [v for k, v in q.anchors if k == kind] != [v for k, v in c.anchors if k == kind]:
                return f"{kind} anchors in another order"
    if q.currencies != c.currencies:
        return f"currencies differ {list(q.currencies)} vs {list(c.currencies)}"
    if q.negations != c.negations:
        return f"negations differ ({q.negations} vs {c.negations})"
    if q.schemes and c.schemes and q.schemes != c.schemes:
        return f"identifier schemes differ {sorted(q.schemes)} vs {sorted(c.schemes)}"
    for mine, other in ((q, c), (c, q)):
        if missing := mine.capitals - set(other.word_sequence) - other.capitals:
            return f"words in capitals spelled otherwise {sorted(missing)}"
    if q.modifiers != c.modifiers:
        return f"search modifiers differ {sorted(q.modifiers ^ c.modifiers)}"
    return _relation_difference(q, c)


def _relation_difference(q: TextSignature, c: TextSignature) -> str:
    """A word governed by different prepositions, or a preposition governing different words."""
    for side, other in ((q.relations, c.relations), (c.relations, q.relations)):
        for preposition, word in side:
            mine = {p for p, w in side if w == word}
            theirs = {p for p, w in other if w == word}
            if theirs and mine != theirs:
                return f"'{word}' governed by {sorted(mine)} vs {sorted(theirs)}"
            governed = {w for p, w in side if p == preposition}
            other_governed = {w for p, w in other if p == preposition}
            if other_governed and governed != other_governed:
                return f"'{preposition}' governs {sorted(governed)} vs {sorted(other_governed)}"
    return ""


def _aligned(left: set[str], right: set[str], q: TextSignature, c: TextSignature) -> bool:
    """Whether the differing words are only compounds ("setup" = "set up") and forms of one word."""
    for words, other_side, sequence in ((right, left, q.word_sequence), (left, right, c.word_sequence)):
        for word in list(words):
            for first, second in zip(sequence, sequence[1:]):
                if first + second == word:
                    words.discard(word)
                    other_side.difference_update({stem(first), stem(second)})
                    break
    return (all(any(are_variants(a, b) for b in right) for a in left)
            and all(any(are_variants(b, a) for a in left) for b in right))


def _is_free_text(schema: Mapping[str, Any], name: str | None) -> bool:
    return infer_format(name, schema) is None and "enum" not in schema and "const" not in schema


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = schema.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def _property(schema: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    prop = _properties(schema).get(key)
    return prop if isinstance(prop, Mapping) else {}
