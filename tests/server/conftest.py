"""A real uvicorn server on a free localhost port, in a thread of the test process, over the tiny model."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopcache.engine.config import EngineConfig
from loopcache.engine.engine import Engine
from loopcache.kvcache.tier_config import TierConfig, open_tiers
from loopcache.server.app import create_app
from loopcache.server.config import ServerConfig

BLOCK_SIZE = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    base_url: str  # http://127.0.0.1:PORT
    app: Any
    server: Any
    thread: threading.Thread

    @property
    def v1(self) -> str:
        return self.base_url + "/v1"

    @property
    def state(self) -> Any:
        return self.app.state.loopcache

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def start_server(engine: Any, config: ServerConfig) -> RunningServer:
    import uvicorn

    app = create_app(engine, config)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return RunningServer(f"http://127.0.0.1:{port}", app, server, thread)


def tiny_engine(tiny_model: Any, root: Path, use_cache: bool = True, max_running: int = 16) -> Engine:
    store = open_tiers(TierConfig(root=root)) if use_cache else None
    config = EngineConfig(block_size=BLOCK_SIZE, step_tokens=256, max_running=max_running, learn_costs=False)
    return Engine(tiny_model, store, config)  # fixed costs: the tiny model prefills faster than loading


ServerFactory = Callable[..., RunningServer]


@pytest.fixture
def make_server(tiny_model: Any, tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers over the tiny model (each with its own cache under tmp_path); all stopped at the end."""
    started: list[RunningServer] = []

    def _make(engine: Any = None, **config: Any) -> RunningServer:
        engine = engine or tiny_engine(tiny_model, tmp_path / f"cache-{len(started)}")
        running = start_server(engine, ServerConfig(**config))
        started.append(running)
        return running

    yield _make
    for running in started:
        running.stop()


@pytest.fixture
def server(make_server: ServerFactory) -> RunningServer:
    return make_server()


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        yield client
