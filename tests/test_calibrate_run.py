"""Calibration runs (need the ``calib`` extra: pyabc, optuna).

Without the extra these tests skip, saying why; with DIFFUSION_SIM_REQUIRE_HPC=1 (CI
sets it, and ``make test`` installs the extra) they fail instead. One small ABC-SMC
calibration on synthetic data (known truth) serves several checks: the truth is
recovered (wide bound), the posterior is byte-identical with 1 and 2 workers, a run
killed with SIGKILL and resumed gives the same posterior, and its posterior scenario
runs in ``run`` and ``compare`` with parameter uncertainty said in the report.
"""

import fcntl
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diffusion_sim.calibrate import load_calibration
from diffusion_sim.calibrate.runner import run_calibration
from diffusion_sim.calibrate.simulate import Simulator
from diffusion_sim.cli import main
from diffusion_sim.errors import CalibrationError
from diffusion_sim.store import read_csv

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "experiments" / "scenarios" / "baseline.toml"
REQUIRED = os.environ.get("DIFFUSION_SIM_REQUIRE_HPC") == "1"
MISSING = [m for m in ("pyabc", "optuna") if importlib.util.find_spec(m) is None]
TRUTH = {"transmission.transmissibility": 0.5, "transmission.attrition": 0.1}


@pytest.fixture(autouse=True)
def _need_the_extra():
    if MISSING:
        msg = (f"{', '.join(MISSING)} not installed (the calib extra: "
               "pip install 'diffusion-sim[calib]')")
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)


SPEC = """[calibration]
name = "recover"
base = "{base}"
targets = "targets.csv"
seed = 7
particles = 30
generations = {generations}
draws = 60
predictive = 4
{extra}
[overrides]
steps = 8
"population.size" = 400
"intervention.seed_fraction" = 0.05

[parameters]
"transmission.transmissibility" = {{ uniform = [0.05, 1.0] }}
"transmission.attrition" = {{ uniform = [0.0, 0.3] }}
"""


def make_case(folder: Path, generations: int = 2, extra: str = "") -> Path:
    """A spec and synthetic targets simulated at TRUTH (seeded)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "targets.csv").write_text("week,group,measure,value,n\n4,all,engaged,0.1,400\n"
                                        "8,all,engaged,0.1,400\n8,all,engaged_now,0.1,400\n")
    spec_path = folder / "spec.toml"
    spec_path.write_text(SPEC.format(base=BASE.as_posix(), generations=generations,
                                     extra=extra))
    spec = load_calibration(spec_path)
    values = Simulator(spec)(TRUTH, 424242)
    (folder / "targets.csv").write_text("week,group,measure,value,n\n" + "".join(
        f"{t.week},all,{t.measure},{float(v)!r},{t.n}\n" for t, v in zip(spec.targets, values)))
    return spec_path


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """One calibration with 2 workers: (spec path, output folder), made once and shared
    by the test processes (pytest-xdist) under a lock."""
    root = tmp_path_factory.getbasetemp().parent
    folder = root / "calibrate_recover"
    with open(root / "calibrate_recover.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "out" / "posterior.csv").exists():
            shutil.rmtree(folder, ignore_errors=True)
            run_calibration(make_case(folder), folder / "out", workers=2)
    return folder / "spec.toml", folder / "out"


def test_truth_is_recovered_within_a_wide_bound(calibrated):
    _, out = calibrated
    rows = {r["parameter"]: r for r in read_csv(out / "posterior_summary.csv")}
    spec = load_calibration(out.parent / "spec.toml")
    for prior in spec.priors:
        r, truth = rows[prior.path], TRUTH[prior.path]
        assert float(r["q05"]) <= truth <= float(r["q95"]), (prior.path, r)
        assert abs(float(r["mean"]) - truth) < 0.25 * (prior.hi - prior.lo), (prior.path, r)
        # the data say something: the posterior is narrower than the prior
        assert float(r["shrinkage"]) > 0.2, (prior.path, r)
    gens = read_csv(out / "generations.csv")
    assert [int(g["generation"]) for g in gens] == [0, 1]
    assert all(0 < float(g["acceptance"]) <= 1 and float(g["ess"]) > 1 for g in gens)
    for name in ("marginals.png", "pairs.png", "predictive.png", "diagnostics.png",
                 "posterior_scenario.toml", "predictive.csv"):
        assert (out / name).stat().st_size > 0, name
    draws = read_csv(out / "posterior_draws.csv")
    assert len(draws) == 60 and list(draws[0]) == ["draw", *TRUTH]


def test_same_seed_same_posterior_bytes_with_one_or_two_workers(calibrated, tmp_path):
    spec, out = calibrated
    run_calibration(spec, tmp_path / "one", workers=1)
    for name in ("posterior.csv", "posterior_draws.csv", "posterior_summary.csv",
                 "predictive.csv", "posterior_scenario.toml"):
        assert (tmp_path / "one" / name).read_bytes() == (out / name).read_bytes(), name


def _generations_stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            got = con.execute("select max(t) from populations").fetchone()[0]
    except sqlite3.Error:
        return -1
    return -1 if got is None else int(got) + 1


def test_resume_after_sigkill_gives_the_uninterrupted_posterior(calibrated, tmp_path):
    spec, out = calibrated
    cmd = [sys.executable, "-m", "diffusion_sim", "calibrate", str(spec), "--out",
           str(tmp_path / "killed"), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    db = tmp_path / "killed" / "abc.db"
    deadline = time.time() + 300
    while _generations_stored(db) < 1 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the command and its forked workers
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stored = _generations_stored(db)  # killed in generation 1 (or, rarely, just after)
    assert (stored == 1 and not (tmp_path / "killed" / "posterior.csv").exists()) or stored == 2
    with pytest.raises(CalibrationError, match=r"already holds this calibration; add --resume"):
        run_calibration(spec, tmp_path / "killed", workers=2)
    run_calibration(spec, tmp_path / "killed", workers=2, resume=True)
    for name in ("posterior.csv", "posterior_draws.csv"):
        assert (tmp_path / "killed" / name).read_bytes() == (out / name).read_bytes(), name


def test_resume_with_a_larger_budget_goes_on_and_changed_inputs_are_refused(calibrated,
                                                                             tmp_path):
    spec, out = calibrated
    folder = spec.parent
    more = folder / "more.toml"
    more.write_text(spec.read_text().replace("generations = 2", "generations = 3"))
    target = tmp_path / "more"
    shutil.copytree(out, target)
    run_calibration(more, target, workers=2, resume=True)
    assert len(read_csv(target / "generations.csv")) == 3
    other = folder / "other.toml"
    other.write_text(spec.read_text().replace("seed = 7", "seed = 8"))
    with pytest.raises(CalibrationError, match=r"holds a calibration of other inputs "
                                               r"\(the method, distance, seed"):
        run_calibration(other, target, resume=True)


def test_posterior_scenario_runs_in_run_and_compare_with_parameter_uncertainty(
        calibrated, tmp_path, capsys):
    _, out = calibrated
    scenario = out / "posterior_scenario.toml"
    assert main(["run", str(scenario), "--reps", "3", "--workers", "1", "--out",
                 str(tmp_path / "run")]) == 0
    notes = (tmp_path / "run" / "notes.txt").read_text()
    assert "drawn from" in notes and "posterior_draws.csv (60 draws)" in notes
    runs = read_csv(tmp_path / "run" / "runs.csv")
    assert len({r["engaged_final"] for r in runs}) > 1
    comparison = tmp_path / "comparison.toml"
    comparison.write_text(f'[comparison]\nname = "calibrated"\nbaseline = '
                          f'"{scenario.as_posix()}"\nreps = 4\n'
                          '[scenarios.closed_groups]\noverrides = { '
                          '"strategies.allocate.control_loss" = 0.05 }\n')
    assert main(["compare", str(comparison), "--workers", "2", "--out",
                 str(tmp_path / "cmp")]) == 0
    md = (tmp_path / "cmp" / "summary.md").read_text()
    assert "intervals include parameter uncertainty" in md
    assert "intervals include parameter uncertainty" in (tmp_path / "cmp" /
                                                         "report.html").read_text()
    err = capsys.readouterr().err
    assert "intervals include parameter uncertainty" in err
    manifest = json.loads((tmp_path / "cmp" / "manifest.json").read_text())
    assert manifest["scenarios"]["closed_groups"]["parameters_from"] == "posterior_draws.csv"


def test_optimize_gives_a_reproducible_point_estimate(tmp_path):
    extra = 'method = "optimize"\ntrials = 8\nreplicates = 2\nbatch = 4'
    spec = make_case(tmp_path / "case", extra=extra)
    a = run_calibration(spec, tmp_path / "a", workers=2)
    run_calibration(spec, tmp_path / "b", workers=1)
    assert (tmp_path / "a" / "trials.csv").read_bytes() == (tmp_path / "b" /
                                                            "trials.csv").read_bytes()
    trials = read_csv(tmp_path / "a" / "trials.csv")
    assert len(trials) == 8 and a.simulations == 16
    best = min(trials, key=lambda r: float(r["distance"]))
    est = {r["parameter"]: float(r["mean"]) for r in read_csv(tmp_path / "a" / "estimate.csv")}
    assert est == {p: float(best[p]) for p in TRUTH}
    assert main(["validate", str(tmp_path / "a" / "point_scenario.toml")]) == 0
