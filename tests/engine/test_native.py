"""The native decode kernel: attention equal to a float64 reference on bf16 inputs, calls it cannot take are
declined, and through the engine the decode path is no less accurate than PyTorch's (against fp32)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from loopcache.engine.config import EngineConfig
from loopcache.engine.engine import Engine
from loopcache.engine.native import NativeKernels, load_kernels


@pytest.fixture(scope="session")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> NativeKernels:
    if shutil.which("cc") is None and shutil.which("gcc") is None and not os.environ.get("CC"):
        if os.environ.get("CI"):
            pytest.fail("no C compiler: CI must build the decode kernels", pytrace=False)
        pytest.skip("no C compiler: the engine uses its PyTorch kernels")
    built = load_kernels(tmp_path_factory.mktemp("kernels"))
    assert built is not None, "a C compiler is present but the decode kernels did not build (see the log)"
    return built


def _reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, length: int, scaling: float) -> torch.Tensor:
    q64, k64, v64 = q.double(), k[:, :length].double(), v[:, :length].double()
    probs = torch.softmax(q64 @ k64.transpose(1, 2) * scaling, dim=-1)
    return probs @ v64


@pytest.mark.parametrize(("kv_heads", "group", "dim", "block_size"), [(3, 3, 64, 256), (2, 1, 128, 16), (1, 4, 40, 64)])
@pytest.mark.parametrize("length", [1, 255, 256, 257, 1100])
def test_paged_attention_matches_a_float64_reference(kernels: NativeKernels, kv_heads: int, group: int, dim: int,
                                                     block_size: int, length: int) -> None:
    g = torch.Generator().manual_seed(length + dim)
    num_blocks = 2048 // block_size + 2
    pool = torch.full((2, kv_heads, num_blocks * block_size, dim), float("nan")).bfloat16()  # unread = NaN
    table = torch.randperm(num_blocks, generator=g)[: -(-length // block_size)].to(torch.int32)  # any order
    k = (torch.randn(kv_heads, length, dim, generator=g) * 2).bfloat16()
    v = (torch.randn(kv_heads, length, dim, generator=g) * 2).bfloat16()
    for i, b in enumerate(table.tolist()):
        part = slice(i * block_size, min(length, (i + 1) * block_size))
        n = part.stop - part.start
        pool[0, :, b * block_size : b * block_size + n] = k[:, part]
        pool[1, :, b * block_size : b * block_size + n] = v[:, part]
    q = torch.randn(kv_heads, group, dim, generator=g).bfloat16()
    got = kernels.attend_one(q, pool[0], pool[1], table, block_size, length, dim**-0.5)
    assert got is not None and got.dtype == torch.bfloat16 and got.shape == (kv_heads, group, dim)
    want = _reference(q, k, v, length, dim**-0.5)
    torch.testing.assert_close(got.double(), want, rtol=1 / 64, atol=1e-2)


def test_calls_the_kernel_cannot_take_are_declined(kernels: NativeKernels) -> None:
    q = torch.randn(2, 2, 64).bfloat16()
    pool = torch.randn(2, 2, 64, 64).bfloat16()
    table = torch.tensor([0, 1], dtype=torch.int32)
    assert kernels.attend_one(q, pool[0], pool[1], table, 32, 64, 0.125) is not None
    assert kernels.attend_one(q.float(), pool[0].float(), pool[1].float(), table, 32, 64, 0.125) is None  # fp32
    assert kernels.attend_one(q, pool[0], pool[1], table, 32, 64, 0.125, torch.empty(256)) is None  # out fp32
    assert kernels.attend_one(q, pool[0, :, ::2], pool[1, :, ::2], table, 32, 16, 0.125) is None  # strided
    assert kernels.attend_one(q, pool[0], pool[1], table, 32, 65, 0.125) is None  # beyond its blocks
    assert kernels.attend_one(q, pool[0], pool[1], table.long(), 32, 64, 0.125) is None  # int64 table
    assert kernels.attend_one(q, pool[0], pool[1], table[:1], 2048, 64, 0.125) is None  # blocks too large


def test_decode_path_is_no_less_accurate_than_pytorch_against_fp32(tiny_model_dir: Path, tmp_path: Path,
                                                                   kernels: NativeKernels) -> None:
    from loopcache.model.loader import load_model

    reference = Engine(load_model(str(tiny_model_dir), tmp_path, dtype="float32"), None)
    bf16 = load_model(str(tiny_model_dir), tmp_path, dtype="bfloat16")
    ids = [3 + (i * 37) % 250 for i in range(300)]
    _, want = reference.prompt_logprobs(ids)

    def kl(engine: Any) -> float:
        _, got = engine.prompt_logprobs(ids, chunk_tokens=1)  # one token per forward: the decode path
        return float((want.exp() * (want - got)).sum(-1).mean())

    with_torch = kl(Engine(bf16, None))
    with_native = kl(Engine(bf16, None, EngineConfig(), kernels=kernels))
    assert 0 < with_native <= with_torch * 1.05, (with_native, with_torch)


def test_loading_the_kernels_keeps_the_process_floating_point_state(kernels: NativeKernels) -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\nfrom pathlib import Path\nfrom loopcache.engine.native import NativeKernels\n"
        "NativeKernels(Path(sys.argv[1]))\n"
        "tiny = np.array([1e-40], dtype=np.float32)\n"
        "assert tiny[0] != 0 and (tiny * np.float32(1.0))[0] != 0, 'subnormals flushed to zero'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(kernels.path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # fast-math linking would turn on flush-to-zero process-wide
