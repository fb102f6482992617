"""Regular expressions: case and whitespace always count; only an alternation of plain words may be reordered.

    "TODO|FIXME"  ==  "FIXME|TODO"        every alternative a plain word or phrase, none a prefix of another:
                                          the same text matches, at the same places, in either order
    "get|getattr" !=  "getattr|get"       one alternative is a prefix of the other: the leftmost-first match
                                          differs ("get" matches first in "getattr")
    "a.b|c"        as written             anything else (metacharacters, groups, anchors) is never changed

The alternatives' prefix test ignores case, so a case-insensitive search cannot tell them apart either.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"^[^\W_]+(?:[ _-][^\W_]+)*$")


def canonical_regex(value: str) -> str:
    alternatives = value.split("|")
    if len(alternatives) < 2 or not all(_PLAIN.match(a) for a in alternatives):
        return value
    folded = [a.casefold() for a in alternatives]
    if any(i != j and b.startswith(a) for i, a in enumerate(folded) for j, b in enumerate(folded)):
        return value
    return "|".join(sorted(alternatives))
