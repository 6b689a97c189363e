"""Figures of the robustness analysis and of scenario discovery (PNG + SVG).

- :func:`robust_difference_figure`: per criterion, each policy's paired difference from
  the baseline at every parameter setting (dots) and its quartiles (box);
- :func:`regret_figure`: per criterion, each scenario's mean and maximum regret;
- :func:`discovery_figure`: a PRIM box: the settings where the outcome happened, the
  box over its two most restrictive parameters, and the box's ranges.

Scenarios keep their colours of the comparison report
(:func:`~diffusion_sim.report.palette.scenario_colour`, baseline black).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.patches import Rectangle

from diffusion_sim.measures import parameter_label
from diffusion_sim.report.comparison_figures import figure, name_of, plain, save
from diffusion_sim.report.palette import scenario_colour

if TYPE_CHECKING:
    from diffusion_sim.discovery import Box

#: Criteria shown: (metric, title, which way is better in words).
PANELS = (("engaged_final", "Δ reach: people ever engaged (pp)", "→ better"),
          ("engaged_gap", "Δ gap: least − most deprived (pp)", "← narrower"),
          ("unwanted_per_act", "Δ unwanted disclosures per sharing act", "← better"))


def robust_difference_figure(diffs: Mapping[str, Mapping[str, np.ndarray]],
                             policies: Sequence[str], n_points: int, reps: int,
                             path: Path) -> list[Path]:
    """``diffs[policy][metric]``: per-point mean paired differences, displayed unit."""
    fig = figure(13, 1.6 + 0.75 * len(policies))
    axes = fig.subplots(1, len(PANELS), sharey=True)
    y = np.arange(len(policies))
    rng = np.random.default_rng(0)  # jitter only
    for ax, (metric, title, way) in zip(axes, PANELS):
        for i, p in enumerate(policies):
            d = np.asarray(diffs[p][metric], dtype=float)
            d = d[np.isfinite(d)]
            c = scenario_colour(i + 1)
            ax.scatter(d, i + rng.uniform(-0.18, 0.18, d.size), s=9, color=c, alpha=0.55,
                       lw=0)
            if d.size:
                q1, med, q3 = np.quantile(d, [0.25, 0.5, 0.75])
                ax.add_patch(Rectangle((q1, i - 0.28), q3 - q1, 0.56, fill=False,
                                       edgecolor=c, lw=1.6))
                ax.plot([med, med], [i - 0.28, i + 0.28], color=c, lw=2.2)
        ax.axvline(0, color="#444", lw=0.9)
        ax.set_title(plain(title), fontsize=10)
        ax.set_xlabel(plain(way), fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(y, [name_of(p) for p in policies])
    axes[0].invert_yaxis()
    fig.suptitle(f"Paired difference from the baseline at each of {n_points} parameter "
                 f"settings (dots: mean of {reps} paired replicates; box: quartiles over "
                 "the settings)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def regret_figure(rows: Sequence[Mapping[str, Any]], names: Sequence[str],
                  path: Path) -> list[Path]:
    """Bars of mean regret with the maximum as a tick, per criterion and scenario."""
    crits = list(dict.fromkeys(r["criterion"] for r in rows))
    units = {"reach": "pp below the best", "gap": "pp of |gap| above the smallest",
             "privacy": "unwanted disclosures per act above the fewest"}
    fig = figure(13, 1.6 + 0.6 * len(names))
    axes = fig.subplots(1, len(crits), sharey=True)
    y = np.arange(len(names))
    for ax, crit in zip(np.atleast_1d(axes), crits):
        by = {r["scenario"]: r for r in rows if r["criterion"] == crit}
        for i, n in enumerate(names):
            r = by[n]
            ax.barh(i, r["mean_regret"], color=scenario_colour(i), height=0.6)
            ax.plot([r["max_regret"]], [i], marker="|", ms=16, mew=2, color="#333")
        ax.set_title(plain(f"Regret: {crit}"), fontsize=10)
        ax.set_xlabel(plain(units.get(crit, "")), fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    first = np.atleast_1d(axes)[0]
    first.set_yticks(y, [name_of(n) for n in names])
    first.invert_yaxis()
    fig.suptitle("How far each scenario falls behind the best one at each parameter setting "
                 "(bar: mean over the settings; tick: worst case)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def discovery_figure(box: Box, X: Mapping[str, np.ndarray], y: np.ndarray, title: str,
                     path: Path) -> list[Path]:
    """The settings with and without the outcome over the box's two most restrictive
    parameters (the box drawn), and every restricted range within its full range."""
    fig = figure(12, 3.6 + 0.35 * max(len(box.limits), 1))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    lims = list(box.limits)
    names = list(X)
    px = lims[0].parameter if lims else names[0]
    py = lims[1].parameter if len(lims) > 1 else next((n for n in names if n != px), px)
    xs, ys = np.asarray(X[px], float), np.asarray(X[py], float)
    left.scatter(xs[~y], ys[~y], s=14, color="#56B4E9", alpha=0.7, lw=0,
                 label="outcome did not happen")
    left.scatter(xs[y], ys[y], s=18, color="#D55E00", marker="^", lw=0,
                 label="outcome happened")
    by = {lim.parameter: lim for lim in lims}
    x0, x1 = (by[px].low, by[px].high) if px in by else (xs.min(), xs.max())
    y0, y1 = (by[py].low, by[py].high) if py in by else (ys.min(), ys.max())
    left.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#000",
                             lw=1.8, ls="--"))
    left.set_xlabel(plain(parameter_label(px)), fontsize=9)
    left.set_ylabel(plain(parameter_label(py)), fontsize=9)
    left.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16),
                ncol=2)
    for i, lim in enumerate(lims):
        span = lim.full_high - lim.full_low or 1.0
        a, b = (lim.low - lim.full_low) / span, (lim.high - lim.full_low) / span
        right.barh(i, 1.0, color="#eeeeee", height=0.6)
        right.barh(i, b - a, left=a, color="#0072B2", height=0.6)
        right.text(1.02, i, f"{lim.low:.3g} – {lim.high:.3g}  (of {lim.full_low:.3g} – "
                            f"{lim.full_high:.3g})", va="center", fontsize=8)
    right.set_yticks(range(len(lims)), [plain(parameter_label(lim.parameter)) for lim in lims],
                     fontsize=9)
    right.invert_yaxis()
    right.set_xlim(0, 1.9)
    right.set_xticks([0, 0.5, 1], ["low end", "", "high end"])
    right.set_title("the box's ranges within each parameter's range", fontsize=9)
    fig.suptitle(plain(title) + f"\nbox: coverage {box.coverage:.0%} of the cases, density "
                 f"{box.density:.0%} ({box.n_inside} of {len(y)} settings inside)",
                 fontsize=10)
    fig.tight_layout()
    return save(fig, path)
