import pytest
import torch

from loopcache.engine.sampling import Sampler, SamplingParams


def test_greedy_and_a_vanishing_temperature_agree() -> None:
    logits = torch.tensor([0.1, 2.0, 1.9, -5.0])
    assert Sampler(SamplingParams())(logits) == 1
    assert Sampler(SamplingParams(temperature=1e-300, seed=0))(logits) == 1  # no inf/nan


def test_top_p_keeps_only_the_nucleus() -> None:
    logits = torch.log(torch.tensor([0.6, 0.3, 0.05, 0.05]))
    sampler = Sampler(SamplingParams(temperature=1.0, top_p=0.8, seed=3))
    assert {sampler(logits) for _ in range(200)} == {0, 1}


@pytest.mark.parametrize("bad", [{"max_tokens": 0}, {"temperature": -1.0}, {"top_p": 0.0}, {"top_p": 1.5}])
def test_invalid_parameters_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        SamplingParams(**bad)
