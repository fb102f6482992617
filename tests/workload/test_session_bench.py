"""The sessions benchmark's core on the tiny model: every policy runs the same steps, the restart happens,
and the session-aware policy recomputes less than plain LRU with the same tiers."""

from __future__ import annotations

from typing import Any

from loopcache.engine.config import EngineConfig
from loopcache.engine.engine import Engine
from loopcache.workload.session_bench import POLICIES, run_policy
from loopcache.workload.session_mix import MixShape, SessionMix


def test_policies_side_by_side(tiny_model: Any) -> None:
    shape = MixShape(sessions=4, steps=3, system_tokens=40, tool_tokens=30, output_tokens=2, stagger_s=200.0,
                     human_pause_every=2)
    config = EngineConfig(block_size=16, max_running=2, learn_costs=False)
    final = len(Engine(tiny_model, None, config).render(SessionMix(tiny_model.tokenizer, shape).messages(0, 2)))
    session_bytes = final * tiny_model.kv_bytes_per_token
    results = {p: run_policy(p, tiny_model, shape, 2 * session_bytes, 3 * session_bytes, config, lambda _: None)
               for p in POLICIES}
    for r in results.values():
        assert len(r["steps"]) == 12 and r["restart_after_step"] >= 6
        assert sum(s["fresh_tokens"] for s in r["steps"]) == r["fresh_tokens"]
    assert [s["prompt_tokens"] for s in results["lru_memory"]["steps"]] == \
        [s["prompt_tokens"] for s in results["session_aware"]["steps"]]  # the same steps in the same order
    aware, lru_disk, lru_memory = (results[p]["amplification"] for p in ("session_aware", "lru_disk", "lru_memory"))
    assert aware < lru_memory and aware <= lru_disk, (aware, lru_disk, lru_memory)
    assert results["lru_memory"]["bytes_read_from_disk"] == 0 < results["session_aware"]["bytes_read_from_disk"]
