"""ChunkStore: position-independent KV of chunks, in the existing tiers, as ordinary blocks.

    chunk tokens:  [ t0 ............ t255 ][ t256 ...... t511 ][ t512 .. t600 ]
    keys:          c = chunk_key(ns, fp, all tokens)
                   p0 = H(c, ns, fp, piece 0)   p1 = H(p0, ...)    p2 = H(p1, ...)      (block_hash chain)
    payload:       (layers, 2, kv_heads, tokens, head_dim), keys rotated back to position 0 (`KeyRotation`)

A chunk is found only whole: every piece present, and each one's key, parent, namespace, fingerprint,
dtype, shape and token ids match (a collision or a corrupted entry is deleted, counted in `rejected`, and
the chunk is a miss). The key commits to the namespace and the model fingerprint, so chunks never cross
tenants or models, exactly like prefix blocks.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import BlockHash, block_hash, chunk_key
from loopcache.kvcache.tiered import TieredStore


@dataclass(frozen=True)
class ChunkKV:
    """A chunk's KV as loaded: (layers, 2, kv_heads, tokens, head_dim), keys at position 0; the slowest tier
    one of its pieces came from."""

    kv: torch.Tensor
    tier: str


@dataclass
class ChunkCounters:
    hits: int = 0
    misses: int = 0
    puts: int = 0
    rejected: int = 0


class ChunkStore:
    def __init__(self, store: TieredStore, fingerprint: str, dtype: str, torch_dtype: torch.dtype,
                 bytes_per_token: int, piece_tokens: int) -> None:
        if piece_tokens < 1:
            raise ValueError("piece_tokens must be positive")
        self.store = store
        self.fingerprint = fingerprint
        self.dtype = dtype
        self.torch_dtype = torch_dtype
        self.bytes_per_token = bytes_per_token
        self.piece_tokens = piece_tokens
        self.counters = ChunkCounters()

    def keys(self, namespace: str, token_ids: Sequence[int]) -> tuple[BlockHash, list[BlockHash]]:
        """(chunk root key, keys of its pieces in order)."""
        root = chunk_key(namespace, self.fingerprint, token_ids)
        pieces, parent = [], root
        for start in range(0, len(token_ids), self.piece_tokens):
            parent = block_hash(parent, namespace, self.fingerprint, token_ids[start : start + self.piece_tokens])
            pieces.append(parent)
        return root, pieces

    def contains(self, namespace: str, token_ids: Sequence[int]) -> bool:
        """Whether every piece is in some tier (cheap: no payload is read)."""
        _, pieces = self.keys(namespace, token_ids)
        return all(self.store.tier_of(k) is not None for k in pieces)

    def load(self, namespace: str, token_ids: Sequence[int]) -> ChunkKV | None:
        """The chunk's verified KV, or None (a miss: absent, partly evicted, or failing verification)."""
        root, pieces = self.keys(namespace, token_ids)
        parts: list[torch.Tensor] = []
        tiers: list[str] = []
        parent = root
        for i, key in enumerate(pieces):
            hit = self.store.find(key) if self.store.tier_of(key) is not None else None
            if hit is None:
                self.counters.misses += 1
                return None
            expected = tuple(token_ids[i * self.piece_tokens : (i + 1) * self.piece_tokens])
            if not self._accepts(hit.block, key, parent, namespace, expected):
                self.store.delete(key)
                self.counters.rejected += 1
                self.counters.misses += 1
                return None
            with warnings.catch_warnings():  # a piece read from Redis is a read-only view: only read here
                warnings.filterwarnings("ignore", "The given NumPy array is not writable")
                parts.append(torch.from_numpy(hit.block.payload).view(self.torch_dtype).view(hit.block.shape))
            tiers.append(hit.tier)
            parent = key
        self.counters.hits += 1
        kv = parts[0] if len(parts) == 1 else torch.cat(parts, dim=3)
        return ChunkKV(kv, tiers[-1] if len(set(tiers)) == 1 else ",".join(sorted(set(tiers))))

    def put(self, namespace: str, token_ids: Sequence[int], kv: torch.Tensor) -> int:
        """Store a chunk's KV (layers, 2, kv_heads, tokens, head_dim), keys at position 0, on the CPU. Returns
        the pieces put (0 if the chunk is already stored)."""
        if kv.dim() != 5 or kv.shape[3] != len(token_ids):
            raise ValueError(f"chunk KV of shape {tuple(kv.shape)} does not hold {len(token_ids)} tokens")
        if self.contains(namespace, token_ids):
            return 0
        root, pieces = self.keys(namespace, token_ids)
        parent = root
        for i, key in enumerate(pieces):
            a, b = i * self.piece_tokens, min(len(token_ids), (i + 1) * self.piece_tokens)
            part = kv[:, :, :, a:b].to("cpu", self.torch_dtype).contiguous()
            payload = part.view(torch.uint8).reshape(-1).numpy()
            assert payload.dtype == np.uint8
            self.store.put(KVBlock(key=key, parent=parent, namespace=namespace, fingerprint=self.fingerprint,
                                   token_ids=tuple(token_ids[a:b]), dtype=self.dtype, shape=tuple(part.shape),
                                   payload=payload))
            parent = key
        self.counters.puts += 1
        return len(pieces)

    def _accepts(self, block: KVBlock, key: BlockHash, parent: BlockHash, namespace: str,
                 token_ids: tuple[int, ...]) -> bool:
        return (block.key == key and block.parent == parent and block.namespace == namespace
                and block.fingerprint == self.fingerprint and block.dtype == self.dtype and len(block.shape) == 5
                and block.shape[3] == len(token_ids) and block.token_ids == token_ids
                and block.nbytes == len(token_ids) * self.bytes_per_token)

    def check_integrity(self) -> None:
        """Raise AssertionError if the counters are inconsistent (the tiers check their own contents)."""
        c = self.counters
        if min(c.hits, c.misses, c.puts, c.rejected) < 0 or c.rejected > c.misses:
            raise AssertionError(f"chunk store counters are inconsistent: {c}")
