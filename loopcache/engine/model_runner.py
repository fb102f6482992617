"""ModelRunner: the only code that runs the model. One batched forward per engine step.

    chunks of several sequences  ->  one token batch (T tokens: decodes and prefill chunks side by side)
    per layer:  residual add + norm -> fused QKV projection -> RoPE -> write K, V into the pool at the
                chunk's slots -> attention of each chunk over its sequence's KV (a pool view) -> O projection
                -> residual add + norm -> fused gate/up projection -> act * up -> down projection
    then:       final norm + LM head on the rows that need logits

Linear layers run on the whole batch at once (weights are read once per step, whatever the number of
sequences decoding: that is where continuous batching pays). Norms, RoPE and activations are the model's own
transformers modules (`TorchOps`), or C kernels with the same bf16 rounding (`NativeOps`, bf16 on CPU); the
projections are fused copies of its weights (`Linear`: in bfloat16 on CPU, in the kernel's blocked layout). Supported: decoder-only models with Llama's layer structure (Llama, SmolLM, Mistral without a
sliding window, Qwen2, Qwen3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import torch

from loopcache.engine.attention import attend, causal_mask
from loopcache.engine.block_pool import BlockPool
from loopcache.engine.layer_ops import LayerOps, NativeOps, TorchOps
from loopcache.engine.linear import Linear
from loopcache.engine.native import NativeKernels

SUPPORTED_MODEL_TYPES = ("llama", "mistral", "qwen2", "qwen3")


class UnsupportedModelError(ValueError):
    """The model's architecture is not one the runner implements."""


class Logits(Enum):
    NONE = "none"  # a prefill chunk that does not reach the end of its sequence
    LAST = "last"  # the last position: the next token is sampled from it
    ALL = "all"  # every position (prompt log-probabilities)


@dataclass(frozen=True)
class ForwardChunk:
    """The tokens of one sequence computed in this step."""

    token_ids: Sequence[int]
    start: int  # position of the first token
    blocks: Sequence[int]  # the sequence's pool blocks, in token order (its KV, this chunk's included)
    logits: Logits = Logits.LAST
    # Blended prefill (`loopcache.blend`): the tokens' own positions, ascending, when they are not
    # start, start + 1, ...; each token then attends to every slot up to its position (KV loaded there or
    # computed in this chunk).
    positions: Sequence[int] | None = None

    @property
    def end(self) -> int:
        """One past the last position the chunk's tokens attend to."""
        return self.positions[-1] + 1 if self.positions else self.start + len(self.token_ids)


@dataclass(frozen=True)
class _Layer:
    input_norm: Any
    post_norm: Any
    q_norm: Any | None
    k_norm: Any | None
    qkv: Linear
    o: Linear
    gate_up: Linear
    down: Linear
    act: Any


def _cat_bias(*linears: Any) -> torch.Tensor | None:
    if all(lin.bias is None for lin in linears):
        return None
    return torch.cat([lin.bias if lin.bias is not None else torch.zeros(lin.out_features, dtype=lin.weight.dtype,
                      device=lin.weight.device) for lin in linears]).contiguous()


class ModelRunner:
    def __init__(self, hf_model: Any, pool: BlockPool, kernels: NativeKernels | None = None) -> None:
        config = hf_model.config.get_text_config()
        model_type = getattr(config, "model_type", "?")
        if model_type not in SUPPORTED_MODEL_TYPES:
            raise UnsupportedModelError(
                f"model type {model_type!r} is not supported; loopcache runs {', '.join(SUPPORTED_MODEL_TYPES)}"
            )
        window = getattr(config, "sliding_window", None)
        if window and getattr(config, "use_sliding_window", True) and window < config.max_position_embeddings:
            raise UnsupportedModelError(f"sliding-window attention ({window} tokens) is not supported")
        inner = hf_model.model
        self.pool = pool
        self.kernels = kernels
        self.ops: LayerOps = NativeOps(kernels) if kernels is not None else TorchOps()
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = getattr(config, "num_key_value_heads", None) or self.num_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.num_heads
        self.embed = inner.embed_tokens
        self.rotary = inner.rotary_emb
        self.final_norm = inner.norm
        self.lm_head = Linear(hf_model.lm_head.weight)
        self.layers = [self._fuse(layer) for layer in inner.layers]
        self.scaling = float(getattr(inner.layers[0].self_attn, "scaling", self.head_dim**-0.5))

    @staticmethod
    def _fuse(layer: Any) -> _Layer:
        attn, mlp = layer.self_attn, layer.mlp
        return _Layer(
            input_norm=layer.input_layernorm,
            post_norm=layer.post_attention_layernorm,
            q_norm=getattr(attn, "q_norm", None),
            k_norm=getattr(attn, "k_norm", None),
            qkv=Linear(torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight]),
                       _cat_bias(attn.q_proj, attn.k_proj, attn.v_proj)),
            o=Linear(attn.o_proj.weight, attn.o_proj.bias),
            gate_up=Linear(torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight])),
            down=Linear(mlp.down_proj.weight),
            act=mlp.act_fn,
        )

    @torch.inference_mode()
    def forward(self, chunks: Sequence[ForwardChunk], num_layers: int | None = None) -> list[torch.Tensor | None]:
        """Compute every chunk's KV into the pool; per chunk, the logits it asked for: (vocab,) for LAST,
        (n, vocab) for ALL, None for NONE. With `num_layers` only the first layers run (their KV is written)
        and no logits are returned (the blend probe)."""
        device = self.pool.kv.device
        sizes = [len(c.token_ids) for c in chunks]
        ids = torch.tensor([t for c in chunks for t in c.token_ids], dtype=torch.long, device=device)
        token_pos = [torch.tensor(list(c.positions), dtype=torch.long) if c.positions else torch.arange(c.start, c.start + n)
                     for c, n in zip(chunks, sizes)]
        positions = torch.cat(token_pos).to(device)
        pool = self.pool
        slots = torch.cat([pool.slots_at(c.blocks, p) for c, p in zip(chunks, token_pos)]).to(device)
        masks = [self._mask(c, p, device) if n > 1 else None for c, p, n in zip(chunks, token_pos, sizes)]
        offsets = [0]
        for n in sizes:
            offsets.append(offsets[-1] + n)
        tables = [self._table(c, n) for c, n in zip(chunks, sizes)]

        x = self.embed(ids)
        cos, sin = self.rotary(x, positions.unsqueeze(0))
        cos, sin = cos[0].unsqueeze(1).contiguous(), sin[0].unsqueeze(1).contiguous()  # (T, 1, head_dim)
        q_dim, kv_dim = self.num_heads * self.head_dim, self.num_kv_heads * self.head_dim
        num_tokens = ids.shape[0]
        ops, delta = self.ops, None
        for layer, kv in list(zip(self.layers, self.pool.kv))[:num_layers]:
            x, h = ops.add_norm(layer.input_norm, x, delta)
            qkv = layer.qkv(h)
            q = qkv[:, :q_dim].view(num_tokens, self.num_heads, self.head_dim)
            k = qkv[:, q_dim : q_dim + kv_dim].view(num_tokens, self.num_kv_heads, self.head_dim)
            v = qkv[:, q_dim + kv_dim :].view(num_tokens, self.num_kv_heads, self.head_dim)
            if layer.q_norm is not None:
                q, k = layer.q_norm(q), layer.k_norm(k)
            q, k = ops.rope(q, k, cos, sin)
            kv[0].index_copy_(1, slots, k.transpose(0, 1))
            kv[1].index_copy_(1, slots, v.transpose(0, 1))
            out = torch.empty((num_tokens, q_dim), dtype=x.dtype, device=device)
            for c, mask, table, a, b in zip(chunks, masks, tables, offsets, offsets[1:]):
                self._attend(q[a:b], kv, c, table, mask, out[a:b])
            x, h = ops.add_norm(layer.post_norm, x, layer.o(out))
            delta = layer.down(ops.act_mul(layer.act, layer.gate_up(h)))
        if num_layers is not None:
            return [None] * len(chunks)
        if delta is not None:
            x = x + delta

        return self._logits(chunks, sizes, offsets, x)

    @staticmethod
    def _mask(chunk: ForwardChunk, positions: torch.Tensor, device: torch.device) -> torch.Tensor | None:
        """The chunk's attention mask over its first `chunk.end` slots (None: plain causal from 0)."""
        if chunk.positions is None:
            return causal_mask(chunk.start, len(chunk.token_ids), device)
        return (torch.arange(chunk.end)[None, :] <= positions[:, None]).to(device)

    def _table(self, chunk: ForwardChunk, n: int) -> torch.Tensor | None:
        """The block table the native kernel reads (decode chunks, when it is loaded)."""
        if self.kernels is None or n != 1:
            return None
        return torch.tensor(chunk.blocks[: self.pool.blocks_for(chunk.end)], dtype=torch.int32)

    def _attend(self, q: torch.Tensor, kv: torch.Tensor, chunk: ForwardChunk, table: torch.Tensor | None,
                mask: torch.Tensor | None, out: torch.Tensor) -> None:
        """The chunk's attention output, into `out` (n, heads * head_dim)."""
        length = chunk.end
        if table is not None and self.kernels is not None:
            qg = q[0].view(kv.shape[1], -1, self.head_dim)
            if self.kernels.attend_one(qg, kv[0], kv[1], table, self.pool.block_size, length, self.scaling,
                                       out[0]) is not None:
                return
        index = self.pool.kv_index(list(chunk.blocks), length)
        out.copy_(attend(q, kv[0][:, index], kv[1][:, index], length - q.shape[0], self.scaling, mask))

    def _logits(self, chunks: Sequence[ForwardChunk], sizes: list[int], offsets: list[int],
                x: torch.Tensor) -> list[torch.Tensor | None]:
        rows: list[int] = []
        for c, a, b in zip(chunks, offsets, offsets[1:]):
            if c.logits is Logits.LAST:
                rows.append(b - 1)
            elif c.logits is Logits.ALL:
                rows.extend(range(a, b))
        logits = self.lm_head(self.final_norm(x[rows])) if rows else None
        results: list[torch.Tensor | None] = []
        at = 0
        for c, n in zip(chunks, sizes):
            if c.logits is Logits.LAST:
                assert logits is not None
                results.append(logits[at])
                at += 1
            elif c.logits is Logits.ALL:
                assert logits is not None
                results.append(logits[at : at + n])
                at += n
            else:
                results.append(None)
        return results
