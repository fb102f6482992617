"""The one run configuration: which model, where, and which cache tiers. Frozen and validated once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from loopcache.engine.config import EngineConfig
from loopcache.kvcache.redis_client import RedisTarget
from loopcache.kvcache.redis_store import DEFAULT_REDIS_TTL_S
from loopcache.kvcache.tier_config import TierConfig, default_home
from loopcache.sessions.config import SessionConfig

DEVICES = ("cpu", "cuda")
DTYPES = ("bfloat16", "float32", "float16")


@dataclass(frozen=True)
class RedisOptions:
    """The shared Redis tier as the command line gives it (checked when the `TierConfig` is built)."""

    url: str | None = None
    keyspace: str = "loopcache"
    ttl_s: float = DEFAULT_REDIS_TTL_S


@dataclass(frozen=True)
class RunConfig:
    model: str = "default"
    device: str = "cpu"
    dtype: str = "bfloat16"
    home: Path = field(default_factory=default_home)  # converted models and fingerprints live here
    tiers: TierConfig = field(default_factory=lambda: TierConfig(root=default_home()))
    engine: EngineConfig = field(default_factory=EngineConfig)
    use_cache: bool = True
    sessions: SessionConfig = field(default_factory=SessionConfig)

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {self.device!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")

    @classmethod
    def from_options(cls, model: str = "default", device: str = "cpu", dtype: str = "bfloat16",
                     cache_dir: Path | None = None, kv_dir: Path | None = None,
                     engine: EngineConfig | None = None, use_cache: bool = True,
                     redis: RedisOptions | None = None) -> RunConfig:
        """Models under `cache_dir` (default: $LOOPCACHE_HOME or ~/.cache/loopcache), KV tiers under `kv_dir`
        (default: the same place), plus a shared Redis tier when `redis` names one."""
        home = (cache_dir or default_home()).expanduser()
        r = redis or RedisOptions()
        tiers = TierConfig(root=kv_dir.expanduser() if kv_dir is not None else home,
                           redis=RedisTarget(r.url) if r.url else None, redis_keyspace=r.keyspace,
                           redis_ttl_s=r.ttl_s)
        return cls(model, device, dtype, home, tiers, engine or EngineConfig(), use_cache)

    def with_cache_root(self, root: Path) -> RunConfig:
        """The same config with the cache tiers somewhere else (models stay under `home`)."""
        return replace(self, tiers=replace(self.tiers, root=root))
