"""Engine behaviour on a tiny random-weight llama (float32: cached output must be token-identical)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.engine import Completion, Engine, PromptTooLongError, TextDelta
from loopcache.engine.sampling import SamplingParams
from loopcache.kvcache.block_files import BlockFiles
from loopcache.kvcache.block_hash import ROOT, block_hash
from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore

BS = 16
GREEDY = SamplingParams(max_tokens=24)


def _engine(model, *tiers, block_size: int = BS, learn_costs: bool = False) -> Engine:  # noqa: ANN001
    store = TieredStore(list(tiers)) if tiers else None
    # fixed priors unless asked: on a loaded machine, measured costs could flip load-vs-recompute
    cost = None if learn_costs else CostModel(window=0)
    return Engine(model, store, EngineConfig(block_size=block_size, step_tokens=64, solo_step_tokens=64), cost)


def _assert_ok(engine: Engine) -> None:
    assert engine.store is not None
    engine.store.drain()
    report = engine.store.check_integrity(deep=True)
    assert report.ok, report.problems


def _conversation(turn: int) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": "You are a cache-aware agent. " * 4}]
    for i in range(turn):
        msgs += [{"role": "user", "content": f"question {i}: what is in file_{i}.py?"},
                 {"role": "assistant", "content": f"It defines helper_{i} and {i * 7} constants."}]
    return msgs + [{"role": "user", "content": "Summarise the files."}]


def test_cached_output_is_token_identical_to_uncached(tiny_model) -> None:  # noqa: ANN001
    plain = _engine(tiny_model)
    cached = _engine(tiny_model, MemoryStore())
    mid_block_hits = 0
    for turn in range(4):  # independent prompts sharing a system prompt: hits end at block edges
        prompt = _conversation(turn)
        got = cached.generate(prompt, GREEDY)
        assert got.token_ids == plain.generate(prompt, GREEDY).token_ids
        assert (got.stats.cached_tokens > 0) == (turn > 0)
        _assert_ok(cached)
    ids = cached.render(_conversation(0))
    for step in range(4):  # a loop: prompt = previous prompt + its output + new text; hits end mid-block
        got = cached.generate(ids, GREEDY)
        want = plain.generate(ids, GREEDY)
        assert got.token_ids == want.token_ids
        assert got.text == want.text
        mid_block_hits += got.stats.cached_tokens % BS != 0
        ids = ids + list(got.token_ids) + cached.render([{"role": "user", "content": f"go on {step}"}])[:9]
    assert mid_block_hits >= 3
    again = cached.generate(_conversation(3), GREEDY)  # a retry: all of the prompt but its last token is cached
    assert again.stats.cached_tokens == again.stats.prompt_tokens - 1
    assert again.token_ids == plain.generate(_conversation(3), GREEDY).token_ids


def test_next_step_computes_only_new_tokens_including_previous_output(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, MemoryStore())
    msgs = _conversation(0)
    first = engine.generate(msgs, GREEDY)
    # The next step's prompt is the previous prompt + the generated tokens + new tokens (ids, no re-rendering).
    new_tokens = engine.render([{"role": "user", "content": "next"}])[:20]
    prompt = list(first.prompt_token_ids) + list(first.token_ids) + new_tokens
    second = engine.generate(prompt, GREEDY)
    # Only the new tokens and the last generated token (sampled, never fed) are computed.
    assert second.stats.computed_tokens == len(new_tokens) + 1
    assert second.stats.cached_tokens_by_tier == {"memory": len(prompt) - len(new_tokens) - 1}


def test_namespace_and_fingerprint_isolation(tiny_model, tiny_model_dir: Path, tmp_path: Path) -> None:  # noqa: ANN001
    from loopcache.model.loader import load_model

    memory = MemoryStore()
    engine = _engine(tiny_model, memory)
    prompt = _conversation(2)
    engine.generate(prompt, GREEDY, namespace="tenant-a")
    assert engine.generate(prompt, GREEDY, namespace="tenant-b").stats.cached_tokens == 0
    assert engine.generate(prompt, GREEDY, namespace="tenant-a").stats.cached_tokens > 0
    # Same weights in another dtype: another fingerprint, so the same store serves nothing.
    other = load_model(str(tiny_model_dir), tmp_path, dtype="bfloat16")
    assert other.fingerprint != tiny_model.fingerprint
    assert _engine(other, memory).generate(prompt, GREEDY, namespace="tenant-a").stats.cached_tokens == 0


def test_disk_tier_survives_a_new_store_and_corruption_is_recomputed(tiny_model, tmp_path: Path) -> None:  # noqa: ANN001
    prompt = _conversation(3)
    want = _engine(tiny_model).generate(prompt, GREEDY)
    first = _engine(tiny_model, DiskStore(tmp_path / "kv"))
    first.generate(prompt, GREEDY)
    first.close()

    reopened = _engine(tiny_model, DiskStore(tmp_path / "kv"))
    hit = reopened.generate(prompt, GREEDY)
    assert hit.stats.cached_tokens_by_tier == {"disk": hit.stats.prompt_tokens - 1}
    assert hit.token_ids == want.token_ids
    reopened.close()

    # the prompt's second full block: the prefix hit must stop before it (a file picked by name could be a
    # block of the generated tokens, which this prompt never reads)
    ids = reopened.render(prompt)
    first = block_hash(ROOT, "default", tiny_model.fingerprint, ids[:BS])
    victim = tmp_path / "kv" / BlockFiles.relpath(block_hash(first, "default", tiny_model.fingerprint,
                                                                   ids[BS:2 * BS]).hex)
    data = bytearray(victim.read_bytes())
    data[-10] ^= 0xFF  # one flipped payload byte
    victim.write_bytes(bytes(data))
    damaged = _engine(tiny_model, DiskStore(tmp_path / "kv"))
    after = damaged.generate(prompt, GREEDY)
    assert after.token_ids == want.token_ids  # recomputed, never served
    assert after.stats.cached_tokens < hit.stats.cached_tokens
    assert damaged.store is not None and damaged.store.tiers[0].stats().corrupt_dropped == 1
    _assert_ok(damaged)


def test_slow_tier_loses_to_recompute(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, MemoryStore(name="slow-remote"), learn_costs=True)
    prompt = _conversation(2)
    engine.generate(prompt, GREEDY)
    engine.cost.observe_load("slow-remote", 1, 5.0)  # the tier was measured very slow
    engine.cost.observe_load("slow-remote", 1, 5.0)
    result = engine.generate(prompt, GREEDY)
    assert result.stats.cached_tokens == 0
    assert result.stats.skipped_cached_tokens > 0


def test_stream_yields_text_and_stores_kv_when_closed_early(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, MemoryStore())
    stream = engine.stream(_conversation(1), SamplingParams(max_tokens=40))
    deltas = []
    for event in stream:
        assert isinstance(event, TextDelta)
        deltas.append(event)
        if len(deltas) == 3:
            break
    stream.close()  # the consumer went away
    assert engine.store is not None and engine.store.stats().num_entries > 0
    again = engine.generate(_conversation(1), GREEDY)
    assert again.stats.cached_tokens == again.stats.prompt_tokens - 1


def test_stop_strings_max_tokens_and_seeded_sampling(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model)
    prompt = _conversation(1)
    short = engine.generate(prompt, SamplingParams(max_tokens=3))
    assert short.finish_reason == "length" and len(short.token_ids) == 3
    full = engine.generate(prompt, SamplingParams(max_tokens=24))
    stop = full.text[5:7]
    cut = engine.generate(prompt, SamplingParams(max_tokens=24, stop=(stop,)))
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.find(stop)]
    a = engine.generate(prompt, SamplingParams(max_tokens=16, temperature=1.0, top_p=0.9, seed=7))
    b = engine.generate(prompt, SamplingParams(max_tokens=16, temperature=1.0, top_p=0.9, seed=7))
    c = engine.generate(prompt, SamplingParams(max_tokens=16, temperature=1.0, top_p=0.9, seed=8))
    assert a.token_ids == b.token_ids != c.token_ids


def test_stream_ends_with_completion_whose_text_is_the_deltas(tiny_model) -> None:  # noqa: ANN001
    events = list(_engine(tiny_model).stream(_conversation(0), GREEDY))
    assert isinstance(events[-1], Completion)
    assert "".join(e.text for e in events[:-1]) == events[-1].text


def test_prompt_longer_than_context_is_refused(tiny_model) -> None:  # noqa: ANN001
    with pytest.raises(PromptTooLongError):
        _engine(tiny_model).generate([5] * (tiny_model.max_context + 1), GREEDY)
    with pytest.raises(ValueError):
        _engine(tiny_model).generate([], GREEDY)


def test_prompt_logprobs_through_the_cache_match_a_plain_forward(tiny_model) -> None:  # noqa: ANN001
    engine = _engine(tiny_model, MemoryStore())
    ids = engine.render(_conversation(2))
    engine.generate(ids[:50], SamplingParams(max_tokens=1))
    cached, logprobs = engine.prompt_logprobs(ids)
    assert cached == 50  # 3 blocks + a 2-token tail: the prompt's 50 tokens were fed, the sampled one not
    _, plain = _engine(tiny_model).prompt_logprobs(ids)
    torch.testing.assert_close(logprobs, plain[cached:], atol=1e-4, rtol=1e-4)
