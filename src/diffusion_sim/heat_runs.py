r"""WHO HEAT summary measures of simulated runs, with intervals across replications,
and the HEAT Plus upload file of a ``run`` or a ``compare``.

:func:`~diffusion_sim.heat.heat_measures` computes HEAT's measures on one set of group
aggregates. Here they are computed **per replicate** (each replicate's share of each
group ever engaged, or still engaged at the end, and the group sizes), then summarised
across replicates by their mean and a 95 % Student-*t* interval
(:func:`~diffusion_sim.metrics.mean_ci`); in a comparison, also the paired difference
from the baseline (:func:`~diffusion_sim.metrics.paired_difference`). The intervals cover
simulation noise only, not the uncertainty of the illustrative parameters.

**Theil decomposition of individual data.** Engagement is a binary outcome per person,
and for 0/1 data the individual-level Theil index is a function of the group
proportions alone (:func:`binary_theil`): with :math:`\mu` the overall share,
:math:`T = -\ln\mu`; inside group *g*, :math:`T_g = -\ln y_g`. So the exact split of
the *individual* Theil index into a between-group part (HEAT's TI on the group
proportions) and a within-group part is computed here from the aggregates, without
the people. (The mean log deviation of 0/1 data is infinite and is not reported.)

Rows are *tidy*: one row per (scenario, outcome, measure), with plain numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from diffusion_sim.heat import HEAT_KEYS, THEIL_MULTIPLIER, heat_measures
from diffusion_sim.heat_export import heat_export_rows, write_heat_csv
from diffusion_sim.metrics import mean_ci, paired_difference
from diffusion_sim.store import write_csv
from diffusion_sim.version import __version__

NAN = float("nan")

#: The outcomes whose HEAT measures are reported: run-summary key prefix -> (short
#: name, what it is). Per-group values are ``<prefix>_g1`` ... in the run summaries.
HEAT_OUTCOMES: dict[str, tuple[str, str]] = {
    "engaged_final": ("engaged", "People ever engaged with the health information by {when}"),
    "sustained_final": ("sustained", "People still engaged at {when} (sustained engagement)"),
}

#: Keys of :func:`binary_theil`.
THEIL_SPLIT_KEYS = ("ti_individual", "ti_within", "ti_between_share")

#: Every measure key of :func:`replicate_measures`, in table order.
MEASURE_KEYS = (*HEAT_KEYS, *THEIL_SPLIT_KEYS)

_PP = "percentage points"
_REL = "% of the setting average"
#: (label, unit) of every measure, as tables and the report show them (scale 100).
HEAT_LABELS: dict[str, tuple[str, str]] = {
    "setting_average": ("Setting average (population-weighted mean)", "%"),
    "bgv": ("Between-group variance (BGV)", "squared percentage points"),
    "bgsd": ("Between-group standard deviation (BGSD)", _PP),
    "cov": ("Coefficient of variation (COV)", _REL),
    "mdmu": ("Mean difference from the mean, unweighted (MDMU)", _PP),
    "mdmw": ("Mean difference from the mean, weighted (MDMW)", _PP),
    "mdbu": ("Mean difference from the best group, unweighted (MDBU)", _PP),
    "mdbw": ("Mean difference from the best group, weighted (MDBW)", _PP),
    "mdru": ("Mean difference from the reference group, unweighted (MDRU)", _PP),
    "mdrw": ("Mean difference from the reference group, weighted (MDRW)", _PP),
    "idisu": ("Index of disparity, unweighted (IDISU)", _REL),
    "idisw": ("Index of disparity, weighted (IDISW)", _REL),
    "idisbu": ("Index of disparity from the best group, unweighted (not in HEAT)",
               "% of the best group"),
    "idisbw": ("Index of disparity from the best group, weighted (not in HEAT)",
               "% of the best group"),
    "idisru": ("Index of disparity from the reference group, unweighted (not in HEAT)",
               "% of the reference group"),
    "idisrw": ("Index of disparity from the reference group, weighted (not in HEAT)",
               "% of the reference group"),
    "ti": ("Theil index (TI), between groups", "x 1000"),
    "mld": ("Mean log deviation (MLD), between groups", "x 1000"),
    "par": ("Population attributable risk (PAR), reference: least deprived group", _PP),
    "paf": ("Population attributable fraction (PAF), reference: least deprived group",
            _REL),
    "par_best": ("Population attributable risk (PAR), reference: best group", _PP),
    "paf_best": ("Population attributable fraction (PAF), reference: best group", _REL),
    "aci": ("Absolute concentration index (ACI)", _PP),
    "ti_individual": ("Theil index of individual 0/1 outcomes (between + within)",
                      "x 1000"),
    "ti_within": ("Theil index of individual 0/1 outcomes: within-group part", "x 1000"),
    "ti_between_share": ("Share of the individual Theil index between groups", "%"),
}


def binary_theil(outcome_by_group: ArrayLike, population_by_group: ArrayLike
                 ) -> dict[str, float]:
    r"""Theil index of an individual-level 0/1 outcome and its between/within split,
    exactly, from the group proportions.

    Parameters
    ----------
    outcome_by_group : array_like of float in [0, 1], shape (G,)
        :math:`y_g`, the share of group *g* with the outcome.
    population_by_group : array_like of float >= 0, shape (G,)
        :math:`n_g`, people per group; empty groups are ignored.

    Returns
    -------
    dict
        With :math:`S_g = n_g / N` and :math:`\mu = \sum_g S_g y_g`, every index times
        1000 (HEAT's multiplier):

        ``ti_individual``
            :math:`T = \frac1N\sum_i \frac{x_i}{\mu}\ln\frac{x_i}{\mu} = -\ln\mu`
            (people without the outcome contribute :math:`0\ln 0 = 0`).
        ``ti_within``
            :math:`\sum_g S_g \frac{y_g}{\mu} T_g` with :math:`T_g = -\ln y_g`.
        ``ti_between_share``
            :math:`100\,(T - T_{within}) / T`, the between-group part (HEAT's TI on the
            group proportions) as a percentage of the total; NaN when :math:`T = 0`
            (everybody has the outcome).

        Everything is NaN when :math:`\mu = 0`.
    """
    y = np.asarray(outcome_by_group, dtype=float)
    w = np.asarray(population_by_group, dtype=float)
    keep = w > 0
    if not keep.any():
        return dict.fromkeys(THEIL_SPLIT_KEYS, NAN)
    y, s = y[keep], w[keep] / w[keep].sum()
    mu = float(np.sum(s * y))
    if mu <= 0:
        return dict.fromkeys(THEIL_SPLIT_KEYS, NAN)
    total = -np.log(mu)
    # T_g = -ln y_g; a group where nobody has the outcome has weight y_g / mu = 0
    within = float(np.sum(s * (y / mu) * -np.log(np.where(y > 0, y, 1.0))))
    share = 100.0 * (total - within) / total if total > 0 else NAN
    return {"ti_individual": THEIL_MULTIPLIER * float(total),
            "ti_within": THEIL_MULTIPLIER * within, "ti_between_share": share}


def replicate_measures(run: Mapping[str, float], sizes: ArrayLike, outcome: str,
                       favourable: bool = True) -> dict[str, float]:
    """Every HEAT measure (:data:`MEASURE_KEYS`) of one replicate's ``outcome``.

    ``run`` is a run summary (:func:`~diffusion_sim.metrics.summarize`) holding
    ``<outcome>_g1`` ... per group; ``sizes`` the people per group. Scale 100: absolute
    measures in percentage points.
    """
    w = np.asarray(sizes, dtype=float)
    y = np.array([run[f"{outcome}_g{g + 1}"] for g in range(w.size)], dtype=float)
    y = np.where(w > 0, y, 0.0)  # an empty group's NaN is ignored by both functions
    out = heat_measures(y, w, favourable=favourable, scale=100)
    out.update(binary_theil(y, w))
    return out


def heat_rows(runs: Mapping[str, Sequence[Mapping[str, float]]],
              sizes: Mapping[str, ArrayLike], baseline: str | None = None,
              favourable: bool = True, level: float = 0.95) -> list[dict[str, Any]]:
    """Tidy rows of every HEAT measure per scenario and outcome, across replicates.

    Parameters
    ----------
    runs : scenario name -> its replicates' run summaries (replicate-aligned across
        scenarios when ``baseline`` is given: common random numbers).
    sizes : scenario name -> people per group (the same in every replicate: groups
        have exact sizes, :func:`~diffusion_sim.population.draw_groups`).
    baseline : the scenario the paired differences are taken from (None: no
        differences, e.g. for ``run``).

    Returns
    -------
    list of dict
        ``scenario, outcome, measure, label, unit, mean, low, high, diff, diff_low,
        diff_high, n``: the mean over replicates and its ``level`` Student-t interval;
        ``diff*`` the paired difference scenario − baseline with its interval (NaN for
        the baseline itself or without one); ``n`` replicates with a finite value.
    """
    values: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for name, reps in runs.items():
        for outcome in HEAT_OUTCOMES:
            per = [replicate_measures(r, sizes[name], outcome, favourable) for r in reps]
            values[(name, outcome)] = {k: np.array([p[k] for p in per], dtype=float)
                                       for k in MEASURE_KEYS}
    rows = []
    for name in runs:
        for outcome, (short, _) in HEAT_OUTCOMES.items():
            for key in MEASURE_KEYS:
                v = values[(name, outcome)][key]
                finite = np.where(np.isfinite(v), v, NAN)  # an infinite MLD: no interval
                m, lo, hi = mean_ci(finite, level)
                d = {"mean": NAN, "lo": NAN, "hi": NAN}
                if baseline is not None and name != baseline:
                    base = values[(baseline, outcome)][key]
                    d = paired_difference(np.where(np.isfinite(base), base, NAN), finite,
                                          level)
                label, unit = HEAT_LABELS[key]
                rows.append({"scenario": name, "outcome": short, "measure": key,
                             "label": label, "unit": unit, "mean": m, "low": lo, "high": hi,
                             "diff": d["mean"], "diff_low": d["lo"], "diff_high": d["hi"],
                             "n": int(np.sum(np.isfinite(v)))})
    return rows


def heat_plus_rows(runs: Mapping[str, Sequence[Mapping[str, float]]],
                   sizes: Mapping[str, ArrayLike], names: Sequence[str], dimension: str,
                   favourable: bool = True, steps: int | None = None,
                   date: str | int | None = None, level: float = 0.95
                   ) -> list[dict[str, object]]:
    """Rows in HEAT Plus's upload layout: one setting per scenario, one indicator per
    outcome, one row per group (:func:`~diffusion_sim.heat_export.heat_export_rows`).

    Each group's ``estimate`` is the mean over replicates of its share with the outcome,
    ``ci_lb``/``ci_ub`` the ``level`` Student-t interval, ``se`` the standard error of
    that mean (all simulation noise only); ``population`` the group's size. ``date``
    defaults to this year (HEAT Plus wants a date that sorts chronologically).
    """
    date = datetime.now(UTC).year if date is None else date
    when = f"week {steps}" if steps else "the end"
    out: list[dict[str, object]] = []
    for name, reps in runs.items():
        w = np.asarray(sizes[name], dtype=float)
        if np.count_nonzero(w) < 2:  # HEAT Plus compares groups: nothing to upload
            continue
        for outcome, (short, title) in HEAT_OUTCOMES.items():
            est, lo, hi, se = (np.full(w.size, NAN) for _ in range(4))
            for g in range(w.size):
                v = np.array([r[f"{outcome}_g{g + 1}"] for r in reps], dtype=float)
                est[g], lo[g], hi[g] = mean_ci(v, level)
                v = v[np.isfinite(v)]
                se[g] = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else NAN
            lo, hi = np.fmin(lo, est), np.fmax(hi, est)  # NaN bounds stay blank
            out += heat_export_rows(
                np.where(w > 0, est, 0.0), lo, hi, w, setting=f"Scenario {name}", date=date,
                source=f"diffusion-sim {__version__} simulation (illustrative parameters)",
                indicator_abbr=short,
                indicator_name=f"{title.format(when=when)} (%)",
                dimension=dimension, subgroups=list(names), se=se, favourable=favourable,
                scale=100, note="simulated; intervals cover simulation noise only")
    return out


def write_heat_outputs(folder: Path, runs: Mapping[str, Sequence[Mapping[str, float]]],
                       sizes: Mapping[str, ArrayLike], names: Sequence[str], dimension: str,
                       favourable: bool, steps: int, baseline: str | None = None
                       ) -> list[dict[str, Any]]:
    """Write ``heat.csv`` (:func:`heat_rows`) and ``heat_plus.csv``
    (:func:`heat_plus_rows`) into ``folder``; returns the ``heat.csv`` rows. A scenario
    whose people are all in one group leaves HEAT Plus nothing to compare: it has no
    rows in ``heat_plus.csv``, which is not written when no scenario has two groups
    with people."""
    rows = heat_rows(runs, sizes, baseline, favourable)
    write_csv(folder / "heat.csv", rows)
    plus = heat_plus_rows(runs, sizes, names, dimension, favourable, steps)
    if plus:
        write_heat_csv(folder / "heat_plus.csv", plus)
    return rows
