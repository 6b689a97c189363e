"""HEAT summary measures on values worked out by hand or from HEAT's published formulas."""

import csv
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffusion_sim.heat import (
    HEAT_DISPARITY_KEYS,
    HEAT_KEYS,
    HEAT_UNORDERED_KEYS,
    heat_measures,
    theil_decomposition,
)
from diffusion_sim.heat_export import (
    HEAT_PLUS_COLUMNS,
    HEAT_PLUS_LEGACY_COLUMNS,
    heat_export_rows,
    write_heat_csv,
)
from diffusion_sim.metrics import equity

# The worked example used throughout: three groups, most deprived first.
#   y = 0.2, 0.4, 0.6 (proportions), n = 200, 300, 500 people, scale 100
#   e = 20, 40, 60 (percent), p = 0.2, 0.3, 0.5
#   mu = 0.2·20 + 0.3·40 + 0.5·60 = 4 + 12 + 30 = 46
Y = [0.2, 0.4, 0.6]
N = [200, 300, 500]


def expand(values, counts):
    """Every person's value, one by one (group g repeated n_g times)."""
    return np.repeat(np.asarray(values, dtype=float), np.asarray(counts, dtype=int))


# ---------------------------------------------------------------------------
# heat_measures: hand-worked values
# ---------------------------------------------------------------------------
def test_keys_are_documented_and_complete():
    m = heat_measures(Y, N)
    assert tuple(m) == HEAT_KEYS
    assert set(HEAT_UNORDERED_KEYS) < set(HEAT_KEYS)
    assert set(HEAT_DISPARITY_KEYS) == set(HEAT_KEYS) - {"setting_average"}


def test_variance_measures_by_hand():
    m = heat_measures(Y, N)
    assert m["setting_average"] == pytest.approx(46.0)
    # deviations from mu: −26, −6, 14
    # BGV = 0.2·676 + 0.3·36 + 0.5·196 = 135.2 + 10.8 + 98 = 244 (squared points)
    assert m["bgv"] == pytest.approx(244.0)
    assert m["bgsd"] == pytest.approx(math.sqrt(244.0))  # 15.6205 points
    assert m["cov"] == pytest.approx(100 * math.sqrt(244.0) / 46)  # 33.9576


def test_mean_differences_and_indices_of_disparity_by_hand():
    m = heat_measures(Y, N)
    # from the mean: |dev| = 26, 6, 14
    assert m["mdmu"] == pytest.approx(46 / 3)  # (26 + 6 + 14) / 3
    assert m["mdmw"] == pytest.approx(14.0)  # 0.2·26 + 0.3·6 + 0.5·14 = 5.2 + 1.8 + 7
    assert m["idisu"] == pytest.approx(100 / 3)  # 100 · (46/3) / 46
    assert m["idisw"] == pytest.approx(100 * 14 / 46)  # 30.4348
    # favourable: best = 60, |e − 60| = 40, 20, 0
    assert m["mdbu"] == pytest.approx(20.0)  # 60 / 3
    assert m["mdbw"] == pytest.approx(14.0)  # 0.2·40 + 0.3·20 = 8 + 6
    assert m["idisbu"] == pytest.approx(100 * 20 / 60)
    assert m["idisbw"] == pytest.approx(100 * 14 / 60)
    # default reference = the most advantaged group, here also the best one
    assert (m["mdru"], m["mdrw"]) == pytest.approx((20.0, 14.0))
    assert (m["idisru"], m["idisrw"]) == pytest.approx((100 * 20 / 60, 100 * 14 / 60))


def test_reference_group_by_hand():
    m = heat_measures(Y, N, reference_group=1)
    # e_ref = 40: |e − 40| = 20, 0, 20
    assert m["mdru"] == pytest.approx(40 / 3)
    assert m["mdrw"] == pytest.approx(14.0)  # 0.2·20 + 0.5·20 = 4 + 10
    assert m["idisru"] == pytest.approx(100 * (40 / 3) / 40)
    assert m["idisrw"] == pytest.approx(100 * 14 / 40)
    # PAR against group 1: 40 − 46 = −6 < 0, so 0 for a favourable indicator
    assert m["par"] == 0.0 and m["paf"] == 0.0
    # the best-group variants do not move
    assert m["mdbu"] == pytest.approx(20.0) and m["par_best"] == pytest.approx(14.0)


def test_adverse_indicator_best_group_is_the_lowest():
    m = heat_measures(Y, N, favourable=False)
    # best = 20: |e − 20| = 0, 20, 40
    assert m["mdbu"] == pytest.approx(20.0)  # 60 / 3
    assert m["mdbw"] == pytest.approx(26.0)  # 0.3·20 + 0.5·40 = 6 + 20
    assert m["idisbu"] == pytest.approx(100.0)  # 100 · 20 / 20
    assert m["idisbw"] == pytest.approx(130.0)  # 100 · 26 / 20
    # measures from the mean do not depend on the indicator type
    assert m["mdmw"] == pytest.approx(14.0) and m["bgv"] == pytest.approx(244.0)


def test_theil_and_mld_by_hand():
    m = heat_measures(Y, N)
    # e / mu = 20/46, 40/46, 60/46 = 10/23, 20/23, 30/23
    r = np.array([10, 20, 30]) / 23
    p = np.array([0.2, 0.3, 0.5])
    # TI = 1000 Σ p r ln r = 1000 (0.2·0.4348·(−0.8329) + 0.3·0.8696·(−0.1398)
    #                            + 0.5·1.3043·0.2657) = 64.398
    assert m["ti"] == pytest.approx(1000 * float(np.sum(p * r * np.log(r))))
    assert m["ti"] == pytest.approx(64.398156, abs=1e-6)
    # MLD = 1000 Σ p (−ln r) = 1000 (0.2·0.8329 + 0.3·0.1398 − 0.5·0.2657) = 75.659
    assert m["mld"] == pytest.approx(-1000 * float(np.sum(p * np.log(r))))
    assert m["mld"] == pytest.approx(75.658824, abs=1e-6)


def test_par_paf_by_hand_favourable():
    m = heat_measures(Y, N)
    # reference = most advantaged group (60): PAR = 60 − 46 = 14 points
    assert m["par"] == pytest.approx(14.0)
    assert m["paf"] == pytest.approx(100 * 14 / 46)  # 30.43 % of the average
    assert m["par_best"] == pytest.approx(14.0)  # the best group is the same one
    assert m["paf_best"] == pytest.approx(100 * 14 / 46)


def test_aci_by_hand():
    m = heat_measures(Y, N)
    # cumulative shares 0.2, 0.5, 1.0 → X = 0.1, 0.35, 0.75 → 2X − 1 = −0.8, −0.3, 0.5
    # ACI = 0.2·(−0.8)·20 + 0.3·(−0.3)·40 + 0.5·0.5·60 = −3.2 − 3.6 + 15 = 8.2 points
    assert m["aci"] == pytest.approx(8.2)
    # ACI = mu · C with C the concentration index of metrics.equity (in proportions)
    assert m["aci"] == pytest.approx(100 * 0.46 * equity(Y, N)["ci"])


def test_against_every_person_one_by_one():
    """Group-level formulas equal the same statistics over the expanded population of
    people who carry their group's mean (the definition of a between-group measure)."""
    y = [0.05, 0.3, 0.45, 0.2, 0.9]
    n = [30, 10, 25, 15, 20]
    m = heat_measures(y, n, scale=100)
    x = expand(np.array(y) * 100, n)
    share = np.array(n) / sum(n)
    rank = expand(np.cumsum(share) - share / 2, n)
    mu = x.mean()
    assert m["setting_average"] == pytest.approx(mu)
    assert m["bgv"] == pytest.approx(np.var(x))  # population variance (divisor N)
    assert m["mdmw"] == pytest.approx(np.mean(np.abs(x - mu)))
    assert m["mdbw"] == pytest.approx(np.mean(np.abs(x - x.max())))
    assert m["ti"] == pytest.approx(1000 * np.mean(x / mu * np.log(x / mu)))
    assert m["mld"] == pytest.approx(1000 * np.mean(np.log(mu / x)))
    assert m["aci"] == pytest.approx(2 * np.cov(x, rank, bias=True)[0, 1])
    # the group order is the rank order, so the individual ranks are the fractional ranks
    assert np.unique(rank) == pytest.approx(np.sort(np.cumsum(share) - share / 2))


# ---------------------------------------------------------------------------
# sign conventions, units and scale
# ---------------------------------------------------------------------------
def test_par_paf_signs_favourable_and_adverse():
    # favourable, advantaged groups do better: PAR > 0
    fav = heat_measures(Y, N, favourable=True)
    assert fav["par"] > 0 and fav["paf"] > 0
    # the same numbers as an adverse indicator: the most advantaged group (60) is worse
    # than the average (46), so HEAT's PAR = 60 − 46 > 0 is set to 0
    adv = heat_measures(Y, N, favourable=False)
    assert adv["par"] == 0.0 and adv["paf"] == 0.0
    # but the best group (20) is below the average: PAR_best = 20 − 46 = −26
    assert adv["par_best"] == pytest.approx(-26.0)
    assert adv["paf_best"] == pytest.approx(-100 * 26 / 46)


def test_adverse_gradient_gives_negative_par():
    # adverse outcome highest in the most deprived: e = 60, 40, 20
    # mu = 0.2·60 + 0.3·40 + 0.5·20 = 12 + 12 + 10 = 34
    m = heat_measures([0.6, 0.4, 0.2], N, favourable=False)
    assert m["setting_average"] == pytest.approx(34.0)
    assert m["par"] == pytest.approx(20 - 34)  # −14
    assert m["paf"] == pytest.approx(-100 * 14 / 34)  # −41.18
    # a favourable indicator with the same values has nothing to gain from group 3
    fav = heat_measures([0.6, 0.4, 0.2], N, favourable=True)
    assert fav["par"] == 0.0 and fav["paf"] == 0.0
    assert fav["par_best"] == pytest.approx(60 - 34)


def test_aci_sign_follows_the_gradient_not_the_indicator_type():
    up = heat_measures(Y, N)
    assert up["aci"] > 0  # more of the outcome in advantaged groups
    assert heat_measures(Y, N, favourable=False)["aci"] == up["aci"]
    down = heat_measures([0.6, 0.4, 0.2], N)
    assert down["aci"] < 0


def test_scale_changes_only_absolute_measures():
    per100 = heat_measures(Y, N, scale=100)
    per1 = heat_measures(Y, N, scale=1)
    absolute = ("setting_average", "bgsd", "mdmu", "mdmw", "mdbu", "mdbw", "mdru", "mdrw")
    absolute += ("par", "par_best", "aci")
    for k in absolute:
        assert per100[k] == pytest.approx(100 * per1[k]), k
    assert per100["bgv"] == pytest.approx(100**2 * per1["bgv"])
    for k in ("cov", "idisu", "idisw", "idisbu", "idisbw", "idisru", "idisrw", "ti", "mld"):
        assert per100[k] == pytest.approx(per1[k]), k
    assert (per100["paf"], per100["paf_best"]) == pytest.approx((per1["paf"], per1["paf_best"]))
    assert per1["setting_average"] == pytest.approx(0.46)


# ---------------------------------------------------------------------------
# invariances
# ---------------------------------------------------------------------------
def test_equal_outcomes_give_no_disparity():
    for favourable in (True, False):
        m = heat_measures([0.3] * 4, [10, 20, 30, 40], favourable=favourable)
        assert m["setting_average"] == pytest.approx(30.0)
        for k in HEAT_DISPARITY_KEYS:
            assert m[k] == pytest.approx(0.0, abs=1e-9), k


def test_uniform_population_scaling_changes_nothing():
    y = [0.05, 0.3, 0.45, 0.2, 0.9]
    n = np.array([30, 10, 25, 15, 20])
    base = heat_measures(y, n, reference_group=2)
    for factor in (0.001, 7.5, 1e6):
        other = heat_measures(y, n * factor, reference_group=2)
        for k in HEAT_KEYS:
            assert other[k] == pytest.approx(base[k], rel=1e-12, abs=1e-12), k


def test_permuting_groups_leaves_unordered_measures_and_moves_ordered_ones():
    y = np.array([0.05, 0.3, 0.45, 0.2, 0.9])
    n = np.array([30, 10, 25, 15, 20])
    base = heat_measures(y, n)
    perm = [3, 0, 4, 1, 2]
    moved = heat_measures(y[perm], n[perm])
    for k in HEAT_UNORDERED_KEYS:
        assert moved[k] == pytest.approx(base[k], rel=1e-12, abs=1e-12), k
    # mu = 0.30·5 + 0.10·30 + 0.25·45 + 0.15·20 + 0.20·90 = 1.5 + 3 + 11.25 + 3 + 18 = 36.75
    assert base["setting_average"] == pytest.approx(36.75)
    # the order matters to the ACI and to PAR against the most advantaged (last) group
    assert moved["aci"] != pytest.approx(base["aci"])
    assert base["par"] == pytest.approx(90 - 36.75)  # last group 0.9 → 90 points
    assert moved["par"] == pytest.approx(45 - 36.75)  # last group now 0.45 → 45 points


def test_reversing_the_order_flips_the_aci():
    y = np.array([0.05, 0.3, 0.45, 0.2, 0.9])
    n = np.array([30, 10, 25, 15, 20])
    # X → 1 − X when the order is reversed, so 2X − 1 changes sign
    assert heat_measures(y[::-1], n[::-1])["aci"] == pytest.approx(-heat_measures(y, n)["aci"])


# ---------------------------------------------------------------------------
# empty groups, edge cases and bad input
# ---------------------------------------------------------------------------
def test_empty_groups_are_dropped():
    m = heat_measures([0.2, float("nan"), 0.4, 0.6, 0.9], [200, 0, 300, 500, 0])
    ref = heat_measures(Y, N)
    for k in HEAT_KEYS:
        assert m[k] == pytest.approx(ref[k]), k
    # a reference index refers to the arrays as given: group 2 is the 0.4 group
    by_index = heat_measures([0.2, float("nan"), 0.4, 0.6], [200, 0, 300, 500], reference_group=2)
    assert by_index["mdru"] == pytest.approx(40 / 3)


def test_zero_outcome_group_theil_limit_and_infinite_mld():
    # e = 0, 50 with p = 0.5, 0.5 → mu = 25, r = 0, 2
    m = heat_measures([0.0, 0.5], [1, 1])
    assert m["ti"] == pytest.approx(1000 * 0.5 * 2 * math.log(2))  # 0·ln 0 = 0
    assert m["mld"] == math.inf
    # nothing at all: relative measures are undefined, absolute ones are 0
    z = heat_measures([0.0, 0.0, 0.0], [1, 2, 3])
    for k in ("cov", "idisu", "idisw", "idisbu", "ti", "mld", "paf", "paf_best"):
        assert math.isnan(z[k]), k
    for k in ("bgv", "mdmu", "mdbw", "par", "par_best", "aci"):
        assert z[k] == 0.0, k


def test_single_group_and_all_empty():
    one = heat_measures([0.7], [5])
    assert one["setting_average"] == pytest.approx(70.0)
    for k in HEAT_DISPARITY_KEYS:
        assert one[k] == pytest.approx(0.0, abs=1e-12), k
    none = heat_measures([0.7, 0.2], [0, 0])
    assert all(math.isnan(v) for v in none.values())


@pytest.mark.parametrize(
    ("outcome", "population", "kwargs", "match"),
    [
        ([0.1, 0.2], [1, 2, 3], {}, "same length"),
        ([[0.1, 0.2]], [[1, 2]], {}, "1-D"),
        ([0.1, 0.2], [1, -2], {}, "populations"),
        ([0.1, 0.2], [1, float("nan")], {}, "populations"),
        ([0.1, float("nan")], [1, 2], {}, "outcomes"),
        ([0.1, -0.2], [1, 2], {}, "outcomes"),
        ([0.1, 0.2], [1, 2], {"scale": 0}, "scale"),
        ([0.1, 0.2], [1, 2], {"scale": float("inf")}, "scale"),
        ([0.1, 0.2], [1, 2], {"reference_group": 2}, "index from 0 to 1"),
        ([0.1, 0.2], [1, 2], {"reference_group": -1}, "index from 0 to 1"),
        ([0.1, 0.2], [1, 2], {"reference_group": 1.0}, "integer"),
        ([0.1, 0.2], [1, 2], {"reference_group": True}, "integer"),
        ([0.1, 0.2], [0, 2], {"reference_group": 0}, "empty group"),
    ],
)
def test_bad_input_raises(outcome, population, kwargs, match):
    with pytest.raises(ValueError, match=match):
        heat_measures(outcome, population, **kwargs)


# ---------------------------------------------------------------------------
# theil_decomposition
# ---------------------------------------------------------------------------
def test_decomposition_by_hand():
    # group a: 1, 3 (mean 2); group b: 4, 4 (mean 4); mu = 3, everybody weight 1/4
    d = theil_decomposition([1.0, 3.0, 4.0, 4.0], ["a", "a", "b", "b"], multiplier=1)
    assert d["mean"] == pytest.approx(3.0)
    # between: T_B = ½·(2/3)ln(2/3) + ½·(4/3)ln(4/3); L_B = ½ ln(3/2) + ½ ln(3/4)
    t_b = 0.5 * (2 / 3) * math.log(2 / 3) + 0.5 * (4 / 3) * math.log(4 / 3)
    l_b = 0.5 * math.log(3 / 2) + 0.5 * math.log(3 / 4)
    assert d["ti_between"] == pytest.approx(t_b)
    assert d["mld_between"] == pytest.approx(l_b)
    # within a: T_a = ½·½ ln ½ + ½·(3/2) ln(3/2); L_a = ½ ln 2 + ½ ln(2/3); b has none
    t_a = 0.5 * 0.5 * math.log(0.5) + 0.5 * 1.5 * math.log(1.5)
    l_a = 0.5 * math.log(2) + 0.5 * math.log(2 / 3)
    assert d["ti_within"] == pytest.approx(0.5 * (2 / 3) * t_a)  # S_a · (mu_a/mu) · T_a
    assert d["mld_within"] == pytest.approx(0.5 * l_a)  # S_a · L_a
    # totals straight from the four values
    x = np.array([1.0, 3.0, 4.0, 4.0])
    assert d["ti_total"] == pytest.approx(np.mean(x / 3 * np.log(x / 3)))
    assert d["mld_total"] == pytest.approx(np.mean(np.log(3 / x)))
    assert d["ti_total"] == pytest.approx(t_b + 0.5 * (2 / 3) * t_a)
    assert d["mld_total"] == pytest.approx(l_b + 0.5 * l_a)


def test_decomposition_weights_equal_repeated_people():
    values = [1.0, 2.5, 4.0, 0.5, 3.0]
    groups = [0, 0, 1, 1, 2]
    counts = [3, 1, 2, 4, 5]
    weighted = theil_decomposition(values, groups, counts)
    repeated = theil_decomposition(expand(values, counts), expand(groups, counts))
    for k in weighted:
        assert weighted[k] == pytest.approx(repeated[k]), k
    # weight 0 is the same as leaving the person out
    dropped = theil_decomposition([*values, 99.0], [*groups, 2], [*counts, 0])
    for k in weighted:
        assert dropped[k] == pytest.approx(weighted[k]), k


def test_between_part_is_heat_ti_and_mld_on_group_means():
    values = np.array([1.0, 2.5, 4.0, 0.5, 3.0, 6.0])
    groups = np.array([0, 0, 1, 1, 2, 2])
    weights = np.array([3.0, 1.0, 2.0, 4.0, 5.0, 1.0])
    d = theil_decomposition(values, groups, weights)
    group_w = np.bincount(groups, weights=weights)
    group_mean = np.bincount(groups, weights=weights * values) / group_w
    m = heat_measures(group_mean, group_w, scale=1)
    assert d["ti_between"] == pytest.approx(m["ti"])
    assert d["mld_between"] == pytest.approx(m["mld"])


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=1e-3, max_value=1e3, allow_nan=False),
            st.integers(min_value=0, max_value=4),
            st.floats(min_value=0.0, max_value=10.0, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    ).filter(lambda rows: any(w > 0 for _, _, w in rows))
)
def test_decomposition_identity(rows):
    values, groups, weights = (list(c) for c in zip(*rows))
    d = theil_decomposition(values, groups, weights)
    tol = 1e-9 * (1 + abs(d["ti_total"]) + abs(d["mld_total"]))
    assert d["ti_between"] + d["ti_within"] == pytest.approx(d["ti_total"], abs=tol)
    assert d["mld_between"] + d["mld_within"] == pytest.approx(d["mld_total"], abs=tol)
    for k in ("ti_between", "ti_within", "mld_between", "mld_within"):
        assert d[k] >= -tol, k


def test_decomposition_a_weight_whose_share_underflows_counts_as_zero():
    # found by hypothesis: a subnormal weight beside 2.0 has a share of exactly 0, and its
    # group's mean was 0/0
    d = theil_decomposition([1.0, 3.0, 1.0], [0, 1, 1], [5e-324, 2.0, 2.0], multiplier=1)
    e = theil_decomposition([3.0, 1.0], [1, 1], multiplier=1)
    assert d == pytest.approx(e)
    assert d["ti_between"] == 0.0


def test_decomposition_equal_values_and_one_group():
    same = theil_decomposition([2.0] * 5, [0, 1, 1, 2, 2])
    for k in ("ti_total", "ti_between", "ti_within", "mld_total", "mld_between", "mld_within"):
        assert same[k] == pytest.approx(0.0, abs=1e-12), k
    one = theil_decomposition([1.0, 2.0, 6.0], [7, 7, 7])
    assert one["ti_between"] == pytest.approx(0.0, abs=1e-12)
    assert one["ti_within"] == pytest.approx(one["ti_total"])
    assert one["ti_total"] > 0


@pytest.mark.parametrize(
    ("values", "groups", "weights", "kwargs", "match"),
    [
        ([1.0, 0.0], [0, 1], None, {}, "> 0"),
        ([1.0, -1.0], [0, 1], None, {}, "> 0"),
        ([1.0, float("nan")], [0, 1], None, {}, "> 0"),
        ([1.0, 2.0], [0], None, {}, "same length"),
        ([1.0, 2.0], [0, 1], [1.0], {}, "shape"),
        ([1.0, 2.0], [0, 1], [1.0, -1.0], {}, "weights"),
        ([1.0, 2.0], [0, 1], [0.0, 0.0], {}, "at least one weight"),
        ([1.0, 2.0], [0, 1], None, {"multiplier": 0}, "multiplier"),
    ],
)
def test_decomposition_bad_input(values, groups, weights, kwargs, match):
    with pytest.raises(ValueError, match=match):
        theil_decomposition(values, groups, weights, **kwargs)


# ---------------------------------------------------------------------------
# HEAT Plus export
# ---------------------------------------------------------------------------
META = {
    "setting": "Baseline scenario",
    "date": 2025,
    "source": "diffusion-sim",
    "indicator_abbr": "engaged",
    "indicator_name": "Engaged with the health information (%)",
    "dimension": "Deprivation quintile",
}


def test_template_columns_in_order():
    assert HEAT_PLUS_COLUMNS == (
        "setting",
        "date",
        "source",
        "indicator_abbr",
        "indicator_name",
        "dimension",
        "subgroup",
        "estimate",
        "se",
        "ci_lb",
        "ci_ub",
        "population",
        "note",
        "setting_average",
        "iso3",
        "favourable_indicator",
        "indicator_scale",
        "ordered_dimension",
        "subgroup_order",
        "reference_subgroup",
    )
    assert HEAT_PLUS_LEGACY_COLUMNS[1] == "year" and HEAT_PLUS_LEGACY_COLUMNS[12] == "flag"
    assert len(HEAT_PLUS_LEGACY_COLUMNS) == 20


def test_export_rows_ordered_dimension():
    rows = heat_export_rows(
        [0.2, float("nan"), 0.4, 0.6],
        [0.15, float("nan"), 0.35, 0.55],
        [0.25, float("nan"), 0.45, float("nan")],
        [200, 0, 300, 500],
        subgroups=["Q1", "Q2", "Q3", "Q4"],
        se=[0.02, float("nan"), 0.03, 0.025],
        **META,
    )
    assert len(rows) == 3  # the empty group Q2 has no row
    assert all(tuple(r) == HEAT_PLUS_COLUMNS for r in rows)
    assert [r["subgroup"] for r in rows] == ["Q1", "Q3", "Q4"]
    assert [r["estimate"] for r in rows] == pytest.approx([20.0, 40.0, 60.0])
    assert [r["ci_lb"] for r in rows] == pytest.approx([15.0, 35.0, 55.0])
    assert rows[0]["ci_ub"] == pytest.approx(25.0) and rows[2]["ci_ub"] is None
    assert [r["se"] for r in rows] == pytest.approx([2.0, 3.0, 2.5])
    assert [r["population"] for r in rows] == [200, 300, 500]
    # setting average = 0.2·20 + 0.3·40 + 0.5·60 = 46
    assert all(r["setting_average"] == pytest.approx(46.0) for r in rows)
    assert [r["subgroup_order"] for r in rows] == [1, 2, 3]  # renumbered without gaps
    assert {r["ordered_dimension"] for r in rows} == {1}
    assert {r["reference_subgroup"] for r in rows} == {0}
    assert {r["favourable_indicator"] for r in rows} == {1}
    assert {r["indicator_scale"] for r in rows} == {100}
    assert {r["setting"] for r in rows} == {"Baseline scenario"}
    assert {r["date"] for r in rows} == {2025}
    assert rows[0]["iso3"] is None and rows[0]["note"] is None


def test_export_rows_binary_dimension_and_options():
    rows = heat_export_rows(
        [0.1, 0.3],
        [0.05, 0.2],
        [0.15, 0.4],
        [10, 30],
        favourable=False,
        scale=1000,
        setting_average=0.25,
        iso3="GBR",
        note="simulated",
        legacy_names=True,
        **META,
    )
    assert len(rows) == 2
    assert tuple(rows[0]) == HEAT_PLUS_LEGACY_COLUMNS
    assert [r["subgroup"] for r in rows] == ["Group 1", "Group 2"]
    assert [r["estimate"] for r in rows] == pytest.approx([100.0, 300.0])
    assert rows[0]["setting_average"] == pytest.approx(250.0)
    assert [r["ordered_dimension"] for r in rows] == [0, 0]
    assert [r["subgroup_order"] for r in rows] == [0, 0]
    assert [r["reference_subgroup"] for r in rows] == [0, 1]  # default: least deprived
    assert rows[0]["favourable_indicator"] == 0 and rows[0]["indicator_scale"] == 1000
    assert rows[0]["year"] == 2025 and rows[0]["flag"] == "simulated"
    assert rows[0]["iso3"] == "GBR"
    first_as_ref = heat_export_rows(
        [0.1, 0.3], [0.05, 0.2], [0.15, 0.4], [10, 30], **META, reference_group=0
    )
    assert [r["reference_subgroup"] for r in first_as_ref] == [1, 0]


def test_write_heat_csv_round_trip(tmp_path):
    rows = heat_export_rows(
        [0.2, 0.4, 0.6], [0.1, 0.3, 0.5], [0.3, 0.5, 0.7], [200, 300, 500], **META
    )
    rows += heat_export_rows(
        [0.5, 0.5, 0.5],
        [0.4, 0.4, 0.4],
        [0.6, 0.6, 0.6],
        [1, 1, 1],
        **{**META, "indicator_abbr": "aware"},
    )
    path = write_heat_csv(tmp_path / "heat.csv", rows)
    with path.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == HEAT_PLUS_COLUMNS
    assert len(table) == 1 + 6
    first = dict(zip(table[0], table[1]))
    assert first["estimate"] == "20.0" and first["ci_lb"] == "10.0"
    assert first["se"] == "" and first["note"] == "" and first["iso3"] == ""
    assert first["subgroup_order"] == "1" and first["indicator_scale"] == "100"
    assert float(first["setting_average"]) == pytest.approx(46.0)
    assert [row[3] for row in table[1:]] == ["engaged"] * 3 + ["aware"] * 3


def test_write_heat_csv_legacy_layout(tmp_path):
    rows = heat_export_rows([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1], legacy_names=True, **META)
    path = write_heat_csv(tmp_path / "legacy.csv", rows)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(HEAT_PLUS_LEGACY_COLUMNS)


def test_write_heat_csv_bad_rows(tmp_path):
    with pytest.raises(ValueError, match="no rows"):
        write_heat_csv(tmp_path / "x.csv", [])
    with pytest.raises(ValueError, match="HEAT Plus columns"):
        write_heat_csv(tmp_path / "x.csv", [{"setting": "a"}])
    new = heat_export_rows([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1], **META)
    old = heat_export_rows([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1], legacy_names=True, **META)
    with pytest.raises(ValueError, match="row 2"):
        write_heat_csv(tmp_path / "x.csv", new + old)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([0.2, 0.4], [0.25, 0.3], [0.3, 0.5], [1, 1]), {}, "ci_lower"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.35], [1, 1]), {}, "ci_upper"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1]), {"se": [0.1, -0.1]}, "standard errors"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1]), {"se": [0.1]}, "shape"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1]), {"subgroups": ["a", "a"]}, "unique"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1]), {"subgroups": ["a"]}, "unique"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1]), {"iso3": "UK"}, "iso3"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 0]), {}, "at least two"),
        (
            ([0.2, 0.4, 0.5], [0.1, 0.3, 0.4], [0.3, 0.5, 0.6], [1, 1, 1]),
            {"reference_group": 0},
            "no reference subgroup",
        ),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1]), {"setting": " "}, "setting is mandatory"),
        (([0.2, 0.4], [0.1, 0.3], [0.3, 0.5], [1, 1]), {"setting_average": -1.0}, "setting_av"),
    ],
)
def test_export_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        heat_export_rows(*args, **{**META, **kwargs})
