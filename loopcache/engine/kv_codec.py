"""The one place KV tensors become stored blocks and back, and what a block must look like to be used.

Block payload layout: (layers, 2, kv_heads, tokens, head_dim) in the model's dtype, index 0 = keys,
1 = values: exactly a slice of the block pool (`BlockPool.kv`), so both directions are one copy.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import BlockHash


@dataclass(frozen=True)
class BlockLayout:
    """What a block must look like to be usable by this model, in this tenant."""

    namespace: str
    fingerprint: str
    dtype: str
    block_size: int
    bytes_per_token: int

    def accepts(self, block: KVBlock, key: BlockHash, parent: BlockHash) -> bool:
        """Whether `block` really is the block stored under `key` after `parent`, for this model and tenant
        (token ids are compared by the caller, who knows which tokens it expects)."""
        return (
            block.key == key
            and block.parent == parent
            and block.namespace == self.namespace
            and block.fingerprint == self.fingerprint
            and block.dtype == self.dtype
            and len(block.shape) == 5
            and block.shape[3] == block.num_tokens
            and block.nbytes == block.num_tokens * self.bytes_per_token
        )


def block_from_kv(
    kv: torch.Tensor, key: BlockHash, parent: BlockHash, token_ids: Sequence[int], layout: BlockLayout
) -> KVBlock:
    """A block owning `kv` (a contiguous CPU tensor in the block layout; not copied again)."""
    if not kv.is_contiguous() or kv.device.type != "cpu" or kv.shape[3] != len(token_ids):
        raise ValueError("block KV must be a contiguous CPU tensor with one position per token")
    payload = kv.view(torch.uint8).reshape(-1).numpy()
    assert payload.dtype == np.uint8
    return KVBlock(
        key=key,
        parent=parent,
        namespace=layout.namespace,
        fingerprint=layout.fingerprint,
        token_ids=tuple(token_ids),
        dtype=layout.dtype,
        shape=tuple(kv.shape),
        payload=payload,
    )


def kv_from_block(block: KVBlock, dtype: torch.dtype) -> torch.Tensor:
    """A view of `block`'s payload as a tensor in the block layout (no copy; do not write into it)."""
    with warnings.catch_warnings():  # a payload read from Redis is a read-only view of the reply: fine here
        warnings.filterwarnings("ignore", "The given NumPy array is not writable")
        return torch.from_numpy(block.payload).view(dtype).view(block.shape)
