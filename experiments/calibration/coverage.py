"""Simulation-based calibration: do the 90 % credible intervals cover the truth?

For each of D synthetic datasets: draw the true parameters from the priors of
``coverage_spec.toml``, simulate the targets of ``coverage_targets.csv`` with them (one
run, observed with the same binomial noise the calibration assumes), calibrate
(ABC-SMC, the spec's settings, its own seed) and record whether each parameter's 90 %
interval (posterior 5 % .. 95 %) holds the truth, and the truth's rank among the
posterior draws (uniform if the posterior is calibrated).

Writes to OUT (default results/calibration_coverage): ``coverage.csv`` (one row per
dataset and parameter), ``coverage.json`` (coverage per parameter and overall, with a
binomial 95 % interval, and the seconds per calibration), ``coverage.png`` (truth
against posterior mean with 90 % intervals, per parameter; and the rank histograms),
and one calibration folder per dataset under ``datasets/`` (resumable: finished
datasets are skipped when the script is run again).

usage: python experiments/calibration/coverage.py [OUT] [--datasets D] [--jobs J]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from diffusion_sim.calibrate import load_calibration
from diffusion_sim.calibrate.runner import run_calibration
from diffusion_sim.calibrate.simulate import Simulator, entropy_of
from diffusion_sim.replicate import available_cores
from diffusion_sim.store import make_folder, read_csv, write_csv, write_json, write_text

HERE = Path(__file__).resolve().parent
SPEC = HERE / "coverage_spec.toml"
LEVEL = 0.90


def dataset(out: Path, i: int) -> dict:
    """Make dataset ``i`` (truth, targets, spec) and calibrate it; returns its record."""
    spec = load_calibration(SPEC)
    folder = make_folder(out / "datasets" / f"{i:03d}")
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 5, i]))
    truth = {p.path: float(p.sample(rng, 1)[0]) for p in spec.priors}
    values = Simulator(spec)(truth, entropy_of([spec.seed, 5, i]))
    lines = ["week,group,measure,value,n"] + [
        f"{t.week},{t.group or 'all'},{t.measure},{float(v)!r},{t.n or ''}"
        for t, v in zip(spec.targets, values)]
    write_text(folder / "targets.csv", "\n".join(lines) + "\n")
    text = SPEC.read_text(encoding="utf-8")
    text = text.replace('base = "../scenarios/baseline.toml"',
                        f'base = "{(HERE.parent / "scenarios" / "baseline.toml").as_posix()}"')
    text = text.replace('targets = "coverage_targets.csv"', 'targets = "targets.csv"')
    text = text.replace(f"seed = {spec.seed}", f"seed = {spec.seed + 1 + i}")
    write_text(folder / "spec.toml", text)
    result = folder / "result"
    t0 = time.time()
    res = run_calibration(folder / "spec.toml", result, workers=1,
                          resume=(result / "manifest.json").exists())
    seconds = time.time() - t0
    draws = read_csv(result / "posterior_draws.csv")
    rows = []
    for row in read_csv(result / "posterior_summary.csv"):
        p = row["parameter"]
        x = np.array([float(d[p]) for d in draws])
        lo, hi = float(row["q05"]), float(row["q95"])
        rows.append({"dataset": i, "parameter": p, "truth": truth[p], "mean": float(row["mean"]),
                     "q05": lo, "q95": hi, "covered": lo <= truth[p] <= hi,
                     "rank": float(np.mean(x < truth[p])), "simulations": res.simulations,
                     "seconds": round(seconds, 1), "stop": res.stop_reason})
    write_json(folder / "record.json", rows)
    return {"rows": rows}


def run(out: Path, n: int, jobs: int) -> list[dict]:
    """Every dataset (finished ones read back), in order."""
    rows: list[dict] = []
    todo = []
    for i in range(n):
        rec = out / "datasets" / f"{i:03d}" / "record.json"
        if rec.exists():
            rows.extend(json.loads(rec.read_text()))
        else:
            todo.append(i)
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        for k, res in enumerate(pool.map(dataset, [out] * len(todo), todo)):
            rows.extend(res["rows"])
            print(f"coverage: dataset {todo[k]} done ({k + 1}/{len(todo)})", flush=True)
    return sorted(rows, key=lambda r: (r["dataset"], r["parameter"]))


def summarise(rows: list[dict]) -> dict:
    """Coverage per parameter and overall, with Clopper-Pearson 95 % intervals."""
    def cover(sel: list[dict]) -> dict:
        k, m = sum(r["covered"] for r in sel), len(sel)
        ci = stats.binomtest(k, m).proportion_ci(0.95) if m else None
        return {"covered": k, "intervals": m, "coverage": k / m if m else float("nan"),
                "ci95": [ci.low, ci.high] if ci else None}

    params = list(dict.fromkeys(r["parameter"] for r in rows))
    secs = [r["seconds"] for r in rows if r["parameter"] == params[0]]
    sims = [r["simulations"] for r in rows if r["parameter"] == params[0]]
    return {"level": LEVEL, "datasets": len(secs), "overall": cover(rows),
            "by_parameter": {p: cover([r for r in rows if r["parameter"] == p]) for p in params},
            "seconds_per_calibration": {"median": float(np.median(secs)),
                                        "max": float(np.max(secs))},
            "simulations_per_calibration": {"median": float(np.median(sims))}}


def figure(rows: list[dict], summary: dict, path: Path) -> None:
    params = list(summary["by_parameter"])
    fig = Figure(figsize=(4.3 * len(params), 7.6), dpi=110)
    axes = fig.subplots(2, len(params), squeeze=False)
    for j, p in enumerate(params):
        sel = [r for r in rows if r["parameter"] == p]
        ax = axes[0][j]
        for r in sel:
            c = "#0072B2" if r["covered"] else "#D55E00"
            ax.plot([r["truth"]] * 2, [r["q05"], r["q95"]], color=c, lw=1.2, alpha=0.8)
            ax.plot(r["truth"], r["mean"], "o", color=c, ms=3)
        lo = min(min(r["q05"], r["truth"]) for r in sel)
        hi = max(max(r["q95"], r["truth"]) for r in sel)
        ax.plot([lo, hi], [lo, hi], color="#999999", lw=1)
        cov = summary["by_parameter"][p]
        ax.set_title(f"{p}\n90 % intervals cover the truth in {100 * cov['coverage']:.0f} % "
                     f"({cov['covered']}/{cov['intervals']})", fontsize=9)
        ax.set_xlabel("true value")
        ax.set_ylabel("posterior mean and 90 % interval")
        ax2 = axes[1][j]
        ax2.hist([r["rank"] for r in sel], bins=10, range=(0, 1), color="#0072B2")
        ax2.axhline(len(sel) / 10, color="#999999", lw=1)
        ax2.set_xlabel("rank of the truth among posterior draws")
        ax2.set_ylabel("datasets")
    o = summary["overall"]
    fig.suptitle(f"Simulation-based calibration, {summary['datasets']} synthetic datasets: "
                 f"overall coverage {100 * o['coverage']:.0f} % (95 % CI "
                 f"{100 * o['ci95'][0]:.0f}–{100 * o['ci95'][1]:.0f} %) of nominal 90 %; "
                 "red: missed", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default="results/calibration_coverage")
    ap.add_argument("--datasets", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=available_cores())
    args = ap.parse_args()
    out = make_folder(Path(args.out))
    rows = run(out, args.datasets, args.jobs)
    summary = summarise(rows)
    write_csv(out / "coverage.csv", rows)
    write_json(out / "coverage.json", summary)
    figure(rows, summary, out / "coverage.png")
    o = summary["overall"]
    print(f"coverage: {o['covered']}/{o['intervals']} = {100 * o['coverage']:.1f} % of "
          f"{LEVEL:.0%} intervals hold the truth; "
          + "; ".join(f"{p}: {100 * c['coverage']:.0f} %"
                      for p, c in summary["by_parameter"].items())
          + f"; median {summary['seconds_per_calibration']['median']:.0f} s per calibration")


if __name__ == "__main__":
    main()
