"""A sweep spec: the TOML file, validated, and the identity of the results it makes.

::

    [sweep]
    name = "reshare_x_identity"
    base = "../scenarios/baseline.toml"   # relative to this file
    seed = 20261122
    replications = 5
    design = "grid"          # grid | lhs | sobol | oat
    samples = 64             # lhs: points; sobol: base sample N (a power of 2)
    outputs = "summary"      # summary | series (also the per-step counts)
    chunk_size = 20          # runs per chunk file

    [overrides]              # fixed changes to the base scenario
    "population.size" = 1000

    [parameters]
    "transmission.reshare_prob" = { levels = [0.0, 0.05, 0.1] }          # grid, oat
    "traits.identity_sensitivity.group1.mean" = { range = [0.4, 0.8] }   # lhs, sobol, oat

**Identity.** :meth:`SweepSpec.identity` hashes everything that determines the
results: the resolved base scenario (after ``extends`` and the overrides), the bytes of
every data file the scenarios read, the design's points, the seed, replications,
chunking, outputs and the model's semantics version. ``--resume``, every shard and
``merge`` compare it with the one the sweep started with and refuse a mismatch,
naming what changed. (Editing a comment in the spec changes nothing and is accepted.)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diffusion_sim.config import Setting, check_keys, read_settings, read_toml, regular_file
from diffusion_sim.draws import read_draws
from diffusion_sim.errors import ScenarioError, SweepError
from diffusion_sim.replicate import DEFAULT_SEED
from diffusion_sim.scenario import Scenario, load
from diffusion_sim.store import sha256_file, sha256_json
from diffusion_sim.sweep.designs import DESIGNS, MAX_POINTS, Parameter, expand, n_points
from diffusion_sim.version import SEMANTICS

#: Most runs in one sweep (each is a row of runs.csv), and most chunk files (each is a
#: file, a task and a line of the store's bookkeeping).
MAX_RUNS = 100_000_000
MAX_CHUNKS = 1_000_000

#: The ``[sweep]`` settings, with their defaults.
SETTINGS = (
    Setting("name", "str", required=True, doc="a name of letters, digits, '_', '-', '.'"),
    Setting("base", "path", required=True, doc="the base scenario file"),
    Setting("seed", "int", DEFAULT_SEED, lo=0, doc="seed (entropy) of every run"),
    Setting("replications", "int", 1, lo=1, doc="replicates per design point"),
    Setting("design", "str", "grid", choices=DESIGNS, doc="grid | lhs | sobol | oat"),
    Setting("samples", "int", 16, lo=1, doc="lhs: points; sobol: base sample N"),
    Setting("outputs", "str", "summary", choices=("summary", "series"),
            doc="summary | series (also the per-step counts)"),
    Setting("chunk_size", "int", 20, lo=1, doc="runs per chunk file"),
    Setting("steps", "int", None, lo=1, doc="steps of every run (overrides the scenario)"),
)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (build with :func:`load_spec`)."""

    name: str
    source: str
    text: str
    base: Scenario
    seed: int
    replications: int
    design: str
    samples: int
    outputs: str
    chunk_size: int
    overrides: dict[str, Any]
    parameters: tuple[Parameter, ...]
    points: tuple[dict[str, Any], ...] = field(default=())

    @property
    def hash(self) -> str:
        """SHA-256 of the spec file's text (recorded; the identity is what is compared)."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replications

    @property
    def n_chunks(self) -> int:
        return -(-self.n_runs // self.chunk_size)

    def run_ids(self, chunk: int) -> list[tuple[int, int]]:
        """The (point, replicate) pairs of chunk ``chunk``."""
        lo = chunk * self.chunk_size
        hi = min(lo + self.chunk_size, self.n_runs)
        return [(i // self.replications, i % self.replications) for i in range(lo, hi)]

    def scenario(self, point: int) -> Scenario:
        """The scenario of design point ``point``."""
        values = {**self.overrides, **self.points[point]}
        return self.base.with_overrides(values, source=f"{self.source}: point {point}")

    def data_files(self) -> list[Path]:
        """Every data file the sweep's scenarios read (edge lists, node files)."""
        files = set(self.base.with_overrides(self.overrides).data_files)
        if any(p.path.endswith("_file") for p in self.parameters):
            for k in range(len(self.points)):
                files |= set(self.scenario(k).data_files)
        return sorted(files)

    def identity(self) -> dict[str, str]:
        """The parts of the sweep's identity, each a SHA-256 (see the module docstring).

        ``{"scenario": ..., "design": ..., "run": ..., "semantics": ..., "file:NAME": ...}``;
        :func:`describe_change` names the parts that differ between two identities.
        """
        ident = {
            "scenario": sha256_json(self.base.with_overrides(self.overrides).to_dict()),
            "design": sha256_json([self.design, self.samples, list(self.points)]),
            "run": sha256_json({"seed": self.seed, "replications": self.replications,
                                "chunk_size": self.chunk_size, "outputs": self.outputs}),
            "semantics": str(SEMANTICS),
        }
        for f in self.data_files():
            regular_file(Path(f), SweepError, "data file")
            try:
                ident[f"file:{f}"] = sha256_file(f)
            except OSError as exc:
                raise SweepError(f"{f}: cannot read: {exc.strerror or exc}") from None
        return ident


_WHAT = {"scenario": "the resolved base scenario (base file, its extends chain or the "
                     "overrides)",
         "design": "the design (parameters, levels, ranges or samples)",
         "run": "the seed, replications, chunk size or outputs",
         "semantics": "the model's semantics (a new version of diffusion-sim)"}


def describe_change(old: dict[str, str], new: dict[str, str]) -> str:
    """What differs between two identities, in words ("" when they agree)."""
    changed = []
    for k in sorted(set(old) | set(new)):
        if old.get(k) == new.get(k):
            continue
        if k.startswith("file:"):
            name = k[5:]
            changed.append(f"the data file {name} " + (
                "changed" if k in old and k in new else "was added" if k in new else
                "is no longer read"))
        elif k == "semantics":
            changed.append(f"the model's semantics (version {old.get(k, '?')} there, "
                           f"{new.get(k, '?')} now)")
        else:
            changed.append(_WHAT.get(k, k))
    return "; ".join(changed)


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec; errors name the file and the key."""
    path = Path(path)
    data = read_toml(path, SweepError)
    text = path.read_text(encoding="utf-8")

    def fail(key: str, msg: str) -> SweepError:
        return SweepError(f"{path}: {key}: {msg}")

    check_keys(data, ["sweep", "overrides", "parameters"], "", str(path), SweepError)
    head = read_settings(data.get("sweep", {}), SETTINGS, "sweep.", str(path), SweepError)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", head["name"]):
        raise fail("sweep.name", f"{head['name']!r}: use letters, digits, '_', '-', '.' "
                   "(it names the default output folder)")
    design, samples = head["design"], head["samples"]
    if design == "sobol" and (samples & (samples - 1) or samples < 4):
        raise fail("sweep.samples", f"a Sobol design needs a power of 2 >= 4, got {samples}")
    try:
        base = load(path.parent / head["base"])
    except ScenarioError as exc:
        raise SweepError(f"{path}: sweep.base: {exc}") from None
    overrides = data.get("overrides", {})
    check_keys(overrides, list(overrides) if isinstance(overrides, dict) else [],
               "overrides.", str(path), SweepError)
    overrides = dict(overrides)
    if head["steps"] is not None:
        overrides["steps"] = head["steps"]
    try:
        resolved = base.with_overrides(overrides, source=f"{path}: overrides")
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None
    table = data.get("parameters", {})
    check_keys(table, list(table) if isinstance(table, dict) else [], "parameters.",
               str(path), SweepError)
    params = [parameter(path, p, spec, design, base, overrides, resolved)
              for p, spec in table.items()]
    if not params:
        raise fail("parameters", "no parameters to vary")
    spec = SweepSpec(head["name"], str(path), text, base, head["seed"], head["replications"],
                     design, samples, head["outputs"], head["chunk_size"], overrides,
                     tuple(params))
    if n_points(spec) > MAX_POINTS:
        raise fail("sweep", f"the {design} design has {n_points(spec):,} points, more than "
                   f"{MAX_POINTS:,}; use fewer samples, levels or n")
    runs = n_points(spec) * spec.replications
    if runs > MAX_RUNS:
        raise fail("sweep.replications", f"{runs:,} runs, more than {MAX_RUNS:,} in one "
                   "sweep; use fewer replications or points, or split it into several sweeps")
    if -(-runs // spec.chunk_size) > MAX_CHUNKS:
        raise fail("sweep.chunk_size", f"{runs:,} runs in chunks of {spec.chunk_size:,} make "
                   f"{-(-runs // spec.chunk_size):,} chunk files, more than {MAX_CHUNKS:,}; "
                   f"use chunk_size >= {-(-runs // MAX_CHUNKS):,}")
    return SweepSpec(**{**spec.__dict__, "points": tuple(expand(spec))})


def parameter(path: Path, p: str, spec: Any, design: str, base: Scenario,
              overrides: dict[str, Any], resolved: Scenario) -> Parameter:
    """One ``[parameters]`` entry, checked: its form for the design, and that its
    extreme values make valid scenarios."""
    key = f"parameters.{p}"

    def fail(k: str, msg: str) -> SweepError:
        return SweepError(f"{path}: {k}: {msg}")

    if not isinstance(spec, dict):
        raise fail(key, "must be a table like { levels = [...] } or { range = [lo, hi] }")
    check_keys(spec, ["levels", "range", "n"], key + ".", str(path), SweepError)
    levels = spec.get("levels", [])
    if not isinstance(levels, list) or ("levels" in spec and not levels):
        raise fail(key + ".levels", f"must be a non-empty list, got {levels!r}")
    repeated = [v for i, v in enumerate(levels) if v in levels[:i]]
    if repeated:  # a repeated level is a second design point that only looks new
        raise fail(key + ".levels", f"{repeated[0]!r} is there twice; give each level once "
                   "(for more runs per point raise sweep.replications)")
    rng_ = spec.get("range")
    if rng_ is not None:
        if (not isinstance(rng_, list) or len(rng_) != 2 or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in rng_)
                or rng_[0] > rng_[1]):
            raise fail(key + ".range", f"must be [low, high] numbers, got {rng_!r}")
        rng_ = (float(rng_[0]), float(rng_[1]))
    if design == "grid" and not levels:
        raise fail(key, "a grid design needs levels = [...]")
    if design in ("lhs", "sobol") and rng_ is None:
        raise fail(key, f"a {design} design needs range = [low, high]")
    if design == "oat" and not levels and rng_ is None:
        raise fail(key, "needs levels = [...] or range = [low, high]")
    n = spec.get("n", 5)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise fail(key + ".n", f"must be an integer >= 2, got {n!r}")
    for v in list(levels) + (list(rng_) if rng_ else []):  # every value must be valid
        try:
            base.with_overrides({**overrides, p: v}, source=f"{path}: {key}")
        except ScenarioError as exc:
            raise SweepError(str(exc)) from None
    if resolved.parameters_from and p in read_draws(
            resolved.resolve_path(resolved.parameters_from)).columns:
        raise fail(key, f"drawn from {resolved.parameters_from} in every replicate (the "
                   "draw would overrule the swept value)")
    try:
        current = resolved.get(p)
    except ScenarioError:
        current = None
    integer = isinstance(current, int) and not isinstance(current, bool)
    return Parameter(p, tuple(levels), rng_, n, integer)
