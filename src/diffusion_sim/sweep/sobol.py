"""Sobol sensitivity indices of a Sobol-design sweep, from its own runs.

First-order indices by Saltelli et al. (2010, Table 2 (b)) and total-order by Jansen
(Saltelli 2010, Table 2 (f)), the estimators of :func:`scipy.stats.sobol_indices`,
computed on the sweep's A, B and AB_i runs (replicates of a point averaged first), with
percentile-BCa bootstrap 95 % intervals from :func:`scipy.stats.bootstrap` seeded by the
sweep seed, so the same sweep always gives the same intervals. Computing them here
(rather than through scipy's ``SobolResult.bootstrap``, which draws from numpy's global
random state) is what makes them reproducible. An output that is NaN at any point
gives NaN indices (never silently 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from diffusion_sim.report.figures import sobol_figure
from diffusion_sim.store import csv_text

#: Outputs whose Sobol indices are reported for a Sobol design.
SOBOL_OUTPUTS = ("engaged_final", "engaged_gap", "engaged_ci_erreygers")


def indices(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """First- and total-order indices, shape (d,), of one output.

    ``f_A``, ``f_B``: (n,) outputs at A and B; ``f_AB``: (d, n) at each AB_i. Outputs
    are centred on the mean of A and B; a zero variance gives indices 0; any NaN gives
    NaN.
    """
    mean = np.mean([f_A, f_B])
    a, b, ab = f_A - mean, f_B - mean, f_AB - mean
    var = np.var([a, b])
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(b * (ab - a), axis=-1) / var
        total = 0.5 * np.mean((a - ab) ** 2, axis=-1) / var
    if var == 0:
        first, total = np.zeros_like(first), np.zeros_like(total)
    return first, total


def sobol_rows(names: Sequence[str], outputs: dict[str, np.ndarray], seed: int,
               n_resamples: int = 999) -> list[dict[str, Any]]:
    """One row per (output, parameter): indices and 95 % bootstrap intervals.

    ``outputs[o]`` holds the per-point mean of output ``o`` in design order
    (A, B, AB_1 .. AB_d, each ``n`` points).
    """
    d = len(names)
    table = []
    for j, (o, f) in enumerate(outputs.items()):
        n = f.size // (d + 2)
        f_A, f_B = f[:n], f[n:2 * n]
        f_AB = np.stack([f[(2 + i) * n:(3 + i) * n] for i in range(d)])
        first, total = indices(f_A, f_B, f_AB)
        if np.all(np.isfinite(f)):
            def statistic(idx, f_A=f_A, f_B=f_B, f_AB=f_AB):
                return np.concatenate(indices(f_A[idx], f_B[idx], f_AB[:, idx]))

            boot = stats.bootstrap(
                (np.arange(n),), statistic, n_resamples=n_resamples,
                confidence_level=0.95, method="BCa", vectorized=False,
                rng=np.random.default_rng([seed, j]))
            low, high = boot.confidence_interval.low, boot.confidence_interval.high
        else:
            low = high = np.full(2 * d, np.nan)
        for i, p in enumerate(names):
            table.append({
                "output": o, "parameter": p,
                "first_order": float(first[i]), "first_low": float(low[i]),
                "first_high": float(high[i]),
                "total_order": float(total[i]), "total_low": float(low[d + i]),
                "total_high": float(high[d + i]),
            })
    return table


def sobol_tables(head: dict[str, Any], rows: Sequence[dict[str, Any]]
                 ) -> tuple[str, Callable[[Path], None]]:
    """``sobol.csv`` text and a function drawing ``sobol.png`` for a merged sweep."""
    points = head["points"]
    names = list(points[0])
    per_point = {o: np.zeros(len(points)) for o in SOBOL_OUTPUTS}
    counts = np.zeros(len(points))
    for r in rows:
        for o in SOBOL_OUTPUTS:
            per_point[o][r["point"]] += float(r[o])
        counts[r["point"]] += 1
    outputs = {o: v / counts for o, v in per_point.items()}
    table = sobol_rows(names, outputs, head["seed"])
    return csv_text(table), lambda path: sobol_figure(
        table, path, title=f"Sobol indices: {head['name']}")
