"""Shared fixtures: the real MiniLM embedder (loaded once per test session) and the labelled dev data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def embedder():
    pytest.importorskip("sentence_transformers", reason="semantic stage needs sentence-transformers")
    from loopcache.toolcache.embedder import MiniLMEmbedder, minilm_model_dir

    try:
        minilm_model_dir()
    except FileNotFoundError as error:
        pytest.skip(str(error))
    model = MiniLMEmbedder()
    model.embed(["warm up"])
    return model


@pytest.fixture(scope="session")
def dev_pairs() -> tuple[list[dict], dict]:
    pairs_path = SHARED_DATA / "toolcalls-dev.jsonl"
    tools_path = SHARED_DATA / "toolcalls-dev-tools.json"
    if not pairs_path.is_file() or not tools_path.is_file():
        pytest.skip(f"labelled dev data not found at {SHARED_DATA} (the `shared` folder beside the repo)")
    pairs = [json.loads(line) for line in pairs_path.read_text().splitlines() if line.strip()]
    return pairs, json.loads(tools_path.read_text())
