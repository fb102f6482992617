"""Usage normalisation across providers, the token estimator, and the dated price file."""

from __future__ import annotations

import json
import os
import random
import statistics

import pytest

from loopcache.audit.pricing import PriceBook
from loopcache.audit.rendered_prompt import render
from loopcache.audit.tokens import TokenRuler, estimate_tokens
from loopcache.audit.usage import usage_from_report


def test_usage_normalisation():
    openai = usage_from_report({"prompt_tokens": 2000, "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 1536}})
    assert (openai.input_tokens, openai.cached_tokens, openai.uncached_tokens) == (2000, 1536, 464)
    anthropic = usage_from_report({"input_tokens": 5, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 900, "output_tokens": 7})
    assert (anthropic.input_tokens, anthropic.cached_tokens, anthropic.cache_write_tokens) == (1005, 900, 100)
    no_cache = usage_from_report({"prompt_tokens": 300, "completion_tokens": 4})
    assert no_cache.cached_tokens is None and not no_cache.has_cache_data
    codex = usage_from_report({"input_tokens": 9324, "cached_input_tokens": 6912, "output_tokens": 444})
    assert (codex.input_tokens, codex.cached_tokens) == (9324, 6912)
    inspect_openai = usage_from_report({"input_tokens": 1568, "input_tokens_cache_read": 1024, "output_tokens": 17})
    assert (inspect_openai.input_tokens, inspect_openai.cached_tokens) == (1568, 1024)
    inspect_claude = usage_from_report({"input_tokens": 20, "input_tokens_cache_read": 1000, "output_tokens": 1}, "anthropic")
    assert inspect_claude.input_tokens == 1020
    assert usage_from_report(None) is None and usage_from_report({"foo": 1}) is None


def test_ruler_reuse_equals_a_fresh_scan():
    rng = random.Random(7)
    words = ["alpha", " beta", "\n", "  ", "{\"k\":", "12345", "é", "--", "tool_call", "\t"]
    for _ in range(50):
        base = "".join(rng.choice(words) for _ in range(200))
        other = base[: rng.randrange(len(base))] + "".join(rng.choice(words) for _ in range(50))
        shared = len(os.path.commonprefix([base, other]))
        reused = TokenRuler.of(other, reuse=TokenRuler.of(base), shared_chars=shared)
        assert reused == TokenRuler.of(other)
        assert reused.total == estimate_tokens(other)


def test_ruler_positions_and_scaling():
    ruler = TokenRuler.of("hello world, 2024!")
    assert ruler.tokens_before(0) == 0 and ruler.tokens_before(len("hello")) == 1
    assert ruler.scaled_to(2 * ruler.total).total == 2 * ruler.total


def test_estimator_against_reported_prompt_sizes(openhands_trace):
    # Claude 3.5 Sonnet prompt sizes vs the estimate of the exact requests: measured median 1.06.
    ratios = [estimate_tokens(render(s.request).text) / s.usage.input_tokens for x in openhands_trace.sessions for s in x.steps]
    assert 0.9 <= statistics.median(ratios) <= 1.2
    assert max(ratios) / min(ratios) < 1.3


def test_price_file_is_dated_and_sourced():
    book = PriceBook.load()
    assert book.date and book.source_path.endswith("pricing.json")
    for model in book.models:
        assert model.source.startswith("https://") and model.date
        assert model.cache_read_per_mtok < model.input_per_mtok <= model.cache_write_1h_per_mtok
    assert book.for_model("litellm_proxy/anthropic.claude-3-5-sonnet-20241022-v2:0").price.model == "claude-sonnet-4-5"
    assert book.for_model("gpt-4o-mini-2024-07-18").price.model == "gpt-4o-mini"
    unknown = book.for_model("some-local-model")
    assert unknown.is_default and unknown.price.model == book.default_model
    assert book.cache("anthropic-5m").ttl_s == 300 and book.cache("anthropic-1h").lookback_blocks == 20


def test_user_price_file_overrides_and_bad_file_is_an_error(tmp_path):
    from importlib.resources import files

    data = json.loads(files("loopcache.audit").joinpath("data/pricing.json").read_text(encoding="utf-8"))
    data["models"][0]["input_per_mtok"] = 123.0
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data))
    assert PriceBook.load(path).models[0].input_per_mtok == 123.0
    path.write_text("{}")
    with pytest.raises(ValueError, match="malformed price file"):
        PriceBook.load(path)
