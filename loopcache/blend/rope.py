"""Position-independent keys: RoPE rotation of stored keys by a position delta.

RoPE turns a key at position p into R(p) k, where R rotates each pair of dimensions (i, i + d/2) by the
angle p * inv_freq[i]. Rotations compose, R(q) = R(q - p) R(p), so a key stored after rotating it back to
position 0 (R(-p)) is moved to any position q with R(q): exact in real arithmetic; in floating point it
costs one rounding of the stored dtype per rotation (the angles are taken in float64, the product in
float32). Values carry no position and are never touched.

Only plain RoPE qualifies: per-dimension frequencies (default, linear, dynamic at a fixed scale, llama3)
with no magnitude scaling (`attention_scaling == 1`, unlike YaRN / LongRoPE).
"""

from __future__ import annotations

import torch


class UnsupportedRotaryError(ValueError):
    """The model's rotary embedding is not a pure rotation (blending cannot move its keys)."""


class KeyRotation:
    """Moves keys laid out as (..., tokens, head_dim) (the block layout's keys) along positions."""

    def __init__(self, inv_freq: torch.Tensor, attention_scaling: float = 1.0) -> None:
        if abs(float(attention_scaling) - 1.0) > 1e-12:
            raise UnsupportedRotaryError(f"rotary attention_scaling is {attention_scaling}, not 1")
        self.inv_freq = inv_freq.detach().to("cpu", torch.float64).reshape(-1)

    @classmethod
    def of(cls, rotary_module: object) -> KeyRotation:
        """From a transformers rotary embedding module (its `inv_freq` buffer and `attention_scaling`)."""
        inv_freq = getattr(rotary_module, "inv_freq", None)
        if not isinstance(inv_freq, torch.Tensor):
            raise UnsupportedRotaryError("the rotary module has no inv_freq")
        return cls(inv_freq, float(getattr(rotary_module, "attention_scaling", 1.0)))

    def rotate(self, keys: torch.Tensor, delta: int | torch.Tensor) -> torch.Tensor:
        """`keys` (..., n, head_dim) moved by `delta` positions (an int, or one per token of shape (n,)): a new
        tensor in the dtype and device of `keys`."""
        n, dim = keys.shape[-2], keys.shape[-1]
        if dim != 2 * self.inv_freq.numel():
            raise ValueError(f"keys of head_dim {dim} do not match {self.inv_freq.numel()} rotary frequencies")
        shift = torch.as_tensor(delta, dtype=torch.float64).reshape(-1)
        shift = shift.expand(n) if shift.numel() == 1 else shift
        angles = shift[:, None] * self.inv_freq[None, :]  # (n, dim / 2)
        cos = torch.cat([angles.cos(), angles.cos()], dim=-1).to(torch.float32).to(keys.device)
        sin = torch.cat([angles.sin(), angles.sin()], dim=-1).to(torch.float32).to(keys.device)
        k = keys.to(torch.float32)
        half = dim // 2
        rotated_half = torch.cat((-k[..., half:], k[..., :half]), dim=-1)
        return (k * cos + rotated_half * sin).to(keys.dtype)
