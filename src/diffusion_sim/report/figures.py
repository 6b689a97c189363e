"""Figures of ``run`` and of sweeps: reach by group, strategy mix, Sobol indices.

(The comparison report's figures are in :mod:`~diffusion_sim.report.comparison_figures`,
which also holds what every figure shares: :func:`save` writes PNG and SVG,
:func:`band_text` names the bands, :func:`plain` escapes text.) Groups take the ordered
palette and scenarios the qualitative one of :mod:`~diffusion_sim.report.palette`.
Figures are drawn on ``matplotlib.figure.Figure`` objects directly (no pyplot, no
backend switch), so importing or using this module changes no global matplotlib state.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import stdtrit

from diffusion_sim.parameters import default_group_names
from diffusion_sim.report.comparison_figures import band_text, figure, plain, save
from diffusion_sim.report.palette import group_colours

STRATEGY_COLOURS = {"avoid": "#999999", "allocate": "#0072B2", "embed": "#009E73",
                    "open": "#D55E00"}
_MORE_COLOURS = ("#CC79A7", "#56B4E9", "#E69F00", "#000000")


def strategy_colour(name: str, code: int) -> str:
    """The colour of a strategy (fixed for the default four)."""
    return STRATEGY_COLOURS.get(name, _MORE_COLOURS[code % len(_MORE_COLOURS)])


def _mean(values: Sequence[float]) -> float:
    """Mean ignoring NaN; NaN (without a warning) when nothing is left."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else float("nan")


def reach_by_group_figure(frac: np.ndarray, path: Path, title: str = "",
                          measure: str = "engaged", names: Sequence[str] | None = None
                          ) -> list[Path]:
    """Fraction of each group ever ``measure`` (engaged or aware) per step, PNG + SVG.

    ``frac[r, t, g]``: the fraction of group ``g`` in replicate ``r`` after step ``t``
    (NaN for an empty group; :func:`group_fractions`). Lines are the mean over
    replicates; bands the 95 % Student-t confidence interval of that mean
    (:func:`~diffusion_sim.report.comparison_figures.band_text`), as in every figure.
    ``names``: the groups' names (default ``group 1 (most deprived)`` ...).
    """
    n_reps, steps, n_groups = frac.shape
    names = list(names) if names is not None else list(default_group_names(n_groups))
    fig = figure(8, 5)
    ax = fig.subplots()
    x = np.arange(steps)
    for g, colour in enumerate(group_colours(n_groups)):
        with warnings.catch_warnings():  # a group nobody is in: a NaN line, not drawn
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(frac[:, :, g], axis=0)
            std = np.nanstd(frac[:, :, g], axis=0, ddof=1) if n_reps > 1 else None
        ax.plot(x, 100 * mean, color=colour, lw=2, label=plain(names[g]))
        if std is not None:
            half = stdtrit(n_reps - 1, 0.975) * std / np.sqrt(n_reps)
            ax.fill_between(x, 100 * (mean - half), 100 * (mean + half), color=colour,
                            alpha=0.2, lw=0)
    ax.set_xlabel("week")
    ax.set_ylabel(f"people ever {measure} (% of group)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    ax.set_title(plain(title or "Reach over time by group") + "\n" + band_text(n_reps),
                 fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def group_fractions(counts: Sequence[np.ndarray], columns: Sequence[str],
                    group_sizes: np.ndarray, measure: str = "engaged") -> np.ndarray:
    """``frac[r, t, g]`` of :func:`reach_by_group_figure` from each replicate's counts
    (``counts[r][t, g, column]``, :attr:`~diffusion_sim.model.DiffusionModel.counts`)."""
    sizes = np.asarray(group_sizes, dtype=float)
    ever = np.stack([c[:, :, list(columns).index(measure)] for c in counts]).astype(float)
    return np.where(sizes > 0, ever / np.where(sizes > 0, sizes, 1), np.nan)


def strategy_mix_figure(runs: Sequence[dict[str, Any]], strategies: Sequence[str],
                        n_groups: int, path: Path, title: str = "",
                        names: Sequence[str] | None = None) -> list[Path]:
    """Stacked bars: share of decisions per strategy, overall and per group (mean of
    runs), PNG + SVG."""
    names = list(names) if names is not None else list(default_group_names(n_groups))
    labels = ["all"] + [plain(n) for n in names]
    suffixes = [""] + [f"_g{g}" for g in range(1, n_groups + 1)]
    fig = figure(8, 5)
    ax = fig.subplots()
    bottom = np.zeros(len(labels))
    for code, s in enumerate(strategies):
        vals = np.array([_mean([r.get(f"mix_{s}{suf}", np.nan) for r in runs])
                         for suf in suffixes])
        vals = np.nan_to_num(vals)
        ax.bar(labels, 100 * vals, bottom=100 * bottom, color=strategy_colour(s, code),
               label=plain(s))
        bottom += vals
    ax.set_ylabel("share of decisions to share (%)")
    ax.set_ylim(0, 100)
    ax.tick_params(axis="x", labelsize=8, labelrotation=15)
    ax.legend(frameon=False, fontsize=9, ncol=4, loc="upper center",
              bbox_to_anchor=(0.5, -0.18))
    ax.set_title(plain(title or "Strategy mix") + f" (mean of {len(runs)} replicates)",
                 fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def sobol_figure(table: Sequence[dict[str, Any]], path: Path, title: str = "") -> list[Path]:
    """Bars of first- and total-order Sobol indices with 95 % bootstrap intervals, one
    panel per output, PNG + SVG. Rows carry readable names (``output_label``,
    ``parameter_label``) when given; an index outside [0, 1] or an interval wider than
    its index is drawn hatched and named in the panel (too few samples)."""
    outputs = list(dict.fromkeys(r["output"] for r in table))
    params = list(dict.fromkeys(r["parameter"] for r in table))
    fig = figure(4.6 * len(outputs) + 1.5, 1.6 + 0.6 * len(params) + 1.2)
    axes = np.atleast_2d(fig.subplots(1, len(outputs), sharey=True, squeeze=False))
    y = np.arange(len(params))
    for ax, o in zip(axes[0], outputs):
        rows = [next(r for r in table if r["output"] == o and r["parameter"] == p)
                for p in params]
        for offset, kind, colour in ((-0.18, "first", "#0072B2"), (0.18, "total", "#D55E00")):
            key = "first_order" if kind == "first" else "total_order"
            val = np.array([r[key] for r in rows], dtype=float)
            lo = np.array([r[f"{kind}_low"] for r in rows], dtype=float)
            hi = np.array([r[f"{kind}_high"] for r in rows], dtype=float)
            doubtful = (val < 0) | (val > 1) | ((hi - lo) > np.abs(val))
            ax.barh(y + offset, val, height=0.34, color=colour, label=f"{kind} order",
                    hatch=["//" if d else "" for d in doubtful], edgecolor="white")
            ax.errorbar(val, y + offset, xerr=[np.clip(val - lo, 0, None),
                                               np.clip(hi - val, 0, None)],
                        fmt="none", ecolor="#333", capsize=2, lw=0.8)
        ax.set_title(plain(rows[0].get("output_label", o.replace("_", " "))), fontsize=10)
        ax.set_xlabel("Sobol index (share of output variance)")
        ax.axvline(0, color="#444", lw=0.6)
        ax.axvline(1, color="#444", lw=0.6, ls=":")
        ax.grid(alpha=0.3, axis="x")
    first = [next(r for r in table if r["parameter"] == p) for p in params]
    axes[0][0].set_yticks(y, [plain(r.get("parameter_label", r["parameter"])) for r in first],
                          fontsize=9)
    axes[0][0].invert_yaxis()
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.suptitle(plain(title or "Sobol sensitivity indices") + "\nbars: 95 % bootstrap "
                 "intervals over design points; hatched: index outside [0, 1] or interval "
                 "wider than the index (too few samples)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
