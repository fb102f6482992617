"""What an argument's description says does not count in its value: characters ignored, leading zeros, padding.

    "Spaces, dots and hyphens are ignored"                -> those characters are dropped ("0403.170.701")
    "leading zeros optional"                              -> an all-digit value loses them ("0000320193")
    "shorter GTINs are ... zero-filled to 14 digits"      -> an all-digit value is padded to that width
    examples "e.g. 'DEHAM' or 'DE HAM'"                   -> spaces are dropped
    examples "e.g. 'Alan Turing' or 'Alan_Turing'"        -> underscores are spaces

The schema's author states these of the tool; nothing is dropped that the description does not name. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CHARACTER_WORDS = {"spaces": " ", "space": " ", "whitespace": " ", "dots": ".", "periods": ".", "full stops": ".",
                    "hyphens": "-", "dashes": "-", "commas": ",", "slashes": "/", "underscores": "_"}
_WORD = "|".join(sorted(map(re.escape, _CHARACTER_WORDS), key=len, reverse=True))
_IGNORED = re.compile(rf"\b((?:{_WORD})(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:{_WORD}))*)\b[^.;]{{0,40}}?"
                      r"\b(?:are|is) (?:ignored|optional|not significant|stripped|removed)", re.I)
_LEADING_ZEROS = re.compile(r"\bleading zeros?\b[^.;]{0,20}?\b(?:are |is )?(?:optional|ignored|not significant)"
                            r"|\b(?:with or without|optional) leading zeros\b", re.I)
_ZERO_FILL = re.compile(r"\b(?:zero-filled|zero-padded|(?:left-)?padded with zeros?) to (\d{1,2}) digits\b", re.I)
_QUOTED = re.compile(r"['\"‘“]([^'\"’”]+)['\"’”]")


@dataclass(frozen=True, slots=True)
class Folds:
    ignored: str = ""  # characters dropped from the value
    leading_zeros: bool = False  # an all-digit value loses its leading zeros
    width: int = 0  # an all-digit value shorter than this is padded with zeros
    underscores_are_spaces: bool = False

    def __bool__(self) -> bool:
        return bool(self.ignored or self.leading_zeros or self.width or self.underscores_are_spaces)

    def apply(self, value: str) -> str:
        if self.underscores_are_spaces:
            value = " ".join(value.replace("_", " ").split())
        if self.ignored:
            value = value.translate({ord(c): None for c in self.ignored})
        if value.isdigit() and self.leading_zeros:
            value = value.lstrip("0") or "0"
        if value.isdigit() and len(value) < self.width:
            value = value.zfill(self.width)
        return value


NO_FOLDS = Folds()


def described_folds(description: str) -> Folds:
    """The folds an argument's description states (module doc); NO_FOLDS when it states none."""
    if not description:
        return NO_FOLDS
    ignored = {_CHARACTER_WORDS[word.lower()] for match in _IGNORED.finditer(description)
               for word in re.findall(_WORD, match[1], re.I)}
    examples = {example.strip() for example in _QUOTED.findall(description)}
    spaced = [example for example in examples if " " in example]
    if any(example.replace(" ", "") in examples for example in spaced):
        ignored.add(" ")
    fill = _ZERO_FILL.search(description)
    return Folds(ignored="".join(sorted(ignored)), leading_zeros=bool(_LEADING_ZEROS.search(description)),
                 width=int(fill[1]) if fill else 0,
                 underscores_are_spaces=any(example.replace(" ", "_") in examples for example in spaced))
