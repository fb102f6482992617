"""NativeKernels: the C decode kernels (`kernels/decode.c`), compiled once per machine and loaded with ctypes.

    build:  cc -c -O3 -march=native -ffast-math -fopenmp -fPIC decode.c; cc -shared -fopenmp decode.o -lm
            -> <build_dir>/<hash>.so (hash of source, flags and compiler; written under a temp name and
            renamed: concurrent builds are safe). The link step has no -ffast-math on purpose: with it, gcc
            links crtfastmath, whose constructor turns on flush-to-zero for the whole process (every float
            in torch and numpy would change behaviour); the kernels' own code keeps its fast-math loops.
    use:    attend_one(q, k_pool, v_pool, blocks, ...): paged attention of one query per head, bf16 cache
            add_rmsnorm, rope, silu_mul: a layer's elementwise steps in one call each (see layer_ops.py)

Optional by design: with no C compiler or a failed build `load_kernels` returns None, and with another
dtype or device the kernels decline the call: the engine keeps its PyTorch path
(`EngineConfig.native_kernels=False` asks for that path outright). Calls run without the GIL (ctypes) on
torch's OpenMP threads. Each entry point checks shapes, dtypes and strides; a kernel that cannot take a call
says so (returns False / None) and the caller falls back.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("kernels") / "decode.c"
COMPILE = ("-c", "-O3", "-march=native", "-ffast-math", "-fopenmp", "-fPIC")
LINK = ("-shared", "-fopenmp")

_P = ctypes.c_void_p
_I = ctypes.c_int


def _compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")


def build(build_dir: Path) -> Path | None:
    """The compiled library for this machine (built now if needed), or None when it cannot be built."""
    cc = _compiler()
    if cc is None:
        log.info("no C compiler found: decode runs on PyTorch kernels")
        return None
    source = SOURCE.read_bytes()
    tag = hashlib.sha256(source + " ".join((cc, *COMPILE, *LINK)).encode()).hexdigest()[:16]
    target = build_dir / f"decode-{tag}.so"
    if target.exists():
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".decode-", suffix=".so", dir=build_dir)
    os.close(fd)
    obj = tmp[:-3] + ".o"
    try:
        for cmd in ([cc, *COMPILE, str(SOURCE), "-o", obj], [cc, *LINK, obj, "-o", tmp, "-lm"]):
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
            if proc.returncode != 0:
                log.warning("building the decode kernels failed; using PyTorch kernels:\n%s", proc.stderr[-2000:])
                return None
        os.replace(tmp, target)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("building the decode kernels failed (%s); using PyTorch kernels", exc)
        return None
    finally:
        Path(tmp).unlink(missing_ok=True)
        Path(obj).unlink(missing_ok=True)
    return target


class NativeKernels:
    """The loaded library. Instances are cheap: the OS loads a given file once per process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        lib = ctypes.CDLL(str(path))
        self._attend = lib.lc_attend_one_bf16
        self._attend.argtypes = [_P, ctypes.c_float, _P, _P, ctypes.c_long, _P, _I, _I, _I, _I, _I, _P]
        self._attend.restype = _I
        self._add_rmsnorm = lib.lc_add_rmsnorm_bf16
        self._add_rmsnorm.argtypes = [_P, _P, _P, ctypes.c_float, _P, _I, _I]
        self._add_rmsnorm.restype = None
        self._rope = lib.lc_rope_bf16
        self._rope.argtypes = [_P, _P, _P, _I, _I, _I, ctypes.c_long]
        self._rope.restype = None
        self._silu_mul = lib.lc_silu_mul_bf16
        self._silu_mul.argtypes = [_P, _P, _I, _I]
        self._silu_mul.restype = None

    def attend_one(self, q: torch.Tensor, k_pool: torch.Tensor, v_pool: torch.Tensor, blocks: torch.Tensor,
                   block_size: int, length: int, scaling: float, out: torch.Tensor | None = None) -> torch.Tensor | None:
        """Attention of q (kv_heads, group, dim), bf16, over the first `length` tokens of a sequence whose KV
        sits in `blocks` (int32 block ids, in token order) of k_pool, v_pool (kv_heads, slots, dim; one layer
        of the block pool). Written into `out` (kv_heads * group * dim contiguous bf16) when given; None if
        the kernel does not take the call."""
        kv_heads, group, dim = q.shape
        if (q.dtype != torch.bfloat16 or k_pool.dtype != torch.bfloat16 or v_pool.dtype != torch.bfloat16
                or k_pool.device.type != "cpu" or not k_pool.is_contiguous() or not v_pool.is_contiguous()
                or k_pool.shape != v_pool.shape or k_pool.shape[0] != kv_heads or k_pool.shape[2] != dim
                or blocks.dtype != torch.int32 or not blocks.is_contiguous() or blocks.numel() * block_size < length):
            return None
        q = q.contiguous()
        if out is None:
            out = torch.empty((kv_heads, group, dim), dtype=torch.bfloat16)
        elif out.dtype != torch.bfloat16 or not out.is_contiguous() or out.numel() != q.numel():
            return None
        if self._attend(q.data_ptr(), scaling, k_pool.data_ptr(), v_pool.data_ptr(), k_pool.stride(0),
                        blocks.data_ptr(), block_size, kv_heads, group, dim, length, out.data_ptr()) != 0:
            return None
        return out

    # The elementwise kernels trust their caller (layer_ops.NativeOps) for dtypes and layout: bf16, CPU,
    # rows contiguous. They write only inside the tensors they are given.

    def add_rmsnorm(self, x: torch.Tensor, delta: torch.Tensor | None, weight: torch.Tensor, eps: float,
                    out: torch.Tensor) -> None:
        """x += delta (in place, if given); out = RMSNorm(x) * weight. x, delta, out: (rows, dim)."""
        rows, dim = x.shape
        assert out.shape == x.shape and weight.shape == (dim,) and (delta is None or delta.shape == x.shape)
        self._add_rmsnorm(x.data_ptr(), delta.data_ptr() if delta is not None else None,
                          weight.contiguous().data_ptr(), eps, out.data_ptr(), rows, dim)

    def rope(self, q: torch.Tensor, heads: int, cos: torch.Tensor, sin: torch.Tensor) -> None:
        """RoPE in place on the `heads` head vectors that start each row of q (T, ., dim), e.g. the query and
        key heads of a fused QKV row; cos, sin: (T, 1, dim) or (T, dim), contiguous."""
        rows, _, dim = q.shape
        assert cos.numel() == rows * dim and sin.numel() == rows * dim and q.stride(2) == 1
        self._rope(q.data_ptr(), cos.data_ptr(), sin.data_ptr(), rows, heads, dim, q.stride(0))

    def silu_mul(self, gate_up: torch.Tensor) -> torch.Tensor:
        """SiLU(gate) * up for rows [gate | up] of gate_up (rows, 2 * inter)."""
        rows, width = gate_up.shape
        out = torch.empty((rows, width // 2), dtype=torch.bfloat16)
        self._silu_mul(gate_up.data_ptr(), out.data_ptr(), rows, width // 2)
        return out

def load_kernels(build_dir: Path) -> NativeKernels | None:
    """The decode kernels for this machine, or None (PyTorch kernels then): see the module docstring."""
    path = build(build_dir)
    if path is None:
        return None
    try:
        return NativeKernels(path)
    except OSError as exc:
        log.warning("loading the decode kernels failed (%s); using PyTorch kernels", exc)
        return None
