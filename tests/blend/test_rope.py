"""KeyRotation: keys computed at position p, rotated to q, equal keys computed at q (the model's own RoPE)."""

from __future__ import annotations

import pytest
import torch

from loopcache.blend.rope import KeyRotation, UnsupportedRotaryError


def _keys(model, ids: list[int], start: int) -> torch.Tensor:  # noqa: ANN001
    """Post-RoPE keys (layers, kv_heads, n, head_dim) of `ids` computed alone at positions start, start + 1, ..."""
    hf = model.model
    with torch.inference_mode():
        out = hf(torch.tensor([ids]), position_ids=torch.arange(start, start + len(ids))[None], use_cache=True)
    cache = out.past_key_values
    layers = [layer.keys for layer in cache.layers] if hasattr(cache, "layers") else [k for k, _ in cache]
    return torch.stack([k[0] for k in layers])


def test_rerotated_keys_equal_keys_computed_at_the_new_position(tiny_model) -> None:  # noqa: ANN001
    rotation = KeyRotation.of(tiny_model.model.model.rotary_emb)
    ids = [5 + (7 * i) % 200 for i in range(40)]
    at_p, at_q = _keys(tiny_model, ids, 3), _keys(tiny_model, ids, 1500)
    assert not torch.allclose(at_p, at_q, atol=1e-2)  # positions really change the keys
    moved = rotation.rotate(at_p, 1500 - 3)
    # fp32 tolerance: the model itself takes its angles (position * frequency) in float32, ~1e-4 rad at 1500
    torch.testing.assert_close(moved, at_q, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(rotation.rotate(at_q, -1500), _keys(tiny_model, ids, 0), rtol=1e-3, atol=1e-3)
    wrong = rotation.rotate(at_p, 1500 - 2)  # off by one position: the check can fail
    assert not torch.allclose(wrong, at_q, rtol=1e-3, atol=1e-3)


def test_per_token_deltas_and_bf16_round_trip(tiny_model) -> None:  # noqa: ANN001
    rotation = KeyRotation.of(tiny_model.model.model.rotary_emb)
    keys = torch.randn(2, 2, 6, 16)
    deltas = torch.tensor([0, 1, 5, 100, 3000, 7000])
    each = torch.stack([rotation.rotate(keys[:, :, i : i + 1], int(d))[:, :, 0] for i, d in enumerate(deltas)], dim=2)
    torch.testing.assert_close(rotation.rotate(keys, deltas), each)
    bf = keys.to(torch.bfloat16)
    back = rotation.rotate(rotation.rotate(bf, 4000), -4000)
    assert back.dtype == torch.bfloat16
    torch.testing.assert_close(back.float(), bf.float(), rtol=2e-2, atol=2e-2)  # two bf16 roundings


def test_scaled_rotary_is_refused() -> None:
    with pytest.raises(UnsupportedRotaryError):
        KeyRotation(torch.ones(4), attention_scaling=1.2)
    with pytest.raises(ValueError):
        KeyRotation(torch.ones(4)).rotate(torch.zeros(1, 3, 6), 1)
