"""Command-line options shared by every command that runs the engine (demo, bench, serve), the one function
that turns them into a `RunConfig`, and the disk tier opened for the maintenance commands (cache, sessions)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from loopcache.blend.config import BlendConfig, GuardConfig
from loopcache.config import RedisOptions, RunConfig
from loopcache.engine.config import DEFAULT_POOL_BYTES, EngineConfig
from loopcache.kvcache.tier_config import TierConfig, default_home
from loopcache.sessions.config import SessionConfig

ModelOpt = Annotated[str, typer.Option("--model", help="'default' (SmolLM2-135M-Instruct) or a local HF model folder")]
DeviceOpt = Annotated[str, typer.Option("--device", help="cpu or cuda")]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="bfloat16, float32 or float16")]
HomeOpt = Annotated[
    Optional[Path], typer.Option("--cache-dir", help="models and KV cache (default $LOOPCACHE_HOME or ~/.cache/loopcache)")
]
KvDirOpt = Annotated[Optional[Path], typer.Option("--kv-dir", help="put the KV cache tiers here instead of under "
                                                   "--cache-dir (models stay there)")]
BlockOpt = Annotated[int, typer.Option("--block-size", help="tokens per KV block")]
ThreadsOpt = Annotated[int, typer.Option("--threads", help="CPU threads for torch (0: torch's default)")]
MaxRunningOpt = Annotated[int, typer.Option("--max-running", help="sequences decoding together at most")]
StepTokensOpt = Annotated[int, typer.Option("--step-tokens", help="token budget of one engine step (decodes + "
                                            "prefill chunks)")]
PoolOpt = Annotated[int, typer.Option("--kv-pool-mib", help="KV pool of running sequences, MiB (hard limit)")]
LearnCostsOpt = Annotated[bool, typer.Option("--learn-costs/--fixed-costs", help="decide load-vs-recompute from "
                                             "measured timings, or from fixed priors (reproducible runs)")]
EvictionOpt = Annotated[str, typer.Option("--eviction", help="session: session-aware eviction and prefetch "
                                         "(docs/sessions.md); lru: plain least recently used")]
PinShareOpt = Annotated[float, typer.Option("--pin-share", help="the most of the disk tier pins may hold (0-1]")]
RedisUrlOpt = Annotated[Optional[str], typer.Option(
    "--redis-url", envvar="LOOPCACHE_REDIS_URL", help="shared KV tier after disk: redis://HOST:PORT, "
    "redis://:PASSWORD@HOST:PORT/DB, "
    "rediss:// (TLS), unix:///PATH, or redis+cluster://HOST:PORT (rediss+cluster://) for Redis Cluster; also "
    "$LOOPCACHE_REDIS_URL (keeps a password off the command line)")]
RedisKeyspaceOpt = Annotated[str, typer.Option("--redis-keyspace", help="key prefix separating deployments that "
                                               "share one Redis")]
RedisTtlOpt = Annotated[float, typer.Option("--redis-ttl", help="seconds a block stays in Redis after its last "
                                            "write or read")]
BlendOpt = Annotated[bool, typer.Option("--blend/--no-blend", help="reuse the KV of re-read chunks (tool results, "
                                        "documents) at new positions, behind a quality guard (docs/blend.md)")]
BlendShareOpt = Annotated[float, typer.Option("--blend-recompute", help="with --blend: share of reused chunk tokens "
                                              "recomputed (0-1)")]
BlendVerifyOpt = Annotated[int, typer.Option("--blend-verify-every", help="with --blend: prefill every n-th blended "
                                             "request in full too and compare (0: never)")]
BlendDeviationOpt = Annotated[float, typer.Option("--blend-max-deviation", help="with --blend: the guard's proxy "
                                                  "bound; above it a request is prefilled in full")]
BlendMarginOpt = Annotated[float, typer.Option("--blend-min-margin", help="with --blend: a blended next token less "
                                               "than this many nats ahead of the second is prefilled in full")]


@dataclass(frozen=True)
class BlendOptions:
    """The --blend* options as given (`config()`: None while --blend is off)."""

    enabled: bool = False
    recompute_share: float = BlendConfig.recompute_share
    verify_every: int = GuardConfig.verify_every
    max_deviation: float = GuardConfig.max_deviation
    min_margin: float = GuardConfig.min_margin

    def config(self) -> BlendConfig | None:
        if not self.enabled:
            return None
        return BlendConfig(recompute_share=self.recompute_share,
                           guard=GuardConfig(max_deviation=self.max_deviation, verify_every=self.verify_every,
                                             min_margin=self.min_margin))


def run_config(
    model: str,
    device: str,
    dtype: str,
    cache_dir: Path | None,
    block_size: int,
    kv_dir: Path | None = None,
    use_cache: bool = True,
    threads: int = 0,
    max_running: int = 16,
    step_tokens: int = 512,
    pool_mib: int = DEFAULT_POOL_BYTES // 2**20,
    learn_costs: bool = True,
    eviction: str = "session",
    pin_share: float = 0.5,
    redis: RedisOptions | None = None,
    blend: BlendOptions | None = None,
) -> RunConfig:
    """The run configuration the options describe; a bad value is a usage error naming it."""
    try:
        engine = EngineConfig(block_size=block_size, step_tokens=step_tokens, max_running=max_running,
                              pool_bytes=pool_mib * 2**20, threads=threads, learn_costs=learn_costs,
                              blend=blend.config() if blend is not None else None)
        sessions = SessionConfig(eviction=eviction, pin_share=pin_share, prefetch=eviction == "session")
        return replace(RunConfig.from_options(model, device, dtype, cache_dir, kv_dir, engine, use_cache, redis),
                       sessions=sessions)
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc


def disk_tier(home: Path | None):  # noqa: ANN202 - DiskStore, imported lazily
    """The disk tier under `home`; an unusable directory or index is a clear error (exit 2), never a trace."""
    from loopcache.kvcache.disk import DiskStore
    from loopcache.kvcache.disk_errors import DiskStoreError

    config = TierConfig(root=(home or default_home()).expanduser())
    try:
        return DiskStore(config.disk_dir, capacity_bytes=config.disk_bytes, ttl_s=config.disk_ttl_s)
    except DiskStoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
