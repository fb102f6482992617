"""Run one step of a session in a fresh process: the engine starts with an empty memory tier and finds the
session's KV on disk. Used by `loopcache demo` (`ResumeRequest`: the loop's next step) and the `restart`
mode of the agent-loop benchmark (`ReplayRequest`: a given prompt, then the answer another run produced).

    python -m loopcache.workload.resume < request.json > result.json
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loopcache.config import RunConfig
from loopcache.engine.config import EngineConfig
from loopcache.kvcache.tier_config import TierConfig


@dataclass(frozen=True)
class FreshProcess:
    """Where the fresh process finds its model and its cache."""

    model: str
    device: str
    dtype: str
    home: str
    cache_root: str
    block_size: int
    threads: int = 0
    learn_costs: bool = True
    memory_tier: bool = True  # empty at start either way; False measures the disk alone

    def run_config(self) -> RunConfig:
        tiers = TierConfig(root=Path(self.cache_root), memory=self.memory_tier)
        engine = EngineConfig(block_size=self.block_size, threads=self.threads, learn_costs=self.learn_costs)
        return RunConfig(self.model, self.device, self.dtype, Path(self.home), tiers, engine)

    @classmethod
    def of(cls, config: RunConfig, cache_root: Path, memory_tier: bool = True) -> FreshProcess:
        return cls(config.model, config.device, config.dtype, str(config.home), str(cache_root),
                   config.engine.block_size, config.engine.threads, config.engine.learn_costs, memory_tier)


@dataclass(frozen=True)
class ResumeRequest:
    """Run the loop's next step (`state` from `AgentLoop.to_state`); optionally also without any cache."""

    where: FreshProcess
    session_id: str
    state: dict[str, Any]
    baseline: bool = False


@dataclass(frozen=True)
class ReplayRequest:
    """Time the first token of `prompt_ids`, then feed `answer_ids` after it (prefill, not decode), so the
    session's KV ends where the run that produced the answer left it."""

    where: FreshProcess
    session_id: str
    prompt_ids: list[int] = field(default_factory=list)
    answer_ids: list[int] = field(default_factory=list)


def run_in_subprocess(request: ResumeRequest | ReplayRequest, timeout_s: float = 900) -> dict[str, Any]:
    """Run `request` in a new Python process; returns its result (see `main`)."""
    kind = "replay" if isinstance(request, ReplayRequest) else "resume"
    proc = subprocess.run(
        [sys.executable, "-m", "loopcache.workload.resume"],
        input=json.dumps({"kind": kind, **asdict(request)}),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"resume process failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    import time

    from loopcache.engine.engine import Engine
    from loopcache.engine.factory import open_engine
    from loopcache.engine.sampling import SamplingParams
    from loopcache.workload.agent_loop import AgentLoop

    t0 = time.perf_counter()
    raw = json.loads(sys.stdin.read())
    kind = raw.pop("kind")
    where = FreshProcess(**raw.pop("where"))
    engine = open_engine(where.run_config())
    engine.warmup()
    ready_s = time.perf_counter() - t0
    if kind == "replay":
        request = ReplayRequest(where, **raw)
        first = engine.generate(request.prompt_ids, SamplingParams(max_tokens=1), request.session_id)
        engine.generate(request.prompt_ids + request.answer_ids, SamplingParams(max_tokens=1), request.session_id)
        out = {"stats": first.stats.to_dict(), "ready_s": ready_s}
    else:
        resume = ResumeRequest(where, **raw)
        loop = AgentLoop.from_state(resume.state)
        baseline = None
        if resume.baseline:
            uncached = Engine(engine.model, None, engine.config)
            baseline = AgentLoop.from_state(resume.state).run_step(uncached, resume.session_id).to_dict()
        record = loop.run_step(engine, resume.session_id)
        out = {"record": record.to_dict(), "state": loop.to_state(), "ready_s": ready_s, "baseline": baseline}
    engine.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
