"""Designs of a sweep: the points (dotted path -> value) in a fixed order.

- ``grid``: the full factorial of the levels, first parameter slowest;
- ``lhs``: ``samples`` points of a Latin hypercube (``scipy.stats.qmc``, seeded by the
  sweep seed) scaled to the ranges;
- ``sobol``: Saltelli's matrices for ``N = samples``: A (N points), B (N), then AB_i (A
  with column i from B) for each parameter i: ``N·(d + 2)`` points;
- ``oat``: the base point (each parameter at its base value) then, parameter by
  parameter, each of its levels (or ``n`` evenly spaced values of its range) with the
  others at base.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from diffusion_sim.errors import AnalysisError

if TYPE_CHECKING:
    from diffusion_sim.sweep.spec import SweepSpec

DESIGNS = ("grid", "lhs", "sobol", "oat")


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: its dotted scenario path and its levels or range."""

    path: str
    levels: tuple[Any, ...] = ()
    range: tuple[float, float] | None = None
    n: int = 5  # oat with a range: number of evenly spaced levels
    integer: bool = False  # an integer setting (e.g. population.size): sampled values rounded

    def value(self, x: float) -> float | int:
        """A sampled value as the scenario wants it: integer settings are rounded."""
        return round(float(x)) if self.integer else float(x)


#: Most design points a sweep may have: every point is held in memory and listed in
#: the manifest, so a mistyped ``samples = 100000000`` is refused, not left to hang.
MAX_POINTS = 1_000_000


def n_points(spec: SweepSpec) -> int:
    """How many points :func:`expand` will make, computed without making them."""
    ps = spec.parameters
    if spec.design == "grid":
        return math.prod(len(p.levels) for p in ps)
    if spec.design == "lhs":
        return spec.samples
    if spec.design == "sobol":
        return spec.samples * (len(ps) + 2)
    return 1 + sum(len(p.levels) or p.n for p in ps)


def expand(spec: SweepSpec) -> list[dict[str, Any]]:
    """The design's points (see the module docstring)."""
    ps = spec.parameters
    d = len(ps)
    if spec.design == "grid":
        return [dict(zip((p.path for p in ps), combo))
                for combo in itertools.product(*(p.levels for p in ps))]
    if spec.design in ("lhs", "sobol"):
        from scipy.stats import qmc  # ~1 s of imports, only for these designs

        lo = np.array([p.range[0] for p in ps])
        hi = np.array([p.range[1] for p in ps])
        if spec.design == "lhs":
            unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(spec.seed)).random(
                spec.samples)
        else:
            ab = qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(spec.seed)
                           ).random(spec.samples)
            A, B = ab[:, :d], ab[:, d:]
            blocks = [A, B]
            for i in range(d):
                AB = A.copy()
                AB[:, i] = B[:, i]
                blocks.append(AB)
            unit = np.vstack(blocks)
        values = lo + unit * (hi - lo)
        return [{p.path: p.value(v) for p, v in zip(ps, row)} for row in values]
    base = spec.base.with_overrides(spec.overrides)
    at_base = {p.path: base.get(p.path) for p in ps}
    points = [dict(at_base)]
    for p in ps:
        levels = p.levels or tuple(p.value(x) for x in np.linspace(*p.range, p.n))
        for v in levels:
            points.append({**at_base, p.path: v})
    return points


def numeric_design(points: Sequence[Mapping[str, Any]], params: Sequence[str],
                   source: str) -> np.ndarray:
    """``X[k, j]``, the value of ``params[j]`` at design point ``k`` (a sweep manifest's
    ``points``), for the analyses that need ordered parameters (scenario discovery,
    moment-independent sensitivity). A parameter with text levels (a categorical one,
    such as ``intervention.seeding``) has no order: refused in one line naming it."""
    for p in params:
        text = sorted({str(pt[p]) for pt in points if isinstance(pt[p], str)})
        if text:
            raise AnalysisError(
                f"{source}: {p} has text levels ({', '.join(text)}), which this analysis "
                "cannot order; analyse one level at a time (a sweep with it fixed in "
                "[overrides]) or sweep numeric parameters only")
    return np.array([[float(pt[p]) for p in params] for pt in points], dtype=float)
