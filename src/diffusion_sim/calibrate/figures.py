"""Calibration figures: marginals, pairs, posterior predictive bands, diagnostics.

Drawn on standalone ``matplotlib.figure.Figure`` objects (no pyplot), in the project's
colour-blind-safe palette (:mod:`diffusion_sim.report.palette`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from diffusion_sim.calibrate.outputs import panels
from diffusion_sim.calibrate.priors import Prior
from diffusion_sim.calibrate.targets import Target
from diffusion_sim.report.comparison_figures import figure
from diffusion_sim.report.palette import group_colours

POST, PRIOR, DATA = "#0072B2", "#999999", "#000000"


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float],
             **kw: Any) -> tuple[Figure, Any]:
    """A standalone Figure (no pyplot) and its grid of axes."""
    fig = figure(*figsize)
    return fig, fig.subplots(nrows, ncols, **kw)


def _short(path: str) -> str:
    """A parameter's label: its dotted path without the table name when that leaves two
    parts or more (``traits.receptiveness.group1.mean`` -> ``receptiveness.group1.mean``)."""
    parts = path.split(".")
    return ".".join(parts[1:] if len(parts) > 2 else parts)


def marginals_figure(priors: Sequence[Prior], particles: np.ndarray, weights: np.ndarray,
                     path: Path, truth: Mapping[str, float] | None = None) -> None:
    """One panel per parameter: the prior density and the weighted posterior histogram
    (with its 90 % interval; the true value when known, e.g. synthetic data)."""
    k = len(priors)
    cols = min(k, 3)
    rows = -(-k // cols)
    fig, axes = subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    w = weights / weights.sum()
    for j, prior in enumerate(priors):
        ax = axes[j // cols][j % cols]
        x = particles[:, j]
        grid = np.linspace(prior.lo, prior.hi, 200)
        ax.hist(x, bins=30, range=(prior.lo, prior.hi), weights=w, density=True, color=POST,
                alpha=0.6, label="posterior")
        ax.plot(grid, prior.dist().pdf(grid), color=PRIOR, lw=2, label=f"prior {prior.describe()}")
        order = np.argsort(x)
        cdf = np.cumsum(w[order])
        lo, hi = np.interp([0.05, 0.95], cdf, x[order])
        ax.axvspan(lo, hi, color=POST, alpha=0.12, label="90 % interval")
        if truth and prior.path in truth:
            ax.axvline(truth[prior.path], color="#D55E00", lw=2, label="true value")
        ax.set_title(prior.path, fontsize=9)
        ax.set_xlabel("value")
        ax.set_ylabel("density")
        ax.legend(fontsize=7)
    for j in range(k, rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)


def pairs_figure(priors: Sequence[Prior], draws: np.ndarray, path: Path) -> None:
    """Every pair of parameters: the posterior draws as a scatter (a ridge = two
    parameters the data pin down only together); histograms on the diagonal."""
    k = len(priors)
    fig, axes = subplots(k, k, figsize=(2.6 * k + 0.6, 2.6 * k + 0.6), squeeze=False)
    for i in range(k):
        for j in range(k):
            ax = axes[i][j]
            if i == j:
                ax.hist(draws[:, j], bins=25, range=(priors[j].lo, priors[j].hi), color=POST)
            elif i > j:
                ax.scatter(draws[:, j], draws[:, i], s=4, alpha=0.4, color=POST)
                ax.set_xlim(priors[j].lo, priors[j].hi)
                ax.set_ylim(priors[i].lo, priors[i].hi)
            else:
                r = np.corrcoef(draws[:, j], draws[:, i])[0, 1] if np.ptp(draws[:, j]) and \
                    np.ptp(draws[:, i]) else np.nan
                ax.text(0.5, 0.5, f"r = {r:+.2f}", ha="center", va="center",
                        transform=ax.transAxes, fontsize=11)
                ax.set_xticks([])
                ax.set_yticks([])
            if i == k - 1:
                ax.set_xlabel(_short(priors[j].path), fontsize=8)
            if j == 0:
                ax.set_ylabel(_short(priors[i].path), fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Posterior draws, pairwise (correlation above the diagonal)")
    fig.tight_layout()
    fig.savefig(path)


def predictive_figure(targets: Sequence[Target], traj: np.ndarray, n_groups: int,
                      path: Path, title: str) -> None:
    """Posterior predictive bands of every target against the data, by group.

    One row per measure, one column per group (``all`` first when used): the band of
    the simulated figure week by week (50 % and 90 % of the predictive runs), its
    median, and the data (with a 90 % binomial interval where ``n`` is given).
    """
    pairs = panels(targets)
    measures = list(dict.fromkeys(m for m, _ in pairs))
    groups = sorted({g for _, g in pairs})
    fig, axes = subplots(len(measures), len(groups),
                         figsize=(2.9 * len(groups) + 0.8, 2.5 * len(measures) + 0.8),
                         squeeze=False)
    weeks = np.arange(traj.shape[2])
    for k, (measure, group) in enumerate(pairs):
        ax = axes[measures.index(measure)][groups.index(group)]
        colour = DATA if group == 0 else group_colours(max(groups))[group - 1]
        with warnings.catch_warnings():  # weeks before any decision: all NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(traj[:, k, :], [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        ax.fill_between(weeks, 100 * q[0], 100 * q[4], color=colour, alpha=0.15, lw=0)
        ax.fill_between(weeks, 100 * q[1], 100 * q[3], color=colour, alpha=0.3, lw=0)
        ax.plot(weeks, 100 * q[2], color=colour, lw=1.2)
        for t in targets:
            if (t.measure, t.group) != (measure, group):
                continue
            err = None
            if t.n:
                half = 1.645 * np.sqrt(max(t.value * (1 - t.value), 0.25 / t.n) / t.n)
                err = [[100 * min(half, t.value)], [100 * min(half, 1 - t.value)]]
            ax.errorbar([t.week], [100 * t.value], yerr=err, fmt="o", color=DATA, ms=4,
                        capsize=2, zorder=5)
        ax.set_title(f"{measure}, {'all' if group == 0 else f'group {group}'}", fontsize=8)
        ax.set_xlabel("week", fontsize=7)
        ax.set_ylabel("% of group", fontsize=7)
        ax.tick_params(labelsize=7)
    for i in range(len(measures)):
        for j in range(len(groups)):
            if (measures[i], groups[j]) not in pairs:
                axes[i][j].set_visible(False)
    fig.suptitle(f"{title}: posterior predictive 50 % / 90 % bands (lines: median) and "
                 "the data (dots; bars: 90 % binomial interval)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def diagnostics_figure(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Per generation: the threshold, the acceptance rate and the effective sample size."""
    fig, axes = subplots(1, 3, figsize=(11, 3.2))
    t = [r["generation"] for r in rows]
    for ax, key, label in zip(axes, ("epsilon", "acceptance", "ess"),
                              ("distance threshold", "acceptance rate", "effective sample size")):
        ax.plot(t, [r[key] for r in rows], "o-", color=POST)
        ax.set_xlabel("generation")
        ax.set_ylabel(label)
        if key == "acceptance":
            ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path)
