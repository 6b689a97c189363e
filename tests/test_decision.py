"""The multinomial-logit choice: formula, limits and comparative statics."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from diffusion_sim.decision import ALLOCATE, AVOID, EMBED, OPEN, StrategyArrays, choose, utilities
from diffusion_sim.scenario import default_scenario

unit = st.floats(0.0, 1.0)


def table(**over):
    return StrategyArrays.from_scenario(default_scenario().with_overrides(over))


def test_utilities_by_hand():
    t = table()
    # default allocate: benefit 0.8, control 0.3, identity 0.7, others 0.3
    u = utilities(t, 0.5, 0.2, 1.0, 0.25, 0.4)
    assert u[AVOID] == 0.0
    assert np.isclose(u[ALLOCATE], 0.8 - 0.5 * 0.3 - 0.2 * 0.7 - 1.0 * 0.3 + 0.4 * 0.25)
    assert np.isclose(u[EMBED], 0.6 - 0.5 * 0.6 - 0.2 * 0.2 - 1.0 * 0.4 + 0.4 * 0.25)
    assert np.isclose(u[OPEN], 1.2 - 0.5 - 0.2 - 1.0 + 0.4 * 0.25)


def test_disabled_strategy_is_never_chosen():
    t = table(**{"strategies.allocate.enabled": False, "strategies.embed.enabled": False})
    rng = np.random.default_rng(0)
    u = utilities(t, rng.random(1000), rng.random(1000), rng.random(1000), rng.random(1000), 2.0)
    c = choose(u, rng.random(1000), 1.0)
    assert set(np.unique(c)) <= {AVOID, OPEN}


def test_logit_frequencies_match_softmax():
    t = table()
    rng = np.random.default_rng(1)
    n = 200_000
    u = utilities(t, np.full(n, 0.3), np.full(n, 0.3), np.full(n, 0.3), np.zeros(n), 0.0)
    tau = 0.5
    c = choose(u, rng.random(n), tau)
    p = np.exp(u[:, 0] / tau) / np.exp(u[:, 0] / tau).sum()
    freq = np.bincount(c, minlength=4) / n
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(freq - p) < 5 * se)


def test_choice_inverts_the_cumulative_distribution_by_hand():
    t = table()
    u = utilities(t, 0.5, 0.5, 0.4, 0.0, 0.0)
    w = np.exp(u / 0.5 - (u / 0.5).max())
    cdf = np.cumsum(w) / w.sum()
    for s_code in range(4):
        lo = 0.0 if s_code == 0 else cdf[s_code - 1]
        mid = (lo + cdf[s_code]) / 2
        assert choose(u, mid, 0.5) == s_code


def test_zero_temperature_is_best_response():
    t = table()
    u = utilities(t, np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([0.0, 1.0]),
                  np.zeros(2), 0.0)
    c = choose(u, np.random.default_rng(0).random(2), 0.0)
    assert list(c) == list(np.argmax(u, axis=0))
    assert c[0] == OPEN and c[1] == AVOID  # no concern: open; full concern: avoid


@given(pc=st.lists(unit, min_size=1, max_size=50), extra=unit, ids=unit, oreg=unit,
       seen=unit, norm=st.floats(-2, 2), tau=st.sampled_from([0.0, 0.1, 1.0, 3.0]),
       seed=st.integers(0, 2**31), cl_alloc=unit, cl_embed=unit)
def test_more_privacy_concern_never_adds_open_sharers(pc, extra, ids, oreg, seen, norm, tau,
                                                      seed, cl_alloc, cl_embed):
    """With open the highest control loss (MODEL.md's ordering), raising everybody's
    privacy concern can only turn open sharers into something else, draw by draw
    (the same uniform per decider) — so the expected share of open sharing cannot rise."""
    t = table(**{"strategies.allocate.control_loss": cl_alloc,
                 "strategies.embed.control_loss": cl_embed,
                 "strategies.open.control_loss": 1.0})
    pc = np.array(pc)
    k = pc.size
    noise = np.random.default_rng(seed).random(k)
    args = (np.full(k, ids), np.full(k, oreg), np.full(k, seen), norm)
    before = choose(utilities(t, pc, *args), noise, tau) == OPEN
    after = choose(utilities(t, np.minimum(pc + extra, 1.0), *args), noise, tau) == OPEN
    assert np.all(after <= before)


@given(pc=unit, extra=unit, tau=st.floats(0.05, 5.0))
def test_open_probability_decreases_in_privacy_concern(pc, extra, tau):
    t = table()
    def p_open(x):
        u = utilities(t, x, 0.5, 0.4, 0.0, 0.0) / tau
        e = np.exp(u - u.max())
        return e[OPEN] / e.sum()
    assert p_open(min(pc + extra, 1.0)) <= p_open(pc) + 1e-12
