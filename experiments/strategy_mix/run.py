"""Strategy mix: how avoid / allocate / embed / open depend on privacy concern and
identity sensitivity, and how much sharing allocation and embedding "unlock".

Runs two sweeps (experiments/strategy_mix/sweep*.toml) and writes to
results/strategy_mix/: heatmaps of each strategy's share of decisions, the share of
decisions that share at all and final reach with and without allocate/embed, and a
table (unlock.csv).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from diffusion_sim.store import write_csv
from diffusion_sim.sweep import read_rows, run_sweep

HERE = Path(__file__).resolve().parent
PC, IS = "traits.privacy_concern.mean", "traits.identity_sensitivity.mean"


def grid(rows, metric):
    xs = sorted({r[PC] for r in rows})
    ys = sorted({r[IS] for r in rows})
    z = np.full((len(ys), len(xs)), np.nan)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            z[i, j] = np.nanmean([r[metric] for r in rows if r[PC] == x and r[IS] == y])
    return xs, ys, z


def heat(ax, xs, ys, z, title, vmax=100):
    im = ax.imshow(100 * z, origin="lower", cmap="viridis", vmin=0, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
    ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
    ax.set_xlabel("privacy concern (mean)")
    ax.set_title(title, fontsize=10)
    for i in range(len(ys)):
        for j in range(len(xs)):
            ax.text(j, i, f"{100 * z[i, j]:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if z[i, j] < 0.6 * vmax / 100 else "black")
    return im


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    both = {}
    for name in ("sweep", "sweep_avoid_open"):
        target = out / name
        run_sweep(HERE / f"{name}.toml", target, resume=(target / "manifest.json").exists())
        both[name] = read_rows(target / "runs.csv")
    rows = both["sweep"]
    fig, axes = plt.subplots(1, 4, figsize=(17, 4), dpi=100)
    for ax, s in zip(axes, ("avoid", "allocate", "embed", "open")):
        im = heat(ax, *grid(rows, f"mix_{s}"), f"{s} (% of decisions)")
    axes[0].set_ylabel("identity sensitivity (mean)")
    fig.colorbar(im, ax=axes, shrink=0.8, label="% of decisions")
    fig.suptitle("Strategy mix by privacy concern and identity sensitivity (illustrative)")
    fig.savefig(out / "strategy_mix_heatmaps.png", bbox_inches="tight")
    plt.close(fig)

    table = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    for ax, metric, label in ((axes[0], "share", "decisions that share (%)"),
                              (axes[1], "engaged_final", "people engaged at week 26 (%)")):
        for name, style in (("sweep", "-"), ("sweep_avoid_open", "--")):
            r = both[name]
            for x, colour in zip((0.1, 0.5, 0.9), ("#0072B2", "#E69F00", "#D55E00")):
                sel = [q for q in r if q[PC] == x]
                ys = sorted({q[IS] for q in sel})
                vals = [np.mean([1 - q["mix_avoid"] if metric == "share" else q[metric]
                                 for q in sel if q[IS] == y]) for y in ys]
                lab = (f"privacy {x:g}, " + ("all four strategies" if name == "sweep"
                                             else "avoid/open only"))
                ax.plot(ys, 100 * np.array(vals), style, color=colour, marker="o", label=lab)
        ax.set_xlabel("identity sensitivity (mean)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle("What allocating and embedding unlock (solid) vs a world of avoid/open only "
                 "(dashed)")
    fig.tight_layout()
    fig.savefig(out / "unlock.png")
    plt.close(fig)

    for (x, y) in sorted({(q[PC], q[IS]) for q in rows}):
        def mean(r, key, x=x, y=y):
            return float(np.mean([q[key] for q in r if q[PC] == x and q[IS] == y]))
        a, b = both["sweep"], both["sweep_avoid_open"]
        table.append({
            "privacy_concern": x, "identity_sensitivity": y,
            "share_of_decisions_sharing": 1 - mean(a, "mix_avoid"),
            "share_sharing_avoid_open_only": 1 - mean(b, "mix_avoid"),
            "engaged_final": mean(a, "engaged_final"),
            "engaged_final_avoid_open_only": mean(b, "engaged_final"),
            "unlocked_engagement_pp": 100 * (mean(a, "engaged_final") - mean(b, "engaged_final")),
        })
    write_csv(out / "unlock.csv", table)
    print(f"strategy mix: figures and tables in {out}/")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results") / "strategy_mix")
