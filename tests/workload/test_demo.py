"""`loopcache demo` end to end on the tiny model: the loop, the restart in a new process, the JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from loopcache.config import RunConfig
from loopcache.engine.config import EngineConfig
from loopcache.kvcache.tier_config import TierConfig
from loopcache.workload.agent_loop import LoopShape
from loopcache.workload.demo import run_demo


def test_demo_runs_the_loop_then_resumes_from_disk(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = RunConfig(str(tiny_model_dir), "cpu", "float32", tmp_path, TierConfig(root=tmp_path),
                       EngineConfig(16, learn_costs=False))  # the tiny model prefills faster than it loads
    out = io.StringIO()
    shape = LoopShape(system_tokens=100, tool_tokens=50, output_tokens=10, max_steps=4)
    run_demo(config, shape, Console(file=out, width=120), tmp_path / "demo.json")
    report = json.loads((tmp_path / "demo.json").read_text())
    assert [s["step"] for s in report["steps"]] == [1, 2, 3]
    assert report["prefill_amplification"] <= 1.1
    resumed, uncached = report["restart"]["resumed"], report["restart"]["uncached"]
    by_tier = resumed["cached_tokens_by_tier"]  # the memory tier starts empty: "memory" is the start-up prefetch
    assert resumed["step"] == 4 and set(by_tier) <= {"disk", "memory"} and sum(by_tier.values()) == resumed["cached_tokens"]
    assert resumed["cached_tokens"] > 0 and resumed["computed_tokens"] <= resumed["fresh_tokens"] + 1
    assert uncached["cached_tokens"] == 0 and uncached["prompt_tokens"] == resumed["prompt_tokens"]
    text = out.getvalue()
    assert "resumed from disk" in text and "step 4 in a fresh process" in text
