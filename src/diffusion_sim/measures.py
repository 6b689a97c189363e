"""Headline measures: what each one is called, its unit and how it is shown.

Every table, report and figure shows a headline figure through its :class:`Measure`,
so the label, the unit (of the value and of a difference of two values) and the
number of digits are stated once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diffusion_sim.parameters import default_group_names, group_tag


@dataclass(frozen=True)
class Measure:
    """A headline measure with everything a table or figure needs to show it.

    ``scale`` multiplies the stored value for display (100 turns a fraction into a
    percentage); ``unit`` names the displayed unit; ``digits`` the decimals shown.
    """

    key: str
    label: str
    unit: str
    scale: float = 1.0
    digits: int = 3

    @property
    def diff_unit(self) -> str:
        """The unit of a difference of two values (percentages differ in points)."""
        return "percentage points" if self.unit == "%" else self.unit

    def show(self, value: float) -> str:
        """The value as displayed (an en dash for NaN)."""
        if value is None or not np.isfinite(value):
            return "–"
        return f"{value * self.scale:.{self.digits}f}"


def _pct(key: str, label: str) -> Measure:
    return Measure(key, label, "%", 100.0, 1)


def _pp(key: str, label: str) -> Measure:
    return Measure(key, label, "percentage points", 100.0, 1)


def headlines(n_groups: int, names: Sequence[str] | None = None) -> list[Measure]:
    """The measures every comparison reports (per-group reach for each group).

    ``names``: the groups' names, most deprived first (``PopulationParams.names``);
    default ``group 1 (most deprived)`` ... ``group G (least deprived)``.
    """
    names = tuple(names) if names is not None else default_group_names(n_groups)
    if len(names) != n_groups:
        raise ValueError(f"need {n_groups} group names, got {len(names)}")
    out = [
        _pct("engaged_final", "People engaged (% of everybody)"),
        _pct("peer_engaged_final", "Engaged through a peer (% of everybody)"),
        _pct("aware_final", "People aware (% of everybody)"),
    ]
    out += [_pct(f"engaged_final_g{g}", f"Engaged in {names[g - 1]} (% of group)")
            for g in range(1, n_groups + 1)]
    out += [
        _pp("engaged_gap", "Gap: least minus most deprived group"),
        _pp("engaged_sii", "Slope index of inequality (SII)"),
        Measure("engaged_rii", "Relative index of inequality (RII)", "ratio"),
        Measure("engaged_ci_erreygers", "Concentration index (Erreygers)", "index"),
        Measure("unwanted_per_act", "Unwanted disclosures per sharing act", "per act"),
        # stage 2: sustained engagement, the outcome that matters for health
        _pct("sustained_final", "Still engaged at the end (sustained, % of everybody)"),
        Measure("engaged_weeks", "Person-weeks engaged per person", "weeks", 1.0, 2),
        _pp("sustained_gap", "Sustained engagement gap: least minus most deprived"),
        Measure("sustained_ci_erreygers", "Concentration index of sustained engagement "
                "(Erreygers)", "index"),
    ]
    return out


__all__ = ["Measure", "group_tag", "headlines"]
