"""Replications of one scenario (``diffusion-sim run``) and the tables they make.

R replications of a scenario, replicate ``r`` seeded by
``SeedSequence(seed, spawn_key=(r,))``, written as

- ``runs.csv``: one row per replication (seed, key and every headline metric);
- ``series.csv``: the per-step counts in long form, one row per
  (replicate, step, group);
- ``summary.csv``: mean and 95 % t interval of every headline metric across replications;
- ``manifest.json``: package version, git commit (when known), the scenario, the seeds,
  and ``notes``: what reading the user's files did (see below);
- ``notes.txt``: the same notes, one per line, ``scenario: note``; written only when
  there are any (a scenario on the user's own files whose reading dropped self-loops,
  merged duplicate ties, drew groups, ...);
- ``heat.csv``: WHO HEAT's summary measures of inequality of engagement (and of
  sustained engagement) by group, mean and 95 % interval across replications, and
  ``heat_plus.csv``, the per-group results in HEAT Plus's upload layout
  (:mod:`~diffusion_sim.heat_runs`);
- ``reach_by_group.png`` and ``strategy_mix.png``, each also as SVG.

The notes are collected once per scenario (every replicate reads the same files) and
returned in :attr:`Replications.notes`; the command line prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diffusion_sim.heat_runs import write_heat_outputs
from diffusion_sim.model import DiffusionModel
from diffusion_sim.replicate import Result, executor, ordered_map, replicate_task
from diffusion_sim.report.figures import (
    group_fractions,
    reach_by_group_figure,
    strategy_mix_figure,
)
from diffusion_sim.scenario import Scenario
from diffusion_sim.store import (
    check_output_folder,
    manifest,
    output_folder,
    write_csv,
    write_csv_rows,
    write_json,
    write_text,
)
from diffusion_sim.tables import series_rows, summary_rows


def simulate(scenario: Scenario, seed: int | None, key: tuple[int, ...] = (),
             engine: str = "compiled") -> DiffusionModel:
    """Build and run one model to the end; returns it (read ``counts`` or ``summarize``)."""
    return DiffusionModel(scenario, seed=seed, key=key, engine=engine).run()


@dataclass
class Replications:
    """What :func:`run_replications` returns.

    Attributes
    ----------
    runs : list of dict, the rows of ``runs.csv`` (one per replication)
    notes : tuple of str, what reading the user's files did, each note once
    """

    runs: list[dict[str, Any]]
    notes: tuple[str, ...]


def run_replications(scenario: Scenario, reps: int, seed: int, out: Path,
                     engine: str = "compiled", figures: bool = True,
                     progress: Callable[[int, int], None] | None = None,
                     workers: int | None = 1) -> Replications:
    """Run ``reps`` replications and write the outputs listed in the module docstring.

    ``out`` is replaced as a whole when every file is written
    (:func:`~diffusion_sim.store.output_folder`).
    """
    check_output_folder(out, "run")
    runs = []
    results: list[Result] = []
    tasks = ((scenario, seed, (r,), engine) for r in range(reps))
    with executor(workers, jobs=reps) as pool:
        for r, res in enumerate(ordered_map(replicate_task, tasks, pool)):
            row = {"scenario": scenario.name, "replicate": r, "seed": seed, "key": f"{r}"}
            row.update(res.summary)
            runs.append(row)
            results.append(res)
            if progress:
                progress(r + 1, reps)
    notes = tuple(dict.fromkeys(n for res in results for n in res.notes))

    def series(r: int, res: Result) -> list[dict[str, Any]]:
        return series_rows(res.counts, res.columns, res.group_sizes, res.concern,
                           scenario=scenario.name, replicate=r)

    with output_folder(out, "run") as stage:
        write_csv(stage / "runs.csv", runs)
        # row by row from the counts: a (replicate, week, group) row as a dict costs
        # about 30 times its counts, too much to hold for thousands of replicates
        write_csv_rows(stage / "series.csv",
                       (row for r, res in enumerate(results) for row in series(r, res)),
                       list(series(0, results[0])[0]))
        write_csv(stage / "summary.csv", summary_rows(runs, by=("scenario",),
                                                    skip=("replicate", "seed")))
        write_json(stage / "manifest.json", manifest(
            command="run", engine=engine, seed=seed, replications=reps,
            seeds=[{"replicate": r, "entropy": seed, "spawn_key": [r]} for r in range(reps)],
            notes=list(notes), scenario=scenario.to_dict()))
        pop = scenario.population
        write_heat_outputs(stage, {scenario.name: [r.summary for r in results]},
                           {scenario.name: results[0].group_sizes}, pop.names, pop.dimension,
                           pop.favourable, scenario.steps)
        if notes:
            write_text(stage / "notes.txt", "".join(f"{scenario.name}: {n}\n" for n in notes))
        if figures:
            frac = group_fractions([r.counts for r in results], results[0].columns,
                                   results[0].group_sizes)
            reach_by_group_figure(frac, stage / "reach_by_group.png",
                                  title=f"{scenario.name}: reach over time by group",
                                  names=pop.names)
            strategy_mix_figure(runs, scenario.strategy_names, scenario.n_groups,
                                stage / "strategy_mix.png",
                                title=f"{scenario.name}: strategy mix by group",
                                names=pop.names)
    return Replications(runs, notes)
