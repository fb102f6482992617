"""Canonical SQL text: keyword case and whitespace normalised, string literals and quoted names untouched.

    "select *\\nFROM users  where name='Bob';"  ->  "SELECT * FROM users WHERE name = 'Bob'"

Tokens are re-joined with single spaces, so `count(*)` and `count( * )` agree; comments are dropped;
a trailing `;` is dropped. Unquoted identifiers keep their case (some databases fold them, some do not).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
      (?P<literal>'(?:[^']|'')*'?)            # 'string literal' ('' escapes); unterminated runs to the end
    | (?P<quoted>"(?:[^"]|"")*"?|`[^`]*`?|\[[^\]]*\]?)   # quoted identifiers
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|$))
    | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)
    | (?P<op><=|>=|<>|!=|\|\||::|->>|->|[^\sA-Za-z_0-9])
    | (?P<space>\s+)
    """,
    re.VERBOSE | re.DOTALL,
)

_KEYWORDS = frozenset(
    """
    add all alter and any as asc between by case cast check collate column constraint create cross
    current_date current_time current_timestamp database default delete desc distinct drop else end
    escape except exists false fetch filter first following for foreign from full group having if ilike
    in index inner insert intersect interval into is join key last left like limit natural not null nulls
    offset on or order outer over partition preceding primary range recursive references returning right
    rows select set similar table then true unbounded union unique update using values view when where
    window with
    """.split()
)


def canonical_sql(text: str) -> str:
    """The canonical spelling of one SQL statement (see module doc). Never changes literal contents."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        token = match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "word" and token.lower() in _KEYWORDS:
            token = token.upper()
        tokens.append(token)
    while tokens and tokens[-1] == ";":
        tokens.pop()
    return " ".join(tokens)
