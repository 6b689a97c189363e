"""Does a policy still win if the illustrative values are wrong? Robustness of a
comparison across the uncertainty of its parameters (exploratory modelling).

A comparison file may declare which parameter values are uncertain, and how much::

    [robustness]
    points = 48      # Latin-hypercube points over the ranges
    reps = 4         # paired replications at each point
    seed = 7         # default: the comparison's seed

    [robustness.ranges]
    "transmission.transmissibility" = [0.25, 0.6]
    "traits.identity_sensitivity.group1.mean" = [0.5, 0.8]

Every policy (and the baseline) is then run at every point of a Latin hypercube over
the ranges (``scipy.stats.qmc``, seeded), with ``reps`` replications per point; the
policies at point *k* share replicate *r*'s random numbers,
``SeedSequence(seed, spawn_key=(k, r))``, so the differences from the baseline at
each point are paired. A range may not be of a parameter a policy changes (the
policy's lever would be overwritten): that is refused before anything runs.

Reported (this is EMA Workbench's exploratory-modelling view, Kwakkel 2017, and
Lempert et al. 2003's regret, on the model's own paired runs):

- per policy and criterion (reach, gap, privacy), the **probability that it beats the
  baseline**: the share of points where its mean paired difference goes the better way
  (see :func:`~diffusion_sim.report.verdict.improves`), with a 95 % Wilson
  interval over the points; and the shares of points where its paired interval at the
  point excludes 0 either way ("clearly better", "clearly worse");
- the **distribution of each paired difference** over the points (quantiles);
- the **regret** of every scenario, the baseline included: at each point, how far its
  outcome falls behind the best scenario at that point (reach: in percentage points
  below the highest; gap: |gap| above the smallest; privacy: unwanted disclosures per
  act above the fewest); mean, 90th percentile and maximum over the points;
- **scenario discovery** (:mod:`~diffusion_sim.discovery`) of where each policy fails
  to beat the baseline, when that happens at some points but not all.

Uniform ranges make these probabilities statements about the stated ranges, not about
the world: they say how much of the plausible space a policy wins in.

References
----------
Kwakkel JH (2017). The Exploratory Modeling Workbench. *Environmental Modelling &
Software* 96:239-250. Lempert RJ, Popper SW, Bankes SC (2003). *Shaping the Next One
Hundred Years*. RAND (regret-based robustness).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from diffusion_sim.config import Setting, check_keys, read_settings, read_toml
from diffusion_sim.draws import read_draws
from diffusion_sim.errors import ScenarioError
from diffusion_sim.metrics import paired_difference
from diffusion_sim.replicate import executor, ordered_map, replicate_task
from diffusion_sim.report.verdict import CRITERIA, improves
from diffusion_sim.scenario import Scenario
from diffusion_sim.sweep.designs import MAX_POINTS

#: The ``[robustness]`` settings, with their defaults.
SETTINGS = (
    Setting("points", "int", 40, lo=2, hi=MAX_POINTS,
            doc="Latin-hypercube points over the ranges"),
    Setting("reps", "int", 4, lo=1, doc="paired replications at each point"),
    Setting("seed", "int", None, lo=0, doc="seed of the design and the runs (default: the "
                                           "comparison's)"),
    Setting("threshold", "float", 0.8, lo=0.0, hi=1.0,
            doc="scenario discovery: density a box should reach"),
    Setting("ranges", "raw", None, required=True,
            doc="dotted parameter = [low, high], the plausible range of each uncertain value"),
)

#: The metrics kept per run (the criteria and sustained engagement).
KEPT = ("engaged_final", "engaged_gap", "unwanted_per_act", "sustained_final",
        "sustained_gap", "engaged_weeks")


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter: its dotted path, range and baseline value."""

    path: str
    low: float
    high: float
    nominal: Any
    integer: bool = False

    def value(self, unit: float) -> float | int:
        x = self.low + unit * (self.high - self.low)
        return round(x) if self.integer else float(x)


@dataclass(frozen=True)
class RobustnessSpec:
    """A validated ``[robustness]`` table (:func:`load_robustness`)."""

    ranges: tuple[Uncertain, ...]
    points: int = 40
    reps: int = 4
    seed: int = 0
    threshold: float = 0.8

    def design(self) -> list[dict[str, Any]]:
        """The Latin-hypercube points (dotted path -> value), seeded by ``seed``."""
        unit = qmc.LatinHypercube(d=len(self.ranges), rng=np.random.default_rng(
            [self.seed, 1])).random(self.points)
        return [{u.path: u.value(x) for u, x in zip(self.ranges, row)} for row in unit]


def load_robustness(path: str | Path, baseline: Scenario, scenarios: Sequence[Scenario],
                    seed: int, points: int | None = None) -> RobustnessSpec | None:
    """The comparison file's ``[robustness]`` table, checked against its scenarios
    before anything runs (None when the file has none, or ``points == 0``).

    Raises
    ------
    ScenarioError
        One line naming the file and key: unknown settings or keys, a range that is not
        ``[low, high]`` numbers, an end of a range that makes an invalid scenario, a
        parameter that one of the policies changes (its lever would be overwritten), or
        one the scenarios draw from a file (``parameters_from``: the draw would win).
    """
    path = Path(path)
    table = read_toml(path).get("robustness")
    if table is None and points:
        raise ScenarioError(f"--points: {path} has no [robustness] table of ranges to vary")
    if table is None or points == 0:
        return None
    if points is not None and points > MAX_POINTS:
        raise ScenarioError(f"--points: {points:,} is more than {MAX_POINTS:,} settings")
    head = read_settings(table, SETTINGS, "robustness.", str(path), ScenarioError)
    ranges = head["ranges"]
    check_keys(ranges, list(ranges) if isinstance(ranges, Mapping) else [],
               "robustness.ranges.", str(path))
    if not ranges:
        raise ScenarioError(f"{path}: robustness.ranges: no parameter to vary")
    out = []
    for key, rng_ in ranges.items():
        where = f"{path}: robustness.ranges.{key}"
        if (not isinstance(rng_, list) or len(rng_) != 2 or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in rng_)
                or rng_[0] >= rng_[1]):
            raise ScenarioError(f"{where}: must be [low, high] numbers with low < high, "
                                f"got {rng_!r}")
        for end in rng_:
            baseline.with_overrides({key: end}, source=where)  # raises for a bad value/key
        if baseline.parameters_from and key in read_draws(
                baseline.resolve_path(baseline.parameters_from)).columns:
            raise ScenarioError(
                f"{where}: drawn from {baseline.parameters_from} in every replicate (the "
                "draw would overrule the range); vary another parameter")
        nominal = baseline.get(key)
        for sc in scenarios:
            if sc.get(key) != nominal:
                raise ScenarioError(
                    f"{where}: '{sc.name}' sets this parameter ({sc.get(key)!r}; baseline "
                    f"{nominal!r}): it is that policy's lever, so it cannot also be an "
                    "uncertain value; vary another parameter")
        integer = isinstance(nominal, int) and not isinstance(nominal, bool)
        out.append(Uncertain(key, float(rng_[0]), float(rng_[1]), nominal, integer))
    return RobustnessSpec(tuple(out), points or head["points"], head["reps"],
                          seed if head["seed"] is None else head["seed"], head["threshold"])


@dataclass
class Robustness:
    """The runs of a robustness analysis and what is computed from them.

    ``values[name]``: array (points, reps, len(KEPT)) of each scenario's metrics;
    ``design``: the points. See :mod:`~diffusion_sim.robustness` for the measures.
    """

    spec: RobustnessSpec
    baseline: str
    scenarios: list[str]
    design: list[dict[str, Any]]
    values: dict[str, np.ndarray]
    favourable: bool = True
    seconds: float = 0.0
    discovery: list[dict[str, Any]] = field(default_factory=list)
    discovery_note: str = ""

    @property
    def parameters(self) -> list[str]:
        return [u.path for u in self.spec.ranges]

    @property
    def n_points(self) -> int:
        return self.spec.points

    @property
    def n_runs(self) -> int:
        return self.spec.points * self.spec.reps * (len(self.scenarios) + 1)

    def metric(self, name: str, key: str) -> np.ndarray:
        """(points, reps) of one scenario's metric."""
        return self.values[name][:, :, KEPT.index(key)]

    def point_means(self, name: str, key: str) -> np.ndarray:
        """(points,) mean over replicates (NaN-aware; NaN where every replicate is)."""
        v = self.metric(name, key)
        n = np.sum(~np.isnan(v), axis=1)
        return np.where(n > 0, np.nansum(v, axis=1) / np.maximum(n, 1), np.nan)

    def paired(self, name: str, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point: mean paired difference (policy − baseline) and its 95 % interval."""
        a, b = self.metric(self.baseline, key), self.metric(name, key)
        d = [paired_difference(a[k], b[k]) for k in range(a.shape[0])]
        return tuple(np.array([x[f] for x in d], dtype=float) for f in ("mean", "lo", "hi"))

    def improves(self, name: str, key: str) -> np.ndarray:
        """Per point, whether ``name``'s mean paired difference goes the better way
        (:func:`~diffusion_sim.report.verdict.improves`; False where it is NaN)."""
        mean = self.paired(name, key)[0]
        good = improves(key, self.point_means(self.baseline, key), mean, self.favourable)
        return np.isfinite(mean) & good


def run_robustness(spec: RobustnessSpec, baseline: Scenario, scenarios: Sequence[Scenario],
                   *, workers: int | None = None, pool: Executor | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Robustness:
    """Run every scenario at every point of ``spec``'s design, ``spec.reps`` times."""
    t0 = time.perf_counter()
    design = spec.design()
    every = [baseline, *scenarios]
    at = [[sc.with_overrides(point, source=f"robustness point {k}") for sc in every]
          for k, point in enumerate(design)]
    tasks = [(at[k][i], spec.seed, (k, r), "compiled") for k in range(len(design))
             for r in range(spec.reps) for i in range(len(every))]
    values = {sc.name: np.full((spec.points, spec.reps, len(KEPT)), np.nan) for sc in every}
    with executor(workers, pool=pool, jobs=len(tasks)) as ex:
        for i, res in enumerate(ordered_map(replicate_task, tasks, ex)):
            k, r = res.key
            name = every[i % len(every)].name
            values[name][k, r] = [res.summary[m] for m in KEPT]
            if progress:
                progress(i + 1, len(tasks))
    return Robustness(spec, baseline.name, [sc.name for sc in scenarios], design, values,
                      baseline.population.favourable, time.perf_counter() - t0)


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson 1927)."""
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 12), round(min(1.0, centre + half), 12)


def probability_rows(rob: Robustness) -> list[dict[str, Any]]:
    """Per policy and criterion: how often it beats the baseline (module docstring)."""
    rows = []
    for name in rob.scenarios:
        for crit, key in CRITERIA:
            mean, lo, hi = rob.paired(name, key)
            ok = np.isfinite(mean)
            good = rob.improves(name, key)
            wins = int(np.sum(good))
            n = int(ok.sum())
            p_lo, p_hi = wilson(wins, n)
            clear = ok & ((lo > 0) | (hi < 0))  # the point's interval excludes 0
            clear_good = np.sum(clear & good)
            clear_bad = np.sum(clear & ~good)
            rows.append({"policy": name, "criterion": crit, "metric": key,
                         "p_better": wins / n if n else float("nan"), "p_low": p_lo,
                         "p_high": p_hi, "p_clearly_better": clear_good / n if n else
                         float("nan"), "p_clearly_worse": clear_bad / n if n else
                         float("nan"), "n_points": n})
    return rows


def difference_rows(rob: Robustness, scale: Mapping[str, float]) -> list[dict[str, Any]]:
    """Per policy and metric: the distribution over points of the mean paired
    difference, in the displayed unit (``scale``)."""
    rows = []
    for name in rob.scenarios:
        for key in KEPT:
            d = scale[key] * rob.paired(name, key)[0]
            d = d[np.isfinite(d)]
            q = np.quantile(d, [0.05, 0.25, 0.5, 0.75, 0.95]) if d.size else [np.nan] * 5
            rows.append({"policy": name, "metric": key, "mean": float(d.mean()) if d.size
                         else float("nan"), "q05": q[0], "q25": q[1], "median": q[2],
                         "q75": q[3], "q95": q[4], "min": float(d.min()) if d.size else
                         float("nan"), "max": float(d.max()) if d.size else float("nan"),
                         "n_points": int(d.size)})
    return rows


#: Regret criteria: (criterion, metric, how the outcome is scored: higher is better?).
REGRET = (("reach", "engaged_final", True), ("gap", "engaged_gap", False),
          ("privacy", "unwanted_per_act", False))


def regret_rows(rob: Robustness, scale: Mapping[str, float]) -> list[dict[str, Any]]:
    """Per criterion and scenario (the baseline included): regret over the points."""
    names = [rob.baseline, *rob.scenarios]
    rows = []
    for crit, key, higher in REGRET:
        v = np.stack([rob.point_means(n, key) for n in names])  # (scenarios, points)
        if crit == "gap":
            v = np.abs(v)  # distance from equality
        if not rob.favourable and crit == "reach":
            higher = False
        best = np.nanmax(v, axis=0) if higher else np.nanmin(v, axis=0)
        regret = scale[key] * ((best - v) if higher else (v - best))
        for i, n in enumerate(names):
            r = regret[i][np.isfinite(regret[i])]
            rows.append({"criterion": crit, "metric": key, "scenario": n,
                         "mean_regret": float(r.mean()) if r.size else float("nan"),
                         "p90_regret": float(np.quantile(r, 0.9)) if r.size else float("nan"),
                         "max_regret": float(r.max()) if r.size else float("nan"),
                         "share_best": float(np.mean(r == 0)) if r.size else float("nan")})
    return rows


def point_rows(rob: Robustness) -> list[dict[str, Any]]:
    """One row per (point, policy): the point's values, the baseline's and the policy's
    mean outcomes and the paired differences (``diff_<metric>``): what
    ``diffusion-sim discover DIR --policy P --where ...`` reads."""
    rows = []
    base = {k: rob.point_means(rob.baseline, k) for k in KEPT}
    for name in rob.scenarios:
        diffs = {k: rob.paired(name, k)[0] for k in KEPT}
        own = {k: rob.point_means(name, k) for k in KEPT}
        for i, point in enumerate(rob.design):
            row: dict[str, Any] = {"point": i, "policy": name, **point}
            row.update({f"baseline_{k}": float(base[k][i]) for k in KEPT})
            row.update({k: float(own[k][i]) for k in KEPT})
            row.update({f"diff_{k}": float(diffs[k][i]) for k in KEPT})
            rows.append(row)
    return rows
