"""Figures: reach by group, strategy mix, Sobol indices and the comparison figures.

Figures use the Okabe–Ito colour-blind-safe palette and labelled axes with units.
They are drawn on ``matplotlib.figure.Figure`` objects directly (no pyplot, no backend
switch), so importing or using this module changes no global matplotlib state.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from diffusion_sim.measures import group_tag
from diffusion_sim.store import write_bytes

if TYPE_CHECKING:
    from diffusion_sim.compare import Comparison

#: Okabe & Ito (2008) colour-blind-safe palette, minus its yellow (too pale on white),
#: ordered so that groups run from vermillion (most deprived) to blue (least).
OKABE_ITO = ("#D55E00", "#E69F00", "#009E73", "#56B4E9", "#0072B2", "#CC79A7", "#000000",
             "#999999")
STRATEGY_COLOURS = {"avoid": "#999999", "allocate": "#0072B2", "embed": "#009E73",
                    "open": "#D55E00"}
_MORE_COLOURS = ("#CC79A7", "#56B4E9", "#E69F00", "#000000")


def literal(text: str) -> str:
    """``text`` as matplotlib must print it: literally.

    Matplotlib reads a label with a pair of ``$`` as mathtext (``$x^2$`` would print
    x², an invalid one such as ``$x^$`` fails when the figure is saved); each ``$`` is
    escaped (``\\$``, which matplotlib prints as ``$``). Control characters (a newline,
    a tab) are shown as their escapes (``\\n``), so a name stays on one line.
    """
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                    for ch in text)
    return shown.replace("$", r"\$")


def _name(text: str) -> str:
    """A scenario name as a label: ``_`` read as a space, printed literally."""
    return literal(text.replace("_", " "))


def strategy_colour(name: str, code: int) -> str:
    """The colour of a strategy (fixed for the default four)."""
    return STRATEGY_COLOURS.get(name, _MORE_COLOURS[code % len(_MORE_COLOURS)])


def _subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float],
              dpi: int = 110, squeeze: bool = True, **kw: Any) -> tuple[Figure, Any]:
    """``pyplot.subplots`` without pyplot: a standalone Figure and its axes."""
    fig = Figure(figsize=figsize, dpi=dpi)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze, **kw)


def _save(fig: Figure, path: Path) -> None:
    """Render ``fig`` (format from the file suffix) and write it through the store:
    atomically, with the user's umask, and a full disk or read-only folder as one
    :class:`~diffusion_sim.errors.OutputError` line."""
    buf = io.BytesIO()
    fig.savefig(buf, format=Path(path).suffix.lstrip(".") or "png")
    write_bytes(path, buf.getvalue())


def _mean(values: Sequence[float]) -> float:
    """Mean ignoring NaN; NaN (without a warning) when nothing is left."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else float("nan")


def group_colours(n_groups: int) -> list[str]:
    """One palette colour per group (group 1 = most deprived first)."""
    return [OKABE_ITO[g % len(OKABE_ITO)] for g in range(n_groups)]


def group_label(g: int, n_groups: int) -> str:
    """Plain-language label of 1-based group ``g``."""
    return f"group {g}{group_tag(g, n_groups)}"


def reach_by_group_figure(series: Sequence[dict[str, Any]], path: Path, title: str = "",
                          measure: str = "engaged") -> None:
    """Fraction of each group ever ``measure`` (engaged or aware) per step.

    Lines are the mean over replicates, bands the 2.5–97.5 % range across replicates.
    """
    reps = sorted({r["replicate"] for r in series})
    steps = max(r["step"] for r in series) + 1
    n_groups = max(r["group"] for r in series)
    frac = np.full((len(reps), steps, n_groups), np.nan)
    rep_pos = {rep: i for i, rep in enumerate(reps)}
    for r in series:
        frac[rep_pos[r["replicate"]], r["step"], r["group"] - 1] = (
            r[measure] / r["population"] if r["population"] else np.nan)
    fig, ax = _subplots(figsize=(7, 4.2), dpi=110)
    x = np.arange(steps)
    for g, colour in enumerate(group_colours(n_groups)):
        mean = np.nanmean(frac[:, :, g], axis=0)
        ax.plot(x, 100 * mean, color=colour, lw=2, label=group_label(g + 1, n_groups))
        if len(reps) > 1:
            lo, hi = np.nanpercentile(frac[:, :, g], [2.5, 97.5], axis=0)
            ax.fill_between(x, 100 * lo, 100 * hi, color=colour, alpha=0.15, lw=0)
    ax.set_xlabel("week")
    ax.set_ylabel(f"people ever {measure} (% of group)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(literal(title) or f"Reach over time by group ({len(reps)} replicates)",
                 fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def strategy_mix_figure(runs: Sequence[dict[str, Any]], strategies: Sequence[str],
                        n_groups: int, path: Path, title: str = "") -> None:
    """Stacked bars: share of decisions per strategy, overall and per group (mean of runs)."""
    labels = ["all"] + [f"group {g}" for g in range(1, n_groups + 1)]
    suffixes = [""] + [f"_g{g}" for g in range(1, n_groups + 1)]
    fig, ax = _subplots(figsize=(7, 4.2), dpi=110)
    bottom = np.zeros(len(labels))
    for code, s in enumerate(strategies):
        vals = np.array([_mean([r.get(f"mix_{s}{suf}", np.nan) for r in runs])
                         for suf in suffixes])
        vals = np.nan_to_num(vals)
        ax.bar(labels, 100 * vals, bottom=100 * bottom, color=strategy_colour(s, code),
               label=literal(s))
        bottom += vals
    ax.set_ylabel("share of decisions to share (%)")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=8, ncol=4, loc="upper center",
              bbox_to_anchor=(0.5, -0.12))
    ax.set_title(literal(title) or "Strategy mix", fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def sobol_figure(table: Sequence[dict[str, Any]], path: Path, title: str = "") -> None:
    """Bars of first- and total-order Sobol indices with 95 % bootstrap intervals,
    one panel per output."""
    outputs = list(dict.fromkeys(r["output"] for r in table))
    params = list(dict.fromkeys(r["parameter"] for r in table))
    fig, axes = _subplots(1, len(outputs), figsize=(4.2 * len(outputs), 0.9 + 0.55 *
                             len(params) + 1.5), dpi=110, sharey=True, squeeze=False)
    y = np.arange(len(params))
    for ax, o in zip(axes[0], outputs):
        rows = [next(r for r in table if r["output"] == o and r["parameter"] == p)
                for p in params]
        for offset, kind, colour in ((-0.18, "first", "#0072B2"), (0.18, "total", "#D55E00")):
            key = "first_order" if kind == "first" else "total_order"
            val = np.array([r[key] for r in rows])
            lo = np.array([r[f"{kind}_low"] for r in rows])
            hi = np.array([r[f"{kind}_high"] for r in rows])
            ax.barh(y + offset, val, height=0.34, color=colour, label=f"{kind} order")
            ax.errorbar(val, y + offset, xerr=[np.clip(val - lo, 0, None),
                                               np.clip(hi - val, 0, None)],
                        fmt="none", ecolor="#333", capsize=2, lw=0.8)
        ax.set_title(_name(o), fontsize=10)
        ax.set_xlabel("Sobol index (share of output variance)")
        ax.axvline(0, color="#444", lw=0.6)
        ax.grid(alpha=0.3, axis="x")
    axes[0][0].set_yticks(y, [literal(p.replace("traits.", "").replace("transmission.", ""))
                             for p in params], fontsize=8)
    axes[0][0].invert_yaxis()
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.suptitle(literal(title) or "Sobol sensitivity indices", fontsize=11)
    fig.tight_layout()
    _save(fig, path)

def _panels(n: int, height: float, **kw: Any) -> tuple[Any, np.ndarray]:
    """A grid of up to 3 columns for ``n`` small multiples (unused cells hidden)."""
    cols = min(3, n)
    rows_n = int(np.ceil(n / cols))
    fig, axes = _subplots(rows_n, cols, figsize=(4.2 * cols, height * rows_n), dpi=100,
                          squeeze=False, **kw)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes


def comparison_reach_figure(comp: Comparison, path: Path, hidden: set[int]) -> None:
    """Small multiples: engaged over time by group, mean and 95 % t band, per scenario."""
    scen = comp.all_scenarios
    G = comp.baseline.n_groups
    fig, axes = _panels(len(scen), 3.2, sharex=True, sharey=True)
    for ax, sc in zip(axes.flat, scen):
        counts = np.stack(comp.counts[sc.name])  # reps, steps, G, cols
        sizes = comp.group_sizes[sc.name].astype(float)
        frac = counts[:, :, :, comp.columns.index("engaged")] / np.where(sizes > 0, sizes, np.nan)
        x = np.arange(frac.shape[1])
        for g, colour in enumerate(group_colours(G)):
            if g + 1 in hidden:
                continue
            mean = frac[:, :, g].mean(axis=0)
            ax.plot(x, 100 * mean, color=colour, lw=1.8, label=group_label(g + 1, G))
            if frac.shape[0] > 1:
                half = stats.t.ppf(0.975, frac.shape[0] - 1) * frac[:, :, g].std(
                    axis=0, ddof=1) / np.sqrt(frac.shape[0])
                ax.fill_between(x, 100 * (mean - half), 100 * (mean + half), color=colour,
                                alpha=0.2, lw=0)
        ax.set_title(_name(sc.name), fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("engaged (% of group)")
    for ax in axes[-1, :]:
        ax.set_xlabel("week")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(G, 5), frameon=False, fontsize=8)
    fig.suptitle("Reach over time by group (mean, 95 % interval across replicates)",
                 fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    _save(fig, path)


def gap_over_time_figure(comp: Comparison, path: Path) -> None:
    """The top–bottom gap in engagement per week, one line per scenario (mean, 95 % band)."""
    fig, ax = _subplots(figsize=(7, 4.2), dpi=110)
    for i, sc in enumerate(comp.all_scenarios):
        counts = np.stack(comp.counts[sc.name])
        sizes = comp.group_sizes[sc.name].astype(float)
        frac = counts[:, :, :, comp.columns.index("engaged")] / np.where(sizes > 0, sizes, np.nan)
        gap = 100 * (frac[:, :, -1] - frac[:, :, 0])
        mean = gap.mean(axis=0)
        x = np.arange(gap.shape[1])
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(x, mean, color=colour, lw=2 if i == 0 else 1.5,
                ls="-" if i else "--", label=_name(sc.name))
        if gap.shape[0] > 1:
            half = stats.t.ppf(0.975, gap.shape[0] - 1) * gap.std(axis=0, ddof=1) / np.sqrt(
                gap.shape[0])
            ax.fill_between(x, mean - half, mean + half, color=colour, alpha=0.12, lw=0)
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_xlabel("week")
    ax.set_ylabel("gap in engagement: least − most deprived (pp)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("How the gap between groups develops (mean, 95 % interval)", fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def reach_equity_figure(comp: Comparison, path: Path) -> None:
    """Each scenario a point: overall engagement vs the top–bottom gap, 95 % intervals."""
    means = {(r["scenario"], r["metric"]): r for r in comp.means()}
    fig, ax = _subplots(figsize=(7, 4.6), dpi=110)
    for i, sc in enumerate(comp.all_scenarios):
        x = means[(sc.name, "engaged_final")]
        y = means[(sc.name, "engaged_gap")]
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.errorbar(100 * x["mean"], 100 * y["mean"],
                    xerr=[[100 * (x["mean"] - x["low"])], [100 * (x["high"] - x["mean"])]],
                    yerr=[[100 * (y["mean"] - y["low"])], [100 * (y["high"] - y["mean"])]],
                    fmt="o", color=colour, ms=7, capsize=3,
                    label=_name(sc.name))
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_xlabel("people engaged (% of everybody) → more reach")
    ax.set_ylabel("gap: least − most deprived group (pp) → less equal")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.set_title("Reach vs equity: each scenario with 95 % intervals", fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def comparison_mix_figure(comp: Comparison, path: Path, hidden: set[int]) -> None:
    """Strategy mix per group, one panel per scenario (mean share of decisions)."""
    scen = comp.all_scenarios
    G = comp.baseline.n_groups
    fig, axes = _panels(len(scen), 3.0, sharey=True)
    groups = [g for g in range(1, G + 1) if g not in hidden]
    labels = ["all"] + [f"g{g}" for g in groups]
    for ax, sc in zip(axes.flat, scen):
        runs = comp.runs[sc.name]
        bottom = np.zeros(len(labels))
        for code, s in enumerate(sc.strategy_names):
            keys = [f"mix_{s}"] + [f"mix_{s}_g{g}" for g in groups]
            vals = np.nan_to_num([_mean([r[k] for r in runs]) for k in keys])
            ax.bar(labels, 100 * vals, bottom=100 * bottom, color=strategy_colour(s, code),
                   label=literal(s))
            bottom += vals
        ax.set_title(_name(sc.name), fontsize=10)
        ax.set_ylim(0, 100)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of decisions")
    handles, lab = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, lab, loc="lower center", ncol=4, frameon=False, fontsize=8)
    fig.suptitle("Strategy mix by group (g1 = most deprived)", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    _save(fig, path)


#: The panels of the difference figure: (metric, title).
DIFFERENCE_PANELS = (
    ("engaged_final", "Δ engaged (pp)"),
    ("engaged_gap", "Δ gap, least − most deprived (pp)"),
    ("sustained_final", "Δ still engaged at the end (pp)"),
    ("sustained_gap", "Δ sustained-engagement gap (pp)"),
)


def difference_figure(comp: Comparison, path: Path) -> None:
    """Forest plot: paired difference from the baseline in reach, the gap, sustained
    engagement and its gap."""
    rows = {(d["scenario"], d["metric"]): d for d in comp.differences()}
    names = [sc.name for sc in comp.scenarios]
    fig, axes = _subplots(2, 2, figsize=(10, max(4.6, 1.6 + 0.8 * len(names))), dpi=110,
                          sharey=True)
    for ax, (metric, title) in zip(axes.flat, DIFFERENCE_PANELS):
        for i, sc in enumerate(names):
            r = rows[(sc, metric)]
            colour = "#0072B2" if r["excludes_zero"] else "#999999"
            ax.errorbar(100 * r["difference"], i,
                        xerr=[[100 * (r["difference"] - r["diff_low"])],
                              [100 * (r["diff_high"] - r["difference"])]],
                        fmt="o", color=colour, capsize=3)
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    for ax in axes[:, 0]:
        ax.set_yticks(range(len(names)), [_name(n) for n in names])
    axes[0, 0].invert_yaxis()
    fig.suptitle("Paired difference from the baseline (95 % interval; blue = excludes 0)",
                 fontsize=10)
    fig.tight_layout()
    _save(fig, path)
