"""Open a ready engine from a `RunConfig`: load the model, open the tiers."""

from __future__ import annotations

from loopcache.config import RunConfig
from loopcache.engine.engine import Engine
from loopcache.engine.native import load_kernels
from loopcache.kvcache.tier_config import open_tiers
from loopcache.model.loader import load_model


def open_engine(config: RunConfig) -> Engine:
    """The engine for `config`; close it when done (that drains pending disk writes). `engine.threads`, when
    set, sets torch's (process-wide) CPU thread count."""
    if config.engine.threads:
        import torch

        torch.set_num_threads(config.engine.threads)
    model = load_model(config.model, config.home, device=config.device, dtype=config.dtype)
    store = open_tiers(config.tiers) if config.use_cache else None
    kernels = load_kernels(config.home / "kernels") if config.engine.native_kernels else None
    return Engine(model, store, config.engine, kernels=kernels)
