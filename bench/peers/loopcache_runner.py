"""loopcache side of bench/engine_vs_peers.py: the same spec and result schemas as the peer runners.

    .venv/bin/python bench/peers/loopcache_runner.py --model default --spec spec.json --out loopcache.json

The engine runs with its memory tier as the prefix cache (no disk tier: the peers keep their caches in
memory too), greedy, `ignore_eos`, exactly max_tokens out. Timings are the engine's own per-sequence
clock (arrival, first token, end), so a concurrent batch reports each sequence's TTFT.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import Gen  # noqa: E402


class LoopcacheAdapter:
    engine = "loopcache"
    aggregate_mode = "concurrent"
    aggregate_note = "all n sequences added at once; continuous batching decodes them in one forward per step"

    def __init__(self, engine) -> None:  # noqa: ANN001
        from loopcache.engine.sampling import SamplingParams

        self.engine = engine
        self._params = lambda n: SamplingParams(max_tokens=n, ignore_eos=True)

    def run_many(self, prompts: list[list[int]], max_tokens: int) -> tuple[float, list[Gen]]:
        t0 = time.perf_counter()
        outs = self.engine.generate_many(prompts, self._params(max_tokens))
        wall = time.perf_counter() - t0
        return wall, [Gen(o.stats.ttft_s, o.stats.ttft_s + o.stats.decode_s, list(o.token_ids), o.stats.cached_tokens)
                      for o in outs]

    def run_one(self, prompt: list[int], max_tokens: int) -> Gen:
        return self.run_many([prompt], max_tokens)[1][0]


def main() -> None:
    started = time.perf_counter()
    args = common.parse_args(__doc__.splitlines()[0])
    spec = common.load_spec(args.spec)
    import torch

    from loopcache.config import RunConfig
    from loopcache.engine.config import EngineConfig
    from loopcache.engine.factory import open_engine
    from loopcache.kvcache.tier_config import TierConfig

    torch.set_num_threads(args.threads)
    home = Path.home() / ".cache" / "loopcache"
    config = RunConfig(model=str(args.model), home=home, tiers=TierConfig(root=home / "bench-peers", disk=False),
                       engine=EngineConfig(max_running=16))
    t = time.perf_counter()
    engine = open_engine(config)
    engine.warmup()
    header = {
        "engine": "loopcache",
        "engine_version": "loopcache 0.1.0",
        "model_info": {"name": engine.model.name, "dtype": engine.model.dtype, "path": str(engine.model.path)},
        "config": {"threads": torch.get_num_threads(), "block_size": engine.config.block_size,
                   "step_tokens": engine.config.step_tokens, "tiers": "memory"},
        "start_s": round(time.perf_counter() - t, 3),
    }
    common.run_spec(LoopcacheAdapter(engine), spec, args, started, header)
    engine.close()


if __name__ == "__main__":
    main()
