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


@pytest.mark.parametrize(("kv_heads", "group", "dim"), [(3, 3, 64), (2, 1, 128), (1, 4, 40)])
@pytest.mark.parametrize("length", [1, 255, 256, 257, 1100])
def test_attention_matches_a_float64_reference(kernels: NativeKernels, kv_heads: int, group: int, dim: int,
                                               length: int) -> None:
    g = torch.Generator().manual_seed(length + dim)
    slots = 2048
    pool = (torch.randn(2, kv_heads, slots, dim, generator=g) * 2).bfloat16()
    start = 512  # a view into the middle of a pool, padded past `length`, like the engine's
    k, v = pool[0, :, start : start + 1280], pool[1, :, start : start + 1280]
    k[:, length:] = float("nan")  # padding must never be read
    q = torch.randn(kv_heads, group, dim, generator=g).bfloat16()
    got = kernels.attend_one(q, k, v, length, dim**-0.5)
    assert got is not None and got.dtype == torch.bfloat16 and got.shape == (kv_heads, group, dim)
    want = _reference(q, k, v, length, dim**-0.5)
    torch.testing.assert_close(got.double(), want, rtol=1 / 64, atol=1e-2)


def test_calls_the_kernel_cannot_take_are_declined(kernels: NativeKernels) -> None:
    q = torch.randn(2, 2, 64).bfloat16()
    k = torch.randn(2, 100, 64).bfloat16()
    assert kernels.attend_one(q.float(), k.float(), k.float(), 10, 0.125) is None  # float32 cache
    assert kernels.attend_one(q, k[:, :, ::2], k[:, :, ::2], 10, 0.125) is None  # rows not contiguous
    assert kernels.attend_one(q, k, k, 101, 0.125) is None  # longer than the cache


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
