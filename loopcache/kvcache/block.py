"""One KV block: metadata plus the raw bytes of its KV tensors, and its on-disk encoding.

The payload is opaque here (a flat uint8 numpy array); the engine knows its layout from `dtype` and `shape`
(layers, 2, kv_heads, tokens, head_dim). Encoded form, little-endian, no pickle:

    offset 0   b"LCKV"                     magic
           4   u16 format version, u16 0
           8   u32 header length H
          12   u64 xxh3_64(header || payload)
          20   header: UTF-8 JSON, sorted keys
       20+H    zero padding to a 64-byte boundary
           P   payload (header["payload_nbytes"] bytes)

Decoding reads the payload straight into one preallocated buffer and verifies the checksum before the block
is returned; a short, oversized or altered file raises `CorruptBlockError`, never returns wrong bytes.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import xxhash

from loopcache.kvcache.block_hash import BlockHash

BLOCK_FORMAT_VERSION = 1
MAGIC = b"LCKV"
_PREAMBLE = struct.Struct("<4sHHIQ")
_ALIGN = 64
_MAX_HEADER = 1 << 20


class CorruptBlockError(Exception):
    """Stored bytes that do not decode to a valid, checksummed block."""


@dataclass(frozen=True, slots=True, eq=False)
class KVBlock:
    """KV of consecutive tokens for every layer. Immutable by contract: nobody writes into `payload`."""

    key: BlockHash
    parent: BlockHash
    namespace: str
    fingerprint: str
    token_ids: tuple[int, ...]
    dtype: str
    shape: tuple[int, ...]
    payload: np.ndarray  # flat uint8

    def __post_init__(self) -> None:
        if self.payload.dtype != np.uint8 or self.payload.ndim != 1:
            raise ValueError("payload must be a flat uint8 array")

    @property
    def nbytes(self) -> int:
        return int(self.payload.nbytes)

    @property
    def num_tokens(self) -> int:
        return len(self.token_ids)

    def header(self) -> dict[str, object]:
        return {
            "key": self.key.hex,
            "parent": self.parent.hex,
            "namespace": self.namespace,
            "fingerprint": self.fingerprint,
            "token_ids": list(self.token_ids),
            "dtype": self.dtype,
            "shape": list(self.shape),
            "payload_nbytes": self.nbytes,
        }


def _padded(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def encode_prefix(block: KVBlock) -> bytes:
    """Everything before the payload (preamble, header, padding). Write it, then `block.payload`."""
    header = json.dumps(block.header(), sort_keys=True, separators=(",", ":")).encode()
    digest = xxhash.xxh3_64(header)
    digest.update(block.payload)
    preamble = _PREAMBLE.pack(MAGIC, BLOCK_FORMAT_VERSION, 0, len(header), digest.intdigest())
    prefix = preamble + header
    return prefix + b"\x00" * (_padded(len(prefix)) - len(prefix))


def encoded_size(block: KVBlock) -> int:
    return len(encode_prefix(block)) + block.nbytes


def decode(fh: BinaryIO, file_size: int) -> KVBlock:
    """Read one block from `fh` (positioned at its start) of total length `file_size`."""
    header_bytes, header, checksum, offset, payload_nbytes = _read_header(fh.read, file_size)
    fh.seek(offset)
    payload = np.empty(payload_nbytes, dtype=np.uint8)
    if fh.readinto(memoryview(payload)) != payload_nbytes:
        raise CorruptBlockError("truncated payload")
    return _verified_block(header_bytes, header, checksum, payload)


def decode_buffer(buf: memoryview) -> KVBlock:
    """The block encoded in `buf`, its payload a read-only view of `buf` (no copy): `buf` must not change
    while the block lives (a `bytes` object's memory never does)."""
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        out = bytes(buf[pos:pos + n])
        pos += len(out)
        return out

    header_bytes, header, checksum, offset, payload_nbytes = _read_header(read, len(buf))
    payload = np.frombuffer(buf, dtype=np.uint8, count=payload_nbytes, offset=offset)
    return _verified_block(header_bytes, header, checksum, payload)


def _read_header(read: Callable[[int], bytes], file_size: int) -> tuple[bytes, dict[str, Any], int, int, int]:
    """(header bytes, header, checksum, payload offset, payload size) of the block `read` reads from."""
    raw = read(_PREAMBLE.size)
    if len(raw) != _PREAMBLE.size:
        raise CorruptBlockError("truncated preamble")
    magic, version, _, header_len, checksum = _PREAMBLE.unpack(raw)
    if magic != MAGIC:
        raise CorruptBlockError("bad magic")
    if version != BLOCK_FORMAT_VERSION:
        raise CorruptBlockError(f"unsupported block format version {version}")
    if header_len > _MAX_HEADER:
        raise CorruptBlockError("header too large")
    header_bytes = read(header_len)
    if len(header_bytes) != header_len:
        raise CorruptBlockError("truncated header")
    try:
        header = json.loads(header_bytes)
        payload_nbytes = int(header["payload_nbytes"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptBlockError(f"unreadable header: {exc}") from exc
    offset = _padded(_PREAMBLE.size + header_len)
    if file_size != offset + payload_nbytes:
        raise CorruptBlockError(f"size {file_size} != expected {offset + payload_nbytes}")
    return header_bytes, header, checksum, offset, payload_nbytes


def _verified_block(header_bytes: bytes, header: dict[str, Any], checksum: int, payload: np.ndarray) -> KVBlock:
    digest = xxhash.xxh3_64(header_bytes)
    digest.update(payload)
    if digest.intdigest() != checksum:
        raise CorruptBlockError("checksum mismatch")
    try:
        return KVBlock(
            key=BlockHash.from_hex(header["key"]),
            parent=BlockHash.from_hex(header["parent"]),
            namespace=str(header["namespace"]),
            fingerprint=str(header["fingerprint"]),
            token_ids=tuple(int(t) for t in header["token_ids"]),
            dtype=str(header["dtype"]),
            shape=tuple(int(d) for d in header["shape"]),
            payload=payload,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptBlockError(f"invalid header field: {exc}") from exc
