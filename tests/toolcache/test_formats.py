"""Formats (declared, read from the property name, or shown by the value), schema patterns, identifiers and
the text rewrites: what must agree agrees, what must differ differs. None of these values are from the
labelled pair set."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.formats import (canonical_address, canonical_period, canonical_unit, canonical_uri,
                                         infer_format, value_format)
from loopcache.toolcache.identifiers import parse_identifier, same_identifier, strip_schemes
from loopcache.toolcache.rewrites import rewrite


def prop(**schema: object) -> dict:
    return {"type": "string", **schema}


@pytest.mark.parametrize(
    ("name", "schema", "fmt"),
    [
        ("file_path", prop(), "path"), ("filePath", prop(), "path"), ("dir", prop(), "path"),
        ("profile", prop(), None), ("files", prop(), "path"), ("homepage_url", prop(), "uri"), ("start_date", prop(), "date"),
        ("update", prop(), None), ("shipping_address", prop(), "address"), ("email_address", prop(), "email"),
        ("ip_address", prop(), "ip"), ("mac_address", prop(), "mac"), ("wallet_address", prop(), None), ("fiscal_period", prop(), "period"),
        ("to_unit", prop(), "unit"), ("doi", prop(), "doi"), ("arxiv_id", prop(), "arxiv"),
        ("unit", prop(enum=["c", "f"]), None), ("query", prop(format="regex"), "regex"), ("q", prop(), None),
        ("hostname", prop(), "hostname"), ("mail_host", prop(), "hostname"), ("allowed_domains", prop(), "hostname"),
        ("expression", prop(), "arithmetic"), ("opens", prop(description="opening time, HH:MM"), "time"),
        ("calc", prop(description="an arithmetic expression"), "arithmetic"),
        ("when", prop(description="YYYY-MM-DD HH:MM"), None),
        ("isbn", prop(), "isbn"), ("phone_number", prop(), "phone"), ("mobile", prop(), "phone"),
        ("repo", prop(description="GitHub repository"), "repo"), ("repo", prop(description="owner/name"), "repo"),
        ("repo", prop(description="a local checkout"), None), ("zip_code", prop(), "postal"),
        ("code", prop(description="ICD-10-CM code"), "icd10"), ("code", prop(), None), ("swift_code", prop(), "bic"),
        ("image", prop(description="image reference, registry/repository:tag"), "image"),
        ("image", prop(description="a picture to attach"), None),
        ("platform", prop(description="os/arch to resolve in a multi-platform OCI index"), "platform"),
        ("platform", prop(description="where the app runs: web, ios or android"), None),
        ("sql", prop(), "sql"), ("sql_mode", prop(), None),
        ("step", prop(pattern="^[0-9]+(m|h|d)$"), "duration"), ("every", prop(pattern="^\\d+[smh]$"), "duration"),
        ("bar", prop(pattern="^[0-9]+(m|h|d)$", description="bar size; 1m is one month"), None),
        ("bar", prop(pattern="^[0-9]+(mo|y)$"), None), ("count", prop(pattern="^[0-9]+$"), None),
    ],
)
def test_format_from_schema_else_from_the_property_name(name: str, schema: dict, fmt: str | None) -> None:
    assert infer_format(name, schema) == fmt


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("77 Sunset Boulevard, Los Angeles, California 90028", "77 Sunset Blvd., Los Angeles, CA 90028", True),
        ("9 N Elm St Apt 3", "9 North Elm Street Apartment 3", True),
        ("40 Harbor Hwy, Portland, Oregon", "40 Harbor Highway, Portland, OR", True),
        ("9 N Elm St", "9 S Elm St", False),
        ("9 Elm St", "9 Elm Ave", False),
        ("9 Elm St Apt 3", "9 Elm St Apt 4", False),
        ("9 Elm St, Portland, OR", "9 Elm St, Portland, ME", False),
    ],
)
def test_address_format(a: str, b: str, equal: bool) -> None:
    assert (canonical_address(a) == canonical_address(b)) is equal


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Q1 2026", "Q1 2026"), ("first quarter of 2026", "Q1 2026"), ("2026 Q1", "Q1 2026"), ("1Q26", "Q1 2026"),
        ("Q1'26", "Q1 2026"), ("second half 2026", "H2 2026"), ("fiscal year 2026", "FY2026"), ("FY 26", "FY2026"),
        ("Q1 FY2026", "Q1 FY2026"), ("year to date", "year to date"),
    ],
)
def test_period_format(text: str, canonical: str) -> None:
    assert canonical_period(text) == canonical


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("kilometres", "km", True), ("Miles", "mi", True), ("°C", "celsius", True), ("degrees Fahrenheit", "°F", True),
        ("pounds", "lb", True), ("Terabytes", "TB", True), ("GB", "GiB", False), ("Mb", "MB", False),
        ("oz", "fl oz", False), ("km", "m", False),
        ("B", "bytes", True), ("b", "B", False), ("b", "bytes", False), ("M", "m", False), ("L", "litres", True),
        ("G", "g", False),
    ],
)
def test_unit_format(a: str, b: str, equal: bool) -> None:
    assert (canonical_unit(a) == canonical_unit(b)) is equal


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("Mail.Example.NET", "mail.example.net", True), ("mail.example.net.", "mail.example.net", True),
        ("xn--mnchen-3ya.example", "münchen.example", True), ("MÜNCHEN.example", "münchen.example", True),
        ("mail.example.net", "example.net", False), ("example.net", "example.nl", False),
        ("faß.example", "fass.example", False),  # IDNA 2008 keeps ß
        ("db.example.net:5432", "db.example.net", False),  # not a host name: kept as written
    ],
)
def test_hostname_format(a: str, b: str, equal: bool) -> None:
    schema = {"type": "object", "properties": {"h": prop(format="hostname")}}
    assert (canonicalize_args({"h": a}, schema) == canonicalize_args({"h": b}, schema)) is equal


def test_regex_alternation_of_plain_words_is_a_set() -> None:
    schema = {"type": "object", "properties": {"p": prop(format="regex")}}

    def spelled(value: str) -> str:
        return canonicalize_args({"p": value}, schema)["p"]

    assert spelled("WARN|ERROR|FATAL") == spelled("FATAL|WARN|ERROR")
    assert spelled("warn|WARN") == "warn|WARN"  # case counts in a regex
    assert spelled("log|login") != spelled("login|log")  # a prefix: another leftmost match
    assert spelled("a+|b") != spelled("b|a+")  # metacharacters: as written
    assert spelled("(x|y)z") == "(x|y)z"


def test_email_format_lower_cases_the_domain_only() -> None:
    schema = {"type": "object", "properties": {"to": prop(format="email")}}
    assert canonicalize_args({"to": " Kim.Lee@Example.ORG "}, schema) == {"to": "Kim.Lee@example.org"}
    assert canonicalize_args({"to": "Kim.Lee@example.org"}, schema) != canonicalize_args({"to": "kim.lee@example.org"}, schema)


def test_period_format_reorders_one_period_only() -> None:
    assert canonical_period("2026-Q2") == canonical_period("Q2 2026") == "Q2 2026"
    assert canonical_period("Q1 2025 to Q3 2026") != canonical_period("Q3 2025 to Q1 2026")
    assert canonical_period("2025 2026") == "2025 2026"


def test_period_format_reads_a_month() -> None:
    assert canonical_period("Sept 2026") == canonical_period("2026-09") == canonical_period("09/2026") == "2026-09"
    assert canonical_period("2026-09") != canonical_period("2026-W09")  # an ISO week: as written
    assert canonical_period("Sept 3 2026") == "Sept 3 2026"  # a day, not a month: as written
    assert canonical_period("2026-09") != canonical_period("2026-Q3")


def test_doi_and_arxiv_formats_drop_scheme_and_resolver() -> None:
    doi = {"type": "object", "properties": {"ref": prop(format="doi")}}
    for spelling in ("doi:10.1000/XYZ.42", "DOI: 10.1000/xyz.42", "https://doi.org/10.1000/xyz.42"):
        assert canonicalize_args({"ref": spelling}, doi) == {"ref": "10.1000/xyz.42"}
    paper = {"type": "object", "properties": {"arxiv_id": prop()}}
    for spelling in ("arXiv:2501.00001", "https://arxiv.org/pdf/2501.00001.pdf", "arxiv.org/abs/2501.00001"):
        assert canonicalize_args({"arxiv_id": spelling}, paper) == {"arxiv_id": "2501.00001"}
    assert canonicalize_args({"arxiv_id": "2501.00001v3"}, paper) != canonicalize_args({"arxiv_id": "2501.00001"}, paper)


def test_pattern_repairs_only_values_the_pattern_rejects() -> None:
    schema = {"type": "object", "properties": {
        "symbol": prop(pattern=r"^[A-Z]{1,5}$"), "code": prop(pattern=r"^[a-z]{3}\d$"), "free": prop(pattern="(")}}
    for spelling in ("$IBM", "NYSE:IBM", " IBM "):
        assert canonicalize_args({"symbol": spelling}, schema)["symbol"] == "IBM"
    assert canonicalize_args({"symbol": "IBMX2"}, schema)["symbol"] == "IBMX2"  # no repair fits: as written
    # never another case: a value in a case the pattern refuses is an invalid call (an error), not this one
    assert canonicalize_args({"symbol": "ibm"}, schema)["symbol"] == "ibm"
    assert canonicalize_args({"code": "ABC1"}, schema)["code"] == "ABC1"
    assert canonicalize_args({"free": "As Is"}, schema)["free"] == "As Is"  # a pattern Python cannot read


def test_urls_in_plain_strings_and_numbers_in_integer_fields() -> None:
    schema = {"type": "object", "properties": {"target": prop(), "n": {"type": "integer"}}}
    out = canonicalize_args({"target": "HTTPS://Example.ORG:443/A", "n": "#1,204"}, schema)
    assert out == {"n": 1204, "target": "https://example.org/A"}


def test_a_url_whose_authority_is_no_urls_is_kept_as_written() -> None:
    tokens = "http://loinc.org|8480-6,http://loinc.org|8462-4"  # a FHIR token list splits at its second "//"
    assert canonical_uri(tokens) == tokens and canonical_uri("http://loinc.org|4548-4") == "http://loinc.org|4548-4"
    assert value_format(tokens) is None and value_format("HTTPS://user@Example.org:8443/x?q") == "uri"
    assert canonical_uri("HTTPS://user@Example.ORG:8443") == "https://user@example.org:8443/"
    assert canonical_uri("http://[2001:DB8::1]:80/a") == "http://[2001:db8::1]/a"
    assert value_format("file:///etc/hosts") == "uri"


def test_identifiers() -> None:
    assert parse_identifier("NASDAQ: AAPL").scheme == "nasdaq"
    assert parse_identifier("site:example.com").scheme is None  # not an identifier scheme
    assert parse_identifier("two words") is None
    assert same_identifier("doi:10.1/ABC", "10.1/abc") is True
    assert same_identifier("isbn:123", "issn:123") is False
    assert same_identifier("123", "123") is None  # no scheme on either side: not this rule's to decide
    assert strip_schemes("see arXiv:2501.00001 and doi 10.1/x") == ("see 2501.00001 and 10.1/x",
                                                                   frozenset({"arxiv", "doi"}))


@pytest.mark.parametrize(
    ("text", "rewritten"),
    [
        ("revenue third quarter of 2026", "revenue Q3 2026"), ("3Q26 revenue", "Q3 2026 revenue"),
        ("100°F", "100 degf"), ("Washington, D.C.", "Washington, DC"), ("a 10km run", "a 10 km run"),
        ('a 24" screen', "a 24 inch screen"), ('say "hi 2" now', 'say "hi 2" now'), ("60 km/h", "60 kph"),
        ("H100 specs", "H100 specs"),
    ],
)
def test_rewrites(text: str, rewritten: str) -> None:
    assert rewrite(text) == rewritten


@pytest.mark.parametrize(
    ("fmt", "a", "b", "equal"),
    [
        ("isbn", "ISBN 1-4028-9462-7", "978-1-4028-9462-6", True),  # an ISBN-10 and its ISBN-13
        ("isbn", "ISBN-13: 9781402894626", "978 1 4028 9462 6", True),
        ("isbn", "1-4028-9462-7", "1-4028-9463-7", False),  # a bad check digit is not converted
        ("isbn", "9781402894626", "9791402894626", False),  # 979- has no ISBN-10
        ("phone", "+1 (212) 555-0199", "+12125550199", True),
        ("phone", "+33 (0)1 42 68 53 00", "0033 1 42 68 53 00", True),  # trunk (0) and 00 for +
        ("phone", "+33 1 42 68 53 00", "01 42 68 53 00", False),  # without a country code: another number
        ("phone", "+1 212 555 0199", "+1 212 555 0198", False),
        ("repo", "https://github.com/Pallets/Flask.git", "pallets/flask", True),
        ("repo", "github.com/pallets/flask/", "PALLETS/FLASK", True),
        ("repo", "pallets/flask", "pallets/click", False),
        ("repo", "https://gitlab.com/pallets/flask", "pallets/flask", False),  # another host
        ("postal", "ec1a 1bb", "EC1A1BB", True), ("postal", "530-0001", "5300001", True),
        ("postal", "EC1A 1BB", "EC1A 1BC", False),
        ("icd10", "e119", "E11.9", True), ("icd10", "E11.9", "E11.8", False),
        ("bic", "deutdeff", "DEUTDEFFXXX", True), ("bic", "DEUTDEFF", "DEUTDEFF500", False),
        ("pmid", "PMID: 29867223", "https://pubmed.ncbi.nlm.nih.gov/29867223/", True),
        ("pmid", "29867223", "29867224", False),
        ("orcid", "https://orcid.org/0000-0001-5109-3700", "0000-0001-5109-3700", True),
        ("image", "alpine", "docker.io/library/alpine:latest", True),
        ("image", "index.docker.io/grafana/grafana", "grafana/grafana:latest", True),
        ("image", "alpine:3.20", "alpine", False), ("image", "alpine:Edge", "alpine:edge", False),
        ("image", "ghcr.io/acme/app", "acme/app", False),  # another registry
        ("platform", "linux/arm64", "linux/arm64/v8", True), ("platform", "Linux/AArch64", "linux/arm64", True),
        ("platform", "linux/x86_64", "linux/amd64", True), ("platform", "linux/arm", "linux/arm/v7", True),
        ("platform", "linux/armhf", "linux/arm/v7", True), ("platform", "linux/arm/v6", "linux/arm/v7", False),
        ("platform", "linux/amd64/v2", "linux/amd64", False), ("platform", "linux/arm64", "linux/amd64", False),
        ("platform", "windows/amd64", "linux/amd64", False),
        ("ip", "2001:DB8:0:0:0:0:0:1", "2001:db8::1", True), ("ip", " 192.0.2.7", "192.0.2.7", True),
        ("ip", "[2001:db8::1]", "2001:db8::1", True), ("ip", "10.0.0.1/8", "10.0.0.1/8", True),
        ("ip", "2001:db8::1:0", "2001:db8:1::", False),  # "::" stands for other groups
        ("ip", "192.0.2.7", "192.0.2.8", False), ("ip", "::ffff:192.0.2.7", "192.0.2.7", False),
        ("ip", "010.0.0.1", "10.0.0.1", False),  # a leading zero is octal to some parsers: left as written
        ("ip", "10.0.0.1/8", "10.0.0.0/8", False),  # an interface is not its network
        ("mac", "00-1B-63-84-45-E6", "001b.6384.45e6", True), ("mac", "001B638445E6", "00:1b:63:84:45:e6", True),
        ("mac", "00:1b:63:84:45:e6", "00:1b:63:84:45:e7", False),
        ("github-ref", "Pallets/Flask#5012", "https://github.com/pallets/flask/pull/5012/", True),
        ("github-ref", "pallets/flask#5012", "github.com/pallets/flask/issues/5012", True),  # one number space
        ("github-ref", "pallets/flask#5012", "pallets/flask#5013", False),
        ("github-ref", "pallets/flask#5012", "pallets/click#5012", False),
        ("country", "USA", "us", True), ("country", "276", "DE", True), ("country", "36", "AUS", True),
        ("country", "US", "UM", False), ("country", "UK", "GB", False),  # UK is not assigned: kept
        ("mac", "70B3D57ED0041A2C", "70-B3-D5-7E-D0-04-1A-2C", True),  # an EUI-64
        ("country", "Côte d'Ivoire", "CI", True), ("country", "ivory coast", "CIV", True),
        ("country", "Bolivia", "BO", True), ("country", "Korea", "KR", False),  # two Koreas: kept as written
        ("country", "Niger", "Nigeria", False), ("country", "Guinea", "GQ", False),
        ("us-state", "Iowa", "IA", True), ("us-state", "new york", "NY", True), ("us-state", "ia", "IA", True),
        ("us-state", "Iowa", "ID", False), ("us-state", "US", "us", True), ("us-state", "Virginia", "WV", False),
        ("time", "7:30 PM", "19:30", True), ("time", "12 a.m.", "00:00", True), ("time", "12:15pm", "12:15", True),
        ("time", "7:30 AM", "19:30", False), ("time", "13 pm", "13:00", False),
        ("duration", "1m", "60s", True), ("duration", "PT1M30S", "1.5m", True), ("duration", "1500ms", "1.5s", True),
        ("duration", "1m", "1M", False), ("duration", "60", "60s", False),  # a bare number: unit not said
        ("duration", "P1D", "24h", False),  # an ISO calendar day is not always 24 hours
        ("uuid", "{7C9E6679-7425-40DE-944B-E07FC1F90AE7}", "7c9e6679742540de944be07fc1f90ae7", True),
        ("uuid", "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7", "7c9e6679-7425-40de-944b-e07fc1f90ae7", True),
        ("uuid", "7c9e6679-7425-40de-944b-e07fc1f90ae7", "7c9e6679-7425-40de-944b-e07fc1f90ae8", False),
        ("mac", "00:1b-63:84:45:e6", "00:1b:63:84:45:e6", False),  # mixed separators: not a MAC, as written
        ("court-case", "2:19-CV-812", "2:19-cv-00812", True),
        ("court-case", "1:21-cr-00310-JMF", "1:21-CR-310-jmf", True),
        ("court-case", "2:19-cv-00812", "2:19-cr-00812", False),
        ("court-case", "2:19-cv-00812", "3:19-cv-00812", False),
        ("court-case", "2:19-cv-00812", "19-cv-00812", False),  # no office: another number, kept as written
        ("court-case", "2:19-cv-00812", "2:19-cv-00812-JMF", False),
        ("geoid", "1400000US36061000100", "36061000100", True), ("geoid", "0400000us48", "48", True),
        ("geoid", "0500000US36061", "36061", True), ("geoid", "36061", "3661", False),
        ("geoid", "0500000US36061", "0500000US36062", False),
        ("geoid", "8600000US10001", "10001", False),  # a ZIP code tabulation area, not the county 10001
        ("geoid", "0400000US36061", "36061", False),  # a state level with a county's digits: as written
    ],
)
def test_standard_identifiers(fmt: str, a: str, b: str, equal: bool) -> None:
    schema = {"type": "object", "properties": {"v": prop(format=fmt)}}
    assert (canonicalize_args({"v": a}, schema) == canonicalize_args({"v": b}, schema)) is equal


@pytest.mark.parametrize(
    ("description", "fmt"),
    [
        ("phone number in E.164 ('+14155550132') or as written locally", "phone"),
        ("E.164 number of the recipient", "phone"),
        ("name or phone number of the contact to search for", None),  # names the search, not the value
        ("IPv4 address in dotted-decimal or IPv6 address", "ip"),
        ("IP address to locate", "ip"),
        ("IP range to scan, CIDR", None),
        ("MAC address (EUI-48), e.g. '00:1A:2B:3C:4D:5E'", "mac"),
        ("a single SELECT statement", "sql"), ("SQL query to explain", "sql"), ("select the statement", None),
        ("Read-only SQL to run against the warehouse", "sql"), ("the SQL dialect: ansi or bigquery", None),
        ("SQL", "sql"), ("SQL (read-only)", "sql"),
        ("YYYY-MM, the cycle that starts in that month", "period"), ("month as YYYY-MM", "period"),
        ("YYYY-MM-DD", None), ("YYYY-MM or YYYY-MM-DD", None),
        ("Branch, tag or commit to compare with", "git-rev"), ("the commit SHA", "git-rev"),
        ("commit message to search; a branch name narrows it", None), ("a tag name", None),
        ("machine name", None),
        ("5-digit county FIPS code", "geoid"), ("the tract's GEOID", "geoid"), ("FIPS 140-2 mode", None),
        ("docket number, e.g. '3:22-cv-01187'", "court-case"), ("PACER case number", "court-case"),
        ("case number, e.g. '00012345'", None),  # a support case: no court's shape
        ("ISO 3166-1 alpha-2 code or English country name", "country"), ("country name or code", "country"),
        ("country name", None), ("ZIP code or city name", None),
    ],
)
def test_format_from_a_description_that_names_the_value(description: str, fmt: str | None) -> None:
    assert infer_format("number", prop(description=description)) == fmt


@pytest.mark.parametrize(
    ("name", "description", "fmt"),
    [
        ("state", "USPS state code, state name, or 'US' for the national total", "us-state"),
        ("state", "two-letter state code", "us-state"), ("state", "issue state: open or closed", None),
        ("path_prefix", "only symbols in files under this directory", "path"),
        ("path_prefix", "S3 key prefix", None), ("prefix", "only files under this directory", None),
        ("address", "", "address"), ("address", "street address; standardised before matching", "address"),
        ("shipping_address", "single-line US address", "address"),
        ("address", "resource instance address, e.g. module.net.aws_subnet.private[0]", None),
        ("address", "account address, hex", None),
    ],
)
def test_format_from_a_name_and_its_description(name: str, description: str, fmt: str | None) -> None:
    assert infer_format(name, prop(description=description)) == fmt


def test_the_exact_format_turns_every_inferred_rule_off() -> None:
    from loopcache.toolcache.spec import with_formats
    from loopcache.toolcache.verify import verify_call

    schema = {"type": "object", "properties": {"address": prop(description="street address")}}
    exact = with_formats(schema, {"address": "exact"})
    a, b = {"address": 'u["Alice"] St'}, {"address": 'u["alice"] Street'}
    assert canonicalize_args(a, schema) == canonicalize_args(b, schema)  # read as a postal address
    assert canonicalize_args(a, exact) != canonicalize_args(b, exact)
    assert canonicalize_args({"address": " x "}, exact)["address"] == "x"  # only trimmed
    assert not verify_call(canonicalize_args(a, exact), canonicalize_args(b, exact), exact).accepted


def test_a_directory_prefix_is_a_path_and_a_key_prefix_is_not() -> None:
    schema = {"type": "object", "properties": {
        "path_prefix": prop(description="only symbols in files under this directory, relative to the root"),
        "key_prefix": prop(description="only keys that start with this prefix")}}
    same = [canonicalize_args({"path_prefix": p}, schema) for p in ("./src/web", "src/web/", "src//web")]
    assert same[0] == same[1] == same[2] != canonicalize_args({"path_prefix": "src/we"}, schema)
    assert canonicalize_args({"key_prefix": "logs/"}, schema) != canonicalize_args({"key_prefix": "logs"}, schema)


@pytest.mark.parametrize(("description", "fmt"), [
    ("RFC 3339 instant or interval 'start/end'", "date-time"), ("W3C datetime; earliest requested", "date-time"),
    ("ISO 8601 with offset; used for pricing", "date-time"), ("ISO 8601 timestamp", "date-time"),
    ("ISO 8601 duration", "duration"), ("ISO 8601", None),
])
def test_date_time_from_a_description(description: str, fmt: str | None) -> None:
    assert infer_format("when", prop(description=description)) == fmt


def test_a_date_time_interval_is_each_end_as_an_instant() -> None:
    schema = {"type": "object", "properties": {"t": prop(format="date-time")}}

    def one(value: str) -> str:
        return canonicalize_args({"t": value}, schema)["t"]

    assert one("2025-03-01T10:00:00+02:00/..") == one("2025-03-01T08:00:00Z/..") == "2025-03-01T08:00:00+00:00/.."
    assert one("2025-03-01T10:00:00+02:00/2025-03-02T00:00:00Z") != one("2025-03-01T10:00:00Z/2025-03-02T00:00:00Z")
    assert one("../..") == "../.." and one("a/b") == "a/b"


def test_a_date_time_that_may_be_written_in_epoch_milliseconds_or_seconds() -> None:
    def one(value: str, description: str) -> str:
        schema = {"type": "object", "properties": {"since": prop(description=description)}}
        return canonicalize_args({"since": value}, schema)["since"]

    ms = "created at or after: ISO 8601 date-time or milliseconds since the epoch"
    assert one("1767225600000", ms) == one("2026-01-01T00:00:00Z", ms) == one("2026-01-01T01:00:00+01:00", ms)
    assert one("1767225600001", ms) != one("2026-01-01T00:00:00Z", ms)
    seconds = "ISO 8601 date-time or Unix time"
    assert one("1767225600", seconds) == one("2026-01-01T00:00:00Z", seconds)
    assert one("1767225600", "ISO 8601 date-time") == "1767225600"  # a bare number it does not speak of


def test_date_times_without_offset_are_utc_where_the_description_says_so() -> None:
    utc = {"type": "object", "properties": {"t": prop(format="date-time", description=(
        "ISO 8601; UTC when no offset is given; a date alone means 00:00"))}}
    local = {"type": "object", "properties": {"t": prop(format="date-time")}}
    same = ("2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000", "2024-01-01T01:00:00+01:00")
    assert len({canonicalize_args({"t": t}, utc)["t"] for t in same}) == 1
    assert canonicalize_args({"t": "2024-01-01T00:00:00"}, local) != canonicalize_args({"t": "2024-01-01T00:00:00Z"},
                                                                                       local)
    assert canonicalize_args({"t": "2024-01-01T00:00:01"}, utc) != canonicalize_args({"t": "2024-01-01"}, utc)


def test_date_times_without_offset_in_the_zone_the_description_names() -> None:
    berlin = {"type": "object", "properties": {"t": prop(format="date-time", description=(
        "a time without offset is read in the helpdesk's time zone, Europe/Berlin; now when omitted"))}}
    winter, summer = ("2026-11-20T09:00:00", "2026-11-20T08:00:00Z"), ("2026-07-20T09:00:00", "2026-07-20T07:00:00Z")
    for local, utc in (winter, summer):  # CET and CEST
        assert canonicalize_args({"t": local}, berlin) == canonicalize_args({"t": utc}, berlin)
    assert canonicalize_args({"t": "2026-11-20T09:00:00"}, berlin) != canonicalize_args({"t": "2026-11-20T09:00:00Z"},
                                                                                        berlin)
    nowhere = {"type": "object", "properties": {"t": prop(format="date-time", description=(
        "a time without offset is read in Mars/Olympus"))}}  # no such zone: kept as written
    assert canonicalize_args({"t": "2026-11-20T09:00:00"}, nowhere) == {"t": "2026-11-20T09:00:00"}


def test_a_bare_number_is_seconds_where_the_description_says_so() -> None:
    step = {"type": "object", "properties": {"step": prop(description="a Prometheus duration ('30s', '1m') or a "
                                                                      "number of seconds")}}
    assert canonicalize_args({"step": "60"}, step) == canonicalize_args({"step": "1m"}, step) == {"step": "60s"}


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("#F80", "#ff8800", True), ("rgb(255, 136, 0)", "#FF8800", True), ("rgb(255 136 0)", "ff8800", True),
        ("rgba(255, 136, 0, 1)", "#ff8800ff", True), ("Red", "#f00", True), ("grey", "gray", True),
        ("#f80c", "#ff8800cc", True),
        ("#ff8800", "#ff8801", False), ("rgba(255, 136, 0, 0.5)", "#ff8800", False), ("orange", "#ff8800", False),
        ("#f80", "#f800", False),  # the fourth digit is alpha
        ("hsl(0, 100%, 50%)", "#ff0000", False),  # not converted: hsl() is rounded on the way to RGB
        ("f80", "#ff8800", False),  # three bare digits: not surely a colour
    ],
)
def test_css_colors(a: str, b: str, equal: bool) -> None:
    schema = {"type": "object", "properties": {"color": prop(description="input colour: hex or rgb() in CSS syntax")}}
    assert infer_format("color", schema["properties"]["color"]) == "color"
    assert infer_format("color", prop(description="the shirt's colour")) is None  # a product's colour: free text
    assert (canonicalize_args({"color": a}, schema) == canonicalize_args({"color": b}, schema)) is equal


def test_a_state_or_province_described_as_a_postal_abbreviation_is_a_us_state() -> None:
    said = {"type": "string", "description": "state or province, full name or postal abbreviation ('Oregon' or 'OR')"}
    assert infer_format("state_province", said) == "us-state" and infer_format("state_code", said) == "us-state"
    assert infer_format("state_province", {"type": "string"}) is None  # nothing says it is a US state
    assert infer_format("state_reason", said) is None


def test_an_email_said_to_match_without_regard_to_case_is_lower_case_whole() -> None:
    free = {"type": "object", "properties": {"host": {"type": "string", "format": "email", "description": (
        "the host's address, matched without regard to letter case")}}}
    kept = {"type": "object", "properties": {"host": {"type": "string", "format": "email"}}}
    assert canonicalize_args({"host": "Priya.Nair@Acme.com"}, free) == {"host": "priya.nair@acme.com"}
    assert canonicalize_args({"host": "Priya.Nair@Acme.com"}, kept) == {"host": "Priya.Nair@acme.com"}  # its own


def test_a_separator_the_pattern_makes_optional_between_fixed_parts_is_dropped() -> None:
    schema = {"type": "object", "properties": {
        "account": prop(pattern="^[0-9]{3}-?[0-9]{3}-?[0-9]{4}$"), "n": prop(pattern="^-?[0-9]{3}$"),
        "loose": prop(pattern="^[0-9]+-?[0-9]+$")}}
    one = lambda name, value: canonicalize_args({name: value}, schema)[name]  # noqa: E731
    assert one("account", "482-117-9035") == one("account", "4821179035") == "4821179035"
    assert one("account", "482-117-9036") != one("account", "4821179035")
    assert one("n", "-123") != one("n", "123")  # a sign, not a separator
    assert one("loose", "12-345") != one("loose", "123-45")


def test_a_host_described_as_a_name_or_an_address() -> None:
    schema = {"type": "object", "properties": {"server": prop(
        description="server to query: a DNS name (case-insensitive), an IPv4 address, or an IPv6 address")}}
    one = lambda value: canonicalize_args({"server": value}, schema)["server"]  # noqa: E731
    assert one("Time.Example.NET.") == one("time.example.net") == "time.example.net"
    assert one("2001:0db8:0000:0001:0000:0000:0000:0123") == one("2001:db8:0:1::123") != one("2001:db8:0:1::124")
    assert infer_format("server", prop(description="server name")) is None


def test_percent_encodings_in_a_url_are_normalised() -> None:
    assert canonical_uri("https://a.example/p?x=hero%2Dbanner") == canonical_uri("https://a.example/p?x=hero-banner")
    assert canonical_uri("https://a.example/a%2fb") == "https://a.example/a%2Fb"
    assert canonical_uri("https://a.example/a%2Fb") != canonical_uri("https://a.example/a/b")
    assert canonical_uri("https://a.example/p?x=a%20b") != canonical_uri("https://a.example/p?x=a b")


def test_an_ip_address_in_free_text_is_written_as_rfc_5952_does() -> None:
    schema = {"type": "object", "properties": {
        "query": prop(description="a domain name or an IPv4/IPv6 address"),
        "src": prop(description="attacker source: an IPv4/IPv6 address or a CIDR block; a bare address is its /32")}}
    one = lambda name, value: canonicalize_args({name: value}, schema)[name]  # noqa: E731
    assert one("query", "2001:0db8:85a3:0000:0000:8a2e:0370:7334") == one("query", "2001:db8:85a3::8a2e:370:7334")
    assert one("query", "2001:db8::1") != one("query", "2001:db8::2")
    assert one("src", "203.0.113.77/32") == one("src", "203.0.113.77") != one("src", "203.0.113.77/24")
    assert one("query", "203.0.113.77/32") == "203.0.113.77/32"  # no CIDR said: kept
    assert one("query", "12:30:45") == "12:30:45"  # not an address


def test_a_path_described_as_compared_case_insensitively() -> None:
    schema = {"type": "object", "properties": {"clip_path": prop(
        description="engine package path; compared case-insensitively")}}
    one = lambda value: canonicalize_args({"clip_path": value}, schema)["clip_path"]  # noqa: E731
    assert one("/Game/Hero/A_Run") == one("/game/hero/a_run") != one("/game/hero/a_walk")
