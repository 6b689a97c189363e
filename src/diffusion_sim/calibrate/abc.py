"""ABC-SMC posteriors with pyabc: reproducible, parallel, resumable after a kill.

**Why pyabc.** A maintained ABC-SMC library (adaptive distances, adaptive thresholds,
multivariate-normal proposals, importance weights, its own SQLite store) whose
posterior is a weighted particle population; we add only what the project needs
around it. It is heavy (~230 MB with dask and scikit-learn), hence the optional
``calib`` extra.

**Seeds and cores.** pyabc's own parallel samplers reseed their workers from the
operating system. :class:`SeededSampler` instead gives particle ``k`` of generation
``t`` its own seed, ``SeedSequence([seed, t + 1, k])`` (``t = -1``: the prior sample
that calibrates the first distance and threshold): the task seeds numpy's legacy global
state, which pyabc's proposals use and from which the simulator takes its run's
entropy, and simulates until one particle is accepted. Results are gathered in task
order, so a generation depends on (seed, t, k) only: the same posterior bytes with 1
worker or 16. Workers are forked per generation (pyabc's simulate function is a
closure; forking passes it without pickling) and exit with their parent.

**Generations and resume.** Every generation runs in a fresh ``ABCSMC`` loaded from
the store (``OUT/abc.db``) with numpy reseeded from ``SeedSequence([seed, t + 1])``:
distance weights and threshold of generation ``t`` are always fitted to the stored
generation ``t - 1``, so a run killed at any point and resumed reproduces the
uninterrupted one exactly (a generation is stored whole or not at all).

**Stopping.** After ``generations`` generations; when a generation would accept less
than ``min_acceptance`` of its simulations, or would cross the ``simulations`` budget
(that generation is abandoned: both rules depend only on the seeds); when the
``wall_time`` budget runs out (the generation under way is abandoned: which generation
that is depends on the machine's speed, not the results of those stored). Resume with
a larger budget to go on.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.calibrate.simulate import Simulator, weighted_rms
from diffusion_sim.calibrate.spec import CalibrationSpec
from diffusion_sim.errors import CalibrationError
from diffusion_sim.replicate import _exit_with_parent, available_cores

try:  # the optional `calib` extra
    import pyabc
    from pyabc.sampler import Sampler as _PyabcSampler
except ImportError:  # pragma: no cover - exercised where the extra is missing
    pyabc = None
    _PyabcSampler = object

INSTALL = "pip install 'diffusion-sim[calib]'"
#: A particle task gives up after this many times 1 / min_acceptance simulations.
TASK_CAP = 10

#: The generation being sampled, inherited by the forked workers.
_JOB: dict[str, Any] = {}


def need_pyabc() -> None:
    """Refuse with one line (how to install it) when pyabc is missing."""
    if pyabc is None:
        raise CalibrationError(f"method 'abc' needs pyabc, which is not installed: {INSTALL}")
    logging.getLogger("ABC").setLevel(logging.WARNING)


def _particle(words: list[int]) -> tuple[Any, int, str]:
    """Sample until one particle is accepted, from the seed ``words``.

    Returns (pyabc Sample, simulations, "" or why it gave up: "cap" / "time")."""
    ss = np.random.SeedSequence(words)
    np.random.seed(ss.generate_state(1, np.uint32)[0])  # noqa: NPY002 (pyabc draws from it)
    random.seed(int(ss.generate_state(1, np.uint64)[0]))
    sample = _JOB["factory"]()
    n = 0
    while True:
        if n >= _JOB["cap"]:
            return sample, n, "cap"
        if _JOB["deadline"] and time.time() > _JOB["deadline"]:
            return sample, n, "time"
        particle = _JOB["simulate_one"]()
        n += 1
        sample.append(particle)
        if particle.accepted:
            return sample, n, ""


class SeededSampler(_PyabcSampler):  # type: ignore[misc,valid-type]
    """A pyabc sampler whose every particle has its own seed (see the module docstring).

    Parameters
    ----------
    seed : the calibration's seed
    workers : processes (1: in this process)
    limit : callable () -> (most simulations this generation may take, why)
    deadline : ``time.time()`` after which the generation under way is abandoned (0: none)
    progress : called as ``progress(t, particles done, particles)``
    """

    def __init__(self, seed: int, workers: int, limit: Callable[[int], tuple[float, str]],
                 cap: float, deadline: float = 0.0,
                 progress: Callable[[int, int, int], None] | None = None) -> None:
        super().__init__()
        self.seed, self.workers, self.limit, self.cap = seed, workers, limit, cap
        self.deadline, self.progress = deadline, progress
        self.abandoned = ""

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        _JOB.update(simulate_one=simulate_one, factory=self._create_empty_sample,
                    cap=math.inf if all_accepted else self.cap, deadline=self.deadline)
        limit, why = self.limit(n) if not all_accepted else (math.inf, "")
        words = [[self.seed, t + 1, k] for k in range(n)]
        results, total, reason = [], 0, ""
        pool = None
        if self.workers > 1:
            pool = multiprocessing.get_context("fork").Pool(
                min(self.workers, n), initializer=_exit_with_parent)
        try:
            stream = pool.imap(_particle, words) if pool else map(_particle, words)
            for sample, k, gave_up in stream:
                total += k
                if gave_up or total > limit:
                    reason = {"cap": "acceptance", "time": "wall time"}.get(gave_up, why)
                    break
                results.append(sample)
                if self.progress:
                    self.progress(t, len(results), n)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
        self.nr_evaluations_ = total
        if reason:
            self.abandoned = reason
            return pyabc.population.Sample(ok=False)
        out = self._create_empty_sample()
        for s in results:
            out += s
        return out


@dataclass
class AbcState:
    """Where an ABC-SMC calibration stands: stored generations and why it stopped."""

    generations: int
    simulations: int
    stop_reason: str


def _populations(db: str) -> Any:
    h = pyabc.History(db)
    h.id = h.all_runs()[-1].id
    return h


def _stored(db: str) -> tuple[int, int]:
    """(generations stored, simulations they took, the prior sample included)."""
    h = _populations(db)
    return int(h.max_t + 1), int(h.get_all_populations().samples.sum())


def pyabc_parts(spec: CalibrationSpec, sim: Simulator) -> tuple[Any, Any, Any]:
    """(prior, model, distance) as pyabc takes them. Parameters are named ``p0, p1, ...``
    in pyabc's store (in the spec's order); the model takes its run's entropy from
    numpy's global state, which :class:`SeededSampler` seeds per particle task."""
    names = [f"p{i}" for i in range(len(spec.priors))]
    prior = pyabc.Distribution(**{nm: pyabc.RV(*_rv(p)) for nm, p in zip(names, spec.priors)})

    def model(par: Any) -> dict[str, np.ndarray]:
        entropy = int(np.random.randint(0, 2**62, dtype=np.int64))  # noqa: NPY002
        values = {p.path: float(par[nm]) for nm, p in zip(names, spec.priors)}
        return {"y": sim(values, entropy)}

    if spec.distance == "adaptive":
        return prior, model, pyabc.AdaptivePNormDistance(p=2)

    def distance(x: dict, x0: dict) -> float:
        return weighted_rms(x["y"], x0["y"], sim.weights)

    return prior, model, distance


def run_abc(spec: CalibrationSpec, out: Path, workers: int | None = None,
            progress: Callable[[int, int, int], None] | None = None,
            started: float | None = None) -> AbcState:
    """Run (or go on with) an ABC-SMC calibration stored in ``out/abc.db``, one
    generation at a time (see the module docstring).

    Returns where it stands; the posterior is the last stored generation
    (:func:`posterior`).
    """
    need_pyabc()
    workers = workers or available_cores()
    sim = Simulator(spec)
    prior, model, distance = pyabc_parts(spec, sim)
    db = f"sqlite:///{(out / 'abc.db').resolve()}"
    deadline = (started or time.time()) + spec.wall_time if spec.wall_time else 0.0
    stored = [0, 0]

    def limit(n: int) -> tuple[float, str]:
        by_rate, left = n / spec.min_acceptance, spec.simulations - stored[1]
        return (by_rate, "acceptance") if by_rate <= left else (left, "simulations")

    new = not (out / "abc.db").exists()
    while True:
        if not new:
            stored[:] = _stored(db)
        reason = _stop_before(spec, stored, deadline)
        if reason:
            return AbcState(stored[0], stored[1], reason)
        sampler = SeededSampler(spec.seed, workers, limit, TASK_CAP / spec.min_acceptance,
                                deadline, progress)
        abc = pyabc.ABCSMC(model, prior, distance, population_size=spec.particles,
                           sampler=sampler, eps=pyabc.MedianEpsilon())
        if new:
            abc.new(db, {"y": sim.targets.observed})
            new = False
        else:
            abc.load(db, _populations(db).id)
        ss = np.random.SeedSequence([spec.seed, stored[0] + 1])
        np.random.seed(ss.generate_state(1, np.uint32)[0])  # noqa: NPY002 (pyabc uses it)
        random.seed(int(ss.generate_state(1, np.uint64)[0]))
        abc.run(max_nr_populations=1)
        if sampler.abandoned:
            stored[:] = _stored(db)
            return AbcState(stored[0], stored[1], _why(spec, sampler.abandoned))


def _rv(prior: Any) -> tuple[Any, ...]:
    name, args = prior.scipy_args()
    return (name, *args)


def _stop_before(spec: CalibrationSpec, stored: list[int], deadline: float) -> str:
    """Why not to start another generation ("" = start it)."""
    if stored[0] >= spec.generations:
        return f"{spec.generations} generations done"
    if stored[1] >= spec.simulations:
        return f"simulation budget ({spec.simulations}) used"
    if deadline and time.time() > deadline:
        return f"wall time budget ({spec.wall_time:g} s) used"
    return ""


def _why(spec: CalibrationSpec, abandoned: str) -> str:
    return {"acceptance": f"the next generation would accept less than "
                          f"{spec.min_acceptance:g} of its simulations",
            "simulations": f"the next generation would cross the simulation budget "
                           f"({spec.simulations})",
            "wall time": f"wall time budget ({spec.wall_time:g} s) ran out during a "
                         "generation"}[abandoned]


def posterior(spec: CalibrationSpec, out: Path) -> tuple[np.ndarray, np.ndarray]:
    """The last stored generation: (particles, shape (N, parameters); weights summing
    to 1), parameters in the spec's order."""
    need_pyabc()
    h = _populations(f"sqlite:///{(out / 'abc.db').resolve()}")
    if h.max_t < 0:
        raise CalibrationError(f"{out}: no generation finished; give a larger budget "
                               "(simulations, wall_time) and --resume")
    df, w = h.get_distribution(m=0, t=h.max_t)
    cols = [f"p{i}" for i in range(len(spec.priors))]
    return df[cols].to_numpy(dtype=float), np.asarray(w, dtype=float)


def generation_table(out: Path) -> list[dict[str, Any]]:
    """One row per stored generation: threshold, simulations, acceptance, ESS, time."""
    need_pyabc()
    h = _populations(f"sqlite:///{(out / 'abc.db').resolve()}")
    rows = []
    for r in h.get_all_populations().itertuples():
        if r.t < 0:
            continue
        _, w = h.get_distribution(m=0, t=int(r.t))
        rows.append({"generation": int(r.t), "epsilon": float(r.epsilon),
                     "simulations": int(r.samples), "particles": int(r.particles),
                     "acceptance": float(r.particles / r.samples),
                     "ess": float(pyabc.weighted_statistics.effective_sample_size(w)),
                     "wall_time_s": round(float(r.wall_time), 3)})
    return rows
