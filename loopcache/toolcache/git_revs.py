"""Git revision expressions in one spelling: the first-parent walks `^`, `^1`, `~` and `~1` are one step.

`HEAD^` = `HEAD~` = `HEAD~1` = `HEAD^1` -> `HEAD~1`, and consecutive steps add up: `main^^` = `main~1~1` =
`main~2` -> `main~2`; an object name's hex is lower case (`9FCEB02^` = `9fceb02~1`), a ref's name keeps its
case. `^2` (a merge's second parent) and `^0` stop the sum and are kept, as is anything this does not read:
a `^{...}` peel, `@{...}`, `:path`, whitespace. Each side of a range (`a..b`, `a...b`) is spelled so on its
own; the range operator is kept.
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"(\.\.\.?)")
_BASE = re.compile(r"[A-Za-z0-9_./@-]*[A-Za-z0-9_@-]")
_STEP = re.compile(r"([~^])(\d*)")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")  # git reads an object name's hex in either case


def canonical_git_rev(value: str) -> str:
    """`value` with its first-parent steps written `~N`; a value it cannot read is returned as written."""
    text = value.strip()
    if not text or re.search(r"[\s{}:]", text):
        return value
    spelled: list[str] = []
    for i, part in enumerate(_RANGE.split(text)):
        one = part if i % 2 else _one_revision(part)
        if one is None:
            return value
        spelled.append(one)
    return "".join(spelled)


def _one_revision(text: str) -> str | None:
    if not text:
        return text  # an open end of a range: "main.."
    base = _BASE.match(text)
    if base is None:
        return None
    name = base.group().lower() if _SHA.fullmatch(base.group()) else base.group()
    out, steps, i = [name], 0, base.end()
    while i < len(text):
        step = _STEP.match(text, i)
        if step is None:
            return None
        kind, count = step.group(1), step.group(2)
        n = int(count) if count else 1
        if kind == "~" or n == 1:
            steps += n
        else:  # ^0, ^2: not a first-parent walk
            out.append(f"~{steps}" if steps else "")
            out.append(f"^{n}")
            steps = 0
        i = step.end()
    out.append(f"~{steps}" if steps else "")
    return "".join(out)
