"""HEAT measures per replicate with intervals across replications, and the HEAT Plus
file of run/compare: hand-worked values and the published formulas."""

import csv
import math

import numpy as np
import pytest
from scipy.special import xlogy

from diffusion_sim.heat import heat_measures
from diffusion_sim.heat_export import HEAT_PLUS_COLUMNS
from diffusion_sim.heat_runs import (
    HEAT_LABELS,
    MEASURE_KEYS,
    binary_theil,
    heat_plus_rows,
    heat_rows,
    replicate_measures,
)
from diffusion_sim.metrics import mean_ci
from diffusion_sim.runs import run_replications
from diffusion_sim.scenario import default_scenario

Y, N = [0.2, 0.4, 0.6], [200, 300, 500]


def test_binary_theil_by_hand():
    t = binary_theil(Y, N)
    # mu = 0.2·0.2 + 0.3·0.4 + 0.5·0.6 = 0.46; T = −ln 0.46
    assert t["ti_individual"] == pytest.approx(1000 * -math.log(0.46))  # 776.53
    # within: Σ S_g (y_g/μ)(−ln y_g)
    within = (0.2 * (0.2 / 0.46) * -math.log(0.2) + 0.3 * (0.4 / 0.46) * -math.log(0.4)
              + 0.5 * (0.6 / 0.46) * -math.log(0.6))
    assert t["ti_within"] == pytest.approx(1000 * within)  # 712.13
    # the between part is HEAT's TI on the group proportions: Σ p_g r_g ln r_g, r = y/μ
    ti = heat_measures(Y, N)["ti"]
    assert ti == pytest.approx(1000 * sum(p * (y / 0.46) * math.log(y / 0.46) for p, y in
                                          ((0.2, 0.2), (0.3, 0.4), (0.5, 0.6))))  # 64.398
    assert t["ti_individual"] - t["ti_within"] == pytest.approx(ti)
    assert t["ti_between_share"] == pytest.approx(100 * ti / t["ti_individual"])


def test_binary_theil_equals_the_theil_index_of_every_person():
    # 1000 people, person by person: x_i ∈ {0, 1}
    x = np.concatenate([np.r_[np.ones(40), np.zeros(160)], np.r_[np.ones(120), np.zeros(180)],
                        np.r_[np.ones(300), np.zeros(200)]])
    g = np.repeat([0, 1, 2], N)
    mu = x.mean()
    total = np.mean(xlogy(x / mu, x / mu))
    within = sum((g == k).mean() * (x[g == k].mean() / mu)
                 * np.mean(xlogy(x[g == k] / x[g == k].mean(), x[g == k] / x[g == k].mean()))
                 for k in range(3))
    t = binary_theil(Y, N)
    assert t["ti_individual"] == pytest.approx(1000 * total, rel=1e-12)
    assert t["ti_within"] == pytest.approx(1000 * within, rel=1e-12)


def test_binary_theil_edge_cases():
    assert all(math.isnan(v) for v in binary_theil([0, 0], [5, 5]).values())
    everybody = binary_theil([1.0, 1.0], [5, 5])
    assert everybody["ti_individual"] == 0 and everybody["ti_within"] == 0
    assert math.isnan(everybody["ti_between_share"])
    # a group where nobody has the outcome adds nothing within; empty groups are ignored
    t = binary_theil([0.0, 0.5, 0.9], [10, 10, 0])
    assert t["ti_within"] == pytest.approx(1000 * 0.5 * (0.5 / 0.25) * -math.log(0.5))
    assert t["ti_individual"] == pytest.approx(1000 * -math.log(0.25))


def run_summary(values, prefix="engaged_final"):
    out = {f"{prefix}_g{g + 1}": v for g, v in enumerate(values)}
    out.update({f"sustained_final_g{g + 1}": v / 2 for g, v in enumerate(values)})
    return out


def test_replicate_measures_are_heat_measures_of_that_replicate():
    m = replicate_measures(run_summary(Y), N, "engaged_final")
    want = heat_measures(Y, N)
    for k, v in want.items():
        assert m[k] == pytest.approx(v)
    assert tuple(m) == MEASURE_KEYS and set(HEAT_LABELS) == set(MEASURE_KEYS)
    adverse = replicate_measures(run_summary(Y), N, "engaged_final", favourable=False)
    assert adverse["mdbw"] == pytest.approx(heat_measures(Y, N, favourable=False)["mdbw"])


def test_heat_rows_mean_interval_and_paired_difference_by_hand():
    # three replicates of a baseline and a policy; the policy lifts group 1 by 0.1
    base = [run_summary([0.2, 0.4, 0.6]), run_summary([0.3, 0.4, 0.5]),
            run_summary([0.1, 0.5, 0.6])]
    pol = [run_summary([0.3, 0.4, 0.6]), run_summary([0.4, 0.4, 0.5]),
           run_summary([0.2, 0.5, 0.6])]
    rows = heat_rows({"base": base, "pol": pol}, {"base": N, "pol": N}, baseline="base")
    got = {(r["scenario"], r["outcome"], r["measure"]): r for r in rows}
    # setting average per replicate: 46, 43, 47 (base); 48, 45, 49 (policy: +0.2·10)
    r = got[("base", "engaged", "setting_average")]
    assert (r["mean"], r["low"], r["high"]) == pytest.approx(mean_ci([46, 43, 47]))
    assert math.isnan(r["diff"])
    p = got[("pol", "engaged", "setting_average")]
    assert p["diff"] == pytest.approx(2.0)
    assert p["diff_low"] == pytest.approx(2.0) and p["diff_high"] == pytest.approx(2.0)
    # BGSD of each replicate by the published formula, then their mean
    bgsd = [heat_measures(v, N)["bgsd"] for v in ([0.2, .4, .6], [.3, .4, .5], [.1, .5, .6])]
    assert got[("base", "engaged", "bgsd")]["mean"] == pytest.approx(np.mean(bgsd))
    assert got[("base", "sustained", "bgsd")]["mean"] == pytest.approx(np.mean(bgsd) / 2)
    assert got[("pol", "engaged", "bgsd")]["unit"] == "percentage points"
    assert got[("pol", "engaged", "bgsd")]["n"] == 3
    # MLD is finite here (no group at 0); with a group at 0 it is infinite: no interval
    zero = heat_rows({"z": [run_summary([0.0, 0.5, 0.5])] * 2}, {"z": N})
    mld = next(r for r in zero if r["measure"] == "mld" and r["outcome"] == "engaged")
    assert mld["n"] == 0 and math.isnan(mld["mean"])


def test_heat_plus_rows_hold_the_per_group_means_and_intervals():
    reps = [run_summary([0.2, 0.4, 0.6]), run_summary([0.3, 0.4, 0.5])]
    names = ["Q1 (most deprived)", "Q2", "Q3 (least deprived)"]
    rows = heat_plus_rows({"base": reps}, {"base": N}, names, "IMD tertile", steps=52,
                          date=2026)
    assert len(rows) == 6  # 2 outcomes x 3 groups
    eng = [r for r in rows if r["indicator_abbr"] == "engaged"]
    assert [r["subgroup"] for r in eng] == names
    assert [r["subgroup_order"] for r in eng] == [1, 2, 3]
    m, lo, hi = mean_ci([0.2, 0.3])
    assert eng[0]["estimate"] == pytest.approx(100 * m)
    assert (eng[0]["ci_lb"], eng[0]["ci_ub"]) == pytest.approx((100 * lo, 100 * hi))
    assert eng[0]["se"] == pytest.approx(100 * np.std([0.2, 0.3], ddof=1) / math.sqrt(2))
    # group 2 is 0.4 in both replicates: a zero-width interval, se 0
    assert eng[1]["ci_lb"] == eng[1]["ci_ub"] == pytest.approx(40.0) and eng[1]["se"] == 0
    assert eng[0]["population"] == 200 and eng[0]["dimension"] == "IMD tertile"
    assert eng[0]["setting"] == "Scenario base" and eng[0]["favourable_indicator"] == 1
    assert eng[0]["indicator_name"] == ("People ever engaged with the health information by "
                                        "week 52 (%)")
    assert eng[0]["setting_average"] == pytest.approx(100 * (0.2 * .25 + .3 * .4 + .5 * .55))
    sus = [r for r in rows if r["indicator_abbr"] == "sustained"]
    assert sus[0]["estimate"] == pytest.approx(50 * m)


def test_run_writes_heat_tables_named_by_the_scenario(tmp_path):
    sc = default_scenario().with_overrides({
        "population.size": 300, "steps": 8, "intervention.seed_fraction": 0.05,
        "population.group_shares": [0.5, 0.5], "population.group_names": ["Deprived", "Not"],
        "population.dimension": "Deprivation half", "population.favourable": True})
    run_replications(sc, 3, 5, tmp_path / "out", figures=False)
    heat = list(csv.DictReader(open(tmp_path / "out" / "heat.csv")))
    runs = list(csv.DictReader(open(tmp_path / "out" / "runs.csv")))
    avg = next(r for r in heat if r["measure"] == "setting_average" and
               r["outcome"] == "engaged")
    assert float(avg["mean"]) == pytest.approx(
        100 * np.mean([float(r["engaged_final"]) for r in runs]))
    plus = list(csv.reader(open(tmp_path / "out" / "heat_plus.csv")))
    assert tuple(plus[0]) == HEAT_PLUS_COLUMNS
    body = [dict(zip(plus[0], r)) for r in plus[1:]]
    assert [r["subgroup"] for r in body[:2]] == ["Deprived", "Not"]
    assert {r["dimension"] for r in body} == {"Deprivation half"}
    # two groups: HEAT Plus's binary dimension, the least deprived group the reference
    assert [r["reference_subgroup"] for r in body[:2]] == ["0", "1"]
    assert float(body[0]["estimate"]) == pytest.approx(
        100 * np.mean([float(r["engaged_final_g1"]) for r in runs]))


def test_a_population_all_in_one_group_runs_without_a_heat_plus_file(tmp_path):
    """A node file that puts everybody in group 1: reach is measured, HEAT Plus has
    no groups to compare (no file, no traceback), the figure has no NaN warnings."""
    import warnings

    (tmp_path / "nodes.csv").write_text("id,group\n" + "".join(
        f"p{i},1\n" for i in range(150)))
    (tmp_path / "one.toml").write_text('name = "one"\nsteps = 6\n[population]\n'
                                       'nodes_file = "nodes.csv"\n')
    from diffusion_sim.scenario import load

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        done = run_replications(load(tmp_path / "one.toml"), 2, 5, tmp_path / "out")
    assert len(done.runs) == 2 and done.runs[0]["engaged_final"] > 0
    assert (tmp_path / "out" / "heat.csv").exists()
    assert not (tmp_path / "out" / "heat_plus.csv").exists()
    assert (tmp_path / "out" / "reach_by_group.png").exists()


def test_compare_writes_heat_tables_with_paired_differences(tmp_path):
    from diffusion_sim.compare import run_comparison
    from diffusion_sim.report import write_comparison_report

    small = {"population.size": 300, "steps": 8, "intervention.seed_fraction": 0.05}
    base = default_scenario().with_overrides({**small, "name": "base"})
    more = default_scenario().with_overrides({**small, "name": "more",
                                              "transmission.transmissibility": 0.9})
    comp = run_comparison(base, [more], reps=4, seed=2, workers=1)
    path = write_comparison_report(comp, tmp_path / "out")
    heat = {(r["scenario"], r["outcome"], r["measure"]): r
            for r in csv.DictReader(open(path.parent / "heat.csv"))}
    a = [100 * r["engaged_final"] for r in comp.runs["base"]]
    b = [100 * r["engaged_final"] for r in comp.runs["more"]]
    got = heat[("more", "engaged", "setting_average")]
    assert float(got["diff"]) == pytest.approx(np.mean(np.subtract(b, a)))
    assert float(heat[("base", "engaged", "setting_average")]["mean"]) == pytest.approx(
        np.mean(a))
    plus = list(csv.DictReader(open(path.parent / "heat_plus.csv")))
    assert {r["setting"] for r in plus} == {"Scenario base", "Scenario more"}
    assert len(plus) == 2 * 2 * 5  # scenarios x outcomes x groups
