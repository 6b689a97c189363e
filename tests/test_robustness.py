"""Robustness across parameter uncertainty: the spec, the design, paired runs, and the
probability, distribution and regret measures on hand-worked values."""

import math
import re

import numpy as np
import pytest

from diffusion_sim.errors import ScenarioError
from diffusion_sim.replicate import replicate
from diffusion_sim.robustness import (
    KEPT,
    Robustness,
    RobustnessSpec,
    Uncertain,
    difference_rows,
    load_robustness,
    point_rows,
    probability_rows,
    regret_rows,
    run_robustness,
    wilson,
)
from diffusion_sim.scenario import default_scenario

SMALL = {"population.size": 200, "steps": 8, "intervention.seed_fraction": 0.05}
BASE = default_scenario().with_overrides({**SMALL, "name": "base"})
POLICY = BASE.with_overrides({"name": "closed", "network.strong_fraction": 0.6})


def comparison_file(tmp_path, ranges, extra=""):
    (tmp_path / "base.toml").write_text(
        'name = "base"\nsteps = 8\n[population]\nsize = 200\n')
    body = ("[comparison]\nbaseline = \"base.toml\"\n[scenarios.closed]\noverrides = { "
            "\"network.strong_fraction\" = 0.6 }\n[robustness]\npoints = 6\nreps = 2\n"
            + extra + "[robustness.ranges]\n" + ranges)
    (tmp_path / "cmp.toml").write_text(body)
    from diffusion_sim.compare import load_comparison

    base, scen, head = load_comparison(tmp_path / "cmp.toml")
    return tmp_path / "cmp.toml", base, scen, head


def test_spec_from_the_comparison_file(tmp_path):
    path, base, scen, head = comparison_file(
        tmp_path, '"transmission.transmissibility" = [0.2, 0.6]\n'
                  '"transmission.reinforcement" = [1, 3]\n')
    spec = load_robustness(path, base, scen, seed=head["seed"])
    assert (spec.points, spec.reps, spec.seed) == (6, 2, head["seed"])
    assert [(u.path, u.low, u.high, u.integer) for u in spec.ranges] == [
        ("transmission.transmissibility", 0.2, 0.6, False),
        ("transmission.reinforcement", 1.0, 3.0, True)]
    assert load_robustness(path, base, scen, seed=1, points=0) is None  # --points 0
    assert load_robustness(path, base, scen, seed=1, points=9).points == 9
    design = spec.design()
    assert design == spec.design()  # seeded
    # a Latin hypercube: one point in each sixth of every range
    t = np.array([d["transmission.transmissibility"] for d in design])
    assert sorted(((t - 0.2) / 0.4 * 6).astype(int)) == list(range(6))
    assert all(isinstance(d["transmission.reinforcement"], int) for d in design)


@pytest.mark.parametrize(("ranges", "match"), [
    ('"network.strong_fraction" = [0.2, 0.5]\n',
     r"cmp\.toml: robustness\.ranges\.network\.strong_fraction: 'closed' sets this parameter "
     r"\(0\.6; baseline 0\.3\): it is that policy's lever"),
    ('"transmission.transmissibility" = [0.6, 0.2]\n',
     r"robustness\.ranges\.transmission\.transmissibility: must be \[low, high\] numbers "
     r"with low < high"),
    ('"transmission.reshare_prob" = [0.0, 1.5]\n',
     r"robustness\.ranges\.transmission\.reshare_prob.*1\.5 is out of range \[0, 1\]"),
    ('"transmission.transmisibility" = [0.2, 0.6]\n',
     r"transmission\.transmisibility: unknown key \(did you mean 'transmissibility'\?\)"),
])
def test_bad_ranges_are_refused_before_anything_runs(tmp_path, ranges, match, capsys):
    path, base, scen, head = comparison_file(tmp_path, ranges)
    with pytest.raises(ScenarioError, match=match):
        load_robustness(path, base, scen, seed=1)
    from diffusion_sim.cli import main

    assert main(["validate", str(path)]) == 2  # validate reads the table too
    assert re.search(match, capsys.readouterr().err)


def test_validate_describes_the_robustness_table_and_points_are_capped(tmp_path, capsys):
    from diffusion_sim.cli import main

    path, base, scen, head = comparison_file(
        tmp_path, '"transmission.transmissibility" = [0.2, 0.6]\n')
    assert main(["validate", str(path)]) == 0
    assert ("robustness: 6 settings of 1 uncertain values x 2 replications"
            in capsys.readouterr().out)
    with pytest.raises(ScenarioError, match=r"--points: 2,000,000 is more than 1,000,000"):
        load_robustness(path, base, scen, seed=1, points=2_000_000)
    path.write_text(path.read_text().replace("points = 6", "points = 1_000_000_000"))
    with pytest.raises(ScenarioError, match=r"robustness\.points: 1000000000 is out of range"):
        load_robustness(path, base, scen, seed=1)


def test_a_range_over_a_drawn_parameter_is_refused(tmp_path, capsys):
    """With ``parameters_from`` every replicate takes the drawn value, so a range over
    a drawn key would vary nothing: refused (one line, exit 2) before anything runs."""
    from diffusion_sim.cli import main

    (tmp_path / "draws.csv").write_text(
        "draw,transmission.transmissibility\n0,0.3\n1,0.4\n")
    (tmp_path / "base.toml").write_text(
        'name = "base"\nsteps = 8\nparameters_from = "draws.csv"\n[population]\nsize = 200\n')
    (tmp_path / "cmp.toml").write_text(
        "[comparison]\nbaseline = \"base.toml\"\n[scenarios.closed]\noverrides = { "
        "\"network.strong_fraction\" = 0.6 }\n[robustness]\npoints = 6\nreps = 2\n"
        "[robustness.ranges]\n\"transmission.transmissibility\" = [0.2, 0.6]\n")
    assert main(["compare", str(tmp_path / "cmp.toml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"diffusion-sim: error: {tmp_path / 'cmp.toml'}: robustness.ranges."
                   "transmission.transmissibility: drawn from draws.csv in every replicate "
                   "(the draw would overrule the range); vary another parameter"]
    assert not (tmp_path / "out").exists()


def test_the_memory_check_covers_the_largest_setting(tmp_path, capsys):
    """A range that makes the population bigger than the baseline's is checked for
    memory at its largest setting, before anything runs."""
    from diffusion_sim.cli import main

    path, *_ = comparison_file(tmp_path, '"population.size" = [100, 50000000]\n')
    assert main(["compare", str(path), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--max-memory", "2G"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs about" in err[0] and "people" in err[0], err
    assert "2 GiB is available (--max-memory)" in err[0], err
    assert not (tmp_path / "out").exists()


def test_points_without_ranges_is_refused(tmp_path, capsys):
    from diffusion_sim.cli import main

    (tmp_path / "a.toml").write_text('name = "a"\nsteps = 4\n[population]\nsize = 100\n')
    (tmp_path / "b.toml").write_text('name = "b"\nsteps = 4\n[population]\nsize = 100\n')
    assert main(["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"),
                 "--points", "10", "--out", str(tmp_path / "o")]) == 2
    assert "--points: robustness needs a comparison file" in capsys.readouterr().err
    (tmp_path / "cmp.toml").write_text('[comparison]\nbaseline = "a.toml"\n'
                                       '[scenarios.b]\nfile = "b.toml"\n')
    assert main(["compare", str(tmp_path / "cmp.toml"), "--points", "10"]) == 2
    assert "has no [robustness] table" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_unknown_robustness_setting_is_one_line(tmp_path):
    path, base, scen, _ = comparison_file(tmp_path, '"transmission.transmissibility" = '
                                                    '[0.2, 0.6]\n', extra="pionts = 3\n")
    with pytest.raises(ScenarioError, match=r"robustness\.pionts: unknown key \(did you "
                                            r"mean 'points'\?\)"):
        load_robustness(path, base, scen, seed=1)


@pytest.fixture(scope="module")
def small_run():
    spec = RobustnessSpec((Uncertain("transmission.transmissibility", 0.2, 0.8, 0.4),),
                          points=4, reps=2, seed=5)
    same = BASE.with_overrides({"name": "same"})
    return spec, run_robustness(spec, BASE, [POLICY, same], workers=2)


def test_runs_are_paired_at_each_point_and_reproducible(small_run):
    spec, rob = small_run
    assert rob.values["base"].shape == (4, 2, len(KEPT)) and rob.n_runs == 24
    # point k, replicate r of a scenario is SeedSequence(seed, spawn_key=(k, r))
    k, r = 2, 1
    point = rob.design[k]
    again = replicate(POLICY.with_overrides(point), spec.seed, (k, r)).summary
    assert rob.values["closed"][k, r, KEPT.index("engaged_final")] == again["engaged_final"]
    # a policy identical to the baseline differs by exactly 0 everywhere: never better
    mean, lo, hi = rob.paired("same", "engaged_final")
    assert np.all(mean == 0) and np.all(lo == 0) and np.all(hi == 0)
    same = {r["criterion"]: r for r in probability_rows(rob) if r["policy"] == "same"}
    assert all(r["p_better"] == 0 and r["p_clearly_worse"] == 0 for r in same.values())


def fake(values_by_name, reps=2, favourable=True):
    """A Robustness with chosen per-point values of engaged_final / engaged_gap /
    unwanted_per_act (each a (points, reps) array; other metrics 0)."""
    names = list(values_by_name)
    points = next(iter(values_by_name.values()))["engaged_final"].shape[0]
    spec = RobustnessSpec((Uncertain("x", 0.0, 1.0, 0.5),), points=points, reps=reps)
    vals = {}
    for n, d in values_by_name.items():
        arr = np.zeros((points, reps, len(KEPT)))
        for k, v in d.items():
            arr[:, :, KEPT.index(k)] = v
        vals[n] = arr
    design = [{"x": (i + 0.5) / points} for i in range(points)]
    return Robustness(spec, names[0], names[1:], design, vals, favourable)


def col(*per_point):
    """(points, 2) with replicates value ± 0.01 (mean = value, a finite interval)."""
    v = np.array(per_point, dtype=float)[:, None]
    return np.hstack([v - 0.01, v + 0.01])


def test_probability_of_beating_the_baseline_by_hand():
    base = {"engaged_final": col(0.3, 0.3, 0.3, 0.3), "engaged_gap": col(0.1, 0.1, 0.1, 0.1),
            "unwanted_per_act": col(0.1, 0.1, 0.1, 0.1)}
    # reach: better at 3 of 4 points; gap: narrower at 1; unwanted: lower at 2
    pol = {"engaged_final": col(0.4, 0.35, 0.31, 0.2), "engaged_gap": col(0.05, 0.2, 0.2, 0.2),
           "unwanted_per_act": col(0.05, 0.05, 0.2, 0.2)}
    rob = fake({"base": base, "pol": pol})
    rows = {r["criterion"]: r for r in probability_rows(rob)}
    assert rows["reach"]["p_better"] == 0.75 and rows["gap"]["p_better"] == 0.25
    assert rows["privacy"]["p_better"] == 0.5
    assert (rows["reach"]["p_low"], rows["reach"]["p_high"]) == wilson(3, 4)
    # the paired differences per point are ±0.01 around their mean: 2 replicates,
    # differences (d − 0, d + 0) ... identical noise: zero-width intervals, all clear
    assert rows["reach"]["p_clearly_better"] == 0.75 and rows["reach"]["p_clearly_worse"] == 0.25


def test_a_reversal_larger_than_the_gap_is_not_a_narrowing():
    """Baseline gap +0.1 everywhere; the policy makes it 0.05, −0.05, −0.15 and −0.3:
    nearer 0 at the first two points only (|−0.15| and |−0.3| exceed 0.1), so the
    gap is narrowed at half the points, and the last two are clearly worse."""
    from diffusion_sim.report.verdict import improves

    base = {"engaged_final": col(0.3, 0.3, 0.3, 0.3), "engaged_gap": col(0.1, 0.1, 0.1, 0.1),
            "unwanted_per_act": col(0.1, 0.1, 0.1, 0.1)}
    pol = {**base, "engaged_gap": col(0.05, -0.05, -0.15, -0.3)}
    rows = {r["criterion"]: r for r in probability_rows(fake({"base": base, "pol": pol}))}
    assert rows["gap"]["p_better"] == 0.5
    assert rows["gap"]["p_clearly_better"] == 0.5 and rows["gap"]["p_clearly_worse"] == 0.5
    assert list(improves("engaged_gap", 0.1, np.array([-0.05, -0.15, -0.2, -0.25, 0.01]))) == [
        True, True, False, False, False]
    assert list(improves("engaged_gap", -0.1, np.array([0.05, 0.25, -0.01]))) == [
        True, False, False]
    assert improves("engaged_final", 0.3, 0.01) and not improves("engaged_final", 0.3, 0.01,
                                                                   favourable=False)
    assert improves("unwanted_per_act", 0.1, -0.01) and not improves("unwanted_per_act", 0.1,
                                                                       0.01)


def test_wilson_interval_known_values():
    # Wilson (1927) 95 % intervals: 0/10 -> [0, 0.2775], 5/10 -> [0.2366, 0.7634]
    assert wilson(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson(5, 10) == pytest.approx((0.23659, 0.76341), abs=1e-5)
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_regret_by_hand():
    base = {"engaged_final": col(0.30, 0.40), "engaged_gap": col(0.10, -0.02),
            "unwanted_per_act": col(0.10, 0.10)}
    a = {"engaged_final": col(0.35, 0.38), "engaged_gap": col(0.15, 0.05),
         "unwanted_per_act": col(0.12, 0.09)}
    b = {"engaged_final": col(0.33, 0.45), "engaged_gap": col(-0.05, 0.20),
         "unwanted_per_act": col(0.10, 0.10)}
    rob = fake({"base": base, "a": a, "b": b})
    scale = {k: 100.0 for k in KEPT} | {"unwanted_per_act": 1.0}
    got = {(r["criterion"], r["scenario"]): r for r in regret_rows(rob, scale)}
    # reach: best 0.35 then 0.45; base regrets 5 and 5 pp, a 0 and 7, b 2 and 0
    assert got[("reach", "base")]["mean_regret"] == pytest.approx(5.0)
    assert got[("reach", "a")]["max_regret"] == pytest.approx(7.0)
    assert got[("reach", "b")]["mean_regret"] == pytest.approx(1.0)
    assert got[("reach", "a")]["share_best"] == 0.5
    # gap: |gap| 0.10/0.02 (base), 0.15/0.05 (a), 0.05/0.20 (b); best 0.05, 0.02
    assert got[("gap", "base")]["mean_regret"] == pytest.approx((5 + 0) / 2)
    assert got[("gap", "b")]["max_regret"] == pytest.approx(18.0)
    # privacy: fewest 0.10 then 0.09
    assert got[("privacy", "a")]["mean_regret"] == pytest.approx((0.02 + 0) / 2)
    assert got[("privacy", "base")]["max_regret"] == pytest.approx(0.01)


def test_difference_distribution_and_point_rows():
    base = {"engaged_final": col(0.3, 0.3, 0.3, 0.3, 0.3)}
    pol = {"engaged_final": col(0.31, 0.32, 0.33, 0.34, 0.35)}
    rob = fake({"base": base, "pol": pol})
    rows = {r["metric"]: r for r in difference_rows(rob, {k: 100.0 for k in KEPT})}
    r = rows["engaged_final"]
    assert (r["min"], r["median"], r["max"]) == pytest.approx((1.0, 3.0, 5.0))
    assert r["q25"] == pytest.approx(2.0) and r["mean"] == pytest.approx(3.0)
    pts = point_rows(rob)
    assert len(pts) == 5 and pts[4]["diff_engaged_final"] == pytest.approx(0.05)
    assert pts[0]["x"] == 0.1 and pts[0]["baseline_engaged_final"] == pytest.approx(0.3)


def test_an_adverse_outcome_turns_reach_around():
    base = {"engaged_final": col(0.3, 0.3)}
    pol = {"engaged_final": col(0.4, 0.2)}
    rob = fake({"base": base, "pol": pol}, favourable=False)
    reach = next(r for r in probability_rows(rob) if r["criterion"] == "reach")
    assert reach["p_better"] == 0.5
    got = {r["scenario"]: r for r in regret_rows(rob, {k: 1.0 for k in KEPT})
           if r["criterion"] == "reach"}
    assert got["pol"]["max_regret"] == pytest.approx(0.1)  # 0.4 against the lower 0.3
