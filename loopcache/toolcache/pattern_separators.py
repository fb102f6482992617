"""Separators a schema `pattern` makes optional between fixed-width parts: '482-117-9035' = '4821179035'.

    "pattern": "^[0-9]{3}-?[0-9]{3}-?[0-9]{4}$"

Both spellings are valid calls, and since every part before a separator has a fixed width the separator's
place is known without it: nothing else can be meant by the digits alone, so the canonical value drops it.
A pattern with a part of variable width (`[0-9]+-?[0-9]+`: '12-345' and '123-45' would become one), a
separator that a part may also contain, or anything this reader does not know is left alone.
"""

from __future__ import annotations

import re

from loopcache.toolcache.field_traits import compile_pattern

# one part: a character class, \d, \w or a literal letter or digit, with an optional fixed count {n};
# or an optional separator: '-', '.', ' ', '/', ':' (escaped or not) followed by '?'
_STEP = re.compile(r"(?P<part>\[[^\]\\]+\]|\\d|[A-Za-z0-9])(?:\{(?P<count>\d+)\})?"
                   r"|(?P<separator>\\?[-. /:])\?")


def optional_separators(pattern: str) -> frozenset[str]:
    """The separator characters `pattern` (anchored, of fixed-width parts only) makes optional between two of
    its parts; empty if none, or if the pattern is of another shape (a leading '-?' is a sign, not one)."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return frozenset()
    body, at, steps = pattern[1:-1], 0, []
    while at < len(body):
        step = _STEP.match(body, at)
        if step is None:
            return frozenset()
        steps.append((step["part"], step["separator"][-1] if step["separator"] else None))
        at = step.end()
    parts = [part for part, _ in steps if part]
    separators = {sep for _, sep in steps if sep}
    kinds = "".join("s" if sep else "p" for _, sep in steps)
    if not separators or kinds.startswith("s") or kinds.endswith("s") or "ss" in kinds \
            or any(re.fullmatch(part, sep) for part in parts for sep in separators):  # a part may hold it
        return frozenset()
    return frozenset(separators)


def without_optional_separators(value: str, pattern: str) -> str:
    """`value` without the separators `pattern` makes optional, when it matches the pattern both ways."""
    separators = optional_separators(pattern)
    compiled = compile_pattern(pattern) if separators else None
    if compiled is None or not compiled.search(value):
        return value
    bare = "".join(c for c in value if c not in separators)
    return bare if compiled.search(bare) else value
