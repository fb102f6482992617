"""Shared fixtures: the real traces in the `shared` folder beside the repository (see tests/shared_folder.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_folder import shared_path


@pytest.fixture(scope="session")
def traces() -> Path:
    return shared_path("traces")


@pytest.fixture(scope="session")
def openhands_trace(traces: Path):
    from loopcache.audit.readers.registry import ReaderRegistry

    return ReaderRegistry.default().read(traces / "openhands-swebench")
