"""The agent loop on the tiny model: warm steps compute only what is new; a new process resumes from disk."""

from __future__ import annotations

from pathlib import Path

from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.engine import Engine
from loopcache.kvcache.tier_config import TierConfig, open_tiers
from loopcache.workload.agent_loop import AgentLoop, LoopShape, prefill_amplification
from loopcache.workload.resume import FreshProcess, ResumeRequest, run_in_subprocess

SHAPE = LoopShape(system_tokens=120, tool_tokens=60, output_tokens=12, max_steps=3)


def test_warm_loop_then_restart_in_a_new_process(tiny_model, tiny_model_dir: Path, tmp_path: Path) -> None:  # noqa: ANN001
    tiers = TierConfig(root=tmp_path / "cache")
    # fixed cost priors: a loaded machine must not flip load-vs-recompute
    engine = Engine(tiny_model, open_tiers(tiers), EngineConfig(block_size=16), CostModel(window=0))
    loop = AgentLoop.start(tiny_model.tokenizer, SHAPE)
    records = [loop.run_step(engine, "s1") for _ in range(3)]
    engine.close()
    assert records[0].cached_tokens == 0
    for r in records[1:]:
        assert r.cached_tokens > 0
        assert r.computed_tokens <= r.fresh_tokens + 1  # only the new tokens (+ the last sampled token)
    assert prefill_amplification(records) <= 1.1

    where = FreshProcess(model=str(tiny_model_dir), device="cpu", dtype="float32", home=str(tmp_path / "home"),
                         cache_root=str(tiers.root), block_size=16, learn_costs=False)
    request = ResumeRequest(where, session_id="s1", state=loop.to_state(), baseline=True)
    out = run_in_subprocess(request, timeout_s=300)
    resumed, baseline = out["record"], out["baseline"]
    assert resumed["step"] == 4
    assert resumed["cached_tokens_by_tier"].get("disk", 0) == resumed["cached_tokens"] > 0
    assert resumed["computed_tokens"] <= resumed["fresh_tokens"] + 1
    assert baseline["cached_tokens"] == 0 and baseline["computed_tokens"] == resumed["prompt_tokens"]


def test_loop_stops_when_the_context_is_full(tiny_model) -> None:  # noqa: ANN001
    shape = LoopShape(system_tokens=100, tool_tokens=900, output_tokens=8)
    engine = Engine(tiny_model, None, EngineConfig(block_size=16))
    loop = AgentLoop.start(tiny_model.tokenizer, shape)
    while loop.fits(engine):
        record = loop.run_step(engine, "s")
        assert record.prompt_tokens + shape.output_tokens <= tiny_model.max_context
    assert 2 <= loop.step <= tiny_model.max_context // shape.tool_tokens + 1
