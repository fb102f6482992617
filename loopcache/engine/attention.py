"""Attention of one sequence's new tokens over its KV in the block pool.

    q:     (n, heads, head_dim)            the chunk's queries, at positions [start, start + n)
    k, v:  (kv_heads, padded, head_dim)    the sequence's keys and values, this chunk's included, padded
           past start + n to a block edge (a strided view of the pool, or a gather when its blocks are not
           consecutive)

Decode (n = 1) goes to the native paged kernel when there is one (`NativeKernels.attend_one`, bf16 on CPU:
it reads the blocks where they are, through the block table). Otherwise it is a grouped-query
matrix-vector product per KV head: each head's keys are one contiguous run, read once for the whole query
group; it avoids the CPU flash kernel, several times slower for a single bf16 query over a long cache, and
the batched matmul, which copies a strided operand in bf16. Scores are taken in the model's dtype and
normalised in float32 (transformers' eager attention does the same). Prefill chunks go through
`scaled_dot_product_attention` with a causal mask offset by `start`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def causal_mask(start: int, n: int, device: torch.device) -> torch.Tensor | None:
    """Boolean (n, start + n) mask: query i sees keys up to position start + i. None when start == 0 (the
    kernel's own causal mode applies)."""
    if start == 0:
        return None
    return torch.ones(n, start + n, dtype=torch.bool, device=device).tril(start)


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, start: int, scaling: float,
           mask: torch.Tensor | None) -> torch.Tensor:
    """Attention output of shape (n, heads * head_dim); `mask` from `causal_mask(start, n)`."""
    n, heads, head_dim = q.shape
    kv_heads, length = k.shape[0], start + n
    if n == 1:
        group = heads // kv_heads
        qg = q[0].view(kv_heads, group, head_dim)
        out = torch.empty((kv_heads, group, head_dim), dtype=q.dtype, device=q.device)
        for h in range(kv_heads):
            scores = torch.mm(qg[h], k[h].t())
            scores[:, length:] = float("-inf")  # the padding
            probs = torch.softmax(scores.mul_(scaling), dim=-1, dtype=torch.float32).to(v.dtype)
            torch.mm(probs, v[h], out=out[h])
        return out.view(1, heads * head_dim)
    out = F.scaled_dot_product_attention(
        q.transpose(0, 1).unsqueeze(0), k[:, :length].unsqueeze(0), v[:, :length].unsqueeze(0),
        attn_mask=mask, is_causal=mask is None, scale=scaling, enable_gqa=kv_heads != heads,
    )
    return out[0].transpose(0, 1).reshape(n, heads * head_dim)
