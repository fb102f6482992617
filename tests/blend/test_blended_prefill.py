"""Blended prefill inside the engine (tiny random-weight llama, float32).

The tiny model has 2 layers, so the probe stops at layer 0 (`probe_layer=0`): layer 1 of a reused chunk
keeps the loaded KV (with the default probe layer 1 every layer would be recomputed exactly).
"""

from __future__ import annotations

import pytest
import torch

from loopcache.blend.config import BlendConfig, GuardConfig
from loopcache.blend.segments import chunk_spans
from loopcache.engine.blend_prefill import BlendOutcome
from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.engine import Completion, Engine
from loopcache.engine.sampling import SamplingParams
from loopcache.engine.sequence import Sequence
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore
from loopcache.server.usage import openai_usage

GREEDY = SamplingParams(max_tokens=12)
OFF = GuardConfig(verify_every=0, max_deviation=1e9, min_margin=0.0)  # no guard: blended prefill as it is
SYSTEM = {"role": "system", "content": "You are an agent reading tool output."}
DOC_A = "The blue key opens the north door of the archive. " * 4
DOC_B = "Alice keeps the ledger in drawer nine, next to the maps. " * 4


def _engine(model, blend: BlendConfig | None, store: MemoryStore | None = None) -> Engine:  # noqa: ANN001
    config = EngineConfig(block_size=16, step_tokens=64, solo_step_tokens=128, blend=blend)
    return Engine(model, TieredStore([store or MemoryStore()]), config, CostModel(window=0))


def _first() -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": "read both"}, {"role": "tool", "content": DOC_A},
            {"role": "tool", "content": DOC_B}, {"role": "user", "content": "Which door?"}]


def _reread(question: str = "Which door does the key open?", intro: str = "read them again, please") -> list[dict[str, str]]:
    """The same tool results again, in another order and at other positions: only SYSTEM is a prefix hit."""
    return [SYSTEM, {"role": "user", "content": intro}, {"role": "tool", "content": DOC_B},
            {"role": "tool", "content": DOC_A}, {"role": "user", "content": question}]


def _run(engine: Engine, prompt: list[dict[str, str]]) -> tuple[Completion, Sequence]:
    done: list[Completion] = []
    seq = engine.add_request(prompt, GREEDY, sink=lambda e: done.append(e) if isinstance(e, Completion) else None)
    while not seq.is_finished:
        engine.step()
        engine.check_integrity()
    return done[0], seq


def _outcome(seq: Sequence) -> BlendOutcome:
    assert isinstance(seq.blend, BlendOutcome)
    return seq.blend


def test_full_recompute_share_equals_full_prefill_token_for_token(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, BlendConfig(recompute_share=1.0, min_chunk_tokens=16, probe_layer=0, guard=OFF))
    _run(engine, _first())
    got, seq = _run(engine, _reread())
    out = _outcome(seq)
    assert len(out.loaded) == 2 and out.chunk_tokens > 100  # the chunks were found, loaded and blended ...
    assert got.stats.blended_tokens == 0 and seq.num_exact is None  # ... and every one of them recomputed
    plain = _engine(tiny_model, None).generate(_reread(), GREEDY)
    assert got.token_ids == plain.token_ids


def test_low_recompute_share_reuses_chunks_and_keeps_the_prefix_store_exact(tiny_model) -> None:  # noqa: ANN001
    store = MemoryStore()
    engine = _engine(tiny_model, BlendConfig(recompute_share=0.15, min_chunk_tokens=16, probe_layer=0, guard=OFF), store)
    _run(engine, _first())
    got, seq = _run(engine, _reread())
    out = _outcome(seq)
    assert got.stats.blended_tokens == out.reused_tokens > 0.8 * out.chunk_tokens
    assert got.stats.computed_tokens < got.stats.prompt_tokens - got.stats.cached_tokens - got.stats.blended_tokens + 1 + \
        out.chunk_tokens - out.reused_tokens
    assert seq.num_exact is not None and seq.num_exact >= out.loaded[0].start
    usage = openai_usage(got.stats)
    assert usage["prompt_tokens_details"]["blended_tokens"] == got.stats.blended_tokens  # type: ignore[index]
    # the blended KV was not stored under prefix keys: a plain engine on the same store reproduces the
    # plain output exactly, from an exact prefix no longer than where the blended region began
    plain_on_store = _engine(tiny_model, None, store).generate(_reread(), GREEDY)
    plain = _engine(tiny_model, None).generate(_reread(), GREEDY)
    assert plain_on_store.token_ids == plain.token_ids
    assert plain_on_store.stats.cached_tokens <= seq.num_exact


def test_recent_chunk_tokens_are_always_recomputed(tiny_model) -> None:  # noqa: ANN001
    recent = 80  # the question and the tail are ~50 tokens: the last ~30 of the last reused chunk
    engine = _engine(tiny_model, BlendConfig(recompute_share=0.0, recent_tokens=recent, min_chunk_tokens=16,
                                             probe_layer=0, guard=OFF))
    _run(engine, _first())
    got, seq = _run(engine, _reread())
    out = _outcome(seq)
    near = [p for s in out.loaded for p in range(s.start, s.end) if p >= len(seq.prompt_ids) - recent]
    assert 0 < len(near) < out.chunk_tokens and out.reused_tokens == out.chunk_tokens - len(near)
    everything = _engine(tiny_model, BlendConfig(recompute_share=0.0, recent_tokens=10_000, min_chunk_tokens=16,
                                                 probe_layer=0, guard=OFF))
    _run(everything, _first())
    got, seq = _run(everything, _reread())
    assert _outcome(seq).reused_tokens == 0  # every chunk token is among the last 10k: a full prefill
    assert got.token_ids == _engine(tiny_model, None).generate(_reread(), GREEDY).token_ids


def _poison_chunks(engine: Engine) -> int:
    """Store noise as the KV of every chunk of `_reread()` (valid blocks under the right keys): the worst
    blend there is. Returns how many chunks."""
    assert engine.blend is not None
    ids = engine.render(_reread())
    spans = chunk_spans(ids, engine.blend.boundaries, 0, engine.blend.config.min_chunk_tokens)
    pool = engine.pool.kv
    gen = torch.Generator().manual_seed(0)
    for s in spans:
        noise = torch.randn((pool.shape[0], 2, pool.shape[2], s.num_tokens, pool.shape[4]), generator=gen) * 3
        engine.blend.chunks.put("default", ids[s.start : s.end], noise)
    return len(spans)


def test_guard_falls_back_to_full_prefill_when_verification_disagrees(tiny_model) -> None:  # noqa: ANN001
    strict = GuardConfig(verify_every=1, max_kl=0.01, window=2, min_pass_rate=1.0)
    engine = _engine(tiny_model, BlendConfig(recompute_share=0.0, min_chunk_tokens=16, probe_layer=0, guard=strict))
    assert _poison_chunks(engine) >= 3
    plain = _engine(tiny_model, None)
    for intro in ("read them again, please", "one more time"):  # each breaks the prefix right after SYSTEM
        got, seq = _run(engine, _reread(intro=intro))
        out = _outcome(seq)
        assert len(out.loaded) >= 2
        assert out.agreement is not None and not out.agreement.passed and out.agreement.kl > 0.01
        assert got.stats.blend_fallback == "verify" and got.stats.blended_tokens == 0
        assert got.token_ids == plain.generate(_reread(intro=intro), GREEDY).token_ids  # served the full prefill
    assert engine.blend is not None and engine.blend.guard.breaker_open
    got, _ = _run(engine, _reread(intro="and again"))
    assert got.stats.blend_fallback in ("verify", "breaker")
    # a bound the same request meets (every token recomputed) lets it through
    lenient = _engine(tiny_model, BlendConfig(recompute_share=1.0, min_chunk_tokens=16, probe_layer=0,
                                               guard=GuardConfig(verify_every=1, max_kl=1e-6)))
    _run(lenient, _first())
    got, seq = _run(lenient, _reread())
    agreed = _outcome(seq).agreement
    assert agreed is not None and agreed.passed and got.stats.blend_fallback == ""


def test_proxy_bound_and_breaker_fall_back(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, BlendConfig(recompute_share=0.0, min_chunk_tokens=16, probe_layer=0,
                                             guard=GuardConfig(verify_every=0, max_deviation=0.5, min_margin=0.0)))
    _poison_chunks(engine)
    got, seq = _run(engine, _reread())
    assert got.stats.blend_fallback == "proxy" and _outcome(seq).deviation > 0.5
    assert got.token_ids == _engine(tiny_model, None).generate(_reread(), GREEDY).token_ids
    assert engine.blend is not None
    assert engine.blend.guard.counters.proxy_fallbacks == 1 and engine.blend.guard.counters.blended == 0


def test_a_near_tie_is_prefilled_in_full(tiny_model) -> None:  # noqa: ANN001
    tie = GuardConfig(verify_every=0, max_deviation=1e9, min_margin=1e9)  # every next token counts as a near tie
    engine = _engine(tiny_model, BlendConfig(recompute_share=0.0, min_chunk_tokens=16, probe_layer=0, guard=tie))
    _run(engine, _first())
    got, seq = _run(engine, _reread())
    assert len(_outcome(seq).loaded) >= 2  # the chunks were found and blended, then not trusted
    assert got.stats.blend_fallback == "margin" and got.stats.blended_tokens == 0
    assert got.token_ids == _engine(tiny_model, None).generate(_reread(), GREEDY).token_ids
    assert engine.blend is not None and engine.blend.guard.counters.margin_fallbacks == 1
    engine.check_integrity()


def test_blended_and_plain_sequences_batch_together(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, BlendConfig(recompute_share=1.0, min_chunk_tokens=16, probe_layer=0, guard=OFF))
    _run(engine, _first())
    prompts = [_reread(), [SYSTEM, {"role": "user", "content": "Nothing to re-read here."}], _reread("Why?")]
    together = engine.generate_many(prompts, GREEDY)
    plain = _engine(tiny_model, None)
    assert [c.token_ids for c in together] == [plain.generate(p, GREEDY).token_ids for p in prompts]
    engine.check_integrity()


def test_blending_is_off_by_default(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, None)
    assert engine.blend is None and engine.scheduler.on_admit is None
    with pytest.raises(ValueError):
        BlendConfig(recompute_share=1.5)
