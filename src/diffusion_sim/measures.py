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
    definition: str = ""

    @property
    def diff_unit(self) -> str:
        """The unit of a difference of two values (percentages differ in points)."""
        return "percentage points" if self.unit == "%" else self.unit

    def show(self, value: float, signed: bool = False) -> str:
        """The value as displayed, with its sign when ``signed`` (a difference); an en
        dash for NaN."""
        if value is None or not np.isfinite(value):
            return "–"
        return f"{value * self.scale:{'+' if signed else ''}.{self.digits}f}"


#: What each headline measure is, in words (``{group}``: the group's name).
DEFINITIONS: dict[str, str] = {
    "engaged_final": "Share of everybody who engaged (took up the health work after the "
                     "intervention's message reached them: by seeding, a peer or a "
                     "broadcast) at any time up to the last week. Once engaged counts, even "
                     "if the person later stopped.",
    "peer_engaged_final": "Share of everybody who engaged after a peer's sharing reached "
                          "them (not seeded, not by broadcast).",
    "aware_final": "Share of everybody the message reached (seeding, a peer or a "
                   "broadcast) at any time up to the last week, engaged or not.",
    "engaged_final_g": "Share of the people in {group} who ever engaged.",
    "engaged_gap": "Ever-engaged share of the least deprived group minus that of the most "
                   "deprived group, in percentage points; positive: the advantaged group is "
                   "ahead. Narrower is more equal.",
    "engaged_sii": "Slope index of inequality: the difference in ever-engaged share between "
                   "the top and the bottom of the socioeconomic rank, from a population-"
                   "weighted linear regression on each group's fractional rank (percentage "
                   "points).",
    "engaged_rii": "Relative index of inequality: the fitted share at the top of the rank "
                   "divided by that at the bottom (1 = equal).",
    "engaged_ci_erreygers": "Erreygers' corrected concentration index of ever engaging over "
                            "the socioeconomic rank, from −1 to 1; positive: engagement is "
                            "concentrated in less deprived groups.",
    "unwanted_per_act": "Unwanted disclosures per sharing act, the privacy cost of sharing: "
                        "exposures through reshares that reached people outside the audience "
                        "the original sharer chose, divided by the number of sharing acts.",
    "sustained_final": "Share of everybody still engaged in the last week (engaged and not "
                       "since disengaged): the outcome that matters for health.",
    "engaged_weeks": "Weeks spent engaged per person, summed over the run and divided by "
                     "everybody.",
    "sustained_gap": "Still-engaged share of the least deprived group minus that of the most "
                     "deprived group (percentage points).",
    "sustained_ci_erreygers": "Erreygers' corrected concentration index of being still "
                              "engaged at the end (−1 to 1; positive: concentrated in less "
                              "deprived groups).",
}


def _define(key: str, group: str = "") -> str:
    base = key.rsplit("_g", 1)[0] + "_g" if key.startswith("engaged_final_g") else key
    return DEFINITIONS[base].format(group=group)


def _pct(key: str, label: str, group: str = "") -> Measure:
    return Measure(key, label, "%", 100.0, 1, _define(key, group))


def _pp(key: str, label: str) -> Measure:
    return Measure(key, label, "percentage points", 100.0, 1, _define(key))


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
    out += [_pct(f"engaged_final_g{g}", f"Engaged in {names[g - 1]} (% of group)",
                 names[g - 1]) for g in range(1, n_groups + 1)]
    out += [
        _pp("engaged_gap", "Gap: least minus most deprived group"),
        _pp("engaged_sii", "Slope index of inequality (SII)"),
        Measure("engaged_rii", "Relative index of inequality (RII)", "ratio",
                definition=_define("engaged_rii")),
        Measure("engaged_ci_erreygers", "Concentration index (Erreygers)", "index",
                definition=_define("engaged_ci_erreygers")),
        Measure("unwanted_per_act", "Unwanted disclosures per sharing act", "per act",
                definition=_define("unwanted_per_act")),
        # stage 2: sustained engagement, the outcome that matters for health
        _pct("sustained_final", "Still engaged at the end (sustained, % of everybody)"),
        Measure("engaged_weeks", "Person-weeks engaged per person", "weeks", 1.0, 2,
                _define("engaged_weeks")),
        _pp("sustained_gap", "Sustained engagement gap: least minus most deprived"),
        Measure("sustained_ci_erreygers", "Concentration index of sustained engagement "
                "(Erreygers)", "index", definition=_define("sustained_ci_erreygers")),
    ]
    return out


#: Words for the parts of a dotted parameter path.
_PARTS = {"traits": "", "transmission": "", "network": "", "decision": "",
          "intervention": "", "population": "", "digital_access": "digital access",
          "strategies": "", "probability": "probability", "mean": "mean"}


def parameter_label(path: str) -> str:
    """A readable name of a dotted scenario parameter.

    ``transmission.transmissibility`` -> ``transmissibility``;
    ``traits.identity_sensitivity.group1.mean`` -> ``identity sensitivity (group 1)``;
    ``digital_access.group1.probability`` -> ``digital access (group 1)``;
    ``strategies.embed.fidelity`` -> ``embed: fidelity``.
    """
    parts = path.split(".")
    group = next((p[5:] for p in parts if p.startswith("group") and p[5:].isdigit()), None)
    words = [p for p in parts if not (p.startswith("group") and p[5:].isdigit())]
    if words[0] == "strategies" and len(words) >= 3:
        text = f"{words[1]}: {words[2]}"
    else:
        kept = [_PARTS.get(w, w) for w in words]
        if group is not None and kept[-1] in ("mean", "probability") and len(kept) > 1:
            kept = kept[:-1]
        text = " ".join(k for k in kept if k)
    text = text.replace("_", " ")
    return f"{text} (group {group})" if group is not None else text


#: Readable names of outputs that are not headline measures.
OUTPUT_LABELS = {"engaged_final": "People engaged (% of everybody)",
                 "engaged_gap": "Gap: least minus most deprived group",
                 "engaged_ci_erreygers": "Concentration index (Erreygers)"}


def output_label(key: str) -> str:
    """The label of a run output: its headline measure's label, else the key in words."""
    found = next((m.label for m in headlines(5) if m.key == key), None)
    return found or OUTPUT_LABELS.get(key, key.replace("_", " "))


__all__ = ["Measure", "group_tag", "headlines", "output_label", "parameter_label"]
