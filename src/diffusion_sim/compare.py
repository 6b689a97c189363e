"""Scenario comparison with common random numbers (paired replications).

Replicate ``r`` of every scenario runs with ``SeedSequence(seed, spawn_key=(r,))``:
the same network draw (when the network parameters agree), the same people and the
same dynamics stream. Differences against the baseline are therefore *paired*, and
their Student-t intervals are computed on the per-replicate differences.

Scenarios come either as files (``compare BASELINE.toml A.toml B.toml``) or as one
comparison file::

    [comparison]
    name = "policy"
    baseline = "scenarios/baseline.toml"   # relative to this file
    reps = 30
    seed = 20261122

    [scenarios.closed_groups]
    description = "Closed groups on the platform"
    overrides = { "strategies.allocate.control_loss" = 0.1 }
    # or: file = "scenarios/closed_groups.toml"
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.errors import ScenarioError
from diffusion_sim.metrics import mean_ci, paired_difference, summarize
from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import Scenario, load, read_toml


@dataclass(frozen=True)
class Headline:
    """A metric the comparison reports, with its plain-language label and unit."""

    key: str
    label: str
    scale: float = 100.0  # fractions are shown as percentages
    unit: str = "percentage points"


def headline_metrics(n_groups: int) -> list[Headline]:
    """The metrics every comparison reports (per-group reach for each group)."""
    out = [
        Headline("engaged_final", "People engaged (% of everybody)"),
        Headline("peer_engaged_final", "Engaged through a peer (% of everybody)"),
        Headline("aware_final", "People aware (% of everybody)"),
    ]
    for g in range(1, n_groups + 1):
        tag = " (most deprived)" if g == 1 else (" (least deprived)" if g == n_groups else "")
        out.append(Headline(f"engaged_final_g{g}", f"Engaged in group {g}{tag} (% of group)"))
    out += [
        Headline("engaged_gap", "Gap: least minus most deprived group"),
        Headline("engaged_sii", "Slope index of inequality (SII)"),
        Headline("engaged_rii", "Relative index of inequality (RII)", 1.0, "ratio"),
        Headline("engaged_ci_erreygers", "Concentration index (Erreygers)", 1.0, "index"),
        Headline("unwanted_per_act", "Unwanted disclosures per sharing act", 1.0, "per act"),
    ]
    return out


@dataclass
class Comparison:
    """Results of a comparison: per scenario, one summary dict and counts per replicate."""

    name: str
    baseline: Scenario
    scenarios: list[Scenario]
    seed: int
    runs: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    counts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    group_sizes: dict[str, np.ndarray] = field(default_factory=dict)
    stop_reason: str = ""

    @property
    def all_scenarios(self) -> list[Scenario]:
        return [self.baseline, *self.scenarios]

    @property
    def reps(self) -> int:
        return len(self.runs[self.baseline.name])

    def differences(self, level: float = 0.95) -> list[dict[str, Any]]:
        """Paired difference (scenario − baseline) of every headline metric, with its CI."""
        rows = []
        base = self.runs[self.baseline.name]
        for sc in self.scenarios:
            other = self.runs[sc.name]
            for h in headline_metrics(self.baseline.n_groups):
                a = np.array([r[h.key] for r in base], dtype=float)
                b = np.array([r[h.key] for r in other], dtype=float)
                d = paired_difference(a, b, level)
                ma, mb = mean_ci(a, level), mean_ci(b, level)
                rows.append({
                    "scenario": sc.name, "metric": h.key, "label": h.label, "unit": h.unit,
                    "scale": h.scale, "baseline_mean": ma[0], "scenario_mean": mb[0],
                    "scenario_low": mb[1], "scenario_high": mb[2],
                    "difference": d["mean"], "diff_low": d["lo"], "diff_high": d["hi"],
                    "n": d["n"], "excludes_zero": bool(d["excludes_zero"]),
                })
        return rows

    def means(self, level: float = 0.95) -> list[dict[str, Any]]:
        """Mean and CI of every headline metric per scenario (the baseline included)."""
        rows = []
        for sc in self.all_scenarios:
            for h in headline_metrics(self.baseline.n_groups):
                v = np.array([r[h.key] for r in self.runs[sc.name]], dtype=float)
                m, lo, hi = mean_ci(v, level)
                rows.append({"scenario": sc.name, "metric": h.key, "label": h.label,
                             "mean": m, "low": lo, "high": hi, "n": len(v)})
        return rows


def _one_run(args: tuple[Scenario, int, int]) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    sc, seed, rep = args
    m = DiffusionModel(sc, seed=seed, key=(rep,)).run()
    return summarize(m), m.counts, m.group_sizes


def run_comparison(
    baseline: Scenario,
    scenarios: Sequence[Scenario],
    *,
    reps: int = 20,
    seed: int = 20261122,
    name: str = "comparison",
    workers: int | None = None,
    ci_width: float | None = None,
    max_reps: int = 200,
    batch: int = 10,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run every scenario with common random numbers and collect the results.

    With ``ci_width`` set, replications are added in batches of ``batch`` (keeping the
    pairing: every scenario gets the same new replicates) until every headline
    difference's interval (on the reported scale) is narrower than ``ci_width``, or
    ``max_reps`` is reached; ``Comparison.stop_reason`` says which happened.
    """
    names = [baseline.name, *(s.name for s in scenarios)]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ScenarioError(f"scenario names must differ; repeated: {', '.join(sorted(dupes))}")
    comp = Comparison(name=name, baseline=baseline, scenarios=list(scenarios), seed=seed)
    for sc in comp.all_scenarios:
        comp.runs[sc.name], comp.counts[sc.name] = [], []
    workers = workers or min(os.cpu_count() or 1, 8)
    target = reps if ci_width is None else min(batch, max_reps)
    done = 0
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    try:
        while True:
            tasks = [(sc, seed, r) for r in range(done, target) for sc in comp.all_scenarios]
            mapper = pool.map if pool else map
            for (sc, _, _), (summary, counts, sizes) in zip(tasks, mapper(_one_run, tasks)):
                comp.runs[sc.name].append(summary)
                comp.counts[sc.name].append(counts)
                comp.group_sizes[sc.name] = sizes
                if progress:
                    progress(sum(len(v) for v in comp.runs.values()),
                             target * len(comp.all_scenarios))
            done = target
            if ci_width is None:
                comp.stop_reason = f"fixed number of replications ({done})"
                break
            widest = max(((row["diff_high"] - row["diff_low"]) * row["scale"], row["label"],
                          row["scenario"]) for row in comp.differences()
                         if np.isfinite(row["diff_high"] - row["diff_low"]))
            if widest[0] < ci_width:
                comp.stop_reason = (f"every interval narrower than {ci_width:g} after {done} "
                                    f"replications (widest {widest[0]:.3g}: {widest[1]}, "
                                    f"{widest[2]})")
                break
            if done >= max_reps:
                comp.stop_reason = (f"cap of {max_reps} replications reached; widest interval "
                                    f"{widest[0]:.3g} ({widest[1]}, {widest[2]}) is not "
                                    f"narrower than {ci_width:g}")
                break
            target = min(done + batch, max_reps)
    finally:
        if pool:
            pool.shutdown()
    return comp


_COMPARISON_KEYS = ["name", "baseline", "reps", "seed", "ci_width", "max_reps",
                    "min_cell_count"]


def load_comparison(path: str | Path) -> tuple[Scenario, list[Scenario], dict[str, Any]]:
    """Read a comparison file: a baseline plus named scenarios (overrides or files)."""
    path = Path(path)
    data = read_toml(path)

    def fail(key: str, msg: str) -> ScenarioError:
        return ScenarioError(f"{path}: {key}: {msg}")

    for k in data:
        if k not in ("comparison", "scenarios"):
            close = difflib.get_close_matches(k, ["comparison", "scenarios"], n=1)
            raise fail(k, "unknown key" + (f" (did you mean '{close[0]}'?)" if close else ""))
    head = data.get("comparison", {})
    for k in head:
        if k not in _COMPARISON_KEYS:
            close = difflib.get_close_matches(k, _COMPARISON_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise fail(f"comparison.{k}", f"unknown key{hint}")
    if "baseline" not in head:
        raise fail("comparison.baseline", "missing: name the baseline scenario file")
    baseline = load(path.parent / head["baseline"])
    scenarios = []
    for name, spec in data.get("scenarios", {}).items():
        key = f"scenarios.{name}"
        if not isinstance(spec, dict):
            raise fail(key, "must be a table")
        for k in spec:
            if k not in ("description", "overrides", "file"):
                raise fail(f"{key}.{k}", "unknown key (valid keys: description, overrides, file)")
        if "file" in spec:
            sc = load(path.parent / spec["file"])
        else:
            over = spec.get("overrides", {})
            if not isinstance(over, dict):
                raise fail(f"{key}.overrides", "must be a table of dotted keys")
            try:
                sc = baseline.with_overrides(over, source=f"{path}: {key}.overrides")
            except ScenarioError as exc:
                raise ScenarioError(str(exc)) from None
        sc = sc.with_overrides({"name": name, "description": spec.get(
            "description", sc.description)}, source=f"{path}: {key}")
        scenarios.append(sc)
    if not scenarios:
        raise fail("scenarios", "no scenarios to compare with the baseline")
    return baseline, scenarios, head
