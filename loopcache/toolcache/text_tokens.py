"""Free text -> tokens, each spelled one way: the input of the text signature.

    "233 South Wacker Drive, Chicago, Illinois"  ->  233 | s | wacker | dr | chicago | il
    "top three Python frameworks"                ->  top | 3 | python | framework(s)
    "(158 + 161) * 3"                            ->  ( | 158 | + | 161 | ) | * | 3

Kinds: `number` ("1,000" == "1000", but "3.10" != "3.1"; number words are numbers), `date` (any form canonical.py parses,
as "date:YYYY-MM-DD"), `word` (lower case; words with digits are codes: "h100", "q3", "5th"), `op`
(arithmetic and comparison signs, `!` before `=`, `~` or a word, currency signs, parentheses, and the
search operators AND / OR when written in capitals). Words are mapped through the vocabulary tables: street
words, compass points, ordinals, units, synonyms everywhere; US state names only in address position (after a
comma or before a ZIP code), so "LA" or "in" never become states; a state found there is a token of kind
`state` ("Portland, Oregon" and "Portland, OR" both end in state `or`, which is not the stop word "or").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from loopcache.toolcache.dates import canonical_date
from loopcache.toolcache.vocabulary import DIRECTIONS, NUMBER_WORDS, ORDINALS, STREET_WORDS, SYNONYMS, UNITS, US_STATES

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (rf"\b(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}"
         rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
         rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
         rf"|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{4}})\b")
_TOKEN = re.compile(
    rf"(?P<date>{_DATE})"
    r"|(?P<number>(?<![\w.])-?\d+(?:[,]\d{3})*(?:\.\d+)?(?![\w]))"
    r"|(?P<word>(?<![\w#])[a-z]#(?!\w)|[^\W_](?:[\w']*[^\W_])?|_\w+)"  # "C#", "F#" are words
    r"|(?P<op>[+*/=<>^%$€£¥()~]|!(?=[=~\w])|(?<![^\W\d_])-|\|\|?)"  # "!=", "!x"; not a closing "!"; "|" is OR
    r"|(?P<comma>[,;])",
    re.IGNORECASE,
)
_SEARCH_OPERATORS = frozenset({"AND", "OR"})  # "NOT" is read as a negation
_EVERYWHERE = (STREET_WORDS, DIRECTIONS, UNITS, SYNONYMS, ORDINALS)
_MAX_WORDS = 3  # longest multi-word spelling in the tables ("district of columbia", "miles per hour")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "number", "date", "op" or "state"
    text: str
    capitalised: bool = False  # written with a capital letter (a named entity, unless a stop word)
    after_comma: bool = False
    acronym: str = ""  # a word in capitals, two letters or more, as a code: "PAY" -> "pay", plural "LLMs" -> "llm"

    @property
    def is_code(self) -> bool:
        return self.kind == "word" and any(c.isdigit() for c in self.text)


def tokenize(text: str) -> list[Token]:
    """Pure: the tokens of `text` (already rewritten, see rewrites.py), mapped through the vocabulary."""
    raw: list[Token] = []
    after_comma = False
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "comma":
            after_comma = True
            continue
        if kind == "date":
            raw.append(Token("date", "date:" + canonical_date(token), after_comma=after_comma))
        elif kind == "number":
            raw.append(Token("number", _number(token), after_comma=after_comma))
        elif kind == "op":
            raw.append(Token("op", token, after_comma=after_comma))
        else:
            raw.append(Token("word", token.casefold(), token[:1].isupper(), after_comma, _acronym(token)))
            if token in _SEARCH_OPERATORS:
                raw[-1] = replace(raw[-1], kind="op", text=token)
        after_comma = False
    return _mapped(raw)


def _number(token: str) -> str:
    """Thousands separators dropped; decimals kept as written ("3.10" is not "3.1": versions)."""
    value = token.replace(",", "")
    return "0" if value == "-0" else value


def _acronym(token: str) -> str:
    """The code a word in capitals spells, "" for other words; an acronym's plural "LLMs" spells "llm"."""
    letters = token[:-1] if token.endswith("s") else token
    return letters.casefold() if sum(c.isalpha() for c in letters) > 1 and letters.isupper() else ""


def _mapped(tokens: list[Token]) -> list[Token]:
    tokens = [replace(t, kind="word", text="or") if t.kind == "op" and t.text == "OR" and t.after_comma else t
              for t in tokens]  # "Portland, OR" is the state
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind != "word":
            out.append(token)
            i += 1
            continue
        size, text, is_state = _longest_match(tokens, i)
        kind = "state" if is_state else "number" if text.isdigit() else "word"
        out.append(replace(token, text=text, kind=kind))
        i += size
    return out


def _longest_match(tokens: list[Token], i: int) -> tuple[int, str, bool]:
    """(how many tokens, their canonical spelling, whether a state) for the longest table entry at token i."""
    for size in range(min(_MAX_WORDS, len(tokens) - i), 0, -1):
        window = tokens[i:i + size]
        if any(t.kind != "word" for t in window):
            continue
        phrase = " ".join(t.text for t in window)
        if phrase in US_STATES and _in_address_position(tokens, i, size):
            return size, US_STATES[phrase], True
        if size == 1 and phrase in NUMBER_WORDS:
            return 1, NUMBER_WORDS[phrase], False
        for table in _EVERYWHERE:
            if phrase in table:
                return size, table[phrase], False
    return 1, tokens[i].text, False


def _in_address_position(tokens: list[Token], i: int, size: int) -> bool:
    nxt = tokens[i + size] if i + size < len(tokens) else None
    before_zip = nxt is not None and nxt.kind == "number" and len(nxt.text) == 5
    return tokens[i].after_comma or before_zip
