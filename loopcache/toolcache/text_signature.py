"""What a free-text argument commits to, as data the verify stage can compare.

    "Is coffee NOT good for health in Q3 2025?"  ->  TextSignature(
        anchors=(("period", "q3"), ("year", "2025")), negations=1, operators=(),
        content={"coffee", "good", "health"}, relations={("for", "health"), ("in", "q3")}, ...)

English only, deliberately small and conservative: a word the tables do not know is a content word, and
content words must match, so an unknown word can only cause a miss, never a false hit. The text is first
rewritten (rewrites.py: periods, degrees, dotted abbreviations, units glued to numbers), scheme prefixes
of identifiers are set aside (identifiers.py), and the rest is tokenised and spelled one way
(text_tokens.py, vocabulary.py). Then:

- quoted: text inside quotes, compared case-sensitively. Accents are kept everywhere: "Zürich" and "Zurich"
  may be one city, but "Serie A" (Italy) and "Série A" (Brazil) are two leagues.
- anchors: numbers, dates, codes (words with digits: "h100", "#W2378156" == "W2378156", "q3", "5th"),
  each with its type (date, period, year, number, code). The same anchors must appear, and within each type
  in the same order: "Q3 2024" == "2024 Q3", but "from 2020 to 2024" != "from 2024 to 2020".
- operators: arithmetic and comparison signs, parentheses, search operators AND / OR / `|`; when there are
  any, anchors and operators must appear in the same order ("(2 + 3) * 4" != "2 + 3 * 4"); parentheses
  around the whole text are dropped.
- currencies: $ € £ ¥ and their names ("dollars", "USD"), in order ("USD to EUR" != "EUR to USD").
- negations: not, no, never, without, none, nor, neither, cannot, "n't".
- content: words that are not stop words, plural "s" stripped; relational words (to, from, before, after,
  over, under, ...) are content, except the infinitive "to" after how/what/want/need/....
- relations: (preposition, the word it governs): "books by X" != "books about X"; a preposition missing on
  one side is fine ("population of France" == "France population").
- entities: capitalised or all-caps words ("Paris", "TX"), and US states in address position whatever
  their case ("Portland, Oregon" != "Portland, Maine", though "or" and "me" are stop words elsewhere);
  the case of the text itself does not matter.
- capitals: words written in capitals, two letters or more, as written: a code or an acronym, which
  the other side must spell the same, whatever its case ("PAY" != "PAYS", though "pays" is a plural;
  "INSTALL POSTGRES" = "install postgres"); an acronym's plural with a small "s" is the acronym
  ("LLMs" = "LLM").
- sequence: every token in order, compared only when the text has an `OR` or `|`: "python OR rust tutorial" is
  (python OR rust) tutorial, "rust tutorial OR python" is rust (tutorial OR python).
- schemes: identifier schemes named ("arXiv:"): one side naming none agrees with any.
- modifiers: search modifiers, a word, a colon and a value in one token ("in:#ops", "from:@ann",
  "repo:acme/api", "is:open"), each compared whole, case folded, in any order: "in:#ops" names one channel
  and "in:#ops-alerts" another, though their words are the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from loopcache.toolcache.identifiers import strip_schemes
from loopcache.toolcache.rewrites import rewrite
from loopcache.toolcache.text_tokens import Token, tokenize

_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|‘([^’]*)’|(?<![\w])\'([^\']*)\'(?![\w])|`([^`]*)`')
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
_PREPOSITIONS = frozenset(
    """
    of for on in at by with about from to into onto over under above below before after since until till
    between against near per than via within across through toward towards inside outside beyond behind
    during among around
    """.split()
)
_DETERMINERS = frozenset("a an the this that these those my your our their its his her".split())
_CURRENCIES = {"$": "$", "€": "€", "£": "£", "¥": "¥", "dollar": "$", "dollars": "$", "usd": "$", "euro": "€",
               "euros": "€", "eur": "€", "gbp": "£", "yen": "¥", "jpy": "¥"}
_PERIOD = re.compile(r"^(?:q[1-4]|h[12]|fy\d{4})$")
_MODIFIER = re.compile(r"(?<!\S)[A-Za-z][\w-]*:(?!//)[^\s:]\S*")


@dataclass(frozen=True, slots=True)
class TextSignature:
    """The parts of a free-text value that a cached answer must agree on (see module doc)."""

    quoted: tuple[str, ...]
    anchors: tuple[tuple[str, str], ...]  # (type, value) in order of appearance
    operators: tuple[str, ...]
    expression: tuple[str, ...]  # anchors and operators interleaved, in order
    currencies: tuple[str, ...]
    negations: int
    content: frozenset[str]
    entities: frozenset[str]
    capitals: frozenset[str]  # words written in capitals ("PAY"), not stemmed: codes and acronyms
    words: frozenset[str]
    word_sequence: tuple[str, ...]  # every word, stop words included, in order (for compounds: "set up")
    relations: frozenset[tuple[str, str]]
    schemes: frozenset[str]
    modifiers: frozenset[str]
    sequence: tuple[str, ...]  # every token's text in order (search operators included)


def text_signature(text: str) -> TextSignature:
    """Pure: the signature of one free-text value."""
    text = _unwrapped(unicodedata.normalize("NFKC", text))
    quoted = tuple(next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(text))
    bare, schemes = strip_schemes(rewrite(text))  # accents kept: "Serie A" (Italy) is not "Série A" (Brazil)
    tokens = tokenize(bare)
    anchors: list[tuple[str, str]] = []
    operators: list[str] = []
    expression: list[str] = []
    currencies: list[str] = []
    words: list[str] = []
    entities: set[str] = set()
    capitals: set[str] = set()
    negations = 0
    for i, token in enumerate(tokens):
        if token.text == "may" and _is_month(tokens, i):
            token = Token("word", "may:month", token.capitalised, token.after_comma)  # not the modal verb
        if token.text in _CURRENCIES:
            currencies.append(_CURRENCIES[token.text])
        elif token.kind == "op":
            operators.append(token.text)
            expression.append(token.text)
        elif token.kind in ("number", "date") or token.is_code:
            anchors.append((_anchor_type(token), token.text))
            expression.append(token.text)
            if token.is_code:
                words.append(token.text)
        else:
            word = token.text
            if word.endswith("n't"):
                negations += 1
                word = word[:-3]
            if word in _NEGATIONS:
                negations += 1
                continue
            if token.kind == "state" or (token.capitalised and word not in _STOPWORDS):
                entities.add(stem(word))
            if token.acronym:
                capitals.add(token.acronym)
            words.append(word)
    content = {stem(w) for i, w in enumerate(words) if _is_content(words, i)}
    return TextSignature(
        quoted=quoted, anchors=tuple(anchors), operators=tuple(operators), expression=tuple(expression),
        currencies=tuple(currencies), negations=negations, content=frozenset(content),
        entities=frozenset(entities), capitals=frozenset(capitals), words=frozenset(stem(w) for w in words),
        word_sequence=tuple(words),
        relations=_relations(tokens), schemes=schemes,
        modifiers=frozenset(m.group().rstrip(".,;!?)").casefold() for m in _MODIFIER.finditer(bare)),
        sequence=tuple(stem(t.text) if t.kind == "word" else t.text for t in tokens),
    )


def _unwrapped(text: str) -> str:
    """`text` without parentheses around all of it: "(overdue & !#Errands)" is "overdue & !#Errands"."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, char in enumerate(text):
            depth += (char == "(") - (char == ")")
            if depth == 0 and i < len(text) - 1:
                return text  # "(a) | (b)": the first group closes before the end
        text = text[1:-1].strip()
    return text


def _is_month(tokens: list[Token], i: int) -> bool:
    """"May" the month (capitalised, after a preposition, or next to a number), not "may" the verb."""
    before = tokens[i - 1] if i else None
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    return (tokens[i].capitalised or (before is not None and before.text in _PREPOSITIONS)
            or any(t is not None and t.kind == "number" for t in (before, after)))


def _anchor_type(token: Token) -> str:
    if token.kind == "date":
        return "date"
    if token.kind == "number":
        return "year" if re.fullmatch(r"(19|20)\d\d", token.text) else "number"
    return "period" if _PERIOD.match(token.text) else "code"


def _relations(tokens: list[Token]) -> frozenset[tuple[str, str]]:
    found = set()
    for i, token in enumerate(tokens):
        if token.kind != "word" or token.text not in _PREPOSITIONS:
            continue
        if token.text == "to" and i > 0 and tokens[i - 1].text in _INFINITIVE_LEADS:
            continue
        rest = [t for t in tokens[i + 1:] if t.text not in _DETERMINERS]
        governed = rest[0] if rest else None
        if governed is not None and governed.text in _CURRENCIES and len(rest) > 1 and rest[1].kind == "number":
            governed = rest[1]  # "under $1000" governs 1000, as "under 1000 dollars" does
        if governed is not None and governed.text in _CURRENCIES:
            found.add((token.text, _CURRENCIES[governed.text]))
        elif governed is not None and governed.kind != "op":
            found.add((token.text, stem(governed.text) if governed.kind == "word" else governed.text))
    return frozenset(found)


def _is_content(words: list[str], index: int) -> bool:
    word = words[index]
    if word in _STOPWORDS:
        return False
    if word == "to" and index > 0 and words[index - 1] in _INFINITIVE_LEADS:
        return False
    return not word.isdigit()


def stem(word: str) -> str:
    """Inflection only: possessive and plural endings ("libraries" -> "library", "boxes" -> "box")."""
    word = word.removesuffix("'s").removesuffix("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_LONGEST_WORD = 20
_DERIVATIONS = ("ations", "ation", "itions", "ition", "ions", "ion", "ings", "ing", "ments", "ment", "ed", "e")


def root(word: str) -> str:
    """A word without its inflection and one derivational ending ("streaming", "streamed" -> "stream";
    "pagination" -> "pagin"). Only for telling variants apart from different words: see `are_variants`."""
    word = stem(word)
    for suffix in _DERIVATIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "cancell" -> "cancel", "stopp" -> "stop"
    return word


def are_variants(a: str, b: str) -> bool:
    """Two forms of one word: roots that share at least 5 letters and differ by at most 2 at the end
    ("stream" / "streaming", "paginate" / "pagination", "convert" / "conversion", but also "train" /
    "training": so a match through variants needs more semantic similarity, see verify.py). Not variants:
    "wired" / "wireless", "log" / "logging" (too short a root), "upload" / "download", and no token longer than
    any word ("internationalization" has 20 letters): a DNA sequence one base shorter is another sequence."""
    if max(len(a), len(b)) > _LONGEST_WORD:
        return False
    ra, rb = root(a), root(b)
    if ra == rb:
        return len(ra) >= 5
    shared = len(_common_prefix(ra, rb))
    return shared >= 5 and shared >= max(len(ra), len(rb)) - 2


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
