"""PrefixCache on the tiny model: a hit is used only after its real tokens match; a planted block whose tokens
differ from its key, or whose layout is wrong, is rejected, deleted and counted, and the output is unchanged."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.engine import Engine
from loopcache.engine.sampling import SamplingParams
from loopcache.kvcache.block_hash import ROOT, block_hash, tail_key
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore

BS = 16
GREEDY = SamplingParams(max_tokens=8)
PROMPT = [3 + (i * 7) % 240 for i in range(70)]  # 4 full blocks and 6 tokens


def _engine(model: Any) -> tuple[Engine, MemoryStore]:
    memory = MemoryStore()
    return Engine(model, TieredStore([memory]), EngineConfig(block_size=BS), CostModel(window=0)), memory


def test_a_block_whose_tokens_differ_from_its_key_is_rejected(tiny_model: Any) -> None:
    want = Engine(tiny_model, None, EngineConfig(block_size=BS)).generate(PROMPT, GREEDY).token_ids
    engine, memory = _engine(tiny_model)
    engine.generate(PROMPT, GREEDY)
    ns, fp = "default", tiny_model.fingerprint
    k0 = block_hash(ROOT, ns, fp, PROMPT[:BS])
    k1 = block_hash(k0, ns, fp, PROMPT[BS : 2 * BS])
    genuine = memory.get(k1)
    assert genuine is not None
    # Plant, under block 1's key, a block that claims other tokens (a collision or a corrupted index).
    forged = replace(genuine, token_ids=tuple(t + 1 for t in genuine.token_ids))
    assert memory.delete(k1) and memory.put(forged)
    for tier in (k for k in list(memory.keys()) if k not in (k0, k1)):
        memory.delete(tier)  # only blocks 0 and 1 remain: the hit must stop at the forged one
    got = engine.generate(PROMPT, GREEDY)
    assert got.stats.cached_tokens == BS  # block 0 only
    assert got.token_ids == want
    assert engine.prefix_cache.rejected_blocks == 1
    assert memory.get(k1) is None or memory.get(k1).token_ids == genuine.token_ids  # forged one deleted


def test_a_tail_slot_of_another_layout_is_rejected(tiny_model: Any) -> None:
    engine, memory = _engine(tiny_model)
    first = engine.generate(PROMPT, GREEDY)
    next_prompt = list(first.prompt_token_ids) + list(first.token_ids) + [9, 9, 9]
    ns, fp = "default", tiny_model.fingerprint
    num_full = (len(first.prompt_token_ids) + len(first.token_ids) - 1) // BS  # the stored full blocks
    parent = ROOT
    for i in range(num_full):
        parent = block_hash(parent, ns, fp, next_prompt[i * BS : (i + 1) * BS])
    tkey = tail_key(parent, ns, fp, next_prompt[num_full * BS])
    genuine = memory.get(tkey)
    assert genuine is not None and 0 < genuine.num_tokens < BS
    memory.delete(tkey)
    memory.put(replace(genuine, dtype="bfloat16"))  # right tokens, wrong layout
    got = engine.generate(next_prompt, GREEDY)
    assert got.stats.cached_tokens == num_full * BS  # the full blocks, not the tail
    assert engine.prefix_cache.rejected_blocks == 1
    assert memory.get(tkey) is None or memory.get(tkey).dtype == "float32"


def test_concurrent_sessions_keep_their_own_tail_slots(tiny_model: Any) -> None:
    engine, _ = _engine(tiny_model)
    shared = PROMPT[:20]  # one full block in common, then each session's own text
    prompts = {s: shared + [10 + i] * 9 for i, s in enumerate(("a", "b", "c"))}
    firsts = engine.generate_many(list(prompts.values()), GREEDY, list(prompts))
    for (session, prompt), first in zip(prompts.items(), firsts):
        step2 = prompt + list(first.token_ids) + [7, 7]
        got = engine.generate(step2, GREEDY, session_id=session)
        assert got.stats.cached_tokens == len(step2) - 3  # all but the new tokens and the last sampled one
