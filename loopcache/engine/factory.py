"""Open a ready engine from a `RunConfig`: load the model, open the tiers and the session registry."""

from __future__ import annotations

import time
from collections.abc import Callable

from loopcache.config import RunConfig
from loopcache.engine.engine import Engine
from loopcache.engine.native import load_kernels
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.tier_config import open_tiers
from loopcache.kvcache.tiered import TieredStore
from loopcache.model.loader import LoadedModel, load_model
from loopcache.sessions.book import SessionBook
from loopcache.sessions.eviction import DiskRetention, MemoryResidency
from loopcache.sessions.manager import SessionManager
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.redis_registry import RedisSessionRegistry
from loopcache.sessions.registry import Registry, SessionRegistry


def open_engine(config: RunConfig, clock: Callable[[], float] = time.time) -> Engine:
    """The engine for `config`; close it when done (that drains pending disk writes). `engine.threads`, when
    set, sets torch's (process-wide) CPU thread count. `clock` (epoch seconds) drives TTLs, pins and
    session idleness: a simulated one lets a benchmark pass hours in seconds."""
    if config.engine.threads:
        import torch

        torch.set_num_threads(config.engine.threads)
    model = load_model(config.model, config.home, device=config.device, dtype=config.dtype)
    kernels = load_kernels(config.home / "kernels") if config.engine.native_kernels else None
    if not config.use_cache:
        return Engine(model, None, config.engine, kernels=kernels)
    sessions = config.sessions
    book = SessionBook(clock)
    aware = sessions.registry and sessions.eviction == "session"
    store = open_tiers(config.tiers, MemoryResidency(book) if aware else None, DiskRetention(book) if aware else None,
                       clock=clock, fingerprint=model.fingerprint)
    manager = open_sessions(config, model, store, book, clock) if sessions.registry else None
    return Engine(model, store, config.engine, kernels=kernels, sessions=manager)


def open_sessions(config: RunConfig, model: LoadedModel, store: TieredStore, book: SessionBook,
                  clock: Callable[[], float]) -> SessionManager:
    """The session manager over its registry, restored from it (with prefetch): the Redis of the shared tier
    when there is one (every server sees every session), else SQLite beside the local tiers."""
    tiers = config.tiers
    registry: Registry = SessionRegistry(tiers.root) if tiers.redis is None else RedisSessionRegistry.open(
        tiers.redis, RedisKeys(tiers.redis_keyspace, model.fingerprint), tiers.redis_ttl_s)
    block_bytes = config.engine.block_size * model.kv_bytes_per_token
    manager = SessionManager(registry, book, store, block_bytes, clock, config.sessions.pin_share,
                             RetentionPolicy(disk_ttl_s=config.tiers.disk_ttl_s), config.sessions.prefetch)
    manager.restore()
    return manager
