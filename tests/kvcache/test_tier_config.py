"""open_tiers: a disk tier that cannot be opened is left out, loudly, when memory can still serve."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from loopcache.kvcache.disk_errors import DirectoryUnusableError
from loopcache.kvcache.tier_config import TierConfig, open_tiers
from tests.kvcache.blocks import block_for


def test_an_unusable_disk_dir_leaves_the_memory_tier_serving(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "a-file"
    root.write_text("not a directory")
    with caplog.at_level(logging.ERROR):
        store = open_tiers(TierConfig(root=root))
    try:
        assert [t.name for t in store.tiers] == ["memory"]
        assert store.put(block_for(1)) and store.get(block_for(1).key) is not None
    finally:
        store.close()
    assert any("disk tier unavailable" in r.getMessage() and str(root / "kv") in r.getMessage()
               for r in caplog.records)


def test_without_a_memory_tier_the_error_is_raised(tmp_path: Path) -> None:
    root = tmp_path / "a-file"
    root.write_text("not a directory")
    with pytest.raises(DirectoryUnusableError, match="cannot create the cache directory"):
        open_tiers(TierConfig(root=root, memory=False))


def test_both_tiers_open_on_a_usable_dir(tmp_path: Path) -> None:
    store = open_tiers(TierConfig(root=tmp_path))
    try:
        assert [t.name for t in store.tiers] == ["memory", "disk"]
    finally:
        store.close()
