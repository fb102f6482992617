"""Model fingerprint: identity of weights + dtype + KV layout + storage format version.

KV computed by another fingerprint is never served. Two servers holding the same weights compute the same
fingerprint, so they share blocks; a changed weight file, dtype or block format changes it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from loopcache.kvcache.block import BLOCK_FORMAT_VERSION

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")


def model_fingerprint(weights_sha256: str, dtype: str, kv_layout: dict[str, object]) -> str:
    """A short, stable id (hex) over the canonical JSON of everything that changes the KV bytes."""
    canonical = json.dumps(
        {"weights": weights_sha256, "dtype": dtype, "kv_layout": kv_layout, "format": BLOCK_FORMAT_VERSION},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def weights_digest(model_dir: Path, cache_dir: Path) -> str:
    """sha256 over the model folder's weight files (names and contents), memoised by (path, size, mtime)."""
    files = sorted(p for p in model_dir.iterdir() if p.suffix in _WEIGHT_SUFFIXES and p.is_file())
    stamp = json.dumps([[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in files])
    memo_dir = cache_dir / "fingerprints"
    memo = memo_dir / (hashlib.sha256(stamp.encode()).hexdigest()[:32] + ".txt")
    if memo.exists():
        return memo.read_text().strip()
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode() + b"\x00")
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    digest = h.hexdigest()
    memo_dir.mkdir(parents=True, exist_ok=True)
    memo.write_text(digest)
    return digest
