"""How precise a comparison must be: ``--ci-width`` per measure, in its own unit.

A comparison run with a precision target adds paired replications until the 95 %
interval of every targeted paired difference (scenario − baseline, every scenario) is
narrower than its target. A target is stated per measure, because one number cannot
mean the same for percentage points, ratios and indices:

- ``engaged_final=1.5`` : narrower than 1.5 in the measure's displayed unit (here
  percentage points; for ``unwanted_per_act`` disclosures per act; for an index,
  index units);
- ``unwanted_per_act=10%`` : *relative*: narrower than 10 % of the baseline's mean of
  that measure (|mean|);
- a bare number ``2`` : shorthand for ``engaged_final=2,engaged_gap=2`` (the reach and
  gap differences, both in percentage points), what the report's verdict rests on.

On the command line targets are comma-separated (``--ci-width
"engaged_final=1.5,engaged_gap=2,unwanted_per_act=10%"``); in a comparison file
``ci_width`` is a number, such a string, or a table ``{ engaged_final = 1.5,
unwanted_per_act = "10%" }``. Measures not named are not targeted (a per-group measure
on 400 people needs far more replications than the overall one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from diffusion_sim.config import did_you_mean
from diffusion_sim.errors import ScenarioError
from diffusion_sim.measures import Measure

#: What a bare number targets (both in percentage points).
DEFAULT_TARGETS = ("engaged_final", "engaged_gap")

_NUMBER = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class WidthTarget:
    """One measure's target: its interval must be narrower than ``width``.

    ``width`` is in the measure's displayed unit (``Measure.scale`` applied), or, when
    ``relative``, a fraction of the baseline mean's absolute value (0.1 for ``10%``).
    """

    measure: Measure
    width: float
    relative: bool = False

    def limit(self, baseline_mean: float) -> float:
        """The largest width allowed, in the displayed unit (NaN if undefined)."""
        if not self.relative:
            return self.width
        return self.width * abs(baseline_mean) * self.measure.scale

    def describe(self) -> str:
        what = (f"{100 * self.width:g} % of the baseline's value" if self.relative else
                f"{self.width:g} {self.measure.diff_unit}")
        return f"{self.measure.key} < {what}"


def _value(text: Any, where: str) -> tuple[float, bool]:
    """A width: a positive number, or a percentage string ``"10%"``."""
    if isinstance(text, bool):
        raise ScenarioError(f"{where}: must be a positive number or a percentage, got {text!r}")
    if isinstance(text, int | float):
        value, relative = float(text), False
    else:
        m = _NUMBER.match(str(text))
        if not m:
            raise ScenarioError(f"{where}: must be a positive number or a percentage like "
                                f"'10%', got {text!r}")
        value, relative = float(m.group(1)), bool(m.group(2))
        value = value / 100 if relative else value
    if not (math.isfinite(value) and value > 0):
        raise ScenarioError(f"{where}: must be a positive number, got {text!r}")
    return value, relative


def parse_ci_width(spec: float | str | Mapping[str, Any], measures: Sequence[Measure],
                   where: str = "--ci-width") -> tuple[WidthTarget, ...]:
    """The targets of a ``ci_width`` setting (see the module docstring).

    Raises
    ------
    ScenarioError
        One line naming ``where`` for an unknown measure (with a did-you-mean), a
        width that is not a positive number or percentage, or an empty setting.
    """
    by_key = {m.key: m for m in measures}
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, str) and "=" in spec:
        items = []
        for part in (p for p in spec.split(",") if p.strip()):
            key, sep, value = part.partition("=")
            if not sep:
                raise ScenarioError(f"{where}: {part.strip()!r}: expected MEASURE=WIDTH")
            items.append((key.strip(), value.strip()))
    else:
        value, relative = _value(spec, where)
        return tuple(WidthTarget(by_key[k], value, relative) for k in DEFAULT_TARGETS)
    if not items:
        raise ScenarioError(f"{where}: no measure named")
    out = []
    for i, (key, value) in enumerate(items):
        if any(k == key for k, _ in items[:i]):
            raise ScenarioError(f"{where}: {key}: given twice; give one width per measure")
        if key not in by_key:
            raise ScenarioError(f"{where}: {key}: not a headline measure"
                                f"{did_you_mean(key, list(by_key))}")
        width, relative = _value(value, f"{where}: {key}")
        out.append(WidthTarget(by_key[key], width, relative))
    return tuple(out)


def precision_status(differences: Sequence[Mapping[str, Any]],
                     targets: Sequence[WidthTarget]) -> tuple[bool, str]:
    """Whether every targeted difference's interval is narrower than its target, and
    the tightest case in words: ``(met, "widest ... : label, scenario")``.

    ``differences`` are :meth:`~diffusion_sim.compare.Comparison.differences` rows. An
    interval that is not finite yet (too few replicates, or a measure undefined in
    some) counts as not narrow enough.
    """
    rows = {(d["scenario"], d["metric"]): d for d in differences}
    scenarios = list(dict.fromkeys(d["scenario"] for d in differences))
    worst: tuple[float, str] | None = None
    for t in targets:
        for sc in scenarios:
            d = rows[(sc, t.measure.key)]
            width = (d["diff_high"] - d["diff_low"]) * t.measure.scale
            limit = t.limit(d["baseline_mean"])
            ratio = width / limit if limit > 0 else math.inf
            ratio = ratio if math.isfinite(ratio) else math.inf
            text = (f"{t.measure.key} in {sc}: {width:.3g} against {limit:.3g} "
                    f"{t.measure.diff_unit}")
            if worst is None or ratio > worst[0]:
                worst = (ratio, text)
    assert worst is not None
    return worst[0] < 1, worst[1]
