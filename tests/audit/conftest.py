"""Shared fixtures: the real traces in the `shared` folder beside the repository (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

TRACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "traces"


@pytest.fixture(scope="session")
def traces() -> Path:
    if not TRACES.is_dir():
        pytest.skip(f"real traces not found at {TRACES} (the shared folder beside the repository)")
    return TRACES


@pytest.fixture(scope="session")
def openhands_trace(traces: Path):
    from loopcache.audit.readers.registry import ReaderRegistry

    return ReaderRegistry.default().read(traces / "openhands-swebench")
