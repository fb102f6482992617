"""What a free-text argument commits to, as data the verify stage can compare.

    "Is coffee NOT good for health in 2025?"  ->  TextSignature(
        quoted=(), anchors=("2025",), operators=(), negations=1,
        content={"coffee", "good", "health"}, entities=set(), words={...all words...})

English only, deliberately small and conservative: a word the tables below do not know is a content word,
and content words must match, so an unknown word can only cause a miss, never a false hit.
- anchors: numbers ("1,000" == "1000"), dates (any form canonical.py parses -> ISO), codes (words mixing
  letters and digits: "H100", "#W2378156" == "W2378156", "Q2"), in their order of appearance.
- quoted: text inside quotes, compared case-sensitively.
- negations: not, no, never, without, none, nor, "n't", cannot.
- operators: arithmetic and comparison symbols and currency signs, in order ("2 + 2" != "2 * 2").
- content: words that are not stop words, plural "s" stripped; relational words (to, from, before, after,
  over, under, ...) are content ("flights to Paris" != "flights from Paris"), except the infinitive "to"
  after how/what/want/need/....
- entities: capitalised or all-caps words ("Paris", "TX"); the case of the text itself does not matter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from loopcache.toolcache.canonical import canonical_date

_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|‘([^’]*)’|(?<![\w])\'([^\']*)\'(?![\w])|`([^`]*)`')
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
    rf"|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{4}})\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(
    r"(?P<number>(?<![\w.])-?\d+(?:[,]\d{3})*(?:\.\d+)?(?![\w]))"
    r"|(?P<word>[^\W_](?:[\w']*[^\W_])?|_\w+)"
    r"|(?P<op>[+*/=<>^%$€£¥]|(?<![^\W\d_])-)"
)
_NEGATIONS = frozenset({"not", "no", "never", "without", "none", "nor", "cannot", "neither"})
_STOPWORDS = frozenset(
    """
    a an the of for on in at by with about as and or is are was were be been being do does did doing
    i me my we our you your he she it its they them their this that these those there here what which who
    whom whose when where why how can could should would will shall may might must please some any
    """.split()
)
_INFINITIVE_LEADS = frozenset(
    "how what where when why which who want wants need needs way ways learn trying going able".split()
)


@dataclass(frozen=True, slots=True)
class TextSignature:
    """The parts of a free-text value that a cached answer must agree on (see module doc)."""

    quoted: tuple[str, ...]
    anchors: tuple[str, ...]
    operators: tuple[str, ...]
    negations: int
    content: frozenset[str]
    entities: frozenset[str]
    words: frozenset[str]


def text_signature(text: str) -> TextSignature:
    """Pure: the signature of one free-text value."""
    text = unicodedata.normalize("NFKC", text)
    quoted = tuple(next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(text))
    anchors: list[str] = []
    operators: list[str] = []
    words: list[str] = []
    entities: set[str] = set()
    negations = 0
    position = 0
    for date_match in _DATE.finditer(text):
        negations += _scan(text[position:date_match.start()], anchors, operators, words, entities)
        anchors.append("date:" + canonical_date(date_match.group()))
        position = date_match.end()
    negations += _scan(text[position:], anchors, operators, words, entities)
    content = {_stem(w) for i, w in enumerate(words) if _is_content(words, i)}
    return TextSignature(
        quoted=quoted,
        anchors=tuple(anchors),
        operators=tuple(operators),
        negations=negations,
        content=frozenset(content),
        entities=frozenset(_stem(e) for e in entities),
        words=frozenset(_stem(w) for w in words),
    )


def _scan(text: str, anchors: list[str], operators: list[str], words: list[str], entities: set[str]) -> int:
    negations = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if match.lastgroup == "number":
            anchors.append(_number(token))
        elif match.lastgroup == "op":
            operators.append(token)
        else:
            lower = token.casefold()
            if lower.endswith("n't"):
                negations += 1
                lower = lower[:-3]
            if lower in _NEGATIONS:
                negations += 1
                continue
            if any(c.isdigit() for c in lower):
                anchors.append(lower)
            if token[:1].isupper() and lower not in _STOPWORDS:
                entities.add(lower)
            words.append(lower)
    return negations


def _number(token: str) -> str:
    value = token.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value if value not in ("-0", "") else "0"


def _is_content(words: list[str], index: int) -> bool:
    word = words[index]
    if word in _STOPWORDS:
        return False
    if word == "to" and index > 0 and words[index - 1] in _INFINITIVE_LEADS:
        return False
    return not word.isdigit()


def _stem(word: str) -> str:
    word = word.removesuffix("'s").removesuffix("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
