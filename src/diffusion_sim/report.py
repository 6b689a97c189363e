"""Figures (and, for scenario comparisons, the HTML report).

Figures use the Okabe–Ito colour-blind-safe palette, labelled axes with units, and
are written as PNG with the non-interactive Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from diffusion_sim.scenario import STRATEGIES

#: Okabe & Ito (2008) colour-blind-safe palette, minus its yellow (too pale on white),
#: ordered so that groups run from vermillion (most deprived) to blue (least).
OKABE_ITO = ("#D55E00", "#E69F00", "#009E73", "#56B4E9", "#0072B2", "#CC79A7", "#000000",
             "#999999")
STRATEGY_COLOURS = {"avoid": "#999999", "allocate": "#0072B2", "embed": "#009E73",
                    "open": "#D55E00"}


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
    if g == 1:
        return "group 1 (most deprived)"
    if g == n_groups:
        return f"group {g} (least deprived)"
    return f"group {g}"


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
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
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
    ax.set_title(title or f"Reach over time by group ({len(reps)} replicates)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def strategy_mix_figure(runs: Sequence[dict[str, Any]], n_groups: int, path: Path,
                        title: str = "") -> None:
    """Stacked bars: share of decisions per strategy, overall and per group (mean of runs)."""
    labels = ["all"] + [f"group {g}" for g in range(1, n_groups + 1)]
    suffixes = [""] + [f"_g{g}" for g in range(1, n_groups + 1)]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    bottom = np.zeros(len(labels))
    for s in STRATEGIES:
        vals = np.array([_mean([r.get(f"mix_{s}{suf}", np.nan) for r in runs])
                         for suf in suffixes])
        vals = np.nan_to_num(vals)
        ax.bar(labels, 100 * vals, bottom=100 * bottom, color=STRATEGY_COLOURS[s], label=s)
        bottom += vals
    ax.set_ylabel("share of decisions to share (%)")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=8, ncol=4, loc="upper center",
              bbox_to_anchor=(0.5, -0.12))
    ax.set_title(title or "Strategy mix", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def sobol_figure(table: Sequence[dict[str, Any]], path: Path, title: str = "") -> None:
    """Bars of first- and total-order Sobol indices with 95 % bootstrap intervals,
    one panel per output."""
    outputs = list(dict.fromkeys(r["output"] for r in table))
    params = list(dict.fromkeys(r["parameter"] for r in table))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.2 * len(outputs), 0.9 + 0.55 *
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
        ax.set_title(o.replace("_", " "), fontsize=10)
        ax.set_xlabel("Sobol index (share of output variance)")
        ax.axvline(0, color="#444", lw=0.6)
        ax.grid(alpha=0.3, axis="x")
    axes[0][0].set_yticks(y, [p.replace("traits.", "").replace("transmission.", "")
                             for p in params], fontsize=8)
    axes[0][0].invert_yaxis()
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.suptitle(title or "Sobol sensitivity indices", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------------------
# Scenario-comparison report
# ---------------------------------------------------------------------------
def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def differing_parameters(scenarios: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows (parameter, value per scenario) for every parameter that is not the same in all.

    Per-group trait values are resolved so a group override shows against the default.
    """
    flat = []
    for sc in scenarios:
        d = _flatten({k: v for k, v in sc.to_dict().items() if k not in ("name", "description")})
        for t, tp in sc.traits.items():
            for g in range(sc.n_groups):
                d[f"traits.{t}.group{g + 1}.mean"] = tp.group_mean[g]
        for g, p in enumerate(sc.digital_access.group_probability):
            d[f"digital_access.group{g + 1}.probability"] = p
        flat.append(d)
    keys = sorted(set().union(*flat))
    rows = []
    for k in keys:
        vals = [f.get(k, "") for f in flat]
        if any(v != vals[0] for v in vals[1:]):
            if any(k.startswith(p) and k.count(".") == 2 and k.split(".")[2].startswith("group")
                   for p in ("traits.",)):
                continue  # the override table itself; its resolved value is listed
            rows.append({"parameter": k, **{sc.name: v for sc, v in zip(scenarios, vals)}})
    return rows


def _fmt(x: float, scale: float = 1.0, digits: int = 1) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x * scale:.{digits}f}"


def _interval(lo: float, hi: float, scale: float, digits: int) -> str:
    return f"{_fmt(lo, scale, digits)} to {_fmt(hi, scale, digits)}"


def suppressed_groups(comp: Any, min_count: int) -> set[int]:
    """1-based groups whose size is below ``min_count`` in any scenario built on user files."""
    out: set[int] = set()
    for sc in comp.all_scenarios:
        if sc.uses_user_data:
            sizes = comp.group_sizes[sc.name]
            out |= {g + 1 for g, s in enumerate(sizes) if s < min_count}
    return out


def summary_table(comp: Any, min_count: int = 10) -> list[dict[str, str]]:
    """The one-minute table: per scenario, headline metrics with 95 % intervals and the
    paired difference from the baseline (✱ where its interval excludes 0)."""
    from diffusion_sim.compare import headline_metrics

    hidden = suppressed_groups(comp, min_count)
    diffs = {(r["scenario"], r["metric"]): r for r in comp.differences()}
    means = {(r["scenario"], r["metric"]): r for r in comp.means()}
    rows = []
    for h in headline_metrics(comp.baseline.n_groups):
        g = int(h.key.rsplit("_g", 1)[1]) if "_final_g" in h.key else None
        digits = 1 if h.scale == 100 else 3
        row = {"measure": h.label, "unit": "%" if h.scale == 100 and "Gap" not in h.label
               and "SII" not in h.label else h.unit}
        for sc in comp.all_scenarios:
            if g is not None and g in hidden:
                row[sc.name] = f"suppressed (< {min_count} people)"
                continue
            m = means[(sc.name, h.key)]
            cell = f"{_fmt(m['mean'], h.scale, digits)} ({_interval(m['low'], m['high'], h.scale, digits)})"
            if sc is not comp.baseline:
                d = diffs[(sc.name, h.key)]
                star = " ✱" if d["excludes_zero"] else ""
                cell += (f"; Δ {d['difference'] * h.scale:+.{digits}f} "
                         f"({_interval(d['diff_low'], d['diff_high'], h.scale, digits)}){star}")
            row[sc.name] = cell
        rows.append(row)
    return rows


def _markdown(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _panels(n: int, height: float, **kw: Any) -> tuple[Any, np.ndarray]:
    """A grid of up to 3 columns for ``n`` small multiples (unused cells hidden)."""
    cols = min(3, n)
    rows_n = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, height * rows_n), dpi=100,
                             squeeze=False, **kw)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes


def comparison_reach_figure(comp: Any, path: Path, hidden: set[int]) -> None:
    """Small multiples: engaged over time by group, mean and 95 % t band, per scenario."""
    scen = comp.all_scenarios
    G = comp.baseline.n_groups
    fig, axes = _panels(len(scen), 3.2, sharex=True, sharey=True)
    from scipy import stats

    from diffusion_sim.model import COL

    for ax, sc in zip(axes.flat, scen):
        counts = np.stack(comp.counts[sc.name])  # reps, steps, G, cols
        sizes = comp.group_sizes[sc.name].astype(float)
        frac = counts[:, :, :, COL["engaged"]] / np.where(sizes > 0, sizes, np.nan)
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
        ax.set_title(sc.name.replace("_", " "), fontsize=10)
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
    fig.savefig(path)
    plt.close(fig)


def gap_over_time_figure(comp: Any, path: Path) -> None:
    """The top–bottom gap in engagement per week, one line per scenario (mean, 95 % band)."""
    from scipy import stats

    from diffusion_sim.model import COL

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for i, sc in enumerate(comp.all_scenarios):
        counts = np.stack(comp.counts[sc.name])
        sizes = comp.group_sizes[sc.name].astype(float)
        frac = counts[:, :, :, COL["engaged"]] / np.where(sizes > 0, sizes, np.nan)
        gap = 100 * (frac[:, :, -1] - frac[:, :, 0])
        mean = gap.mean(axis=0)
        x = np.arange(gap.shape[1])
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(x, mean, color=colour, lw=2 if i == 0 else 1.5,
                ls="-" if i else "--", label=sc.name.replace("_", " "))
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
    fig.savefig(path)
    plt.close(fig)


def reach_equity_figure(comp: Any, path: Path) -> None:
    """Each scenario a point: overall engagement vs the top–bottom gap, 95 % intervals."""
    means = {(r["scenario"], r["metric"]): r for r in comp.means()}
    fig, ax = plt.subplots(figsize=(7, 4.6), dpi=110)
    for i, sc in enumerate(comp.all_scenarios):
        x = means[(sc.name, "engaged_final")]
        y = means[(sc.name, "engaged_gap")]
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.errorbar(100 * x["mean"], 100 * y["mean"],
                    xerr=[[100 * (x["mean"] - x["low"])], [100 * (x["high"] - x["mean"])]],
                    yerr=[[100 * (y["mean"] - y["low"])], [100 * (y["high"] - y["mean"])]],
                    fmt="o", color=colour, ms=7, capsize=3,
                    label=sc.name.replace("_", " "))
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_xlabel("people engaged (% of everybody) → more reach")
    ax.set_ylabel("gap: least − most deprived group (pp) → less equal")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.set_title("Reach vs equity: each scenario with 95 % intervals", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def comparison_mix_figure(comp: Any, path: Path, hidden: set[int]) -> None:
    """Strategy mix per group, one panel per scenario (mean share of decisions)."""
    scen = comp.all_scenarios
    G = comp.baseline.n_groups
    fig, axes = _panels(len(scen), 3.0, sharey=True)
    groups = [g for g in range(1, G + 1) if g not in hidden]
    labels = ["all"] + [f"g{g}" for g in groups]
    for ax, sc in zip(axes.flat, scen):
        runs = comp.runs[sc.name]
        bottom = np.zeros(len(labels))
        for s in STRATEGIES:
            keys = [f"mix_{s}"] + [f"mix_{s}_g{g}" for g in groups]
            vals = np.nan_to_num([_mean([r[k] for r in runs]) for k in keys])
            ax.bar(labels, 100 * vals, bottom=100 * bottom, color=STRATEGY_COLOURS[s], label=s)
            bottom += vals
        ax.set_title(sc.name.replace("_", " "), fontsize=10)
        ax.set_ylim(0, 100)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of decisions")
    handles, lab = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, lab, loc="lower center", ncol=4, frameon=False, fontsize=8)
    fig.suptitle("Strategy mix by group (g1 = most deprived)", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    fig.savefig(path)
    plt.close(fig)


def difference_figure(comp: Any, path: Path) -> None:
    """Forest plot: paired difference from the baseline in reach and in the gap."""
    diffs = [r for r in comp.differences() if r["metric"] in ("engaged_final", "engaged_gap")]
    fig, axes = plt.subplots(1, 2, figsize=(9, max(2.8, 1.0 + 0.45 * len(comp.scenarios))),
                             dpi=110,
                             sharey=True)
    names = [sc.name for sc in comp.scenarios]
    for ax, metric, title in zip(axes, ("engaged_final", "engaged_gap"),
                                 ("Δ engaged (pp)", "Δ gap, least − most deprived (pp)")):
        for i, sc in enumerate(names):
            r = next(d for d in diffs if d["scenario"] == sc and d["metric"] == metric)
            colour = "#0072B2" if r["excludes_zero"] else "#999999"
            ax.errorbar(100 * r["difference"], i,
                        xerr=[[100 * (r["difference"] - r["diff_low"])],
                              [100 * (r["diff_high"] - r["difference"])]],
                        fmt="o", color=colour, capsize=3)
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
    axes[0].invert_yaxis()
    fig.suptitle("Paired difference from the baseline (95 % interval; blue = excludes 0)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_comparison_report(comp: Any, out: Path, min_count: int = 10,
                            extra: dict[str, Any] | None = None) -> Path:
    """Write the comparison's tables (CSV, Markdown) and the self-contained HTML report.

    Returns the path of ``report.html``. When a scenario uses the user's own network or
    attribute files, per-group cells of groups smaller than ``min_count`` are suppressed
    everywhere (tables and figures), and the report says so.
    """
    import base64
    import html
    from datetime import UTC, datetime

    from diffusion_sim.runs import manifest, write_csv, write_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hidden = suppressed_groups(comp, min_count)
    user_data = any(sc.uses_user_data for sc in comp.all_scenarios)

    summary = summary_table(comp, min_count)
    diffs = comp.differences()
    if hidden:
        diffs = [d for d in diffs if not any(d["metric"] == f"engaged_final_g{g}"
                                             for g in hidden)]
    params = differing_parameters(comp.all_scenarios)
    write_csv(out / "summary.csv", summary)
    write_csv(out / "differences.csv", diffs)
    write_csv(out / "parameters.csv", params)
    if not user_data:  # per-replicate rows only for synthetic populations
        write_csv(out / "runs.csv", [{"scenario": name, "replicate": r, **row}
                                     for name, rows in comp.runs.items()
                                     for r, row in enumerate(rows)])
    figures = {
        "reach_over_time.png": lambda p: comparison_reach_figure(comp, p, hidden),
        "reach_vs_equity.png": lambda p: reach_equity_figure(comp, p),
        "differences.png": lambda p: difference_figure(comp, p),
        "gap_over_time.png": lambda p: gap_over_time_figure(comp, p),
        "strategy_mix.png": lambda p: comparison_mix_figure(comp, p, hidden),
    }
    images = {}
    for name, draw in figures.items():
        draw(out / name)
        images[name] = base64.b64encode((out / name).read_bytes()).decode("ascii")

    prov = manifest(command="compare", name=comp.name, seed=comp.seed,
                    replications=comp.reps, stop_reason=comp.stop_reason,
                    seeds=f"replicate r of every scenario: SeedSequence({comp.seed}, "
                          f"spawn_key=(r,)), r = 0..{comp.reps - 1}",
                    scenarios={sc.name: sc.to_dict() for sc in comp.all_scenarios},
                    **(extra or {}))
    write_json(out / "manifest.json", prov)
    md = [f"# {comp.name}: scenario comparison\n",
          f"{comp.reps} paired replications per scenario ({comp.stop_reason}). "
          "Cells: mean (95 % interval); Δ = paired difference from the baseline "
          "(✱ = interval excludes 0).\n", _markdown(summary),
          "\n## Parameters that differ\n", _markdown(params)]
    (out / "summary.md").write_text("\n".join(md))

    def table_html(rows: Sequence[dict[str, Any]]) -> str:
        if not rows:
            return "<p>(none)</p>"
        cols = list(rows[0])
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>"
                                         for c in cols) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def img(name: str, alt: str) -> str:
        return f'<img src="data:image/png;base64,{images[name]}" alt="{html.escape(alt)}">'

    gap_rows = {d["scenario"]: d for d in comp.differences() if d["metric"] == "engaged_gap"}
    reach_rows = {d["scenario"]: d for d in comp.differences()
                  if d["metric"] == "engaged_final"}
    bullets = []
    for sc in comp.scenarios:
        r, g = reach_rows[sc.name], gap_rows[sc.name]
        verdict_r = ("more" if r["difference"] > 0 else "fewer") if r["excludes_zero"] else \
            "no clear change in"
        verdict_g = ("wider" if g["difference"] > 0 else "narrower") if g["excludes_zero"] else \
            "no clear change in the"
        bullets.append(
            f"<li><b>{html.escape(sc.name.replace('_', ' '))}</b> "
            f"({html.escape(sc.description)}): {verdict_r} people engaged "
            f"({r['difference'] * 100:+.1f} pp, 95 % CI "
            f"{_interval(r['diff_low'], r['diff_high'], 100, 1)}); {verdict_g} gap between "
            f"least and most deprived groups ({g['difference'] * 100:+.1f} pp, "
            f"{_interval(g['diff_low'], g['diff_high'], 100, 1)}).</li>")
    notice = ""
    if user_data:
        notice = (f"<p class='notice'>This comparison uses the user's own network or "
                  f"attribute files, which may describe real people: the report shows "
                  f"aggregates only, and per-group cells of groups with fewer than "
                  f"{min_count} people are suppressed"
                  f"{' (groups ' + ', '.join(map(str, sorted(hidden))) + ')' if hidden else ''}."
                  f"</p>")
    run_date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(comp.name)}: scenario comparison</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222;
       line-height: 1.45; padding: 0 1em; }}
h1 {{ font-size: 1.6em; }} h2 {{ margin-top: 1.6em; border-bottom: 1px solid #ccc; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }}
th {{ background: #f0f4f8; }}
img {{ max-width: 100%; }}
.notice {{ background: #fff4d6; border-left: 4px solid #E69F00; padding: 0.6em; }}
.small {{ font-size: 0.85em; color: #555; }}
</style></head><body>
<h1>{html.escape(comp.name.replace('_', ' '))}: how do the policy scenarios change reach and equity?</h1>
<p>Each scenario was simulated {comp.reps} times with the same random numbers as the
baseline (paired replications), so differences reflect the policy, not chance draws.
Intervals are 95 % Student-t intervals over replications. {html.escape(comp.stop_reason)}.</p>
{notice}
<h2>In brief</h2>
<ul>{''.join(bullets)}</ul>
<h2>Summary table</h2>
<p class="small">Cells: mean (95 % interval); for scenarios, Δ is the paired difference
from the baseline with its interval, ✱ where the interval excludes 0. Percentages are of
everybody (overall rows) or of the group; "pp" = percentage points. The gap is the
least deprived group's engagement minus the most deprived group's; SII is the slope
index of inequality (pp across the socioeconomic rank), RII the relative index; the
Erreygers concentration index is positive when engagement concentrates in less
deprived groups.</p>
{table_html(summary)}
<h2>Reach versus equity</h2>
{img("reach_vs_equity.png", "Scatter: each scenario's overall engagement against the gap between groups, with 95 % intervals")}
{img("differences.png", "Paired differences from the baseline in engagement and in the gap, with 95 % intervals")}
<h2>Reach over time by group</h2>
{img("reach_over_time.png", "Engagement week by week by group, one panel per scenario")}
{img("gap_over_time.png", "The gap in engagement between least and most deprived groups, week by week, per scenario")}
<h2>How people share</h2>
{img("strategy_mix.png", "Share of decisions that avoid, allocate, embed or share openly, by group and scenario")}
<h2>Parameters that differ between scenarios</h2>
{table_html(params)}
<h2>Assumptions and provenance</h2>
<p>The model and every default are described in <code>docs/ODD.md</code>. <b>All
parameter values are illustrative</b>: chosen to respect the orderings described by
Lindberg et al. (2024) and the digital-exclusion concerns of Karampatakis et al. (2023),
not estimated from data. Results show the direction and rough size of effects under
these assumptions, not forecasts.</p>
<p class="small">diffusion-sim {html.escape(str(prov['version']))}, commit
{html.escape(str(prov['commit']))}; run {run_date}; seed {comp.seed}
(replicate r uses SeedSequence({comp.seed}, spawn_key=(r,)) in every scenario);
{comp.reps} replications per scenario.</p>
</body></html>
"""
    (out / "report.html").write_text(page, encoding="utf-8")
    return out / "report.html"
