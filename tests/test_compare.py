"""Scenario comparison: paired differences on values, and the report a reader gets."""

import base64
import io
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from diffusion_sim.compare import load_comparison, run_comparison
from diffusion_sim.errors import ScenarioError
from diffusion_sim.report import write_comparison_report
from diffusion_sim.scenario import default_scenario

SMALL = {"population.size": 300, "steps": 12, "intervention.seed_fraction": 0.03}


def small(name, **over):
    return default_scenario().with_overrides({**SMALL, "name": name, **over})


def test_scenario_against_itself_differs_by_exactly_zero():
    base = small("base")
    same = small("same")
    comp = run_comparison(base, [same], reps=4, seed=9, workers=1)
    for row in comp.differences():
        if np.isnan(row["difference"]):
            continue  # e.g. a ratio undefined in every replicate
        assert row["difference"] == 0.0, row
        assert row["diff_low"] == 0.0 and row["diff_high"] == 0.0
        assert not row["excludes_zero"]


def test_common_random_numbers_pair_replicates():
    base, other = small("base"), small("more_sharing", **{"decision.share_rate": 0.6})
    comp = run_comparison(base, [other], reps=3, seed=4, workers=1)
    # the seeds (people, seeds) are shared: the initial counts are identical per replicate
    for ca, cb in zip(comp.counts["base"], comp.counts["more_sharing"]):
        assert np.array_equal(ca[0], cb[0])


def test_levers_move_metrics_in_their_known_direction():
    base = small("base", **{"digital_access.group1.probability": 0.3,
                            "digital_access.probability": 0.95})
    inclusion = small("inclusion", **{"digital_access.group1.probability": 0.95,
                                      "digital_access.probability": 0.95})
    contagious = small("contagious", **{"digital_access.group1.probability": 0.3,
                                        "digital_access.probability": 0.95,
                                        "transmission.transmissibility": 1.5})
    comp = run_comparison(base, [inclusion, contagious], reps=12, seed=1, workers=2)
    d = {(r["scenario"], r["metric"]): r for r in comp.differences()}
    # digital inclusion of group 1 raises group 1's engagement, clearly
    assert d[("inclusion", "engaged_final_g1")]["diff_low"] > 0
    # more transmissible content raises overall reach, clearly
    assert d[("contagious", "engaged_final")]["diff_low"] > 0


def test_ci_width_adds_paired_batches_until_narrow_or_capped():
    base, other = small("base"), small("other", **{"transmission.transmissibility": 0.8})
    comp = run_comparison(base, [other], seed=2, workers=1, ci_width=1e-9, max_reps=6,
                          batch=3)
    assert comp.reps == 6
    assert "cap of 6" in comp.stop_reason
    assert len(comp.runs["base"]) == len(comp.runs["other"]) == 6
    wide = run_comparison(base, [other], seed=2, workers=1, ci_width=1e9, max_reps=6, batch=3)
    assert wide.reps == 3 and "narrower than" in wide.stop_reason


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tables, self.links = [], 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a["src"])
        if tag == "table":
            self.tables += 1
        if tag in ("link", "script") and (a.get("href") or a.get("src")):
            self.links.append(a)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    base = small("baseline")
    scen = [small("closed_groups", **{"strategies.allocate.control_loss": 0.05}),
            small("broadcast", **{"intervention.broadcast_rate": 0.02})]
    comp = run_comparison(base, scen, reps=5, seed=3, workers=2)
    return comp, write_comparison_report(comp, out)


def test_report_is_self_contained_and_every_figure_decodes(report):
    from PIL import Image

    comp, path = report
    parser = _Collect()
    parser.feed(path.read_text())
    assert parser.tables >= 2
    assert parser.links == []  # nothing fetched from anywhere
    assert len(parser.images) == 5
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        img.load()
        assert img.size[0] > 300 and img.size[1] > 200
    text = path.read_text()
    assert "illustrative" in text and "seed 3" in text
    for name in ("summary.csv", "summary.md", "differences.csv", "parameters.csv",
                 "heat.csv", "heat_plus.csv"):
        assert (path.parent / name).stat().st_size > 0
        assert f"href='{name}'" in text  # every table is linked from the page


def test_report_on_the_same_people_claims_the_policy_effect_without_notice(report):
    import json

    comp, path = report
    text = path.read_text()
    assert comp.world_differences == {}
    assert "Not the same people" not in text and "What reading the input files did" not in text
    assert "so differences reflect the policy, not chance draws." in text
    manifest = json.loads((path.parent / "manifest.json").read_text())
    assert manifest["different_people"] == {}
    assert manifest["notes"] == {"baseline": [], "closed_groups": [], "broadcast": []}
    assert (path.parent / "summary.md").read_text().splitlines()[2].startswith(
        "5 paired replications per scenario")


def test_report_tables_hold_the_computed_numbers(report):
    import csv

    comp, path = report
    rows = list(csv.DictReader(open(path.parent / "differences.csv")))
    mine = {(r["scenario"], r["metric"]): r for r in comp.differences()}
    for r in rows:
        want = mine[(r["scenario"], r["metric"])]
        assert float(r["difference"]) == pytest.approx(want["difference"], nan_ok=True)
    params = list(csv.DictReader(open(path.parent / "parameters.csv")))
    changed = {p["parameter"] for p in params}
    assert "strategies.allocate.control_loss" in changed
    assert "intervention.broadcast_rate" in changed


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_report_renders_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (.ci/run) to render the report")
        pytest.skip("chromium not installed (CI installs it)")
    from PIL import Image

    _, path = report
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600",
                    f"--screenshot={shot}", path.as_uri()],
                   check=True, capture_output=True, timeout=120)
    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.std() > 10  # text and figures, not a blank page
    assert (img < 128).mean() > 0.01  # a fair amount of dark ink


def test_user_data_suppresses_small_groups(tmp_path):
    nodes = tmp_path / "nodes.csv"
    edges = tmp_path / "edges.csv"
    rng = np.random.default_rng(0)
    n = 120
    groups = np.where(np.arange(n) < 4, 1, 2)  # group 1 has only 4 people
    nodes.write_text("id,group\n" + "".join(f"p{i},{g}\n" for i, g in enumerate(groups)))
    pairs = {tuple(sorted(rng.choice(n, 2, replace=False))) for _ in range(500)}
    edges.write_text("source,target\n" + "".join(f"p{a},p{b}\n" for a, b in pairs))
    base = default_scenario().with_overrides({
        "name": "mine", "steps": 6, "population.group_shares": [0.5, 0.5],
        "population.nodes_file": str(nodes), "network.kind": "edgelist",
        "network.edges_file": str(edges), "intervention.seed_fraction": 0.05})
    other = base.with_overrides({"name": "mine2", "decision.share_rate": 0.6})
    comp = run_comparison(base, [other], reps=3, seed=1, workers=1)
    path = write_comparison_report(comp, tmp_path / "out", min_count=10)
    text = path.read_text()
    assert "suppressed" in text and "may describe real people" in text
    assert not (path.parent / "runs.csv").exists()
    import csv

    tidy = list(csv.DictReader(open(path.parent / "summary.csv")))
    assert {r["measure"] for r in tidy} >= {"engaged_final", "engaged_final_g2"}
    assert "engaged_final_g1" not in {r["measure"] for r in tidy}  # suppressed: left out
    assert "suppressed (< 10 people)" in (path.parent / "summary.md").read_text()
    assert not (path.parent / "heat_plus.csv").exists()  # per-group estimates: not written


def test_comparison_file_with_overrides(tmp_path):
    (tmp_path / "base.toml").write_text('name = "b"\nsteps = 4\n[population]\nsize = 100\n')
    (tmp_path / "cmp.toml").write_text(
        '[comparison]\nname = "c"\nbaseline = "base.toml"\nreps = 2\n'
        '[scenarios.more]\noverrides = { "decision.share_rate" = 0.9 }\n')
    base, scen, head = load_comparison(tmp_path / "cmp.toml")
    assert scen[0].name == "more" and scen[0].share_rate == 0.9
    assert head["reps"] == 2
    (tmp_path / "bad.toml").write_text(
        '[comparison]\nbaseline = "base.toml"\n'
        '[scenarios.more]\noverrides = { "decision.share_rat" = 0.9 }\n')
    with pytest.raises(ScenarioError, match=r"bad.toml.*decision.share_rat.*share_rate"):
        load_comparison(tmp_path / "bad.toml")


def test_cli_compare_writes_report(tmp_path):
    from diffusion_sim.cli import main

    (tmp_path / "a.toml").write_text('name = "a"\nsteps = 4\n[population]\nsize = 100\n')
    (tmp_path / "b.toml").write_text(
        'name = "b"\nsteps = 4\n[population]\nsize = 100\n[decision]\nshare_rate = 0.9\n')
    out = tmp_path / "out"
    assert main(["compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "--reps", "2",
                 "--workers", "1", "--out", str(out)]) == 0
    assert (out / "report.html").exists()
    assert Path(out / "summary.md").read_text().startswith("# a_comparison")
