"""Scheduler: which sequences run in the next step, and how many tokens of each.

    step budget (EngineConfig.step_tokens; solo_step_tokens while nothing decodes):
    [ decode 1 ][ decode 1 ][ decode 1 ] [ prefill chunk of a running prompt ] [ prefill chunk of a new one ]
      running sequences, oldest first     continuing prefills                    admitted from the queue

Decodes go first, so a long prefill never stops other sessions' tokens: it is cut into chunks that share
each step with them. A waiting sequence is admitted (FIFO) when the budget, `max_running` and the pool allow;
admission looks its prefix up in the store and loads it into its first pool blocks. When a running sequence
needs a block and the pool is full, the newest other running sequence is preempted: its KV goes to the store
(where its next admission finds it again), its blocks are freed, and it returns to the head of the queue.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from loopcache.engine.block_pool import BlockPool
from loopcache.engine.config import EngineConfig
from loopcache.engine.prefix_cache import PrefixCache
from loopcache.engine.sequence import Sequence, SequenceStatus


class SequenceTooLongError(RuntimeError):
    """A sequence needs more KV than the whole pool holds."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """Compute tokens [start, start + num_tokens) of `seq` in this step."""

    seq: Sequence
    start: int
    num_tokens: int

    @property
    def samples(self) -> bool:
        """Whether the chunk reaches the end of the sequence (its last logits give the next token)."""
        return self.start + self.num_tokens == self.seq.num_tokens


@dataclass(frozen=True)
class StepPlan:
    chunks: tuple[Chunk, ...]
    preempted: tuple[Sequence, ...] = ()
    failed: tuple[tuple[Sequence, Exception], ...] = ()  # sequences that can never run (removed)


class Scheduler:
    def __init__(self, pool: BlockPool, prefix_cache: PrefixCache, config: EngineConfig,
                 on_admit: Callable[[Sequence, int], int] | None = None) -> None:
        self.pool = pool
        # called once a sequence's prefix hit is loaded, with the number of cached tokens; returns how many
        # tokens are computed from there on (the blend hook computes some of them itself)
        self.on_admit = on_admit
        self.prefix_cache = prefix_cache
        self.config = config
        self.waiting: deque[Sequence] = deque()
        self.running: list[Sequence] = []  # in admission order
        self.num_preemptions = 0

    @property
    def has_work(self) -> bool:
        return bool(self.waiting or self.running)

    @property
    def queue_depth(self) -> int:
        """Waiting sequences beyond the free places in the running batch."""
        return max(0, len(self.waiting) - (self.config.max_running - len(self.running)))

    def add(self, seq: Sequence) -> None:
        seq.status = SequenceStatus.WAITING
        self.waiting.append(seq)

    def schedule(self) -> StepPlan:
        decoding = any(s.status is SequenceStatus.RUNNING and not s.is_prefilling for s in self.running)
        budget = self.config.step_tokens if decoding else max(self.config.step_tokens, self.config.solo_step_tokens)
        chunks: list[Chunk] = []
        preempted: list[Sequence] = []
        failed: list[tuple[Sequence, Exception]] = []
        for decoding in (True, False):
            for seq in list(self.running):
                if seq.status is not SequenceStatus.RUNNING or seq.is_prefilling == decoding or budget <= 0:
                    continue
                n = 1 if decoding else min(seq.num_pending, budget)
                if self._grow(seq, seq.num_computed + n, preempted, failed):
                    chunks.append(Chunk(seq, seq.num_computed, n))
                    budget -= n
        while self.waiting and budget > 0 and len(self.running) < self.config.max_running:
            seq = self.waiting[0]
            try:
                chunk = self._admit(seq, budget)
            except SequenceTooLongError as exc:
                self.finish(seq, "error")
                failed.append((seq, exc))
                continue
            if chunk is None:
                break
            self.waiting.popleft()
            chunks.append(chunk)
            budget -= chunk.num_tokens
        # a sequence preempted after its chunk was planned does not run
        live = tuple(c for c in chunks if c.seq.status is SequenceStatus.RUNNING)
        return StepPlan(live, tuple(preempted), tuple(failed))

    def finish(self, seq: Sequence, reason: str) -> None:
        """End a running or waiting sequence: store what it computed, free its blocks."""
        if seq in self.waiting:
            self.waiting.remove(seq)
        if seq in self.running:
            self._release(seq)
        seq.status = SequenceStatus.FINISHED
        seq.finish_reason = reason
        seq.finished_s = time.perf_counter()

    def check_integrity(self) -> None:
        """Raise AssertionError unless pool ownership and sequence states agree."""
        if any(s.status is not SequenceStatus.RUNNING or not s.blocks for s in self.running):
            raise AssertionError("a running sequence is not RUNNING or holds no blocks")
        if any(s.status is not SequenceStatus.WAITING or s.blocks for s in self.waiting):
            raise AssertionError("a waiting sequence holds blocks")
        for s in self.running:
            if self.pool.blocks_for(s.num_computed) > len(s.blocks):
                raise AssertionError(f"sequence {s.seq_id} has KV beyond its blocks")
        self.pool.check_integrity(s.blocks for s in self.running)

    # ---- internals ----------------------------------------------------------------------------------------

    def _admit(self, seq: Sequence, budget: int) -> Chunk | None:
        """Look `seq`'s prefix up, give it blocks and load the hit; None if the pool has no room now."""
        t0 = time.perf_counter()
        hit = self.prefix_cache.lookup(seq) if seq.use_cache else None
        cached = hit.num_tokens if hit is not None else 0
        n = min(seq.num_tokens - cached, budget)
        needed = self.pool.blocks_for(seq.num_tokens)  # the whole prompt at once: its blocks side by side
        if needed > self.pool.num_blocks:
            raise SequenceTooLongError(f"needs {needed} KV blocks; the pool holds {self.pool.num_blocks}")
        if self.pool.num_free - needed < len(self.running):  # keep a block of room per running sequence
            return None
        blocks = self.pool.allocate(needed)
        if blocks is None:
            return None
        seq.blocks = blocks
        if hit is not None:
            self.prefix_cache.load(hit, self.pool, blocks)
            seq.num_blocks_stored = max(seq.num_blocks_stored, hit.num_chain_blocks)
            if seq.first_prefix is None:
                seq.first_prefix = hit.summary()
        if self.on_admit is not None and seq.use_cache:
            cached = self.on_admit(seq, cached)
            n = min(seq.num_tokens - cached, budget)
        seq.num_computed = cached
        seq.status = SequenceStatus.RUNNING
        seq.load_s += time.perf_counter() - t0
        if seq.admitted_s is None:
            seq.admitted_s = time.perf_counter()
        self.running.append(seq)
        return Chunk(seq, cached, n)

    def _grow(self, seq: Sequence, num_tokens: int, preempted: list[Sequence],
              failed: list[tuple[Sequence, Exception]]) -> bool:
        """Give `seq` blocks for `num_tokens` tokens, preempting the newest running sequences while the pool
        is full. False if `seq` does not run this step (it was the newest, so it was preempted, or it alone
        needs more than the pool)."""
        while True:
            extra = self.pool.blocks_for(num_tokens) - len(seq.blocks)
            if extra <= 0:
                return True
            got = self.pool.allocate(extra, after=seq.blocks[-1])
            if got is not None:
                seq.blocks.extend(got)
                return True
            if len(self.running) == 1:
                self.finish(seq, "error")
                failed.append((seq, SequenceTooLongError(
                    f"the sequence needs more than the KV pool's {self.pool.num_blocks} blocks")))
                return False
            victim = self.running[-1]
            self._preempt(victim)
            preempted.append(victim)
            if victim is seq:
                return False

    def _preempt(self, seq: Sequence) -> None:
        self._release(seq)
        seq.num_computed = 0
        seq.status = SequenceStatus.WAITING
        seq.num_preemptions += 1
        self.num_preemptions += 1
        self.waiting.appendleft(seq)

    def _release(self, seq: Sequence) -> None:
        """Store `seq`'s KV (full blocks, then tail slots) and give its blocks back."""
        if seq.use_cache:
            self.prefix_cache.store_full_blocks(seq, self.pool)
            self.prefix_cache.store_tails(seq, self.pool)
        self.pool.free(seq.blocks)
        seq.blocks = []
        self.running.remove(seq)
