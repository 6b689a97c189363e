"""Metrics on values worked out by hand or from the published formulas."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from diffusion_sim.metrics import (
    equity,
    mean_ci,
    paired_difference,
    summarize_counts,
    time_to_reach,
)
from diffusion_sim.model import COL, COUNT_COLUMNS


def individual_level(y_by_group, sizes):
    """Brute force: every person with their binary outcome and fractional rank."""
    y, rank = [], []
    n = sum(sizes)
    before = 0
    for ones, size in zip(y_by_group, sizes):
        y += [1.0] * ones + [0.0] * (size - ones)
        rank += [(before + size / 2) / n] * size  # ties share the group's mean rank
        before += size
    y, rank = np.array(y), np.array(rank)
    mu = y.mean()
    cov = np.mean((y - mu) * (rank - rank.mean()))
    C = 2 * cov / mu if mu > 0 else np.nan
    return C, 4 * mu * C if mu > 0 else 0.0, C / (1 - mu) if 0 < mu < 1 else np.nan


def test_two_groups_by_hand():
    e = equity([0.4, 0.6], [100, 100])
    assert e["gap"] == pytest.approx(0.2)
    assert e["ratio"] == pytest.approx(1.5)
    # ranks 0.25 and 0.75: slope (0.6 - 0.4) / 0.5 = 0.4; intercept 0.4 - 0.4·0.25 = 0.3
    assert e["sii"] == pytest.approx(0.4)
    assert e["rii"] == pytest.approx(0.7 / 0.3)
    assert e["rii_mean"] == pytest.approx(0.4 / 0.5)
    # C = 2 cov(y, R) / mu: cov = 0.5·(0.4)(0.25) + 0.5·(0.6)(0.75) − 0.5·0.5 = 0.025
    assert e["ci"] == pytest.approx(2 * 0.025 / 0.5)
    assert e["ci_erreygers"] == pytest.approx(8 * 0.025)
    assert e["ci_wagstaff"] == pytest.approx(0.1 / 0.5)


def test_equal_outcomes_mean_no_inequality():
    e = equity([0.3] * 5, [10, 20, 30, 20, 10])
    for k in ("gap", "sii", "ci", "ci_erreygers", "ci_wagstaff"):
        assert e[k] == pytest.approx(0.0, abs=1e-12)
    assert e["ratio"] == pytest.approx(1.0) and e["rii"] == pytest.approx(1.0)


@given(data=st.data(), k=st.integers(2, 6))
def test_concentration_indices_equal_individual_level_formulas(data, k):
    sizes = data.draw(st.lists(st.integers(1, 50), min_size=k, max_size=k))
    ones = [data.draw(st.integers(0, s)) for s in sizes]
    e = equity(np.array(ones) / np.array(sizes), sizes)
    C, E, W = individual_level(ones, sizes)
    if sum(ones) == 0:
        assert np.isnan(e["ci"]) and e["ci_erreygers"] == 0.0
        return
    assert e["ci"] == pytest.approx(C, abs=1e-12)
    assert e["ci_erreygers"] == pytest.approx(E, abs=1e-12)
    assert abs(e["ci_erreygers"]) <= 1 + 1e-12  # Erreygers' bound for a binary outcome
    if sum(ones) < sum(sizes):
        assert e["ci_wagstaff"] == pytest.approx(W, abs=1e-12)
    # reversing the order of the groups flips the signs; scaling sizes changes nothing
    r = equity((np.array(ones) / np.array(sizes))[::-1], sizes[::-1])
    assert r["sii"] == pytest.approx(-e["sii"], abs=1e-12)
    assert r["ci_erreygers"] == pytest.approx(-e["ci_erreygers"], abs=1e-12)
    s = equity(np.array(ones) / np.array(sizes), np.array(sizes) * 7)
    assert s["ci"] == pytest.approx(e["ci"]) and s["sii"] == pytest.approx(e["sii"])


def test_sii_is_weighted_least_squares_slope():
    y = np.array([0.1, 0.3, 0.35, 0.5])
    w = np.array([10, 40, 30, 20])
    share = w / w.sum()
    rank = np.cumsum(share) - share / 2
    slope = np.polyfit(rank, y, 1, w=np.sqrt(w))[0]
    assert equity(y, w)["sii"] == pytest.approx(slope)


def test_time_to_reach():
    s = [0.0, 0.1, 0.24, 0.25, 0.6]
    assert time_to_reach(s, 0.25) == 3.0
    assert time_to_reach(s, 0.5) == 4.0
    assert np.isnan(time_to_reach(s, 0.7))


def test_mean_ci_matches_scipy_t_interval():
    v = np.array([0.31, 0.35, 0.29, 0.40, 0.33, 0.37])
    m, lo, hi = mean_ci(v)
    ref = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert m == pytest.approx(v.mean()) and (lo, hi) == pytest.approx(ref)
    assert np.isnan(mean_ci([0.5])[1])
    m, lo, hi = mean_ci([0.2, 0.2, 0.2])
    assert lo == hi == m == pytest.approx(0.2)


def test_paired_difference():
    a = np.array([0.3, 0.4, 0.5])
    same = paired_difference(a, a)
    assert same["mean"] == same["lo"] == same["hi"] == 0.0 and not same["excludes_zero"]
    d = paired_difference(a, a + np.array([0.1, 0.12, 0.11]))
    assert d["mean"] == pytest.approx(0.11) and d["excludes_zero"] and d["lo"] > 0


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
