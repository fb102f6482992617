"""What one request cost: tokens served from each tier, tokens computed, and where the time went."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class RequestStats:
    session_id: str | None
    namespace: str
    prompt_tokens: int
    cached_tokens: int
    cached_tokens_by_tier: dict[str, int] = field(default_factory=dict)
    computed_tokens: int = 0  # prompt tokens the engine ran prefill on (again after a preemption)
    skipped_cached_tokens: int = 0  # cached, but recomputing was cheaper
    completion_tokens: int = 0
    stored_blocks: int = 0
    queued_s: float = 0.0  # from arrival to admission (waiting for a slot in the batch)
    load_s: float = 0.0  # prefix lookup and loading cached KV into the pool
    prefill_s: float = 0.0  # engine steps the prompt took part in (shared with other sequences)
    ttft_s: float = 0.0  # from arrival to the first token
    decode_s: float = 0.0  # from the first token to the end
    num_preemptions: int = 0
    finish_reason: str = "length"
    blended_tokens: int = 0  # chunk tokens reused at a new position, not recomputed (loopcache.blend)
    blend_fallback: str = ""  # why a request with reusable chunks was prefilled in full ("proxy", ...)

    @property
    def decode_tokens_per_s(self) -> float:
        steps = self.completion_tokens - 1  # the first token comes from prefill
        return steps / self.decode_s if steps > 0 and self.decode_s > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["decode_tokens_per_s"] = self.decode_tokens_per_s
        return out


@dataclass(frozen=True)
class EngineCounters:
    """The engine's state for monitoring: the batch, the queue, the KV pool, and what went wrong."""

    running: int
    waiting: int
    pool_blocks_used: int
    pool_blocks: int
    preemptions: int
    rejected_blocks: int  # cached blocks found but failing verification (deleted, recomputed)
