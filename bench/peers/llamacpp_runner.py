"""llama.cpp (llama-cpp-python) side of bench/engine_vs_peers.py.

    .venv-peers/bin/python bench/peers/llamacpp_runner.py --model MODEL.gguf --spec spec.json --out result.json

Runs the GGUF file itself (its quantisation is reported under model_info). One `Llama` object for the whole
run. Prefix cache, both parts llama-cpp-python's own: the context keeps the KV of its last sequence and
`Llama.generate` reuses the longest prefix a new prompt shares with it; and a `LlamaRAMCache` of saved
states (save_state after each request, untimed; load_state inside the timed request when a saved state
shares a longer prefix), as `Llama.set_cache` gives create_completion. So a prompt seen before, not only
the last one, is a hit, as in vLLM. Greedy (temp=0), EOS ignored: `Llama.generate` does not stop at EOS,
the runner stops after max_tokens. llama-cpp-python decodes one sequence at a time, so the aggregate
section runs its n sequences one after another (mode "sequential"). Flash attention on by default.
Threads: by default 1 for decoding (n_threads) and all CPUs for prompts (n_threads_batch). On this shared
2-core machine, 2 decode threads spin-wait for each other whenever another process takes a core, and
decode fell to 2-8 tok/s (64 tokens up to 50 s) where 1 thread held 16-47 tok/s; prompts, compute-bound,
still gain from 2. `--threads 2` gives the plain n_threads=2 setting.
Spec and result schemas: README.md beside this file.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import Gen  # noqa: E402

# general.file_type of a GGUF (llama.cpp's llama_ftype), the common ones.
FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
              12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}


class LlamaCppAdapter:
    engine = "llama.cpp"
    aggregate_mode = "sequential"
    aggregate_note = ("llama-cpp-python runs one sequence at a time in one context: the n sequences run one "
                      "after another; each starts from the longest cached prefix (in context or in the state "
                      "cache) and prefills the rest inside its own TTFT")

    def __init__(self, llm, cache_bytes: int, cache_entries: int) -> None:
        from llama_cpp import LlamaRAMCache

        self.llm = llm
        # llama-cpp-python's own multi-prompt cache (what create_completion uses with Llama.set_cache):
        # saved states of earlier sequences, found by longest shared prefix. Without it the engine keeps
        # only its last sequence. Its byte limit counts KV only; each state also copies the n_batch x
        # n_vocab logits (~100 MB here), hence the entry cap too.
        self.cache = LlamaRAMCache(capacity_bytes=cache_bytes) if cache_bytes > 0 else None
        self.cache_entries = cache_entries
        self.stats = {"state_loads": 0, "state_saves": 0, "state_save_s": 0.0}

    def _held_prefix(self, prompt: list[int]) -> int:
        return common._common_prefix(self.llm._input_ids[: self.llm.n_tokens].tolist(), prompt)

    def run_one(self, prompt: list[int], max_tokens: int) -> Gen:
        from llama_cpp import Llama

        llm = self.llm
        out: list[int] = []
        ttft = None
        t0 = time.perf_counter()
        reuse = self._held_prefix(prompt)
        if self.cache is not None:
            key = self.cache._find_longest_prefix_key(tuple(prompt))
            if key is not None and Llama.longest_token_prefix(key, prompt) > reuse:
                llm.load_state(self.cache[key])
                self.stats["state_loads"] += 1
                reuse = self._held_prefix(prompt)
        if reuse == len(prompt):
            reuse -= 1  # Llama.generate replays the last prompt token to get its logits
        for tok in llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True):
            if ttft is None:
                ttft = time.perf_counter() - t0
            out.append(int(tok))
            if len(out) >= max_tokens:
                break
        total = time.perf_counter() - t0
        if self.cache is not None:  # not timed: done between requests
            t = time.perf_counter()
            self.cache[llm._input_ids[: llm.n_tokens].tolist()] = llm.save_state()
            while len(self.cache.cache_state) > self.cache_entries:
                self.cache.cache_state.popitem(last=False)
            self.stats["state_saves"] += 1
            self.stats["state_save_s"] += time.perf_counter() - t
        return Gen(ttft_s=ttft if ttft is not None else total, total_s=total, output_ids=out, cached_tokens=max(reuse, 0))

    def run_many(self, prompts: list[list[int]], max_tokens: int) -> tuple[float, list[Gen]]:
        t0 = time.perf_counter()
        gens = [self.run_one(p, max_tokens) for p in prompts]
        return time.perf_counter() - t0, gens


def _extra_args(p) -> None:
    p.add_argument("--flash-attn", choices=["on", "off"], default="on",
                   help="llama.cpp flash attention (default on: llama.cpp's own tools pick it on CPU)")
    p.add_argument("--threads-batch", type=int, default=None,
                   help="threads for prompt processing (n_threads_batch; default: all CPUs)")
    p.add_argument("--state-cache-mib", type=int, default=2048,
                   help="LlamaRAMCache of saved sequence states, MiB of KV (0: only the in-context prefix)")
    p.add_argument("--state-cache-entries", type=int, default=16)


def main() -> None:
    started = time.perf_counter()
    args = common.parse_args("llama.cpp peer runner", extra=_extra_args, default_threads=1)
    spec = common.load_spec(args.spec)
    if not args.model.is_file():
        common.fail(f"--model must be a GGUF file: {args.model}")
    import llama_cpp
    from llama_cpp import Llama

    opts = dict(n_ctx=spec.max_model_len, n_threads=args.threads, n_threads_batch=args.threads_batch or os.cpu_count() or 2, logits_all=False, verbose=False,
                flash_attn=args.flash_attn == "on")
    common.log(f"llama.cpp {llama_cpp.__version__}: loading {args.model} {opts}")
    t = time.perf_counter()
    llm = Llama(model_path=str(args.model), **opts)
    start_s = time.perf_counter() - t
    ftype = int(llm.metadata.get("general.file_type", -1))
    model_info = {
        "path": str(args.model),
        "format": "gguf",
        "quantization": FILE_TYPES.get(ftype, f"file_type {ftype}"),
        "general.file_type": ftype,
        "desc": llm._model.desc(),
        "n_params": llm._model.n_params(),
        "size_bytes": llm._model.size(),
        "n_vocab": llm.n_vocab(),
        "name": llm.metadata.get("general.name"),
    }
    common.log(f"loaded in {start_s:.2f}s: {model_info['desc']}, quantization {model_info['quantization']}")
    if spec.vocab_size is not None and spec.vocab_size > llm.n_vocab():
        common.fail(f"spec vocab_size {spec.vocab_size} > model n_vocab {llm.n_vocab()}")
    header = {
        "engine": "llama.cpp",
        "engine_version": f"llama-cpp-python {llama_cpp.__version__}",
        "model_info": model_info,
        "config": opts | {"n_batch": llm.n_batch, "n_ubatch": llm.context_params.n_ubatch,
                          "flash_attn_type": int(getattr(llm.context_params, "flash_attn_type", -1)),
                          "prefix_cache": "longest shared prefix: in-context KV of the last sequence, else a "
                                          "LlamaRAMCache state" if args.state_cache_mib else "in-context KV only",
                          "state_cache_mib": args.state_cache_mib, "state_cache_entries": args.state_cache_entries,
                          "system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
                          "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
        "start_s": round(start_s, 3),
    }
    adapter = LlamaCppAdapter(llm, args.state_cache_mib << 20, args.state_cache_entries)
    result = common.run_spec(adapter, spec, args, started, header)
    result["config"]["state_cache_stats"] = adapter.stats | {"state_save_s": round(adapter.stats["state_save_s"], 3)}
    common.write_result(result, args.out)


if __name__ == "__main__":
    main()
