"""Continuous batching on the tiny model (float32): batched output equals each prompt alone and plain
transformers, prefill is chunked between running decodes, and a full pool preempts instead of failing."""

from __future__ import annotations

from typing import Any

import torch

from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.engine import Completion, Engine, Failure, TextDelta
from loopcache.engine.sampling import SamplingParams
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore

GREEDY = SamplingParams(max_tokens=20)


def _prompts(n: int, seed: int = 0) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    return [[int(t) for t in torch.randint(3, 250, (int(length),), generator=g)]
            for length in torch.randint(5, 300, (n,), generator=g)]


def _reference(model: Any, prompt: list[int], max_tokens: int) -> list[int]:
    """Greedy tokens of plain transformers `generate` (up to and including EOS)."""
    out = model.model.generate(torch.tensor([prompt]), max_new_tokens=max_tokens, do_sample=False,
                               eos_token_id=list(model.eos_token_ids), pad_token_id=0)
    return out[0, len(prompt):].tolist()


def _engine(model: Any, store: bool = False, **config: Any) -> Engine:
    """`step_tokens` applies alone too (small chunks even with nothing decoding)."""
    tiers = TieredStore([MemoryStore()]) if store else None
    if "step_tokens" in config:
        config.setdefault("solo_step_tokens", config["step_tokens"])
    return Engine(model, tiers, EngineConfig(block_size=16, **config), CostModel(window=0))


def test_batched_alone_and_plain_transformers_agree(tiny_model: Any) -> None:
    prompts = _prompts(5)
    want = [_reference(tiny_model, p, GREEDY.max_tokens) for p in prompts]
    alone = _engine(tiny_model)
    assert [list(alone.generate(p, GREEDY).token_ids) for p in prompts] == want
    batched = _engine(tiny_model, step_tokens=64)
    assert [list(c.token_ids) for c in batched.generate_many(prompts, GREEDY)] == want
    cached = _engine(tiny_model, store=True, step_tokens=64)
    cached.generate_many(prompts, GREEDY)
    again = cached.generate_many(prompts, GREEDY)  # every prompt now a cache hit, batched
    assert [list(c.token_ids) for c in again] == want
    assert all(c.stats.cached_tokens == c.stats.prompt_tokens - 1 for c in again)
    cached.check_integrity()
    assert cached.pool.num_free == cached.pool.num_blocks


def test_a_long_prefill_is_chunked_between_running_decodes(tiny_model: Any) -> None:
    engine = _engine(tiny_model, step_tokens=32)
    log: list[tuple[str, str]] = []
    short = engine.add_request(_prompts(1, seed=1)[0][:10], SamplingParams(max_tokens=40),
                               sink=lambda e: log.append(("short", type(e).__name__)))
    while short.first_token_s is None:
        engine.step()
    long_prompt = [3 + i % 240 for i in range(600)]
    long = engine.add_request(long_prompt, SamplingParams(max_tokens=2),
                              sink=lambda e: log.append(("long", type(e).__name__)))
    tokens_during_prefill = 0
    steps = 0
    while long.is_prefilling and not long.is_finished:
        before = len(short.output_ids)
        engine.step()
        steps += 1
        tokens_during_prefill += len(short.output_ids) - before
        engine.check_integrity()
    assert steps >= 600 // 32  # the prompt went in chunks under the step budget...
    assert tokens_during_prefill >= min(steps, 39)  # ...and the running decode got a token every step
    while engine.has_work:
        engine.step()
    assert ("long", "Completion") in log and ("short", "Completion") in log


def test_a_full_pool_preempts_and_the_output_is_unchanged(tiny_model: Any) -> None:
    prompts = _prompts(4, seed=2)
    want = [_reference(tiny_model, p, 40) for p in prompts]
    per_block = 2 * tiny_model.num_layers * tiny_model.num_kv_heads * tiny_model.head_dim * 4 * 16
    for store in (True, False):  # swapped to the store (and found there again), or recomputed
        engine = _engine(tiny_model, store=store, step_tokens=64, pool_bytes=20 * per_block)  # the longest needs 19
        outs = engine.generate_many(prompts, SamplingParams(max_tokens=40))
        assert [list(c.token_ids) for c in outs] == want
        assert sum(c.stats.num_preemptions for c in outs) > 0
        engine.check_integrity()
        assert engine.pool.num_free == engine.pool.num_blocks


def test_a_sequence_larger_than_the_pool_fails_alone(tiny_model: Any) -> None:
    per_block = 2 * tiny_model.num_layers * tiny_model.num_kv_heads * tiny_model.head_dim * 4 * 16
    engine = _engine(tiny_model, pool_bytes=4 * per_block)
    events: list[Any] = []
    engine.add_request([5] * 100, GREEDY, sink=events.append)  # 7 blocks > 4
    small = engine.generate([5] * 10, SamplingParams(max_tokens=3))
    assert isinstance(events[-1], Failure) and "pool" in str(events[-1].error)
    assert len(small.token_ids) == 3


def test_sequences_join_and_leave_between_steps(tiny_model: Any) -> None:
    engine = _engine(tiny_model, step_tokens=64)
    done: dict[int, Completion] = {}
    text: dict[int, str] = {}

    def sink(i: int):  # noqa: ANN202
        def receive(event: Any) -> None:
            if isinstance(event, TextDelta):
                text[i] = text.get(i, "") + event.text
            elif isinstance(event, Completion):
                done[i] = event
        return receive

    prompts = _prompts(6, seed=3)
    for i in range(3):
        engine.add_request(prompts[i], SamplingParams(max_tokens=5 + 10 * i), sink=sink(i))
    for _ in range(8):
        engine.step()
    for i in range(3, 6):  # join while the first ones are mid-way
        engine.add_request(prompts[i], SamplingParams(max_tokens=12), sink=sink(i))
    while engine.has_work:
        engine.step()
        engine.check_integrity()
    assert sorted(done) == list(range(6))
    for i, completion in done.items():
        assert completion.text == text.get(i, "")
        assert list(completion.token_ids) == _reference(tiny_model, prompts[i], len(completion.token_ids))
