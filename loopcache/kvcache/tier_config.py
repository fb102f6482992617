"""Which tiers to open and how large: one frozen config, validated once, and the function that opens it."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.disk_errors import DiskStoreError
from loopcache.kvcache.eviction import EvictionPolicy
from loopcache.kvcache.memory import DEFAULT_MEMORY_BYTES, MemoryStore
from loopcache.kvcache.redis_client import RedisTarget
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.redis_store import DEFAULT_REDIS_TTL_S, RedisStore
from loopcache.kvcache.store import Store
from loopcache.kvcache.tiered import TieredStore

log = logging.getLogger(__name__)

DEFAULT_DISK_BYTES = 20 * 2**30
DEFAULT_DISK_TTL_S = 7 * 86400.0


def default_home() -> Path:
    """`$LOOPCACHE_HOME`, else `~/.cache/loopcache`."""
    env = os.environ.get("LOOPCACHE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "loopcache"


@dataclass(frozen=True)
class TierConfig:
    root: Path  # the disk tier lives in root/kv
    memory: bool = True
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    disk: bool = True
    disk_bytes: int = DEFAULT_DISK_BYTES
    disk_ttl_s: float = DEFAULT_DISK_TTL_S
    max_write_queue: int = 256
    redis: RedisTarget | None = None  # the shared tier after disk, when given
    redis_keyspace: str = "loopcache"
    redis_ttl_s: float = DEFAULT_REDIS_TTL_S

    def __post_init__(self) -> None:
        if not (self.memory or self.disk):
            raise ValueError("at least one tier (memory or disk) must be enabled")
        if self.memory_bytes <= 0 or self.disk_bytes <= 0:
            raise ValueError("tier capacities must be positive")
        if self.disk_ttl_s <= 0:
            raise ValueError("disk TTL must be positive")
        if not self.redis_ttl_s > 0:
            raise ValueError("Redis TTL must be positive")
        RedisKeys(self.redis_keyspace)  # validates the keyspace

    @property
    def disk_dir(self) -> Path:
        return self.root / "kv"


def open_tiers(config: TierConfig, memory_policy: EvictionPolicy | None = None,
               disk_policy: EvictionPolicy | None = None, clock: Callable[[], float] = time.time,
               fingerprint: str = "any") -> TieredStore:
    """Open the configured tiers, fastest first (memory -> disk -> Redis), each local tier evicting in its
    policy's order (None: LRU). Close the result (it drains pending writes). `fingerprint` is the model's:
    the Redis tier's keys carry it.

    A disk tier that cannot be opened (unusable directory, index busy past the bound, newer schema) is left
    out with a logged error when a memory tier remains to serve with; without one, the error is raised.
    A Redis that cannot be reached at start raises `RedisUnavailableError` (a typo in a URL should not
    pass for an outage); once open, a Redis outage degrades to the local tiers."""
    tiers: list[Store] = []
    if config.memory:
        tiers.append(MemoryStore(config.memory_bytes, policy=memory_policy))
    if config.disk:
        try:
            tiers.append(DiskStore(config.disk_dir, capacity_bytes=config.disk_bytes, ttl_s=config.disk_ttl_s,
                                   clock=clock, policy=disk_policy))
        except (DiskStoreError, OSError) as exc:
            if not tiers:
                raise
            log.error("disk tier unavailable, serving without it until restarted: %s", exc)
    if config.redis is not None:
        try:
            tiers.append(RedisStore.open(config.redis, RedisKeys(config.redis_keyspace, fingerprint),
                                         ttl_s=config.redis_ttl_s))
        except BaseException:
            for tier in tiers:
                tier.close()
            raise
    return TieredStore(tiers, max_write_queue=config.max_write_queue)
