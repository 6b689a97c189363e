"""A calibration spec: the TOML file, validated before anything runs.

::

    [calibration]
    name = "health_check"
    base = "../scenarios/baseline.toml"   # relative to this file
    targets = "targets.csv"               # see diffusion_sim.calibrate.targets
    method = "abc"          # abc (posterior, ABC-SMC) | optimize (point estimate, TPE)
    distance = "adaptive"   # adaptive | binomial | euclidean (see DISTANCES)
    seed = 20261122
    particles = 200         # abc: particles per generation
    generations = 8         # abc: at most this many generations
    min_acceptance = 0.01   # abc: stop when a generation would accept less than this
    simulations = 50000     # budget: stop once this many simulations are done
    wall_time = 3600        # budget: seconds (0: none)
    draws = 400             # posterior draws written for run / compare / sweep
    predictive = 100        # runs for the posterior predictive bands

    [overrides]             # fixed changes to the base scenario
    "population.size" = 1000

    [parameters]            # what to estimate, with its prior (see priors.py)
    "transmission.transmissibility" = { uniform = [0.1, 0.8] }
    "traits.receptiveness.mean" = { beta = [2, 3] }
    "transmission.attrition" = { loguniform = [0.005, 0.2] }

**Identity.** :meth:`CalibrationSpec.identity` hashes what decides the result (the
resolved scenario, the targets, the priors, method, distance, seed, particles or
trials' replicates, the model's semantics); ``--resume`` refuses a calibration whose
identity changed. The budget (generations, simulations, wall time, min_acceptance,
trials) and the outputs (draws, predictive) may change on resume: a finished
calibration resumed with a larger budget goes on where it stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diffusion_sim.calibrate.priors import Prior, parse_prior
from diffusion_sim.calibrate.targets import Target, check_targets, read_targets
from diffusion_sim.config import Setting, check_keys, read_settings, read_toml
from diffusion_sim.errors import CalibrationError, ScenarioError
from diffusion_sim.replicate import DEFAULT_SEED
from diffusion_sim.scenario import Scenario, load
from diffusion_sim.store import sha256_json
from diffusion_sim.version import SEMANTICS

METHODS = ("abc", "optimize")
#: ``adaptive``: Euclidean distance with each target scaled by the spread (MAD) of its
#: simulated values in the previous generation (pyabc's AdaptivePNormDistance; abc
#: only). ``binomial``: each target weighted by its binomial precision
#: ``n / (v (1 - v))`` at the observed value ``v`` (a chi-square; needs ``n`` on every
#: row). ``euclidean``: plain root-mean-square difference of the fractions.
DISTANCES = ("adaptive", "binomial", "euclidean")

SETTINGS = (
    Setting("name", "str", required=True, doc="a name of letters, digits, '_', '-', '.'"),
    Setting("base", "path", required=True, doc="the base scenario file"),
    Setting("targets", "path", required=True, doc="the targets CSV file"),
    Setting("method", "str", "abc", choices=METHODS, doc="abc | optimize"),
    Setting("distance", "str", None, choices=DISTANCES,
            doc="adaptive | binomial | euclidean (default: adaptive for abc; binomial "
                "for optimize when every target has n, else euclidean)"),
    Setting("seed", "int", DEFAULT_SEED, lo=0, doc="seed (entropy) of the calibration"),
    Setting("particles", "int", 200, lo=10, doc="abc: particles per generation"),
    Setting("generations", "int", 8, lo=1, doc="abc: at most this many generations"),
    Setting("min_acceptance", "float", 0.01, lo=1e-6, hi=1.0,
            doc="abc: stop when a generation would accept less than this share"),
    Setting("simulations", "int", 100_000, lo=1, doc="budget: simulations"),
    Setting("wall_time", "float", 0.0, lo=0.0, doc="budget: seconds (0 = no limit)"),
    Setting("draws", "int", 400, lo=1, doc="posterior draws written for scenarios"),
    Setting("predictive", "int", 100, lo=2, doc="runs for the predictive bands"),
    Setting("trials", "int", 200, lo=1, doc="optimize: trials"),
    Setting("replicates", "int", 4, lo=1, doc="optimize: runs per trial (common seeds)"),
    Setting("batch", "int", 8, lo=1, doc="optimize: trials proposed at a time"),
)


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec (build with :func:`load_calibration`).

    ``scenario`` is the base scenario with the spec's overrides; ``priors`` one per
    estimated parameter, in the spec's order; ``settings`` the ``[calibration]`` values.
    """

    source: str
    name: str
    scenario: Scenario
    targets: tuple[Target, ...]
    targets_file: str
    priors: tuple[Prior, ...]
    settings: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        settings = self.__dict__.get("settings", {})
        if name in settings:
            return settings[name]
        raise AttributeError(name)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.priors)

    def scenario_at(self, values: dict[str, float]) -> Scenario:
        """The scenario with the estimated parameters set to ``values``."""
        return self.scenario.with_overrides(values, source=f"{self.source}: parameters")

    def identity(self) -> dict[str, str]:
        """What decides the result, each part a SHA-256 (see the module docstring)."""
        s = self.settings
        run = {"method": s["method"], "distance": s["distance"], "seed": s["seed"]}
        run.update({"particles": s["particles"]} if s["method"] == "abc" else
                   {"replicates": s["replicates"], "batch": s["batch"]})
        return {
            "scenario": sha256_json(self.scenario.to_dict()),
            "targets": sha256_json([[t.week, t.group, t.measure, t.value, t.n]
                                    for t in self.targets]),
            "priors": sha256_json([[p.path, p.kind, p.a, p.b, p.lo, p.hi]
                                   for p in self.priors]),
            "run": sha256_json(run),
            "semantics": str(SEMANTICS),
        }


WHAT = {"scenario": "the scenario (base file, its extends chain or the overrides)",
        "targets": "the targets file's figures", "priors": "the parameters or their priors",
        "run": "the method, distance, seed, particles, replicates or batch",
        "semantics": "the model's semantics (a new version of diffusion-sim)"}


def load_calibration(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration spec, its scenario and its targets.

    Raises
    ------
    CalibrationError
        One line naming the file and the key (or the targets file and its line).
    """
    path = Path(path)
    src = str(path)
    data = read_toml(path, CalibrationError)
    check_keys(data, ["calibration", "overrides", "parameters"], "", src, CalibrationError)
    head = read_settings(data.get("calibration", {}), SETTINGS, "calibration.", src,
                         CalibrationError)
    if head["method"] == "abc" and head["particles"] > head["simulations"]:
        raise CalibrationError(
            f"{src}: calibration.particles: {head['particles']:,} particles need at least "
            f"as many simulations, but the budget is {head['simulations']:,} "
            "(calibration.simulations)")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", head["name"]):
        raise CalibrationError(f"{src}: calibration.name: {head['name']!r}: use letters, "
                               "digits, '_', '-', '.' (it names the default output folder)")
    try:
        base = load(path.parent / head["base"])
        overrides = data.get("overrides", {})
        check_keys(overrides, list(overrides) if isinstance(overrides, dict) else [],
                   "overrides.", src, CalibrationError)
        scenario = base.with_overrides(overrides, source=f"{src}: overrides")
    except ScenarioError as exc:
        raise CalibrationError(f"{src}: calibration.base: {exc}") from None
    if scenario.parameters_from:
        raise CalibrationError(f"{src}: calibration.base: the scenario draws its parameters "
                               f"from {scenario.parameters_from}; calibrate a scenario "
                               "without parameters_from")
    targets_file = path.parent / head["targets"]
    targets = read_targets(targets_file)
    check_targets(targets, targets_file, scenario.steps, scenario.n_groups,
                  scenario.strategy_names)
    priors = _priors(data.get("parameters", {}), scenario, src)
    head["distance"] = _distance(head, targets, src, targets_file)
    return CalibrationSpec(src, head["name"], scenario, targets, str(targets_file), priors,
                           head)


def _priors(table: Any, scenario: Scenario, src: str) -> tuple[Prior, ...]:
    """The ``[parameters]`` table: a prior per real-valued scenario key whose support
    makes valid scenarios."""
    check_keys(table, list(table) if isinstance(table, dict) else [], "parameters.", src,
               CalibrationError)
    if not table:
        raise CalibrationError(f"{src}: parameters: no parameters to estimate")
    priors = []
    for key, spec in table.items():
        prior = parse_prior(key, spec, src)
        try:
            current = scenario.get(key)
        except ScenarioError:
            raise CalibrationError(f"{src}: parameters.{key}: no such scenario key (see "
                                   "diffusion-sim describe)") from None
        if isinstance(current, bool) or not isinstance(current, float | int):
            raise CalibrationError(f"{src}: parameters.{key}: not a number in the scenario "
                                   f"(it is {current!r})")
        if isinstance(current, int) and not isinstance(current, float):
            raise CalibrationError(f"{src}: parameters.{key}: an integer parameter; only "
                                   "real-valued parameters can be estimated")
        for v in prior.inner_points():
            try:
                scenario.with_overrides({key: v})
            except ScenarioError as exc:
                msg = str(exc).split(": ", 1)[-1]
                raise CalibrationError(f"{src}: parameters.{key}: the prior's support "
                                       f"{prior.describe()} reaches invalid values: "
                                       f"{msg}") from None
        priors.append(prior)
    return tuple(priors)


def _distance(head: dict[str, Any], targets: tuple[Target, ...], src: str,
              targets_file: Path) -> str:
    """The distance, defaulted by method and checked against the targets."""
    dist = head["distance"]
    if dist is None:
        if head["method"] == "abc":
            return "adaptive"
        return "binomial" if all(t.n for t in targets) else "euclidean"
    if dist == "adaptive" and head["method"] == "optimize":
        raise CalibrationError(f"{src}: calibration.distance: 'adaptive' needs method "
                               "'abc'; use 'binomial' or 'euclidean' with 'optimize'")
    if dist == "binomial":
        lacking = next((t for t in targets if not t.n), None)
        if lacking is not None:
            raise CalibrationError(f"{src}: calibration.distance: 'binomial' needs n on "
                                   f"every target; {targets_file}:{lacking.line} has none")
    return dist


def describe_change(old: dict[str, str], new: dict[str, str]) -> str:
    """What differs between two identities, in words ("" when they agree)."""
    return "; ".join(WHAT.get(k, k) for k in sorted(set(old) | set(new))
                     if old.get(k) != new.get(k))
