"""What a description says does not count in a value (folds.py), read and applied by the exact stage."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.folds import NO_FOLDS, Folds, described_folds


@pytest.mark.parametrize(
    ("description", "folds"),
    [
        ("VAT number. Spaces, dots and hyphens are ignored", Folds(ignored=" -.")),
        ("Spaces and hyphens as printed under the barcode are ignored; shorter GTINs are right-aligned and "
         "zero-filled to 14 digits", Folds(ignored=" -", width=14)),
        ("Central Index Key; leading zeros optional", Folds(leading_zeros=True)),
        ("location code, e.g. 'DEHAM' or 'DE HAM'", Folds(ignored=" ")),
        ("page title, e.g. 'Alan Turing' or 'Alan_Turing'", Folds(underscores_are_spaces=True)),
        ("a search query", NO_FOLDS),
        ("spaces matter; dots are part of the name", NO_FOLDS),
        ("e.g. 'DEHAM' or 'FRPAR'", NO_FOLDS),
    ],
)
def test_read_from_the_description(description: str, folds: Folds) -> None:
    assert described_folds(description) == folds


def one(value: str, description: str) -> str:
    schema = {"type": "object", "properties": {"v": {"type": "string", "description": description}}}
    return canonicalize_args({"v": value}, schema)["v"]


def test_applied_by_the_exact_stage() -> None:
    vat = "VAT identification number. Spaces, dots and hyphens are ignored"
    assert one("0403.170.701", vat) == one("0403 170-701", vat) == "0403170701"
    assert one("0403170702", vat) != one("0403170701", vat)
    gtin = "GTIN, spaces and hyphens are ignored; shorter GTINs are zero-filled to 14 digits"
    assert one("036000291452", gtin) == one("0036000291452", gtin) == one("0 36000 29145 2", gtin) == \
        "00036000291452"
    cik = "SEC Central Index Key; leading zeros optional"
    assert one("0000320193", cik) == one("320193", cik) == "320193" and one("0000", cik) == "0"
    assert one("0000320193", "SEC Central Index Key") == "0000320193"  # nothing said: kept
    assert one("ab12", cik) == one("ab12", "") and one("0012ab", cik) == "0012AB"  # digits only
