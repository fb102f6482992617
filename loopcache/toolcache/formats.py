"""String formats: what kind of value an argument is, and that kind's one canonical spelling.

    format      canonical spelling (a value it cannot read is left as written, whitespace folded)
    path        lexical normalisation (`./`, `..`, `//`, trailing `/`), case-sensitive
    uri         scheme and host lower-cased, default port dropped; path, query, fragment as written but for
                percent-encodings ("%2D" = "-", "%2f" = "%2F": RFC 3986 6.2.2) (also `url`, `iri`);
                no scheme: the one the description says is assumed ("https is assumed"), else kept as written
    date        common unambiguous forms to ISO `YYYY-MM-DD` ("03/04/2025" is ambiguous: kept)
    date-time   ISO 8601 to `datetime.isoformat()`, in UTC when it has an offset (the same instant)
    time        time of day: "9:00" = "09:00" = "09:00:00" = "9:00 am"
    duration    Go / Prometheus units or ISO 8601's time part, in seconds: "1m" = "60s" = "PT1M" -> "60s"; a
                bare number only where the description says it counts seconds (dates.canonical_duration)
    sql         keywords upper-cased, whitespace canonical, literals untouched (sql.py)
    git-rev     a git revision, first-parent steps as `~N`: "HEAD^" = "HEAD~" = "HEAD~1" (git_revs.py)
    regex       untouched: case and whitespace are significant (an alternation of plain words, none a prefix
                of another, may be reordered: "TODO|FIXME" = "FIXME|TODO"; regexes.py)
    email       trimmed, the domain in lower case ("Ops@Example.COM" = "Ops@example.com"; the local part is
                the mailbox's own and may be case-sensitive, so it stays as written)
    hostname    DNS name: lower case, trailing dot dropped, punycode labels decoded ("xn--bcher-kva.example" =
                "bücher.example"), an IPv6 address in its place as RFC 5952 writes it; also `idn-hostname`
    arithmetic  spacing, and integer sums and products in any order (arithmetic.py); floats not reordered
    address     postal address: case and punctuation dropped, USPS abbreviations ("Parkway" = "Pkwy",
                "South" = "S"), state names = codes after a comma or before a ZIP ("Redmond, Washington")
    period      reporting period: "third quarter of 2024" = "2024 Q3" = "3Q24" -> "Q3 2024"; "first half
                of 2024" -> "H1 2024"; "fiscal year 2023" / "FY 23" -> "FY2023" ("Q3 FY2024" stays fiscal);
                one period only: "Q1 2024 - Q3 2025" is kept as written (its parts are not reordered);
                a month: "July 2024" = "2024-07" = "07/2024" -> "2024-07" ("July 4 2024" is kept)
    unit        unit of measure: "kilometres" = "km", "°F" = "fahrenheit", "lbs" = "pounds";
                "GB" != "GiB", "Mb" (megabit) is not "MB", and one letter keeps its case ("B" byte, "b" bit;
                "m" metre, "M" mega / molar)
    doi         the DOI itself, lower case (DOIs are case-insensitive): "doi:", "https://doi.org/" dropped
    arxiv       the arXiv id itself: "arXiv:", "arxiv.org/abs/", "/pdf/" dropped; a version suffix kept
    color       a CSS colour as lower-case `#rrggbb[aa]` (colors.py): "#F80" = "rgb(255, 136, 0)", "Red" = "#ff0000"
    exact       the value as written, only trimmed: no format, case, word or set rule reads it (for a field the
                inferred rules read wrongly: `formats = { address = "exact" }` in a tool's proxy config)
    isbn, phone (also `e164`, `tel`), repo, github-ref, postal, icd10, bic, pmid, orcid, image, platform, ip
                (also `ipv4`, `ipv6`), mac, country, us-state, uuid, court-case, geoid: standard_ids.py (ISBN-10 = its
                ISBN-13, E.164 phone numbers, GitHub repositories as lower-case `owner/name` and their issues as
                `owner/name#N`, postal codes, ICD-10 codes, BICs, PubMed ids, ORCID iDs, container image
                references, OCI platforms, IP addresses as RFC 5952 writes them, MAC addresses, ISO 3166-1 codes
                and English country names as alpha-2, US state names as USPS codes, UUIDs, US federal case
                numbers, Census GEOIDs as FIPS codes)

Where the schema gives no `format`, `infer_format` reads one from the property's name (its last word:
`file_path`, `dir` -> path; `url`, `href` -> uri; `date`, `start_date` -> date; `shipping_address` ->
address (where a description, if any, speaks of a street, a postal or US address, a city ...),
`email_address` -> email, `ip`, `ip_address` -> ip; `mac`, `mac_address`, `dev_eui` -> mac; `uuid`,
`guid` -> uuid; `period`, `quarter` -> period; `unit`, `to_unit` -> unit; `doi` -> doi; `arxiv_id` -> arxiv;
`email` -> email; `sql` -> sql; `rev` -> git-rev; `fips`, `geoid` -> geoid; a `state` described as a
USPS / postal / two-letter code or a code or name (also `state_province`, `state_code`) -> us-state; a
`path_prefix` described as a directory -> path;
`hostname`, `host`, `domains` -> hostname; `expression`, `formula` -> arithmetic; `isbn` -> isbn; `phone`,
`phone_number`, `mobile`, `fax` -> phone; `repo`, `repository` -> repo when the description speaks of GitHub
or `owner/name`; `postal_code`, `zip`, `postcode` -> postal; `icd10_code`, or a `code` described as ICD-10
-> icd10; `bic`, `swift_code` -> bic; `pmid`; `orcid`; `image`, `platform` -> image, platform when the
description speaks of a registry, Docker, OCI, a container or a tag) or from its description ("HH:MM" ->
time; "RFC 3339", "W3C datetime", "ISO 8601 timestamp" or "ISO 8601 with offset" -> date-time; "YYYY-MM" (no
"DD") -> period; "duration", or a `pattern` of a number and a unit letter
("^[0-9]+(m|h|d)$", not where the description speaks of months) -> duration; "SQL query", "SELECT
statement", "SQL to run ..." -> sql; "branch, tag or commit", "commit: a SHA or a revision" -> git-rev;
"arithmetic expression" -> arithmetic; one that begins by naming a phone number, E.164, an IP address or a
MAC address -> phone, ip, mac; one that offers a DNS name or an IP address -> hostname; "owner/repo#number" ->
github-ref; "ISO 3166-1 alpha-2 or alpha-3", "country code or name" -> country; "FIPS code", "GEOID" -> geoid;
a `color` / `colour` described as hex, CSS or rgb() -> color (colors.py); an example in the shape
"1:23-cv-04567", "PACER case number" -> court-case), and `value_format` from the value itself (a whole value that
is an absolute URL is a uri).
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loopcache.toolcache.arithmetic import canonical_arithmetic
from loopcache.toolcache.colors import canonical_color
from loopcache.toolcache.dates import (canonical_date, canonical_datetime, canonical_duration, canonical_time,
                                       month_number)
from loopcache.toolcache.git_revs import canonical_git_rev
from loopcache.toolcache.identifiers import parse_identifier
from loopcache.toolcache.regexes import canonical_regex
from loopcache.toolcache.rewrites import rewrite
from loopcache.toolcache.sql import canonical_sql
from loopcache.toolcache.standard_ids import (canonical_bic, canonical_country, canonical_court_case, canonical_geoid,
                                              canonical_github_ref, canonical_icd10, canonical_image, canonical_ip,
                                              canonical_isbn, canonical_mac, canonical_orcid, canonical_phone,
                                              canonical_platform, canonical_pmid, canonical_postal, canonical_repo,
                                              canonical_us_state, canonical_uuid)
from loopcache.toolcache.text_tokens import tokenize
from loopcache.toolcache.vocabulary import UNITS

_WHITESPACE = re.compile(r"\s+")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_ASSUMED_SCHEME = re.compile(r"\b(https?)(?:://)? (?:is )?(?:assumed|implied)\b"
                             r"|\bscheme (?:may|can) be (?:left out|omitted)|\bscheme (?:is )?optional\b", re.I)
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"  # one DNS label: letters, digits, inner hyphens
_HOST_LABEL = re.compile(rf"^{_LABEL}$")
_HOST_FIRST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+(?::\d+)?(?:[/?#]\S*)?$")  # a URL without its scheme
# what a URL's authority may be to be read as one: [userinfo@](host name | [IP literal])[:port]; anything else (a
# FHIR token list "http://loinc.org|8480-6,http://loinc.org|8462-4" splits at its second "//") is not a URL's
_AUTHORITY = re.compile(r"^(?:[^@/?#\s]*@)?(?:\[[0-9A-Fa-f:.]+\]|[\w.~%-]+)(?::\d+)?$")
# one-letter unit symbols, case-sensitive: "B" is a byte and "b" a bit, "m" a metre and "M" mega (kept)
_ONE_LETTER_UNITS = {"m": "m", "g": "g", "l": "l", "L": "l", "h": "h", "B": "b", "b": "bit", "W": "w", "w": "w"}


def name_words(name: str | None) -> list[str]:
    """A property name's words, lower case: "filePath" -> ["file", "path"], "time_zone" -> ["time", "zone"]."""
    return [w.lower() for w in _NAME_WORDS.findall(name)] if name else []


def canonical_path(value: str) -> str:
    """Lexical path normalisation: `./a//b/../c/` -> `a/c`. Case-sensitive; symlinks are not resolved."""
    if not value:
        return value
    normalised = posixpath.normpath(value)
    if normalised.startswith("//"):
        normalised = "/" + normalised.lstrip("/")
    return normalised


_CIDR = re.compile(r"\bCIDR\b", re.I)
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def canonical_uri(value: str) -> str:
    """Scheme and host case-insensitive (lower-cased), default port dropped, percent-encodings normalised
    (RFC 3986 6.2.2); the rest kept as written."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return value
    if not parts.scheme or not parts.netloc or not _AUTHORITY.match(parts.netloc):
        return value
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, *(_percent_normalised(part) for part in (path, parts.query, parts.fragment))))


def _percent_normalised(text: str) -> str:
    """RFC 3986 6.2.2: a percent-encoded unreserved character is that character ("%2D" = "-"), other
    percent-encodings in upper case ("%2f" = "%2F"); everything else as written."""
    def spelled(match: re.Match[str]) -> str:
        char = chr(int(match[1], 16))
        return char if char in _UNRESERVED else match[0].upper()
    return _PERCENT.sub(spelled, text)


def with_assumed_scheme(value: str, text: str) -> str:
    """A URL without a scheme ("bit.ly/3Wq8ZkT") given the one its description says is assumed ("the scheme may be
    left out (https is assumed)"): https where it names none. Anything else is returned as it is."""
    said = _ASSUMED_SCHEME.search(text)
    if not said or "://" in value or not _HOST_FIRST.match(value):
        return value
    return f"{(said[1] or 'https').lower()}://{value}"


def canonical_address(value: str) -> str:
    return " ".join(token.text for token in tokenize(rewrite(value)))


def canonical_period(value: str) -> str:
    """"third quarter of 2024" -> "Q3 2024"; a value with anything else in it is kept as written."""
    words = re.findall(r"[A-Za-z0-9]+", rewrite(value))
    as_written = _WHITESPACE.sub(" ", value).strip()
    order = {"q": 0, "h": 0, "fy": 1, "year": 2}
    parts, months = [], []
    for word in words:
        upper = word.upper()
        kind = ("q" if re.fullmatch(r"Q[1-4]", upper) else "h" if re.fullmatch(r"H[12]", upper)
                else "fy" if re.fullmatch(r"FY\d{4}", upper) else "year" if re.fullmatch(r"\d{4}", word) else None)
        month = month_number(word) or (int(word) if re.fullmatch(r"\d{1,2}", word) and 1 <= int(word) <= 12 else None)
        if kind is None and month is not None:
            months.append(month)
        elif kind is None:
            return as_written
        else:
            parts.append((order[kind], upper))
    if months:  # a month: "July 2024", "2024-07", "07/2024" -> "2024-07"; with anything else, as written
        return f"{parts[0][1]}-{months[0]:02d}" if len(months) == 1 and [k for k, _ in parts] == [2] else as_written
    if len({kind for kind, _ in parts}) != len(parts):  # two quarters, two years: a range or a list, kept
        return as_written
    return " ".join(text for _, text in sorted(parts)) if parts else as_written


def canonical_unit(value: str) -> str:
    text = _WHITESPACE.sub(" ", rewrite(value)).strip()
    if len(text) == 1:
        return _ONE_LETTER_UNITS.get(text, text)
    key = text.casefold()
    is_bits = len(text) == 2 and text[0].isupper() and text[1] == "b"  # "Mb" is a megabit
    return UNITS[key] if key in UNITS and not is_bits else text


def canonical_doi(value: str) -> str:
    found = parse_identifier(value)
    if found and found.scheme in ("doi", None) and _DOI.match(found.value):
        return found.value.lower()
    return _WHITESPACE.sub(" ", value).strip()


def canonical_arxiv(value: str) -> str:
    found = parse_identifier(value)
    return found.value.lower() if found and found.scheme in ("arxiv", None) else _WHITESPACE.sub(" ", value).strip()


def canonical_email(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if at and local else value.strip()


def ip_address_text(value: str, text: str = "") -> str | None:
    """An IPv6 address written whole as RFC 5952 does ("2001:0db8::0123" = "2001:db8::123"), and an address with
    the prefix of one host ("203.0.113.77/32", "/128") as the bare address where `text`, the description,
    speaks of CIDR blocks; None for anything else."""
    bare = value.strip().removeprefix("[").removesuffix("]")
    address, slash, length = bare.partition("/")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if not slash:
        return str(parsed) if parsed.version == 6 else None
    host = length == str(parsed.max_prefixlen)
    return str(parsed) if host and _CIDR.search(text) else None


def canonical_hostname(value: str) -> str:
    """A DNS name: lower case, no trailing dot, punycode (`xn--`) labels as Unicode; an IP address in its place
    as RFC 5952 writes it ("2001:0db8::0123" = "2001:db8::123"); else as written."""
    if ":" in value and (address := ip_address_text(value)):
        return address
    text = value.strip().rstrip(".")
    labels = text.split(".")
    if not text or not all(_HOST_LABEL.match(label) for label in labels):
        return _WHITESPACE.sub(" ", value).strip()
    decoded = []
    for label in labels:
        if label.lower().startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return _WHITESPACE.sub(" ", value).strip()
        decoded.append(label.lower())
    return ".".join(decoded)


FORMATS: dict[str, Callable[[str], str]] = {
    "path": canonical_path,
    "uri": canonical_uri, "url": canonical_uri, "iri": canonical_uri,
    "date": canonical_date,
    "date-time": canonical_datetime,
    "time": canonical_time,
    "duration": canonical_duration,
    "sql": canonical_sql,
    "git-rev": canonical_git_rev,
    "regex": canonical_regex,
    "email": canonical_email,
    "hostname": canonical_hostname, "idn-hostname": canonical_hostname,
    "arithmetic": canonical_arithmetic,
    "address": canonical_address,
    "period": canonical_period,
    "unit": canonical_unit,
    "doi": canonical_doi,
    "arxiv": canonical_arxiv,
    "isbn": canonical_isbn,
    "phone": canonical_phone, "e164": canonical_phone, "tel": canonical_phone,
    "repo": canonical_repo, "github-ref": canonical_github_ref,
    "postal": canonical_postal, "postal-code": canonical_postal,
    "icd10": canonical_icd10,
    "bic": canonical_bic,
    "pmid": canonical_pmid,
    "orcid": canonical_orcid,
    "image": canonical_image,
    "platform": canonical_platform,
    "ip": canonical_ip, "ipv4": canonical_ip, "ipv6": canonical_ip,
    "mac": canonical_mac,
    "uuid": canonical_uuid,
    "country": canonical_country,
    "us-state": canonical_us_state,
    "court-case": canonical_court_case,
    "geoid": canonical_geoid,
    "color": canonical_color, "colour": canonical_color,
    "exact": str.strip,
}

# property-name word -> format (the name's last word; see the module doc)
_NAME_HINTS: dict[str, str] = {
    "path": "path", "file": "path", "filepath": "path", "filename": "path", "dir": "path", "directory": "path",
    "folder": "path", "paths": "path", "files": "path", "filenames": "path", "dirs": "path", "directories": "path",
    "folders": "path", "url": "uri", "uri": "uri", "href": "uri", "link": "uri", "urls": "uri", "uris": "uri",
    "links": "uri", "date": "date", "dates": "date",
    "address": "address", "period": "period", "quarter": "period", "unit": "unit", "units": "unit",
    "doi": "doi", "email": "email", "hostname": "hostname", "host": "hostname", "hosts": "hostname",
    "domain": "hostname", "domains": "hostname", "expression": "arithmetic", "formula": "arithmetic",
    "isbn": "isbn", "phone": "phone", "telephone": "phone", "mobile": "phone", "msisdn": "phone", "fax": "phone",
    "repo": "repo", "repository": "repo", "zip": "postal", "zipcode": "postal", "postcode": "postal",
    "postalcode": "postal", "bic": "bic", "swift": "bic", "pmid": "pmid", "orcid": "orcid", "image": "image",
    "platform": "platform", "ip": "ip", "ipv4": "ip", "ipv6": "ip", "mac": "mac", "eui": "mac", "uuid": "uuid",
    "guid": "uuid",
    "sql": "sql", "rev": "git-rev", "fips": "geoid", "geoid": "geoid",
}
# two-word names whose last word ("code", "id") says nothing by itself
_NAME_PAIRS: dict[tuple[str, str], str] = {
    ("postal", "code"): "postal", ("zip", "code"): "postal", ("post", "code"): "postal", ("phone", "number"): "phone",
    ("bic", "code"): "bic", ("swift", "code"): "bic", ("pubmed", "id"): "pmid", ("orcid", "id"): "orcid",
    ("ip", "address"): "ip", ("mac", "address"): "mac",
}
_DESCRIBED = ((re.compile(r"\bRFC ?3339\b|\bW3C date-?time\b|\bISO[ -]?8601 (?:date-?time|instant|timestamp)\b"
                          r"|\bISO[ -]?8601,? with (?:an? |its )?(?:UTC )?offset\b", re.IGNORECASE), "date-time"),
              (re.compile(r"^(?!.*(?:YYYY|date)).*\bHH:MM\b", re.IGNORECASE), "time"),
              (re.compile(r"^(?!.*\bDD\b).*\bYYYY-MM\b"), "period"),  # a month, not a date
              (re.compile(r"\bduration\b", re.IGNORECASE), "duration"),
              (re.compile(r"^(?!.*\bmessage)(?:.*\b(?:branch|tag|ref)(?:e?s)?\b.*\bcommit\b"
                          r"|.*\bcommit\b.*\b(?:SHA(?:-1)?|revision|ref)\b)", re.IGNORECASE), "git-rev"),
              (re.compile(r"\bSQL (?:query|statement)\b|\bSELECT (?:statement|query)\b"
                          r"|^\W*(?:(?i:an?|the|read-only)\s+)*SQL(?:\s+(?:to|that|for)\b|\s*[(,:;.]|\s*$)"), "sql"),
              (re.compile(r"\b(?:arithmetic|math(?:ematical)?) expression", re.IGNORECASE), "arithmetic"),
              # a description that begins by naming the value (not "name or phone number to search for")
              (re.compile(r"^\W*(?:(?:an?|the|international|mobile)\s+)?(?:(?:tele)?phone number\b|E\.164\b)",
                          re.IGNORECASE), "phone"),
              (re.compile(r"^\W*(?:an?\s+|the\s+)?IP(?:v4|v6)?\b(?!\s+(?:range|block|network))"), "ip"),
              (re.compile(r"^\W*(?:an?\s+|the\s+)?(?:MAC\b|EUI-(?:48|64)\b)"), "mac"),
              # a host given by its name or its address: "a DNS name (...), an IPv4 address, or an IPv6 address"
              (re.compile(r"\b(?:DNS|host) ?names?\b.{0,200}\bIP(?:v[46])?(?: management)? address"
                          r"|\bIP(?:v[46])? address.{0,200}\b(?:DNS|host) ?names?\b", re.IGNORECASE), "hostname"),
              (re.compile(r"\bowner/(?:repo|name)#", re.IGNORECASE), "github-ref"),
              (re.compile(r"\bFIPS code\b|\bGEOID\b"), "geoid"),
              # a federal docket number, by its shape in the example ("e.g. '1:23-cv-04567'") or its name
              (re.compile(r"\b\d:\d{2}-[a-z]{2,4}-\d{3,5}\b|\b(?:PACER|federal court) case number", re.I),
               "court-case"),
              # a country code the tool takes as alpha-2, alpha-3 or numeric alike, or a code or a name
              (re.compile(r"\bISO[ -]?3166(?:-1)?\b(?=[^.;]*\balpha-2\b)(?=[^.;]*\b(?:alpha-3|numeric)\b)"
                          r"|(?=[^.;]*\bcountry\b)[^.;]*\b(?:code|alpha-2)\b[^.;]*\bor\b[^.;]*\bname\b"
                          r"|(?=[^.;]*\bcountry\b)[^.;]*\bname\b[^.;]*\bor\b[^.;]*\b(?:code|alpha-2)\b",
                          re.IGNORECASE), "country"))
# a schema pattern that is a whole number and one Go duration unit: "^[0-9]+(m|h|d)$", "^\\d+[smh]$"
_DURATION_UNIT = r"(?:ms|[smhdw])"
_DURATION_PATTERN = re.compile(rf"\^?(?:\[0-9\]|\\d)\+(?:\((?:\?:)?{_DURATION_UNIT}(?:\|{_DURATION_UNIT})*\)"
                               rf"|\[[smhdw]+\])\$?")
_MONTHS = re.compile(r"\bmonths?\b", re.I)
_STATE_CODE = re.compile(r"\b(?:USPS|postal|two-letter|2-letter)\b|\bcode\b[^.;]*\bname\b|\bname\b[^.;]*\bcode\b",
                         re.I)
_DIRECTORY = re.compile(r"\b(?:directory|folder)\b", re.I)
_CSS_COLOR = re.compile(r"\bhex\b|#rgb|#rrggbb|\bCSS\b|\brgba?\(", re.I)
_GITHUB_REPO = re.compile(r"\bgithub\b|\bowner/(?:name|repo)\b", re.I)
_IMAGE_REF = re.compile(r"\bdocker\b|\boci\b|\bregistry\b|\bcontainer\b|\btag\b", re.I)
_ICD10 = re.compile(r"\bICD-?10\b", re.I)
_POSTAL = re.compile(r"\b(?:street|postal|mailing|shipping|billing|delivery|home|US|UK|geocod\w*|city|zip|"
                     r"post ?code|house)\b", re.I)
_NOT_POSTAL = frozenset({"email", "mail", "ip", "mac", "wallet", "memory", "server", "host", "bind", "listen",
                         "remote", "local", "web", "contract", "network", "broadcast"})


def infer_format(name: str | None, schema: Mapping[str, Any]) -> str | None:
    """The property's format: the schema's `format` if it has one (known or not), else one read from the
    property name, else None. Enums and consts are not formatted (they have their own spellings)."""
    declared = schema.get("format")
    if isinstance(declared, str):
        return declared
    if "enum" in schema or "const" in schema:
        return None
    description = schema.get("description")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and _DURATION_PATTERN.fullmatch(pattern) and not (
            isinstance(description, str) and _MONTHS.search(description)):
        return "duration"  # "^[0-9]+(m|h|d)$": a number of minutes, hours or days ("m" is not a month)
    for pattern, fmt in _DESCRIBED if isinstance(description, str) else ():
        if pattern.search(description):
            return fmt
    words = name_words(name)
    if not words:
        return None
    if "arxiv" in words:
        return "arxiv"
    text = description if isinstance(description, str) else ""
    if tuple(words[-2:]) in _NAME_PAIRS:
        return _NAME_PAIRS[tuple(words[-2:])]  # type: ignore[index]
    if (any(w.startswith("icd") for w in words) or words[-1] == "code") and (_ICD10.search(text) or "icd10" in words):
        return "icd10"
    hint = _NAME_HINTS.get(words[-1])
    if (hint == "repo" and not _GITHUB_REPO.search(text)) or (hint in ("image", "platform")
                                                              and not _IMAGE_REF.search(text)):
        return None
    if words[-1] in ("color", "colour") and _CSS_COLOR.search(text):
        return "color"
    if "state" in words and words[-1] in ("state", "province", "code") and _STATE_CODE.search(text):
        return "us-state"  # `state`, `state_province`, `state_code`
    if words[-1] == "prefix" and words[-2:-1] in (["path"], ["dir"], ["directory"]) and _DIRECTORY.search(text):
        return "path"  # a directory, not a string prefix: "./src/" = "src"
    if hint == "address" and {"email", "mail"}.intersection(words):
        return "email"
    if hint == "address" and (_NOT_POSTAL.intersection(words) or (text.strip() and not _POSTAL.search(text))):
        return None  # a described address that is not said to be a street's: a Terraform or a wallet address
    return hint


def value_format(value: str) -> str | None:
    """A format the value shows by itself: an absolute URL is a uri (not where its authority is no URL's)."""
    text = value.strip()
    if not _URL.match(text):
        return None
    authority = text.partition("://")[2].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return "uri" if not authority or _AUTHORITY.match(authority) else None


