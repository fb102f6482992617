"""BlockPool: the KV of running sequences, in blocks of the store's size, inside one preallocated tensor.

    kv:     (layers, 2, kv_heads, num_blocks * block_size, head_dim)      index 0 = keys, 1 = values
    block b holds token slots [b * block_size, (b + 1) * block_size)

    kv[:, :, :, slots of block b, :] has the stored block layout (layers, 2, kv_heads, tokens, head_dim),
    so a cached block loads with one copy and a finished block exports with one copy.

A sequence's blocks are placed next to each other whenever possible (a new sequence starts in the largest
free run; a growing one takes the block after its last), so its KV is one strided view of `kv` and the
decode path reads it without a gather. A scattered sequence still works: its slots are gathered.

The pool is bookkeeping plus one tensor; it never decides who gets blocks (that is the scheduler).
Invariant: every block is either free or owned by exactly one sequence (`check_integrity`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch


class BlockPool:
    def __init__(
        self,
        num_layers: int,
        num_kv_heads: int,
        head_dim: int,
        block_size: int,
        capacity_bytes: int,
        dtype: torch.dtype,
        device: torch.device | str,
    ) -> None:
        itemsize = torch.empty((), dtype=dtype).element_size()
        self.block_size = block_size
        self.bytes_per_block = 2 * num_layers * num_kv_heads * head_dim * block_size * itemsize
        self.num_blocks = capacity_bytes // self.bytes_per_block
        if self.num_blocks < 1:
            raise ValueError(
                f"a KV pool of {capacity_bytes} bytes cannot hold one block of {self.bytes_per_block} bytes"
            )
        self.capacity_bytes = self.num_blocks * self.bytes_per_block
        shape = (num_layers, 2, num_kv_heads, self.num_blocks * block_size, head_dim)
        self.kv = torch.empty(shape, dtype=dtype, device=device)  # pages are committed as they are written
        self._free = np.ones(self.num_blocks, dtype=bool)
        self._zeroed = np.zeros(self.num_blocks, dtype=bool)  # blocks that hold finite values throughout

    # ---- allocation -------------------------------------------------------------------------------------

    @property
    def num_free(self) -> int:
        return int(self._free.sum())

    def blocks_for(self, num_tokens: int) -> int:
        """Blocks needed to hold `num_tokens` tokens."""
        return -(-num_tokens // self.block_size)

    def allocate(self, n: int, after: int | None = None) -> list[int] | None:
        """`n` free blocks, marked used; None (nothing taken) if fewer than `n` are free. With `after` (the
        last block a sequence holds) the blocks right after it are taken when they are free."""
        if n <= 0:
            return []
        if n > self.num_free:
            return None
        if after is not None and after + n < self.num_blocks and self._free[after + 1 : after + 1 + n].all():
            start = after + 1
        else:
            starts, lengths = self._free_runs()
            best = int(np.argmax(lengths))
            start = int(starts[best]) if lengths[best] >= n else -1
        if start >= 0:
            chosen = list(range(start, start + n))
        else:  # fragmented: the lowest free blocks
            chosen = [int(b) for b in np.flatnonzero(self._free)[:n]]
        self._free[chosen] = False
        for b in chosen:  # once per block: slots not yet written hold zeros, never NaN (see kv_index)
            if not self._zeroed[b]:
                self.kv[:, :, :, b * self.block_size : (b + 1) * self.block_size].zero_()
                self._zeroed[b] = True
        return chosen

    def free(self, blocks: Iterable[int]) -> None:
        ids = list(blocks)
        if ids and self._free[ids].any():
            raise ValueError(f"freeing blocks that are already free: {[b for b in ids if self._free[b]]}")
        self._free[ids] = True

    def _free_runs(self) -> tuple[np.ndarray, np.ndarray]:
        edges = np.diff(np.concatenate(([0], self._free.astype(np.int8), [0])))
        starts = np.flatnonzero(edges == 1)
        return starts, np.flatnonzero(edges == -1) - starts

    # ---- addressing -------------------------------------------------------------------------------------

    def slots(self, blocks: list[int], start: int, end: int) -> torch.Tensor:
        """Slot indices of token positions [start, end) of a sequence holding `blocks`."""
        return self.slots_at(blocks, torch.arange(start, end))

    def slots_at(self, blocks: list[int] | tuple[int, ...], positions: torch.Tensor) -> torch.Tensor:
        """Slot indices of the token `positions` (a long tensor) of a sequence holding `blocks`."""
        table = torch.tensor(list(blocks), dtype=torch.long)
        return table[positions // self.block_size] * self.block_size + positions % self.block_size

    def kv_index(self, blocks: list[int], length: int) -> slice | torch.Tensor:
        """Index along the slot axis selecting the first `length` tokens of a sequence, padded to the end of
        the block holding the last one: a slice (a view, no copy) when its blocks are consecutive, else the
        slot indices (a gather). Padding slots hold finite values (stale KV or zeros): attention masks them,
        and the padded length repeats from step to step (kernels are set up once per shape, not per token)."""
        needed = self.blocks_for(length)
        first = blocks[0]
        padded = needed * self.block_size
        if all(b == first + i for i, b in enumerate(blocks[:needed])):
            return slice(first * self.block_size, first * self.block_size + padded)
        return self.slots(blocks, 0, padded).to(self.kv.device)

    # ---- block transfer ---------------------------------------------------------------------------------

    def write(self, block: int, kv: torch.Tensor) -> None:
        """Copy `kv` (layers, 2, kv_heads, n, head_dim), n <= block_size, into the first n slots of `block`."""
        n = kv.shape[3]
        if kv.dim() != 5 or kv.shape[:3] != self.kv.shape[:3] or kv.shape[4] != self.kv.shape[4] or n > self.block_size:
            raise ValueError(f"KV of shape {tuple(kv.shape)} does not fit a block of {tuple(self.kv.shape)}")
        start = block * self.block_size
        self.kv[:, :, :, start : start + n].copy_(kv)

    def read(self, block: int, n: int) -> torch.Tensor:
        """A new contiguous CPU tensor with the KV of the first `n` slots of `block`, in the block layout."""
        start = block * self.block_size
        return self.kv[:, :, :, start : start + n].to("cpu", copy=True).contiguous()

    def check_integrity(self, owned: Iterable[list[int]]) -> None:
        """Raise AssertionError unless the used blocks are exactly those `owned`, each by one owner."""
        seen: list[int] = [b for blocks in owned for b in blocks]
        if len(seen) != len(set(seen)):
            raise AssertionError("a pool block is owned by two sequences")
        used = set(np.flatnonzero(~self._free).tolist())
        if used != set(seen):
            raise AssertionError(f"pool blocks used but unowned: {sorted(used - set(seen))}; owned but free: "
                                 f"{sorted(set(seen) - used)}")
