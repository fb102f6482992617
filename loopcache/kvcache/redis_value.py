"""How one block is laid out in Redis values: the block's own encoding (block.py), cut into parts.

    head value:   b"LCRV" | u32 number of parts N | u64 total length L | bytes [0, part_bytes)
    part i value: bytes [i * part_bytes, (i + 1) * part_bytes)                          (1 <= i < N)

The bytes are exactly the disk tier's block encoding (preamble, JSON header, payload, xxh3 checksum over
header and payload), so a value read back is verified like a block file: a short, altered or mixed-up
value raises `CorruptBlockError`, never returns wrong KV. Parts keep single values small (Redis replies
and replication buffers stay bounded, and a cluster's slot migration moves them one at a time).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from loopcache.kvcache.block import CorruptBlockError, KVBlock, decode, encode_prefix

_FRAME = struct.Struct("<4sIQ")
_MAGIC = b"LCRV"
DEFAULT_PART_BYTES = 8 * 2**20
MIN_PART_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Frame:
    num_parts: int
    total_bytes: int


def split(block: KVBlock, part_bytes: int = DEFAULT_PART_BYTES) -> list[bytes]:
    """The values to store for `block`: the head first, then parts 1..N-1."""
    if part_bytes < MIN_PART_BYTES:
        raise ValueError(f"part_bytes must be at least {MIN_PART_BYTES}")
    data = encode_prefix(block) + block.payload.tobytes()
    num_parts = max(1, -(-len(data) // part_bytes))
    view = memoryview(data)
    head = _FRAME.pack(_MAGIC, num_parts, len(data)) + view[:part_bytes]
    return [head, *(bytes(view[i * part_bytes:(i + 1) * part_bytes]) for i in range(1, num_parts))]


def frame_of(head: bytes) -> Frame:
    """How many parts the block whose head is `head` has, and its encoded length."""
    if len(head) < _FRAME.size:
        raise CorruptBlockError("Redis value shorter than its frame")
    magic, num_parts, total = _FRAME.unpack_from(head)
    if magic != _MAGIC or num_parts < 1:
        raise CorruptBlockError("not a loopcache Redis value")
    return Frame(num_parts, total)


def join(head: bytes, parts: list[bytes]) -> KVBlock:
    """The verified block made of `head` and its further `parts` (in order)."""
    frame = frame_of(head)
    if len(parts) != frame.num_parts - 1:
        raise CorruptBlockError(f"{len(parts) + 1} parts, frame says {frame.num_parts}")
    body = memoryview(head)[_FRAME.size:]
    data = b"".join([body, *parts]) if parts else body
    if len(data) != frame.total_bytes:
        raise CorruptBlockError(f"{len(data)} bytes, frame says {frame.total_bytes}")
    return decode(io.BytesIO(data), len(data))  # type: ignore[arg-type]
