"""The golden cases: which command makes which files (shared by the test and the
generator in tests/golden/generate.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

#: case -> files compared
CASES: dict[str, tuple[str, ...]] = {
    "run": ("runs.csv", "series.csv", "summary.csv"),
    "compare": ("runs.csv", "summary.csv", "differences.csv"),
    "sweep": ("runs.csv", "series.csv", "summary.csv"),
    "counts": ("counts.csv",),
}


def produce(case: str, inputs: Path, out: Path, engine: str = "compiled") -> Path:
    """Run the golden case ``case`` into ``out`` (replaced); returns ``out``."""
    from diffusion_sim.cli import main

    shutil.rmtree(out, ignore_errors=True)
    if case == "run":
        args = ["run", str(inputs / "baseline.toml"), "--reps", "3", "--seed", "11",
                "--out", str(out)]
    elif case == "compare":
        args = ["compare", str(inputs / "comparison.toml"), "--workers", "1", "--out", str(out)]
    elif case == "sweep":
        args = ["sweep", str(inputs / "sweep.toml"), "--workers", "1", "--out", str(out)]
    else:
        out.mkdir(parents=True)
        write_counts(inputs / "mechanisms.toml", out / "counts.csv", engine)
        return out
    status = main(args)
    assert status == 0, f"golden case {case} exited {status}"
    return out


def write_counts(scenario: Path, path: Path, engine: str) -> None:
    """The per-step, per-group counters of one run (seed 3, key (0,)) as CSV."""
    from diffusion_sim import load
    from diffusion_sim.model import COUNT_COLUMNS, DiffusionModel

    m = DiffusionModel(load(scenario), seed=3, key=(0,), engine=engine).run()
    counts = np.asarray(m.counts)
    with open(path, "w") as fh:
        fh.write(",".join(["step", "group", *COUNT_COLUMNS]) + "\n")
        for t in range(counts.shape[0]):
            for g in range(counts.shape[1]):
                fh.write(",".join(map(str, [t, g + 1, *counts[t, g].tolist()])) + "\n")
