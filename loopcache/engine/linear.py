"""Linear: y = x W^T + b, with W kept in the layout the device's kernel reads fastest.

On CPU in bfloat16 the weight is reordered once into oneDNN's blocked layout (the one PyTorch's own compiler
uses after freezing the weights): the same results, bit for bit, and faster matrix-vector and matrix-matrix
products than the plain layout (bench: `python -m loopcache.engine.linear`; a hand-written C matrix-vector
kernel measured slower than this, so there is none). Everything else
(float32, CUDA, a PyTorch build without oneDNN) uses `F.linear` unchanged, so float32 runs stay numerically
identical to the reference implementation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _packable(weight: torch.Tensor) -> bool:
    mkldnn = getattr(torch.ops, "mkldnn", None)
    return (
        weight.device.type == "cpu"
        and weight.dtype == torch.bfloat16
        and torch.backends.mkldnn.is_available()
        and mkldnn is not None
        and hasattr(mkldnn, "_reorder_linear_weight")
    )


class Linear:
    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        self.bias = bias
        self.out_features, self.in_features = weight.shape
        self._packed: torch.Tensor | None = None
        self.weight = weight
        if _packable(weight):
            try:
                self._packed = torch.ops.mkldnn._reorder_linear_weight(weight.contiguous(), 1)
            except RuntimeError:  # an unsupported shape: keep the plain layout
                self._packed = None

    @property
    def is_packed(self) -> bool:
        return self._packed is not None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self._packed is not None:
            return torch.ops.mkldnn._linear_pointwise(x, self._packed, self.bias, "none", [], "")
        return F.linear(x, self.weight, self.bias)


def _bench() -> None:  # pragma: no cover - a measurement, run by hand
    import time

    torch.manual_seed(0)
    weights = [torch.randn(3072, 576).bfloat16() for _ in range(30)]  # 106 MB: not cache-resident
    plain, packed = [Linear(w) for w in weights], [Linear(w) for w in weights]
    for lin in plain:
        lin._packed = None
    for m in (1, 8, 512):
        x = torch.randn(m, 576).bfloat16()
        for name, layers in (("plain", plain), ("packed", packed)):
            t0 = time.perf_counter()
            for _ in range(3):
                for lin in layers:
                    lin(x)
            print(f"M={m:4d} {name:7s} {(time.perf_counter() - t0) / 3 * 1e3:8.2f} ms for 30 x (3072x576)")


if __name__ == "__main__":
    _bench()
