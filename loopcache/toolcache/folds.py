"""What an argument's description says does not count in its value: characters ignored, leading zeros, padding.

    "Spaces, dots and hyphens are ignored"                -> those characters are dropped ("0403.170.701")
    "leading zeros optional"                              -> an all-digit value loses them ("0000320193"), and
                                                             the number after a name's last separator ("AGV-07")
    "shorter GTINs are ... zero-filled to 14 digits"      -> an all-digit value is padded to that width
    examples "e.g. 'DEHAM' or 'DE HAM'"                   -> spaces are dropped (hyphens likewise: "'08-71-00' or
                                                             '087100'"), unless a sentence says that character is
                                                             part of the value
    examples "e.g. 'Alan Turing' or 'Alan_Turing'"        -> underscores are spaces
    "with or without the angle brackets"                  -> one enclosing pair dropped ("<a@b>" = "a@b")
    "an `id` prefix is accepted (e.g. id389801252)",
    "optionally prefixed 'UniProtKB:'",
    "with or without the leading '@'",
    "a leading 'https://hf.co/' or 'hf.co/' is stripped",
    examples "('v7' = '7')",
    "'L-00731' or just the digits ('00731'): the prefix is optional"
                                                          -> the prefix dropped where the rest follows it as in
                                                             the example: a letter prefix before a digit
    "four numbers separated by commas"                    -> each number in its shortest spelling ("13.080" = "13.08")
    examples "e.g. 'a.b.c' or '///a.b.c'"                 -> the punctuation before the other example is optional
    "a comma-separated list of these (OR)"                -> its items sorted, repeats dropped ("b,a" = "a,b")
    "words of the title, any order"                       -> its words sorted, where no quote, operator or
                                                             bracket makes their order count ("b a" = "a b")
    "matched ignoring case and diacritics"                -> accents dropped ("Kīlauea" = "Kilauea")
    "a trailing '/' is ignored"                           -> one trailing "/" dropped ("/v1/orders/" = "/v1/orders")
    "ids and inclusive ranges ... read as a set"          -> the numbers they cover, merged ("20,10-12,11" = "10-12,20")
    "defanged notation is refanged"                       -> "evil[.]top" = "evil.top", "hxxps://" = "https://"
    "'-' and '.' are interchangeable"                     -> one of them: "07.012.C.2" = "07-012-C-2"
    "spaces around ',' and '=' are ignored"               -> those spaces dropped: "cn=a, ou=b" = "cn=a,ou=b"
    "'_' is accepted in place of '-'", "'_' is read as '-'" -> "pt_BR" = "pt-BR"
    "a '.bnk' extension is optional"                      -> "SFX.bnk" = "SFX"
    "a trailing legal-form suffix (Inc, Ltd, GmbH) is dropped" -> "Hargreave Holdings Ltd" = "Hargreave Holdings"
    "The '*' separators may be omitted or written as '-'" -> both dropped: "DE-ABC-E1" = "DE*ABC*E1" = "DEABCE1"
    "The separator may be '-', '.' or '/'"                -> one of them: "10482.0007" = "10482-0007"
    "(202503 = 2025-03)"                                  -> spellings equated outside quotes are examples too

The schema's author states these of the tool; nothing is dropped that the description does not name. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CHARACTER_WORDS = {"spaces": " ", "space": " ", "whitespace": " ", "dots": ".", "periods": ".", "full stops": ".",
                    "hyphens": "-", "dashes": "-", "commas": ",", "slashes": "/", "underscores": "_", "hyphen": "-",
                    "dash": "-", "dot": ".", "comma": ",", "slash": "/", "underscore": "_"}
_WORD = "|".join(sorted(map(re.escape, _CHARACTER_WORDS), key=len, reverse=True))
_IGNORED = re.compile(rf"\b((?:{_WORD})(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:{_WORD}))*)\b[^.;]{{0,40}}?"
                      r"\b(?:(?:are|is) )?(?:ignored|optional|not significant|stripped|removed|may be omitted)\b",
                      re.I)
_LEADING_ZEROS = re.compile(r"\bleading zeros?\b([^.;]{0,20}?)\b(?:are |is )?(?:optional|ignored|not significant"
                            r"|(?:carry|have) no meaning|meaningless|dropped|stripped|removed|do not count)"
                            r"|\b(?:with or without|optional) leading zeros\b|\bzero[- ]padding (?:is )?optional\b"
                            r"|\bcompared (?:numerically|as numbers)\b",
                            re.I)
_ZERO_FILL = re.compile(r"\b(?:zero-filled|zero-padded|(?:left-)?padded with zeros?) to (\d{1,2}) digits\b", re.I)
_QUOTED = re.compile(r"['\"‘“]([^'\"’”]+)['\"’”]")
_BRACKET_PAIRS = {"angle": "<>", "square": "[]", "curly": "{}", "round": "()"}
_BRACKETS = re.compile(r"\b(?:with or without (?:the |its )?(?:surrounding |enclosing )?(angle|square|curly|round) "
                       r"brackets|(angle|square|curly|round) brackets (?:are |is )?optional)\b", re.I)
_TICKED = r"[`'\"‘“]([^`'\"’”\s]{1,12})[`'\"’”]"
_PREFIX = re.compile(rf"\b(?:an?|the) {_TICKED} prefix (?:is )?"
                     r"(?:accepted|optional|allowed|may be (?:left out|omitted))"
                     rf"|\b(?:with or without|optional) (?:an? |the )?{_TICKED} prefix"
                     rf"|\bwith or without (?:an? |the )?leading {_TICKED}"
                     rf"|\b(?:an?|the) leading {_TICKED} (?:is )?(?:optional|ignored|not significant|accepted)"
                     rf"|\boptionally prefixed (?:with |by )?{_TICKED}"
                     rf"|\boptionally (?:written |given )?with (?:the |a |an )?prefix {_TICKED}", re.I)
# "a leading 'https://huggingface.co/' or 'hf.co/' is accepted and stripped", "an 's3://' prefix and a trailing '/'
# are accepted and stripped": one or two longer prefixes, each dropped
_QUOTED_START = r"[`'\"‘“]([^`'\"’”\s]{1,40})[`'\"’”]"
_LEADING = re.compile(rf"\b(?:an?|the) (?:leading {_QUOTED_START}(?: or {_QUOTED_START})?(?: prefix)?"
                      rf"|{_QUOTED_START}(?: or {_QUOTED_START})? prefix)"
                      r"(?: and an? trailing ['\"`‘“]\S['\"`’”])? (?:is |are )?(?:accepted and )?"
                      r"(?:stripped|removed)\b", re.I)
# "a '-' inside the product code is part of the product code", "'-' and '_' are different characters": it counts
_COUNTS = re.compile(r"(?:['\"‘“`]\S['\"’”`]|\b(?:hyphens?|dashes?|spaces?)\b)[^.;]{0,60}?\b(?:is|are) "
                     r"(?:part of|significant|different|kept)\b|\b(?:hyphens?|dashes?|spaces?) (?:matter|count)\b",
                     re.I)
_COUNTED = {"-": ("-", "hyphen", "dash"), " ": (" ", "space")}  # a character and the words for it
# "Accepted as 'L-00731' or just the digits ('00731'): the prefix is optional": the letters the examples show
_UNNAMED_PREFIX = re.compile(r"\bprefix\b(?! (?:is |are )?(?:required|mandatory))", re.I)
# "The 'MTR-' prefix printed on the faceplate may be included in any letter case; it is stripped", "The SMP- prefix
# is optional", "with an optional Z prefix": a prefix named in quotes, or in capitals, said optional or stripped
_CAPITALS = r"((?-i:[A-Z]{1,6})[-_:#]?)"
_NAMED_PREFIX = re.compile(rf"\b(?:an?|the)(?: [\w-]+'s)? (?:optional )?(?:{_TICKED}|{_CAPITALS}) prefix\b"
                           r"(?:(?! not\b)[^.]){0,80}?"
                           r"\b(?:stripped|removed|optional|(?:may|can) be (?:left out|left off|omitted))\b"
                           # "A leading 'IACUC-' in any case is accepted and stripped"
                           rf"|\b(?:an?|the) leading (?:{_TICKED}|{_CAPITALS})(?:(?! not\b)[^.]){{0,40}}?"
                           r"\b(?:stripped|removed|optional)\b"
                           rf"|\b(?:an? |the )?optional {_CAPITALS} prefix\b"
                           # "The leading C is optional", "The 'D' may be left off" (before the digits)
                           rf"|\bthe (?:leading )?(?:{_TICKED}|{_CAPITALS}) "
                           r"(?:is optional|may be (?:left off|omitted))\b", re.I)
_LETTER_PREFIX = re.compile(r"[A-Za-z]{1,4}[-_: ]?")
# "'v7' = '7'": an example equated with itself less a short letter prefix before a digit
_EQUATED = re.compile(r"['\"‘“]([A-Za-z]{1,4})(\d[^'\"’”\s]*)['\"’”]\s*=\s*['\"‘“]\2['\"’”]")
_NUMBER_LIST = re.compile(r"\b(?:numbers|coordinates|decimals) separated by commas\b"
                          r"|\bcomma[- ]separated (?:list of )?(?:numbers|coordinates|decimals)\b", re.I)
# "a comma-separated list of these (OR)", "comma-separated; any of them matches"
_OR_LIST = re.compile(r"\bcomma[- ]separated\b[^.;]*(?:\(OR\)|\bOR\b|\bany of\b|\bone of\b)", re.I)
# a clause that says the words match in any order ("every word must occur in the title, in any order")
_WORD_BAG = re.compile(r"(?:^|[.;])[^.;]*?(?:\b(?:key)?(?:words?|terms?)\b[^.;]*\bany order\b"
                       r"|\bany order\b[^.;]*\b(?:key)?(?:words?|terms?)\b)[^.;]*", re.I)
_DIACRITICS = re.compile(r"\b(?:diacritics|accents)\b[^.;]{0,20}?\b(?:ignored|optional|insignificant|not significant)\b"
                         r"|\bignor\w* [^.;]{0,30}?\b(?:diacritics|accents)\b|\b(?:diacritic|accent)[- ]insensitive\b",
                         re.I)
_TRAILING = re.compile(r"\b(?:an?|the|any|one) trailing (?:(/|\.|slash|slashes|dot|dots|period)\b|['\"`‘“](\S)['\"`’”])"
                       r" (?:is |are )?(?:accepted and )?(?:ignored|optional|not significant|stripped|removed)\b", re.I)
_TRAILING_CHARACTERS = {"/": "/", ".": ".", "slash": "/", "slashes": "/", "dot": ".", "dots": ".", "period": "."}
# a string list of numbers and ranges read as a set: "ids and inclusive ranges, e.g. '10,20,30-35' ... a set"
_RANGE_SET = re.compile(r"\branges?\b(?=.{0,120}?\b(?:a set\b|set of\b|any order\b|order\b[^.;]{0,40}"
                        r"\b(?:does not|do not|doesn't|don't) matter))", re.I)
_RANGE_LIST = re.compile(r"\s*\d+(?:\s*-\s*\d+)?(?:\s*,\s*\d+(?:\s*-\s*\d+)?)*\s*")
# "Defanged notation is refanged", "defanged input accepted": the indicator conventions of security tools
_REFANG = re.compile(r"\b(?:refang(?:ed|s)?|defanged)\b", re.I)
_DEFANGED = ((re.compile(r"\[\.\]|\(\.\)|\[dot\]|\(dot\)", re.I), "."), (re.compile(r"\[:\]"), ":"),
             (re.compile(r"\[@\]|\[at\]", re.I), "@"), (re.compile(r"\bhxxp", re.I), "http"))
# "'-' and '.' are interchangeable (as separators)": two characters that are one
_CHAR = r"['\"‘“`](\S)['\"’”`]"  # one character in quotes, captured
_INTERCHANGEABLE = re.compile(rf"{_CHAR} and {_CHAR} are interchangeable\b", re.I)
# "'_' is accepted in place of '-'": the second is the spelling kept
_IN_PLACE_OF = re.compile(rf"{_CHAR} (?:is )?(?:(?:accepted|allowed|may be used) (?:in place|instead) of"
                          rf"|(?:read|treated|taken) as) {_CHAR}", re.I)
# "a '.bnk' extension is optional": that ending dropped
_EXTENSION = re.compile(r"\b(?:an?|the) ['\"‘“`](\.\w{1,8})['\"’”`] (?:extension|suffix) (?:is )?"
                        r"(?:optional|ignored|may be (?:left out|omitted))\b", re.I)
# "spaces around ',' and '=' are ignored", "whitespace around each '|' ... is ignored": around those characters
_AROUND = re.compile(r"\b(?:spaces?|whitespace) (?:around|on either side of|before and after) (?:each |every )?"
                     r"((?:['\"‘“`]\S['\"’”`](?:,? (?:and|or) |, )?)+)[^.;]{0,30}?\b(?:are |is )?"
                     r"(?:ignored|optional|stripped|removed|insignificant)\b", re.I)
_IGNORING_CHARACTERS = re.compile(r"\bignoring (?:letter case and )?the characters ([^.;]+)", re.I)
_TICKED_CHAR = re.compile(_CHAR)
_CHAR_BARE = r"['\"‘“`]\S['\"’”`]"
# "The '*' separators may be omitted or written as '-'": both dropped
_OMITTED_CHAR = re.compile(rf"{_CHAR} (?:separators?|characters?) (?:may|can) be (?:omitted|left out|dropped)"
                           rf"(?: or (?:written|replaced) (?:as|by|with) {_CHAR})?", re.I)
# "The separator may be '-', '.' or '/'": one of them
_SEPARATOR_CHOICE = re.compile(rf"\bseparators? (?:may|can) be ((?:{_CHAR_BARE}(?:,? (?:or|and) |, ))+{_CHAR_BARE})",
                               re.I)
# "a trailing legal-form suffix (Inc, Inc., LLC, Ltd, GmbH, S.A., plc) is dropped": one of those at the end
_SUFFIX_LIST = re.compile(r"\btrailing [\w -]{0,30}?\bsuffix(?:es)? \(([^()]{1,120})\) (?:is |are )?"
                          r"(?:dropped|ignored|stripped|removed)\b", re.I)
# "Accepted as 2026, '2026', 'FY2026' or 'fy2026'": spellings of one value
_ACCEPTED_AS = re.compile(r"\baccepted as ((?:[^,;.]{1,30}, )+[^,;.]{1,30} or [^,;.]{1,30})(?=[.;]|$)", re.I)
# "(202503 = 2025-03)", "(004821 = E004821)": two spellings equated outside quotes
_EQUATED_BARE = re.compile(r"(?:^|[\s(])([\w./-]{2,30}) ==? ([\w./-]{2,30})(?=[\s),;]|\.(?:\s|$)|$)")
_ZERO_PADDED_END = re.compile(r"(?<=[-_ #:/A-Za-z])0+(?=\d+$)")  # "AGV-07", "CH07": the number's zeros
_PLACED = re.compile(r"\b(?:at (?:the )?(?:very )?(?:start|end|beginning|ends?|either end|both ends)|around|"
                     r"on either side|before and after|runs? of)\b", re.I)
# "'PCE-KB0142' and 'PCEKB0142' are two serials": examples of values that differ
_DISTINCT = re.compile(r"\bare (?:two|different|distinct|separate)\b", re.I)
_NEGATED = re.compile(r"\bnot\b|n't\b|\bnothing\b|\bnever\b|\bno\b", re.I)
# a word that makes the characters a place or a run of them, not every one ("runs of whitespace ... are ignored")
_END_WORD = re.compile(r"\b(?:trailing|leading|final|last|first|runs of|extra|surrounding|repeated|multiple|"
                       r"consecutive|redundant)\s+$", re.I)
_WORD_SYNTAX = re.compile(r"[\"'`()\[\]{}|:*!<>=~^]|(?:^|\s)[-+]|\b(?:AND|OR|NOT|NEAR)\b")
_NUMBERS = re.compile(r"\s*[-+]?\d+(?:\.\d+)?(?:\s*,\s*[-+]?\d+(?:\.\d+)?)*\s*")


@dataclass(frozen=True, slots=True)
class Folds:
    ignored: str = ""  # characters dropped from the value
    leading_zeros: bool = False  # an all-digit value loses its leading zeros
    width: int = 0  # an all-digit value shorter than this is padded with zeros
    underscores_are_spaces: bool = False
    brackets: str = ""  # an enclosing pair of these brackets dropped ("<>")
    prefixes: tuple[str, ...] = ()  # optional prefixes, the first one the value starts with dropped (in any case)
    numbers: bool = False  # a comma-separated list of numbers: each in its shortest spelling
    or_list: bool = False  # a comma-separated list of alternatives: its items in any order, repeats free
    word_bag: bool = False  # words that match in any order: sorted, unless the value has query syntax
    diacritics: bool = False  # accents do not count: dropped
    trailing: str = ""  # this character at the end does not count: dropped
    ranges: bool = False  # a list of numbers and inclusive ranges, a set: merged ("20,10-12,11" = "10-12,20")
    refang: bool = False  # defanged indicators are refanged: "evil[.]top" = "evil.top", "hxxps" = "https"
    same_as: str = ""  # pairs of characters that are one: ".-" ("'-' and '.' are interchangeable"): "." -> "-"
    spaced: str = ""  # characters the spaces around which do not count ("spaces around ',' and '=' are ignored")
    extension: str = ""  # an optional file extension, dropped in any case ("a '.bnk' extension is optional")
    suffixes: tuple[str, ...] = ()  # words one of which at the end is dropped, in any case ("Ltd", "GmbH")

    def __bool__(self) -> bool:
        return bool(self.ignored or self.leading_zeros or self.width or self.underscores_are_spaces
                    or self.brackets or self.prefixes or self.numbers or self.or_list or self.word_bag
                    or self.diacritics or self.trailing or self.ranges or self.refang or self.same_as
                    or self.spaced or self.extension or self.suffixes)

    def apply(self, value: str) -> str:
        if self.refang:
            value = _refanged(value)
        if self.brackets and len(value) > 2 and value[0] == self.brackets[0] and value[-1] == self.brackets[1]:
            value = value[1:-1].strip()
        value = self.without_prefix(value)
        if self.ranges and _RANGE_LIST.fullmatch(value):
            value = _merged_ranges(value)
        if self.numbers and _NUMBERS.fullmatch(value):
            value = ",".join(_shortest_number(number.strip()) for number in value.split(","))
        if self.or_list and "," in value:
            value = ",".join(sorted({item.strip() for item in value.split(",") if item.strip()}))
        if self.underscores_are_spaces:
            value = " ".join(value.replace("_", " ").split())
        if self.extension and len(value) > len(self.extension) and value.casefold().endswith(self.extension.casefold()):
            value = value[:-len(self.extension)]
        if self.trailing and len(value) > 1 and value.endswith(self.trailing):
            value = value[:-1]
        value = next((value[:-len(suffix)].rstrip(" ,") for suffix in self.suffixes
                      if len(value) > len(suffix) and value.casefold().endswith(suffix.casefold())
                      and value[-len(suffix) - 1] in " ,"), value)
        if self.diacritics:
            value = unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", value)
                                                         if not unicodedata.combining(c)))
        if self.word_bag and not _WORD_SYNTAX.search(value):
            value = " ".join(sorted(value.split(), key=lambda word: (word.casefold(), word)))
        if self.ignored:
            value = value.translate({ord(c): None for c in self.ignored})
        if self.spaced:
            value = re.sub(rf"\s*([{re.escape(self.spaced)}])\s*", r"\1", value)
        if self.same_as:
            value = value.translate({ord(self.same_as[i + 1]): self.same_as[i] for i in range(0, len(self.same_as), 2)})
        if value.isdigit() and self.leading_zeros:
            value = value.lstrip("0") or "0"
        elif self.leading_zeros:  # "AGV-07" = "AGV-7": the number after the name's last separator
            value = _ZERO_PADDED_END.sub("", value)
        if value.isdigit() and len(value) < self.width:
            value = value.zfill(self.width)
        return value

    def without_prefix(self, value: str) -> str:
        """`value` less the first of the optional prefixes it starts with."""
        found = next((prefix for prefix in self.prefixes if _has_prefix(value, prefix)), "")
        return value[len(found):]


NO_FOLDS = Folds()


def described_folds(description: str) -> Folds:
    """The folds an argument's description states (module doc); NO_FOLDS when it states none."""
    if not description:
        return NO_FOLDS
    ignored = {_CHARACTER_WORDS[word.lower()] for match in _IGNORED.finditer(description)
               if not _END_WORD.search(description[:match.start()])  # "a trailing dot": that one only
               and not _PLACED.search(match[0])  # "whitespace at the start and end is stripped": those only
               for word in re.findall(_WORD, match[1], re.I)}
    for listed in _IGNORING_CHARACTERS.finditer(description):  # "ignoring the characters space, '-' and '/'"
        ignored.update(_TICKED_CHAR.findall(listed[1]))
        ignored.update(_CHARACTER_WORDS[word.lower()] for word in re.findall(_WORD, listed[1], re.I))
    examples = {match[1].strip() for match in _QUOTED.finditer(description)
                if not _NEGATED.search(clause := _clause_around(description, match.start(), match.end()))
                and not _DISTINCT.search(clause)}
    examples.update(spelling for match in _EQUATED_BARE.finditer(description) for spelling in match.groups())
    for said in _OMITTED_CHAR.finditer(description):
        ignored.update(char for char in said.groups() if char)
    spaced = [example for example in examples if " " in example]
    folded = {example.casefold() for example in examples}
    for separator in " -":  # "'08 71 00', '08-71-00' or '087100'": the separator is optional, unless said to count
        if any(example.replace(separator, "").casefold() in folded for example in examples if separator in example) \
                and not any(word in said.group(0).lower() for said in _COUNTS.finditer(description)
                            for word in _COUNTED[separator]):
            ignored.add(separator)
    fill = _ZERO_FILL.search(description)
    brackets = _BRACKETS.search(description)
    prefix = _PREFIX.search(description)
    prefixes = [next(filter(None, prefix.groups()))] if prefix else []
    prefixes += [shown for match in _LEADING.finditer(description) for shown in match.groups() if shown]
    prefixes += [match[1] for match in _EQUATED.finditer(description)]
    equated = [match.groups() for match in _EQUATED_BARE.finditer(description)]  # "(004821 = E004821)"
    for listed in _ACCEPTED_AS.finditer(description):  # "accepted as 2026, 'FY2026' or 'fy2026'"
        spellings = [item.strip(" '\"‘’“”") for item in re.split(r", (?:or )?| or ", listed[1])]
        equated += [(a, b) for a in spellings for b in spellings if a != b]
    prefixes += [long[:-len(short)] for pair in equated
                 for long, short in (pair, pair[::-1])
                 if long.endswith(short) and short[:1].isdigit() and re.fullmatch(r"[A-Za-z]{1,4}", long[:-len(short)])]
    prefixes += [shown for match in _NAMED_PREFIX.finditer(description) for shown in match.groups() if shown]
    if not prefixes:  # examples "'filled.count.soap' or '///filled.count.soap'": the "///" is optional
        prefixes = [long[:-len(short)] for long in examples for short in examples
                    if long.endswith(short) and 1 <= len(long) - len(short) <= 4 and short[:1].isalnum()
                    and not any(c.isalnum() or c.isspace() for c in long[:-len(short)])][:1]
    if not prefixes and _UNNAMED_PREFIX.search(description):  # "'L-00731' or '00731': the prefix is optional"
        prefixes = [long[:-len(short)] for long in examples for short in examples if long.endswith(short)
                    and short[:1].isdigit() and _LETTER_PREFIX.fullmatch(long[:-len(short)])][:1]
    return Folds(ignored="".join(sorted(ignored)),
                 leading_zeros=any(not _NEGATED.search(said[1] or "") for said in _LEADING_ZEROS.finditer(description)),
                 width=int(fill[1]) if fill else 0,
                 underscores_are_spaces=any(example.replace(" ", "_") in examples for example in spaced),
                 brackets=_BRACKET_PAIRS[(brackets[1] or brackets[2]).lower()] if brackets else "",
                 prefixes=tuple(sorted(set(prefixes), key=len, reverse=True)),
                 numbers=bool(_NUMBER_LIST.search(description)),
                 or_list=bool(_OR_LIST.search(description)),
                 word_bag=any(not _NEGATED.search(clause[0]) for clause in _WORD_BAG.finditer(description)),
                 diacritics=bool(_DIACRITICS.search(description)),
                 trailing=_trailing(_TRAILING.search(description)),
                 ranges=bool(_RANGE_SET.search(description)), refang=bool(_REFANG.search(description)),
                 same_as="".join([pair[0] + pair[1] for pair in _INTERCHANGEABLE.findall(description)]
                                 + [pair[1] + pair[0] for pair in _IN_PLACE_OF.findall(description)]
                                 + [chars[0] + other for said in _SEPARATOR_CHOICE.finditer(description)
                                    for chars in [_TICKED_CHAR.findall(said[1])] for other in chars[1:]]),
                 suffixes=tuple(sorted({item.strip() for said in _SUFFIX_LIST.finditer(description)
                                        for item in said[1].split(",") if item.strip()}, key=len, reverse=True)),
                 extension=extension[1] if (extension := _EXTENSION.search(description)) else "",
                 spaced="".join(sorted({char for match in _AROUND.finditer(description)
                                        for char in _TICKED_CHAR.findall(match[1])})))


def _clause_around(text: str, start: int, end: int) -> str:
    """The clause of `text` holding `text[start:end]`: from the last ";", ": " or ". " before it to the next after it
    (an example in "'Kepler-22b' matches nothing" is a counter-example)."""
    before = max(text.rfind(mark, 0, start) for mark in ("; ", ": ", ". "))
    after = [found for mark in ("; ", ": ", ". ") if (found := text.find(mark, end)) >= 0]
    return text[before + 1: min(after) if after else len(text)]


def _has_prefix(value: str, prefix: str) -> bool:
    """Whether `value` starts with an optional `prefix` (any case) before something: after a letter or digit, the
    rest must start with the other kind ("id389801252" has the prefix "id"; "identity" does not)."""
    if len(value) <= len(prefix) or value[:len(prefix)].casefold() != prefix.casefold():
        return False
    last, first = prefix[-1], value[len(prefix)]
    return not ((last.isalpha() and first.isalpha()) or (last.isdigit() and first.isdigit()))


def _trailing(said: re.Match[str] | None) -> str:
    """The character a "trailing '/' is ignored" names: a word for one ("slash") or the quoted character."""
    if said is None:
        return ""
    return _TRAILING_CHARACTERS.get(said[1].lower(), said[1]) if said[1] else said[2]


def _refanged(value: str) -> str:
    """A defanged indicator written plainly: "[.]", "(.)", "[dot]" -> "."; "[:]" -> ":"; "[@]" -> "@"; "hxxp" ->
    "http"."""
    for pattern, plain in _DEFANGED:
        value = pattern.sub(plain, value)
    return value


def _merged_ranges(value: str) -> str:
    """Numbers and inclusive ranges as the set they cover, in order, overlapping or adjacent ranges joined:
    "30-32, 10,31" = "10,30-32"; a range written backwards ("35-30") is left as it is."""
    spans = []
    for item in value.split(","):
        low, _, high = (part.strip() for part in item.partition("-"))
        spans.append((int(low), int(high or low)))
    if any(low > high for low, high in spans):
        return value
    merged: list[list[int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in merged)


def _shortest_number(number: str) -> str:
    """A decimal number in its shortest spelling: no "+", leading or trailing fraction zeros ("-0.50" = "-0.5")."""
    sign = "-" if number.startswith("-") else ""
    whole, _, fraction = number.lstrip("+-").partition(".")
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    spelled = whole + ("." + fraction if fraction else "")
    return spelled if spelled == "0" else sign + spelled
