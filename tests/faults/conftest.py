"""Fixtures of the fault tests: `loopcache serve` processes over the tiny model, all killed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.serve import Servers


@pytest.fixture
def servers(tiny_model_dir: Path, tmp_path: Path) -> Iterator[Servers]:
    running = Servers(tiny_model_dir, tmp_path)
    yield running
    running.kill_all()
