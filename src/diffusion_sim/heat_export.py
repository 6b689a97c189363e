"""Results in HEAT Plus's data-upload layout, so an analyst can load them into WHO's
Health Equity Assessment Toolkit (the measures themselves are in :mod:`diffusion_sim.heat`).

References
----------
.. [HEATPlusTemplate] World Health Organization (2024). *HEAT Plus Template and
   Validation Tool*, version 6.0 (``heat_plus_template.xlsm``, sheets "template" and
   "template legend"), distributed with HEAT Plus.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from diffusion_sim.heat import check_groups, check_positive, reference_position
from diffusion_sim.store import write_text

#: Columns of the HEAT Plus 6.0 data-upload template, in its order [HEATPlusTemplate]_.
HEAT_PLUS_COLUMNS = (
    "setting",
    "date",
    "source",
    "indicator_abbr",
    "indicator_name",
    "dimension",
    "subgroup",
    "estimate",
    "se",
    "ci_lb",
    "ci_ub",
    "population",
    "note",
    "setting_average",
    "iso3",
    "favourable_indicator",
    "indicator_scale",
    "ordered_dimension",
    "subgroup_order",
    "reference_subgroup",
)

#: The same columns with the names of earlier templates and of HEAT Plus's internal
#: variable list (``year`` for ``date``, ``flag`` for ``note``).
HEAT_PLUS_LEGACY_COLUMNS = tuple(
    {"date": "year", "note": "flag"}.get(c, c) for c in HEAT_PLUS_COLUMNS
)


# ---------------------------------------------------------------------------
# HEAT Plus upload rows
# ---------------------------------------------------------------------------
def heat_export_rows(
    estimates: ArrayLike,
    ci_lower: ArrayLike,
    ci_upper: ArrayLike,
    population: ArrayLike,
    *,
    setting: str,
    date: str | int,
    source: str,
    indicator_abbr: str,
    indicator_name: str,
    dimension: str,
    subgroups: Sequence[str] | None = None,
    se: ArrayLike | None = None,
    favourable: bool = True,
    scale: float = 100,
    setting_average: float | None = None,
    iso3: str = "",
    note: str = "",
    reference_group: int | None = None,
    legacy_names: bool = False,
) -> list[dict[str, object]]:
    r"""Rows for HEAT Plus's data upload: one indicator by one ordered dimension.

    Parameters
    ----------
    estimates, ci_lower, ci_upper : array_like of float, shape (G,)
        Per-group estimate and the bounds of its 95% interval, in the outcome's natural
        unit (e.g. proportions), most deprived group first. A NaN bound leaves its cell
        blank. Each row's ``estimate``, ``ci_lb``, ``ci_ub``, ``se`` and
        ``setting_average`` are these times ``scale``: HEAT Plus wants percentages
        already multiplied by 100 [HEATPlusTemplate]_.
    population : array_like of float >= 0, shape (G,)
        People per group. Groups with 0 people get no row.
    setting, date, source, indicator_abbr, indicator_name, dimension : str
        HEAT Plus's mandatory descriptors, the same in every row (e.g. ``"Scenario
        baseline"``, ``2025`` or ``"2025-03"``, ``"diffusion-sim"``, ``"engaged"``,
        ``"Engaged with the health information (%)"``, ``"Deprivation quintile"``).
        ``date`` must sort in chronological order (HEAT Plus 6 "date", earlier
        templates' "year").
    subgroups : sequence of str, optional
        Names of the G groups (unique); default ``"Group 1"`` ... ``"Group G"``.
    se : array_like of float, shape (G,), optional
        Standard errors in the natural unit; blank if not given or NaN. (HEAT Plus needs
        them for the intervals of its summary measures; with a symmetric normal 95%
        interval, ``(ci_upper - ci_lower) / (2 * 1.96)`` is one, but this function does
        not assume it.)
    favourable : bool, default True
        ``favourable_indicator``: 1 if more of the outcome is better, 0 if adverse.
    scale : float > 0, default 100
        ``indicator_scale`` (as in :func:`heat_measures`).
    setting_average : float, optional
        Setting average in the natural unit; default the population-weighted mean of the
        estimates of the non-empty groups.
    iso3 : str, default ""
        ISO3 country code; leave blank when the setting is not a country.
    note : str, default ""
        ``note`` (``flag``) of every row; blank by default.
    reference_group : int, optional
        Only for a binary dimension (two non-empty groups): the index of the reference
        subgroup, default the last (least deprived) one. HEAT Plus takes no reference
        subgroup for an ordered dimension of more than two subgroups, so giving one
        then is an error.
    legacy_names : bool, default False
        Name the ``date`` and ``note`` columns ``year`` and ``flag``, as earlier
        templates and HEAT Plus's internal variable list do (see Notes).

    Returns
    -------
    list of dict
        One dict per non-empty group, most deprived first, keyed by
        :data:`HEAT_PLUS_COLUMNS` (or :data:`HEAT_PLUS_LEGACY_COLUMNS`) in that order;
        blank cells are None. With k > 2 non-empty groups: ``ordered_dimension`` 1,
        ``subgroup_order`` 1 ... k, ``reference_subgroup`` 0. With k = 2 the dimension is
        binary, as the template requires: ``ordered_dimension`` 0, ``subgroup_order``
        0 and ``reference_subgroup`` 1 for the reference group only.

    Notes
    -----
    The column names and their order are those of the "template" sheet of the HEAT
    Plus Template and Validation Tool version 6.0 [HEATPlusTemplate]_:
    ``setting, date, source, indicator_abbr, indicator_name, dimension, subgroup,
    estimate, se, ci_lb, ci_ub, population, note, setting_average, iso3,
    favourable_indicator, indicator_scale, ordered_dimension, subgroup_order,
    reference_subgroup``. Mandatory: setting, date, source, indicator_abbr,
    indicator_name, dimension, subgroup, estimate, favourable_indicator,
    indicator_scale, ordered_dimension, subgroup_order, reference_subgroup;
    recommended: se, population, setting_average, iso3; optional: ci_lb, ci_ub, note.

    Uncertain: HEAT Plus 6.0's source (WHO's public repositories, May 2024) renames
    ``date`` to ``year`` and ``note`` to ``flag`` when it reads an ``.xls``/``.xlsx``
    upload, then checks the file against a variable list that has ``year`` and
    ``flag``; its ``.csv`` reader does not rename them. So a CSV with the 6.0 names may
    be refused where one with ``legacy_names=True`` is accepted. This was read from the
    code, not tried in HEAT Plus.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of the same length, a population is negative or not
        finite, a non-empty group's estimate is not finite and >= 0 or lies outside its
        interval, a standard error is negative, a descriptor is empty, the subgroup
        names are not G unique non-empty strings, ``iso3`` is neither blank nor three
        characters, fewer than two groups are non-empty, or ``reference_group`` is
        given for more than two groups or is not a non-empty group.
    """
    y, w, keep = check_groups(estimates, population)
    scale = check_positive(scale, "scale")
    G = y.size
    lo = _optional_array(ci_lower, G, "ci_lower")
    hi = _optional_array(ci_upper, G, "ci_upper")
    se_arr = _optional_array(se, G, "se")
    for name, bound, bad in (
        ("ci_lower", lo, lo > y),
        ("ci_upper", hi, hi < y),
    ):
        if np.any(bad & keep):
            raise ValueError(f"{name} must bound the estimate of every group, got {bound.tolist()}")
    if np.any(se_arr < 0):
        raise ValueError(f"standard errors must be >= 0, got {se_arr.tolist()}")
    texts = {
        "setting": setting,
        "date": date,
        "source": source,
        "indicator_abbr": indicator_abbr,
        "indicator_name": indicator_name,
        "dimension": dimension,
    }
    for name, value in texts.items():
        if str(value).strip() == "":
            raise ValueError(f"{name} is mandatory in HEAT Plus and must not be empty")
    if iso3 and len(iso3) != 3:
        raise ValueError(f"iso3 must be blank or a three-character code, got {iso3!r}")
    names = [f"Group {g + 1}" for g in range(G)] if subgroups is None else list(subgroups)
    if (
        len(names) != G
        or any(not isinstance(s, str) or not s.strip() for s in names)
        or len(set(names)) != G
    ):
        raise ValueError(f"subgroups must be {G} unique non-empty names, got {names!r}")
    k = int(keep.sum())
    if k < 2:
        raise ValueError(f"a HEAT Plus dimension needs at least two non-empty groups, got {k}")
    if k > 2 and reference_group is not None:
        raise ValueError(
            "HEAT Plus takes no reference subgroup for an ordered dimension of more than "
            "two subgroups"
        )
    ref_pos = reference_position(reference_group, keep)
    ref_pos = k - 1 if ref_pos is None else ref_pos
    if setting_average is None:
        avg = float(np.sum(w[keep] * y[keep]) / w[keep].sum())
    else:
        avg = float(setting_average)
        if not (math.isfinite(avg) and avg >= 0):
            raise ValueError(f"setting_average must be finite and >= 0, got {setting_average!r}")

    columns = HEAT_PLUS_LEGACY_COLUMNS if legacy_names else HEAT_PLUS_COLUMNS
    rows: list[dict[str, object]] = []
    for pos, g in enumerate(np.flatnonzero(keep)):
        values = (
            setting,
            date,
            source,
            indicator_abbr,
            indicator_name,
            dimension,
            names[g],
            scale * float(y[g]),
            _scaled_or_blank(se_arr[g], scale),
            _scaled_or_blank(lo[g], scale),
            _scaled_or_blank(hi[g], scale),
            _plain_number(w[g]),
            note or None,
            scale * avg,
            iso3 or None,
            1 if favourable else 0,
            _plain_number(scale),
            1 if k > 2 else 0,
            pos + 1 if k > 2 else 0,
            1 if k == 2 and pos == ref_pos else 0,
        )
        rows.append(dict(zip(columns, values, strict=True)))
    return rows


def write_heat_csv(path: str | os.PathLike[str], rows: Iterable[Mapping[str, object]]) -> Path:
    """Write :func:`heat_export_rows` rows as a CSV file for HEAT Plus.

    Parameters
    ----------
    path : str or path-like
        File to write (UTF-8, comma-separated, a header line, ``\\n`` line ends).
    rows : iterable of mapping
        Rows whose keys are exactly :data:`HEAT_PLUS_COLUMNS` or exactly
        :data:`HEAT_PLUS_LEGACY_COLUMNS` (the same layout in every row), e.g. the
        concatenated results of several :func:`heat_export_rows` calls.

    Returns
    -------
    pathlib.Path
        The path written. Columns are in the template's order; None and NaN are written
        as blank cells, numbers in Python's shortest round-trip form.

    Raises
    ------
    ValueError
        If there are no rows or a row's keys are not one of the two layouts (or differ
        from the first row's).
    """
    rows = list(rows)
    if not rows:
        raise ValueError("there are no rows to write")
    keys = set(rows[0])
    if keys == set(HEAT_PLUS_COLUMNS):
        columns = HEAT_PLUS_COLUMNS
    elif keys == set(HEAT_PLUS_LEGACY_COLUMNS):
        columns = HEAT_PLUS_LEGACY_COLUMNS
    else:
        raise ValueError(f"rows must have exactly the HEAT Plus columns, got {sorted(keys)}")
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for i, row in enumerate(rows):
        if set(row) != set(columns):
            raise ValueError(f"row {i} does not have the columns of row 0: {sorted(row)}")
        writer.writerow(_cell(row[c]) for c in columns)
    out = Path(path)
    write_text(out, buf.getvalue())
    return out


def _optional_array(values: ArrayLike | None, size: int, name: str) -> np.ndarray:
    if values is None:
        return np.full(size, np.nan)
    arr = np.asarray(values, dtype=float)
    if arr.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {arr.shape}")
    return arr


def _scaled_or_blank(value: float, scale: float) -> float | None:
    return scale * float(value) if math.isfinite(value) else None


def _plain_number(value: float) -> int | float:
    """An integral float as int (``100`` rather than ``100.0``)."""
    v = float(value)
    return int(v) if v.is_integer() else v


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value
