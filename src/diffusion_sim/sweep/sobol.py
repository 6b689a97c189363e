"""Sobol sensitivity indices of a Sobol-design sweep, from its own runs.

First-order indices by Saltelli et al. (2010, Table 2 (b)) and total-order by Jansen
(Saltelli 2010, Table 2 (f)), the estimators of :func:`scipy.stats.sobol_indices`,
computed on the sweep's A, B and AB_i runs (replicates of a point averaged first), with
percentile-BCa bootstrap 95 % intervals from :func:`scipy.stats.bootstrap` seeded by the
sweep seed, so the same sweep always gives the same intervals. Computing them here
(rather than through scipy's ``SobolResult.bootstrap``, which draws from numpy's global
random state) is what makes them reproducible. An output that is NaN at any point
gives NaN indices (never silently 0).

**Readable and honest.** Every row names its output and parameter in words
(``output_label``, ``parameter_label``). Indices are estimates: with few samples a
first- or total-order index may fall outside [0, 1], or its interval be wider than
the index itself; such a row gets a ``note`` and :func:`sobol_warnings` one line per
output, which ``merge`` records in the manifest and the command line prints.

**Noise-aware.** The outputs are per-point means of ``R`` replicates, so their variance
holds simulation noise, ``σ²/R`` with ``σ²`` the mean within-point variance. With
``R >= 2`` each output also gets ``noise_share`` (``σ²/R`` over the variance of the
point means) and de-noised indices: the first-order numerator is unbiased under
independent noise, Jansen's total-order numerator holds ``σ²/R`` more, so
``first_order_denoised = S_i·V/(V − σ²/R)`` and ``total_order_denoised = (ST_i·V −
σ²/R)/(V − σ²/R)`` (point estimates; NaN when the noise is at least the variance).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.measures import output_label, parameter_label
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

            from scipy import stats  # imported for a Sobol analysis only

            boot = stats.bootstrap(
                (np.arange(n),), statistic, n_resamples=n_resamples,
                confidence_level=0.95, method="BCa", vectorized=False,
                rng=np.random.default_rng([seed, j]))
            low, high = boot.confidence_interval.low, boot.confidence_interval.high
        else:
            low = high = np.full(2 * d, np.nan)
        for i, p in enumerate(names):
            row = {
                "output": o, "parameter": p,
                "first_order": float(first[i]), "first_low": float(low[i]),
                "first_high": float(high[i]),
                "total_order": float(total[i]), "total_low": float(low[d + i]),
                "total_high": float(high[d + i]),
                "output_label": output_label(o), "parameter_label": parameter_label(p),
            }
            row["note"] = doubt(row)
            table.append(row)
    return table


def doubt(row: dict[str, Any]) -> str:
    """Why a row's indices are not to be trusted ("" when nothing is wrong)."""
    out = []
    for kind in ("first", "total"):
        v = row[f"{kind}_order"]
        lo, hi = row[f"{kind}_low"], row[f"{kind}_high"]
        if not np.isfinite(v):
            out.append(f"{kind}-order index undefined (NaN output)")
        elif v < 0 or v > 1:
            out.append(f"{kind}-order index {v:.2f} outside [0, 1]")
        elif np.isfinite(lo) and np.isfinite(hi) and hi - lo > abs(v):
            out.append(f"{kind}-order interval ({lo:.2f} to {hi:.2f}) wider than the index")
    return "; ".join(out)


def sobol_warnings(table: Sequence[dict[str, Any]], samples: int) -> list[str]:
    """One line per output with doubtful indices: too few samples for them."""
    out = []
    for o in dict.fromkeys(r["output"] for r in table):
        bad = [r["parameter_label"] for r in table if r["output"] == o and r["note"]]
        if bad:
            out.append(f"Sobol indices of {output_label(o)!r}: for {', '.join(bad)} an index "
                       f"falls outside [0, 1] or its interval is wider than it (N = "
                       f"{samples} samples are too few; see the note column of sobol.csv)")
    return out


def denoise(table: list[dict[str, Any]], output: str, variance: float, noise: float) -> None:
    """Add ``noise_share`` and de-noised indices of ``output`` to its rows (docstring)."""
    share = noise / variance if variance > 0 else float("nan")
    left = variance - noise
    for r in table:
        if r["output"] != output:
            continue
        r["noise_share"] = share
        ok = left > 0 and np.isfinite(left)
        r["first_order_denoised"] = r["first_order"] * variance / left if ok else float("nan")
        r["total_order_denoised"] = ((r["total_order"] * variance - noise) / left if ok
                                     else float("nan"))


def sobol_tables(head: dict[str, Any], rows: Sequence[dict[str, Any]]
                 ) -> tuple[str, Callable[[Path], Any], list[str]]:
    """``sobol.csv`` text, a function drawing ``sobol.png`` (and ``.svg``) and the
    warnings (:func:`sobol_warnings`) of a merged sweep."""
    points = head["points"]
    names = list(points[0])
    values = {o: [[] for _ in points] for o in SOBOL_OUTPUTS}
    for r in rows:
        for o in SOBOL_OUTPUTS:
            values[o][r["point"]].append(float(r[o]))
    outputs = {o: np.array([np.mean(v) for v in vals]) for o, vals in values.items()}
    table = sobol_rows(names, outputs, head["seed"])
    reps = head.get("replications", 1)
    if reps >= 2:
        for o, vals in values.items():
            within = float(np.mean([np.var(v, ddof=1) for v in vals]))
            denoise(table, o, float(np.var(outputs[o])), within / reps)
    n = len(points) // (len(names) + 2)
    return csv_text(table), lambda path: sobol_figure(
        table, path, title=f"Sobol indices: {head['name']}"), sobol_warnings(table, n)
