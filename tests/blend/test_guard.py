"""BlendGuard: verification schedule, agreement bound, proxy bound, and the breaker."""

from __future__ import annotations

import torch

from loopcache.blend.config import GuardConfig
from loopcache.blend.guard import BlendGuard, GuardPlan, agreement, top1_margin


def test_agreement_needs_the_same_top1_and_a_small_kl() -> None:
    full = torch.tensor([3.0, 1.0, 0.0, -1.0])
    assert agreement(full, full.clone(), 0.0).passed
    near = agreement(full, full + torch.tensor([0.0, 0.1, 0.0, 0.0]), 0.01)
    assert near.passed and 0 < near.kl < 0.01
    assert not agreement(full, full + torch.tensor([0.0, 0.1, 0.0, 0.0]), 1e-6).passed
    flipped = agreement(full, torch.tensor([1.0, 3.0, 0.0, -1.0]), 10.0)
    assert not flipped.top1_match and not flipped.passed


def test_every_nth_request_is_verified_and_the_proxy_bound_counts_fallbacks() -> None:
    guard = BlendGuard(GuardConfig(verify_every=3, max_deviation=0.2))
    plans = [guard.plan() for _ in range(7)]
    assert plans == [GuardPlan.VERIFY, GuardPlan.BLEND, GuardPlan.BLEND] * 2 + [GuardPlan.VERIFY]
    assert guard.passes_proxy(0.2) and not guard.passes_proxy(0.21)
    assert guard.counters.proxy_fallbacks == 1
    guard.check_integrity()


def test_breaker_opens_on_disagreement_and_closes_on_agreement() -> None:
    guard = BlendGuard(GuardConfig(verify_every=2, window=2, min_pass_rate=0.5, max_kl=0.01))
    good, bad = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 2.0])
    assert guard.plan() is GuardPlan.VERIFY
    guard.judge(good, bad)
    assert guard.plan() is GuardPlan.BLEND  # one failure in a window of two is not enough yet
    assert guard.plan() is GuardPlan.VERIFY
    guard.judge(good, bad)
    assert guard.breaker_open
    assert guard.plan() is GuardPlan.FULL
    assert guard.counters.breaker_fallbacks == 1
    assert guard.plan() is GuardPlan.VERIFY  # still verified while open, so it can close again
    guard.judge(good, good)
    assert not guard.breaker_open and guard.plan() is GuardPlan.BLEND
    assert guard.counters.verify_failures == 2
    guard.check_integrity()


def test_near_ties_fail_the_margin() -> None:
    guard = BlendGuard(GuardConfig(min_margin=0.5))
    assert abs(top1_margin(torch.tensor([2.0, 1.6, -3.0])) - 0.4) < 1e-6
    assert not guard.passes_margin(torch.tensor([2.0, 1.6, -3.0]))
    assert guard.passes_margin(torch.tensor([2.0, 1.4, -3.0]))
    assert guard.counters.margin_fallbacks == 1
