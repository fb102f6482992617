"""Shared fixtures: the real MiniLM embedder (loaded once per test session) and the labelled dev data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.shared_folder import shared_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")



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
    pairs_path = shared_path("data", "toolcalls-dev.jsonl")
    tools_path = shared_path("data", "toolcalls-dev-tools.json")
    pairs = [json.loads(line) for line in pairs_path.read_text().splitlines() if line.strip()]
    return pairs, json.loads(tools_path.read_text())
