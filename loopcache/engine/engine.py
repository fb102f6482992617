"""The engine: request -> lookup -> load -> prefill -> decode -> store.

Synchronous and single-threaded by design (the server puts one worker in front of it). `stream` yields text
as it is decoded and ends with the finished `Completion`; the KV computed so far is stored even when the
caller stops iterating early (a client that went away), so nothing computed is wasted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.detokenizer import Detokenizer
from loopcache.engine.prefix import BlockLayout, PrefixMatch, match_prefix
from loopcache.engine.running_cache import RunningCache
from loopcache.engine.sampling import Sampler, SamplingParams
from loopcache.engine.stats import RequestStats
from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import ROOT, BlockHash, chain_hashes, tail_key
from loopcache.kvcache.tiered import TieredStore
from loopcache.model.loader import LoadedModel

Message = Mapping[str, Any]


class PromptTooLongError(ValueError):
    """The prompt does not fit the model's context window."""


@dataclass(frozen=True)
class TextDelta:
    text: str
    token_id: int


@dataclass(frozen=True)
class Completion:
    text: str
    token_ids: tuple[int, ...]
    prompt_token_ids: tuple[int, ...]
    finish_reason: str  # "stop" (EOS or a stop string) or "length"
    stats: RequestStats


class Engine:
    def __init__(self, model: LoadedModel, store: TieredStore | None, config: EngineConfig | None = None) -> None:
        self.model = model
        self.store = store
        self.config = config or EngineConfig()
        self.cost = CostModel()
        self._torch_dtype = next(model.model.parameters()).dtype

    def layout(self, namespace: str) -> BlockLayout:
        return BlockLayout(
            namespace=namespace,
            fingerprint=self.model.fingerprint,
            dtype=self.model.dtype,
            block_size=self.config.block_size,
            bytes_per_token=self.model.kv_bytes_per_token,
        )

    def render(self, messages: Sequence[Message], tools: Sequence[Mapping[str, Any]] | None = None) -> list[int]:
        """Token ids of `messages` through the model's chat template, ready for the assistant's turn."""
        text = self.model.tokenizer.apply_chat_template(
            list(messages), tools=list(tools) if tools else None, add_generation_prompt=True, tokenize=False
        )
        return list(self.model.tokenizer.encode(text, add_special_tokens=False))

    def generate(
        self,
        prompt: Sequence[Message] | Sequence[int],
        params: SamplingParams | None = None,
        session_id: str | None = None,
        namespace: str = "default",
    ) -> Completion:
        completion = None
        for event in self.stream(prompt, params, session_id, namespace):
            if isinstance(event, Completion):
                completion = event
        assert completion is not None
        return completion

    def stream(
        self,
        prompt: Sequence[Message] | Sequence[int],
        params: SamplingParams | None = None,
        session_id: str | None = None,
        namespace: str = "default",
    ) -> Iterator[TextDelta | Completion]:
        """Yield `TextDelta`s as text is decoded, then one `Completion`."""
        params = params or SamplingParams()
        t_start = time.perf_counter()
        ids = self._prompt_ids(prompt)
        room = self.model.max_context - len(ids)
        if room < 1:
            raise PromptTooLongError(
                f"prompt has {len(ids)} tokens; the model's context is {self.model.max_context}"
            )
        max_new = min(params.max_tokens, room)
        layout = self.layout(namespace)
        t_load = time.perf_counter()
        running, match = self._restore(ids, layout, capacity=len(ids) + max_new)
        load_s = time.perf_counter() - t_load

        t_prefill = time.perf_counter()
        logits = self._prefill(running, ids[match.num_tokens :])
        prefill_s = time.perf_counter() - t_prefill
        self.cost.observe_prefill(len(ids) - match.num_tokens, prefill_s)

        sampler = Sampler(params)
        detok = Detokenizer(self.model.tokenizer, params.stop)
        generated: list[int] = []
        finish = "length"
        ttft_s = decode_s = 0.0
        stored = 0
        try:
            t_decode = time.perf_counter()
            while True:
                token = sampler(logits)
                if not generated:
                    ttft_s = time.perf_counter() - t_start
                    t_decode = time.perf_counter()
                generated.append(token)
                if token in self.model.eos_token_ids:
                    finish = "stop"
                    break
                delta = detok.add(token)
                if delta:
                    yield TextDelta(delta, token)
                if detok.stopped:
                    finish = "stop"
                    break
                if len(generated) >= max_new:
                    break
                logits = self._forward(running, [token])
            tail = detok.flush()
            if tail:
                yield TextDelta(tail, generated[-1])
            decode_s = time.perf_counter() - t_decode
        finally:
            # Runs on normal exit and when the consumer closes the stream early: keep what was computed.
            if self.store is not None:
                stored = self._store(running, ids + generated, len(ids), layout, match)
        stats = RequestStats(
            session_id=session_id,
            namespace=namespace,
            prompt_tokens=len(ids),
            cached_tokens=match.num_tokens,
            cached_tokens_by_tier=dict(match.tokens_by_tier),
            computed_tokens=len(ids) - match.num_tokens,
            skipped_cached_tokens=match.skipped_tokens,
            completion_tokens=len(generated),
            stored_blocks=stored,
            load_s=load_s,
            prefill_s=prefill_s,
            ttft_s=ttft_s,
            decode_s=decode_s,
            finish_reason=finish,
        )
        yield Completion(detok.text, tuple(generated), tuple(ids), finish, stats)

    @torch.inference_mode()
    def prompt_logprobs(self, token_ids: Sequence[int], namespace: str = "default") -> tuple[int, torch.Tensor]:
        """Log-probabilities the model gives each next token of `token_ids`, through the cache.

        Returns (number of leading tokens served from the cache, logprobs of shape (n - cached, vocab)): row i
        is the distribution after token `cached + i`. Nothing is stored. For evaluation and fidelity checks.
        """
        ids = [int(t) for t in token_ids]
        running, match = self._restore(ids, self.layout(namespace), capacity=len(ids))
        rest = ids[match.num_tokens :]
        positions = torch.arange(running.length, len(ids), device=self.model.device).unsqueeze(0)
        out = self.model.model(
            input_ids=torch.tensor([rest], device=self.model.device),
            position_ids=positions,
            cache=running.cache,
            use_cache=True,
        )
        return match.num_tokens, torch.log_softmax(out.logits[0].float(), dim=-1)

    def warmup(self) -> None:
        """Run a prefill and a few decode steps without the cache: the first calls of a process pay one-off
        costs (kernel selection, allocator growth) that would otherwise land on the first request's TTFT."""
        vocab = self.model.model.get_input_embeddings().num_embeddings
        n = max(1, min(512, self.model.max_context - 8))
        running = self._new_running(n + 4)
        self._prefill(running, [t % vocab for t in range(n)])
        for token in range(4):
            self._forward(running, [token % vocab])

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    # -- internals -------------------------------------------------------------------------------------

    def _prompt_ids(self, prompt: Sequence[Message] | Sequence[int]) -> list[int]:
        if not prompt:
            raise ValueError("empty prompt")
        if all(isinstance(t, int) for t in prompt):
            return [int(t) for t in prompt]  # type: ignore[arg-type]
        return self.render(prompt)  # type: ignore[arg-type]

    def _new_running(self, capacity: int) -> RunningCache:
        m = self.model
        return RunningCache(m.num_layers, m.num_kv_heads, m.head_dim, capacity, self._torch_dtype, m.device)

    def _restore(self, ids: list[int], layout: BlockLayout, capacity: int) -> tuple[RunningCache, PrefixMatch]:
        """A running cache holding the longest cached prefix of `ids` worth loading."""
        running = self._new_running(capacity)
        match = match_prefix(self.store, ids, layout, self.cost) if self.store is not None else PrefixMatch()
        for segment in match.segments:
            running.load(self._block_tensor(segment.block)[:, :, :, : segment.num_tokens])
        return running, match

    @torch.inference_mode()
    def _forward(self, running: RunningCache, token_ids: Sequence[int]) -> torch.Tensor:
        start = running.length
        input_ids = torch.tensor([list(token_ids)], dtype=torch.long, device=self.model.device)
        positions = torch.arange(start, start + len(token_ids), device=self.model.device).unsqueeze(0)
        out = self.model.model(
            input_ids=input_ids, position_ids=positions, cache=running.cache, use_cache=True, logits_to_keep=1
        )
        return out.logits[0, -1]

    def _prefill(self, running: RunningCache, token_ids: Sequence[int]) -> torch.Tensor:
        chunk = self.config.prefill_chunk
        logits = None
        for i in range(0, len(token_ids), chunk):
            logits = self._forward(running, token_ids[i : i + chunk])
        assert logits is not None
        return logits

    def _block_tensor(self, block: KVBlock) -> torch.Tensor:
        flat = torch.from_numpy(block.payload)
        return flat.view(self._torch_dtype).view(block.shape)

    def _store(
        self, running: RunningCache, sequence: list[int], prompt_len: int, layout: BlockLayout, match: PrefixMatch
    ) -> int:
        """Put every full block not already cached, and the tail slots. Returns the number of blocks put.

        Tail slots hold what followed a block in this sequence, up to one block: the final partial block
        (the next step of a loop continues from it), and, when the prompt ends inside a full block, that
        block too, so that re-sending the same prompt (a retry) reuses all of it.
        """
        assert self.store is not None
        n = running.length  # tokens with KV: the last sampled token was never fed
        bs = layout.block_size
        keys = chain_hashes(sequence[:n], bs, layout.namespace, layout.fingerprint)
        parents = [ROOT, *keys]
        already = sum(1 for s in match.segments if s.num_tokens == bs and s.block.num_tokens == bs)
        put = 0
        for i in range(already, len(keys)):
            self.store.put(self._make_block(running, keys[i], parents[i], sequence, i * bs, (i + 1) * bs, layout))
            put += 1
        tails = {len(keys)} if len(keys) * bs < n else set()
        prompt_block = (prompt_len - 1) // bs
        if prompt_len % bs and prompt_block < len(keys):
            tails.add(prompt_block)
        for i in sorted(tails):
            key = tail_key(parents[i], layout.namespace, layout.fingerprint)
            self.store.put(self._make_block(running, key, parents[i], sequence, i * bs, min((i + 1) * bs, n), layout))
            put += 1
        return put

    def _make_block(
        self,
        running: RunningCache,
        key: BlockHash,
        parent: BlockHash,
        sequence: list[int],
        start: int,
        end: int,
        layout: BlockLayout,
    ) -> KVBlock:
        kv = running.export(start, end)
        payload = kv.view(torch.uint8).reshape(-1).numpy()
        assert payload.dtype == np.uint8
        return KVBlock(
            key=key,
            parent=parent,
            namespace=layout.namespace,
            fingerprint=layout.fingerprint,
            token_ids=tuple(sequence[start:end]),
            dtype=layout.dtype,
            shape=tuple(kv.shape),
            payload=payload,
        )
