"""Metrics of runs: reach, time to reach, strategy mix, unwanted disclosure, equity
(gap, ratio, SII/RII, concentration indices) and intervals across replications.

Groups are ordered from most deprived (index 0, "group 1") to least deprived; a
positive gap, SII or concentration index means the outcome is higher in advantaged
groups.

The functions :func:`equity`, :func:`time_to_reach`, :func:`mean_ci`,
:func:`paired_difference` and :func:`bootstrap_ci` are pure numpy / scipy;
:func:`summarize_counts` and :func:`summarize` read a run's counters (columns as in
:func:`diffusion_sim.state.count_columns`). :func:`diffusion_sim.measures.headlines` names every headline measure with its label,
unit and digits, which tables and reports use.

References
----------
.. [Pamuk1985] Pamuk ER (1985). Social class inequality in mortality from 1921 to 1972
   in England and Wales. *Population Studies* 39(1):17-31.
.. [MK1997] Mackenbach JP, Kunst AE (1997). Measuring the magnitude of socio-economic
   inequalities in health: an overview of available measures illustrated with two
   examples from Europe. *Social Science & Medicine* 44(6):757-771.
.. [MB2015] Moreno-Betancur M, Latouche A, Menvielle G, Kunst AE, Rey G (2015).
   Relative index of inequality and slope index of inequality: a structured regression
   framework for estimation. *Epidemiology* 26(4):518-527.
.. [WPvD1991] Wagstaff A, Paci P, van Doorslaer E (1991). On the measurement of
   inequalities in health. *Social Science & Medicine* 33(5):545-557.
.. [KWvD1997] Kakwani N, Wagstaff A, van Doorslaer E (1997). Socioeconomic inequalities
   in health: measurement, computation, and statistical inference. *Journal of
   Econometrics* 77(1):87-103.
.. [W2005] Wagstaff A (2005). The bounds of the concentration index when the variable
   of interest is binary, with an application to immunization inequality. *Health
   Economics* 14(4):429-432.
.. [E2009] Erreygers G (2009). Correcting the concentration index. *Journal of Health
   Economics* 28(2):504-515.
.. [ET1993] Efron B, Tibshirani RJ (1993). *An Introduction to the Bootstrap*.
   Chapman & Hall, ch. 13 (percentile intervals).
"""

from __future__ import annotations

import inspect

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import stdtrit

from diffusion_sim.state import COUNT_COLUMNS, NEVER

NAN = float("nan")

#: Every key :func:`equity` returns.
EQUITY_ALL_KEYS = (
    "gap",
    "ratio",
    "sii",
    "rii",
    "rii_mean",
    "ci",
    "ci_erreygers",
    "ci_wagstaff",
)


def equity(outcome_by_group: ArrayLike, population_by_group: ArrayLike) -> dict[str, float]:
    r"""Inequality of a binary outcome across ordered socioeconomic groups.

    Everything is computed exactly from group aggregates: the share of each group with
    the outcome and the number of people in it.

    Parameters
    ----------
    outcome_by_group : array_like of float in [0, 1], shape (G,)
        :math:`y_g`, the proportion of group *g* with the binary outcome (e.g. ever
        engaged). Index 0 is the most deprived group (lowest socioeconomic rank), the
        last index the least deprived. The value of a group with no people is ignored
        (it may be NaN).
    population_by_group : array_like of float >= 0, shape (G,)
        :math:`n_g`, the number of people in each group (the weights). Only relative
        sizes matter.

    Returns
    -------
    dict of str to float
        With :math:`s_g = n_g / N` the population share and
        :math:`\mu = \sum_g s_g y_g` the overall mean:

        ``gap``
            :math:`y_{top} - y_{bottom}` (last group minus first group).
        ``ratio``
            :math:`y_{top} / y_{bottom}`; NaN if :math:`y_{bottom} = 0`.
        ``sii``
            Slope index of inequality [Pamuk1985]_, [MK1997]_: the slope *b* of the
            population-weighted least-squares line :math:`y = a + b r` of the group
            outcome on the group's fractional rank
            :math:`r_g = \sum_{h<g} s_h + s_g / 2` (0 = most deprived end,
            1 = least deprived end), i.e.
            :math:`b = \sum_g s_g (r_g - \bar r)(y_g - \mu) / \sum_g s_g (r_g - \bar r)^2`.
            Positive when the outcome is higher in advantaged groups.
        ``rii``
            Relative index of inequality as the ratio of the fitted values at the two
            ends of the rank scale, :math:`\hat y(1) / \hat y(0) = (a + b) / a`
            [MB2015]_; NaN if :math:`a \le 0` (to within rounding error, so an
            intercept that is 0 in exact arithmetic gives NaN, not a huge ratio).
        ``rii_mean``
            The other common RII convention, :math:`\mathrm{SII} / \mu` [MK1997]_
            (NaN if :math:`\mu = 0`).
        ``ci``
            Concentration index [WPvD1991]_ in its covariance form [KWvD1997]_,
            :math:`C = 2\,\mathrm{cov}(y_i, R_i) / \mu`, over *individuals*: person *i*
            in group *g* has :math:`y_i \in \{0, 1\}` and fractional rank
            :math:`R_i = r_g` (the mean of the individual fractional ranks
            :math:`(j - 1/2)/N` of the tied block), and cov is the population covariance
            (divisor *N*). Because *R* is constant within a group this is exactly
            :math:`\mathrm{cov} = \sum_g s_g (y_g - \mu)(r_g - \bar r)`. NaN if
            :math:`\mu = 0`.
        ``ci_erreygers``
            Erreygers' corrected index for an outcome bounded in [a, b] = [0, 1]
            [E2009]_: :math:`E = 4 \mu C / (b - a) = 8\,\mathrm{cov}(y_i, R_i)`;
            0 if :math:`\mu = 0`; always :math:`|E| \le 1`.
        ``ci_wagstaff``
            Wagstaff's normalisation for a binary outcome [W2005]_:
            :math:`W = C / (1 - \mu)`; NaN if :math:`\mu = 1` (or :math:`\mu = 0`);
            always :math:`|W| \le 1`.

    Notes
    -----
    Groups with zero population are dropped from the regression and the concentration
    indices. ``gap`` and ``ratio`` compare the first and the last group as given, so
    they are NaN if either of those is empty. With a single non-empty group the
    regression is undefined (``sii``, ``rii`` and ``rii_mean`` are NaN) while the
    concentration indices are 0 (everybody shares one rank, so the covariance is 0).
    If every population is zero, everything is NaN.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of the same length, a population is negative or not
        finite, or a non-empty group has an outcome outside [0, 1] (or NaN).

    Examples
    --------
    >>> e = equity([0.4, 0.6], [100, 100])
    >>> round(e["sii"], 12), round(e["rii"], 12), round(e["ci_erreygers"], 12)
    (0.4, 2.333333333333, 0.2)
    """
    y_all = np.asarray(outcome_by_group, dtype=float)
    w_all = np.asarray(population_by_group, dtype=float)
    if y_all.ndim != 1 or w_all.shape != y_all.shape:
        raise ValueError(
            "outcome_by_group and population_by_group must be 1-D arrays of the same "
            f"length, got shapes {y_all.shape} and {w_all.shape}"
        )
    if not np.all(np.isfinite(w_all)) or np.any(w_all < 0):
        raise ValueError(f"populations must be finite and >= 0, got {w_all.tolist()}")
    keep = w_all > 0
    y, w = y_all[keep], w_all[keep]
    if not np.all((y >= 0) & (y <= 1)):  # also rejects NaN
        raise ValueError(
            f"outcomes of non-empty groups must be proportions in [0, 1], got {y.tolist()}"
        )
    out = dict.fromkeys(EQUITY_ALL_KEYS, NAN)
    if y.size == 0:
        return out

    if keep[0] and keep[-1]:
        top, bottom = float(y_all[-1]), float(y_all[0])
        out["gap"] = top - bottom
        out["ratio"] = top / bottom if bottom > 0 else NAN

    share = w / w.sum()
    rank = np.cumsum(share) - share / 2  # fractional rank of each group (mid-point)
    mu = float(np.sum(share * y))
    rbar = float(np.sum(share * rank))  # = 1/2 up to rounding
    dr, dy = rank - rbar, y - mu
    cov = float(np.sum(share * dr * dy))  # individual-level population covariance

    if y.size >= 2:
        b = cov / float(np.sum(share * dr**2))
        a = mu - b * rbar
        out["sii"] = b
        # a is a difference of two rounded terms: treat rounding noise around 0 as 0
        a_noise = 16 * np.finfo(float).eps * (abs(mu) + abs(b) * rbar)
        out["rii"] = (a + b) / a if a > a_noise else NAN
        out["rii_mean"] = b / mu if mu > 0 else NAN

    out["ci"] = 2 * cov / mu if mu > 0 else NAN
    out["ci_erreygers"] = 8 * cov  # 4 μ C / (b - a) with [a, b] = [0, 1]
    out["ci_wagstaff"] = out["ci"] / (1 - mu) if 0 < mu < 1 else NAN
    return out


def time_to_reach(series: ArrayLike, threshold: float) -> float:
    r"""First step at which a series reaches a threshold.

    Parameters
    ----------
    series : array_like of float, shape (T,)
        Values by step, ``series[t]`` after step *t* (row 0 = the start).
    threshold : float
        Level to reach.

    Returns
    -------
    float
        :math:`\min\{t : x_t \ge \text{threshold}\}` as a float (0-based step number);
        NaN if the series never reaches it (NaN entries never count as reaching it).

    Examples
    --------
    >>> time_to_reach([0.0, 0.1, 0.3], 0.25)
    2.0
    """
    s = np.asarray(series, dtype=float).ravel()
    hit = np.flatnonzero(s >= threshold)
    return float(hit[0]) if hit.size else NAN


def mean_ci(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    r"""Mean and Student-t confidence interval of the non-NaN values.

    Parameters
    ----------
    values : array_like of float
        One value per replicate; NaNs are ignored.
    level : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (mean, lo, hi) : tuple of float
        :math:`\bar x \mp t_{n-1,\,(1+\text{level})/2}\; s / \sqrt n` with *s* the
        sample standard deviation (divisor *n* − 1). With *n* = 1 the interval is
        (NaN, NaN) around the mean; with no values everything is NaN; when all values
        are equal, lo == hi == mean exactly.
    """
    _check_level(level)
    v = np.asarray(values, dtype=float).ravel()
    v = v[~np.isnan(v)]
    if v.size == 0:
        return NAN, NAN, NAN
    m = float(v.mean())
    if v.size == 1:
        return m, NAN, NAN
    if np.ptp(v) == 0:  # no variation at all: a zero-width interval
        return m, m, m
    # the Student-t quantile (scipy.stats.t.ppf computes it with stdtrit too; calling it
    # directly keeps scipy.stats, ~1 s of imports, out of every worker's start-up)
    half = float(stdtrit(v.size - 1, 0.5 + level / 2) * v.std(ddof=1) / np.sqrt(v.size))
    return m, m - half, m + half


def paired_difference(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> dict:
    r"""Mean paired difference ``b − a`` with a Student-t interval.

    Meant for common-random-number comparisons, where replicate *r* of both scenarios
    shares its seeds, so that the differences :math:`d_r = b_r - a_r` have far less
    variance than the two means separately.

    Parameters
    ----------
    a, b : array_like of float, same shape
        Replicate-aligned values of the baseline (*a*) and the alternative (*b*).
        Pairs where either value is NaN are left out.
    level : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    dict
        ``mean``, ``lo``, ``hi`` (as :func:`mean_ci` of the differences), ``n`` (number
        of complete pairs) and ``excludes_zero`` (True when the interval is finite and
        does not contain 0).

    Raises
    ------
    ValueError
        If *a* and *b* do not have the same shape.
    """
    a_arr = np.asarray(a, dtype=float)
    b_arr = np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        raise ValueError(
            f"paired values must have the same shape, got {a_arr.shape} and {b_arr.shape}"
        )
    d = (b_arr - a_arr).ravel()
    m, lo, hi = mean_ci(d, level)
    return {
        "mean": m,
        "lo": lo,
        "hi": hi,
        "n": int(np.sum(~np.isnan(d))),
        "excludes_zero": bool(np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0)),
    }


def bootstrap_ci(
    values: ArrayLike,
    level: float = 0.95,
    n_resamples: int = 2000,
    rng: np.random.Generator | int | None = None,
) -> tuple[float, float, float]:
    """Mean and percentile-bootstrap confidence interval of the non-NaN values.

    Parameters
    ----------
    values : array_like of float
        One value per replicate; NaNs are ignored.
    level : float, default 0.95
        Confidence level, in (0, 1).
    n_resamples : int, default 2000
        Bootstrap resamples.
    rng : numpy.random.Generator or int, optional
        Source of the resampling; an int is a seed. Default
        ``np.random.default_rng(0)``, so that results are reproducible.

    Returns
    -------
    (mean, lo, hi) : tuple of float
        The sample mean and the (1 − level)/2 and (1 + level)/2 quantiles of the means
        of resamples drawn with replacement [ET1993]_, via
        ``scipy.stats.bootstrap(method="percentile")``. As in :func:`mean_ci`: with
        *n* = 1 the interval is (NaN, NaN), with no values everything is NaN, and when
        all values are equal lo == hi == mean.
    """
    _check_level(level)
    v = np.asarray(values, dtype=float).ravel()
    v = v[~np.isnan(v)]
    if v.size == 0:
        return NAN, NAN, NAN
    m = float(v.mean())
    if v.size == 1:
        return m, NAN, NAN
    if np.ptp(v) == 0:
        return m, m, m
    from scipy import stats  # third-party, imported when used: see mean_ci

    gen = np.random.default_rng(0 if rng is None else rng)
    rng_kw = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    res = stats.bootstrap(
        (v,),
        np.mean,
        n_resamples=n_resamples,
        confidence_level=level,
        method="percentile",
        vectorized=True,
        **{rng_kw: gen},  # scipy >= 1.15 takes rng, older releases random_state
    )
    ci = res.confidence_interval
    return m, float(ci.low), float(ci.high)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")


# ---------------------------------------------------------------------------
# Headline metrics of one run
# ---------------------------------------------------------------------------
EQUITY_KEYS = ("gap", "ratio", "sii", "rii", "ci", "ci_erreygers", "ci_wagstaff")


def summarize_counts(counts: np.ndarray, group_sizes: np.ndarray,
                     columns: tuple[str, ...] = COUNT_COLUMNS,
                     concern: np.ndarray | None = None) -> dict[str, float]:
    """Every headline metric of one run, from its per-step per-group counters.

    Parameters
    ----------
    counts : ndarray, shape (steps + 1, n_groups, len(columns))
        ``DiffusionModel.counts``.
    group_sizes : ndarray, shape (n_groups,)
        People per group.
    columns : tuple of str
        The counter columns (``DiffusionModel.count_columns``; default: the four
        default strategies). The strategies are read from the ``decisions_*`` columns.
    concern : ndarray, shape (steps + 1, n_groups), optional
        Per-group sums of privacy concern (``Counter.concern``).

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
        Stage 2: ``sustained_final`` (engaged at the end, i.e. not disengaged; fraction of
        everybody) and per group, with the same equity measures (``sustained_gap`` ...);
        ``engaged_weeks`` (person-weeks engaged over weeks 1..T per person) and per
        group; with ``concern``: ``privacy_concern_final`` (mean) and per group.
    """
    col = {c: i for i, c in enumerate(columns)}
    names = [c[len("decisions_"):] for c in columns if c.startswith("decisions_")]
    sizes = np.asarray(group_sizes, dtype=float)
    n = sizes.sum()
    G = sizes.size
    out: dict[str, float] = {}
    final = counts[-1]
    total = counts.sum(axis=1)  # (steps+1, columns)
    for measure in ("aware", "engaged"):
        frac_t = total[:, col[measure]] / n
        out[f"{measure}_final"] = float(frac_t[-1])
        for g in range(G):
            out[f"{measure}_final_g{g + 1}"] = (
                float(final[g, col[measure]] / sizes[g]) if sizes[g] else float("nan")
            )
        out[f"t25_{measure}"] = time_to_reach(frac_t, 0.25)
        out[f"t50_{measure}"] = time_to_reach(frac_t, 0.50)
    engaged_total = total[-1, col["engaged"]]
    out["peer_engaged_final"] = float(total[-1, col["peer_engaged"]] / n)
    out["peer_share"] = (
        float(total[-1, col["peer_engaged"]] / engaged_total) if engaged_total else float("nan")
    )
    first = col[f"decisions_{names[0]}"]
    decisions = counts[1:, :, first:first + len(names)].sum(axis=0)  # (G, S)
    all_dec = decisions.sum(axis=0)
    for i, s in enumerate(names):
        out[f"mix_{s}"] = float(all_dec[i] / all_dec.sum()) if all_dec.sum() else float("nan")
    for g in range(G):
        tot = decisions[g].sum()
        for i, s in enumerate(names):
            out[f"mix_{s}_g{g + 1}"] = float(decisions[g, i] / tot) if tot else float("nan")
    acts_g = decisions[:, 1:].sum(axis=1)
    unwanted_g = counts[1:, :, col["unwanted"]].sum(axis=0)
    out["sharing_acts"] = float(acts_g.sum())
    out["exposures"] = float(counts[1:, :, col["exposures"]].sum())
    out["unwanted"] = float(unwanted_g.sum())
    out["unwanted_per_act"] = (
        float(unwanted_g.sum() / acts_g.sum()) if acts_g.sum() else float("nan")
    )
    for g in range(G):
        out[f"unwanted_per_act_g{g + 1}"] = (
            float(unwanted_g[g] / acts_g[g]) if acts_g[g] else float("nan")
        )
    engaged_g = np.divide(final[:, col["engaged"]], sizes, out=np.zeros(G), where=sizes > 0)
    eq = equity(engaged_g, sizes)
    for k in EQUITY_KEYS:
        out[f"engaged_{k}"] = float(eq[k])
    _sustained(out, counts, sizes, col, concern)
    return out


def _per_group(out: dict[str, float], key: str, values: np.ndarray, sizes: np.ndarray
               ) -> np.ndarray:
    """``key`` overall and ``key_gK`` per group from per-group totals; returns the
    per-group fractions (0 for an empty group, which equity ignores)."""
    out[key] = float(values.sum() / sizes.sum())
    frac = np.divide(values, sizes, out=np.zeros(sizes.size), where=sizes > 0)
    for g in range(sizes.size):
        out[f"{key}_g{g + 1}"] = float(frac[g]) if sizes[g] else float("nan")
    return frac


def _sustained(out: dict[str, float], counts: np.ndarray, sizes: np.ndarray,
               col: dict[str, int], concern: np.ndarray | None) -> None:
    """The stage-2 outputs of :func:`summarize_counts` (sustained engagement)."""
    now = counts[:, :, col["engaged_now"]]
    sustained = _per_group(out, "sustained_final", now[-1].astype(float), sizes)
    eq = equity(sustained, sizes)
    for k in EQUITY_KEYS:
        out[f"sustained_{k}"] = float(eq[k])
    _per_group(out, "engaged_weeks", now[1:].sum(axis=0).astype(float), sizes)
    if concern is not None:
        _per_group(out, "privacy_concern_final", np.asarray(concern[-1], float), sizes)


def acts_top_share(acts: np.ndarray, top: float = 0.1) -> float:
    """Share of all sharing acts made by the most active ``top`` fraction of people
    (the ``ceil(top · n)`` people with most acts; NaN when nobody shared). Pass the
    people who could share (:func:`summarize` passes everybody who ever engaged), so
    that the measure is about participation, not reach.

    Participation inequality (Karampatakis et al. 2023: online peer support carried by
    a small core of very active members): 0.1 when everybody shares alike, near 1 when
    a few do all the sharing.
    """
    a = np.sort(np.asarray(acts, dtype=np.int64))[::-1]
    total = a.sum()
    if total == 0:
        return float("nan")
    k = int(np.ceil(top * a.size))
    return float(a[:k].sum() / total)


def summarize(model) -> dict[str, float]:
    """Headline metrics of a finished :class:`~diffusion_sim.model.DiffusionModel`:
    :func:`summarize_counts` and ``acts_top10_share`` (:func:`acts_top_share` of the
    people who ever engaged)."""
    out = summarize_counts(model.counts, model.group_sizes, model.count_columns,
                           model.counter.concern)
    ever = model.run_state.engaged_step != NEVER
    out["acts_top10_share"] = acts_top_share(model.run_state.acts[ever])
    return out
