"""Block keys: chained sha256 over canonical bytes, identical across processes, machines and restarts.

    tokens:  [ t0 ... t255 ][ t256 ... t511 ][ t512 ... t700 ]
    keys:        h0 = H(ROOT, ns, fp, b0)
                           h1 = H(h0, ns, fp, b1)
                                            tail key = T(h1, ns, fp, t512, session)   (partial block)

A block's key commits to everything before it (through the parent), to its tenant (namespace) and to the
model that computed it (fingerprint). Python's `hash()` is never used: it differs per process.
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

# Bump when the canonical bytes change: old keys then simply stop matching.
HASH_FORMAT_VERSION = 1
_DOMAIN_BLOCK = b"loopcache.block.v%d\x00" % HASH_FORMAT_VERSION
_DOMAIN_TAIL = b"loopcache.tail.v%d\x00" % HASH_FORMAT_VERSION
_DOMAIN_CHUNK = b"loopcache.chunk.v%d\x00" % HASH_FORMAT_VERSION


@dataclass(frozen=True, slots=True)
class BlockHash:
    """A 32-byte sha256 digest naming one block (or one tail slot)."""

    digest: bytes

    def __post_init__(self) -> None:
        if len(self.digest) != 32:
            raise ValueError(f"BlockHash needs 32 bytes, got {len(self.digest)}")

    @property
    def hex(self) -> str:
        return self.digest.hex()

    @classmethod
    def from_hex(cls, text: str) -> BlockHash:
        return cls(bytes.fromhex(text))

    def __str__(self) -> str:
        return self.hex[:16]


ROOT = BlockHash(b"\x00" * 32)


def _field(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def _token_bytes(token_ids: Sequence[int]) -> bytes:
    packed = array("I", token_ids)  # uint32, native order; normalised to little-endian below
    if packed.itemsize != 4:
        raise RuntimeError("array('I') is not 32-bit on this platform")
    if struct.pack("=I", 1) != struct.pack("<I", 1):
        packed.byteswap()
    return packed.tobytes()


def block_hash(parent: BlockHash, namespace: str, fingerprint: str, token_ids: Sequence[int]) -> BlockHash:
    """The key of the block holding `token_ids` right after the block `parent` (ROOT for the first)."""
    h = hashlib.sha256(_DOMAIN_BLOCK)
    h.update(parent.digest)
    h.update(_field(namespace.encode()))
    h.update(_field(fingerprint.encode()))
    h.update(_field(_token_bytes(token_ids)))
    return BlockHash(h.digest())


def tail_key(parent: BlockHash, namespace: str, fingerprint: str, first_token: int, session: str = "") -> BlockHash:
    """The key of the slot holding a partial block (up to block_size tokens) that follows `parent` and starts
    with `first_token`: continuations that differ from their first token on get slots of their own, and so
    does each session (`session`; "" is the slot shared by requests without one)."""
    h = hashlib.sha256(_DOMAIN_TAIL)
    h.update(parent.digest)
    h.update(_field(namespace.encode()))
    h.update(_field(fingerprint.encode()))
    h.update(_field(_token_bytes([first_token])))
    h.update(_field(session.encode()))
    return BlockHash(h.digest())


def chunk_key(namespace: str, fingerprint: str, token_ids: Sequence[int]) -> BlockHash:
    """The root key of a position-independent chunk (`loopcache.blend`): its tenant, model and every token
    id, wherever it stands in a prompt. Its pieces are chained after it with `block_hash`."""
    h = hashlib.sha256(_DOMAIN_CHUNK)
    h.update(_field(namespace.encode()))
    h.update(_field(fingerprint.encode()))
    h.update(_field(_token_bytes(token_ids)))
    return BlockHash(h.digest())


def chain_hashes(
    token_ids: Sequence[int], block_size: int, namespace: str, fingerprint: str
) -> list[BlockHash]:
    """Keys of every full block of `token_ids`, in order (a trailing partial block gets none)."""
    if block_size <= 0:
        raise ValueError("block_size must be positive")
    keys: list[BlockHash] = []
    parent = ROOT
    for start in range(0, len(token_ids) - block_size + 1, block_size):
        parent = block_hash(parent, namespace, fingerprint, token_ids[start : start + block_size])
        keys.append(parent)
    return keys
