"""Provider usage reports normalised to one shape.

Providers count differently:

    OpenAI chat / LiteLLM   prompt_tokens = all input; prompt_tokens_details.cached_tokens is a part of it
    OpenAI Responses/Codex  input_tokens  = all input; input_tokens_details.cached_tokens / cached_input_tokens
    Anthropic Messages      input_tokens  = the uncached part only;
                            all input = input_tokens + cache_creation_input_tokens + cache_read_input_tokens
    Inspect (openai/...)    input_tokens  = all input, input_tokens_cache_read a part of it
    Inspect (anthropic/...) input_tokens  = uncached part, like Anthropic

`Usage.cached_tokens` is None when the report has no cache field at all (e.g. Bedrock-routed calls): that
means "no cache data", never "0 % hits".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    """Token counts of one call. `input_tokens` is always the whole prompt, cached part included."""

    input_tokens: int
    output_tokens: int
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None

    @property
    def has_cache_data(self) -> bool:
        return self.cached_tokens is not None

    @property
    def uncached_tokens(self) -> int | None:
        if self.cached_tokens is None:
            return None
        return self.input_tokens - self.cached_tokens


def _int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return None


def usage_from_report(report: object, provider_hint: str | None = None) -> Usage | None:
    """Normalise any known usage dict; None when it is not a usage report.

    `provider_hint="anthropic"` marks a report whose `input_tokens` excludes cached tokens even without
    cache fields (Inspect logs of Anthropic models).
    """
    if not isinstance(report, dict):
        return None
    output = _int(report.get("completion_tokens")) or _int(report.get("output_tokens")) or 0
    if "prompt_tokens" in report:
        return _from_chat_completions(report, output)
    if "input_tokens" not in report:
        return None
    uncached_or_total = _int(report.get("input_tokens")) or 0
    read = _int(report.get("cache_read_input_tokens"))
    write = _int(report.get("cache_creation_input_tokens"))
    if read is not None or write is not None:
        # Anthropic Messages: input_tokens is the uncached remainder.
        return Usage(uncached_or_total + (read or 0) + (write or 0), output, read or 0, write or 0)
    inspect_read = _int(report.get("input_tokens_cache_read"))
    inspect_write = _int(report.get("input_tokens_cache_write"))
    if provider_hint == "anthropic":
        total = uncached_or_total + (inspect_read or 0) + (inspect_write or 0)
        return Usage(total, output, inspect_read, inspect_write)
    details = report.get("input_tokens_details")
    cached = _int(report.get("cached_input_tokens"))
    if cached is None and isinstance(details, dict):
        cached = _int(details.get("cached_tokens"))
    if cached is None:
        cached = inspect_read
    return Usage(uncached_or_total, output, cached, inspect_write)


def _from_chat_completions(report: dict, output: int) -> Usage:
    total = _int(report.get("prompt_tokens")) or 0
    read = _int(report.get("cache_read_input_tokens"))
    write = _int(report.get("cache_creation_input_tokens"))
    details = report.get("prompt_tokens_details")
    if read is None and isinstance(details, dict):
        read = _int(details.get("cached_tokens"))
    return Usage(total, output, read, write)
