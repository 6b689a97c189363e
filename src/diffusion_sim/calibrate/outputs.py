"""What a calibration leaves: the posterior (or point estimate), its summaries, the
posterior predictive check and the scenario that run, compare and sweep accept.

Files (in the output folder):

- ``posterior.csv``: the final weighted particles (``particle, weight``, one column per
  parameter); ``posterior_draws.csv``: ``draws`` draws resampled from them (``draw``
  and the parameters), what ``parameters_from`` reads;
- ``posterior_summary.csv``: per parameter its prior, posterior mean, sd, 5/50/95 %
  quantiles, the prior's 5/95 % and the shrinkage ``1 - sd_post / sd_prior`` (near 1:
  the data pin the parameter down; near 0: they say little about it);
- ``predictive.csv``: per target the posterior predictive mean and 90 % interval of
  the figure as the data observed it (binomial noise where ``n`` is given), and
  whether the observed value lies inside;
- ``posterior_scenario.toml``: the base scenario (every value explicit) with the
  posterior means, and ``parameters_from = "posterior_draws.csv"``;
- figures: see :mod:`diffusion_sim.calibrate.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from diffusion_sim.calibrate.simulate import NOISE_KEY, Simulator
from diffusion_sim.calibrate.spec import CalibrationSpec
from diffusion_sim.calibrate.targets import Target
from diffusion_sim.replicate import executor, ordered_map, replicate
from diffusion_sim.store import write_text

#: spawn_key prefix of the posterior predictive runs (apart from the inference's seeds).
PREDICTIVE_KEY = 9


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q`` quantile of values ``x`` with weights ``w`` (inverse of the weighted
    empirical CDF, interpolated at mid-points)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order] / w.sum()
    cdf = np.cumsum(ws) - 0.5 * ws
    return float(np.interp(q, cdf, xs))


def resample(weights: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices of ``size`` draws from the weighted particles (seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 99]))
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def posterior_rows(spec: CalibrationSpec, particles: np.ndarray, weights: np.ndarray
                   ) -> list[dict[str, Any]]:
    return [{"particle": i, "weight": float(w),
             **{p.path: float(v) for p, v in zip(spec.priors, row)}}
            for i, (row, w) in enumerate(zip(particles, weights))]


def draw_rows(spec: CalibrationSpec, draws: np.ndarray) -> list[dict[str, Any]]:
    return [{"draw": i, **{p.path: float(v) for p, v in zip(spec.priors, row)}}
            for i, row in enumerate(draws)]


def summary_rows(spec: CalibrationSpec, particles: np.ndarray, weights: np.ndarray
                 ) -> list[dict[str, Any]]:
    """Per parameter: prior, posterior mean, sd, quantiles, shrinkage."""
    rows = []
    w = weights / weights.sum()
    for j, prior in enumerate(spec.priors):
        x = particles[:, j]
        mean = float(np.sum(w * x))
        sd = float(np.sqrt(np.sum(w * (x - mean) ** 2)))
        dist = prior.dist()
        rows.append({
            "parameter": prior.path, "prior": prior.describe(), "mean": mean, "sd": sd,
            "q05": weighted_quantile(x, w, 0.05), "q50": weighted_quantile(x, w, 0.5),
            "q95": weighted_quantile(x, w, 0.95),
            "prior_q05": float(dist.ppf(0.05)), "prior_q95": float(dist.ppf(0.95)),
            "shrinkage": 1.0 - sd / float(dist.std()),
        })
    return rows


def _predict_task(task: tuple[CalibrationSpec, dict[str, float], int, int]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One predictive run: (trajectories of every (measure, group) pair over the weeks,
    the targets as the data observed them)."""
    spec, values, seed, i = task
    sim = Simulator(spec)
    key = (PREDICTIVE_KEY, i)
    res = replicate(spec.scenario_at(values), seed, key)
    traj = trajectories(sim, res.counts, res.group_sizes)
    noise = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*key, *NOISE_KEY)))
    observed = sim.targets.observe(sim.targets.simulate(res.counts, res.group_sizes), noise)
    return traj, observed


def panels(targets: Sequence[Target]) -> list[tuple[str, int]]:
    """The (measure, group) pairs the targets use, in order of first appearance."""
    return list(dict.fromkeys((t.measure, t.group) for t in targets))


def trajectories(sim: Simulator, counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Shape (panels, weeks + 1): each panel's value in every week (NaN if undefined)."""
    steps = counts.shape[0] - 1
    out = np.full((len(panels(sim.targets.targets)), steps + 1), np.nan)
    for k, (measure, group) in enumerate(panels(sim.targets.targets)):
        for w in range(steps + 1):
            if w == 0 and not measure.startswith(("aware", "engaged", "peer_")):
                continue
            out[k, w] = sim.targets.fraction(counts, sizes, Target(0, w, group, measure, 0, None))
    return out


def predictive(spec: CalibrationSpec, draws: np.ndarray, runs: int,
               workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Posterior predictive runs: run ``i`` uses draw ``i mod len(draws)``.

    Returns (trajectories, shape (runs, panels, weeks + 1); observed targets, shape
    (runs, targets)). Seeded by the spec's seed, spawn keys ``(9, i)``.
    """
    tasks = [(spec, {p.path: float(v) for p, v in zip(spec.priors, draws[i % len(draws)])},
              spec.seed, i) for i in range(runs)]
    with executor(workers, jobs=runs) as pool:
        results = list(ordered_map(_predict_task, tasks, pool))
    return np.stack([r[0] for r in results]), np.stack([r[1] for r in results])


def predictive_rows(spec: CalibrationSpec, observed: np.ndarray) -> list[dict[str, Any]]:
    """Per target: observed value, predictive mean and 90 % interval, inside or not."""
    rows = []
    for j, t in enumerate(spec.targets):
        v = observed[:, j]
        v = v[v >= 0]  # undefined runs (no decisions yet) left out
        lo, hi = (np.quantile(v, [0.05, 0.95]) if v.size else (np.nan, np.nan))
        rows.append({"line": t.line, "week": t.week, "group": t.group or "all",
                     "measure": t.measure, "observed": t.value, "n": t.n or "",
                     "predicted_mean": float(v.mean()) if v.size else float("nan"),
                     "predicted_q05": float(lo), "predicted_q95": float(hi),
                     "inside_90": bool(lo <= t.value <= hi)})
    return rows


def write_scenario(spec: CalibrationSpec, path: Path, values: dict[str, float],
                   draws_file: str | None, comment: str) -> None:
    """The base scenario (every value explicit) with ``values`` set and, when given,
    ``parameters_from = draws_file`` (relative to ``path``'s folder). The user's data
    files, if any, are written as absolute paths so the file works where it lies."""
    sc = spec.scenario_at(values)
    data = sc.to_dict()
    if data["network"].get("edges_file"):
        data["network"]["edges_file"] = str(sc.resolve_path(sc.network.edges_file).resolve())
    if data["population"].get("nodes_file"):
        data["population"]["nodes_file"] = str(
            sc.resolve_path(sc.population.nodes_file).resolve())
    if draws_file:
        data = {"parameters_from": draws_file, **data}
    head = "".join(f"# {line}\n" for line in comment.splitlines())
    write_text(path, head + tomli_w.dumps(data))
