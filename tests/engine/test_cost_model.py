from loopcache.engine.cost_model import Candidate, CostModel

BLOCK = Candidate("disk", nbytes=256 * 23040, num_tokens=256)


def test_fast_tier_is_loaded_slow_tier_is_recomputed() -> None:
    model = CostModel(prefill_tokens_per_s=800)
    assert model.plan([BLOCK] * 4) == 4
    for _ in range(10):
        model.observe_load("disk", BLOCK.nbytes, 2.0)  # 2 s per block: slower than 0.32 s of prefill
    assert model.plan([BLOCK] * 4) == 0


def test_one_stall_does_not_flip_a_decision_a_slow_tier_does() -> None:
    model = CostModel(prefill_tokens_per_s=800, window=9)
    for _ in range(8):
        model.observe_load("disk", BLOCK.nbytes, 0.002)
    model.observe_load("disk", BLOCK.nbytes, 30.0)  # the process was descheduled during one read
    assert model.plan([BLOCK] * 4) == 4
    for _ in range(5):
        model.observe_load("disk", BLOCK.nbytes, 2.0)  # now the tier really is slow
    assert model.plan([BLOCK] * 4) == 0


def test_plan_takes_the_prefix_with_the_largest_saving() -> None:
    model = CostModel(prefill_tokens_per_s=800)
    memory = Candidate("memory", 256 * 23040, 256)
    remote = Candidate("remote", 256 * 23040, 256)
    for _ in range(10):
        model.observe_load("remote", remote.nbytes, 1.0)
    # Two memory blocks save time; the remote blocks after them cost more than they save.
    assert model.plan([memory, memory, remote, remote]) == 2
    # A short match from an unknown, slow-by-default tier is not worth loading.
    assert CostModel(prefill_tokens_per_s=800).plan([Candidate("remote", 23040, 1)]) == 0


def test_prefill_rate_is_the_median_of_recent_runs_and_tiny_prefills_are_ignored() -> None:
    model = CostModel(prefill_tokens_per_s=800, window=3)
    model.observe_prefill(10, 1.0)  # too small to say anything
    assert model.prefill_rate == 800
    for seconds in (0.5, 0.25, 5.0):
        model.observe_prefill(1000, seconds)
    assert model.prefill_rate == 2000  # median of 2000, 4000, 200
    fixed = CostModel(prefill_tokens_per_s=800, window=0)
    fixed.observe_prefill(1000, 0.1)
    fixed.observe_load("disk", BLOCK.nbytes, 100.0)
    assert fixed.prefill_rate == 800 and fixed.plan([BLOCK]) == 1
