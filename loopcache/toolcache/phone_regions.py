"""Phone numbers read in the region a call names: `{"number": "020 7946 0958", "default_region": "GB"}` is
`{"number": "+442079460958"}`.

A number written without its country code is a number only in some region. Where the call names one (a
sibling argument `region`, `default_region`, `country` or `country_code` holding an ISO 3166-1 alpha-2
code), the national form is read there as libphonenumber reads it (the trunk prefix of that country: "0" in
the UK, none in Italy, "1" in the US) and written in E.164. A number that is not a possible number there is
left as written. Without a region nothing is assumed: "020 7946 0958" alone is not "+44 20 7946 0958".

A region argument whose description says it only reads numbers without a country code ("region used to
read a number written without a country code") says nothing more once every number of the call has one:
it is dropped, so `{"number": "+33142685300"}` and the same with `default_region: "FR"` are one call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from loopcache.toolcache.formats import infer_format, name_words

_REGION_NAMES = frozenset({"region", "country"})
_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")
_ONLY_READS_NATIONAL = re.compile(r"\bwithout (?:a |the |its )?country code\b|\bnational (?:form|format|numbers?)\b"
                                  r"|\bwritten locally\b", re.I)


def phones_in_region(args: dict[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """`args` (one canonical object) with its national phone numbers in E.164 where a sibling names the
    region, and such a region dropped where it only reads national numbers and none is left. Pure."""
    regions = [name for name, value in args.items() if _is_region(name, value)]
    if len(regions) != 1:  # the common case (this runs on every object of every call); two: which one reads?
        return args
    phones = [name for name, value in args.items() if isinstance(value, str) and _is_phone(name, properties)]
    if not phones:
        return args
    region, out = regions[0], dict(args)
    for name in phones:
        if not out[name].startswith("+"):
            out[name] = _in_region(out[name], str(args[region]).upper())
    prop = properties.get(region)
    said = prop.get("description") if isinstance(prop, Mapping) else None
    if all(out[name].startswith("+") for name in phones) and isinstance(said, str) and \
            _ONLY_READS_NATIONAL.search(said):
        del out[region]
    return out


def _is_phone(name: str, properties: Mapping[str, Any]) -> bool:
    prop = properties.get(name)
    return infer_format(name, prop if isinstance(prop, Mapping) else {}) in ("phone", "e164", "tel")


def _is_region(name: str, value: Any) -> bool:
    words = name_words(name)
    region_word = bool(words) and (words[-1] in _REGION_NAMES or words[-2:] == ["country", "code"])
    return region_word and isinstance(value, str) and bool(_ALPHA2.match(value))


def _in_region(number: str, region: str) -> str:
    import phonenumbers  # phonenumberslite: parsing metadata only; imported when a call needs it

    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
