"""Metrics of runs: reach, time to reach, strategy mix, unwanted disclosure, equity
(gap, ratio, SII/RII, concentration indices) and intervals across replications.

Groups are ordered from most deprived (index 0, "group 1") to least deprived; a
positive gap, SII or concentration index means the outcome is higher in advantaged
groups.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


def equity(outcome_by_group: ArrayLike, population_by_group: ArrayLike) -> dict[str, float]:
    """Inequality of a binary outcome across ordered groups, from group aggregates.

    Parameters
    ----------
    outcome_by_group : array of float in [0, 1]
        Share of each group with the outcome (e.g. ever engaged), most deprived first.
    population_by_group : array
        People per group (the weights). Empty groups are left out.

    Returns
    -------
    dict
        ``gap`` = top − bottom; ``ratio`` = top / bottom; ``sii``: slope of the
        population-weighted least-squares line of the outcome on the group's fractional
        rank ``r_g`` (cumulative share of the groups before g plus half of g's);
        ``rii`` = fitted(1) / fitted(0) = (a + b) / a (NaN if a ≤ 0), ``rii_mean`` =
        SII / mean (the other common convention); ``ci``: the concentration index
        ``C = 2 cov(y, R) / μ`` over individuals (everybody in a group shares its
        rank; population covariance), computed exactly from the aggregates;
        ``ci_erreygers`` = ``4 μ C`` = ``8 cov(y, R)`` (Erreygers 2009, bounded
        outcome in [0, 1]); ``ci_wagstaff`` = ``C / (1 − μ)`` (Wagstaff 2005).
    """
    y = np.asarray(outcome_by_group, dtype=float)
    w = np.asarray(population_by_group, dtype=float)
    out = {k: float("nan") for k in ("gap", "ratio", "sii", "rii", "rii_mean", "ci",
                                     "ci_erreygers", "ci_wagstaff")}
    keep = w > 0
    y, w = y[keep], w[keep]
    if y.size == 0:
        return out
    out["gap"] = float(y[-1] - y[0])
    out["ratio"] = float(y[-1] / y[0]) if y[0] > 0 else float("nan")
    share = w / w.sum()
    rank = np.cumsum(share) - share / 2
    mu = float(np.sum(share * y))
    if y.size >= 2:
        rbar = np.sum(share * rank)
        var_r = np.sum(share * (rank - rbar) ** 2)
        b = float(np.sum(share * (rank - rbar) * (y - mu)) / var_r)
        a = mu - b * rbar
        out["sii"] = b
        out["rii"] = float((a + b) / a) if a > 0 else float("nan")
        out["rii_mean"] = b / mu if mu > 0 else float("nan")
    cov = float(np.sum(share * y * rank) - mu * np.sum(share * rank))
    out["ci"] = 2 * cov / mu if mu > 0 else float("nan")
    out["ci_erreygers"] = 8 * cov
    out["ci_wagstaff"] = out["ci"] / (1 - mu) if mu < 1 and mu > 0 else float("nan")
    return out


def time_to_reach(series: ArrayLike, threshold: float) -> float:
    """First step (index) at which ``series >= threshold``; NaN if never."""
    s = np.asarray(series, dtype=float)
    hit = np.flatnonzero(s >= threshold)
    return float(hit[0]) if hit.size else float("nan")


def mean_ci(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval ``(mean, low, high)`` of the non-NaN values.

    One value gives a NaN interval; values that are all equal a zero-width one.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (float("nan"),) * 3
    m = float(v.mean())
    if v.size == 1:
        return m, float("nan"), float("nan")
    if np.ptp(v) == 0:  # no variation (exactly): a zero-width interval
        return m, m, m
    sd = v.std(ddof=1)
    half = stats.t.ppf(0.5 + level / 2, v.size - 1) * sd / np.sqrt(v.size)
    return m, float(m - half), float(m + half)


def paired_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> dict:
    """Mean of ``b − a`` over paired replicates with its Student-t interval.

    Returns ``{"mean", "lo", "hi", "n", "excludes_zero"}``; used with common random
    numbers, where replicate r of both scenarios shares its seeds.
    """
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    m, lo, hi = mean_ci(d, level)
    n = int(np.sum(~np.isnan(d)))
    return {"mean": m, "lo": lo, "hi": hi, "n": n,
            "excludes_zero": bool(np.isfinite(lo) and (lo > 0 or hi < 0))}


# ---------------------------------------------------------------------------
# Headline metrics of one run
# ---------------------------------------------------------------------------
EQUITY_KEYS = ("gap", "ratio", "sii", "rii", "ci", "ci_erreygers", "ci_wagstaff")


def summarize_counts(counts: np.ndarray, group_sizes: np.ndarray) -> dict[str, float]:
    """Every headline metric of one run, from its per-step per-group counters.

    Parameters
    ----------
    counts : ndarray, shape (steps + 1, n_groups, len(COUNT_COLUMNS))
        ``DiffusionModel.counts`` (columns as in ``diffusion_sim.model.COUNT_COLUMNS``).
    group_sizes : ndarray, shape (n_groups,)
        People per group.

    Returns
    -------
    dict
        ``aware_final`` / ``engaged_final`` (fraction of everybody ever aware / engaged at
        the end) and per group (``engaged_final_g1`` ...); ``peer_engaged_final`` (engaged
        through a peer exposure, fraction of everybody) and ``peer_share`` (of the
        engaged); ``t25_aware``, ``t50_aware``, ``t25_engaged``, ``t50_engaged`` (first
        step at which the fraction reaches 25 / 50 %, NaN if never);
        ``mix_<strategy>`` and ``mix_<strategy>_g<k>`` (share of all decisions over the
        run); ``sharing_acts`` (decisions other than avoid); ``unwanted_per_act`` and
        per sharer group; and the equity of final engagement by group
        (``engaged_gap``, ``engaged_ratio``, ``engaged_sii``, ``engaged_rii``,
        ``engaged_ci``, ``engaged_ci_erreygers``, ``engaged_ci_wagstaff``).
    """
    from diffusion_sim.model import COL

    sizes = np.asarray(group_sizes, dtype=float)
    n = sizes.sum()
    G = sizes.size
    out: dict[str, float] = {}
    final = counts[-1]
    total = counts.sum(axis=1)  # (steps+1, columns)
    for measure in ("aware", "engaged"):
        frac_t = total[:, COL[measure]] / n
        out[f"{measure}_final"] = float(frac_t[-1])
        for g in range(G):
            out[f"{measure}_final_g{g + 1}"] = (
                float(final[g, COL[measure]] / sizes[g]) if sizes[g] else float("nan"))
        out[f"t25_{measure}"] = time_to_reach(frac_t, 0.25)
        out[f"t50_{measure}"] = time_to_reach(frac_t, 0.50)
    engaged_total = total[-1, COL["engaged"]]
    out["peer_engaged_final"] = float(total[-1, COL["peer_engaged"]] / n)
    out["peer_share"] = (float(total[-1, COL["peer_engaged"]] / engaged_total)
                         if engaged_total else float("nan"))
    first, last = COL["decisions_avoid"], COL["decisions_open"] + 1
    decisions = counts[1:, :, first:last].sum(axis=0)  # (G, 4)
    names = ("avoid", "allocate", "embed", "open")
    all_dec = decisions.sum(axis=0)
    for i, s in enumerate(names):
        out[f"mix_{s}"] = float(all_dec[i] / all_dec.sum()) if all_dec.sum() else float("nan")
    for g in range(G):
        tot = decisions[g].sum()
        for i, s in enumerate(names):
            out[f"mix_{s}_g{g + 1}"] = float(decisions[g, i] / tot) if tot else float("nan")
    acts_g = decisions[:, 1:].sum(axis=1)
    unwanted_g = counts[1:, :, COL["unwanted"]].sum(axis=0)
    out["sharing_acts"] = float(acts_g.sum())
    out["exposures"] = float(counts[1:, :, COL["exposures"]].sum())
    out["unwanted"] = float(unwanted_g.sum())
    out["unwanted_per_act"] = (float(unwanted_g.sum() / acts_g.sum())
                               if acts_g.sum() else float("nan"))
    for g in range(G):
        out[f"unwanted_per_act_g{g + 1}"] = (float(unwanted_g[g] / acts_g[g])
                                             if acts_g[g] else float("nan"))
    engaged_g = np.divide(final[:, COL["engaged"]], sizes, out=np.zeros(G), where=sizes > 0)
    eq = equity(engaged_g, sizes)
    for k in EQUITY_KEYS:
        out[f"engaged_{k}"] = float(eq[k])
    return out


def summarize(model) -> dict[str, float]:
    """Headline metrics of a finished :class:`~diffusion_sim.model.DiffusionModel`."""
    return summarize_counts(model.counts, model.group_sizes)
