"""LayerOps: the elementwise steps of a decoder layer (residual add + norm, RoPE, activation), two ways.

    TorchOps   the model's own transformers modules (reference numerics; every dtype and device)
    NativeOps  one C call per step (`kernels/decode.c`) for bfloat16 on CPU, with the same bf16 rounding
               after each operation as the modules; anything it does not cover goes to TorchOps

A decode step runs ~50 small tensor operations per layer; on a CPU each costs microseconds of dispatch,
which adds up to a sizeable share of a token's time. NativeOps makes them 3 calls.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from loopcache.engine.native import NativeKernels


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LayerOps(Protocol):
    def add_norm(self, norm: Any, x: torch.Tensor, delta: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(x + delta, norm(x + delta)); x may be updated in place."""
        ...

    def rope(self, q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor,
             sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """RoPE of q (T, heads, dim) and k (T, kv_heads, dim) with cos, sin (T, 1, dim); may work in place."""
        ...

    def act_mul(self, act: Any, gate_up: torch.Tensor) -> torch.Tensor:
        """act(gate) * up for rows [gate | up]."""
        ...


class TorchOps:
    def add_norm(self, norm: Any, x: torch.Tensor, delta: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if delta is not None:
            x = x + delta
        return x, norm(x)

    def rope(self, q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor,
             sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin

    def act_mul(self, act: Any, gate_up: torch.Tensor) -> torch.Tensor:
        gate, up = gate_up.chunk(2, dim=-1)
        return act(gate) * up


class NativeOps:
    """Takes bf16 CPU tensors laid out as the runner makes them; otherwise defers to `TorchOps`."""

    def __init__(self, kernels: NativeKernels) -> None:
        self.kernels = kernels
        self.torch = TorchOps()

    def add_norm(self, norm: Any, x: torch.Tensor, delta: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        weight = getattr(norm, "weight", None)
        eps = getattr(norm, "variance_epsilon", None)
        if (weight is None or eps is None or x.dtype != torch.bfloat16 or not x.is_contiguous()
                or (delta is not None and not delta.is_contiguous())):
            return self.torch.add_norm(norm, x, delta)
        out = torch.empty_like(x)
        self.kernels.add_rmsnorm(x, delta, weight, float(eps), out)
        return x, out

    def rope(self, q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor,
             sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows, heads, dim = q.shape
        adjacent = (k.data_ptr() == q.data_ptr() + heads * dim * q.element_size() and q.stride() == k.stride()
                    and q.stride(2) == 1 and q.stride(1) == dim)
        if q.dtype != torch.bfloat16 or not adjacent or not cos.is_contiguous() or not sin.is_contiguous():
            return self.torch.rope(q, k, cos, sin)
        self.kernels.rope(q, heads + k.shape[1], cos, sin)
        return q, k

    def act_mul(self, act: Any, gate_up: torch.Tensor) -> torch.Tensor:
        if not isinstance(act, torch.nn.SiLU) or gate_up.dtype != torch.bfloat16 or not gate_up.is_contiguous():
            return self.torch.act_mul(act, gate_up)
        return self.kernels.silu_mul(gate_up)

