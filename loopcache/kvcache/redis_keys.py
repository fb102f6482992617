"""Redis key names of the Redis tier: built in exactly one place, with a format version.

    lc:v1:<keyspace>:<fingerprint>:{<block hash hex>}       part 0 of a block (frame + first bytes)
    lc:v1:<keyspace>:<fingerprint>:{<block hash hex>}:1     part 1, 2, ... of a large block

- `v1` is `REDIS_FORMAT_VERSION`: bump it when the value layout (redis_value.py) changes; old keys then
  simply stop matching and age out through their TTL.
- `keyspace` separates deployments sharing one Redis (default "loopcache"); `fingerprint` is the model
  fingerprint: a server with other weights, dtype or block format never reads these keys. The
  tenant namespace is committed in the block hash itself and checked again on every decoded block.
- The `{...}` hash tag puts every part of a block in one Redis Cluster slot, so a block is written in one
  MULTI/EXEC transaction and read from one shard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from loopcache.kvcache.block_hash import BlockHash

REDIS_FORMAT_VERSION = 1
_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, slots=True)
class RedisKeys:
    keyspace: str = "loopcache"
    fingerprint: str = "any"

    def __post_init__(self) -> None:
        if not _SAFE.match(self.keyspace):
            raise ValueError(f"Redis keyspace must be 1-64 of A-Z a-z 0-9 _ . -, got {self.keyspace!r}")
        if not _SAFE.match(self.fingerprint):
            raise ValueError(f"fingerprint must be 1-64 of A-Z a-z 0-9 _ . -, got {self.fingerprint!r}")

    @property
    def prefix(self) -> str:
        """Every key of this keyspace and model starts with this."""
        return f"lc:v{REDIS_FORMAT_VERSION}:{self.keyspace}:{self.fingerprint}:"

    def head(self, key: BlockHash) -> bytes:
        """The key holding part 0 of `key`'s block."""
        return f"{self.prefix}{{{key.hex}}}".encode()

    def part(self, key: BlockHash, index: int) -> bytes:
        """The key holding part `index` (>= 1) of `key`'s block."""
        if index < 1:
            raise ValueError("part 0 lives under head()")
        return f"{self.prefix}{{{key.hex}}}:{index}".encode()

    @property
    def head_pattern(self) -> str:
        """A SCAN pattern matching head keys (and, from the same prefix, part keys: filter with `block_of`)."""
        return f"{self.prefix}{{*}}*"

    def block_of(self, redis_key: bytes) -> BlockHash | None:
        """The block hash a head key names; None for a part key or anything else."""
        text = redis_key.decode(errors="replace")
        if not text.startswith(self.prefix):
            return None
        rest = text[len(self.prefix):]
        if len(rest) != 66 or rest[0] != "{" or rest[-1] != "}":
            return None
        try:
            return BlockHash.from_hex(rest[1:-1])
        except ValueError:
            return None
