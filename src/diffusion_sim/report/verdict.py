"""The report's opening: the verdict, the trade-off and what the results rest on.

A policy is judged on three criteria, each from its paired difference from the
baseline (:meth:`~diffusion_sim.compare.Comparison.differences`): **reach** (people
ever engaged), **the gap** (least minus most deprived group) and **the privacy cost**
(unwanted disclosures per sharing act). A change counts only when its 95 % interval
excludes 0 ("clearly"); otherwise it is "no clear change". Which direction is better
(:func:`improves`): more reach (less, if the scenario says engagement is not
favourable), a gap nearer 0 (a reversal larger than the gap is not a narrowing),
fewer unwanted disclosures. Sentences are plain text; :func:`verdict_html` marks them up.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from diffusion_sim.compare import Comparison

#: The criteria of the verdict: (name, metric).
CRITERIA = (("reach", "engaged_final"), ("gap", "engaged_gap"),
            ("privacy", "unwanted_per_act"))


@dataclass(frozen=True)
class Effect:
    """One policy's paired difference on one criterion, judged."""

    metric: str
    difference: float
    low: float
    high: float
    clear: bool  # the 95 % interval excludes 0
    better: bool  # the change goes the good way (meaningful when clear)
    baseline: float
    scale: float
    unit: str

    @property
    def word(self) -> str:
        """``better`` / ``worse`` / ``unclear``."""
        return "unclear" if not self.clear else ("better" if self.better else "worse")

    def delta(self, digits: int = 1) -> str:
        """The difference as shown, e.g. ``+16.6 pp`` or ``+0.035 per act`` (an en dash
        when it is not defined, e.g. no sharing acts to divide by)."""
        if not math.isfinite(self.difference):
            return "–"
        unit = "pp" if self.unit == "percentage points" else self.unit
        return f"{self.scale * self.difference:+.{digits}f} {unit}"

    def interval(self, digits: int = 1) -> str:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return "–"
        return f"{self.scale * self.low:.{digits}f} to {self.scale * self.high:.{digits}f}"


def better_direction(metric: str, baseline_mean: float, favourable: bool = True) -> int:
    """+1 if an increase of ``metric`` is better, −1 if a decrease is."""
    if metric.endswith("_gap"):
        return -1 if baseline_mean >= 0 else +1  # towards 0: narrower
    if metric.startswith("unwanted"):
        return -1
    return +1 if favourable else -1


def improves(metric: str, baseline_mean: Any, difference: Any,
             favourable: bool = True) -> Any:
    """Whether a paired difference goes the better way (elementwise on arrays).

    For a gap: whether the gap ends nearer 0, ``|baseline + difference| < |baseline|``,
    so a reversal larger than the gap itself (+5 pp becoming −7 pp) is not called a
    narrowing. Otherwise: the sign of the difference against :func:`better_direction`.
    """
    b = np.asarray(baseline_mean, dtype=float)
    d = np.asarray(difference, dtype=float)
    if metric.endswith("_gap"):
        return np.abs(b + d) < np.abs(b)
    return np.sign(d) == better_direction(metric, 0.0, favourable)


def effects(comp: Comparison) -> dict[str, dict[str, Effect]]:
    """Per policy, its judged :class:`Effect` on each criterion of :data:`CRITERIA`."""
    rows = {(d["scenario"], d["metric"]): d for d in comp.differences()}
    favourable = comp.baseline.population.favourable
    out: dict[str, dict[str, Effect]] = {}
    for sc in comp.scenarios:
        out[sc.name] = {}
        for crit, metric in CRITERIA:
            d = rows[(sc.name, metric)]
            out[sc.name][crit] = Effect(
                metric, d["difference"], d["diff_low"], d["diff_high"], d["excludes_zero"],
                bool(improves(metric, d["baseline_mean"], d["difference"], favourable)),
                d["baseline_mean"], d["scale"], d["unit"])
    return out


def _names(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i.replace("_", " ") for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _relative(e: Effect) -> str:
    """``+0.035 per act (+32 %)``: the change and its size relative to the baseline."""
    rel = f" ({100 * e.difference / e.baseline:+.0f} %)" if e.baseline else ""
    return f"{e.delta(3)}{rel}"


def _privacy_phrase(e: Effect) -> str:
    if not e.clear:
        return "with no clear change in unwanted disclosures per sharing act"
    how = "more" if e.difference > 0 else "fewer"
    return (f"with {how} unwanted disclosures per sharing act "
            f"({e.scale * e.baseline:.3f} → {e.scale * (e.baseline + e.difference):.3f})")


def verdict_sentences(comp: Comparison, robust: Sequence[Mapping[str, Any]] = (),
                      n_points: int = 0) -> list[str]:
    """The verdict (first sentence) and the trade-off, in plain text.

    ``robust``: rows of :func:`diffusion_sim.robustness.probability_rows` (policy,
    criterion, p_better, ...) over ``n_points`` parameter settings, when computed.
    """
    eff = effects(comp)
    if not eff:
        return ["There is no policy scenario to compare with the baseline."]
    win = [p for p, e in eff.items() if e["reach"].clear and e["reach"].better
           and e["gap"].clear and e["gap"].better]
    fair = [p for p, e in eff.items() if p not in win and e["reach"].clear
            and e["reach"].better and not (e["gap"].clear and not e["gap"].better)]
    widen = [p for p, e in eff.items() if e["reach"].clear and e["reach"].better
             and e["gap"].clear and not e["gap"].better]
    lose = [p for p, e in eff.items() if e["reach"].clear and not e["reach"].better]
    out = []
    if len(win) == 1 and len(eff) > 1:
        out.append(f"Only {_names(win)} both raises reach and narrows the gap between the "
                   f"least and the most deprived groups.")
    elif win:
        out.append(f"{_names(win)} {'both raise' if len(win) == 2 else 'all raise'} "
                   "reach and narrow the gap between the least and the most deprived groups.")
    else:
        out.append("No policy clearly both raises reach and narrows the gap between the "
                   "least and the most deprived groups.")
    for p in win + fair:
        r, g = eff[p]["reach"], eff[p]["gap"]
        gap = (f"the gap {g.delta()} ({g.interval()})" if g.clear else
               f"no clear change in the gap ({g.delta()}, {g.interval()})")
        out.append(f"With {_names([p])}: reach {r.delta()} ({r.interval()}), {gap}, "
                   f"{_privacy_phrase(eff[p]['privacy'])}.")
    if widen:
        top = sorted(widen, key=lambda p: -eff[p]["reach"].difference)
        out.append(f"With {_names(top)}, reach rises ("
                   + ", ".join(eff[p]["reach"].delta() for p in top)
                   + ") but the gap widens (" + ", ".join(eff[p]["gap"].delta() for p in top)
                   + ").")
    if lose:
        out.append(f"With {_names(lose)}, reach falls ("
                   + ", ".join(eff[p]["reach"].delta() for p in lose) + ").")
    cost = [p for p, e in eff.items() if e["privacy"].clear and not e["privacy"].better]
    if cost:
        base = eff[cost[0]]["privacy"]
        out.append(f"Privacy cost: {_names(cost)} clearly raise unwanted disclosures per "
                   f"sharing act (baseline {base.scale * base.baseline:.3f}; "
                   + ", ".join(f"{p.replace('_', ' ')} {_relative(eff[p]['privacy'])}"
                               for p in cost) + ").")
    none = [p for p, e in eff.items() if not any(x.clear for x in e.values())]
    if none:
        out.append(f"With {_names(none)}: no clear change in reach, the gap or unwanted "
                   "disclosure.")
    other = list(comp.world_differences)
    if other:
        out.append(f"Not on the baseline's people: {_names(other)}; "
                   f"{'its' if len(other) == 1 else 'their'} differences include the change "
                   "of population, not the policy alone.")
    if robust and n_points:
        out.append(robustness_sentence(robust, n_points))
    return out


def robustness_sentence(robust: Sequence[Mapping[str, Any]], n_points: int) -> str:
    """How often each policy beats the baseline across the parameter settings."""
    by = {(r["policy"], r["criterion"]): r for r in robust}
    policies = list(dict.fromkeys(r["policy"] for r in robust))
    parts = []
    for p in policies:
        reach, gap, priv = (by.get((p, c)) for c in ("reach", "gap", "privacy"))
        if reach is None or gap is None:
            continue
        parts.append(f"{p.replace('_', ' ')} raises reach in {100 * reach['p_better']:.0f} % "
                     f"of them and narrows the gap in {100 * gap['p_better']:.0f} %"
                     + (f" (fewer unwanted disclosures in {100 * priv['p_better']:.0f} %)"
                        if priv else ""))
    return (f"If the illustrative values are wrong (within the ranges stated below, "
            f"{n_points} settings): " + "; ".join(parts) + ".")


def verdict_html(sentences: Sequence[str]) -> str:
    """The verdict box: the first sentence in bold, the rest as a short paragraph."""
    if not sentences:
        return ""
    head, rest = sentences[0], sentences[1:]
    body = "".join(f"<p>{html.escape(s)}</p>" for s in rest)
    return f"<div class='verdict'><p><b>Verdict: {html.escape(head)}</b></p>{body}</div>"


def rests_on(comp: Comparison, uncertain: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The "what this rests on" box: (topic, text) pairs.

    ``uncertain``: the parameters a robustness analysis varied (empty: none).
    """
    base = comp.baseline
    pop, net = base.population, base.network
    sizes = comp.group_sizes[base.name]
    n = int(sizes.sum())
    groups = ", ".join(f"{name} ({int(k)})" for name, k in zip(pop.names, sizes))
    who = ("the user's own network and attribute files" if base.uses_user_data else
           "a generated population")
    network = (f"the user's edge list ({net.edges_file})" if net.kind == "edgelist" else
               f"{net.kind} network, mean degree {net.mean_degree:g}"
               + (f", homophily {net.homophily:g} (share of ties within one's group)"
                  if net.kind == "sbm" else "")
               + f", {100 * net.strong_fraction:.0f} % of ties strong")
    out = [
        ("Population", f"{n:,} people in {base.n_groups} ordered groups by "
                       f"{pop.dimension.lower()}: {groups}; {who}."),
        ("Network", network + "."),
        ("Horizon", f"{base.steps} weeks; {100 * base.intervention.seed_fraction:g} % of "
                    f"people engaged at the start ({base.intervention.seeding} seeding)."),
        ("Replications", f"{comp.reps} paired replications per scenario "
                         f"({comp.stop_reason})."),
        ("Illustrative values", "Every parameter value (traits, strategy utilities, "
                                "transmissibility, the size of each policy's change) is "
                                "illustrative: chosen to respect the orderings in Lindberg "
                                "et al. (2024) and Karampatakis et al. (2023), not estimated "
                                "from data."),
        ("What the intervals cover", "Simulation noise only (who happens to meet whom and "
                                     "decide what), not the uncertainty of the illustrative "
                                     "values: a narrow interval is precision about this model "
                                     "with these values, not about the world."
         + (f" The robustness analysis below varies {len(uncertain)} of those values "
            f"({', '.join(uncertain)}) over plausible ranges." if uncertain else
            " To see whether a policy still wins if the values are wrong, add a "
            "[robustness] table to the comparison file (see the README).")),
        ("Engaged", "'Engaged' means took up the health work after the message reached the "
                    "person (by seeding, a peer or a broadcast); 'ever engaged' counts "
                    "everybody who engaged at any time, 'still engaged' those engaged in the "
                    "last week."),
    ]
    return out


def rests_on_html(items: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
    return f"<div class='rests'><p><b>What this rests on</b></p><dl>{rows}</dl></div>"
