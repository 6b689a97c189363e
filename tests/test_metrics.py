"""Metrics on values worked out by hand or from the published formulas."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from diffusion_sim.metrics import (
    EQUITY_ALL_KEYS,
    bootstrap_ci,
    equity,
    mean_ci,
    paired_difference,
    summarize_counts,
    time_to_reach,
)
from diffusion_sim.model import COL, COUNT_COLUMNS


def individual_arrays(ones_by_group, sizes):
    """Every person's binary outcome and fractional rank, built one by one.

    Person j (1-based, most deprived first) has fractional rank (j - 1/2) / N; people in
    the same group are tied and share the mean rank of their block.
    """
    n = sum(sizes)
    y, rank = [], []
    start = 0
    for ones, size in zip(ones_by_group, sizes):
        y += [1.0] * ones + [0.0] * (size - ones)
        own = (np.arange(start + 1, start + size + 1) - 0.5) / n
        rank += [own.mean()] * size
        start += size
    return np.array(y), np.array(rank)


def individual_level(ones_by_group, sizes):
    """Brute-force C, Erreygers' E and Wagstaff's W from the individual-level arrays."""
    y, rank = individual_arrays(ones_by_group, sizes)
    mu = y.mean()
    cov = np.mean((y - mu) * (rank - rank.mean()))  # population covariance (divisor N)
    C = 2 * cov / mu if mu > 0 else np.nan
    E = 4 * mu * C / (1 - 0) if mu > 0 else 0.0
    W = C / (1 - mu) if 0 < mu < 1 else np.nan
    return C, E, W


# ---------------------------------------------------------------------------
# equity: hand-worked cases
# ---------------------------------------------------------------------------
def test_two_equal_groups_by_hand_with_finite_rii():
    e = equity([0.4, 0.6], [100, 100])
    assert e["gap"] == pytest.approx(0.2)
    assert e["ratio"] == pytest.approx(1.5)
    # ranks 0.25 and 0.75: slope (0.6 - 0.4) / 0.5 = 0.4; intercept 0.4 - 0.4·0.25 = 0.3
    assert e["sii"] == pytest.approx(0.4)
    assert e["rii"] == pytest.approx(0.7 / 0.3)
    assert e["rii_mean"] == pytest.approx(0.4 / 0.5)
    # cov = 0.5·(0.4 − 0.5)(0.25 − 0.5) + 0.5·(0.6 − 0.5)(0.75 − 0.5) = 0.025, mu = 0.5
    assert e["ci"] == pytest.approx(2 * 0.025 / 0.5)  # 0.1
    assert e["ci_erreygers"] == pytest.approx(8 * 0.025)  # 0.2 = 4·0.5·0.1
    assert e["ci_wagstaff"] == pytest.approx(0.1 / 0.5)  # 0.2


def test_two_equal_groups_by_hand_with_zero_intercept():
    e = equity([0.2, 0.6], [50, 50])
    assert e["gap"] == pytest.approx(0.4)
    assert e["ratio"] == pytest.approx(3.0)
    # slope (0.6 − 0.2) / 0.5 = 0.8; intercept 0.2 − 0.8·0.25 = 0 → RII undefined
    assert e["sii"] == pytest.approx(0.8)
    assert np.isnan(e["rii"])
    assert e["rii_mean"] == pytest.approx(0.8 / 0.4)
    # cov = 0.5·(−0.2)(−0.25) + 0.5·(0.2)(0.25) = 0.05, mu = 0.4
    assert e["ci"] == pytest.approx(2 * 0.05 / 0.4)  # 0.25
    assert e["ci_erreygers"] == pytest.approx(0.4)  # 4·0.4·0.25
    assert e["ci_wagstaff"] == pytest.approx(0.25 / 0.6)


def test_small_positive_intercept_keeps_a_finite_rii():
    e = equity([0.21, 0.6], [50, 50])
    # slope 0.39 / 0.5 = 0.78; intercept 0.21 − 0.78·0.25 = 0.015
    assert e["rii"] == pytest.approx((0.015 + 0.78) / 0.015)


@pytest.mark.parametrize(("props", "n_people"), [([0.4, 0.6], 1000), ([0.2, 0.6], 1000)])
def test_two_groups_against_1000_individuals(props, n_people):
    half = n_people // 2
    ones = [round(p * half) for p in props]
    y, rank = individual_arrays(ones, [half, half])
    assert sorted(set(rank.tolist())) == pytest.approx([0.25, 0.75])
    mu = y.mean()
    cov = np.cov(y, rank, bias=True)[0, 1]  # numpy's own population covariance
    e = equity(props, [half, half])
    assert e["ci"] == pytest.approx(2 * cov / mu, abs=1e-12)
    assert e["ci_erreygers"] == pytest.approx(4 * mu * (2 * cov / mu), abs=1e-12)
    assert e["ci_wagstaff"] == pytest.approx(2 * cov / mu / (1 - mu), abs=1e-12)
    # the SII is the individual-level least-squares slope of y on rank as well
    assert e["sii"] == pytest.approx(np.polyfit(rank, y, 1)[0], abs=1e-12)


def test_unequal_groups_against_individuals():
    ones, sizes = [3, 10, 2, 25], [20, 40, 5, 50]
    e = equity(np.array(ones) / np.array(sizes), sizes)
    C, E, W = individual_level(ones, sizes)
    assert (e["ci"], e["ci_erreygers"], e["ci_wagstaff"]) == pytest.approx((C, E, W), abs=1e-12)
    assert e["gap"] == pytest.approx(25 / 50 - 3 / 20)
    assert e["ratio"] == pytest.approx((25 / 50) / (3 / 20))


def test_equal_outcomes_mean_no_inequality():
    e = equity([0.3] * 5, [10, 20, 30, 20, 10])
    for k in ("gap", "sii", "ci", "ci_erreygers", "ci_wagstaff"):
        assert e[k] == pytest.approx(0.0, abs=1e-12)
    assert e["ratio"] == pytest.approx(1.0)
    assert e["rii"] == pytest.approx(1.0)
    assert e["rii_mean"] == pytest.approx(0.0, abs=1e-12)


def test_sii_is_weighted_least_squares_slope():
    y = np.array([0.1, 0.3, 0.35, 0.5])
    w = np.array([10, 40, 30, 20])
    share = w / w.sum()
    rank = np.cumsum(share) - share / 2  # 0.05, 0.30, 0.65, 0.90
    assert rank == pytest.approx([0.05, 0.30, 0.65, 0.90])
    slope, intercept = np.polyfit(rank, y, 1, w=np.sqrt(w))
    e = equity(y, w)
    assert e["sii"] == pytest.approx(slope)
    assert e["rii"] == pytest.approx((intercept + slope) / intercept)
    assert e["rii_mean"] == pytest.approx(slope / np.average(y, weights=w))


def test_single_group():
    e = equity([0.3], [10])
    assert e["gap"] == 0.0 and e["ratio"] == 1.0
    assert np.isnan(e["sii"]) and np.isnan(e["rii"]) and np.isnan(e["rii_mean"])
    # everybody shares one rank: no covariance, so no concentration
    assert e["ci"] == 0.0 and e["ci_erreygers"] == 0.0 and e["ci_wagstaff"] == 0.0


def test_zero_outcome_everywhere():
    e = equity([0.0, 0.0, 0.0], [5, 5, 5])
    assert e["gap"] == 0.0 and np.isnan(e["ratio"])
    assert e["sii"] == 0.0 and np.isnan(e["rii"]) and np.isnan(e["rii_mean"])
    assert np.isnan(e["ci"]) and e["ci_erreygers"] == 0.0 and np.isnan(e["ci_wagstaff"])


def test_outcome_everywhere_one():
    e = equity([1.0, 1.0], [5, 15])
    assert e["ci"] == 0.0 and e["ci_erreygers"] == 0.0 and np.isnan(e["ci_wagstaff"])


def test_zero_bottom_outcome_gives_nan_ratio():
    e = equity([0.0, 0.5], [10, 10])
    assert e["gap"] == 0.5 and np.isnan(e["ratio"])


def test_empty_groups_are_dropped():
    with_empty = equity([0.2, np.nan, 0.5, 0.0, 0.7], [10, 0, 30, 0, 20])
    without = equity([0.2, 0.5, 0.7], [10, 30, 20])
    for k in ("sii", "rii", "rii_mean", "ci", "ci_erreygers", "ci_wagstaff", "gap", "ratio"):
        assert with_empty[k] == pytest.approx(without[k], abs=1e-15)


def test_empty_end_group_makes_gap_and_ratio_nan():
    e = equity([0.2, 0.5, 0.0], [10, 30, 0])
    assert np.isnan(e["gap"]) and np.isnan(e["ratio"])
    assert e["sii"] == pytest.approx(equity([0.2, 0.5], [10, 30])["sii"])


def test_everybody_empty_or_no_groups():
    for e in (equity([0.1, 0.2], [0, 0]), equity([], [])):
        assert set(e) == set(EQUITY_ALL_KEYS)
        assert all(np.isnan(v) for v in e.values())


@pytest.mark.parametrize(
    ("y", "w"),
    [([0.1, 0.2], [1, 2, 3]), ([0.1, 1.2], [1, 1]), ([0.1, np.nan], [1, 1]), ([0.1], [-1])],
)
def test_invalid_input_raises(y, w):
    with pytest.raises(ValueError):
        equity(y, w)


# ---------------------------------------------------------------------------
# equity: properties
# ---------------------------------------------------------------------------
@st.composite
def grouped_binary(draw, min_groups=1, max_groups=8):
    k = draw(st.integers(min_groups, max_groups))
    sizes = draw(st.lists(st.integers(1, 50), min_size=k, max_size=k))
    ones = [draw(st.integers(0, s)) for s in sizes]
    return ones, sizes


@settings(max_examples=300)
@given(grouped_binary())
def test_aggregate_concentration_indices_equal_individual_level(data):
    ones, sizes = data
    e = equity(np.array(ones) / np.array(sizes), sizes)
    C, E, W = individual_level(ones, sizes)
    assert e["ci_erreygers"] == pytest.approx(E, abs=1e-12)
    if sum(ones) == 0:
        assert np.isnan(e["ci"]) and np.isnan(C)
    else:
        assert e["ci"] == pytest.approx(C, abs=1e-12)
    if 0 < sum(ones) < sum(sizes):
        assert e["ci_wagstaff"] == pytest.approx(W, abs=1e-12)
    else:
        assert np.isnan(e["ci_wagstaff"]) and np.isnan(W)


@settings(max_examples=300)
@given(grouped_binary())
def test_erreygers_and_wagstaff_bounds_for_binary_outcome(data):
    ones, sizes = data
    e = equity(np.array(ones) / np.array(sizes), sizes)
    assert abs(e["ci_erreygers"]) <= 1 + 1e-12
    if not np.isnan(e["ci_wagstaff"]):
        assert abs(e["ci_wagstaff"]) <= 1 + 1e-12


def test_erreygers_bound_is_attained_by_a_perfect_split():
    # the poorer half has nobody with the outcome, the richer half everybody
    e = equity([0.0, 1.0], [50, 50])
    assert e["ci_erreygers"] == pytest.approx(1.0)
    assert e["ci_wagstaff"] == pytest.approx(1.0)


@settings(max_examples=200)
@given(grouped_binary(min_groups=2))
def test_reversing_group_order_flips_signs(data):
    ones, sizes = data
    y = np.array(ones) / np.array(sizes)
    e = equity(y, sizes)
    r = equity(y[::-1], sizes[::-1])
    assert r["gap"] == pytest.approx(-e["gap"], abs=1e-12)
    for k in ("sii", "ci", "ci_erreygers", "ci_wagstaff", "rii_mean"):
        if np.isnan(e[k]):
            assert np.isnan(r[k])
        else:
            assert r[k] == pytest.approx(-e[k], abs=1e-12)


@settings(max_examples=200)
@given(grouped_binary(), st.sampled_from([0.5, 3.0, 7.0, 1e6]))
def test_scaling_populations_changes_nothing(data, factor):
    ones, sizes = data
    y = np.array(ones) / np.array(sizes)
    e = equity(y, sizes)
    s = equity(y, np.array(sizes) * factor)
    for k in EQUITY_ALL_KEYS:
        if np.isnan(e[k]):
            assert np.isnan(s[k])
        else:
            assert s[k] == pytest.approx(e[k], rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------
# time to reach, intervals
# ---------------------------------------------------------------------------
def test_time_to_reach():
    s = [0.0, 0.1, 0.24, 0.25, 0.6]
    assert time_to_reach(s, 0.25) == 3.0
    assert time_to_reach(s, 0.5) == 4.0
    assert time_to_reach(s, 0.0) == 0.0
    assert isinstance(time_to_reach(s, 0.0), float)
    assert np.isnan(time_to_reach(s, 0.7))
    assert np.isnan(time_to_reach([], 0.1))
    assert time_to_reach([0.3, 0.1, 0.4], 0.2) == 0.0  # the first crossing, not the last
    assert time_to_reach([np.nan, 0.5], 0.25) == 1.0


def test_mean_ci_matches_scipy_t_interval():
    v = np.array([0.31, 0.35, 0.29, 0.40, 0.33, 0.37])
    m, lo, hi = mean_ci(v)
    ref = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert m == pytest.approx(v.mean())
    assert (lo, hi) == pytest.approx(ref, abs=1e-14)
    ref90 = stats.t.interval(0.90, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert mean_ci(v, 0.90)[1:] == pytest.approx(ref90, abs=1e-14)


def test_mean_ci_edge_cases():
    m, lo, hi = mean_ci([0.5])
    assert m == 0.5 and np.isnan(lo) and np.isnan(hi)
    m, lo, hi = mean_ci([0.2, 0.2, 0.2])
    assert lo == hi == m == pytest.approx(0.2)
    assert all(np.isnan(mean_ci([])))
    assert all(np.isnan(mean_ci([np.nan, np.nan])))
    # NaNs are ignored
    assert mean_ci([1.0, np.nan, 2.0, 3.0]) == pytest.approx(mean_ci([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], level=1.5)


def test_paired_difference():
    a = np.array([0.3, 0.4, 0.5])
    same = paired_difference(a, a)
    assert same["mean"] == same["lo"] == same["hi"] == 0.0
    assert same["n"] == 3 and not same["excludes_zero"]
    d = paired_difference(a, a + np.array([0.1, 0.12, 0.11]))
    assert d["mean"] == pytest.approx(0.11) and d["excludes_zero"] and d["lo"] > 0
    diffs = np.array([0.1, 0.12, 0.11])
    ref = stats.t.interval(0.95, 2, loc=diffs.mean(), scale=stats.sem(diffs))
    assert (d["lo"], d["hi"]) == pytest.approx(ref, abs=1e-12)


def test_paired_difference_drops_incomplete_pairs_and_checks_shape():
    d = paired_difference([1.0, np.nan, 3.0, 4.0], [2.0, 5.0, np.nan, 4.5])
    assert d["n"] == 2 and d["mean"] == pytest.approx(0.75)
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])


def test_paired_difference_with_noisy_signs_includes_zero():
    d = paired_difference([0.0, 0.0, 0.0, 0.0], [0.1, -0.1, 0.2, -0.15])
    assert d["lo"] < 0 < d["hi"] and not d["excludes_zero"]


def test_bootstrap_ci_matches_scipy_and_is_reproducible():
    v = np.array([0.31, 0.35, 0.29, 0.40, 0.33, 0.37, 0.30, 0.36])
    m, lo, hi = bootstrap_ci(v)
    assert (m, lo, hi) == bootstrap_ci(v)  # default generator is seeded
    ref = stats.bootstrap(
        (v,),
        np.mean,
        n_resamples=2000,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(0),
    ).confidence_interval
    assert m == pytest.approx(v.mean())
    assert (lo, hi) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert v.min() <= lo < m < hi <= v.max()
    # a different generator gives a (slightly) different interval
    other = bootstrap_ci(v, rng=np.random.default_rng(1))
    assert other[1:] != (lo, hi)


def test_bootstrap_ci_is_close_to_t_interval_for_a_large_normal_sample():
    v = np.random.default_rng(42).normal(10.0, 2.0, size=400)
    _, blo, bhi = bootstrap_ci(v, n_resamples=4000)
    _, tlo, thi = mean_ci(v)
    width = thi - tlo
    assert abs(blo - tlo) < 0.1 * width and abs(bhi - thi) < 0.1 * width


def test_bootstrap_ci_edge_cases():
    m, lo, hi = bootstrap_ci([0.5])
    assert m == 0.5 and np.isnan(lo) and np.isnan(hi)
    m, lo, hi = bootstrap_ci([0.2, 0.2, 0.2])
    assert lo == hi == m == pytest.approx(0.2)
    assert all(np.isnan(bootstrap_ci([])))


# ---------------------------------------------------------------------------
# headline metrics of a run
# ---------------------------------------------------------------------------
def test_summarize_counts_by_hand():
    # 2 groups of 10 people, 2 steps
    c = np.zeros((3, 2, len(COUNT_COLUMNS)), dtype=np.int64)
    c[:, 0, COL["aware"]] = [1, 3, 5]
    c[:, 1, COL["aware"]] = [1, 6, 9]
    c[:, 0, COL["engaged"]] = [1, 2, 2]
    c[:, 1, COL["engaged"]] = [1, 4, 6]
    c[:, 1, COL["peer_engaged"]] = [0, 3, 5]
    c[1, 0, COL["decisions_avoid"]] = 2
    c[1, 1, COL["decisions_open"]] = 1
    c[2, 1, COL["decisions_allocate"]] = 1
    c[2, 1, COL["unwanted"]] = 3
    out = summarize_counts(c, np.array([10, 10]))
    assert out["aware_final"] == pytest.approx(14 / 20)
    assert out["engaged_final_g1"] == pytest.approx(0.2)
    assert out["engaged_final_g2"] == pytest.approx(0.6)
    assert out["t25_aware"] == 1.0 and out["t50_aware"] == 2.0
    assert out["peer_share"] == pytest.approx(5 / 8)
    assert out["mix_avoid"] == pytest.approx(0.5) and out["mix_open"] == pytest.approx(0.25)
    assert out["mix_open_g1"] == 0.0 and out["mix_avoid_g1"] == 1.0
    assert out["sharing_acts"] == 2 and out["unwanted_per_act"] == pytest.approx(1.5)
    assert out["unwanted_per_act_g2"] == pytest.approx(1.5)
    assert out["engaged_gap"] == pytest.approx(0.4)
