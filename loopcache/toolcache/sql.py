"""Canonical SQL text: spellings of one statement that every database reads the same way.

    "select *\\nFROM users  where name='Bob';"          ->  "SELECT * FROM users WHERE name = 'Bob'"
    "... WHERE total BETWEEN 10 AND 20"                ->  "... WHERE total >= 10 AND total <= 20"
    "SELECT o.id FROM orders o WHERE o.status = 'x'"   ->  "SELECT id FROM orders WHERE status = 'x'"
    "... WHERE id IN (3, 1, 2)"                        ->  "... WHERE id IN (1, 2, 3)"
    "a != 1"                                           ->  "a <> 1"

Tokens are re-joined with single spaces, so `count(*)` and `count( * )` agree; comments and a trailing `;`
are dropped; keywords and common function names are upper-cased. String literals and quoted names are never
changed. Unquoted identifiers keep their case, unless `fold_identifiers` (PostgreSQL folds them to lower
case; `folds_identifiers` reads the dialect from the argument's description, else its tool's description or
name). Rewrites that need the statement's structure are applied only where it is plain enough to be sure:

- `x BETWEEN a AND b` (a column, two literals, not after NOT, followed by AND / OR / the end of a clause) is
  `x >= a AND x <= b` (the standard defines it so, NULLs included);
- a table alias (or the table's own name) qualifying columns is dropped when the statement reads exactly one
  table and has no subquery: the columns, and the names the result gives them, are the same;
- `IN (...)` of literals only is a set: sorted;
- the conditions of a WHERE that joins them with AND only (no OR, CASE or BETWEEN left at its top level) are
  a set: sorted (`a = 1 AND b = 2` is `b = 2 AND a = 1`).

Column order, column aliases (`AS`), LIMIT and ORDER BY are kept: they change the result.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
      (?P<literal>'(?:[^']|'')*'?)            # 'string literal' ('' escapes); unterminated runs to the end
    | (?P<dollar>\$(?P<tag>[A-Za-z_]*)\$.*?(?:\$(?P=tag)\$|$))   # $$dollar-quoted$$ (PostgreSQL)
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
    count sum avg min max coalesce nullif lower upper length substring trim round abs extract
    """.split()
)
# what may follow a rewritten `x BETWEEN a AND b` without binding tighter than AND
_CLAUSE_END = frozenset({"AND", "OR", ")", "GROUP", "ORDER", "LIMIT", "HAVING", "OFFSET", "FETCH", "UNION",
                         "EXCEPT", "INTERSECT", "WINDOW"})
_CONDITION_START = frozenset({"WHERE", "AND", "OR", "(", "ON", "HAVING"})
_FOLDING_DIALECTS = frozenset({"postgres", "postgresql", "redshift", "oracle", "snowflake"})
# a dialect's name, also as a tool name's words ("queryPostgreSQL" is "query postgre sql")
_DIALECT = re.compile(r"\b(?:postgres(?:ql)?|postgre ?sql|redshift|oracle|snowflake|my ?sql|maria ?db|sqlite"
                      r"|duck ?db|big ?query|click ?house|ms ?sql|t-? ?sql|sql ?server)\b", re.IGNORECASE)
_WHERE_END = frozenset({"GROUP", "ORDER", "LIMIT", "HAVING", "OFFSET", "FETCH", "UNION", "EXCEPT", "INTERSECT",
                        "WINDOW", "RETURNING"})


def canonical_sql(text: str, fold_identifiers: bool = False) -> str:
    """The canonical spelling of one SQL statement (see module doc). Never changes literal contents."""
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup if match.lastgroup != "tag" else "dollar"
        token = match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "word":
            lower = token.lower()
            token = token.upper() if lower in _KEYWORDS else lower if fold_identifiers else token
        if token == "!=":
            token = "<>"
        tokens.append((kind or "", token))
    while tokens and tokens[-1][1] == ";":
        tokens.pop()
    tokens = _sorted_conditions(_sorted_in_lists(_between_as_bounds(_without_single_table_alias(tokens))))
    return " ".join(token for _, token in tokens)


def folds_identifiers(*texts: str) -> bool:
    """Whether the first of `texts` that names an SQL dialect (an argument's description, then its tool's
    description and name) names only dialects that fold unquoted identifiers, in the result's column names
    too: PostgreSQL and Redshift to lower case, Oracle and Snowflake to upper. MySQL, SQLite, SQL Server and
    the rest keep the column names as written, so naming one of them (or none) means no folding."""
    for text in texts:
        named = {re.sub(r"[\s-]", "", found.lower()) for found in _DIALECT.findall(text)}
        if named:
            return named <= _FOLDING_DIALECTS
    return False


def _is_value(kind: str) -> bool:
    return kind in ("literal", "number", "dollar")


def _is_name(kind: str, token: str) -> bool:
    return kind == "word" and token.lower() not in _KEYWORDS


def _between_as_bounds(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = list(tokens)
    i = 0
    while i + 4 < len(out):
        (k0, column), (_, between), (k2, low), (_, and_), (k4, high) = out[i:i + 5]
        before = out[i - 1][1] if i else ""
        after = out[i + 5][1] if i + 5 < len(out) else ")"
        if (between == "BETWEEN" and and_ == "AND" and _is_name(k0, column) and _is_value(k2) and _is_value(k4)
                and before in _CONDITION_START and after in _CLAUSE_END):
            out[i:i + 5] = [(k0, column), ("op", ">="), (k2, low), ("word", "AND"), (k0, column), ("op", "<="),
                            (k4, high)]
            i += 7
        else:
            i += 1
    return out


def _without_single_table_alias(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    texts = [token for _, token in tokens]
    if texts.count("SELECT") != 1 or texts.count("FROM") != 1 or "JOIN" in texts:
        return tokens
    at = texts.index("FROM") + 1
    if at >= len(tokens) or not _is_name(*tokens[at]):
        return tokens
    table, end = tokens[at][1], at + 1
    alias = None
    if end < len(tokens) and texts[end] == "AS" and end + 1 < len(tokens) and _is_name(*tokens[end + 1]):
        alias, end = tokens[end + 1][1], end + 2
    elif end < len(tokens) and _is_name(*tokens[end]):
        alias, end = tokens[end][1], end + 1
    if end < len(tokens) and (texts[end] in (",", ".", "(") or _is_name(*tokens[end])):
        return tokens  # another table, a schema-qualified name, a function: not one plain table
    qualifiers = {alias or table}  # with an alias, the table's own name no longer qualifies
    kept = tokens[:at + 1] + tokens[end:]
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(kept):
        kind, token = kept[i]
        if (kind == "word" and token in qualifiers and i + 2 < len(kept) and kept[i + 1][1] == "."
                and (kept[i + 2][0] == "word" or kept[i + 2][1] == "*") and i != at):
            i += 2
            continue
        out.append(kept[i])
        i += 1
    return out


def _sorted_in_lists(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        out.append(tokens[i])
        if tokens[i][1] == "IN" and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
            close = next((j for j in range(i + 2, len(tokens)) if tokens[j][1] == ")"), None)
            items = tokens[i + 2:close] if close is not None else []
            values, commas = items[0::2], items[1::2]
            if values and all(_is_value(k) for k, _ in values) and all(t == "," for _, t in commas):
                ordered = sorted(values, key=lambda kv: kv[1])
                out.append(tokens[i + 1])
                for index, value in enumerate(ordered):
                    out.extend([value] if index == 0 else [("op", ","), value])
                out.append(tokens[close])  # type: ignore[index]
                i = close + 1  # type: ignore[operator]
                continue
        i += 1
    return out


def _sorted_conditions(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    texts = [token for _, token in tokens]
    if texts.count("WHERE") != 1 or texts.count("SELECT") != 1:
        return tokens
    start = texts.index("WHERE") + 1
    end, depth = start, 0
    while end < len(tokens) and not (depth == 0 and texts[end] in _WHERE_END):
        depth += {"(": 1, ")": -1}.get(texts[end], 0)
        if depth < 0:
            return tokens
        end += 1
    clause = tokens[start:end]
    depth, conditions, current = 0, [], []
    for kind, token in clause:
        if depth == 0 and token in ("OR", "CASE", "BETWEEN"):
            return tokens
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth == 0 and token == "AND":
            conditions.append(current)
            current = []
        else:
            current.append((kind, token))
    conditions.append(current)
    if len(conditions) < 2 or not all(conditions):
        return tokens
    ordered = sorted(conditions, key=lambda condition: " ".join(t for _, t in condition))
    joined = [pair for index, condition in enumerate(ordered) for pair in ([("word", "AND")] if index else []) + condition]
    return tokens[:start] + joined + tokens[end:]
