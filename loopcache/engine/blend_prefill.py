"""BlendedPrefill: the engine's admission hook for non-prefix chunk reuse (`loopcache.blend`).

    prompt:     [ prefix hit ][ rest ][ chunk A (stored) ][ new ][ chunk B (stored) ][ tail ]x
    1 load      A and B from the ChunkStore, keys rotated to where they stand now, into the sequence's blocks
    2 probe     layers 0..probe_layer for every token after the prefix (exact KV there; deviation of A, B)
    3 select    every non-chunk token + r of A and B (the selector) + the last prompt token
    4 forward   the selected tokens through all layers, each attending to every slot before it
    5 guard     FULL: skip all this; BLEND: the proxy must pass (before 4) and the next token must not be a
                near tie (after 4); VERIFY: also prefill in full and compare
    6 hand back num_computed = len(prompt) - 1: the engine's next step recomputes x and samples from it

Chunks the sequence computed itself (new tool results, or every chunk when it was not blended) are stored
once its prompt is prefilled (`after_prefill`), keys rotated back to position 0. Blended KV is approximate:
`Sequence.num_exact` keeps it out of the prefix store. The work of 2-4 happens at admission, in forwards
of its own (not batched with other sequences' tokens, and not counted in the step's token budget).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from loopcache.blend.chunk_store import ChunkStore
from loopcache.blend.config import BlendConfig
from loopcache.blend.guard import Agreement, BlendGuard, Fallback, GuardPlan
from loopcache.blend.rope import KeyRotation
from loopcache.blend.segments import Span, chunk_spans
from loopcache.blend.selection import make_selector
from loopcache.engine.block_pool import BlockPool
from loopcache.engine.model_runner import ForwardChunk, Logits, ModelRunner
from loopcache.engine.sequence import Sequence


@dataclass(frozen=True)
class BlendOutcome:
    """What blending did for one request (`Sequence.blend`)."""

    reused_tokens: int = 0  # chunk tokens whose KV came from the chunk store and was not recomputed
    chunk_tokens: int = 0  # tokens of the chunks found in the store
    recomputed_tokens: int = 0  # tokens run through every layer by the blended prefill
    plan: str = ""  # the guard's plan (GuardPlan value); "" when no chunk was found
    fallback: str = ""  # Fallback value: why the request was prefilled in full after all
    deviation: float = 0.0  # the proxy: relative KV deviation of the reused tokens at the probe layer
    agreement: Agreement | None = None  # when verified
    spans: tuple[Span, ...] = ()  # the candidate chunks of the prompt
    loaded: tuple[Span, ...] = ()  # those found in the store and loaded


class BlendedPrefill:
    def __init__(self, config: BlendConfig, runner: ModelRunner, pool: BlockPool, chunks: ChunkStore,
                 boundaries: tuple[int, ...], piece_tokens: int) -> None:
        self.config = config
        self.runner = runner
        self.pool = pool
        self.chunks = chunks
        self.rotation = KeyRotation.of(runner.rotary)
        self.boundaries = config.boundary_tokens or boundaries
        self.piece_tokens = piece_tokens  # largest forward of the probe and the blended prefill
        self.guard = BlendGuard(config.guard)
        self.selector = make_selector(config.selector)
        self.probe_layers = min(config.probe_layer + 1, len(runner.layers))

    # ---- admission ----------------------------------------------------------------------------------------

    @torch.inference_mode()
    def admit(self, seq: Sequence, cached: int) -> int:
        """After the prefix hit (`cached` tokens) is in `seq.blocks`: blend what follows, or leave it to the
        normal prefill. Returns the new `seq.num_computed` (`cached` when nothing was blended)."""
        seq.num_exact = None
        prompt = seq.prompt_ids
        if seq.output_ids or len(prompt) - cached < 2:
            return cached  # re-admitted after decoding: recomputed exactly
        spans = tuple(chunk_spans(prompt, self.boundaries, cached, self.config.min_chunk_tokens))
        found = [s for s in spans if self.chunks.contains(seq.namespace, prompt[s.start : s.end])]
        if not found:
            seq.blend = BlendOutcome(spans=spans)
            return cached
        plan = self.guard.plan()
        if plan is GuardPlan.FULL:
            seq.blend = BlendOutcome(plan=plan.value, fallback=Fallback.BREAKER.value, spans=spans)
            return cached
        t0 = time.perf_counter()
        loaded = self._load(seq, found)
        if not loaded:
            seq.blend = BlendOutcome(spans=spans)
            return cached
        diff, norm = self._probe(seq, cached, loaded)
        deviation = diff / norm.clamp_min(1e-12)
        chunk_pos = [p for s in loaded for p in range(s.start, s.end)]
        picked = set(self.selector.select(loaded, deviation, self.config.recompute_share, self.config.first_tokens))
        picked.update(p for p in chunk_pos if p >= len(prompt) - self.config.recent_tokens)
        in_chunk = set(chunk_pos)
        recompute = sorted(picked | {p for p in range(cached, len(prompt)) if p not in in_chunk})
        kept = [i for i, p in enumerate(chunk_pos) if p not in picked]
        proxy = _relative(diff, norm, kept)
        outcome = BlendOutcome(0, len(chunk_pos), 0, plan.value, "", proxy, None, spans, tuple(loaded))
        if plan is GuardPlan.BLEND and not self.guard.passes_proxy(proxy):
            seq.blend = replace(outcome, fallback=Fallback.PROXY.value)
            seq.prefill_s += time.perf_counter() - t0
            return cached  # the normal prefill overwrites what was loaded and probed
        blended = self._forward(seq, recompute, explicit=True)
        if plan is GuardPlan.BLEND and not self.guard.passes_margin(blended):
            seq.blend = replace(outcome, fallback=Fallback.MARGIN.value)
            seq.prefill_s += time.perf_counter() - t0
            return cached  # as for the proxy: the normal prefill recomputes everything after the prefix
        computed = len(recompute) - 1  # the last token is computed again by the step that samples
        if plan is GuardPlan.VERIFY:  # served from the full prefill, whatever the verdict
            full = self._forward(seq, list(range(cached, len(prompt))), explicit=False)
            verdict = self.guard.judge(full, blended)
            fallback = Fallback.NONE if verdict.passed else Fallback.VERIFY
            seq.blend = replace(outcome, recomputed_tokens=len(recompute), fallback=fallback.value, agreement=verdict)
            computed += len(prompt) - cached
        else:
            self.guard.served_blended()
            seq.blend = replace(outcome, reused_tokens=len(kept), recomputed_tokens=len(recompute))
            if kept:
                seq.num_exact = chunk_pos[kept[0]]
        seq.num_prompt_computed += computed
        seq.prefill_s += time.perf_counter() - t0
        return len(prompt) - 1

    def _load(self, seq: Sequence, found: list[Span]) -> list[Span]:
        """Copy each found chunk's KV into the sequence's slots, keys rotated to the chunk's position."""
        loaded = []
        for span in found:
            chunk = self.chunks.load(seq.namespace, seq.prompt_ids[span.start : span.end])
            if chunk is None:
                continue
            kv = chunk.kv.to(self.pool.kv.device, copy=True)
            kv[:, 0] = self.rotation.rotate(kv[:, 0], span.start)
            slots = self.pool.slots_at(seq.blocks, torch.arange(span.start, span.end)).to(self.pool.kv.device)
            self.pool.kv.index_copy_(3, slots, kv)
            loaded.append(span)
        return loaded

    def _probe(self, seq: Sequence, cached: int, loaded: list[Span]) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the first layers over every token after the prefix (their KV becomes exact there). Per token
        of the loaded chunks: (squared KV change at the probe layer, squared norm of its exact KV)."""
        layer = self.probe_layers - 1
        slots = torch.cat([self.pool.slots_at(seq.blocks, torch.arange(s.start, s.end)) for s in loaded])
        slots = slots.to(self.pool.kv.device)
        before = self.pool.kv[layer].index_select(2, slots).float()
        prompt = seq.prompt_ids
        for a in range(cached, len(prompt), self.piece_tokens):
            b = min(len(prompt), a + self.piece_tokens)
            self.runner.forward([ForwardChunk(prompt[a:b], a, seq.blocks, Logits.NONE)], num_layers=self.probe_layers)
        after = self.pool.kv[layer].index_select(2, slots).float()
        diff = (after - before).pow(2).sum(dim=(0, 1, 3))  # per token, keys and values, every KV head
        norm = after.pow(2).sum(dim=(0, 1, 3))
        return diff.cpu(), norm.cpu()

    def _forward(self, seq: Sequence, positions: list[int], explicit: bool) -> torch.Tensor:
        """Run `positions` (ascending; consecutive unless `explicit`) through every layer in pieces; the
        logits after the last one."""
        prompt, logits = seq.prompt_ids, None
        for i in range(0, len(positions), self.piece_tokens):
            piece = positions[i : i + self.piece_tokens]
            last = i + self.piece_tokens >= len(positions)
            chunk = ForwardChunk([prompt[p] for p in piece], piece[0], seq.blocks,
                                 Logits.LAST if last else Logits.NONE, piece if explicit else None)
            logits = self.runner.forward([chunk])[0]
        assert logits is not None
        return logits

    # ---- store-back ---------------------------------------------------------------------------------------

    @torch.inference_mode()
    def after_prefill(self, seq: Sequence) -> int:
        """Store the chunks `seq` computed itself (not loaded), keys rotated back to position 0. Call once its
        prompt is prefilled. Returns how many were stored."""
        outcome = seq.blend
        if not isinstance(outcome, BlendOutcome):
            return 0
        stored = 0
        for span in outcome.spans:
            tokens = seq.prompt_ids[span.start : span.end]
            if self.chunks.contains(seq.namespace, tokens):
                continue
            slots = self.pool.slots_at(seq.blocks, torch.arange(span.start, span.end)).to(self.pool.kv.device)
            kv = self.pool.kv.index_select(3, slots).to("cpu")
            kv[:, 0] = self.rotation.rotate(kv[:, 0], -span.start)
            stored += self.chunks.put(seq.namespace, tokens, kv) > 0
        return stored


def _relative(diff: torch.Tensor, norm: torch.Tensor, index: list[int]) -> float:
    """Relative deviation (root of summed squares) over the tokens at `index`; 0 for none."""
    if not index:
        return 0.0
    at = torch.tensor(index, dtype=torch.long)
    return float((diff[at].sum() / norm[at].sum().clamp_min(1e-12)).sqrt())
