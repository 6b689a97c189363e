"""The report leads with the decision: the verdict, the trade-off, what it rests on;
tidy numbers for programs; vector figures; colours a colour-blind reader can tell apart."""

import csv
import itertools
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from diffusion_sim.compare import Comparison, run_comparison
from diffusion_sim.measures import headlines
from diffusion_sim.report import write_comparison_report
from diffusion_sim.report.palette import (
    CVD_MATRICES,
    MIN_DELTA_E,
    SCENARIO_COLOURS,
    delta_e,
    group_colours,
    lab,
    simulate,
)
from diffusion_sim.report.verdict import effects, verdict_sentences
from diffusion_sim.scenario import default_scenario

# ----------------------------------------------------------------------------- palette


def test_cvd_simulation_matches_machado_and_cielab_matches_its_definition():
    # Machado et al. (2009), deuteranopia severity 1: pure green maps to column 2
    assert simulate("#00ff00", "deuteranopia") == pytest.approx([0.860646, 0.672501, 0.042940])
    assert simulate("#ff0000", "protanopia") == pytest.approx([0.152286, 0.114503, 0.0])
    # each matrix keeps white white (rows sum to 1)
    for m in CVD_MATRICES.values():
        assert m.sum(axis=1) == pytest.approx(np.ones(3), abs=2e-6)
    assert lab(simulate("#ffffff", None)) == pytest.approx([100, 0, 0], abs=1e-3)
    assert delta_e("#000000", "#ffffff") == pytest.approx(100, abs=1e-3)


@pytest.mark.parametrize("deficiency", [None, "deuteranopia", "protanopia", "tritanopia"])
def test_every_pair_of_scenario_colours_differs_for_colour_blind_readers(deficiency):
    worst = min(delta_e(a, b, deficiency) for a, b in itertools.combinations(
        SCENARIO_COLOURS, 2))
    assert worst >= MIN_DELTA_E


def test_the_check_would_catch_the_old_palette():
    # the old group palette had grey beside reddish purple: 7 ΔE apart for a deuteranope
    assert delta_e("#CC79A7", "#999999", "deuteranopia") < MIN_DELTA_E


@pytest.mark.parametrize("n", [2, 3, 4, 5])
@pytest.mark.parametrize("deficiency", [None, "deuteranopia", "protanopia", "tritanopia"])
def test_group_colours_are_ordered_by_lightness_and_neighbours_differ(n, deficiency):
    cols = group_colours(n)
    light = [lab(simulate(c, deficiency))[0] for c in cols]
    assert all(a < b for a, b in itertools.pairwise(light))  # darkest = most deprived
    assert min(delta_e(a, b, deficiency) for a, b in itertools.pairwise(cols)) >= MIN_DELTA_E
    assert not set(cols) & set(SCENARIO_COLOURS)  # another palette


# ----------------------------------------------------------------------------- verdict
BASE = default_scenario().with_overrides({"name": "base", "population.size": 200,
                                          "steps": 4})


def fake_comparison(effects_by_policy, reps=12, seed=0):
    """A Comparison with chosen paired differences (no simulation): each policy's
    replicate r is the baseline's plus the effect plus a little noise."""
    rng = np.random.default_rng(seed)
    keys = [m.key for m in headlines(5)]
    base_runs = [{k: 0.3 + 0.02 * rng.standard_normal() for k in keys} for _ in range(reps)]
    for r in base_runs:
        r["engaged_gap"], r["unwanted_per_act"] = 0.12 + 0.01 * rng.standard_normal(), 0.11
    scen = [BASE.with_overrides({"name": p}) for p in effects_by_policy]
    runs = {"base": base_runs}
    for p, eff in effects_by_policy.items():
        noise = 0.002 * rng.standard_normal((reps, len(keys)))
        noise -= noise.mean(axis=0)  # the mean paired difference is exactly the effect
        runs[p] = [{k: v + eff.get(k, 0.0) + noise[i, j] for j, (k, v) in enumerate(r.items())}
                   for i, r in enumerate(base_runs)]
    return Comparison(name="fake", baseline=BASE, scenarios=scen, seed=0, runs=runs)


def test_verdict_names_the_only_policy_that_raises_reach_and_narrows_the_gap():
    comp = fake_comparison({
        "inclusion": {"engaged_final": 0.05, "engaged_gap": -0.03},
        "groups": {"engaged_final": 0.15, "engaged_gap": 0.06, "unwanted_per_act": 0.03},
        "noop": {}})
    eff = effects(comp)
    assert eff["inclusion"]["reach"].word == "better" and eff["inclusion"]["gap"].word == "better"
    assert eff["groups"]["gap"].word == "worse" and eff["groups"]["privacy"].word == "worse"
    assert eff["noop"]["reach"].word == "unclear"
    s = verdict_sentences(comp)
    assert s[0] == ("Only inclusion both raises reach and narrows the gap between the least "
                    "and the most deprived groups.")
    text = " ".join(s)
    assert "With groups, reach rises (+15.0 pp) but the gap widens (+6.0 pp)." in text
    assert ("Privacy cost: groups clearly raise unwanted disclosures per sharing act "
            "(baseline 0.110; groups +0.030 per act (+27 %))." in text)
    assert "With noop: no clear change in reach, the gap or unwanted disclosure." in text
    assert s[1].startswith("With inclusion: reach +5.0 pp (")


def test_verdict_when_no_policy_narrows_the_gap_and_with_robustness():
    comp = fake_comparison({"a": {"engaged_final": 0.05}, "b": {"engaged_final": 0.1,
                                                                  "engaged_gap": 0.05}})
    rob = [{"policy": "a", "criterion": "reach", "p_better": 0.9},
           {"policy": "a", "criterion": "gap", "p_better": 0.35},
           {"policy": "b", "criterion": "reach", "p_better": 1.0},
           {"policy": "b", "criterion": "gap", "p_better": 0.0}]
    s = verdict_sentences(comp, rob, n_points=40)
    assert s[0].startswith("No policy clearly both raises reach and narrows the gap")
    assert s[1].startswith("With a: reach +5.0 pp") and "no clear change in the gap" in s[1]
    assert s[-1] == ("If the illustrative values are wrong (within the ranges stated below, "
                     "40 settings): a raises reach in 90 % of them and narrows the gap in 35 %;"
                     " b raises reach in 100 % of them and narrows the gap in 0 %.")


def test_a_policy_that_loses_reach_is_named():
    comp = fake_comparison({"narrow": {"engaged_final": -0.04}})
    assert "With narrow, reach falls (-4.0 pp)." in verdict_sentences(comp)


def test_a_gap_that_favours_the_deprived_narrows_when_it_rises():
    comp = fake_comparison({"a": {"engaged_gap": 0.05}})
    for r in comp.runs["base"] + comp.runs["a"]:
        r["engaged_gap"] -= 0.3  # the most deprived are ahead: gap < 0
    assert effects(comp)["a"]["gap"].word == "better"


# ----------------------------------------------------------------------------- the report
class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.order, self.text, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h1", "h2") or a.get("class") in ("verdict", "rests", "notice"):
            self.order.append(a.get("class") or tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("decision")
    small = {"population.size": 400, "steps": 20, "intervention.seed_fraction": 0.03,
             "population.group_names": ["Q1 (most deprived)", "Q2", "Q3", "Q4",
                                        "Q5 (least deprived)"]}
    base = default_scenario().with_overrides({**small, "name": "baseline"})
    scen = [base.with_overrides({"name": "closed_groups",
                                 "strategies.allocate.control_loss": 0.05}),
            base.with_overrides({"name": "broadcast", "intervention.broadcast_rate": 0.02})]
    comp = run_comparison(base, scen, reps=6, seed=3, workers=2)
    return comp, write_comparison_report(comp, out)


def test_a_measure_undefined_in_every_run_shows_as_a_dash_not_nan(tmp_path):
    """Nobody shares: unwanted disclosures per sharing act is 0/0 in every run. Every
    table and sentence shows an en dash, never 'nan'."""
    base = default_scenario().with_overrides({"name": "quiet", "population.size": 200,
                                              "steps": 5, "decision.share_rate": 0.0})
    other = base.with_overrides({"name": "other", "transmission.reshare_prob": 0.3})
    comp = run_comparison(base, [other], reps=3, workers=1)
    write_comparison_report(comp, tmp_path / "out")
    for name in ("summary.md", "report.html"):
        text = (tmp_path / "out" / name).read_text()
        text = " ".join(w for w in text.split() if "base64" not in w)  # not the images
        assert not re.search(r"[^a-z]nan[^a-z]", text.lower()), name
    assert "unwanted disclosures per sharing act (–, 95 % CI –)" in (
        tmp_path / "out" / "report.html").read_text()


def test_the_page_opens_with_the_verdict_then_what_it_rests_on(report):
    comp, path = report
    page = _Page()
    page.feed(path.read_text())
    assert page.order[:3] == ["h1", "verdict", "rests"]
    text = " ".join(page.text)
    assert "Verdict: " + verdict_sentences(comp)[0] in text
    for words in ("400 people in 5 ordered groups", "Q1 (most deprived) (80)",
                  "sbm network, mean degree 10", "20 weeks",
                  "Simulation noise only", "not the uncertainty of the illustrative values",
                  "'Engaged' means"):
        assert words in text, words
    for m in comp.measures:  # every measure defined on the page
        assert m.definition in text
    assert "Engaged in Q1 (most deprived) (% of group)" in text


def test_summary_csv_is_tidy_numbers_matching_the_comparison(report):
    comp, path = report
    rows = list(csv.DictReader(open(path.parent / "summary.csv")))
    assert list(rows[0]) == ["measure", "scenario", "mean", "low", "high", "diff",
                             "diff_low", "diff_high", "unit", "label", "n"]
    means = {(r["scenario"], r["metric"]): r for r in comp.means()}
    diffs = {(r["scenario"], r["metric"]): r for r in comp.differences()}
    scale = {m.key: m.scale for m in comp.measures}
    assert len(rows) == len(comp.measures) * 3
    for r in rows:
        key = (r["scenario"], r["measure"])
        want = means[key]
        assert float(r["mean"]) == pytest.approx(scale[r["measure"]] * want["mean"],
                                                 nan_ok=True)
        assert float(r["high"]) == pytest.approx(scale[r["measure"]] * want["high"],
                                                 nan_ok=True)
        if r["scenario"] == "baseline":
            assert r["diff"] == r["diff_low"] == ""
        else:
            assert float(r["diff_low"]) == pytest.approx(
                scale[r["measure"]] * diffs[key]["diff_low"], nan_ok=True)
    assert {r["unit"] for r in rows if r["measure"] == "engaged_final"} == {"%"}


def test_figures_are_png_and_svg_in_the_scenario_palette(report):
    from PIL import Image

    _, path = report
    for name in ("differences", "reach_vs_equity", "reach_over_time", "gap_over_time",
                 "strategy_mix"):
        assert Image.open(path.parent / f"{name}.png").size[0] >= 1000
        root = ET.parse(path.parent / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")
        assert f"href=\"{name}.svg\"" in path.read_text()
    svg = (path.parent / "gap_over_time.svg").read_text().lower()
    for colour in SCENARIO_COLOURS[:3]:  # baseline, closed groups, broadcast
        assert colour.lower() in svg
    reach = (path.parent / "reach_over_time.svg").read_text().lower()
    assert all(c in reach for c in group_colours(5))


def test_the_first_screen_in_chromium_shows_the_verdict(report, tmp_path):
    import shutil

    from PIL import Image

    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser",
                                               "google-chrome") if shutil.which(b)), None)
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (.ci/run) to render the report")
        pytest.skip("chromium not installed (CI installs it)")
    _, path = report
    shot = tmp_path / "first.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900",
                    f"--screenshot={shot}", path.as_uri()],
                   check=True, capture_output=True, timeout=120)
    img = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    top = img[:450]
    # the verdict box (background #eef5fb, left border #0072b2) is on the first screen
    box = np.all(np.abs(top - [0xEE, 0xF5, 0xFB]) <= 2, axis=2)
    border = np.all(np.abs(top - [0x00, 0x72, 0xB2]) <= 6, axis=2)
    assert box.mean() > 0.05 and border.sum() > 200
    # and so is the "what this rests on" box (background #fafafa)
    rests = np.all(np.abs(img[:900] - [0xFA, 0xFA, 0xFA]) <= 1, axis=2)
    assert rests.mean() > 0.05
