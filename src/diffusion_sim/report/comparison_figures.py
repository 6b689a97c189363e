"""The comparison report's figures: the trade-off, the paired differences, reach and
the gap over time, the strategy mix.

Every figure is written twice, as PNG (150 dpi, ≥ 1000 px wide) and SVG (vector), by
:func:`save`. Scenarios have one colour each (:data:`~diffusion_sim.report.palette.
SCENARIO_COLOURS`, baseline black) and groups another, ordered palette
(:func:`~diffusion_sim.report.palette.group_colours`); where a legend would sit on the
data, lines and points are labelled directly. Every band and error bar is the same
thing, named in each figure by :func:`band_text`: the 95 % Student-t confidence
interval of the mean across replicates (simulation noise only). Every text drawn is
passed through :func:`plain`, so a ``$`` in a scenario or group name is shown as it
is, never read as mathtext.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import stdtrit

from diffusion_sim.measures import Measure
from diffusion_sim.report.palette import group_colours, scenario_colour, scenario_style
from diffusion_sim.report.verdict import better_direction, improves
from diffusion_sim.store import write_bytes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from diffusion_sim.compare import Comparison

#: Resolution of the PNG files (dots per inch).
PNG_DPI = 150
#: Colours of a paired difference by what it means for the analyst.
VERDICT_COLOURS = {"better": "#0072B2", "worse": "#D55E00", "unclear": "#999999"}


def plain(text: Any) -> str:
    """``text`` as matplotlib must print it: literally.

    Matplotlib reads a label with a pair of ``$`` as mathtext (``$x^2$`` would print
    x², an invalid one such as ``$x^$`` fails when the figure is saved); each ``$`` is
    escaped (``\\$``, which matplotlib prints as ``$``). Control characters (a newline,
    a tab) are shown as their escapes (``\\n``), so a name stays on one line.
    """
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                    for ch in str(text))
    return shown.replace("$", r"\$")


def band_text(n: int) -> str:
    """The one name of every band and error bar in the figures."""
    return (f"bands and bars: 95 % confidence interval of the mean over {n} replicates "
            "(simulation noise only)")


def figure(width: float, height: float) -> Figure:
    """A standalone Figure (no pyplot) with readable default font sizes."""
    from matplotlib.figure import Figure  # imported when a figure is drawn: a sweep
    # or a worker that draws none never pays for matplotlib
    fig = Figure(figsize=(width, height), dpi=PNG_DPI)
    return fig


def save(fig: Figure, path: Path) -> list[Path]:
    """Write ``fig`` as ``path`` (PNG, :data:`PNG_DPI`) and beside it as SVG; returns
    both paths. SVG text is drawn as paths, so the file needs no fonts."""
    png, svg = path.with_suffix(".png"), path.with_suffix(".svg")
    for target, kw in ((png, {"dpi": PNG_DPI, "metadata": {"Software": None}}),
                       (svg, {"metadata": {"Date": None, "Creator": None}})):
        buf = io.BytesIO()  # written through the store: atomic, the user's umask, and a
        fig.savefig(buf, format=target.suffix[1:], **kw)  # full disk as one line
        write_bytes(target, buf.getvalue())
    return [png, svg]


def name_of(name: str) -> str:
    return plain(name.replace("_", " "))


def _t_half(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Half-width of the 95 % Student-t interval of the mean along ``axis``."""
    n = values.shape[axis]
    if n < 2:
        return np.full(np.delete(values.shape, axis), np.nan)
    return stdtrit(n - 1, 0.975) * values.std(axis=axis, ddof=1) / np.sqrt(n)  # t.ppf


def spread_labels(ys: Sequence[float], gap: float) -> np.ndarray:
    """Label heights near ``ys`` with at least ``gap`` between neighbours (order kept)."""
    y = np.asarray(ys, dtype=float)
    order = np.argsort(y)
    placed = y[order].copy()
    for i in range(1, placed.size):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    shift = (placed - y[order]).mean()  # centre the block on the data
    out = np.empty_like(placed)
    out[order] = placed - shift / 2
    return out


#: Where a point's label may go, in points from the point, tried in this order.
_OFFSETS = ((8, 6), (8, -14), (-8, 6), (-8, -14), (10, -4), (-10, -4), (0, 12), (0, -18),
            (14, 16), (14, -24), (-14, 16), (-14, -24))


def label_points(ax: Axes, xy: Sequence[tuple[float, float]], labels: Sequence[str],
                 colours: Sequence[str], bold_first: bool = True) -> None:
    """Label each point directly, beside it, where the label overlaps no other label or
    point (the first free place of :data:`_OFFSETS`; the first place if none is)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    taken = [ax.transData.transform(p) for p in xy]
    boxes: list[Any] = []

    def put(i: int, dx: float, dy: float) -> Any:
        return ax.annotate(labels[i], xy[i], xytext=(dx, dy), textcoords="offset points",
                           color=colours[i], fontsize=10, ha="left" if dx >= 0 else "right",
                           fontweight="bold" if bold_first and i == 0 else "normal")

    for i in range(len(xy)):
        for dx, dy in _OFFSETS:
            ann = put(i, dx, dy)
            box = ann.get_window_extent(renderer).expanded(1.05, 1.15)
            if not (any(box.overlaps(b) for b in boxes) or any(
                    box.contains(*p) for j, p in enumerate(taken) if j != i)):
                break
            ann.remove()
        else:  # nowhere free: the first place
            box = put(i, *_OFFSETS[0]).get_window_extent(renderer)
        boxes.append(box)


def engaged_fractions(comp: Comparison, name: str) -> np.ndarray:
    """(replicates, steps + 1, groups) share of each group ever engaged."""
    counts = np.stack(comp.counts[name])
    sizes = comp.group_sizes[name].astype(float)
    return counts[:, :, :, comp.columns.index("engaged")] / np.where(sizes > 0, sizes, np.nan)


def reach_equity_figure(comp: Comparison, path: Path) -> list[Path]:
    """Each scenario a labelled point: overall engagement against the gap."""
    means = {(r["scenario"], r["metric"]): r for r in comp.means()}
    fig = figure(8, 5.2)
    ax = fig.subplots()
    points = []
    for i, sc in enumerate(comp.all_scenarios):
        x, y = means[(sc.name, "engaged_final")], means[(sc.name, "engaged_gap")]
        ax.errorbar(100 * x["mean"], 100 * y["mean"],
                    xerr=[[100 * (x["mean"] - x["low"])], [100 * (x["high"] - x["mean"])]],
                    yerr=[[100 * (y["mean"] - y["low"])], [100 * (y["high"] - y["mean"])]],
                    fmt="o" if i else "s", color=scenario_colour(i), ms=8, capsize=3,
                    alpha=0.9)
        points.append((100 * x["mean"], 100 * y["mean"]))
    ax.axhline(0, color="#444", lw=0.8)
    ax.margins(x=0.18, y=0.15)
    fig.tight_layout()
    label_points(ax, points, [name_of(sc.name) for sc in comp.all_scenarios],
                 [scenario_colour(i) for i in range(len(points))])
    ax.set_xlabel("people engaged (% of everybody)  →  more reach")
    ax.set_ylabel("gap: least − most deprived (pp)  →  less equal")
    ax.grid(alpha=0.3)
    ax.set_title("Reach against equity: the further right and the lower, the better\n"
                 + band_text(comp.reps), fontsize=10)
    fig.tight_layout()
    return save(fig, path)


#: Panels of the difference figure: (metric, short title).
DIFFERENCE_PANELS = (("engaged_final", "Δ reach: people ever engaged"),
                     ("engaged_gap", "Δ gap: least − most deprived"),
                     ("unwanted_per_act", "Δ unwanted disclosures per sharing act"),
                     ("sustained_final", "Δ still engaged at the end"),
                     ("sustained_gap", "Δ gap in still being engaged"),
                     ("engaged_weeks", "Δ weeks engaged per person"))


def verdict_of(row: dict[str, Any], favourable: bool = True) -> str:
    """``better``/``worse``/``unclear`` for a paired-difference row."""
    if not row["excludes_zero"]:
        return "unclear"
    good = improves(row["metric"], row["baseline_mean"], row["difference"], favourable)
    return "better" if good else "worse"


def difference_figure(comp: Comparison, path: Path) -> list[Path]:
    """Forest plot: each policy's paired difference from the baseline in reach, the gap,
    unwanted disclosure and sustained engagement, coloured by what it means."""
    rows = {(d["scenario"], d["metric"]): d for d in comp.differences()}
    measures = {m.key: m for m in comp.measures}
    names = [sc.name for sc in comp.scenarios]
    fig = figure(12, max(5.5, 2.4 + 1.0 * len(names)))
    axes = fig.subplots(2, 3, sharey=True)
    favourable = comp.baseline.population.favourable
    for ax, (metric, title) in zip(axes.flat, DIFFERENCE_PANELS):
        m: Measure = measures[metric]
        better = better_direction(metric, rows[(names[0], metric)]["baseline_mean"],
                                  favourable)  # for the axis's arrow
        for i, sc in enumerate(names):
            r = rows[(sc, metric)]
            v = verdict_of(r, favourable)
            ax.errorbar(m.scale * r["difference"], i,
                        xerr=[[m.scale * (r["difference"] - r["diff_low"])],
                              [m.scale * (r["diff_high"] - r["difference"])]],
                        fmt="o", color=VERDICT_COLOURS[v], mfc="white" if v == "unclear"
                        else VERDICT_COLOURS[v], capsize=3, ms=7)
        ax.axvline(0, color="#444", lw=0.8)
        arrow = "→ better" if better > 0 else "← better"
        ax.set_title(plain(title), fontsize=10)
        ax.set_xlabel(plain(f"{m.diff_unit}   ({arrow})"), fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    for ax in axes[:, 0]:
        ax.set_yticks(range(len(names)), [name_of(n) for n in names])
    axes[0, 0].invert_yaxis()
    fig.suptitle("Paired difference from the baseline: blue = better, vermillion = worse, "
                 "open grey = interval includes 0\n" + band_text(comp.reps), fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def comparison_reach_figure(comp: Comparison, path: Path, hidden: set[int]) -> list[Path]:
    """Small multiples: engaged over time by group (named), one panel per scenario."""
    scen = comp.all_scenarios
    names = comp.baseline.population.names
    G = comp.baseline.n_groups
    cols = min(3, len(scen))
    rows_n = int(np.ceil(len(scen) / cols))
    fig = figure(4.4 * cols, 3.3 * rows_n + 0.9)
    axes = np.atleast_2d(fig.subplots(rows_n, cols, sharex=True, sharey=True, squeeze=False))
    for ax in axes.flat[len(scen):]:
        ax.axis("off")
    colours = group_colours(G)
    for ax, sc in zip(axes.flat, scen):
        frac = engaged_fractions(comp, sc.name)
        x = np.arange(frac.shape[1])
        for g in range(G):
            if g + 1 in hidden:
                continue
            mean, half = frac[:, :, g].mean(axis=0), _t_half(frac[:, :, g])
            ax.plot(x, 100 * mean, color=colours[g], lw=1.8, label=plain(names[g]))
            ax.fill_between(x, 100 * (mean - half), 100 * (mean + half), color=colours[g],
                            alpha=0.2, lw=0)
        ax.set_title(name_of(sc.name), fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("engaged (% of group)")
    for ax in axes[-1, :]:
        ax.set_xlabel("week")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(G, 5), frameon=False, fontsize=9)
    fig.suptitle("Reach over time by group (lines: mean; " + band_text(comp.reps) + ")",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return save(fig, path)


def gap_over_time_figure(comp: Comparison, path: Path) -> list[Path]:
    """The gap in engagement per week, one directly labelled line per scenario."""
    fig = figure(8.5, 5)
    ax = fig.subplots()
    ends = []
    for i, sc in enumerate(comp.all_scenarios):
        frac = engaged_fractions(comp, sc.name)
        gap = 100 * (frac[:, :, -1] - frac[:, :, 0])
        mean, half = gap.mean(axis=0), _t_half(gap)
        x = np.arange(gap.shape[1])
        c = scenario_colour(i)
        ax.plot(x, mean, color=c, lw=2.2 if i == 0 else 1.6,
                ls="--" if i == 0 else scenario_style(i))
        ax.fill_between(x, mean - half, mean + half, color=c, alpha=0.12, lw=0)
        ends.append((x[-1], mean[-1], c, name_of(sc.name)))
    lo, hi = ax.get_ylim()
    for (x, _, c, label), y in zip(ends, spread_labels([e[1] for e in ends],
                                                       0.045 * (hi - lo))):
        ax.annotate(label, (x, y), xytext=(6, 0), textcoords="offset points", color=c,
                    va="center", fontsize=9)
    ax.set_xlim(right=ends[0][0] * 1.28)
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_xlabel("week")
    ax.set_ylabel("gap in engagement: least − most deprived (pp)")
    ax.grid(alpha=0.3)
    ax.set_title("How the gap between groups develops (baseline dashed)\n"
                 + band_text(comp.reps), fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def comparison_mix_figure(comp: Comparison, path: Path, hidden: set[int],
                          strategy_colour: Any) -> list[Path]:
    """Strategy mix per group (by name), one panel per scenario."""
    scen = comp.all_scenarios
    G = comp.baseline.n_groups
    cols = min(3, len(scen))
    rows_n = int(np.ceil(len(scen) / cols))
    fig = figure(4.4 * cols, 3.2 * rows_n + 0.9)
    axes = np.atleast_2d(fig.subplots(rows_n, cols, sharey=True, squeeze=False))
    for ax in axes.flat[len(scen):]:
        ax.axis("off")
    groups = [g for g in range(1, G + 1) if g not in hidden]
    labels = ["all"] + [f"g{g}" for g in groups]
    for ax, sc in zip(axes.flat, scen):
        runs = comp.runs[sc.name]
        bottom = np.zeros(len(labels))
        for code, s in enumerate(sc.strategy_names):
            keys = [f"mix_{s}"] + [f"mix_{s}_g{g}" for g in groups]
            vals = np.array([np.nanmean([r[k] for r in runs]) if any(
                np.isfinite(r[k]) for r in runs) else 0.0 for k in keys])
            ax.bar(labels, 100 * vals, bottom=100 * bottom, color=strategy_colour(s, code),
                   label=plain(s))
            bottom += vals
        ax.set_title(name_of(sc.name), fontsize=10)
        ax.set_ylim(0, 100)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of decisions")
    handles, lab = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, lab, loc="lower center", ncol=4, frameon=False, fontsize=9)
    key = "; ".join(f"g{g} = {plain(n)}" for g, n in
                    zip(groups, [comp.baseline.population.names[g - 1] for g in groups]))
    fig.suptitle(f"Strategy mix by group (mean share of decisions)\n{key}", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 0.93))
    return save(fig, path)
