"""The agent-loop benchmark end to end on the tiny model: three modes on the same prompts, the JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from loopcache.config import RunConfig
from loopcache.engine.config import EngineConfig
from loopcache.kvcache.tier_config import TierConfig
from loopcache.workload.agent_loop import LoopShape
from loopcache.workload.bench import run_agent_loop_bench


def test_bench_runs_three_modes_on_the_same_prompts(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = RunConfig(str(tiny_model_dir), "cpu", "float32", tmp_path, TierConfig(root=tmp_path),
                       EngineConfig(16, learn_costs=False))  # the tiny model prefills faster than it loads
    out = io.StringIO()
    shape = LoopShape(system_tokens=100, tool_tokens=50, output_tokens=10, max_steps=3)
    result = run_agent_loop_bench(config, shape, Console(file=out, width=160), tmp_path / "bench.json")
    assert json.loads((tmp_path / "bench.json").read_text())["last_step"] == result["last_step"]
    modes = {m: result["modes"][m]["steps"] for m in ("nocache", "warm", "restart")}
    assert [s["prompt_tokens"] for s in modes["nocache"]] == [s["prompt_tokens"] for s in modes["warm"]]
    assert [s["prompt_tokens"] for s in modes["restart"]] == [s["prompt_tokens"] for s in modes["warm"]]
    assert all(s["cached_tokens"] == 0 for s in modes["nocache"])
    for later in modes["restart"][1:]:  # a new process each step: every hit comes from disk
        assert later["cached_tokens"] > 0 and later["cached_tokens_by_tier"] == {"disk": later["cached_tokens"]}
        assert later["computed_tokens"] <= later["fresh_tokens"] + 1
    assert result["modes"]["warm"]["prefill_amplification"] <= 1.1
    assert result["modes"]["restart"]["prefill_amplification"] <= 1.1
    assert result["modes"]["nocache"]["prefill_amplification"] > 1.5
    assert "step 3:" in out.getvalue()  # progress lines as it goes
