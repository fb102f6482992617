"""Identifiers with one standard spelling that agents write several ways: ISBNs, phone numbers, repositories.

    format   canonical spelling (a value that does not parse is left as written, whitespace folded)
    isbn     the ISBN-13 digits: "ISBN 0-306-40615-2" = "978-0-306-40615-7" = "9780306406157" (an ISBN-10
             is the same book as its 978- ISBN-13; the check digit must be right, else nothing is converted)
    phone    E.164 when the number has a country code ("+", or "00" before it): separators dropped,
             "+44 (0)20 7946 0958" = "+442079460958" (the "(0)" is the trunk prefix, not dialled from abroad);
             a number without a country code only loses its separators (it is never equal to one with a code)
    repo     a GitHub repository: "https://github.com/Owner/Name.git" = "owner/name" (GitHub names ignore case)
    github-ref  an issue or pull request of a GitHub repository: "Owner/Name#12" = "https://github.com/owner/name/
             pull/12" = ".../issues/12" (one number space for both) -> "owner/name#12"
    postal   a postal code: upper case, no inner space or hyphen ("sw1a 1aa" = "SW1A1AA", "100-0001" =
             "1000001": within one country's format the separator carries nothing)
    icd10    an ICD-10 code: upper case, the dot after the category ("j45909" = "J45.909")
    bic      a BIC (SWIFT code): upper case; an 8-character BIC is its head office, "XXX" ("BNPAFRPP" =
             "BNPAFRPPXXX")
    pmid     a PubMed id: "PMID: 123", "https://pubmed.ncbi.nlm.nih.gov/123/" = "123"
    orcid    an ORCID iD: "https://orcid.org/0000-0002-1825-0097" = "0000-0002-1825-0097"
    image    a container image reference: Docker Hub's defaults written out ("nginx" = "docker.io/library/
             nginx:latest"; "index.docker.io" is docker.io); repository and tag case as written (a repository
             in upper case is invalid, a tag is case-sensitive)
    platform an OCI platform `os/arch[/variant]` as containerd normalises it: lower case, arch aliases
             ("x86_64" = "amd64", "aarch64" = "arm64"), default variants ("linux/arm64/v8" = "linux/arm64",
             "linux/arm" = "linux/arm/v7")
    ip       an IP address as RFC 5952 writes it (Python's `ipaddress`): IPv6 in lower case with the longest
             run of zero groups as "::" ("2606:4700:4700:0:0:0:0:1111" = "2606:4700:4700::1111"); an
             interface keeps its prefix length; an IPv4-mapped IPv6 address stays IPv6; IPv4 with leading
             zeros (octal to some parsers) is left as written
    country  an ISO 3166-1 country code, for a tool that takes alpha-2, alpha-3 and numeric codes alike: the
             alpha-2 code ("USA" = "us" = "840" -> "US"); a code ISO does not assign ("UK", "EL") is kept; an
             English country name is its code ("Côte d'Ivoire" = "Ivory Coast" = "CI": place_names.py)
    us-state a US state as its USPS code: "Iowa" = "ia" = "IA"; another two-letter code ("US") in capitals
    uuid     a UUID in lower case with its hyphens, from braces, `urn:uuid:` or 32 bare hex digits
    mac      a MAC address (EUI-48 / EUI-64) as lower-case colon-separated octets, from any of its usual
             spellings ("00-1B-63-84-45-E6" = "001b.6384.45e6" = "00:1b:63:84:45:e6")
    court-case  a US federal court case number `office:yy-type-sequence` as PACER reads it: type in lower case,
             the sequence padded to five digits, judges' initials kept ("1:23-CV-4567" = "1:23-cv-04567";
             "1:23-cr-04567" is a criminal case, "23-cv-04567" names no office: kept as written)
    geoid    a US Census FIPS code: a full GEOID of a state, county, tract, block group or place
             ("0500000US06075") is its FIPS digits ("06075") where the summary level fits their length; a
             code with a leading zero dropped ("6075") is another code
"""

from __future__ import annotations

import ipaddress
import re

from loopcache.toolcache.place_names import country_of_name, us_state_of_name

_WHITESPACE = re.compile(r"\s+")
_ISBN_PREFIX = re.compile(r"^\s*ISBN(?:-1[03])?\s*:?\s*", re.I)
_ISBN_BODY = re.compile(r"^[0-9](?:[ -]?[0-9]){8}[ -]?[0-9Xx]$|^[0-9](?:[ -]?[0-9]){12}$")
_PHONE = re.compile(r"^(?:\+|00)?[0-9 ().\-/]+$")
_TRUNK = re.compile(r"^\+(\d{1,3})\s*\(0\)")
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_REPO_URL = re.compile(rf"^(?:https?://)?(?:www\.)?github\.com/({_OWNER}/[A-Za-z0-9._-]+?)(?:\.git)?/?$", re.I)
_REPO = re.compile(rf"^{_OWNER}/[A-Za-z0-9._-]+$")
_GITHUB_REF = re.compile(rf"^(?:(?:https?://)?(?:www\.)?github\.com/)?({_OWNER}/[A-Za-z0-9._-]+?)"
                         r"(?:#|/(?:pull|issues)/)([0-9]+)/?$", re.I)

_COURT_CASE = re.compile(r"^(\d):(\d{2})-([a-z]{2,4})-(\d{1,5})((?:-[a-z]{1,4})*)$", re.I)
# summary level -> the length of its FIPS code (state, county, tract, block group, place)
_GEOID_LEVELS = {"040": 2, "050": 5, "140": 11, "150": 12, "160": 7}
_GEOID = re.compile(r"^(\d{3})0000US(\d+)$", re.I)


def _folded(value: str) -> str:
    return _WHITESPACE.sub(" ", value).strip()


def canonical_isbn(value: str) -> str:
    body = _ISBN_PREFIX.sub("", value).strip()
    if not _ISBN_BODY.match(body):
        return _folded(value)
    digits = re.sub(r"[ -]", "", body).upper()
    if len(digits) == 10:
        if sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits)) % 11:
            return _folded(value)
        digits = "978" + digits[:9]
        return digits + str(-sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(digits)) % 10)
    if sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(digits)) % 10:
        return _folded(value)
    return digits


def canonical_phone(value: str) -> str:
    text = value.strip()
    if not _PHONE.match(text) or sum(c.isdigit() for c in text) < 3:
        return _folded(value)
    if text.startswith("00"):
        text = "+" + text[2:]
    text = _TRUNK.sub(r"+\1", text)
    return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)


def canonical_github_ref(value: str) -> str:
    found = _GITHUB_REF.match(value.strip())
    return f"{found[1].lower()}#{int(found[2])}" if found else _folded(value)


def canonical_repo(value: str) -> str:
    text = value.strip()
    url = _REPO_URL.match(text)
    if url:
        return url[1].lower()
    return text.lower() if _REPO.match(text) else _folded(value)


_MAC = re.compile(r"^(?:[0-9A-Fa-f]{2}(?P<sep>[:-])[0-9A-Fa-f]{2}(?:(?P=sep)[0-9A-Fa-f]{2}){4}"
                  r"(?:(?:(?P=sep)[0-9A-Fa-f]{2}){2})?"
                  r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4})?"
                  r"|[0-9A-Fa-f]{12}(?:[0-9A-Fa-f]{4})?)$")


def canonical_ip(value: str) -> str:
    text = value.strip()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return str(ipaddress.ip_interface(bare) if "/" in bare else ipaddress.ip_address(bare))
    except ValueError:
        return _folded(value)


def canonical_country(value: str) -> str:
    from iso3166 import countries  # ISO 3166-1, offline

    text = value.strip()
    code = text.zfill(3) if text.isdigit() and len(text) <= 3 else text
    if not (re.fullmatch(r"[A-Za-z]{2,3}", code) or re.fullmatch(r"[0-9]{3}", code)):
        return country_of_name(text) or _folded(value)
    country = countries.get(code, None)
    return country.alpha2 if country is not None else code.upper()


def canonical_us_state(value: str) -> str:
    text = _folded(value)
    if re.fullmatch(r"[A-Za-z]{2}", text):
        return text.upper()
    return us_state_of_name(text) or text


def canonical_uuid(value: str) -> str:
    text = value.strip()
    bare = re.sub(r"^(?:urn:uuid:|\{)|\}$", "", text, flags=re.I)
    if not re.fullmatch(r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}", bare):
        return _folded(value)
    digits = bare.replace("-", "").lower()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def canonical_mac(value: str) -> str:
    text = value.strip()
    if not _MAC.match(text):
        return _folded(value)
    digits = re.sub(r"[^0-9A-Fa-f]", "", text).lower()
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


_POSTAL = re.compile(r"^[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)?$")
_ICD10 = re.compile(r"^([A-Za-z][0-9][0-9A-Za-z])\.?([0-9A-Za-z]{1,4})?$")
_BIC = re.compile(r"^[A-Za-z]{6}[A-Za-z0-9]{2}(?:[A-Za-z0-9]{3})?$")
_PMID = re.compile(r"^(?:PMID\s*:?\s*|(?:https?://)?(?:www\.)?"
                   r"(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/)?([0-9]{1,9})/?$", re.I)
_ORCID = re.compile(r"^(?:orcid\s*:\s*|(?:https?://)?(?:www\.)?orcid\.org/)?"
                    r"([0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9Xx])/?$", re.I)
_IMAGE = re.compile(r"^(?:(?P<registry>[A-Za-z0-9.-]+(?::[0-9]+)?|localhost)/(?=.*/|[^/]*$))?(?P<repo>[^:@\s]+)"
                    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z0-9]+:[0-9a-fA-F]{32,}))?$")
_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


def canonical_postal(value: str) -> str:
    text = value.strip()
    return re.sub(r"[ -]", "", text).upper() if _POSTAL.match(text) else _folded(value)


def canonical_icd10(value: str) -> str:
    found = _ICD10.match(value.strip())
    if not found:
        return _folded(value)
    return found[1].upper() + (f".{found[2].upper()}" if found[2] else "")


def canonical_bic(value: str) -> str:
    text = value.strip().upper()
    if not _BIC.match(text):
        return _folded(value)
    return text + "XXX" if len(text) == 8 else text


def canonical_pmid(value: str) -> str:
    found = _PMID.match(value.strip())
    return found[1] if found else _folded(value)


def canonical_orcid(value: str) -> str:
    found = _ORCID.match(value.strip())
    return found[1].upper() if found else _folded(value)


_PLATFORM = re.compile(r"^([a-z0-9]+)/([a-z0-9_-]+)(?:/(v\d+))?$")
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386", "i686": "386",
                 "armhf": "arm/v7", "armel": "arm/v6"}
_DEFAULT_VARIANT = {"arm64": "v8", "amd64": "v1"}  # the variant a bare arch means, dropped; "arm" means v7


def canonical_platform(value: str) -> str:
    found = _PLATFORM.match(value.strip().lower())
    if not found:
        return _folded(value)
    os_name, arch, variant = found[1], _ARCH_ALIASES.get(found[2], found[2]), found[3]
    if "/" in arch:
        arch, implied = arch.split("/")
        if variant not in (None, implied):
            return _folded(value)
        variant = implied
    if arch == "arm" and variant is None:
        variant = "v7"
    if variant == _DEFAULT_VARIANT.get(arch):
        variant = None
    return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"


def canonical_image(value: str) -> str:
    text = value.strip()
    found = _IMAGE.match(text)
    if not found:
        return _folded(value)
    registry, repo = (found["registry"] or "docker.io").lower(), found["repo"]
    if "." not in registry and ":" not in registry and registry != "localhost":
        registry, repo = "docker.io", f"{found['registry']}/{repo}"  # "owner/name": a Docker Hub repository
    if registry in _DOCKER_HUB:
        registry = "docker.io"
        repo = repo if "/" in repo else f"library/{repo}"
    ref = f"@{found['digest'].lower()}" if found["digest"] else ""
    tag = f":{found['tag']}" if found["tag"] else ("" if ref else ":latest")
    return f"{registry}/{repo}{tag}{ref}"


def canonical_court_case(value: str) -> str:
    found = _COURT_CASE.match(value.strip())
    if not found:
        return _folded(value)
    office, year, kind, sequence, judges = found.groups()
    return f"{office}:{year}-{kind.lower()}-{int(sequence):05d}{judges.lower()}"


def canonical_geoid(value: str) -> str:
    text = value.strip()
    found = _GEOID.match(text)
    if found and _GEOID_LEVELS.get(found[1]) == len(found[2]):
        return found[2]
    return found[0].upper() if found else _folded(value)
