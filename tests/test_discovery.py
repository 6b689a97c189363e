"""Scenario discovery: PRIM boxes (EMA Workbench, an optional extra), their statistics
recomputed by hand, outcome conditions, the discover command and the robustness report.

Without EMA Workbench the PRIM tests skip, saying why; with DIFFUSION_SIM_REQUIRE_HPC=1
(CI, where `make test` installs the [analysis] extra) they fail instead."""

import csv
import os
import warnings

import numpy as np
import pytest

from diffusion_sim.discovery import box_stats, evaluate, parse_where
from diffusion_sim.errors import AnalysisError

REQUIRED = os.environ.get("DIFFUSION_SIM_REQUIRE_HPC") == "1"


def need_ema():
    try:
        from diffusion_sim.discovery import ema_prim

        ema_prim()
    except AnalysisError:
        msg = "EMA Workbench not installed (pip install 'diffusion-sim[analysis]')"
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)


def test_box_statistics_by_hand():
    X = {"a": np.array([0.1, 0.2, 0.6, 0.7, 0.8, 0.9]), "b": np.array([0, 1, 0, 1, 0, 1.0])}
    y = np.array([False, False, True, True, True, False])
    # box a in [0.5, 1]: 4 settings inside, 3 with the outcome (all 3 cases)
    assert box_stats(X, y, {"a": (0.5, 1.0)}) == (1.0, 0.75, 4 / 6, 4)
    # and b <= 0.5: 2 inside (0.6, 0.8), both cases: coverage 2/3, density 1
    assert box_stats(X, y, {"a": (0.5, 1.0), "b": (0.0, 0.5)}) == (2 / 3, 1.0, 2 / 6, 2)


def test_conditions_parse_and_evaluate():
    cols = {"engaged_gap": np.array([0.1, 0.25, np.nan, 0.3]),
            "engaged_final": np.array([0.2, 0.4, 0.1, 0.25])}
    c = parse_where("engaged_gap > 0.2 and engaged_final<=0.3", list(cols))
    assert c == [("engaged_gap", ">", 0.2), ("engaged_final", "<=", 0.3)]
    assert evaluate(c, cols).tolist() == [False, False, False, True]  # NaN never holds
    with pytest.raises(AnalysisError, match=r"--where: engaged_gpa: no such column \(did you "
                                            r"mean 'engaged_gap'\?\)"):
        parse_where("engaged_gpa > 0.2", list(cols))
    with pytest.raises(AnalysisError, match=r"--where: 'engaged_gap is big': expected COLUMN "
                                            r"OP NUMBER"):
        parse_where("engaged_gap is big", list(cols))


def planted(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = {"stigma": rng.uniform(0, 1, n), "access": rng.uniform(0.3, 1, n),
         "seeds": rng.integers(1, 20, n)}  # an integer column: EMA 2.5 needs floats
    y = (X["stigma"] > 0.6) & (X["access"] < 0.6)
    return X, y


def test_prim_finds_the_planted_box_and_its_numbers_are_recomputed():
    need_ema()
    from diffusion_sim.discovery import prim_boxes

    X, y = planted()
    box = prim_boxes(X, y, threshold=0.8)[0]
    assert {lim.parameter for lim in box.limits} == {"stigma", "access"}
    lim = {x.parameter: x for x in box.limits}
    assert 0.5 < lim["stigma"].low < 0.65 and lim["stigma"].high == X["stigma"].max()
    assert lim["access"].low == X["access"].min() and 0.55 < lim["access"].high < 0.75
    assert box.meets_threshold and box.density >= 0.8 and box.coverage >= 0.9
    again = box_stats(X, y, {x.parameter: (x.low, x.high) for x in box.limits})
    assert (box.coverage, box.density, box.mass, box.n_inside) == again
    assert box.n_cases == int(y.sum())
    assert all(x.qp < 1e-6 for x in box.limits)  # both restrictions significant


def test_a_second_box_is_found_among_the_settings_the_first_left():
    need_ema()
    from diffusion_sim.discovery import prim_boxes

    rng = np.random.default_rng(5)
    X = {"a": rng.uniform(0, 1, 600), "b": rng.uniform(0, 1, 600), "c": rng.uniform(0, 1, 600)}
    y = ((X["a"] > 0.7) & (X["b"] < 0.4)) | ((X["c"] > 0.85) & (X["a"] < 0.5))
    boxes = prim_boxes(X, y, threshold=0.8)  # EMA's own numbers checked inside
    assert len(boxes) == 2
    assert {lim.parameter for lim in boxes[0].limits} == {"a", "b"}
    assert {lim.parameter for lim in boxes[1].limits} == {"a", "c"}
    # coverages are shares of all cases: the two boxes together hold them all
    assert boxes[0].coverage + boxes[1].coverage == pytest.approx(1.0)
    assert all(b.density >= 0.8 for b in boxes)


def test_prim_refuses_an_outcome_that_is_everywhere_or_nowhere():
    need_ema()
    from diffusion_sim.discovery import prim_boxes

    X, _ = planted(50)
    with pytest.raises(AnalysisError, match="happens in 0 of 50 settings"):
        prim_boxes(X, np.zeros(50, dtype=bool))


def test_a_frequent_outcome_gets_a_box_denser_than_its_base_rate():
    need_ema()
    from diffusion_sim.discovery import prim_boxes

    X, y = planted()
    y = ~y  # 80-odd % of settings: the whole space would already meet 0.8
    box = prim_boxes(X, y, threshold=0.8)[0]
    assert box.threshold == pytest.approx((1 + y.mean()) / 2)
    assert box.limits and box.density > y.mean()


def test_discover_a_sweep_folder(tmp_path):
    need_ema()
    import json

    from diffusion_sim.cli import main

    X, y = planted(120, seed=3)
    head = {"command": "sweep", "parameters": ["stigma", "access"]}
    (tmp_path / "manifest.json").write_text(json.dumps(head))
    with open(tmp_path / "runs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["point", "replicate", "seed", "stigma", "access", "engaged_gap",
                    "t50_engaged"])
        for i in range(120):  # two replicates per point: their mean is the outcome
            gap = 0.3 if y[i] else 0.1
            for r, noise in enumerate((-0.02, 0.02)):  # t50 never reached: NaN
                w.writerow([i, r, 1, X["stigma"][i], X["access"][i], gap + noise, "nan"])
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["discover", str(tmp_path), "--where", "engaged_gap > 0.2"]) == 0
    # no "Mean of empty slice" on the terminal for the all-NaN column
    assert not [w for w in seen if issubclass(w.category, RuntimeWarning)]
    # run again: its own earlier results are replaced, not refused
    assert main(["discover", str(tmp_path), "--where", "engaged_gap > 0.2"]) == 0
    out = tmp_path / "discovery-engaged_gap_gt_0.2"
    rows = list(csv.DictReader(open(out / "discovery.csv")))
    assert rows[0]["cases"] == str(int(y.sum())) and rows[0]["settings"] == "120"
    assert "stigma in" in rows[0]["ranges"] and "access in" in rows[0]["ranges"]
    limits = list(csv.DictReader(open(out / "box_limits.csv")))
    want = box_stats(X, y, {r["parameter"]: (float(r["low"]), float(r["high"]))
                            for r in limits if r["box"] == "1"})
    assert float(rows[0]["coverage"]) == pytest.approx(want[0], abs=1e-4)
    assert float(rows[0]["density"]) == pytest.approx(want[1], abs=1e-4)
    assert (out / "discovery.svg").exists()
    head = json.loads((out / "manifest.json").read_text())
    assert (head["command"], head["where"], head["cases"]) == (
        "discover", "engaged_gap > 0.2", int(y.sum()))


def test_discover_refuses_a_folder_without_results(tmp_path, capsys):
    from diffusion_sim.cli import main

    assert main(["discover", str(tmp_path), "--where", "engaged_gap > 0.2"]) == 2
    assert "neither a sweep" in capsys.readouterr().err


def test_compare_with_robustness_writes_its_section_and_discovery(tmp_path):
    from diffusion_sim.cli import main

    (tmp_path / "base.toml").write_text(
        'name = "base"\nsteps = 10\n[population]\nsize = 300\n[intervention]\n'
        'seed_fraction = 0.05\n')
    (tmp_path / "cmp.toml").write_text(
        '[comparison]\nbaseline = "base.toml"\nreps = 3\n[scenarios.more]\noverrides = '
        '{ "network.strong_fraction" = 0.6 }\n[robustness]\npoints = 12\nreps = 1\n'
        '[robustness.ranges]\n"transmission.transmissibility" = [0.1, 0.9]\n'
        '"network.homophily" = [0.3, 0.9]\n')
    out = tmp_path / "out"
    assert main(["compare", str(tmp_path / "cmp.toml"), "--workers", "2", "--out",
                 str(out)]) == 0
    page = (out / "report.html").read_text()
    assert "Does the policy still win if the illustrative values are wrong?" in page
    assert "If the illustrative values are wrong (within the ranges stated below, 12 " \
           "settings)" in page
    rob = list(csv.DictReader(open(out / "robustness.csv")))
    assert {r["criterion"] for r in rob} == {"reach", "gap", "privacy"}
    points = list(csv.DictReader(open(out / "robustness_points.csv")))
    assert len(points) == 12 and "diff_engaged_gap" in points[0]
    for name in ("regret.csv", "robustness_differences.csv", "robustness.json",
                 "regret.svg", "robustness_differences.svg"):
        assert (out / name).exists(), name
    try:
        import ema_workbench  # noqa: F401
    except ImportError:
        assert "Scenario discovery: scenario discovery needs EMA Workbench" in page
    else:
        assert "needs EMA Workbench" not in page and "disagrees" not in page
