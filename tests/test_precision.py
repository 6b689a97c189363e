"""--ci-width per measure, in the measure's own unit or relative to the baseline."""

import math

import pytest

from diffusion_sim.compare import load_comparison, run_comparison
from diffusion_sim.errors import ScenarioError
from diffusion_sim.measures import headlines
from diffusion_sim.precision import parse_ci_width, precision_status
from diffusion_sim.scenario import default_scenario

MEASURES = headlines(5)


def test_a_bare_number_targets_reach_and_gap_in_percentage_points():
    t = parse_ci_width(2, MEASURES)
    assert [(x.measure.key, x.width, x.relative) for x in t] == [
        ("engaged_final", 2.0, False), ("engaged_gap", 2.0, False)]
    assert parse_ci_width("2", MEASURES) == t
    assert t[0].describe() == "engaged_final < 2 percentage points"


def test_named_targets_in_own_units_and_relative():
    t = parse_ci_width("engaged_final=1.5, unwanted_per_act=10%,engaged_rii=0.2", MEASURES)
    got = {x.measure.key: (x.width, x.relative) for x in t}
    assert got == {"engaged_final": (1.5, False), "unwanted_per_act": (0.1, True),
                   "engaged_rii": (0.2, False)}
    rel = next(x for x in t if x.relative)
    # 10 % of a baseline mean of 0.11 disclosures per act: 0.011 per act (scale 1)
    assert rel.limit(0.11) == pytest.approx(0.011)
    assert rel.describe() == "unwanted_per_act < 10 % of the baseline's value"
    table = parse_ci_width({"engaged_final": 1.5, "unwanted_per_act": "10%"}, MEASURES)
    assert [(x.measure.key, x.width, x.relative) for x in table] == [
        ("engaged_final", 1.5, False), ("unwanted_per_act", 0.1, True)]


@pytest.mark.parametrize(("spec", "match"), [
    ("engaged_fnal=2", r"--ci-width: engaged_fnal: not a headline measure \(did you mean "
                       r"'engaged_final'\?\)"),
    ("engaged_final=-1", r"--ci-width: engaged_final: must be a positive number"),
    ("engaged_final=0", r"--ci-width: engaged_final: must be a positive number"),
    ("engaged_final=abc", r"--ci-width: engaged_final: must be a positive number or a "
                          r"percentage"),
    ("wide", r"--ci-width: must be a positive number or a percentage"),
    ({}, r"--ci-width: no measure named"),
    (True, r"--ci-width: must be a positive number or a percentage"),
    ("engaged_final=1,gap", r"--ci-width: 'gap': expected MEASURE=WIDTH"),
])
def test_bad_targets_are_one_line(spec, match):
    with pytest.raises(ScenarioError, match=match):
        parse_ci_width(spec, MEASURES)


def diff(sc, metric, lo, hi, base=0.5):
    return {"scenario": sc, "metric": metric, "diff_low": lo, "diff_high": hi,
            "baseline_mean": base}


def test_status_compares_each_interval_with_its_own_target():
    t = parse_ci_width("engaged_final=2,unwanted_per_act=10%", MEASURES)
    rows = [diff("a", "engaged_final", 0.10, 0.115),    # 1.5 pp < 2
            diff("a", "unwanted_per_act", 0.01, 0.02, base=0.11),  # 0.01 < 0.011
            diff("b", "engaged_final", -0.01, 0.009),   # 1.9 pp < 2
            diff("b", "unwanted_per_act", 0.0, 0.0105, base=0.11)]
    met, text = precision_status(rows, t)
    # the tightest: 0.0105 / 0.011 = 0.955 of its target (1.9 / 2 = 0.95)
    assert met and text == "unwanted_per_act in b: 0.0105 against 0.011 per act"
    rows[3] = diff("b", "unwanted_per_act", 0.0, 0.012, base=0.11)  # 0.012 > 0.011
    met, text = precision_status(rows, t)
    assert not met and text == "unwanted_per_act in b: 0.012 against 0.011 per act"
    rows[0] = diff("a", "engaged_final", math.nan, math.nan)  # not finite yet
    assert precision_status(rows, t) == (False, "engaged_final in a: nan against 2 "
                                                "percentage points")


SMALL = {"population.size": 300, "steps": 10, "intervention.seed_fraction": 0.05}


def test_comparison_stops_when_the_named_targets_are_met():
    base = default_scenario().with_overrides({**SMALL, "name": "base"})
    more = default_scenario().with_overrides({**SMALL, "name": "more",
                                              "transmission.transmissibility": 0.8})
    comp = run_comparison(base, [more], seed=2, workers=1, max_reps=30, batch=3,
                          ci_width="engaged_final=30,unwanted_per_act=300%")
    assert comp.reps < 30
    assert precision_status(comp.differences(), parse_ci_width(
        "engaged_final=30,unwanted_per_act=300%", comp.measures))[0]
    assert comp.stop_reason.startswith("every targeted interval narrower than its target "
                                       "(engaged_final < 30 percentage points; "
                                       "unwanted_per_act < 300 % of the baseline's value)")
    # the per-group measures are not targeted: they would need far more replications
    d = {r["metric"]: r for r in comp.differences()}
    assert (d["engaged_final_g1"]["diff_high"] - d["engaged_final_g1"]["diff_low"]) > (
        d["engaged_final"]["diff_high"] - d["engaged_final"]["diff_low"])


def test_comparison_file_ci_width_is_checked_before_anything_runs(tmp_path):
    (tmp_path / "base.toml").write_text('name = "b"\nsteps = 4\n[population]\nsize = 100\n')
    (tmp_path / "cmp.toml").write_text(
        '[comparison]\nbaseline = "base.toml"\nci_width = { engaged_final = 1, '
        'unwanted_per_act = "5 %" }\n[scenarios.more]\noverrides = { "decision.share_rate" '
        '= 0.9 }\n')
    _, _, head = load_comparison(tmp_path / "cmp.toml")
    assert head["ci_width"] == {"engaged_final": 1, "unwanted_per_act": "5 %"}
    (tmp_path / "bad.toml").write_text(
        '[comparison]\nbaseline = "base.toml"\nci_width = "engaged_gpa=2"\n'
        '[scenarios.more]\noverrides = { "decision.share_rate" = 0.9 }\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml: comparison\.ci_width: engaged_gpa: "
                                            r"not a headline measure \(did you mean "
                                            r"'engaged_gap'\?\)"):
        load_comparison(tmp_path / "bad.toml")
