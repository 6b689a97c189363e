"""Priors of the parameters a calibration estimates.

A spec states one prior per parameter, as a one-key table (plus an optional range for
a Beta)::

    "transmission.transmissibility" = { uniform = [0.1, 0.8] }
    "traits.receptiveness.mean"     = { beta = [2, 3] }                  # on [0, 1]
    "transmission.attrition"        = { loguniform = [0.005, 0.2] }
    "strategies.allocate.motivation" = { beta = [2, 2], range = [0, 0.9] }

``uniform = [lo, hi]``: flat on [lo, hi]. ``beta = [a, b]``: Beta(a, b) on [0, 1], or
scaled to ``range = [lo, hi]``. ``loguniform = [lo, hi]``: flat in log(value), 0 < lo.
Every prior is a scipy.stats distribution (:meth:`Prior.dist`), which is what the
inference library samples and evaluates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from diffusion_sim.config import did_you_mean
from diffusion_sim.errors import CalibrationError

KINDS = ("uniform", "beta", "loguniform")


@dataclass(frozen=True)
class Prior:
    """One parameter's prior.

    Attributes
    ----------
    path : the scenario's dotted key
    kind : ``"uniform"``, ``"beta"`` or ``"loguniform"``
    a, b : the bounds (uniform, loguniform) or the Beta shapes
    lo, hi : the support
    """

    path: str
    kind: str
    a: float
    b: float
    lo: float
    hi: float

    def dist(self) -> Any:
        """The frozen scipy.stats distribution."""
        if self.kind == "uniform":
            return stats.uniform(self.lo, self.hi - self.lo)
        if self.kind == "beta":
            return stats.beta(self.a, self.b, loc=self.lo, scale=self.hi - self.lo)
        return stats.loguniform(self.lo, self.hi)

    def scipy_args(self) -> tuple[str, tuple[float, ...]]:
        """(scipy.stats name, positional arguments), as ``pyabc.RV(name, *args)`` takes."""
        if self.kind == "uniform":
            return "uniform", (self.lo, self.hi - self.lo)
        if self.kind == "beta":
            return "beta", (self.a, self.b, self.lo, self.hi - self.lo)
        return "loguniform", (self.lo, self.hi)

    def describe(self) -> str:
        if self.kind == "beta":
            where = "" if (self.lo, self.hi) == (0.0, 1.0) else f" on [{self.lo:g}, {self.hi:g}]"
            return f"Beta({self.a:g}, {self.b:g}){where}"
        name = "Uniform" if self.kind == "uniform" else "LogUniform"
        return f"{name}({self.lo:g}, {self.hi:g})"

    def inner_points(self) -> tuple[float, float]:
        """Two values just inside the support (to check they make valid scenarios)."""
        eps = 1e-9 * (self.hi - self.lo)
        return self.lo + eps, self.hi - eps

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(self.dist().rvs(size=size, random_state=rng), dtype=float)


def _pair(v: Any) -> tuple[float, float] | None:
    if (isinstance(v, list) and len(v) == 2 and all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for x in v)):
        return float(v[0]), float(v[1])
    return None


def parse_prior(path: str, spec: Any, source: str) -> Prior:
    """A ``[parameters]`` entry as a :class:`Prior`; one-line errors naming the key."""
    key = f"parameters.{path}"

    def fail(msg: str) -> CalibrationError:
        return CalibrationError(f"{source}: {key}: {msg}")

    if not isinstance(spec, Mapping):
        raise fail("must be a table like { uniform = [low, high] }")
    kinds = [k for k in spec if k != "range"]
    for k in kinds:
        if k not in KINDS:
            raise fail(f"unknown prior {k!r}{did_you_mean(k, KINDS)}")
    if len(kinds) != 1:
        raise fail(f"give exactly one prior ({' | '.join(KINDS)}), got "
                   f"{', '.join(kinds) or 'none'}")
    kind = kinds[0]
    ab = _pair(spec[kind])
    if ab is None:
        raise fail(f"{kind}: must be two numbers [{'a, b' if kind == 'beta' else 'low, high'}]"
                   f", got {spec[kind]!r}")
    a, b = ab
    if "range" in spec and kind != "beta":
        raise fail("range: only a beta prior takes a range (the others are their range)")
    if kind == "beta":
        if a <= 0 or b <= 0:
            raise fail(f"beta: shapes must be positive, got [{a:g}, {b:g}]")
        lohi = _pair(spec.get("range", [0.0, 1.0]))
        if lohi is None or not lohi[0] < lohi[1]:
            raise fail(f"range: must be [low, high] with low < high, got {spec['range']!r}")
        return Prior(path, kind, a, b, *lohi)
    if not a < b:
        raise fail(f"{kind}: need low < high, got [{a:g}, {b:g}]")
    if kind == "loguniform" and a <= 0:
        raise fail(f"loguniform: low must be positive, got {a:g}")
    return Prior(path, kind, a, b, a, b)
