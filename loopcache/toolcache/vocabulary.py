"""Spellings that mean the same thing, as data: each table maps a lower-case word to its canonical token.

Used by the address / unit canonicalisers (formats.py) and by the free-text signature (text_signature.py).
Every table is deliberately small and only holds spellings with one meaning in the contexts they apply to:

  STREET_WORDS  USPS street suffixes and unit words ("Parkway" / "Pkwy" -> "pkwy"; "Street", "St", "Saint"
                -> "st"; "Mount" / "Mt" -> "mt"; "Fort" / "Ft" -> "ft")
  DIRECTIONS    compass points ("South" / "S" -> "s", "Northwest" / "NW" -> "nw")
  US_STATES     state names -> postal codes; applied only in address position (after a comma or before a
                ZIP code: "Redmond, Washington 98052"), never to a bare word ("LA", "in", "or", "me")
  COUNTRY_NAMES common English country names ISO 3166 does not use -> alpha-2 ("Ivory Coast" -> "ci")
  NUMBER_WORDS  "zero".."twenty", the tens, as digits (a number word is an anchor like a digit)
  ORDINALS      "first".."twentieth" -> "1st".."20th"
  UNITS         unit names -> symbols ("kilometres" -> "km", "pounds" / "lbs" -> "lb", "gigabyte" -> "gb");
                "GB" and "GiB" stay different, and so do "oz" and "fl oz"
  SYNONYMS      a few words spelled two ways ("versus" -> "vs", "Hauptbahnhof" -> "Hbf")
  ID_SCHEMES    identifier schemes and exchanges whose `scheme:` prefix names what follows
                ("arXiv:2405.16444", "doi:10.1145/...", "NASDAQ:MSFT")
"""

from __future__ import annotations

from types import MappingProxyType


def _table(groups: dict[str, tuple[str, ...]]) -> MappingProxyType[str, str]:
    """{canonical: (spellings...)} -> a read-only {spelling: canonical}, the canonical spelling included."""
    table: dict[str, str] = {}
    for canonical, spellings in groups.items():
        for spelling in (canonical, *spellings):
            table[spelling] = canonical
    return MappingProxyType(table)


STREET_WORDS = _table({
    "st": ("street", "str", "saint"), "ave": ("avenue", "av", "avn"), "blvd": ("boulevard", "boul"),
    "rd": ("road",), "dr": ("drive", "drv"), "ln": ("lane",), "ct": ("court",), "cir": ("circle",),
    "pl": ("place",), "plz": ("plaza",), "pkwy": ("parkway", "pky", "parkwy"), "hwy": ("highway",),
    "ter": ("terrace", "terr"), "sq": ("square",), "trl": ("trail",), "expy": ("expressway",),
    "fwy": ("freeway",), "aly": ("alley",), "cres": ("crescent",), "hts": ("heights",), "jct": ("junction",),
    "ctr": ("center", "centre"), "ste": ("suite",), "apt": ("apartment",), "bldg": ("building",),
    "mt": ("mount",), "ft": ("fort",), "pt": ("point",),
})

DIRECTIONS = _table({
    "n": ("north",), "s": ("south",), "e": ("east",), "w": ("west",),
    "ne": ("northeast",), "nw": ("northwest",), "se": ("southeast",), "sw": ("southwest",),
})

US_STATES = _table({
    "al": ("alabama",), "ak": ("alaska",), "az": ("arizona",), "ar": ("arkansas",), "ca": ("california",),
    "co": ("colorado",), "ct": ("connecticut",), "de": ("delaware",), "dc": ("district of columbia",),
    "fl": ("florida",), "ga": ("georgia",), "hi": ("hawaii",), "id": ("idaho",), "il": ("illinois",),
    "in": ("indiana",), "ia": ("iowa",), "ks": ("kansas",), "ky": ("kentucky",), "la": ("louisiana",),
    "me": ("maine",), "md": ("maryland",), "ma": ("massachusetts",), "mi": ("michigan",),
    "mn": ("minnesota",), "ms": ("mississippi",), "mo": ("missouri",), "mt": ("montana",),
    "ne": ("nebraska",), "nv": ("nevada",), "nh": ("new hampshire",), "nj": ("new jersey",),
    "nm": ("new mexico",), "ny": ("new york",), "nc": ("north carolina",), "nd": ("north dakota",),
    "oh": ("ohio",), "ok": ("oklahoma",), "or": ("oregon",), "pa": ("pennsylvania",), "ri": ("rhode island",),
    "sc": ("south carolina",), "sd": ("south dakota",), "tn": ("tennessee",), "tx": ("texas",),
    "ut": ("utah",), "vt": ("vermont",), "va": ("virginia",), "wa": ("washington",),
    "wv": ("west virginia",), "wi": ("wisconsin",), "wy": ("wyoming",),
})

# common English names of countries whose ISO 3166-1 name is another (place_names.py reads ISO's own names)
COUNTRY_NAMES = _table({
    "us": ("united states",), "gb": ("united kingdom", "great britain", "britain"), "ru": ("russia",),
    "kr": ("south korea",), "kp": ("north korea",), "vn": ("vietnam",), "la": ("laos",), "sy": ("syria",),
    "ci": ("ivory coast",), "cz": ("czech republic",), "tr": ("turkey",), "bn": ("brunei",),
    "cv": ("cape verde",), "sz": ("swaziland",), "mk": ("macedonia",), "va": ("vatican", "vatican city"),
    "cd": ("dr congo", "democratic republic of the congo"), "cg": ("republic of the congo",), "mm": ("burma",),
    "tl": ("east timor",),
})

NUMBER_WORDS = MappingProxyType({
    word: str(value) for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split())
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
     "ninety": "90"})

ORDINALS = MappingProxyType({
    word: f"{value}{'th' if 10 < value < 14 else {1: 'st', 2: 'nd', 3: 'rd'}.get(value % 10, 'th')}"
    for value, word in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
        "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), start=1)
})

UNITS = _table({
    "km": ("kilometer", "kilometers", "kilometre", "kilometres", "kms"),
    "m": ("meter", "meters", "metre", "metres"), "cm": ("centimeter", "centimeters", "centimetre", "centimetres"),
    "mm": ("millimeter", "millimeters", "millimetre", "millimetres"), "mi": ("mile", "miles"),
    "ft": ("feet", "foot"), "inch": ("inches",), "yd": ("yard", "yards", "yds"),
    "kg": ("kilogram", "kilograms", "kilo", "kilos", "kgs"), "g": ("gram", "grams", "gramme", "grammes"),
    "mg": ("milligram", "milligrams"), "lb": ("lbs", "pound", "pounds"), "oz": ("ounce", "ounces"),
    "l": ("liter", "liters", "litre", "litres"), "ml": ("milliliter", "milliliters", "millilitre", "millilitres"),
    "gal": ("gallon", "gallons"),
    "b": ("byte", "bytes"), "kb": ("kilobyte", "kilobytes"), "mb": ("megabyte", "megabytes"),
    "gb": ("gigabyte", "gigabytes"), "tb": ("terabyte", "terabytes"),
    "w": ("watt", "watts"), "kw": ("kilowatt", "kilowatts"), "kwh": ("kilowatt hour", "kilowatt hours"),
    "ms": ("millisecond", "milliseconds", "msec"), "h": ("hour", "hours", "hr", "hrs"),
    "min": ("minute", "minutes", "mins"), "sec": ("seconds", "secs"), "d": ("day", "days"),
    "wk": ("week", "weeks", "wks"),
    "degc": ("celsius", "centigrade"), "degf": ("fahrenheit",),  # "°C", "degrees F": rewrites.py
    "mph": ("miles per hour",), "kph": ("kmh", "kilometers per hour", "kilometres per hour"),  # "km/h": rewrites.py
})

SYNONYMS = _table({"vs": ("versus",), "hbf": ("hauptbahnhof",)})

ID_SCHEMES = frozenset({
    "arxiv", "doi", "isbn", "issn", "pmid", "pmcid", "orcid", "hdl", "urn",
    "nasdaq", "nyse", "amex", "nysearca", "lse", "tsx", "asx", "hkex", "otc",
})
