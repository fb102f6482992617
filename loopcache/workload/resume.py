"""Resume an agent loop in a fresh process: the engine starts with an empty memory tier and finds the
session's KV on disk. Used by `loopcache demo` and the `restart` mode of the agent-loop benchmark.

    python -m loopcache.workload.resume < request.json > result.json
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loopcache.config import RunConfig
from loopcache.engine.config import EngineConfig
from loopcache.kvcache.tier_config import TierConfig


@dataclass(frozen=True)
class ResumeRequest:
    model: str
    device: str
    dtype: str
    home: str
    cache_root: str
    block_size: int
    session_id: str
    state: dict[str, Any]
    memory_tier: bool = True  # empty at start either way; False measures the disk alone
    baseline: bool = False  # also run the same step without any cache, for comparison

    def run_config(self) -> RunConfig:
        tiers = TierConfig(root=Path(self.cache_root), memory=self.memory_tier)
        engine = EngineConfig(block_size=self.block_size)
        return RunConfig(self.model, self.device, self.dtype, Path(self.home), tiers, engine)


def run_in_subprocess(request: ResumeRequest, timeout_s: float = 900) -> dict[str, Any]:
    """Run one resumed step in a new Python process; returns its result (see `main`)."""
    proc = subprocess.run(
        [sys.executable, "-m", "loopcache.workload.resume"],
        input=json.dumps(asdict(request)),
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
    from loopcache.workload.agent_loop import AgentLoop

    t0 = time.perf_counter()
    request = ResumeRequest(**json.loads(sys.stdin.read()))
    engine = open_engine(request.run_config())
    engine.warmup()
    ready_s = time.perf_counter() - t0
    loop = AgentLoop.from_state(request.state)
    baseline = None
    if request.baseline:
        uncached = Engine(engine.model, None, engine.config)
        baseline = AgentLoop.from_state(request.state).run_step(uncached, request.session_id).to_dict()
    record = loop.run_step(engine, request.session_id)
    engine.close()
    out = {"record": record.to_dict(), "state": loop.to_state(), "ready_s": ready_s, "baseline": baseline}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
