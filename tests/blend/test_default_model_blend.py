"""Blending on the real default model (SmolLM2-135M-Instruct, bf16): a re-read stays close to full prefill."""

from __future__ import annotations

from pathlib import Path

import pytest

import torch

from loopcache.blend.config import BlendConfig, GuardConfig
from loopcache.blend.rope import KeyRotation
from loopcache.engine.blend_prefill import BlendOutcome
from loopcache.engine.config import EngineConfig
from loopcache.engine.engine import Engine
from loopcache.engine.sampling import SamplingParams
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore
from loopcache.model.loader import load_model

pytestmark = pytest.mark.integration

SYSTEM = {"role": "system", "content": "You are an airline agent. Answer from the tool results."}
RESERVATION = ('{"reservation_id": "ZFA04Y", "user_id": "mia_li_3668", "origin": "JFK", "destination": "SEA", '
               '"flight_type": "one_way", "cabin": "economy", "flights": [{"flight_number": "HAT136", "date": '
               '"2024-05-20", "price": 142}], "passengers": [{"first_name": "Mia", "last_name": "Li"}], '
               '"payment_history": [{"payment_id": "certificate_7504069", "amount": 142}], "insurance": "no"}')
PROFILE = ('{"name": {"first_name": "Mia", "last_name": "Li"}, "address": {"city": "Austin", "country": "USA"}, '
           '"membership": "gold", "payment_methods": {"credit_card_4421": {"last_four": "7447"}}, '
           '"saved_passengers": [{"first_name": "Amelia", "last_name": "Ahmed"}], "reservations": ["ZFA04Y"]}')


def _keys(model, ids: list[int], start: int) -> torch.Tensor:  # noqa: ANN001
    with torch.inference_mode():
        out = model.model(torch.tensor([ids]), position_ids=torch.arange(start, start + len(ids))[None], use_cache=True)
    return torch.stack([layer.keys[0] for layer in out.past_key_values.layers])


def test_keys_rerotated_on_the_real_model_match_and_the_guard_serves_only_agreeing_blends(
        default_model_home: Path) -> None:
    model = load_model("default", default_model_home)
    ids = model.tokenizer.encode(RESERVATION, add_special_tokens=False)[:48]
    rotation = KeyRotation.of(model.model.model.rotary_emb)
    at_p, at_q = _keys(model, ids, 7), _keys(model, ids, 3000)
    moved = rotation.rotate(at_p, 3000 - 7).float()
    scale = at_q.float().abs().amax()
    assert (moved - at_q.float()).abs().amax() < 0.03 * scale  # bf16 noise of two computations
    assert (rotation.rotate(at_p, 2999 - 7).float() - at_q.float()).abs().amax() > 0.1 * scale

    blend = BlendConfig(recompute_share=0.15, guard=GuardConfig(verify_every=1, max_kl=0.05))
    engine = Engine(model, TieredStore([MemoryStore()]), EngineConfig(block_size=64, learn_costs=False, blend=blend))
    one = SamplingParams(max_tokens=1)
    engine.generate([SYSTEM, {"role": "user", "content": "Show my booking."}, {"role": "tool", "content": PROFILE},
                     {"role": "tool", "content": RESERVATION}, {"role": "user", "content": "Thanks."}], one)
    prompt = [SYSTEM, {"role": "user", "content": "Hi, which flight am I on?"}, {"role": "tool", "content": RESERVATION},
              {"role": "tool", "content": PROFILE}, {"role": "user", "content": "Which flight am I on?"}]
    seq = engine.add_request(prompt, one)
    while not seq.is_finished:
        engine.step()
    out = seq.blend
    assert isinstance(out, BlendOutcome) and len(out.loaded) == 2 and out.agreement is not None
    assert out.agreement.passed == (out.fallback == "")  # a disagreeing blend is never what is served
    assert out.agreement.kl < 1.0
    plain = engine.add_request(prompt, one, use_cache=False)  # the same engine without cache or blending
    while not plain.is_finished:
        engine.step()
    assert seq.output_ids == plain.output_ids  # verified: served the full prefill
    engine.check_integrity()
