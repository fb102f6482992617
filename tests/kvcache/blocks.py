"""Small test blocks whose payload is derived from their key, so any wrong byte is detectable."""

from __future__ import annotations

import hashlib

import numpy as np

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import ROOT, block_hash


def block_for(i: int, nbytes: int = 2048, namespace: str = "ns", fingerprint: str = "fp") -> KVBlock:
    tokens = (i, i + 1, i + 2, i + 3)
    key = block_hash(ROOT, namespace, fingerprint, tokens)
    seed = int.from_bytes(hashlib.sha256(key.digest).digest()[:4], "little")
    payload = np.random.default_rng(seed).integers(0, 256, size=nbytes, dtype=np.uint8)
    return KVBlock(key, ROOT, namespace, fingerprint, tokens, "bfloat16", (1, 2, 1, 4, nbytes // 16), payload)
