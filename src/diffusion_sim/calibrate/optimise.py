"""A fast point estimate with Optuna (``method = "optimize"``): no posterior.

**Why Optuna.** A light (~40 MB), maintained optimiser whose TPE sampler handles noisy
objectives and bounded, log-scaled ranges, with its own SQLite store to resume from.

**Objective.** A trial's value is the mean distance (``binomial`` or ``euclidean``:
:func:`~diffusion_sim.calibrate.simulate.distance_weights`) over ``replicates`` runs.
Replicate ``r`` of every trial uses the same seed (common random numbers), so two
trials differ by their parameters, not by luck. The search space is each prior's
support (a Beta prior is searched as its range; TPE does not weigh by it).

**Seeds, cores and resume.** Trials are proposed ``batch`` at a time by a TPE sampler
reseeded from ``SeedSequence([seed, trials done])`` before every batch, evaluated in
parallel, and told in order: the result depends on the seed and ``batch``, not on the
number of workers. A run killed mid-batch leaves that batch's trials unfinished in
``optuna.db``; resuming marks them failed (TPE ignores failed trials) and proposes the
batch again from the same seed, so it ends where the uninterrupted run ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.calibrate.figures import subplots
from diffusion_sim.calibrate.simulate import Simulator, entropy_of
from diffusion_sim.calibrate.spec import CalibrationSpec
from diffusion_sim.errors import CalibrationError
from diffusion_sim.replicate import executor, ordered_map

try:  # the optional `calib` extra
    import optuna
except ImportError:  # pragma: no cover - exercised where the extra is missing
    optuna = None

INSTALL = "pip install 'diffusion-sim[calib]'"


def need_optuna() -> None:
    """Refuse with one line (how to install it) when optuna is missing."""
    if optuna is None:
        raise CalibrationError(f"method 'optimize' needs optuna, which is not installed: "
                               f"{INSTALL}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)


@dataclass
class Optimised:
    """The best trial's parameters (spec order), every finished trial, why it stopped."""

    best: np.ndarray
    trials: list[dict[str, Any]]
    stop_reason: str
    simulations: int


def _run_task(task: tuple[CalibrationSpec, dict[str, float], int]) -> float:
    """One replicate of one trial: its distance to the data."""
    spec, values, r = task
    sim = Simulator(spec)
    return sim.distance(sim(values, entropy_of([spec.seed, r])))


def _suggest(trial: Any, spec: CalibrationSpec) -> dict[str, float]:
    return {p.path: trial.suggest_float(f"p{i}", p.lo, p.hi, log=p.kind == "loguniform")
            for i, p in enumerate(spec.priors)}


def _finished(study: Any) -> list[Any]:
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return sorted(done, key=lambda t: t.number)


def run_optimise(spec: CalibrationSpec, out: Path, workers: int | None,
                 say: Callable[[str], None], started: float) -> Optimised:
    """Run (or go on with) the point estimate stored in ``out/optuna.db``."""
    need_optuna()
    storage = optuna.storages.RDBStorage(f"sqlite:///{(out / 'optuna.db').resolve()}")
    study = optuna.create_study(study_name=spec.name, storage=storage, load_if_exists=True,
                                direction="minimize")
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)  # killed mid-batch
    deadline = started + spec.wall_time if spec.wall_time else 0.0
    reps = spec.replicates
    with executor(workers) as pool:
        while True:
            done = len(_finished(study))
            reason = ""
            if done >= spec.trials:
                reason = f"{spec.trials} trials done"
            elif done * reps >= spec.simulations:
                reason = f"simulation budget ({spec.simulations}) used"
            elif deadline and time.time() > deadline:
                reason = f"wall time budget ({spec.wall_time:g} s) used"
            if reason:
                break
            study.sampler = optuna.samplers.TPESampler(
                seed=entropy_of([spec.seed, done]) % 2**32)
            asked = [study.ask() for _ in range(min(spec.batch, spec.trials - done))]
            values = [_suggest(t, spec) for t in asked]
            tasks = [(spec, v, r) for v in values for r in range(reps)]
            dist = np.array(list(ordered_map(_run_task, tasks, pool))).reshape(len(asked), reps)
            for t, d in zip(asked, dist):
                study.tell(t, float(d.mean()))
            say(f"trials: {done + len(asked)}/{spec.trials}, best distance "
                f"{study.best_value:.4g}")
    finished = _finished(study)
    if not finished:
        raise CalibrationError(f"{out}: no trial finished; give a larger budget and --resume")
    rows = [{"trial": i, "distance": float(t.value),
             **{p.path: float(t.params[f"p{j}"]) for j, p in enumerate(spec.priors)}}
            for i, t in enumerate(finished)]
    best = min(range(len(rows)), key=lambda i: (rows[i]["distance"], i))
    point = np.array([rows[best][p.path] for p in spec.priors])
    return Optimised(point, rows, reason, len(finished) * reps)


def trace_figure(rows: list[dict[str, Any]], path: Path) -> None:
    """Each trial's distance and the best so far."""
    fig, ax = subplots(figsize=(6, 3.4))
    d = np.array([r["distance"] for r in rows])
    ax.plot(d, ".", color="#999999", label="trial")
    ax.plot(np.minimum.accumulate(d), "-", color="#0072B2", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("distance to the data")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
