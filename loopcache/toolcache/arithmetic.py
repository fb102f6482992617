"""Arithmetic expressions: one spelling for expressions that compute the same thing the same way.

    "(350-122)+(499-127)"   ->  "350 + 499 - 122 - 127"     spaces, and an integer sum's terms in any order
    "3 * (5 + 4)"           ->  "(4 + 5) * 3"               an integer product's factors in any order
    "0.3 + 0.2 + 0.1"       ->  "0.3 + 0.2 + 0.1"           floats are not reordered: they round differently
    "120 / (4 / 2)"         ->  "120 / (4 / 2)"             neither is anything with a division in it
    "2 ^ 10", "sqrt(2)"     ->  tokens joined by one space  (operators it does not know: spacing only)

Only integer literals and `+ - *` are reordered (exact arithmetic, and only while every partial result stays
below 2**53, so a calculator computing in floats gets the same answer in any order). Number literals are
kept as written ("250.0 + 1" prints 251.0, "250 + 1" prints 251). Parentheses are printed where the
grouping needs them, so redundant ones go ("(1.5 * 2) * 3" is "1.5 * 2 * 3") and needed ones stay
("1.5 * (2 * 3)"). A value that is not an expression of numbers, operators and parentheses is returned with
its whitespace folded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|(\*\*|//|[-+*/%^()]))")
_LIMIT = 2**53
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass(frozen=True, slots=True)
class _Node:
    """A literal (`op` ""), a negation ("neg"), a binary operation, or a reordered integer sum ("sum",
    terms signed in `signs`) / product ("prod")."""

    op: str
    text: str = ""
    children: tuple[_Node, ...] = ()
    signs: tuple[int, ...] = ()


def canonical_arithmetic(value: str) -> str:
    tokens = _tokens(value)
    if tokens is None:
        return re.sub(r"\s+", " ", value).strip()
    if not set(tokens) <= set("+-*/()") | {t for t in tokens if t[0].isdigit() or t[0] == "."}:
        return " ".join(tokens)  # operators without a reordering rule: spacing only
    parser = _Parser(tokens)
    try:
        tree = parser.expression()
    except (IndexError, ValueError):
        return " ".join(tokens)
    if parser.at < len(tokens):
        return " ".join(tokens)
    return _print(_reordered(tree), 0)


def _tokens(value: str) -> list[str] | None:
    tokens, at, text = [], 0, value.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if not match or match.end() == at:
            return None
        tokens.append(match[1] or match[2])
        at = match.end()
        while at < len(text) and text[at].isspace():
            at += 1
    return tokens if any(t[0].isdigit() or t[0] == "." for t in tokens) else None


class _Parser:
    """Recursive descent: expression = term (("+" | "-") term)*; term = unary (("*" | "/") unary)*;
    unary = "-" unary | "+" unary | number | "(" expression ")". Raises ValueError on anything else."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def expression(self) -> _Node:
        node = self.term()
        while self.at < len(self.tokens) and self.tokens[self.at] in "+-":
            op = self.tokens[self.at]
            self.at += 1
            node = _Node(op, children=(node, self.term()))
        return node

    def term(self) -> _Node:
        node = self.unary()
        while self.at < len(self.tokens) and self.tokens[self.at] in ("*", "/"):
            op = self.tokens[self.at]
            self.at += 1
            node = _Node(op, children=(node, self.unary()))
        return node

    def unary(self) -> _Node:
        token = self.tokens[self.at]
        self.at += 1
        if token == "-":
            return _Node("neg", children=(self.unary(),))
        if token == "+":
            return self.unary()
        if token == "(":
            node = self.expression()
            if self.tokens[self.at] != ")":
                raise ValueError("unbalanced parentheses")
            self.at += 1
            return node
        if token[0].isdigit() or token[0] == ".":
            return _Node("", token)
        raise ValueError(f"unexpected {token!r}")


def _bound(node: _Node) -> int | None:
    """An upper bound of every partial result's magnitude if `node` is integers and + - * only, else None."""
    if node.op == "":
        return int(node.text) if node.text.isdigit() else None
    bounds = [_bound(child) for child in node.children]
    if any(b is None for b in bounds) or node.op == "/":
        return None
    if node.op == "*":
        return bounds[0] * bounds[1]  # type: ignore[operator]
    return sum(bounds)  # type: ignore[arg-type]


def _reordered(node: _Node) -> _Node:
    bound = _bound(node)
    if node.op in ("+", "-", "*") and bound is not None and bound < _LIMIT:
        if node.op == "*":
            factors = sorted((_reordered(f) for f in _factors(node)), key=lambda f: _print(f, 2))
            return _Node("prod", children=tuple(factors))
        terms = sorted(((sign, _reordered(t)) for sign, t in _terms(node, 1)), key=lambda st: (-st[0], _print(st[1], 1)))
        return _Node("sum", children=tuple(t for _, t in terms), signs=tuple(s for s, _ in terms))
    return _Node(node.op, node.text, tuple(_reordered(child) for child in node.children))


def _terms(node: _Node, sign: int) -> list[tuple[int, _Node]]:
    if node.op == "+":
        return _terms(node.children[0], sign) + _terms(node.children[1], sign)
    if node.op == "-":
        return _terms(node.children[0], sign) + _terms(node.children[1], -sign)
    if node.op == "neg":
        return _terms(node.children[0], -sign)
    return [(sign, node)]


def _factors(node: _Node) -> list[_Node]:
    if node.op == "*":
        return _factors(node.children[0]) + _factors(node.children[1])
    return [node]


def _print(node: _Node, context: int) -> str:
    """`context`: the precedence the surrounding operator needs (parentheses when this node binds looser)."""
    if node.op == "":
        return node.text
    if node.op == "neg":
        return "-" + _print(node.children[0], 3)
    if node.op == "sum":
        parts = []
        for index, (sign, term) in enumerate(zip(node.signs, node.children, strict=True)):
            text = _print(term, 2)
            parts.append(("-" + text if sign < 0 else text) if index == 0 else ("- " if sign < 0 else "+ ") + text)
        text = " ".join(parts)
        return f"({text})" if context > 1 else text
    if node.op == "prod":
        text = " * ".join(_print(factor, 3) for factor in node.children)
        return f"({text})" if context > 2 else text
    precedence = _PRECEDENCE[node.op]
    text = f"{_print(node.children[0], precedence)} {node.op} {_print(node.children[1], precedence + 1)}"
    return f"({text})" if context > precedence else text
