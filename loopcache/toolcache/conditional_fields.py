"""Arguments the schema says the tool does not read in this call: their values cannot change the answer.

    "package": "... ignored when fulfilment is 'merchant'"        -> dropped where `fulfilment` is "merchant"
    "limit": "Not read when version is given",
    "species": "Ignored with pathway_id"                           -> dropped where `version` / `pathway_id` is in
                                                                      the call
    "history_limit": "Ignored without 'sync_history'",
    "days": "only used with include_forecast"                      -> dropped unless `include_forecast` is true
                                                                      (or, not a boolean, is in the call)
    "unit_system": "Only used with value_format 'engineering'",
    "trips_limit": "Ignored unless include_trips is true"          -> dropped where the sibling has another value
    "selectors": "Ignored when 'dkim' is not among the checks",
    "currency": "Only read when 'pricing' is among the sections"   -> dropped unless the array `checks` /
                                                                      `sections` holds that value (or, no
                                                                      sibling of that name, the one array whose
                                                                      items' enum has it: `include`)
    "timezone": "Only read when group_by contains 'hour' or 'day'" -> dropped unless the array holds one of them
    "state": "no effect when types contains neither a nor b"       -> dropped where the array holds neither
    "loss_db": "Has no effect when connector_pairs is 0"           -> dropped where `connector_pairs` is 0
    "rx_height_m": "... ignored by 'free_space'"                   -> dropped where the one sibling whose enum has
                                                                      "free_space" has it
    "subgroup_size": "for 'xbar_r' and 'xbar_s' only"              -> dropped where that sibling has another value
    "include_subclasses": "Ignored when classes is omitted"        -> dropped where `classes` is not in the call
    "limit": "row cap; pools and stats ignore it"                  -> dropped where the one sibling whose enum has
                                                                      "pools" and "stats" has one of them
    "uprn": "When given, postcode and house are ignored",
    "number": "When given, every other argument is ignored"        -> those siblings (all of them) dropped where
                                                                      `uprn` / `number` is in the call

The sentence must be about the argument itself ("Ignored when ...", "This value is ignored ...", "so this is
ignored ...", not "Case is ignored when ..."; or, "When given, ...", about the arguments it governs), and the
condition must name a sibling argument of the same object by its exact name (or, "ignored by 'x'", "x and y
ignore it", values of one sibling's enum); anything else (a condition on "a URL", on another object,
"it") is not read, and the argument is kept. The canonicaliser applies this to the canonical object, defaults
filled in, so "ignored when fulfilment is 'merchant'" holds for a call that leaves `fulfilment` at its default
"merchant" too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_NAME = r"[`'\"‘“]?([A-Za-z_][A-Za-z0-9_]*)[`'\"’”]?"
_VALUE = r"[`'\"‘“]?([A-Za-z0-9_.-]+?)[`'\"’”]?"
_QUOTED = r"[`'\"‘“]([A-Za-z0-9_.-]+)[`'\"’”]"  # a value in quotes, captured
_QUOTED_BARE = r"[`'\"‘“][A-Za-z0-9_.-]+[`'\"’”]"  # the same, not captured
_UNREAD = (r"\b(?:is |are )?(?:ignored|disregarded|not read|not used|unused|has no effect|have no effect|irrelevant"
           r"|meaningless)")
# "only used", "used only", "only meaningful": read under the condition that follows only
_ONLY = r"(?:only (?:used|read|applies|applied|meaningful|relevant|matters)|(?:used|read|applies|applied) only)"
_UNLESS = r"(?:is |are )?(?:ignored|not read|not used|(?:has|have) no effect|irrelevant|meaningless) unless"
_GIVEN = re.compile(rf"{_UNREAD} (?:when|whenever|if|once) {_NAME}(?: or {_NAME})? is "
                    rf"(?:given|set|present|provided|specified)\b|{_UNREAD} with {_NAME}(?=[\s.,;]|$)", re.I)
# "Ignored unless include_trips is true", "Only used when method is 'shap'": read only under that one value
_ONLY_WHEN = re.compile(rf"\b(?:{_ONLY} (?:when|if)|{_UNLESS}) {_NAME} is {_VALUE}(?=[\s.,;)]|$)", re.I)
_EQUALS = re.compile(rf"{_UNREAD} (?:when|if) {_NAME} (?:is|=|==) {_VALUE}(?=[\s.,;)]|$)", re.I)
_REQUIRES = re.compile(rf"\b(?:{_ONLY} (?:with|when|if|for)|{_UNLESS}|(?:is |are )?ignored without) "
                       rf"{_NAME}(?=[\s.,;)]|$)"
                       r"(?! (?:is|are|contains?|includes?|has|have|lists?)\b)"
                       rf"(?: (?:is |= ?)?{_QUOTED})?", re.I)
_AMONG = re.compile(rf"\b(?:(?:is |are )?ignored|not read) (?:when|if|unless) {_VALUE} is not (?:among|in) "
                    rf"(?:the )?{_NAME}|\b(?:{_ONLY} (?:when|if)|{_UNLESS}) {_VALUE} is (?:among|in) "
                    rf"(?:the )?{_NAME}", re.I)
# "has no effect when credential_types contains neither state_license nor dea"
_NEITHER = re.compile(rf"{_UNREAD} (?:when|if) {_NAME} (?:contains|includes|lists|has) neither {_VALUE} nor {_VALUE}"
                      r"(?=[\s.,;)]|$)", re.I)
# "Only read when stats contains 'bounds'", "... when group_by contains 'hour' or 'day'", "ignored unless sections
# contains 'sizes'"
_CONTAINS = re.compile(rf"\b(?:{_ONLY} (?:when|if)|{_UNLESS}) {_NAME} (?:contains|includes|lists|has) "
                       rf"((?:{_QUOTED_BARE}(?:,? or |, ))*{_QUOTED_BARE})", re.I)
_QUOTED_VALUE = re.compile(_QUOTED)
# "Used with value when no entitlement_id is given": read only without that sibling
_WITHOUT = re.compile(rf"\bused (?:only )?(?:with [A-Za-z_]\w* )?(?:when|if) no {_NAME} is (?:given|set|provided)\b",
                      re.I)
_OMITTED = re.compile(rf"{_UNREAD} (?:when|if) {_NAME} is (?:omitted|absent|not given|not set|missing|left out)\b",
                      re.I)
# "for 'xbar_r' and 'xbar_s' only", "only for 'gain'": read under those values of the one sibling whose enum has them
_ONLY_FOR = re.compile(rf"\b(?:for ((?:{_QUOTED_BARE}(?:,? (?:and|or) |, ))*{_QUOTED_BARE}) only"
                       rf"|only (?:for|with) ((?:{_QUOTED_BARE}(?:,? (?:and|or) |, ))*{_QUOTED_BARE}))"
                       r"(?=[\s.,;)]|$)", re.I)
# on the governing argument: "When given, postcode and house are ignored", "... and every other argument is ignored"
_WHEN_GIVEN = re.compile(r"(?:^|[.;:,]\s+|\bso )(?:when|if|once) (?:it is |this is |([A-Za-z_]\w*) is )?"
                         r"(?:given|set|present|provided|specified),?"
                         r"([^.;]{1,200}?)\b(?:is|are) (?:ignored|disregarded|not read|not used)\b", re.I)
# "pools and stats ignore it", "pools and stats always return one row per pool and ignore it": a clause that begins
# with values of a sibling's enum
_VALUES_IGNORE = re.compile(r"(?:^|[.;]\s+)((?:[A-Za-z0-9_-]+(?:,? (?:and|or) |, ))*[A-Za-z0-9_-]+) "
                            r"(?:[^.;]{0,80}? and )?(?:always |simply )?ignores? it\b")
_ALL_OTHERS = re.compile(r"\b(?:every|all|any) other (?:arguments?|parameters?|fields?|options?|filters?)\b", re.I)
# "Not used for show=all or show=booked": a sibling's values written name=value
_ASSIGNED = re.compile(rf"{_UNREAD} (?:by|for|with|under|when) "
                       r"((?:[A-Za-z_]\w*=[\w-]+(?:\.[\w-]+)*(?:,? or |, ))*[A-Za-z_]\w*=[\w-]+(?:\.[\w-]+)*)", re.I)
_BY_VALUE = re.compile(rf"{_UNREAD} (?:by|for|with|under|in) (?:([A-Za-z_][A-Za-z0-9_]*) )?{_QUOTED}", re.I)
_UNREAD_WORDS = re.compile(r"\b(?:ignored|disregarded|irrelevant|meaningless|ignores? it|not read|not used|unused"
                           r"|no effect|only (?:used|read|applies|"
                           r"applied|meaningful|relevant|matters|for|with)|(?:used|read) only|['\"’”`] only"
                           r"|when no)\b", re.I)
_SUBJECT = re.compile(r"(?:(?:so|and|but|thus|hence|therefore) )?(?:this|the) (?:value|field|parameter|argument|"
                      r"option|setting|filter|limit)(?: is)?|(?:only )?used (?:only )?[^,]* and", re.I)
_STATES = {"given", "set", "present", "provided", "specified", "not", "a", "an", "the"}
_ABSENT = {"absent", "omitted", "missing", "unset"}


def unread_arguments(args: Mapping[str, Any], given: Mapping[str, Any],
                     properties: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The names of the arguments in `args` (a canonical object, defaults filled in) whose description says the
    tool does not read them under the values the other arguments have; `given` is the call as written (to tell
    "is given" from a default); `properties` is the object's schema properties."""
    unread = set()
    for name, prop in properties.items():
        text = prop.get("description")
        if name in args and isinstance(text, str) and _UNREAD_WORDS.search(text) \
                and _condition_holds(text, name, args, given, properties):
            unread.add(name)
        if given.get(name) is not None and isinstance(text, str):
            unread.update(_governed(text, name, properties) & set(args))
    return unread


def _governed(text: str, name: str, siblings: Mapping[str, Any]) -> set[str]:
    """The siblings the description of `name` says are not read when `name` is given: "When given, postcode and
    house are ignored" names them; "every other argument" is all of them."""
    others = set(siblings) - {name}
    out: set[str] = set()
    for said in _WHEN_GIVEN.finditer(text):
        if said[1] not in (None, name):  # "when count_id is given, outlet and count_date are ignored": its own name
            continue
        if _ALL_OTHERS.search(said[2]):
            return others
        out.update(others.intersection(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", said[2])))
    return out


def _condition_holds(text: str, name: str, args: Mapping[str, Any], given: Mapping[str, Any],
                     siblings: Mapping[str, Mapping[str, Any]]) -> bool:
    others = {key: prop for key, prop in siblings.items() if key != name}
    for match in _own(_GIVEN, text, name):  # "ignored when version or alias is given"
        if any(sibling in others and given.get(sibling) is not None for sibling in match.groups() if sibling):
            return True
    for match in _own(_WITHOUT, text, name):  # "used with value when no entitlement_id is given"
        if match[1] in others and given.get(match[1]) is not None:
            return True
    for match in _own(_OMITTED, text, name):  # "ignored when classes is omitted"
        if match[1] in others and given.get(match[1]) is None:
            return True
    for match in _own(_ONLY_FOR, text, name):  # "for 'xbar_r' and 'xbar_s' only": one sibling's enum values
        values = _QUOTED_VALUE.findall(match[1] or match[2])
        owner = _owner_of_all(others, values)
        if owner and isinstance(args.get(owner), str) and not any(_same(args[owner], value) for value in values):
            return True
    for match in _own(_ONLY_WHEN, text, name):
        sibling, value = match[1], match[2]
        if sibling in others and value.lower() in _ABSENT:  # "used only when 'bin' is absent"
            if given.get(sibling) is not None:
                return True
        elif sibling in others and value.lower() not in _STATES and not _same(args.get(sibling), value):
            return True
    for match in _own(_EQUALS, text, name):
        sibling, value = match[1], match[2]
        if sibling in others and value.lower() not in _STATES and _same(args.get(sibling), value):
            return True
    for match in _own(_REQUIRES, text, name):  # "only used with X" / "only used with X 'v'"
        sibling, value = match[1], match[2]
        held = args.get(sibling)
        if sibling in others and (value is not None and held is not None and not _same(held, value)
                                  or value is None and (held is False if isinstance(held, bool)
                                                        else given.get(sibling) is None)):
            return True
    for match in _own(_AMONG, text, name):  # "ignored when 'dkim' is not among the checks"
        value, sibling = (match[1], match[2]) if match[1] else (match[3], match[4])
        owner = sibling if sibling in others else _owner(others, value, "items")  # "the sections": `include`
        held = args.get(owner) if owner else None
        if isinstance(held, list) and all(isinstance(item, str) for item in held) \
                and value.casefold() not in {item.casefold() for item in held}:
            return True
    for match in _own(_NEITHER, text, name):  # "... when credential_types contains neither 'a' nor 'b'"
        held = args.get(match[1])
        if match[1] in others and isinstance(held, list) and all(isinstance(item, str) for item in held) \
                and not {match[2].casefold(), match[3].casefold()} & {item.casefold() for item in held}:
            return True
    for match in _own(_CONTAINS, text, name):  # "only read when stats contains 'bounds'"
        held, values = args.get(match[1]), {value.casefold() for value in _QUOTED_VALUE.findall(match[2])}
        if match[1] in others and isinstance(held, list) and all(isinstance(item, str) for item in held) \
                and not values & {item.casefold() for item in held}:
            return True
    for match in _VALUES_IGNORE.finditer(text):  # "pools and stats ignore it": values of one sibling's enum
        values = re.split(r",? (?:and|or) |, ", match[1])
        owner = _owner_of_all(others, values)
        if owner and any(_same(args.get(owner), value) for value in values):
            return True
    for match in _own(_ASSIGNED, text, name):  # "not used for show=all or show=booked"
        for sibling, value in (item.split("=", 1) for item in re.split(r",? or |, ", match[1])):
            if sibling in others and _same(args.get(sibling), value):
                return True
    for match in _own(_BY_VALUE, text, name):  # "ignored by 'free_space'": the one sibling with that enum value
        owner = match[1] if match[1] in others else _owner(others, match[2])  # "ignored for method 'gain'"
        if owner and _same(args.get(owner), match[2]):
            return True
    return False


def _owner(siblings: Mapping[str, Mapping[str, Any]], value: str, inside: str | None = None) -> str | None:
    """The one sibling whose enum (its items' enum, with `inside="items"`) holds `value`; None if none or more."""
    owners = []
    for key, prop in siblings.items():
        schema = prop.get(inside) if inside else prop
        enum = schema.get("enum", ()) if isinstance(schema, Mapping) else ()
        if any(isinstance(v, str) and v.casefold() == value.casefold() for v in enum):
            owners.append(key)
    return owners[0] if len(owners) == 1 else None


def _owner_of_all(siblings: Mapping[str, Mapping[str, Any]], values: list[str]) -> str | None:
    """The one sibling whose enum holds every one of `values`; None if none or more."""
    owners = {_owner(siblings, value) for value in values}
    return owners.pop() if len(owners) == 1 else None


def _own(pattern: re.Pattern[str], text: str, name: str) -> list[re.Match[str]]:
    """The matches of `pattern` whose subject is the argument itself: the clause begins with them ("Ignored
    when ...", "forecast days, only used with ..."), or with "it is", "this value is", "`name` is", or "used only
    to ... and" ("Case is ignored when ..." speaks of the case, not of the argument)."""
    found = []
    for match in pattern.finditer(text):
        clause = re.split(r"[.;:(,]\s|^", text[:match.start()])[-1].strip().lower()
        clause = re.sub(r"^(?:so|and|but|thus|hence|therefore) ", "", clause)  # "..., so this is ignored when"
        subject = clause.removesuffix(" is").removesuffix(" are").strip().strip("`'\"")
        if not clause or subject in ("it", "this", "they", name.lower()) or _SUBJECT.fullmatch(clause):
            found.append(match)
    return found


def _same(held: Any, value: str) -> bool:
    """Whether a canonical value is the one a description writes as text ('merchant', 0, true)."""
    if isinstance(held, bool):
        return value.lower() == str(held).lower()
    if isinstance(held, (int, float)):
        try:
            return float(value) == held
        except ValueError:
            return False
    return isinstance(held, str) and held.casefold() == value.casefold()
