"""Cache policies replayed on the synthetic loop equal hand arithmetic; TTL, minimum length, 128-token
increments and LRU capacity behave as documented."""

from __future__ import annotations

import pytest

from loopcache.audit.pricing import PriceBook
from loopcache.audit.simulate.profile import SessionProfile
from loopcache.audit.simulate.registry import PolicyRegistry
from loopcache.audit.simulate.replay import simulate
from loopcache.audit.simulate.synthetic import SyntheticLoop

S, T, O, N = 500, 600, 200, 10  # system, tool result, output tokens; steps


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.load()


def _run(book, loop, model="claude-sonnet-4-5", capacity=None):
    price = book.for_model(model).price
    return simulate((loop.profile(model),), (price,), PolicyRegistry.default(book, capacity)), price


def test_loop_rows_are_the_arithmetic():
    rows = SyntheticLoop(N, S, T, O).rows()
    assert [r.input_tokens for r in rows] == [S + (k - 1) * (O + T) for k in range(1, N + 1)]
    assert rows[0].new_tokens == S and all(r.new_tokens == O + T for r in rows[1:])
    assert rows[-1].repeated_tokens == S + (N - 2) * (O + T)
    assert rows[-1].density == pytest.approx((O + T) / (S + (N - 1) * (O + T)))


def test_synthetic_loop_costs_equal_hand_arithmetic(book):
    sim, price = _run(book, SyntheticLoop(N, S, T, O))
    total_input = N * S + (O + T) * N * (N - 1) // 2  # 41,000
    fresh = S + (N - 1) * T  # 5,900: outputs were generated, not fresh
    output_usd = N * O * price.output_per_mtok / 1e6
    assert total_input == 41_000 and fresh == 5_900

    none = sim.policy("no-cache")
    assert (none.input_tokens, none.computed_tokens, none.fresh_tokens) == (total_input, total_input, fresh)
    assert none.cost_usd == pytest.approx(total_input * 3.0 / 1e6 + output_usd)
    assert none.amplification == pytest.approx(41_000 / 5_900)

    # Anthropic 5m, min 1024 tokens: step 1 (500) is too short to cache; step 2 (1300) writes all of
    # itself; from step 3 on each step reads the previous prompt and writes the 800 new tokens.
    inputs = [S + (k - 1) * (O + T) for k in range(1, N + 1)]
    read = sum(inputs[1 : N - 1])  # prompts of steps 2..9
    write = inputs[1] + (N - 2) * (O + T)
    assert (read, write) == (32_800, 7_700)
    five = sim.policy("anthropic-5m")
    assert (five.read_tokens, five.write_tokens, five.computed_tokens) == (read, write, total_input - read)
    assert five.cost_usd == pytest.approx((S * 3.0 + write * 3.75 + read * 0.30) / 1e6 + output_usd)
    hour = sim.policy("anthropic-1h")
    assert hour.cost_usd == pytest.approx((S * 3.0 + write * 6.0 + read * 0.30) / 1e6 + output_usd)

    # OpenAI: the previous prompt is matched in 1024 + k*128 token steps, nothing under 1024, no write cost.
    openai_read = sum(1024 + (p - 1024) // 128 * 128 for p in inputs[1 : N - 1] if p >= 1024)
    openai = sim.policy("openai-in-memory")
    assert openai.read_tokens == openai_read == 32_256
    assert openai.cost_usd == pytest.approx(((total_input - openai_read) * 3.0 + openai_read * 0.30) / 1e6 + output_usd)

    # loopcache keeps prompt and generated tokens: it computes exactly the fresh tokens.
    loop = sim.policy("loopcache")
    assert loop.computed_tokens == fresh and loop.amplification == pytest.approx(1.0)
    # The engine keeps whole 16-token blocks only: each step loses the partial block of its prefix.
    engine = sim.policy("engine-lru")
    assert engine.read_tokens == sum((p - T) // 16 * 16 for p in inputs[1:])


def _gapped(gaps_s):
    loop = SyntheticLoop(len(gaps_s) + 1, 2000, 600, 200)
    profile = loop.profile()
    times, t = [0.0], 0.0
    for gap in gaps_s:
        t += gap
        times.append(t)
    steps = tuple(type(s)(**{**s.__dict__, "time_s": times[k]}) for k, s in enumerate(profile.steps))
    return SessionProfile("gapped", None, steps)


def test_ttl_expiry_per_policy(book):
    profile = _gapped([9 * 60, 70 * 60, 30])
    price = book.for_model("claude-sonnet-4-5").price
    sim = simulate((profile,), (price,), PolicyRegistry.default(book))
    outcomes = dict(sim.per_step)
    hits = {name: [o.read_tokens > 0 for o in outcomes[name][0]] for name in outcomes}
    assert hits["anthropic-5m"] == [False, False, False, True]  # 9 and 70 minutes both expire 5m
    assert hits["anthropic-1h"] == [False, True, False, True]  # 70 minutes expires 1h
    assert hits["openai-in-memory"] == [False, False, False, True]
    assert hits["openai-24h"] == [False, True, True, True]
    assert hits["loopcache"] == [False, True, True, True]


def test_engine_lru_capacity_evicts_interleaved_sessions(book):
    loop = SyntheticLoop(4, 2000, 600, 200)
    profiles = tuple(SessionProfile(f"s{k}", None, tuple(type(s)(**{**s.__dict__, "time_s": None}) for s in loop.profile().steps)) for k in range(3))
    price = book.for_model("claude-sonnet-4-5").price
    big = simulate(profiles, (price,) * 3, PolicyRegistry.default(book, 1_000_000)).policy("engine-lru")
    small = simulate(profiles, (price,) * 3, PolicyRegistry.default(book, 4_000)).policy("engine-lru")
    assert big.read_tokens > 0
    # Round-robin over 3 sessions of >2000 tokens each: a 4000-token cache never holds a session's prefix
    # when its next step comes.
    assert small.read_tokens == 0


def test_policy_selection_rejects_unknown_names(book):
    registry = PolicyRegistry.default(book)
    assert registry.select(("no-cache", "loopcache")).names == ("no-cache", "loopcache")
    with pytest.raises(ValueError, match="unknown policy"):
        registry.select(("bogus",))
