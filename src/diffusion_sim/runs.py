"""Replications of one scenario: run them, tabulate them, write them to disk.

``diffusion-sim run`` is this module: R replications of a scenario, replicate ``r``
seeded by ``SeedSequence(seed, spawn_key=(r,))``, written as

- ``runs.csv``: one row per replication (seed, key and every headline metric);
- ``series.csv``: the per-step counts in long form, one row per
  (replicate, step, group);
- ``summary.csv``: mean and 95 % t interval of every headline metric across replications;
- ``manifest.json``: package version, git commit (when known), the scenario, the seeds;
- ``reach_by_group.png`` and ``strategy_mix.png``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim import __version__
from diffusion_sim.metrics import mean_ci, summarize
from diffusion_sim.model import COUNT_COLUMNS, DiffusionModel
from diffusion_sim.scenario import Scenario


def simulate(scenario: Scenario, seed: int | None, key: tuple[int, ...] = (),
             engine: str = "vectorized") -> DiffusionModel:
    """Build and run one model to the end; returns it (read ``counts`` or :func:`summarize`)."""
    return DiffusionModel(scenario, seed=seed, key=key, engine=engine).run()


def series_rows(model: DiffusionModel, **ids: Any) -> list[dict[str, Any]]:
    """The model's per-step counts in long form: one dict per (step, group)."""
    rows = []
    counts = model.counts
    for t in range(counts.shape[0]):
        for g in range(model.n_groups):
            row = dict(ids)
            row.update(step=t, group=g + 1, population=int(model.group_sizes[g]))
            row.update({c: int(v) for c, v in zip(COUNT_COLUMNS, counts[t, g])})
            rows.append(row)
    return rows


def summary_rows(runs: Sequence[dict[str, Any]], by: Sequence[str] = (),
                 skip: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Mean and 95 % Student-t interval of every numeric metric, per value of ``by``."""
    skip = set(skip) | set(by)
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault(tuple(r[b] for b in by), []).append(r)
    out = []
    for key, rows in groups.items():
        metrics = [k for k, v in rows[0].items()
                   if k not in skip and isinstance(v, (int, float)) and not isinstance(v, bool)]
        for m in metrics:
            values = np.array([r[m] for r in rows], dtype=float)
            mean, lo, hi = mean_ci(values)
            row = dict(zip(by, key))
            row.update(metric=m, n=int(np.sum(~np.isnan(values))), mean=mean, ci_low=lo,
                       ci_high=hi)
            out.append(row)
    return out


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write dict rows to CSV atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    fields: list[str] = []
    for r in rows:
        for k in r:
            if k not in fields:
                fields.append(k)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2, default=str)
    os.replace(tmp, path)


def git_commit() -> str | None:
    """The source tree's git commit, when the package runs from a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def manifest(**extra: Any) -> dict[str, Any]:
    """Provenance common to every output folder."""
    return {"package": "diffusion-sim", "version": __version__, "commit": git_commit(),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"), **extra}


def run_replications(scenario: Scenario, reps: int, seed: int, out: Path,
                     engine: str = "vectorized", figures: bool = True,
                     progress: Any = None) -> list[dict[str, Any]]:
    """Run ``reps`` replications and write the outputs listed in the module docstring."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs, series = [], []
    for r in range(reps):
        model = simulate(scenario, seed, (r,), engine)
        row = {"scenario": scenario.name, "replicate": r, "seed": seed, "key": f"{r}"}
        row.update(summarize(model))
        runs.append(row)
        series.extend(series_rows(model, scenario=scenario.name, replicate=r))
        if progress:
            progress(r + 1, reps)
    write_csv(out / "runs.csv", runs)
    write_csv(out / "series.csv", series)
    write_csv(out / "summary.csv", summary_rows(runs, by=("scenario",),
                                                skip=("replicate", "seed")))
    write_json(out / "manifest.json", manifest(
        command="run", engine=engine, seed=seed, replications=reps,
        seeds=[{"replicate": r, "entropy": seed, "spawn_key": [r]} for r in range(reps)],
        notes=list(model.input_notes), scenario=scenario.to_dict()))
    if figures:
        from diffusion_sim import report

        report.reach_by_group_figure(series, out / "reach_by_group.png",
                                     title=f"{scenario.name}: reach over time by group")
        report.strategy_mix_figure(runs, scenario.n_groups, out / "strategy_mix.png",
                                   title=f"{scenario.name}: strategy mix by group")
    return runs
