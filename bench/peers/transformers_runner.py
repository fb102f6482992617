"""Plain transformers side of bench/engine_vs_peers.py: `model.generate`, as a user without a serving layer
would call it. Same spec and result schemas as the peer runners.

    .venv/bin/python bench/peers/transformers_runner.py --model HF_FOLDER --spec spec.json --out hf.json

bfloat16, greedy, exactly max_tokens out (min_new_tokens = max_new_tokens). There is no prefix cache across
calls, so every prompt is prefilled in full (cached_tokens 0). `run_many` batches equal-length prompts in one
`generate` call (aggregate mode "concurrent"); TTFT is taken when the streamer receives the first token.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import Gen  # noqa: E402


class _FirstToken:
    """A generate() streamer that notes when the first new token arrives (the first put is the prompt)."""

    def __init__(self) -> None:
        self.calls = 0
        self.first_s: float | None = None

    def put(self, value) -> None:  # noqa: ANN001
        self.calls += 1
        if self.calls == 2:
            self.first_s = time.perf_counter()

    def end(self) -> None:
        pass


class TransformersAdapter:
    engine = "transformers"
    aggregate_mode = "concurrent"
    aggregate_note = "one generate() call over the batch (equal-length prompts, no padding)"

    def __init__(self, model) -> None:  # noqa: ANN001
        self.model = model

    def run_many(self, prompts: list[list[int]], max_tokens: int) -> tuple[float, list[Gen]]:
        import torch

        if len({len(p) for p in prompts}) != 1:
            raise ValueError("transformers runner batches equal-length prompts only")
        streamer = _FirstToken()
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(torch.tensor(prompts), max_new_tokens=max_tokens, min_new_tokens=max_tokens,
                                      do_sample=False, streamer=streamer, pad_token_id=0)
        wall = time.perf_counter() - t0
        ttft = (streamer.first_s or time.perf_counter()) - t0
        n = len(prompts[0])
        return wall, [Gen(ttft, wall, out[i, n:].tolist(), 0) for i in range(len(prompts))]

    def run_one(self, prompt: list[int], max_tokens: int) -> Gen:
        return self.run_many([prompt], max_tokens)[1][0]


def main() -> None:
    started = time.perf_counter()
    args = common.parse_args(__doc__.splitlines()[0])
    spec = common.load_spec(args.spec)
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(str(args.model), dtype=torch.bfloat16).eval()
    model.generation_config.eos_token_id = None  # exactly max_tokens, like ignore_eos elsewhere
    header = {
        "engine": "transformers",
        "engine_version": f"transformers {transformers.__version__}",
        "model_info": {"path": str(args.model), "dtype": "bfloat16", "attn": model.config._attn_implementation},
        "config": {"threads": torch.get_num_threads()},
        "start_s": round(time.perf_counter() - t, 3),
    }
    common.run_spec(TransformersAdapter(model), spec, args, started, header)


if __name__ == "__main__":
    main()
