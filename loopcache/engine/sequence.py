"""All per-request state of one running generation.

    token_ids:  [ prompt ............................ ][ output ....... ]
    KV:         [ loaded from the store ][ computed ][ computing ]x          x: the last sampled token
                 <------- num_cached ---><---------- num_computed ------->   (num_computed counts from 0)

A sequence advances by steps: each step computes `token_ids[num_computed : num_computed + n]`; when that
reaches the end of `token_ids`, the step's last logits sample one more token. A decode step is the case
n = 1. Preemption frees the KV (it went to the store first) and sets `num_computed` back to 0; the next
admission finds it there again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from loopcache.engine.detokenizer import Detokenizer
from loopcache.engine.sampling import Sampler, SamplingParams
from loopcache.kvcache.block_hash import BlockHash


class SequenceStatus(Enum):
    WAITING = "waiting"  # queued, holds no KV
    RUNNING = "running"  # holds pool blocks
    FINISHED = "finished"  # done or aborted; holds nothing


@dataclass(frozen=True)
class CachedPrefix:
    """What admission found in the store for this sequence: tokens loaded per tier, and tokens skipped
    because recomputing them was cheaper than loading."""

    num_tokens: int = 0
    tokens_by_tier: dict[str, int] = field(default_factory=dict)
    num_skipped: int = 0


@dataclass(eq=False)
class Sequence:
    """One request from admission to its end. Owned by the engine thread; `sink` receives its events."""

    seq_id: int
    prompt_ids: list[int]
    params: SamplingParams
    max_new_tokens: int
    detokenizer: Detokenizer
    session_id: str | None = None
    namespace: str = "default"
    sink: Callable[[Any], None] | None = None
    use_cache: bool = True  # look up and store KV (off for warm-up and evaluation runs)
    status: SequenceStatus = SequenceStatus.WAITING
    output_ids: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)  # pool block ids, in token order
    num_computed: int = 0
    block_hashes: list[BlockHash] = field(default_factory=list)  # keys of full blocks of token_ids, a prefix
    num_blocks_stored: int = 0  # leading full blocks known to be in the store (loaded or put)
    tail_keys: list[BlockHash] = field(default_factory=list)  # tail slots it stored when it ended
    first_prefix: CachedPrefix | None = None  # what the first admission loaded: the figures usage reports
    num_prompt_computed: int = 0  # prompt tokens this sequence ran prefill on (over all admissions)
    finish_reason: str | None = None
    num_preemptions: int = 0
    arrival_s: float = field(default_factory=time.perf_counter)
    admitted_s: float | None = None
    first_token_s: float | None = None
    finished_s: float | None = None
    load_s: float = 0.0
    prefill_s: float = 0.0
    stored_blocks: int = 0
    # Blended prefill (`engine/blend_prefill.py`): KV at positions >= num_exact is approximate and is never
    # stored as prefix blocks (None: all of it is exact); what blending did for this request.
    num_exact: int | None = None
    blend: Any = None  # a BlendOutcome once admission looked for chunks
    sampler: Sampler = field(init=False)

    def __post_init__(self) -> None:
        self.sampler = Sampler(self.params)

    def held_keys(self) -> list[BlockHash]:
        """The store keys this sequence's KV lives under: its full blocks, then its tail slots."""
        return [*self.block_hashes[: self.num_blocks_stored], *self.tail_keys]

    @property
    def token_ids(self) -> list[int]:
        return self.prompt_ids + self.output_ids

    @property
    def num_tokens(self) -> int:
        return len(self.prompt_ids) + len(self.output_ids)

    @property
    def num_pending(self) -> int:
        """Tokens whose KV is still to be computed (1 while decoding)."""
        return self.num_tokens - self.num_computed

    @property
    def is_prefilling(self) -> bool:
        return self.num_computed < len(self.prompt_ids)

    @property
    def is_finished(self) -> bool:
        return self.status is SequenceStatus.FINISHED

    def emit(self, event: Any) -> None:
        if self.sink is not None:
            self.sink(event)
