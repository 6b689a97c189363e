"""Reinforcement and seeding: how should seeding change when engagement needs social
reinforcement (complex contagion)?

Runs experiments/reinforcement/sweep.toml (3 seeding policies x 2 seed fractions x
k = 1, 2, 3; 10 replicates each) and writes to results/reinforcement/: the sweep's
tables, ``reinforcement.png`` (overall reach, reach in the most deprived group and the
gap by k, one line per seeding policy and seed fraction, 95 % intervals) and
``reinforcement.csv`` (the plotted means and intervals).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from diffusion_sim.metrics import mean_ci
from diffusion_sim.store import write_csv
from diffusion_sim.sweep import read_rows, run_sweep

HERE = Path(__file__).resolve().parent
K, SEEDS, POLICY = ("transmission.reinforcement", "intervention.seed_fraction",
                    "intervention.seeding")
PANELS = (("engaged_final", "people engaged (% of everybody)"),
          ("engaged_final_g1", "engaged in group 1, most deprived (% of group)"),
          ("engaged_gap", "gap: least − most deprived (pp)"))
COLOURS = {"random": "#0072B2", "clustered": "#D55E00", "targeted": "#009E73"}


def main(out: Path) -> None:
    target = out / "sweep"
    run_sweep(HERE / "sweep.toml", target, resume=(target / "manifest.json").exists())
    rows = read_rows(target / "runs.csv")
    table = []
    fig = Figure(figsize=(13, 4.2), dpi=110)
    axes = fig.subplots(1, 3)
    ks = sorted({r[K] for r in rows})
    for ax, (metric, label) in zip(axes, PANELS):
        for policy, colour in COLOURS.items():
            for seeds, style in ((0.01, "--"), (0.05, "-")):
                stats = [mean_ci([r[metric] for r in rows if (r[K], r[SEEDS], r[POLICY])
                                  == (k, seeds, policy)]) for k in ks]
                m, lo, hi = (100 * np.array(x) for x in zip(*stats))
                ax.errorbar(ks, m, yerr=[m - lo, hi - m], color=colour, ls=style,
                            marker="o", capsize=3,
                            label=f"{policy}, {100 * seeds:g} % seeded")
                table += [{"metric": metric, "seeding": policy, "seed_fraction": seeds,
                           "reinforcement": k, "mean": a / 100, "low": b / 100,
                           "high": c / 100} for k, a, b, c in zip(ks, m, lo, hi)]
        ax.set_xticks(ks)
        ax.set_xlabel("reinforcement k (distinct peers needed to engage)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle("Seeding under complex contagion (clustered world; mean and 95 % interval "
                 "of 10 replicates)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "reinforcement.png")
    write_csv(out / "reinforcement.csv", table)
    print(f"reinforcement: figure and table in {out}/")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/reinforcement"))
