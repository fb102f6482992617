"""The `shared` folder beside the repository (real traces, labelled data), found in one place.

A user's own clone may not have it: tests that need it skip with the reason. In CI (`CI` set) it must be
there, so a missing folder fails the test instead of silently skipping it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """`shared/<parts>`; skips the calling test when it is absent, fails it when `CI` is set."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"{path} not found (the `shared` folder beside the repository)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must have it", pytrace=False)
        pytest.skip(reason)
    return path
