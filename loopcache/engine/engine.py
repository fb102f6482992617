"""The engine: requests in, one batched step at a time, events out.

    add_request -> [scheduler: waiting] --admit: prefix lookup + load--> [running, KV in the block pool]
    step():  plan = scheduler.schedule()          decodes first, then prefill chunks, under a token budget
             logits = runner.forward(plan)        one batched forward for every scheduled sequence
             sample, detokenize, emit events;     full blocks go to the store as soon as they are computed
             finished sequences store their tail slots and free their blocks

Synchronous and single-threaded: whoever owns the engine calls `step()` (the server's engine thread, or
`stream` / `generate` / `generate_many` for a caller in Python). Each sequence reports through its `sink`:
`TextDelta`s, then one `Completion` (or one `Failure`). A sequence aborted early (a client that went away)
stores the KV it computed, so nothing computed is wasted.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence as Seq
from typing import Any

import torch

from loopcache.blend.chunk_store import ChunkStore
from loopcache.engine.blend_prefill import BlendedPrefill, BlendOutcome
from loopcache.engine.block_pool import BlockPool
from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.detokenizer import Detokenizer
from loopcache.engine.events import Completion, Event, Failure, TextDelta
from loopcache.engine.model_runner import ForwardChunk, Logits, ModelRunner
from loopcache.engine.native import NativeKernels
from loopcache.engine.prefix_cache import PrefixCache
from loopcache.engine.sampling import SamplingParams
from loopcache.engine.scheduler import Chunk, Scheduler
from loopcache.engine.sequence import Sequence
from loopcache.engine.stats import EngineCounters, RequestStats
from loopcache.kvcache.tiered import TieredStore
from loopcache.model.loader import LoadedModel
from loopcache.sessions.manager import SessionManager, StepOutcome

Message = Mapping[str, Any]

log = logging.getLogger(__name__)
__all__ = ["Completion", "Engine", "Failure", "PromptTooLongError", "TextDelta"]


class PromptTooLongError(ValueError):
    """The prompt does not fit the model's context window."""


class Engine:
    def __init__(self, model: LoadedModel, store: TieredStore | None, config: EngineConfig | None = None,
                 cost: CostModel | None = None, kernels: NativeKernels | None = None,
                 sessions: SessionManager | None = None) -> None:
        self.model = model
        self.store = store
        self.sessions = sessions
        self.config = config or EngineConfig()
        torch_dtype = next(model.model.parameters()).dtype
        self.pool = BlockPool(model.num_layers, model.num_kv_heads, model.head_dim, self.config.block_size,
                              self.config.pool_bytes, torch_dtype, model.device)
        cost = cost or CostModel(window=9 if self.config.learn_costs else 0)
        self.prefix_cache = PrefixCache(store, model.fingerprint, model.dtype, torch_dtype, self.config.block_size,
                                        model.kv_bytes_per_token, cost)
        self.runner = ModelRunner(model.model, self.pool, kernels)
        self.blend = self._blend(model, torch_dtype)
        self.scheduler = Scheduler(self.pool, self.prefix_cache, self.config,
                                   self.blend.admit if self.blend is not None else None)
        self._next_id = 0

    @property
    def cost(self) -> CostModel:
        """The load-or-recompute estimates (learnt online)."""
        return self.prefix_cache.cost

    # ---- requests -----------------------------------------------------------------------------------------

    def render(self, messages: Seq[Message], tools: Seq[Mapping[str, Any]] | None = None) -> list[int]:
        """Token ids of `messages` through the model's chat template, ready for the assistant's turn."""
        text = self.model.tokenizer.apply_chat_template(
            list(messages), tools=list(tools) if tools else None, add_generation_prompt=True, tokenize=False
        )
        return list(self.model.tokenizer.encode(text, add_special_tokens=False))

    def add_request(
        self,
        prompt: Seq[Message] | Seq[int],
        params: SamplingParams | None = None,
        session_id: str | None = None,
        namespace: str = "default",
        sink: Callable[[Event], None] | None = None,
        use_cache: bool = True,
    ) -> Sequence:
        """Queue a generation; its events go to `sink` as later `step()` calls produce them. Raises
        `PromptTooLongError` or `ValueError` (empty prompt) at once."""
        params = params or SamplingParams()
        ids = self._prompt_ids(prompt)
        room = self.model.max_context - len(ids)
        if room < 1:
            raise PromptTooLongError(f"prompt has {len(ids)} tokens; the model's context is {self.model.max_context}")
        self._next_id += 1
        seq = Sequence(
            seq_id=self._next_id,
            prompt_ids=ids,
            params=params,
            max_new_tokens=min(params.max_tokens, room),
            detokenizer=Detokenizer(self.model.tokenizer, params.stop),
            session_id=session_id,
            namespace=namespace,
            sink=sink,
            use_cache=use_cache and self.store is not None,
        )
        if self.sessions is not None and session_id and seq.use_cache:
            self._session_call("arrival", self.sessions.arrived, session_id, namespace)
        self.scheduler.add(seq)
        return seq

    def abort(self, seq: Sequence) -> None:
        """Stop `seq` without a result; the KV it computed is stored. No-op if it already ended."""
        if not seq.is_finished:
            self.scheduler.finish(seq, "cancelled")

    @property
    def has_work(self) -> bool:
        return self.scheduler.has_work

    @property
    def queue_depth(self) -> int:
        """Queued sequences beyond the free places in the running batch (they wait for others to end)."""
        return self.scheduler.queue_depth

    def step(self) -> int:
        """Run one batched forward over what the scheduler plans; deliver events. Returns tokens computed."""
        plan = self.scheduler.schedule()
        for seq, error in plan.failed:
            seq.emit(Failure(error))
        if not plan.chunks:
            return 0
        forward = [self._forward_chunk(c) for c in plan.chunks]
        t0 = time.perf_counter()
        try:
            logits = self.runner.forward(forward)
        except Exception as exc:  # noqa: BLE001 - the engine survives; these sequences fail
            for c in plan.chunks:
                self.scheduler.finish(c.seq, "error")
                c.seq.emit(Failure(exc))
            return 0
        elapsed = time.perf_counter() - t0
        prefill_tokens = sum(c.num_tokens for c in plan.chunks if c.num_tokens > 1)
        self.prefix_cache.cost.observe_prefill(prefill_tokens, elapsed)
        for chunk, row in zip(plan.chunks, logits):
            self._advance(chunk, row, elapsed)
        return sum(c.num_tokens for c in plan.chunks)

    # ---- convenience for a single caller ------------------------------------------------------------------

    def stream(
        self,
        prompt: Seq[Message] | Seq[int],
        params: SamplingParams | None = None,
        session_id: str | None = None,
        namespace: str = "default",
    ) -> Iterator[TextDelta | Completion]:
        """Yield `TextDelta`s as text is decoded, then one `Completion`; runs the engine until then. Closing
        the iterator early aborts the request (its KV is stored)."""
        events: deque[Event] = deque()
        seq = self.add_request(prompt, params, session_id, namespace, sink=events.append)
        try:
            while True:
                while events:
                    event = events.popleft()
                    if isinstance(event, Failure):
                        raise event.error
                    yield event
                    if isinstance(event, Completion):
                        return
                self.step()
        finally:
            self.abort(seq)

    def generate(
        self,
        prompt: Seq[Message] | Seq[int],
        params: SamplingParams | None = None,
        session_id: str | None = None,
        namespace: str = "default",
    ) -> Completion:
        return self.generate_many([prompt], params, [session_id], namespace)[0]

    def generate_many(
        self,
        prompts: Seq[Seq[Message] | Seq[int]],
        params: SamplingParams | None = None,
        session_ids: Seq[str | None] | None = None,
        namespace: str = "default",
    ) -> list[Completion]:
        """Run `prompts` together (continuous batching) and return their completions in order."""
        results: list[Completion | None] = [None] * len(prompts)
        failures: list[Exception] = []

        def sink_for(i: int) -> Callable[[Event], None]:
            def sink(event: Event) -> None:
                if isinstance(event, Completion):
                    results[i] = event
                elif isinstance(event, Failure):
                    failures.append(event.error)
            return sink

        ids = session_ids or [None] * len(prompts)
        seqs = [self.add_request(p, params, s, namespace, sink_for(i)) for i, (p, s) in enumerate(zip(prompts, ids))]
        try:
            while not failures and not all(s.is_finished for s in seqs):
                self.step()
        finally:
            for seq in seqs:
                self.abort(seq)
        if failures:
            raise failures[0]
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    @torch.inference_mode()
    def prompt_logprobs(self, token_ids: Seq[int], namespace: str = "default",
                        chunk_tokens: int | None = None) -> tuple[int, torch.Tensor]:
        """Log-probabilities the model gives each next token of `token_ids`, through the cache.

        Returns (number of leading tokens served from the cache, logprobs of shape (n - cached, vocab)): row i
        is the distribution after token `cached + i`. Nothing is stored. For evaluation and fidelity checks;
        `chunk_tokens=1` feeds one token per forward, through the decode path (default: the step budget).
        """
        ids = self._prompt_ids(token_ids)
        seq = Sequence(0, ids, SamplingParams(max_tokens=1), 1, Detokenizer(self.model.tokenizer), namespace=namespace)
        hit = self.prefix_cache.lookup(seq)
        blocks = self.pool.allocate(self.pool.blocks_for(len(ids)))
        if blocks is None:
            raise RuntimeError("the KV pool has no room for this evaluation now")
        rows = []
        try:
            self.prefix_cache.load(hit, self.pool, blocks)
            chunk = chunk_tokens or self.config.step_tokens
            for start in range(hit.num_tokens, len(ids), chunk):
                end = min(len(ids), start + chunk)
                piece = ForwardChunk(ids[start:end], start, blocks, Logits.ALL)
                rows.append(self.runner.forward([piece])[0])
        finally:
            self.pool.free(blocks)
        return hit.num_tokens, torch.log_softmax(torch.cat(rows).float(), dim=-1)

    def warmup(self) -> None:
        """Run a real-sized prefill and a few decode steps, uncached: the first calls of a process pay one-off
        costs (kernel selection, allocator growth) that would otherwise land on the first request's TTFT."""
        vocab = self.model.model.get_input_embeddings().num_embeddings
        n = max(1, min(512, self.model.max_context - 8))
        seq = self.add_request([t % vocab for t in range(n)], SamplingParams(max_tokens=4), use_cache=False)
        while not seq.is_finished:
            self.step()

    def counters(self) -> EngineCounters:
        return EngineCounters(
            running=len(self.scheduler.running),
            waiting=len(self.scheduler.waiting),
            pool_blocks_used=self.pool.num_blocks - self.pool.num_free,
            pool_blocks=self.pool.num_blocks,
            preemptions=self.scheduler.num_preemptions,
            rejected_blocks=self.prefix_cache.rejected_blocks,
        )

    def check_integrity(self) -> None:
        """Raise AssertionError if the scheduler's sequences and the pool disagree, or the sessions' books."""
        self.scheduler.check_integrity()
        problems = self.sessions.check_integrity() if self.sessions is not None else []
        assert not problems, problems
        if self.blend is not None:
            self.blend.guard.check_integrity()
            self.blend.chunks.check_integrity()

    def close(self) -> None:
        if self.sessions is not None:
            self.sessions.close()
        if self.store is not None:
            self.store.close()

    # ---- internals ----------------------------------------------------------------------------------------

    def _blend(self, model: LoadedModel, torch_dtype: torch.dtype) -> BlendedPrefill | None:
        """The chunk-reuse hook when the config asks for it (it needs a store to keep chunks in)."""
        if self.config.blend is None or self.store is None:
            return None
        chunks = ChunkStore(self.store, model.fingerprint, model.dtype, torch_dtype, model.kv_bytes_per_token,
                            self.config.block_size)
        tok = model.tokenizer
        starts = {tok.convert_tokens_to_ids(t) for t in ("<|im_start|>", "<|start_header_id|>")}
        starts.add(tok.bos_token_id)
        boundaries = tuple(sorted(t for t in starts if isinstance(t, int) and t != tok.unk_token_id))
        piece = max(self.config.step_tokens, self.config.solo_step_tokens)
        return BlendedPrefill(self.config.blend, self.runner, self.pool, chunks, boundaries, piece)

    def _prompt_ids(self, prompt: Seq[Message] | Seq[int]) -> list[int]:
        if not prompt:
            raise ValueError("empty prompt")
        if all(isinstance(t, int) for t in prompt):
            return [int(t) for t in prompt]  # type: ignore[arg-type]
        return self.render(prompt)  # type: ignore[arg-type]

    def _forward_chunk(self, chunk: Chunk) -> ForwardChunk:
        seq, end = chunk.seq, chunk.start + chunk.num_tokens
        return ForwardChunk(
            token_ids=seq.token_ids[chunk.start : end],
            start=chunk.start,
            blocks=seq.blocks,
            logits=Logits.LAST if chunk.samples else Logits.NONE,
        )

    def _advance(self, chunk: Chunk, logits: torch.Tensor | None, elapsed: float) -> None:
        seq = chunk.seq
        if seq.is_prefilling:
            seq.prefill_s += elapsed
            seq.num_prompt_computed += min(chunk.start + chunk.num_tokens, len(seq.prompt_ids)) - chunk.start
        seq.num_computed += chunk.num_tokens
        if seq.use_cache:
            self.prefix_cache.store_full_blocks(seq, self.pool)
        if not chunk.samples:
            return
        assert logits is not None
        token = seq.sampler(logits)
        if seq.first_token_s is None:
            seq.first_token_s = time.perf_counter()
            if self.blend is not None and seq.use_cache:
                self.blend.after_prefill(seq)
        seq.output_ids.append(token)
        if token in self.model.eos_token_ids and not seq.params.ignore_eos:
            return self._finish(seq, "stop")
        delta = seq.detokenizer.add(token)
        if delta:
            seq.emit(TextDelta(delta, token))
        if seq.detokenizer.stopped:
            self._finish(seq, "stop")
        elif len(seq.output_ids) >= seq.max_new_tokens:
            self._finish(seq, "length")

    def _finish(self, seq: Sequence, reason: str) -> None:
        self.scheduler.finish(seq, reason)
        tail = seq.detokenizer.flush()
        if tail:
            seq.emit(TextDelta(tail, seq.output_ids[-1]))
        stats = self._stats(seq)
        if self.sessions is not None and seq.session_id and seq.use_cache:
            self._session_call("step record", self.sessions.finished, StepOutcome(
                seq.session_id, seq.namespace, seq.prompt_ids, seq.output_ids, stats.cached_tokens,
                stats.cached_tokens_by_tier, stats.computed_tokens, stats.ttft_s, seq.held_keys()))
        seq.emit(Completion(seq.detokenizer.text, tuple(seq.output_ids), tuple(seq.prompt_ids), reason, stats))

    @staticmethod
    def _session_call(what: str, call: Callable[..., Any], *args: Any) -> None:
        """Sessions are bookkeeping: a failure there is logged, never fails the request."""
        try:
            call(*args)
        except Exception:  # noqa: BLE001
            log.exception("session %s failed", what)

    @staticmethod
    def _stats(seq: Sequence) -> RequestStats:
        prefix = seq.first_prefix
        blend = seq.blend if isinstance(seq.blend, BlendOutcome) else BlendOutcome()
        first = seq.first_token_s or seq.finished_s or seq.arrival_s
        return RequestStats(
            session_id=seq.session_id,
            namespace=seq.namespace,
            prompt_tokens=len(seq.prompt_ids),
            cached_tokens=prefix.num_tokens if prefix else 0,
            cached_tokens_by_tier=dict(prefix.tokens_by_tier) if prefix else {},
            computed_tokens=seq.num_prompt_computed,
            skipped_cached_tokens=prefix.num_skipped if prefix else 0,
            completion_tokens=len(seq.output_ids),
            stored_blocks=seq.stored_blocks,
            queued_s=(seq.admitted_s or seq.arrival_s) - seq.arrival_s,
            load_s=seq.load_s,
            prefill_s=seq.prefill_s,
            ttft_s=first - seq.arrival_s,
            decode_s=(seq.finished_s or first) - first,
            num_preemptions=seq.num_preemptions,
            finish_reason=seq.finish_reason or "length",
            blended_tokens=blend.reused_tokens,
            blend_fallback=blend.fallback,
        )
