r"""Summary measures of inequality of WHO's Health Equity Assessment Toolkit (HEAT and
HEAT Plus) for ordered socioeconomic groups, a Theil / mean-log-deviation decomposition
for individual-level data, and (in :mod:`diffusion_sim.heat_export`) rows in HEAT Plus's data-upload layout.

Groups are ordered as in :mod:`diffusion_sim.metrics`: index 0 is the most deprived
group, the last index the least deprived (HEAT's ``subgroup_order`` 1, 2, ...). Groups
with population 0 are dropped.

What is here and what is not
----------------------------
:func:`diffusion_sim.metrics.equity` already has the gap and ratio (HEAT's D and R for a
favourable indicator; for an adverse one HEAT takes most deprived minus, or over, least
deprived), the slope and relative index of inequality (SII, RII; HEAT fits them with a
logit-link model, ``equity`` with a linear one) and the relative concentration index
(HEAT's RCI is 100 × ``ci``). This module adds, following the HEAT technical notes
[HEAT2024]_: between-group variance and standard deviation (BGV, BGSD) and the
coefficient of variation (COV); the mean differences from the mean, from the
best-performing group and from a reference group, unweighted and weighted (MDMU, MDMW,
MDBU, MDBW, MDRU, MDRW); the index of disparity (IDISU, IDISW); the Theil index (TI) and
mean log deviation (MLD) on group means; population attributable risk and fraction (PAR,
PAF); and the absolute concentration index (ACI).

HEAT itself reports BGV, BGSD, COV, the mean differences, IDIS, TI and MLD only for
*non-ordered* dimensions (e.g. regions): they ignore the order of the groups, so they
say how unequal the groups are but not in which direction ([HEAT2024]_, section 3,
footnote 3). For an ordered dimension HEAT reports D, R, ACI, RCI, SII, RII, PAR and PAF.

Units and ``scale``
-------------------
Outcomes are passed in their natural unit (a proportion in [0, 1] for a binary outcome,
as in :func:`~diffusion_sim.metrics.equity`; any non-negative per-person quantity
otherwise). HEAT works with *estimates* on the indicator's scale (``indicator_scale``:
100 for percentages, 1000 for rates per 1000, 1 for plain numbers), so every measure
here is computed on :math:`e_g = \text{scale} \cdot y_g`:

* absolute measures (BGSD, the mean differences, PAR, ACI and the setting average) are
  in the indicator's unit, e.g. percentage points for ``scale=100``; BGV is in its
  square;
* relative measures carry HEAT's fixed multipliers, whatever ``scale`` is: COV, IDIS and
  PAF are multiplied by 100 (percent of a reference level), TI and MLD by 1000.

References
----------
.. [HEAT2024] World Health Organization (2024). *Health Equity Assessment Toolkit (HEAT
   and HEAT Plus): technical notes*, version 6.0. Geneva: WHO. Section 3 and Annex 1
   (formulas of every summary measure).
.. [HEATPlusTemplate] World Health Organization (2024). *HEAT Plus Template and
   Validation Tool*, version 6.0 (``heat_plus_template.xlsm``, sheets "template" and
   "template legend"), distributed with HEAT Plus.
.. [SH2022] Schlotheuber A, Hosseinpoor AR (2022). Summary measures of health
   inequality: a review of existing measures and their application. *International
   Journal of Environmental Research and Public Health* 19(6):3697.
.. [PK2002] Pearcy JN, Keppel KG (2002). A summary measure of health disparity. *Public
   Health Reports* 117(3):273-280.
.. [Theil1967] Theil H (1967). *Economics and Information Theory*. Amsterdam:
   North-Holland.
.. [Shorrocks1980] Shorrocks AF (1980). The class of additively decomposable inequality
   measures. *Econometrica* 48(3):613-625.
.. [KWvD1997] Kakwani N, Wagstaff A, van Doorslaer E (1997). Socioeconomic inequalities
   in health: measurement, computation, and statistical inference. *Journal of
   Econometrics* 77(1):87-103.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import xlogy

NAN = float("nan")

#: HEAT's multiplier of the Theil index and the mean log deviation.
THEIL_MULTIPLIER = 1000.0

#: Every key :func:`heat_measures` returns, in this order.
HEAT_KEYS = (
    "setting_average",
    "bgv",
    "bgsd",
    "cov",
    "mdmu",
    "mdmw",
    "mdbu",
    "mdbw",
    "mdru",
    "mdrw",
    "idisu",
    "idisw",
    "idisbu",
    "idisbw",
    "idisru",
    "idisrw",
    "ti",
    "mld",
    "par",
    "paf",
    "par_best",
    "paf_best",
    "aci",
)

#: Keys of :func:`heat_measures` that measure disparity (0 when every group has the
#: same outcome); the rest is ``setting_average``.
HEAT_DISPARITY_KEYS = HEAT_KEYS[1:]

#: Keys of :func:`heat_measures` that do not depend on the order of the groups.
HEAT_UNORDERED_KEYS = (
    "setting_average",
    "bgv",
    "bgsd",
    "cov",
    "mdmu",
    "mdmw",
    "mdbu",
    "mdbw",
    "idisu",
    "idisw",
    "idisbu",
    "idisbw",
    "ti",
    "mld",
    "par_best",
    "paf_best",
)

# ---------------------------------------------------------------------------
# Summary measures on group aggregates
# ---------------------------------------------------------------------------
def heat_measures(
    outcome_by_group: ArrayLike,
    population_by_group: ArrayLike,
    *,
    favourable: bool = True,
    reference_group: int | None = None,
    scale: float = 100,
) -> dict[str, float]:
    r"""HEAT's summary measures of inequality across ordered groups.

    Parameters
    ----------
    outcome_by_group : array_like of float >= 0, shape (G,)
        :math:`y_g`, the outcome of group *g* in its natural unit (for a binary outcome
        the proportion with it, in [0, 1]). Index 0 is the most deprived group, the last
        index the least deprived. The value of a group with no people is ignored (it
        may be NaN).
    population_by_group : array_like of float >= 0, shape (G,)
        :math:`n_g`, the number of people in each group. Only relative sizes matter.
        Groups with 0 people are dropped before anything is computed (so *n* below
        counts the non-empty groups).
    favourable : bool, default True
        True if more of the outcome is better (e.g. engagement with health information,
        HEAT's ``favourable_indicator = 1``), False if it is adverse. It decides which
        group is the best-performing one and the sign convention of PAR and PAF.
    reference_group : int, optional
        Index (into the arrays as given, 0-based) of the reference group of MDRU, MDRW,
        IDISRU, IDISRW, PAR and PAF. Default: the most advantaged non-empty group (the
        last one), which is HEAT's reference of PAR and PAF for ordered dimensions.
    scale : float > 0, default 100
        HEAT's ``indicator_scale``: the estimates are :math:`e_g = \text{scale}\cdot y_g`
        (100: percentages, 1000: per 1000, 1: the natural unit). See Notes for units.

    Returns
    -------
    dict of str to float
        One value per key of :data:`HEAT_KEYS`. With the *n* non-empty groups, their
        population shares :math:`p_g = n_g / \sum_h n_h`, the estimates :math:`e_g`,
        the setting average :math:`\mu = \sum_g p_g e_g`, the best-performing estimate
        :math:`e_{best}` (:math:`\max_g e_g` if ``favourable``, else :math:`\min_g e_g`)
        and the reference estimate :math:`e_{ref}`; every formula is from [HEAT2024]_
        unless marked otherwise:

        ``setting_average``
            :math:`\mu`, in the indicator's unit. (HEAT uses the same population-weighted
            mean whenever every population is known.)
        ``bgv``
            Between-group variance :math:`\sum_g p_g (e_g - \mu)^2`; squared unit of the
            indicator; >= 0.
        ``bgsd``
            Between-group standard deviation :math:`\sqrt{\mathrm{BGV}}`; unit of the
            indicator; >= 0.
        ``cov``
            Coefficient of variation :math:`100\,\mathrm{BGSD} / \mu`; no unit; >= 0;
            NaN if :math:`\mu = 0`.
        ``mdmu``, ``mdmw``
            Mean difference from the mean, unweighted
            :math:`\frac1n \sum_g |e_g - \mu|` and weighted :math:`\sum_g p_g |e_g - \mu|`
            (HEAT takes absolute values in every mean difference); unit of the
            indicator; >= 0. (Even MDMU uses the weighted mean :math:`\mu`, as HEAT does.)
        ``mdbu``, ``mdbw``
            Mean difference from the best-performing group,
            :math:`\frac1n \sum_g |e_g - e_{best}|` and :math:`\sum_g p_g |e_g - e_{best}|`;
            unit of the indicator; >= 0.
        ``mdru``, ``mdrw``
            Mean difference from the reference group,
            :math:`\frac1n \sum_g |e_g - e_{ref}|` and :math:`\sum_g p_g |e_g - e_{ref}|`;
            unit of the indicator; >= 0. (HEAT computes these only when a reference
            subgroup is specified; here the default reference is the most advantaged
            group.)
        ``idisu``, ``idisw``
            Index of disparity, unweighted :math:`100\,\mathrm{MDMU}/\mu` and weighted
            :math:`100\,\mathrm{MDMW}/\mu`: the mean absolute deviation as a percentage
            of the setting average [PK2002]_; no unit; >= 0; NaN if :math:`\mu = 0`.
            These two are the only indices of disparity HEAT defines.
        ``idisbu``, ``idisbw``, ``idisru``, ``idisrw``
            *Not HEAT measures*: the index of disparity with a group rather than the
            setting average as its reference point, built the way HEAT builds IDIS from
            the mean differences: :math:`100\,\mathrm{MDBU}/e_{best}`,
            :math:`100\,\mathrm{MDBW}/e_{best}`, :math:`100\,\mathrm{MDRU}/e_{ref}` and
            :math:`100\,\mathrm{MDRW}/e_{ref}`. No unit; >= 0; NaN if the denominator
            is 0.
        ``ti``
            Theil index :math:`1000 \sum_g p_g \frac{e_g}{\mu} \ln\frac{e_g}{\mu}`
            [Theil1967]_ on the group means, i.e. the between-group part of the
            individual-level Theil index (see :func:`theil_decomposition`); no unit;
            >= 0. A group with :math:`e_g = 0` contributes its limit
            :math:`0 \ln 0 = 0`. NaN if :math:`\mu = 0`.
        ``mld``
            Mean log deviation :math:`1000 \sum_g p_g \left(-\ln\frac{e_g}{\mu}\right)`;
            no unit; >= 0; ``inf`` if some non-empty group has :math:`e_g = 0` (while
            :math:`\mu > 0`); NaN if :math:`\mu = 0`.
        ``par``
            Population attributable risk :math:`e_{ref} - \mu` in the indicator's unit,
            with HEAT's reference of an ordered dimension, the most advantaged group
            (or ``reference_group``), and HEAT's sign rule: for a favourable indicator a
            negative value is set to 0 and for an adverse indicator a positive value is
            set to 0, so PAR >= 0 for favourable and <= 0 for adverse indicators, and 0
            means that the reference group is not better off than the average.
        ``paf``
            Population attributable fraction :math:`100\,\mathrm{PAR} / \mu` (percent of
            the setting average; same sign rule); NaN if :math:`\mu = 0`.
        ``par_best``, ``paf_best``
            The same with :math:`e_{ref} = e_{best}`, HEAT's reference for non-ordered
            dimensions: the improvement in the average if every group did as well as the
            best-performing one.
        ``aci``
            Absolute concentration index :math:`\sum_g p_g (2X_g - 1) e_g` with the
            fractional rank :math:`X_g = \sum_{h \le g} p_h - p_g/2`; unit of the
            indicator. It equals :math:`\mu C`, the setting average times the
            concentration index *C* [KWvD1997]_ (``ci`` of
            :func:`~diffusion_sim.metrics.equity` on the same groups). Positive when the outcome is concentrated in the
            advantaged groups, whatever ``favourable`` is; it lies in
            :math:`[-\mu, \mu]`.

    Notes
    -----
    Units: only the absolute measures (``setting_average``, ``bgsd``, the ``md*``
    means, ``par``, ``par_best`` and ``aci``) are in the indicator's unit and scale with
    ``scale``; ``bgv`` scales with ``scale**2``; the relative measures (``cov``,
    ``idis*``, ``paf*``, ``ti``, ``mld``) do not depend on ``scale``.

    HEAT computes complex measures only for more than two subgroups; here every value is
    computed for any number of non-empty groups (with one group every disparity is 0).
    If every group is empty, every value is NaN.

    Differences from HEAT's own code: HEAT replaces an estimate of exactly 0 by
    :math:`10^{-6}` before computing TI and MLD; here TI uses the exact limit and MLD is
    ``inf``. Confidence intervals (HEAT's analytic and simulation-based ones) are not
    computed.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of the same length, a population is negative or not
        finite, a non-empty group has a negative or non-finite outcome, ``scale`` is not
        a finite positive number, or ``reference_group`` is not the index of a non-empty
        group.

    Examples
    --------
    >>> m = heat_measures([0.2, 0.4, 0.6], [200, 300, 500])
    >>> round(m["setting_average"], 9), round(m["bgv"], 9), round(m["aci"], 9)
    (46.0, 244.0, 8.2)
    """
    y_all, w_all, keep = check_groups(outcome_by_group, population_by_group)
    scale = check_positive(scale, "scale")
    ref_pos = reference_position(reference_group, keep)
    out = dict.fromkeys(HEAT_KEYS, NAN)
    if not keep.any():
        return out

    e = scale * y_all[keep]
    w = w_all[keep]
    p = w / w.sum()
    n = e.size
    mu = float(np.sum(p * e))
    out["setting_average"] = mu

    dev = np.abs(e - mu)
    bgv = float(np.sum(p * (e - mu) ** 2))
    out["bgv"] = bgv
    out["bgsd"] = math.sqrt(bgv)
    out["cov"] = _percent_of(out["bgsd"], mu)
    out["mdmu"] = float(dev.sum() / n)
    out["mdmw"] = float(np.sum(p * dev))
    out["idisu"] = _percent_of(out["mdmu"], mu)
    out["idisw"] = _percent_of(out["mdmw"], mu)

    e_best = float(e.max() if favourable else e.min())
    e_ref = float(e[n - 1 if ref_pos is None else ref_pos])
    for tag, level in (("b", e_best), ("r", e_ref)):
        gap = np.abs(e - level)
        out[f"md{tag}u"] = float(gap.sum() / n)
        out[f"md{tag}w"] = float(np.sum(p * gap))
        out[f"idis{tag}u"] = _percent_of(out[f"md{tag}u"], level)
        out[f"idis{tag}w"] = _percent_of(out[f"md{tag}w"], level)

    if mu > 0:
        r = e / mu
        out["ti"] = THEIL_MULTIPLIER * float(np.sum(p * xlogy(r, r)))
        with np.errstate(divide="ignore"):
            out["mld"] = THEIL_MULTIPLIER * float(np.sum(p * -np.log(r)))

    for suffix, level in (("", e_ref), ("_best", e_best)):
        par = _heat_sign_rule(level - mu, favourable)
        out[f"par{suffix}"] = par
        out[f"paf{suffix}"] = _heat_sign_rule(_percent_of(par, mu), favourable)

    rank = np.cumsum(p) - p / 2  # fractional rank X_g of each group (mid-point)
    out["aci"] = float(np.sum(p * (2 * rank - 1) * e))
    return out


def _percent_of(x: float, level: float) -> float:
    """``100 x / level``, NaN if ``level`` is 0."""
    return 100.0 * x / level if level > 0 else NAN


def _heat_sign_rule(x: float, favourable: bool) -> float:
    """HEAT's PAR / PAF rule: no negative value for a favourable indicator, no positive
    value for an adverse one (NaN stays NaN)."""
    if (favourable and x < 0) or (not favourable and x > 0):
        return 0.0
    return float(x)


def check_groups(
    outcome_by_group: ArrayLike, population_by_group: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(outcome_by_group, dtype=float)
    w = np.asarray(population_by_group, dtype=float)
    if y.ndim != 1 or w.shape != y.shape:
        raise ValueError(
            "outcome_by_group and population_by_group must be 1-D arrays of the same "
            f"length, got shapes {y.shape} and {w.shape}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"populations must be finite and >= 0, got {w.tolist()}")
    keep = w > 0
    if not np.all(np.isfinite(y[keep])) or np.any(y[keep] < 0):
        raise ValueError(
            f"outcomes of non-empty groups must be finite and >= 0, got {y[keep].tolist()}"
        )
    return y, w, keep


def check_positive(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def reference_position(reference_group: int | None, keep: np.ndarray) -> int | None:
    """Position of the reference group among the non-empty groups (None: the last)."""
    if reference_group is None:
        return None
    if isinstance(reference_group, bool) or not isinstance(reference_group, numbers.Integral):
        raise ValueError(f"reference_group must be an integer index, got {reference_group!r}")
    g = int(reference_group)
    if not 0 <= g < keep.size:
        raise ValueError(f"reference_group must be an index from 0 to {keep.size - 1}, got {g}")
    if not keep[g]:
        raise ValueError(f"reference_group {g} is an empty group (population 0)")
    return int(np.count_nonzero(keep[:g]))


# ---------------------------------------------------------------------------
# Theil index and mean log deviation of individual-level data
# ---------------------------------------------------------------------------
def theil_decomposition(
    values: ArrayLike,
    groups: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    multiplier: float = THEIL_MULTIPLIER,
) -> dict[str, float]:
    r"""Theil index and mean log deviation of a positive outcome, split into between-
    and within-group parts.

    Parameters
    ----------
    values : array_like of float > 0, shape (N,)
        :math:`x_i`, one strictly positive value per person (or record), e.g. weeks
        engaged plus a stated positive constant, or any positive per-person quantity.
    groups : array_like, shape (N,)
        The group label of each person (any sortable labels, e.g. 0 ... G − 1). The
        order of the groups plays no part in these measures.
    weights : array_like of float >= 0, shape (N,), optional
        :math:`w_i`, frequency or sampling weights (default 1 each). People with weight
        0, or below 1e-150 of the largest weight (whose products would underflow), are
        left out.
    multiplier : float, default 1000
        Every returned index is multiplied by this; the default is HEAT's scaling, so
        that ``ti_between`` / ``mld_between`` equal ``ti`` / ``mld`` of
        :func:`heat_measures` on the group means and group weights.

    Returns
    -------
    dict of str to float
        With shares :math:`s_i = w_i / \sum_j w_j`, the mean :math:`\mu = \sum_i s_i x_i`,
        group shares :math:`S_g = \sum_{i \in g} s_i` and group means
        :math:`\mu_g = \sum_{i \in g} s_i x_i / S_g` (every index below is then
        multiplied by ``multiplier``) [Theil1967]_, [Shorrocks1980]_:

        ``mean``
            :math:`\mu`, not multiplied.
        ``ti_total``
            :math:`T = \sum_i s_i \frac{x_i}{\mu} \ln\frac{x_i}{\mu}` (Theil's *T*,
            generalised entropy GE(1)); in :math:`[0, \ln(1/\min_i s_i)]`.
        ``ti_between``
            :math:`\sum_g S_g \frac{\mu_g}{\mu} \ln\frac{\mu_g}{\mu}`: *T* of a
            population in which everybody has their group's mean.
        ``ti_within``
            :math:`\sum_g S_g \frac{\mu_g}{\mu} T_g`, with :math:`T_g` the Theil index
            inside group *g*: within-group indices weighted by the groups' shares of
            the total outcome.
        ``mld_total``
            :math:`L = \sum_i s_i \ln\frac{\mu}{x_i}` (Theil's *L*, the mean log
            deviation, GE(0)); >= 0.
        ``mld_between``
            :math:`\sum_g S_g \ln\frac{\mu}{\mu_g}`.
        ``mld_within``
            :math:`\sum_g S_g L_g`, within-group indices weighted by population shares.

        ``ti_between + ti_within == ti_total`` and ``mld_between + mld_within ==
        mld_total`` up to rounding; each part is >= 0. The totals are computed directly
        from the individual values, not as those sums.

    Notes
    -----
    Why strictly positive values: the mean log deviation has :math:`\ln x_i`, so a
    single 0 makes it infinite. For a binary outcome (:math:`x_i \in \{0, 1\}`) the
    Theil *T* survives through :math:`0 \ln 0 = 0` but is then :math:`-\ln \mu`
    overall and :math:`-\ln \mu_g` within each group, a function of the group
    proportions alone: individual 0/1 data add nothing to HEAT's between-group TI and
    MLD on the group proportions (:func:`heat_measures`). Add a documented positive
    constant, or use a positive quantity, to decompose an individual-level outcome.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of the same length, a value is not finite or not
        > 0, a weight is negative or not finite, every weight is 0, or ``multiplier``
        is not a finite number > 0.

    Examples
    --------
    >>> d = theil_decomposition([1.0, 3.0, 2.0, 2.0], [0, 0, 1, 1], multiplier=1)
    >>> round(d["ti_between"], 12), round(d["ti_within"] - d["ti_total"], 12)
    (0.0, 0.0)
    """
    x = np.asarray(values, dtype=float)
    g = np.asarray(groups)
    if x.ndim != 1 or g.shape != x.shape:
        raise ValueError(
            f"values and groups must be 1-D arrays of the same length, got shapes "
            f"{x.shape} and {g.shape}"
        )
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != x.shape:
        raise ValueError(f"weights must have the shape of values {x.shape}, got {w.shape}")
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("values must be finite and > 0 (the mean log deviation takes ln x)")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and >= 0")
    mult = check_positive(multiplier, "multiplier")
    keep = w > 0
    if not keep.any():
        raise ValueError("at least one weight must be > 0")
    x, g, w = x[keep], g[keep], w[keep]
    w = w / w.max()  # only relative weights matter
    # a weight below 1e-150 of the largest contributes nothing to any measure but can
    # underflow (weight x value) to 0 and make a group mean 0/0: treat it as 0
    big = w >= 1e-150
    x, g, w = x[big], g[big], w[big]
    s = w / w.sum()

    _, inv = np.unique(g, return_inverse=True)
    inv = inv.ravel()
    mu = float(np.sum(s * x))
    r = x / mu
    share_g = np.bincount(inv, weights=s)
    mu_g = np.bincount(inv, weights=s * x) / share_g
    rg = mu_g / mu
    r_in = x / mu_g[inv]  # each value relative to its own group's mean
    t_g = np.bincount(inv, weights=s * r_in * np.log(r_in)) / share_g
    return {
        "mean": mu,
        "ti_total": mult * float(np.sum(s * r * np.log(r))),
        "ti_between": mult * float(np.sum(share_g * rg * np.log(rg))),
        "ti_within": mult * float(np.sum(share_g * rg * t_g)),
        "mld_total": mult * float(np.sum(s * -np.log(r))),
        "mld_between": mult * float(np.sum(share_g * -np.log(rg))),
        "mld_within": mult * float(np.sum(s * -np.log(r_in))),
    }
