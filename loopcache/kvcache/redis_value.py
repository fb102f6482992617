"""How one block is laid out in Redis values: the block's own encoding (block.py), cut into parts.

    head value:   b"LCRV" | u32 number of parts N | u64 total length L | bytes [0, part_bytes)
    part i value: bytes [i * part_bytes, (i + 1) * part_bytes)                          (1 <= i < N)

The bytes are exactly the disk tier's block encoding (preamble, JSON header, payload, xxh3 checksum over
header and payload), so a value read back is verified like a block file: a short, altered or mixed-up
value raises `CorruptBlockError`, never returns wrong KV. Parts keep single values small (Redis replies
and replication buffers stay bounded, and a cluster's slot migration moves them one at a time).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from loopcache.kvcache.block import CorruptBlockError, KVBlock, decode, decode_buffer, encode_prefix

_FRAME = struct.Struct("<4sIQ")
_MAGIC = b"LCRV"
DEFAULT_PART_BYTES = 8 * 2**20
MIN_PART_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Frame:
    num_parts: int
    total_bytes: int


def split(block: KVBlock, part_bytes: int = DEFAULT_PART_BYTES) -> list[memoryview]:
    """The values to store for `block`: the head first, then parts 1..N-1 (views of one buffer: the payload
    is copied once, and a Python command packer sends the views without copying them again)."""
    if part_bytes < MIN_PART_BYTES:
        raise ValueError(f"part_bytes must be at least {MIN_PART_BYTES}")
    prefix = encode_prefix(block)
    total = len(prefix) + block.nbytes
    num_parts = max(1, -(-total // part_bytes))
    buffer = bytearray(_FRAME.size + total)
    _FRAME.pack_into(buffer, 0, _MAGIC, num_parts, total)
    at = _FRAME.size + len(prefix)
    buffer[_FRAME.size:at] = prefix
    np.frombuffer(buffer, dtype=np.uint8, count=block.nbytes, offset=at)[:] = block.payload
    view = memoryview(buffer)
    return [view[: _FRAME.size + part_bytes],
            *(view[_FRAME.size + i * part_bytes: _FRAME.size + (i + 1) * part_bytes] for i in range(1, num_parts))]


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
    if not parts:  # one value: the payload is a view of it, never copied
        body = memoryview(head)[_FRAME.size:]
        if len(body) != frame.total_bytes:
            raise CorruptBlockError(f"{len(body)} bytes, frame says {frame.total_bytes}")
        return decode_buffer(body)
    reader = _PartsReader([memoryview(head)[_FRAME.size:], *(memoryview(p) for p in parts)])
    if reader.size != frame.total_bytes:
        raise CorruptBlockError(f"{reader.size} bytes, frame says {frame.total_bytes}")
    return decode(reader, reader.size)  # type: ignore[arg-type]


class _PartsReader:
    """The file-like reads `block.decode` makes, over the parts as they came from Redis (no joined copy:
    the payload is copied once, from the parts into the block's array)."""

    def __init__(self, parts: list[memoryview]) -> None:
        self._parts = parts
        self.size = sum(len(p) for p in parts)
        self._pos = 0

    def read(self, n: int) -> bytes:
        out = bytearray(min(n, self.size - self._pos))
        self.readinto(memoryview(out))
        return bytes(out)

    def seek(self, pos: int) -> None:
        self._pos = pos

    def readinto(self, target: memoryview) -> int:
        want, done, start = len(target), 0, 0
        for part in self._parts:
            end = start + len(part)
            if end > self._pos and done < want:
                lo = self._pos - start
                take = min(len(part) - lo, want - done)
                target[done:done + take] = part[lo:lo + take]
                done += take
                self._pos += take
            start = end
        return done
