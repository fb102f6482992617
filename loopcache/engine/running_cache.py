"""The KV cache of one running request, and its conversion to and from stored blocks.

Each layer keeps one preallocated buffer (batch 1, kv_heads, capacity, head_dim) and hands the model views
of its filled part, so decoding appends in place instead of re-concatenating the whole cache every token.

Block payload layout (what `export` produces and `load` consumes): (layers, 2, kv_heads, tokens, head_dim),
index 0 = keys, 1 = values, in the model's dtype.
"""

from __future__ import annotations

import torch
from transformers.cache_utils import Cache, DynamicLayer


class GrowableLayer(DynamicLayer):
    """A DynamicLayer backed by a buffer that grows by doubling (rarely: it is sized for the request)."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = max(1, capacity)
        self.length = 0
        self._k: torch.Tensor | None = None
        self._v: torch.Tensor | None = None

    def allocate(self, batch: int, heads: int, head_dim: int, dtype: torch.dtype, device: torch.device) -> None:
        shape = (batch, heads, self.capacity, head_dim)
        self._k = torch.empty(shape, dtype=dtype, device=device)
        self._v = torch.empty(shape, dtype=dtype, device=device)
        self.device = device
        self.keys = self._k[:, :, :0]
        self.values = self._v[:, :, :0]
        self.is_initialized = True

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        b, h, _, d = key_states.shape
        self.allocate(b, h, d, key_states.dtype, key_states.device)

    def _ensure(self, needed: int) -> None:
        assert self._k is not None and self._v is not None
        if needed <= self.capacity:
            return
        new_cap = max(needed, 2 * self.capacity)
        for name in ("_k", "_v"):
            old = getattr(self, name)
            grown = torch.empty((*old.shape[:2], new_cap, old.shape[3]), dtype=old.dtype, device=old.device)
            grown[:, :, : self.length] = old[:, :, : self.length]
            setattr(self, name, grown)
        self.capacity = new_cap

    def append(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        n = key_states.shape[-2]
        self._ensure(self.length + n)
        assert self._k is not None and self._v is not None
        self._k[:, :, self.length : self.length + n] = key_states
        self._v[:, :, self.length : self.length + n] = value_states
        self.length += n
        self.keys = self._k[:, :, : self.length]
        self.values = self._v[:, :, : self.length]

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):  # noqa: ANN002
        self.append(key_states, value_states)
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def crop(self, tokens_to_remove: int) -> None:
        if tokens_to_remove > 0:
            raise ValueError("crop takes a negative count")
        self.length = max(0, self.length + tokens_to_remove)
        if self._k is not None and self._v is not None:
            self.keys = self._k[:, :, : self.length]
            self.values = self._v[:, :, : self.length]


class RunningCache:
    """A transformers `Cache` for one sequence plus block import/export."""

    def __init__(
        self,
        num_layers: int,
        num_kv_heads: int,
        head_dim: int,
        capacity: int,
        dtype: torch.dtype,
        device: torch.device | str,
    ) -> None:
        self.layers = [GrowableLayer(capacity) for _ in range(num_layers)]
        for layer in self.layers:
            layer.allocate(1, num_kv_heads, head_dim, dtype, torch.device(device))
        self.cache = Cache(layers=list(self.layers))
        self.shape = (num_layers, num_kv_heads, head_dim)
        self.dtype = dtype

    @property
    def length(self) -> int:
        return self.layers[0].length

    def load(self, kv: torch.Tensor) -> None:
        """Append KV for `tokens` positions; `kv` has the block layout (layers, 2, heads, tokens, dim)."""
        layers, heads, dim = self.shape
        if kv.dim() != 5 or kv.shape[0] != layers or kv.shape[1] != 2 or kv.shape[2] != heads or kv.shape[4] != dim:
            raise ValueError(f"KV of shape {tuple(kv.shape)} does not fit this model's layout {self.shape}")
        kv = kv.to(device=self.layers[0].device, dtype=self.dtype, non_blocking=True)
        for i, layer in enumerate(self.layers):
            layer.append(kv[i, 0].unsqueeze(0), kv[i, 1].unsqueeze(0))

    def export(self, start: int, end: int) -> torch.Tensor:
        """A new contiguous CPU tensor with the KV of positions [start, end), in the block layout."""
        if not 0 <= start < end <= self.length:
            raise ValueError(f"range [{start}, {end}) outside the cache (length {self.length})")
        out = torch.empty((len(self.layers), 2, self.shape[1], end - start, self.shape[2]), dtype=self.dtype)
        for i, layer in enumerate(self.layers):
            out[i, 0] = layer.keys[0, :, start:end]
            out[i, 1] = layer.values[0, :, start:end]
        return out

    def check_integrity(self) -> None:
        lengths = {layer.length for layer in self.layers}
        if len(lengths) != 1:
            raise AssertionError(f"layers disagree on length: {sorted(lengths)}")
