"""`loopcache serve`: load the model, open the cache tiers, serve the OpenAI and Anthropic APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from loopcache.blend.config import BlendConfig, GuardConfig
from loopcache.cli_options import (
    BlendDeviationOpt, BlendMarginOpt, BlendOpt, BlendOptions, BlendShareOpt, BlendVerifyOpt, BlockOpt, DeviceOpt,
    DtypeOpt, EvictionOpt, HomeOpt, KvDirOpt, LearnCostsOpt, MaxRunningOpt, ModelOpt, PinShareOpt, PoolOpt,
    RedisKeyspaceOpt, RedisTtlOpt, RedisUrlOpt, StepTokensOpt, ThreadsOpt, run_config,
)
from loopcache.config import RedisOptions
from loopcache.kvcache.redis_store import DEFAULT_REDIS_TTL_S


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        model: ModelOpt = "default",
        host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port")] = 8000,
        cache_dir: HomeOpt = None,
        kv_dir: KvDirOpt = None,
        redis_url: RedisUrlOpt = None,
        redis_keyspace: RedisKeyspaceOpt = "loopcache",
        redis_ttl: RedisTtlOpt = DEFAULT_REDIS_TTL_S,
        api_key: Annotated[Optional[str], typer.Option("--api-key", help="require this key (one namespace)")] = None,
        api_keys_file: Annotated[Optional[Path], typer.Option("--api-keys-file",
                                 help="lines 'KEY NAMESPACE' (or just 'KEY'): one tenant namespace per key")] = None,
        device: DeviceOpt = "cpu",
        dtype: DtypeOpt = "bfloat16",
        block_size: BlockOpt = 256,
        threads: ThreadsOpt = 0,
        max_running: MaxRunningOpt = 16,
        step_tokens: StepTokensOpt = 512,
        kv_pool_mib: PoolOpt = 2048,
        learn_costs: LearnCostsOpt = True,
        max_queue: Annotated[int, typer.Option("--max-queue", help="requests waiting for the engine "
                                               "before 429")] = 16,
        trace_log: Annotated[Optional[Path], typer.Option("--trace-log", help="append one JSONL line per "
                             "request (the audit's openai-log format)")] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="serve without any KV cache (for "
                                               "comparisons)")] = False,
        eviction: EvictionOpt = "session",
        pin_share: PinShareOpt = 0.5,
        blend: BlendOpt = False,
        blend_recompute: BlendShareOpt = BlendConfig.recompute_share,
        blend_verify_every: BlendVerifyOpt = GuardConfig.verify_every,
        blend_max_deviation: BlendDeviationOpt = GuardConfig.max_deviation,
        blend_min_margin: BlendMarginOpt = GuardConfig.min_margin,
        log_level: Annotated[str, typer.Option("--log-level")] = "info",
    ) -> None:
        """Serve the OpenAI- and Anthropic-compatible APIs with a persistent KV cache."""
        import logging

        import uvicorn

        from loopcache.engine.factory import open_engine
        from loopcache.kvcache.redis_client import RedisUnavailableError, connect
        from loopcache.model.loader import ModelNotFoundError
        from loopcache.server.app import create_app
        from loopcache.server.config import OPEN_NAMESPACE, ServerConfig
        from loopcache.server.tenants import read_api_keys_file

        if api_key and api_keys_file:
            raise typer.BadParameter("give --api-key or --api-keys-file, not both")
        run = run_config(model, device, dtype, cache_dir, block_size, kv_dir, not no_cache, threads, max_running,
                         step_tokens, kv_pool_mib, learn_costs, eviction, pin_share,
                         RedisOptions(redis_url, redis_keyspace, redis_ttl),
                         BlendOptions(blend, blend_recompute, blend_verify_every, blend_max_deviation,
                                      blend_min_margin))
        try:
            keys = read_api_keys_file(api_keys_file) if api_keys_file else ({api_key: OPEN_NAMESPACE} if api_key else {})
            server = ServerConfig(model_aliases=(model,), api_keys=keys, max_queue=max_queue, trace_log=trace_log)
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(str(exc)) from exc
        logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
        try:
            if run.use_cache and run.tiers.redis is not None:
                connect(run.tiers.redis).close()  # before the model loads: an unreachable Redis fails fast
            engine = open_engine(run)
        except (ModelNotFoundError, RedisUnavailableError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        engine.warmup()
        if host not in ("127.0.0.1", "localhost", "::1") and server.is_open:
            logging.getLogger(__name__).warning("serving on %s without an API key: anyone who can reach it can "
                                                "use it", host)
        typer.echo(f"loopcache: serving {engine.model.name} as {', '.join(dict.fromkeys((model, engine.model.name)))}"
                   f" on http://{host}:{port}/v1 (cache: {'off' if no_cache else run.tiers.root}"
                   f"{'' if no_cache or run.tiers.redis is None else ' + ' + run.tiers.redis.safe_url})")
        uvicorn.run(create_app(engine, server), host=host, port=port, log_level=log_level, access_log=False,
                    timeout_graceful_shutdown=30)
