"""CSS colours in one spelling: `#rrggbb` (or `#rrggbbaa`) in lower case.

    "#F80" = "#ff8800"        "#f80c" = "#ff8800cc"        "rgb(255, 136, 0)" = "rgb(255 136 0)" = "#ff8800"
    "rgba(255, 136, 0, 1)" = "#ff8800"                    "Red" = "red" = "#ff0000" (the CSS 2.1 names)

An alpha of 1 is the opaque colour. Only exact forms are converted: hsl() (rounded on the way to RGB),
percentages, the CSS 3 named colours beyond CSS 2.1's 17, and anything else are kept as written, so two
spellings are equal only when they are surely one colour.
"""

from __future__ import annotations

import re

_NAMED = {"black": "000000", "silver": "c0c0c0", "gray": "808080", "grey": "808080", "white": "ffffff",
          "maroon": "800000", "red": "ff0000", "purple": "800080", "fuchsia": "ff00ff", "green": "008000",
          "lime": "00ff00", "olive": "808000", "yellow": "ffff00", "navy": "000080", "blue": "0000ff",
          "teal": "008080", "aqua": "00ffff", "orange": "ffa500"}
_HEX = re.compile(r"#?([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})", re.I)
_RGB = re.compile(r"rgba?\(\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*(?:[,/]\s*(0|1|0?\.\d+))?\s*\)", re.I)
_WHITESPACE = re.compile(r"\s+")


def canonical_color(value: str) -> str:
    text = value.strip()
    lowered = text.lower()
    if lowered in _NAMED:
        return "#" + _NAMED[lowered]
    if (found := _HEX.fullmatch(text)) and (text.startswith("#") or len(found[1]) in (6, 8)):
        digits = found[1].lower()
        if len(digits) <= 4:
            digits = "".join(c * 2 for c in digits)
        return "#" + (digits[:6] if digits[6:] == "ff" else digits)
    if found := _RGB.fullmatch(text):
        channels = [int(found[i]) for i in (1, 2, 3)]
        alpha = found[4]
        if all(c <= 255 for c in channels) and (alpha is None or float(alpha) == 1):
            return "#" + "".join(f"{c:02x}" for c in channels)
    return _WHITESPACE.sub(" ", text)
