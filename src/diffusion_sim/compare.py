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

The settings and their defaults are :data:`SETTINGS` (stated once; the command line
overrides them, see :func:`resolve_settings`).

**Same people, or a different world?** Common random numbers pair replicate ``r`` of
two scenarios on the same people and ties only when the scenarios agree on what makes
those people. A comparison of scenarios that do not (a user's own 242-person edge list
against the bundled 2,000-person baseline) still gives valid paired intervals for the
difference between the two *scenarios*, but that difference includes the change of
population, and pairing buys no variance reduction there. :func:`different_people`
finds such scenarios; the command line warns (one line per scenario) and the report
says so in its first lines. The rule, setting by setting (:func:`people_of`):

- *the people / the world* (a difference is reported): ``population.size`` (when the
  people are generated), the number of groups and ``population.group_shares`` (when
  groups are drawn from them: a generated population, or edge-list people without a
  node-file row), ``population.nodes_file`` and ``network.edges_file`` (the same file
  content counts as the same, wherever it lies), ``network.kind``, and the generator's
  structural parameters where that generator uses them: ``mean_degree`` (every
  generator), ``homophily`` (``sbm``), ``rewire_prob`` (``watts_strogatz``). These
  decide who exists and who is tied to whom.
- *policy levers* (compared freely): everything else. In particular
  ``network.strong_fraction`` (``closed_groups.toml`` raises it): the ties are drawn
  first, then one uniform number per tie makes it strong when below the fraction, so
  with common random numbers the same people have the same ties and a higher fraction
  only turns some weak ties strong; likewise ``strong_weight``, ``weak_weight`` and
  ``strong_threshold`` (how an edge list's strengths are read), the traits and digital
  access (what a policy changes about people: ``anti_stigma``,
  ``digital_inclusion``), seeding, strategies, decision and transmission.

A different *number* of groups is refused (:class:`~diffusion_sim.errors.ScenarioError`):
the per-group measures (and the gap between the first and last group) would not align.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.config import Setting, check_keys, read_settings, read_toml
from diffusion_sim.draws import check_comparable
from diffusion_sim.errors import ScenarioError
from diffusion_sim.measures import Measure, headlines
from diffusion_sim.metrics import mean_ci, paired_difference
from diffusion_sim.precision import WidthTarget, parse_ci_width, precision_status
from diffusion_sim.replicate import DEFAULT_SEED, executor, ordered_map, replicate_task
from diffusion_sim.scenario import Scenario, load
from diffusion_sim.store import sha256_file

#: The ``[comparison]`` settings, with their defaults.
SETTINGS = (
    Setting("name", "str", None, doc="name of the comparison (default: <baseline>_comparison)"),
    Setting("baseline", "path", required=True, doc="the baseline scenario file"),
    Setting("reps", "int", 20, lo=1, doc="paired replications per scenario"),
    Setting("seed", "int", DEFAULT_SEED, lo=0, doc="seed (entropy) of every replicate"),
    Setting("ci_width", "raw", None,
            doc="add replications until the targeted differences' intervals are narrower "
                "(diffusion_sim.precision: a number, 'measure=width,...' or a table)"),
    Setting("max_reps", "int", 200, lo=1, doc="cap on replications with ci_width"),
    Setting("min_cell_count", "int", 10, lo=1,
            doc="suppress per-group cells below this count with user files"),
)


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
    columns: tuple[str, ...] = ()
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stop_reason: str = ""

    @property
    def all_scenarios(self) -> list[Scenario]:
        return [self.baseline, *self.scenarios]

    @cached_property
    def world_differences(self) -> dict[str, list[str]]:
        """Per scenario without the baseline's people, what differs
        (:func:`different_people`; empty when every scenario has the baseline's people)."""
        return different_people(self.baseline, self.scenarios)

    @property
    def reps(self) -> int:
        return len(self.runs[self.baseline.name])

    @property
    def measures(self) -> list[Measure]:
        """The headline measures, per-group ones named by the baseline's group names."""
        return headlines(self.baseline.n_groups, self.baseline.population.names)

    def differences(self, level: float = 0.95) -> list[dict[str, Any]]:
        """Paired difference (scenario − baseline) of every headline metric, with its CI."""
        rows = []
        base = self.runs[self.baseline.name]
        for sc in self.scenarios:
            other = self.runs[sc.name]
            for h in self.measures:
                a = np.array([r[h.key] for r in base], dtype=float)
                b = np.array([r[h.key] for r in other], dtype=float)
                d = paired_difference(a, b, level)
                ma, mb = mean_ci(a, level), mean_ci(b, level)
                rows.append({
                    "scenario": sc.name, "metric": h.key, "label": h.label, "unit": h.diff_unit,
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
            for h in self.measures:
                v = np.array([r[h.key] for r in self.runs[sc.name]], dtype=float)
                m, lo, hi = mean_ci(v, level)
                rows.append({"scenario": sc.name, "metric": h.key, "label": h.label,
                             "mean": m, "low": lo, "high": hi, "n": len(v)})
        return rows

    def widest_interval(self) -> tuple[float, str, str]:
        """(width on the shown scale, label, scenario) of the widest difference interval."""
        return max(((row["diff_high"] - row["diff_low"]) * row["scale"], row["label"],
                    row["scenario"]) for row in self.differences()
                   if np.isfinite(row["diff_high"] - row["diff_low"]))


def run_comparison(
    baseline: Scenario,
    scenarios: Sequence[Scenario],
    *,
    reps: int = 20,
    seed: int = DEFAULT_SEED,
    name: str = "comparison",
    workers: int | None = None,
    ci_width: float | str | Mapping[str, Any] | None = None,
    max_reps: int = 200,
    batch: int = 10,
    progress: Callable[[int, int], None] | None = None,
    pool: Executor | None = None,
) -> Comparison:
    """Run every scenario with common random numbers and collect the results.

    With ``ci_width`` set (per measure, in its own unit or relative:
    :mod:`diffusion_sim.precision`), replications are added in batches of ``batch``
    (keeping the pairing: every scenario gets the same new replicates) until every
    targeted difference's interval is narrower than its target, or ``max_reps`` is
    reached; ``Comparison.stop_reason`` says which happened. ``pool`` may be any
    ``concurrent.futures.Executor``; results do not depend on it.
    """
    names = [baseline.name, *(s.name for s in scenarios)]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ScenarioError(f"scenario names must differ; repeated: {', '.join(sorted(dupes))}")
    check_comparison(baseline, scenarios)
    comp = Comparison(name=name, baseline=baseline, scenarios=list(scenarios), seed=seed)
    targets: tuple[WidthTarget, ...] = () if ci_width is None else parse_ci_width(
        ci_width, comp.measures)
    for sc in comp.all_scenarios:
        comp.runs[sc.name], comp.counts[sc.name] = [], []
    target = reps if ci_width is None else min(batch, max_reps)
    done = 0
    with executor(workers, pool=pool) as ex:
        while True:
            tasks = [(sc, seed, (r,), "compiled") for r in range(done, target)
                     for sc in comp.all_scenarios]
            for (sc, _, _, _), res in zip(tasks, ordered_map(replicate_task, tasks, ex)):
                comp.runs[sc.name].append(res.summary)
                comp.counts[sc.name].append(res.counts)
                comp.group_sizes[sc.name] = res.group_sizes
                # once per scenario, in order, whatever the replicate said it
                comp.notes[sc.name] = tuple(dict.fromkeys(
                    (*comp.notes.get(sc.name, ()), *res.notes)))
                comp.columns = res.columns
                if progress:
                    progress(sum(len(v) for v in comp.runs.values()),
                             target * len(comp.all_scenarios))
            done = target
            if ci_width is None:
                comp.stop_reason = f"fixed number of replications ({done})"
                break
            met, tightest = precision_status(comp.differences(), targets)
            goal = "; ".join(t.describe() for t in targets)
            if met:
                comp.stop_reason = (f"every targeted interval narrower than its target ({goal}) "
                                    f"after {done} replications (tightest: {tightest})")
                break
            if done >= max_reps:
                comp.stop_reason = (f"cap of {max_reps} replications reached before every "
                                    f"targeted interval was narrower than its target ({goal}); "
                                    f"furthest: {tightest}")
                break
            target = min(done + batch, max_reps)
    return comp


def resolve_settings(file_settings: Mapping[str, Any] | None, **given: Any) -> dict[str, Any]:
    """The comparison's settings: defaults, then the file's, then what is ``given``
    (the command line; ``None`` = not given)."""
    out = {s.name: s.default for s in SETTINGS}
    out.update({k: v for k, v in (file_settings or {}).items() if v is not None})
    out.update({k: v for k, v in given.items() if v is not None})
    return out


def load_comparison(path: str | Path) -> tuple[Scenario, list[Scenario], dict[str, Any]]:
    """Read a comparison file: a baseline plus named scenarios (overrides or files).

    Returns (baseline, scenarios, settings); every setting is checked here, before
    anything runs.
    """
    path = Path(path)
    data = read_toml(path)
    # [robustness] is read by diffusion_sim.robustness.load_robustness
    check_keys(data, ["comparison", "scenarios", "robustness"], "", str(path))
    head = read_settings(data.get("comparison", {}), SETTINGS, "comparison.", str(path),
                         ScenarioError)
    baseline = load(path.parent / head["baseline"])
    if head["ci_width"] is not None:  # checked now, before anything runs
        parse_ci_width(head["ci_width"], headlines(baseline.n_groups),
                       where=f"{path}: comparison.ci_width")
    scenarios = []
    table = data.get("scenarios", {})
    check_keys(table, list(table) if isinstance(table, Mapping) else [], "scenarios.",
               str(path))
    for name, spec in table.items():
        key = f"scenarios.{name}"
        check_keys(spec, ["description", "overrides", "file"], key + ".", str(path))
        if "file" in spec:
            if not isinstance(spec["file"], str) or not spec["file"]:
                raise ScenarioError(f"{path}: {key}.file: must be a file name, "
                                    f"got {spec['file']!r}")
            sc = load(path.parent / spec["file"])
        else:
            over = spec.get("overrides", {})
            check_keys(over, list(over) if isinstance(over, Mapping) else [],
                       f"{key}.overrides.", str(path))
            sc = baseline.with_overrides(over, source=f"{path}: {key}.overrides")
        description = spec.get("description", sc.description)
        sc = sc.with_overrides({"name": name, "description": description},
                               source=f"{path}: {key}")
        scenarios.append(sc)
    if not scenarios:
        raise ScenarioError(f"{path}: scenarios: no scenarios to compare with the baseline")
    try:
        check_comparison(baseline, scenarios)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return baseline, scenarios, head


def check_comparison(baseline: Scenario, scenarios: Sequence[Scenario]) -> None:
    """Refuse (one line) scenarios whose measures cannot be set against the baseline's:
    a different number of groups (:func:`people_differences`), a different horizon
    (every measure is read at the last week, so 20 weeks against 40 would be a
    difference of time, not of policy), or other parameter draws
    (:func:`~diffusion_sim.draws.check_comparable`)."""
    different_people(baseline, scenarios)  # refuses different numbers of groups
    for sc in scenarios:
        if sc.steps != baseline.steps:
            raise ScenarioError(
                f"cannot compare '{sc.name}' ({sc.steps} weeks) with the baseline "
                f"'{baseline.name}' ({baseline.steps} weeks): every measure is read at the "
                "last week, so the difference would be one of time, not of policy; give "
                "every scenario the same steps")
    check_comparable(baseline, scenarios)  # parameter draws: the same for all, not changed


# ---------------------------------------------------------------------- same people?
@dataclass(frozen=True)
class _File:
    """A user's data file: where it is (resolved) and how the scenario names it."""

    path: Path
    shown: str

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _File):
            return NotImplemented
        if self.path.resolve() == other.path.resolve():
            return True
        try:
            return sha256_file(self.path) == sha256_file(other.path)
        except OSError:
            return False

    __hash__ = None  # type: ignore[assignment]  # equal by content: no cheap hash

    def __str__(self) -> str:
        return self.shown


#: How an unused setting reads in a difference, and whether a difference where only
#: one scenario uses the setting is worth a mention (otherwise another line explains it:
#: a generator's parameter when ``network.kind`` differs, shares beside a node file).
_UNUSED: dict[str, tuple[str, bool]] = {
    "population.size": ("given by the files", True),
    "population.group_shares": ("from the node file", False),
    "population.nodes_file": ("none", True),
    "network.kind": ("", True),
    "network.edges_file": ("none", True),
    "network.mean_degree": ("not used", False),
    "network.homophily": ("not used", False),
    "network.rewire_prob": ("not used", False),
}


def people_of(sc: Scenario) -> dict[str, Any]:
    """The settings that make ``sc``'s people and ties, ``None`` where not used.

    See the module docstring for the rule. Keys are dotted scenario keys (those of
    ``_UNUSED``); data files compare by content.
    """
    pop, net = sc.population, sc.network
    files = bool(pop.nodes_file) or net.kind == "edgelist"
    drawn_groups = not pop.nodes_file or net.kind == "edgelist"
    generated = net.kind != "edgelist"
    return {
        "population.size": None if files else pop.size,
        "population.group_shares": tuple(pop.group_shares) if drawn_groups else None,
        "population.nodes_file": (_File(sc.resolve_path(pop.nodes_file), pop.nodes_file)
                                  if pop.nodes_file else None),
        "network.kind": net.kind,
        "network.edges_file": (_File(sc.resolve_path(net.edges_file), net.edges_file)
                               if net.kind == "edgelist" else None),
        "network.mean_degree": net.mean_degree if generated else None,
        "network.homophily": net.homophily if net.kind == "sbm" else None,
        "network.rewire_prob": net.rewire_prob if net.kind == "watts_strogatz" else None,
    }


def _show(key: str, value: Any) -> str:
    if value is None:
        return _UNUSED[key][0]
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{v:g}" for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def people_differences(baseline: Scenario, scenario: Scenario) -> list[str]:
    """What makes ``scenario``'s people differ from ``baseline``'s, one ``key: a -> b``
    each (empty when they have the same people; see the module docstring).

    Raises
    ------
    ScenarioError
        When the two have different numbers of groups (the measures cannot be aligned).
    """
    if scenario.n_groups != baseline.n_groups:
        raise ScenarioError(
            f"cannot compare '{scenario.name}' ({scenario.n_groups} groups) with the "
            f"baseline '{baseline.name}' ({baseline.n_groups} groups): the per-group "
            "measures do not align; give every scenario the same population.group_shares "
            "length")
    a, b = people_of(baseline), people_of(scenario)
    out = []
    for key, (_, one_sided) in _UNUSED.items():
        if a[key] == b[key] or ((a[key] is None or b[key] is None) and not one_sided):
            continue
        out.append(f"{key}: {_show(key, a[key])} -> {_show(key, b[key])}")
    return out


def different_people(baseline: Scenario,
                     scenarios: Sequence[Scenario]) -> dict[str, list[str]]:
    """Every scenario whose people differ from the baseline's, with what differs
    (:func:`people_differences`); checked before anything runs.

    Raises
    ------
    ScenarioError
        When a scenario has a different number of groups from the baseline.
    """
    diffs = {sc.name: people_differences(baseline, sc) for sc in scenarios}
    return {name: d for name, d in diffs.items() if d}


def people_warning(scenario: str, baseline: str, differences: Sequence[str]) -> str:
    """The one-line warning about a scenario on other people than the baseline."""
    return (f"not the same people as the baseline '{baseline}' ({'; '.join(differences)}): "
            f"its differences from the baseline include the change of population, not "
            f"the policy alone, and pairing buys no variance reduction there")
