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
        ("Whitespace at either end and runs of whitespace between terms are ignored", NO_FOLDS),  # a fold, not removal
        ("irs: EIN, 9 digits, the hyphen after the first two optional", Folds(ignored="-")),  # not the digits
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


@pytest.mark.parametrize(
    ("description", "folds"),
    [
        ("ticket reference, with or without the angle brackets", Folds(brackets="<>")),
        ("node id; square brackets are optional", Folds(brackets="[]")),
        ("catalogue number (a `cat` prefix is accepted, e.g. cat55012)", Folds(prefixes=("cat",))),
        ("member number, with or without the 'M-' prefix", Folds(prefixes=("M-",))),
        ("accession (e.g. 'P69905', optionally prefixed 'UniProtKB:')", Folds(prefixes=("UniProtKB:",))),
        ("west,south,east,north: four numbers separated by commas", Folds(numbers=True)),
        ("a comma-separated list of numbers", Folds(numbers=True)),
        ("ids separated by commas", NO_FOLDS),
        ("e.g. 'filled.count.soap' or '///filled.count.soap'", Folds(prefixes=("///",))),
        ("e.g. 'ab' or 'xab'", NO_FOLDS),  # a letter is not a sigil
        ("'system|code' or a comma-separated list of these (OR)", Folds(or_list=True)),
        ("comma-separated, in priority order", NO_FOLDS),
        ("keywords of the listing's title, any order; case ignored", Folds(word_bag=True)),
        ("every word must occur in the body, in any order", Folds(word_bag=True)),
        ("words are not matched in any order", NO_FOLDS),
        ("town name, matched ignoring case and diacritics", Folds(diacritics=True)),
        ("title; case and accents are ignored", Folds(diacritics=True)),
        ("name with its diacritics, e.g. 'Zürich'", NO_FOLDS),
        ("route prefix, case-sensitive; a trailing '/' is ignored", Folds(trailing="/")),
        ("host name; any trailing dot is optional", Folds(trailing=".")),
        ("GL account 'NNNN-NNN'; the hyphen is optional", Folds(ignored="-")),
        ("policy number as printed; hyphens and spaces optional", Folds(ignored=" -")),
        ("name, then a space, then the letter, e.g. 'Kepler-22 b'; otherwise exact: 'Kepler-22b' matches nothing",
         NO_FOLDS),  # a counter-example is no example of the same value
    ],
)
def test_brackets_prefixes_and_number_lists_read_from_the_description(description: str, folds: Folds) -> None:
    assert described_folds(description) == folds


def test_brackets_prefixes_and_number_lists_applied() -> None:
    ref = "ticket reference, with or without the angle brackets; otherwise case-sensitive"
    assert one("<Xy12@host>", ref) == one(" Xy12@host ", ref) == "Xy12@host"
    assert one("<xy12@host>", ref) != one("Xy12@host", ref)  # the rest is still case-sensitive
    assert one("<Xy12@host", ref) == "<Xy12@host"  # a pair, not one bracket
    cat = "catalogue number (a `cat` prefix is accepted, e.g. cat55012)"
    assert one("cat55012", cat) == one("CAT55012", cat) == one("55012", cat) == "55012"
    assert one("catalog7", cat) != one("alog7", cat)  # a letter after it: not the prefix
    assert one("cat55013", cat) != one("55012", cat)
    words = "e.g. 'filled.count.soap' or '///filled.count.soap'"
    assert one("///index.home.raft", words) == one("index.home.raft", words) != one("///index.home.rafts", words)
    codes = "a code or a comma-separated list of codes (OR)"
    assert one("b2, a1,b2", codes) == one("a1,b2", codes) != one("a1,b3", codes)
    accession = "UniProtKB accession (e.g. 'P69905', optionally prefixed 'UniProtKB:')"
    assert one("UniProtKB:P04637", accession) == one("P04637", accession) != one("UniProtKB:P04638", accession)
    box = "west,south,east,north: four numbers separated by commas (spaces allowed)"
    assert one("13.080, 52.330,-0.50,+52.670", box) == one("13.08,52.33,-0.5,52.67", box) == "13.08,52.33,-0.5,52.67"
    assert one("013.08,0052.33,1,2", box) == "13.08,52.33,1,2"
    assert one("13,08,52,33", box) != one("13.08,52.33", box)  # decimal commas: other numbers, not these
    assert one("13.08,52.33", "version list separated by commas") == "13.08,52.33"  # "1.10" is not "1.1"
    assert one("1.10,2.0", "release versions, comma-separated") != one("1.1,2", "release versions, comma-separated")


def test_words_in_any_order_are_sorted_unless_the_value_has_query_syntax() -> None:
    bag = "words of the listing's title, any order; case is ignored"
    assert one("Blue  Vase ming", bag) == one("ming blue vase", bag) == "blue ming vase"
    assert one("blue vase", bag) != one("blue vases", bag) and one("a a b", bag) != one("a b", bag)
    for syntax in ('"blue vase" ming', "blue -vase", "blue OR vase", "title:vase blue", "(blue vase)"):
        assert one(syntax, bag) != one(" ".join(reversed(syntax.split())), bag)  # order may count: kept
    assert one("b a", "title words in the order shown") == "b a"


def test_diacritics_said_not_to_count_are_dropped() -> None:
    town = "town name, matched ignoring diacritics"
    assert one("Kīlauea", town) == one("Kilauea", town) != one("Kilauae", town)
    assert one("Kīlauea", "town name") != one("Kilauea", "town name")


def test_a_trailing_character_said_not_to_count_is_dropped() -> None:
    prefix = "route prefix, case-sensitive; a trailing '/' is ignored"
    assert one("/v1/orders/", prefix) == one("/v1/orders", prefix) != one("/v1/Orders", prefix)
    assert one("/", prefix) == "/" and one("/v1/orders//", prefix) != one("/v1/orders", prefix)  # one, not all


def test_a_leading_sigil_said_to_be_optional_is_dropped() -> None:
    handle = "account handle, case-insensitive, with or without the leading '@'"
    assert one("@Trail.Rosa", handle) == one("trail.rosa", handle) != one("trail.rosa2", handle)
    assert one("a@b", handle) == "a@b"  # only a leading one
    silent = "account handle, case-insensitive"
    assert one("@trail.rosa", silent) != one("trail.rosa", silent)


def test_numbers_and_ranges_read_as_a_set_are_merged() -> None:
    vlans = "ids and inclusive ranges, e.g. '10,20,30-35'. Read as a set of ids: order and repeats do not matter"
    assert one("20,10", vlans) == one("10, 20", vlans) == "10,20"
    assert one("10-20,15", vlans) == one("10-20", vlans) and one("202,200-201", vlans) == "200-202"
    assert one("10-20", vlans) != one("10-21", vlans) and one("30-32,10", vlans) != one("30-32", vlans)
    assert one("35-30", vlans) == "35-30"  # backwards: left as written
    pages = "page ranges to print, e.g. '1-3,5', in the order given"
    assert one("5,1-3", pages) != one("1-3,5", pages)


def test_defanged_indicators_are_refanged_where_the_description_says_so() -> None:
    said = "the indicator; defanged notation is refanged first"
    assert one("evil-cdn[.]top", said) == one("evil-cdn.top", said) != one("evil-cdn.tops", said)
    assert one("hxxps[:]//a(.)example/x", said) == "https://a.example/x"
    assert one("evil-cdn[.]top", "the indicator") == "evil-cdn[.]top"


def test_characters_said_to_be_stripped_at_a_place_are_not_dropped_everywhere() -> None:
    for said in ("YARA source. Whitespace at the very start and end of the text is stripped",
                 "spaces around the value are ignored"):
        assert described_folds(said).ignored == "", said
    assert described_folds("IBAN; spaces between the groups are ignored").ignored == " "


def test_interchangeable_separators_an_optional_written_prefix_and_zero_padded_numbers() -> None:
    bin_ = "bin address, e.g. '07-012-C-2'. '-' and '.' are interchangeable as separators"
    assert one("07.012.C.2", bin_) == one("07-012-C-2", bin_) != one("07-012-C-3", bin_)
    part = "six digits, optionally written with the prefix 'SP-' (prefix case-insensitive)"
    assert one("sp-004417", part) == one("004417", part) != one("004418", part)
    vehicles = "'AGV-' and the vehicle number; leading zeros of the number are ignored"
    assert one("AGV-007", vehicles) == one("AGV-7", vehicles) != one("AGV-70", vehicles)
    assert one("AGV-070", vehicles) == one("AGV-70", vehicles)


def test_an_arrays_description_describes_its_items() -> None:
    schema = {"type": "object", "properties": {"ids": {
        "type": "array", "items": {"type": "string"},
        "description": "vehicle ids; case-insensitive; leading zeros of the number are ignored. A set."}}}
    assert canonicalize_args({"ids": ["AGV-03", "agv-12"]}, schema) == canonicalize_args({"ids": ["agv-12", "AGV-3"]},
                                                                                          schema)


def test_spaces_around_named_characters_said_not_to_count_are_dropped_there_only() -> None:
    dn = "distinguished name; spaces around ',' and '=' are ignored"
    assert one("cn=db admins, ou=Groups", dn) == one("cn = db admins,ou=Groups", dn) == "cn=db admins,ou=Groups"
    assert one("cn=db admins", dn) != one("cn=dbadmins", dn)  # a space inside a value counts
    frames = "frames joined by '|'. Whitespace around each '|' and at either end is ignored."
    assert one("A::f | B::g", frames) == one("A::f|B::g", frames) != one("A::f|B:: g", frames)


def test_a_character_accepted_in_place_of_another_an_optional_extension_and_a_named_trailing_character() -> None:
    locale = "BCP 47 locale tag; case-insensitive; '_' is accepted in place of '-' ('pt_BR' is 'pt-BR')"
    assert one("pt_BR", locale) == one("PT-br", locale) != one("pt-PT", locale)
    benchmark = "benchmark id; case-insensitive, and '_' is read as '-'. 'mmlu' and 'mmlu-pro' differ"
    assert one("MMLU_Pro", benchmark) == one("mmlu-pro", benchmark) != one("mmlu", benchmark)
    bank = "bank name, e.g. 'SFX_Weapons'. Case-insensitive; a '.bnk' extension is optional."
    assert one("SFX_Weapons.BNK", bank) == one("sfx_weapons", bank) != one("SFX_Weapons.wem", bank)
    protein = "one-letter codes. One trailing '*' is accepted and ignored."
    assert one("MKV*", protein) == one("MKV", protein) != one("MK*V", protein)


def test_longer_prefixes_said_to_be_stripped_are_dropped_before_a_value_is_read_as_a_uri() -> None:
    hub = "repository id 'org/name', case-sensitive; a leading 'https://huggingface.co/' or 'hf.co/' is stripped"
    assert one("https://huggingface.co/org/Model-1", hub) == one("hf.co/org/Model-1", hub) == one("org/Model-1", hub)
    assert one("org/Model-1", hub) != one("org/model-1", hub)
    bucket = "bucket name (lower case); an 's3://' prefix and a trailing '/' are accepted and stripped"
    assert one("s3://ml-prod/", bucket) == one("ml-prod", bucket) == "ml-prod" != one("ml-prod2", bucket)
    assert one("s3://ml-prod/", "bucket name") == "s3://ml-prod/"  # nothing said: a URI, as written


def test_characters_a_name_is_matched_ignoring() -> None:
    names = "names are matched ignoring letter case and the characters space, '-', '.', '_' and '/'"
    assert one("MCF-7", names) == one("mcf 7", names) == one("MCF7", names) != one("MCF-8", names)


def test_separators_and_a_letter_prefix_the_examples_show_optional() -> None:
    section = ("six digits. Write it with spaces ('08 71 00'), dashes ('08-71-00') or run together ('087100'). "
               "'08 71 00' does not match '08 71 13'.")
    assert one("08-71-00", section) == one("08 71 00", section) == one("087100", section) != one("08 71 13", section)
    fcc = "e.g. 'BCG-E3091A' is 'BCGE3091A'; a '-' inside the product code is part of the product code"
    assert described_folds(fcc).ignored == ""  # said to count somewhere: not dropped everywhere
    lease = ("Lease number. Accepted as 'L-00731', 'l-731' or just the digits ('731', '00731'): the prefix is "
             "optional and not case-sensitive, and leading zeros carry no meaning.")
    assert one("l-731", lease) == one("L-00731", lease) == one("731", lease) != one("L-7310", lease)
    assert described_folds("e.g. 'L-00731' or '00731'").prefixes == ()  # a letter prefix must be said optional


def test_prefixes_named_in_capitals_or_stripped_later_and_separators_said_optional() -> None:
    meter = ("Meter serial. Leading zeros are significant. The 'MTR-' prefix printed on the faceplate may be "
             "included in any letter case; it is stripped before lookup.")
    assert one("mtr-00412977", meter) == one("00412977", meter) != one("0412977", meter)
    probe = "Probe serial, e.g. SMP-20931. The SMP- prefix is optional and case does not matter."
    assert one("smp-20931", probe) == one("20931", probe) != one("20932", probe)
    contributor = "The leading C is optional and leading zeros do not count: C004417, c4417 and 4417 are one."
    assert one("C004417", contributor) == one("4417", contributor) != one("44170", contributor)
    assert described_folds("leading zeros are not dropped").leading_zeros is False
    assert described_folds("leading zeros are not significant").leading_zeros is True
    asset = "An optional 'FA-' prefix (any case) may precede the digits, and leading zeros are dropped."
    assert one("FA-0917", asset) == one("fa-917", asset) == one("917", asset)
    employee = "Employee number, 'E' followed by six digits. The bare six digits are accepted too (004821 = E004821)."
    assert one("E004821", employee) == one("004821", employee) != one("004822", employee)
    evse = "EVSE id, e.g. DE*ABC*E1234567. The '*' separators may be omitted or written as '-'."
    assert one("DE-ABC-E1234567", evse) == one("DE*ABC*E1234567", evse) == one("DEABCE1234567", evse)
    matter = "client-matter number. The separator may be '-', '.' or '/'. Leading zeros are part of the number."
    assert one("10482.0007", matter) == one("10482/0007", matter) == one("10482-0007", matter) != one("10482-007",
                                                                                                        matter)
    code = "plan code; the compact form is accepted too (AB-1234 = AB1234)"
    assert one("AB-1234", code) == one("AB1234", code) != one("AB-1235", code)


def test_a_trailing_suffix_from_a_listed_set_is_dropped() -> None:
    names = ("Names are normalised: case and accents are ignored, and a trailing legal-form suffix (Inc, LLC, Ltd, "
             "GmbH, S.A.) is dropped")
    assert one("Hargreave Holdings Ltd", names) == one("hargreave holdings", names) != one("Hargreave", names)
    assert one("Banco Azul, S.A.", names) == one("banco azul", names)
    assert one("Holdings Ltda", names) != one("Holdings", names)  # a whole suffix only


def test_a_possessive_before_a_prefix_and_optional_zero_padding() -> None:
    block = ("Group block code, e.g. SMITH0524. Codes are sometimes written with the hotel's 'GRP-' prefix; the "
             "prefix is stripped")
    assert one("GRP-SMITH0524", block) == one("SMITH0524", block) != one("SMITH0525", block)
    vendor = ("The vendor record: 482 or 'VND-00482'. The prefix is optional and case-insensitive and zero padding is "
              "optional, so '482', 'vnd-482' and 'VND-00482' are one vendor")
    assert one("vnd-482", vendor) == one("VND-00482", vendor) == one("482", vendor) != one("VND-04820", vendor)


def test_a_prefix_that_can_be_omitted() -> None:
    key = "engagement key like AUD-2025-014. the AUD- prefix can be omitted and is not case sensitive"
    assert one("aud-2025-022", key) == one("2025-022", key) != one("2025-023", key)


def test_examples_said_to_be_two_values_and_separators_said_significant_are_kept() -> None:
    serial = ("Serial number. Case-insensitive, but dashes ARE significant here: 'PCE-KB0142' and 'PCEKB0142' are two "
              "serials.")
    assert one("PCE-KB0142", serial) != one("PCEKB0142", serial)
    fiscal = "University fiscal year. Accepted as 2026, '2026', 'FY2026' or 'fy2026'."
    assert one("FY2026", fiscal) == one("2026", fiscal) == one("fy2026", fiscal) != one("FY2025", fiscal)
    protocol = "IACUC protocol, numbered YYYY-NNNN. A leading 'IACUC-' in any case is accepted and stripped."
    assert one("iacuc-2023-0147", protocol) == one("2023-0147", protocol) != one("2023-0148", protocol)
    vehicle = "only the block(s) of this fleet number; compared numerically ('0871' = '871')"
    assert one("0871", vehicle) == one("871", vehicle) != one("8710", vehicle)
