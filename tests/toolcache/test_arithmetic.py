"""Arithmetic expressions: integer sums and products in any order are one call; floats, divisions and
another grouping are not. None of these expressions are from the labelled pair sets."""

from __future__ import annotations

import pytest

from loopcache.toolcache.arithmetic import canonical_arithmetic
from loopcache.toolcache.canonical import canonicalize_args


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("17 + 25", "17+25"), ("17 + 25", "25 + 17"), ("(8 - 3) + (9 - 2)", "(9-2)+(8-3)"),
        ("6 * (7 + 2)", "(2 + 7) * 6"), ("2 * 3 * 4", "4 * (3 * 2)"), ("10 - 4 + 1", "1 + 10 - 4"),
        ("((5))", "5"), ("1.25 * (3 + 4)", "1.25 * (4 + 3)"), ("-3 + 8", "8 - 3"),
        ("(1.5 * 2) * 3", "1.5 * 2 * 3"),
    ],
)
def test_same_computation(a: str, b: str) -> None:
    assert canonical_arithmetic(a) == canonical_arithmetic(b)


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        ("0.5 + 0.25 + 0.125", "0.125 + 0.25 + 0.5", "a float sum rounds in its own order"),
        ("1.5 * (2 * 3)", "1.5 * 2 * 3", "float grouping"),
        ("12 - 5", "5 - 12", "subtraction"), ("84 / 7 / 2", "84 / (7 / 2)", "division grouping"),
        ("9 / 3 + 1 + 2", "1 + 2 + 9 / 3", "a division inside the sum"),
        ("(2 + 3) * 4", "2 + 3 * 4", "another order of operations"), ("2 + 2", "2 * 2", "another operator"),
        ("250 + 1", "250.0 + 1", "literals as written"), ("3.10 * 2", "3.1 * 2", "literals as written"),
        ("9007199254740993 + 1", "1 + 9007199254740993", "beyond 2**53 a float calculator rounds"),
    ],
)
def test_different_computation(a: str, b: str, why: str) -> None:
    assert canonical_arithmetic(a) != canonical_arithmetic(b), why


def test_unknown_operators_and_non_expressions_only_lose_spacing() -> None:
    assert canonical_arithmetic("2^10") == canonical_arithmetic("2 ^ 10") == "2 ^ 10"
    assert canonical_arithmetic("2 ^ 10") != canonical_arithmetic("10 ^ 2")
    assert canonical_arithmetic("sqrt( 2 )") == "sqrt( 2 )"  # not numbers and operators: whitespace folded
    assert canonical_arithmetic("1 2") != canonical_arithmetic("12")


def test_format_read_from_the_name_or_description() -> None:
    schema = {"type": "object", "properties": {"formula": {"type": "string"},
                                               "input": {"type": "string", "description": "a math expression"}}}
    out = canonicalize_args({"formula": "3*(1+2)", "input": "(2+1)*3"}, schema)
    assert out["formula"] == out["input"] == "(1 + 2) * 3"
