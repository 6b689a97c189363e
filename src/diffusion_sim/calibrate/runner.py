"""``diffusion-sim calibrate``: the output folder, resume, and the outputs at the end.

The folder holds the library's store (``abc.db`` for ABC-SMC, ``optuna.db`` for the
point estimate), ``manifest.json`` (version, commit, the spec's text and identity) and
the outputs (:mod:`diffusion_sim.calibrate.outputs`), rewritten whenever the
calibration stops. An existing calibration is refused without ``--resume`` and, with
it, when its identity changed (naming what changed); an exclusive lock keeps two
processes out of one folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.calibrate import abc, optimise
from diffusion_sim.calibrate.figures import (
    diagnostics_figure,
    marginals_figure,
    pairs_figure,
    predictive_figure,
)
from diffusion_sim.calibrate.outputs import (
    draw_rows,
    posterior_rows,
    predictive,
    predictive_rows,
    resample,
    summary_rows,
    write_scenario,
)
from diffusion_sim.calibrate.spec import CalibrationSpec, describe_change, load_calibration
from diffusion_sim.errors import CalibrationError
from diffusion_sim.store import (
    FolderLock,
    check_output_folder,
    make_folder,
    manifest,
    sha256_json,
    write_csv,
    write_json,
)


@dataclass
class Calibrated:
    """What :func:`run_calibration` returns (the CLI prints it)."""

    out: Path
    method: str
    stop_reason: str
    simulations: int
    seconds: float
    summary: list[dict[str, Any]]
    predictive_inside: float


def start(out: Path, spec: CalibrationSpec, resume: bool) -> None:
    """Check the folder against the spec (or claim it): see the module docstring."""
    identity = spec.identity()
    path = out / "manifest.json"
    if path.exists():
        try:
            head = json.loads(path.read_text())
        except (OSError, ValueError):
            raise CalibrationError(f"{path}: unreadable; choose another --out") from None
        if head.get("command") != "calibrate":
            raise CalibrationError(f"{out}: holds diffusion-sim {head.get('command')} "
                                   "results, not a calibration; choose another --out")
        change = describe_change(head.get("identity", {}), identity)
        if change:
            raise CalibrationError(f"{out}: holds a calibration of other inputs ({change}); "
                                   "choose another --out")
        if not resume:
            raise CalibrationError(f"{out}: already holds this calibration; add --resume "
                                   "to go on with it (or choose another --out)")
        return
    write_json(path, manifest(command="calibrate", name=spec.name, spec_file=spec.source,
                              spec=Path(spec.source).read_text(encoding="utf-8"),
                              identity=identity, identity_digest=sha256_json(identity),
                              targets_file=spec.targets_file, method=spec.method,
                              seed=spec.seed))


def run_calibration(spec_path: str | Path, out: str | Path | None = None, *,
                    workers: int | None = None, resume: bool = False,
                    progress: Callable[[str], None] | None = None) -> Calibrated:
    """Calibrate the spec's scenario to its targets; write every output into ``out``.

    Parameters
    ----------
    spec_path : the calibration spec (TOML)
    out : output folder (default ``results/<name>``)
    workers : processes (default: the cores this process may use); results do not
        depend on it
    resume : go on with the calibration stored in ``out``
    progress : called with a one-line status now and then
    """
    spec = load_calibration(spec_path)
    if spec.method == "abc":
        abc.need_pyabc()
    else:
        optimise.need_optuna()
    out = Path(out) if out else Path("results") / spec.name
    check_output_folder(out, "calibrate")
    make_folder(out)
    t0 = time.time()
    say = progress or (lambda _line: None)
    with FolderLock(out, "calibration"):
        start(out, spec, resume)
        if spec.method == "abc":
            def report(t: int, done: int, n: int) -> None:
                if done == n or done % max(1, n // 4) == 0:
                    say(f"{'prior sample' if t < 0 else f'generation {t}'}: "
                        f"{done}/{n} particles")

            state = abc.run_abc(spec, out, workers, report, started=t0)
            particles, weights = abc.posterior(spec, out)
            gens = abc.generation_table(out)
            write_csv(out / "generations.csv", gens)
            diagnostics_figure(gens, out / "diagnostics.png")
            stop, sims = state.stop_reason, state.simulations
        else:
            res = optimise.run_optimise(spec, out, workers, say, started=t0)
            particles, weights = res.best[None, :], np.ones(1)
            write_csv(out / "trials.csv", res.trials)
            optimise.trace_figure(res.trials, out / "trials.png")
            stop, sims = res.stop_reason, res.simulations
        say(f"stopped: {stop}; writing outputs")
        summary, inside = write_outputs(spec, out, particles, weights, workers)
        head = json.loads((out / "manifest.json").read_text())
        head["last_run"] = {"stop_reason": stop, "simulations": sims,
                            "seconds": round(time.time() - t0, 1), "workers": workers,
                            "resumed": resume, "finished_at": manifest()["written_at"]}
        write_json(out / "manifest.json", head)
    return Calibrated(out, spec.method, stop, sims, time.time() - t0, summary, inside)


def write_outputs(spec: CalibrationSpec, out: Path, particles: np.ndarray,
                  weights: np.ndarray, workers: int | None) -> tuple[list[dict], float]:
    """The posterior (or point) tables, figures, predictive check and scenario file."""
    point = spec.method == "optimize"
    summary = summary_rows(spec, particles, weights)
    if point:
        draws = particles
        for row in summary:
            row.update(sd=0.0, q05=row["mean"], q50=row["mean"], q95=row["mean"],
                       shrinkage=float("nan"))
    else:
        draws = particles[resample(weights, spec.draws, spec.seed)]
        write_csv(out / "posterior.csv", posterior_rows(spec, particles, weights))
        write_csv(out / "posterior_draws.csv", draw_rows(spec, draws))
        marginals_figure(spec.priors, particles, weights, out / "marginals.png")
        pairs_figure(spec.priors, draws, out / "pairs.png")
    write_csv(out / ("estimate.csv" if point else "posterior_summary.csv"), summary)
    traj, observed = predictive(spec, draws, spec.predictive, workers)
    rows = predictive_rows(spec, observed)
    write_csv(out / "predictive.csv", rows)
    predictive_figure(spec.targets, traj, spec.scenario.n_groups, out / "predictive.png",
                      spec.name)
    means = {r["parameter"]: r["mean"] for r in summary}
    name = "point_scenario.toml" if point else "posterior_scenario.toml"
    what = ("the point estimate (best trial) of" if point else
            "posterior means of (each replicate draws its own values from "
            "posterior_draws.csv:") + f" {', '.join(means)}"
    write_scenario(spec, out / name, means, None if point else "posterior_draws.csv",
                   f"Written by diffusion-sim calibrate {spec.source}: {spec.name}.\n"
                   f"The base scenario with {what}{'' if point else ')'}.")
    inside = float(np.mean([r["inside_90"] for r in rows]))
    return summary, inside
