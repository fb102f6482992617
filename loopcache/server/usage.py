"""Usage in each API's own fields, from what the engine measured.

    OpenAI:    prompt_tokens = whole prompt; prompt_tokens_details.cached_tokens = served from any tier
    Anthropic: cache_read_input_tokens     = served from any tier
               cache_creation_input_tokens = computed and stored by this request (the engine stores
                                             every computed prompt token, as blocks or as the tail)
               input_tokens                = the rest (computed, not stored: caching off)
               so input + cache_creation + cache_read = the whole prompt, as Anthropic defines it.
    Both, when chunk reuse (loopcache.blend) was involved: blended_tokens = reused at a new position (not
               in cached_tokens), blend_fallbacks = 1 when the quality guard sent the request to full prefill.
"""

from __future__ import annotations

from loopcache.engine.stats import RequestStats


def _blend_details(stats: RequestStats) -> dict[str, int]:
    if not stats.blended_tokens and not stats.blend_fallback:
        return {}
    return {"blended_tokens": stats.blended_tokens, "blend_fallbacks": int(bool(stats.blend_fallback))}


def openai_usage(stats: RequestStats) -> dict[str, object]:
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "total_tokens": stats.prompt_tokens + stats.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": stats.cached_tokens, **_blend_details(stats)},
    }


def anthropic_usage(stats: RequestStats) -> dict[str, int]:
    created = stats.prompt_tokens - stats.cached_tokens if stats.stored_blocks > 0 else 0
    return {
        "input_tokens": stats.prompt_tokens - stats.cached_tokens - created,
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": stats.cached_tokens,
        "output_tokens": stats.completion_tokens,
        **_blend_details(stats),
    }
