"""Settings of `loopcache mcp-proxy`, read once from a TOML or JSON file and validated.

    semantic = true            # the semantic stage (default: off, exact stage only; spec.DEFAULT_SEMANTIC)
    threshold = 0.8            # cosine similarity, higher = stricter
    ttl = 300                  # seconds (default 300: read-only is not "never changes"); 0 = no expiry
    namespace = "team-a"       # share entries across proxy runs (scope "namespace"); omit: one session per run
    cache_errors = false

    [tools.git_log]            # per-tool overrides of the server's annotations and the defaults above
    read_only = true
    ttl = 30
    [tools.git_commit]
    invalidates = [{ tool = "git_log" }, { tool = "git_status" }]   # default: drop everything

    [tools.geocode.formats]    # what an argument is, where the server's schema does not say (formats.py):
    address = "address"        # path, uri, date, date-time, sql, regex, email, address, period, unit,
    [tools.fetch_paper]        # doi, arxiv, isbn, phone, repo, postal, icd10, bic, pmid, orcid, image, ...
                               # (any key of formats.FORMATS); the config wins over the schema
    formats = { paper_id = "arxiv" }
    [tools.odoo_search_read]   # no rule read from names, descriptions or values: only the schema's declared
    infer = false              # defaults, types, formats, uniqueItems and this config's formats / aliases make
                               # two calls one (canonical.py); the semantic stage is then off for the tool
    [tools.sports_results.aliases]   # values the tool answers alike, per argument (aliases.py)
    competition = { EPL = "English Premier League", "Premier League" = "English Premier League" }
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopcache.toolcache.aliases import validate_aliases
from loopcache.toolcache.formats import FORMATS
from loopcache.toolcache.spec import DEFAULT_SEMANTIC, DEFAULT_SEMANTIC_THRESHOLD, Invalidation


# A read-only tool can still return something new later (the time, a git log): entries expire by default.
DEFAULT_PROXY_TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class ToolOverride:
    """Per-tool settings; None means "use the server's annotation / the proxy default"."""

    read_only: bool | None = None
    ttl: float | None = None
    semantic: bool | None = None
    threshold: float | None = None
    invalidates: tuple[Invalidation, ...] | None = None
    formats: Mapping[str, str] = field(default_factory=dict, hash=False)  # argument -> format
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)  # argument -> alias -> value
    infer: bool = True  # False: only declared rules (canonical.py, INFER_KEY)


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    semantic: bool | None = DEFAULT_SEMANTIC  # None: on for read-only tools; False: exact only
    threshold: float = DEFAULT_SEMANTIC_THRESHOLD
    ttl: float | None = DEFAULT_PROXY_TTL_S
    namespace: str | None = None
    cache_errors: bool = False
    tools: Mapping[str, ToolOverride] = field(default_factory=dict, hash=False)

    def override(self, tool: str) -> ToolOverride:
        return self.tools.get(tool, ToolOverride())


_TOP_KEYS = {"semantic", "threshold", "ttl", "namespace", "cache_errors", "tools"}
_TOOL_KEYS = {"read_only", "ttl", "semantic", "threshold", "invalidates", "formats", "aliases", "infer"}


def load_proxy_config(path: str | Path | None) -> ProxyConfig:
    """Read and validate a config file (`.json` as JSON, anything else as TOML); None -> defaults.

    Raises ValueError naming the file and the bad key on any mistake.
    """
    if path is None:
        return ProxyConfig()
    path = Path(path)
    try:
        text = path.read_text()
        raw = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read proxy config: {error}") from error
    return parse_proxy_config(raw, str(path))


def parse_proxy_config(raw: Mapping[str, Any], where: str = "config") -> ProxyConfig:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(_TOP_KEYS)})")
    tools: dict[str, ToolOverride] = {}
    for name, settings in (raw.get("tools") or {}).items():
        if not isinstance(settings, Mapping) or set(settings) - _TOOL_KEYS:
            raise ValueError(f"{where}: tools.{name} must be a table with keys from {sorted(_TOOL_KEYS)}")
        rules = settings.get("invalidates")
        infer = _optional(settings, "infer", bool, f"{where}: tools.{name}")
        if infer is False and settings.get("semantic") is True:
            raise ValueError(f"{where}: tools.{name}: semantic = true needs the inferred rules that infer = false "
                             "turns off")
        tools[name] = ToolOverride(
            read_only=_optional(settings, "read_only", bool, f"{where}: tools.{name}"),
            ttl=_optional(settings, "ttl", (int, float), f"{where}: tools.{name}"),  # 0: no expiry
            semantic=_optional(settings, "semantic", bool, f"{where}: tools.{name}"),
            threshold=_optional(settings, "threshold", (int, float), f"{where}: tools.{name}"),
            invalidates=None if rules is None else tuple(_rule(rule, f"{where}: tools.{name}") for rule in rules),
            formats=_formats(settings.get("formats"), f"{where}: tools.{name}.formats"),
            aliases=validate_aliases(settings.get("aliases"), f"{where}: tools.{name}.aliases"),
            infer=infer is not False,
        )
    return ProxyConfig(
        semantic=_optional(raw, "semantic", bool, where) if "semantic" in raw else DEFAULT_SEMANTIC,
        threshold=float(_optional(raw, "threshold", (int, float), where) or DEFAULT_SEMANTIC_THRESHOLD),
        ttl=_ttl(_optional(raw, "ttl", (int, float), where), DEFAULT_PROXY_TTL_S),
        namespace=_optional(raw, "namespace", str, where),
        cache_errors=bool(_optional(raw, "cache_errors", bool, where) or False),
        tools=tools,
    )


def _optional(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table.get(key)
    if value is not None and (not isinstance(value, kind) or (kind != bool and isinstance(value, bool))):
        raise ValueError(f"{where}: {key} has the wrong type ({type(value).__name__})")
    return value


def _rule(rule: Any, where: str) -> Invalidation:
    if not isinstance(rule, Mapping) or set(rule) - {"tool", "match"}:
        raise ValueError(f"{where}: each invalidates rule is {{ tool = NAME, match = [ARG, ...] }}")
    return Invalidation(tool=rule.get("tool"), match=tuple(rule.get("match") or ()))


def _formats(table: Any, where: str) -> dict[str, str]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise ValueError(f"{where} must be a table of argument = format")
    for argument, fmt in table.items():
        if fmt not in FORMATS:
            raise ValueError(f"{where}.{argument}: unknown format {fmt!r} (known: {sorted(FORMATS)})")
    return dict(table)


def _ttl(value: float | None, default: float | None) -> float | None:
    """Config ttl: absent -> default, 0 -> no expiry, else seconds."""
    if value is None:
        return default
    return None if value == 0 else float(value)
