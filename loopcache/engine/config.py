"""Engine settings (no torch import here, so the CLI can validate them cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.blend.config import BlendConfig

DEFAULT_POOL_BYTES = 2 * 2**30


@dataclass(frozen=True)
class EngineConfig:
    """How the engine batches and where running KV lives.

    block_size: tokens per KV block, in the pool and in the store (one size, so blocks move without reshaping).
    step_tokens: the token budget of one engine step while sequences are decoding: each decode takes one,
        prefill chunks share the rest. Smaller keeps other sessions' tokens flowing during a long prefill.
    solo_step_tokens: the budget when nothing is decoding: a lone prompt is prefilled in fewer, larger
        chunks (one attention call over the whole prompt is measurably faster than several with a mask); a
        request arriving meanwhile waits for the end of that step.
    max_running: sequences decoding together at most (the rest wait in the queue).
    pool_bytes: hard limit of the KV block pool (the KV of running sequences); when full, the newest running
        sequence is preempted (its KV goes to the store, it resumes from there later).
    threads: CPU threads for torch (0: leave torch's default).
    native_kernels: use the C decode kernels (`native.py`) where they apply (bf16 on CPU); off: PyTorch only.
    learn_costs: learn load-vs-recompute costs from measured timings (off: fixed priors, reproducible runs).
    blend: reuse the KV of chunks (tool results, documents, messages) found after the prefix hit at new
        positions (`loopcache.blend`, docs/blend.md); None (the default): prefix reuse only. Needs a store.
    """

    block_size: int = 256
    step_tokens: int = 512
    solo_step_tokens: int = 8192
    max_running: int = 16
    pool_bytes: int = DEFAULT_POOL_BYTES
    threads: int = 0
    native_kernels: bool = True
    learn_costs: bool = True
    blend: BlendConfig | None = None

    def __post_init__(self) -> None:
        if self.block_size < 1 or self.step_tokens < 1 or self.solo_step_tokens < 1 or self.max_running < 1:
            raise ValueError("block_size, step_tokens, solo_step_tokens and max_running must be positive")
        if self.pool_bytes < 1:
            raise ValueError("pool_bytes must be positive")
        if self.threads < 0:
            raise ValueError("threads must be >= 0 (0: torch's default)")
