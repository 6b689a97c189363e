"""Scenario discovery: which ranges of the uncertain parameters explain an outcome.

For a yes/no outcome over many parameter settings (a policy widens the gap; reach
stays below 20 %), PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999),
peels the parameter space down to a box, a few parameter ranges, in which the outcome
is frequent. A box is judged by its **coverage** (the share of all cases with the
outcome that fall inside it) and its **density** (the share of the settings inside it
that have the outcome); its **mass** is the share of all settings inside it (Bryant &
Lempert 2010).

**Implementation: EMA Workbench's PRIM** (Kwakkel 2017; BSD-3-Clause), the reference
implementation of scenario discovery, maintained by TU Delft, imported lazily from the
optional extra ``pip install 'diffusion-sim[analysis]'``. Not the ``prim`` package
(Hadka's fork of the same code): it is GPL-3.0, which cannot be a dependency of this
MIT package without relicensing what uses it, and unmaintained since 2017. EMA
Workbench 3.x needs Python >= 3.12; on 3.11 pip installs 2.5.x, whose PRIM works given
float inputs (pandas 3 refuses to peel integer columns) and whose
``boxes_to_dataframe`` returns zeros, so this module builds its box tables from
``box_lim`` and ``inspect(style="data")`` and **recomputes every coverage, density and
mass from the box limits itself** (:func:`box_stats`), refusing a box where EMA's
numbers differ (:class:`~diffusion_sim.errors.AnalysisError`).

Which box: on PRIM's peeling trajectory, the box with the largest coverage among those
with density >= ``threshold`` (0.8 by default), fewer restricted parameters breaking
ties; when no box reaches the threshold, the densest one (and the table says so).
Restrictions whose quasi-p-value (Bryant & Lempert 2010) exceeds 0.05 are dropped and
the box's statistics recomputed: a slight peel of a range may be chance. When
the outcome is already that frequent everywhere (base rate >= ``threshold``), the box
must reach half-way from the base rate to 1 instead, or it would be the whole space.

References
----------
Friedman JH, Fisher NI (1999). Bump hunting in high-dimensional data. *Statistics and
Computing* 9:123-143. Bryant BP, Lempert RJ (2010). Thinking inside the box: a
participatory, computer-assisted approach to scenario discovery. *Technological
Forecasting and Social Change* 77(1):34-49. Kwakkel JH (2017). The Exploratory Modeling
Workbench. *Environmental Modelling & Software* 96:239-250.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.config import did_you_mean
from diffusion_sim.errors import AnalysisError
from diffusion_sim.report.robustness_figures import discovery_figure
from diffusion_sim.store import manifest, output_folder, read_csv, write_csv, write_json
from diffusion_sim.sweep.designs import numeric_design

#: The install hint of the optional extra.
EXTRA = "pip install 'diffusion-sim[analysis]'"
#: Restrictions with a larger quasi-p-value are dropped from a box.
MAX_QP = 0.05


@dataclass(frozen=True)
class Limit:
    """One restricted parameter of a box: its range inside the box and overall."""

    parameter: str
    low: float
    high: float
    full_low: float
    full_high: float
    qp: float  # PRIM's quasi-p-value of the restriction (Bryant & Lempert 2010)


@dataclass(frozen=True)
class Box:
    """A PRIM box: its statistics (recomputed from its limits) and its restrictions."""

    coverage: float
    density: float
    mass: float
    n_inside: int
    n_cases: int
    limits: tuple[Limit, ...]
    meets_threshold: bool
    trajectory: tuple[tuple[float, float, int], ...]  # (coverage, density, res_dim)
    threshold: float = 0.8  # the density aimed at

    def describe(self) -> str:
        """``a in [0.3, 0.6] and b in [0.1, 0.2]`` (restricted parameters only)."""
        if not self.limits:
            return "anywhere (no restriction)"
        return " and ".join(f"{lim.parameter} in [{lim.low:.3g}, {lim.high:.3g}]"
                            for lim in self.limits)


def ema_prim() -> Any:
    """EMA Workbench's ``prim`` module, or a one-line error naming the extra.

    Its import prints nothing and leaves the warning filters as they were."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        raise AnalysisError(f"scenario discovery needs EMA Workbench: {EXTRA}") from None
    return prim


def box_stats(X: Mapping[str, np.ndarray], y: np.ndarray,
              limits: Mapping[str, tuple[float, float]]) -> tuple[float, float, float, int]:
    """(coverage, density, mass, n inside) of the box ``limits`` (inclusive bounds)."""
    inside = np.ones(len(y), dtype=bool)
    for name, (lo, hi) in limits.items():
        v = np.asarray(X[name], dtype=float)
        inside &= (v >= lo) & (v <= hi)
    n_in, cases = int(inside.sum()), int(y.sum())
    coverage = float((y & inside).sum() / cases) if cases else float("nan")
    density = float((y & inside).sum() / n_in) if n_in else float("nan")
    return coverage, density, float(n_in / len(y)), n_in


def prim_boxes(X: Mapping[str, Sequence[float]], y: Sequence[bool], *, threshold: float = 0.8,
               peel_alpha: float = 0.05, max_boxes: int = 2) -> list[Box]:
    """Up to ``max_boxes`` PRIM boxes for the outcome ``y`` over the settings ``X``.

    Parameters
    ----------
    X : parameter name -> its value in each setting (all the same length n).
    y : n booleans, True where the outcome happened.
    threshold : density a box should reach (0-1).
    peel_alpha : share of the remaining settings peeled off at each step.
    max_boxes : further boxes are looked for among the settings the earlier boxes left
        out; a later box's density is of the settings inside it that no earlier box
        holds, its coverage and mass shares of all cases and settings (as in EMA
        Workbench), so the coverages of the boxes add up.

    Raises
    ------
    AnalysisError
        When EMA Workbench is missing, no setting (or every one) has the outcome, or
        EMA's statistics of a box disagree with :func:`box_stats`.
    """
    prim = ema_prim()
    import pandas as pd  # EMA Workbench's dependency, present with it

    names = list(X)
    frame = pd.DataFrame({k: np.asarray(X[k], dtype=float) for k in names})
    outcome = np.asarray(y, dtype=bool)
    if outcome.all() or not outcome.any():
        raise AnalysisError(f"the outcome happens in {int(outcome.sum())} of {outcome.size} "
                            "settings: nothing to discover (it must happen in some, not all)")
    full = {k: (float(frame[k].min()), float(frame[k].max())) for k in names}
    base = float(outcome.mean())
    aim = threshold if base < threshold else (1 + base) / 2  # a box must beat the base rate
    boxes: list[Box] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(frame, outcome, threshold=aim, peel_alpha=peel_alpha)
        left = np.ones(outcome.size, dtype=bool)  # settings no earlier box holds
        for _ in range(max_boxes):
            found = finder.find_box()
            if found is None:
                break
            box = _box(found, frame[left].reset_index(drop=True), outcome[left], full, aim,
                       int(outcome.sum()), outcome.size)
            if not box.limits or (boxes and not box.meets_threshold):
                break  # the whole space, or a weak second box: nothing to report
            boxes.append(box)
            if found.coverage >= 1.0:
                break
            left[np.asarray(found.yi, dtype=int)] = False  # what EMA takes out: the box as
            # selected, before any side is dropped
    return boxes


def _box(found: Any, frame: Any, y: np.ndarray, full: dict[str, tuple[float, float]],
         threshold: float, all_cases: int, all_settings: int) -> Box:
    """Select the box on ``found``'s trajectory and check it against :func:`box_stats`.

    ``frame``/``y``: the settings no earlier box holds; coverage and mass are shares of
    ``all_cases`` and ``all_settings`` (EMA Workbench's convention), density of the
    settings inside."""
    traj = found.peeling_trajectory
    ok = traj[traj.density >= threshold]
    meets = not ok.empty
    pick = ok if meets else traj[traj.density == traj.density.max()]
    best = pick.sort_values(["coverage", "res_dim"], ascending=[False, True]).index[0]
    found.select(int(best))
    lim = found.box_lim  # the selected box
    bounds = {k: (float(lim[k].iloc[0]), float(lim[k].iloc[1])) for k in lim.columns}
    qp = _quasi_p(found, int(best))
    restricted = [k for k, (lo, hi) in bounds.items()
                  if lo > full[k][0] or hi < full[k][1]]
    coverage, density, mass, n_in = box_stats(frame, y, {k: bounds[k] for k in restricted})
    coverage *= y.sum() / all_cases
    mass *= len(y) / all_settings
    if not (np.isclose(coverage, found.coverage) and np.isclose(density, found.density)
            and np.isclose(mass, found.mass)):
        raise AnalysisError(f"EMA Workbench's box disagrees with its own limits (coverage "
                            f"{found.coverage:.3f} vs {coverage:.3f}, density "
                            f"{found.density:.3f} vs {density:.3f}, mass {found.mass:.3f} vs "
                            f"{mass:.3f}): not reported")
    # a side of a restriction PRIM's quasi-p-value does not support (> 0.05) may be
    # chance: that bound goes back to the full range
    kept: dict[str, tuple[float, float, float]] = {}
    for k in restricted:
        (lo, hi), (q_lo, q_hi) = bounds[k], qp.get(k, (0.0, 0.0))
        lo = full[k][0] if q_lo > MAX_QP else lo
        hi = full[k][1] if q_hi > MAX_QP else hi
        sides = [q for q, moved in ((q_lo, lo > full[k][0]), (q_hi, hi < full[k][1])) if moved]
        if sides:
            kept[k] = (lo, hi, max(sides))
    if [(k, v[:2]) for k, v in kept.items()] != [(k, bounds[k]) for k in restricted]:
        coverage, density, mass, n_in = box_stats(frame, y, {k: v[:2] for k, v in
                                                             kept.items()})
        coverage *= y.sum() / all_cases
        mass *= len(y) / all_settings
        meets = density >= threshold
    limits = tuple(Limit(k, lo, hi, *full[k], q) for k, (lo, hi, q) in
                   sorted(kept.items(), key=lambda kv: kv[1][2]))
    return Box(coverage, density, mass, n_in, all_cases, limits, meets,
               tuple((float(c), float(d), int(r)) for c, d, r in
                     zip(traj.coverage, traj.density, traj.res_dim)), threshold)


def _quasi_p(found: Any, i: int) -> dict[str, tuple[float, float]]:
    """Each restricted parameter's quasi-p-values of its (lower, upper) bound; NaN for
    a side PRIM did not restrict (then it counts as 0: nothing to drop)."""
    try:
        _, table = found.inspect(i, style="data")[0]
    except Exception:  # an EMA version without it: no p-values, nothing dropped
        return {}
    cols = [c for c in table.columns if "qp" in str(c)]
    out = {}
    for k, row in table.loc[:, cols].iterrows():
        vals = np.nan_to_num(row.to_numpy(dtype=float), nan=0.0)
        out[str(k)] = (float(vals[0]), float(vals[-1]))
    return out


# ----------------------------------------------------------------------------- conditions
_COND = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|==|!=|<|>)\s*"
                   r"([-+]?(?:[0-9]*\.?[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*$")
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal}


def parse_where(text: str, columns: Sequence[str]) -> list[tuple[str, str, float]]:
    """``"engaged_gap > 0.2 and engaged_final < 0.3"`` -> [(column, op, value), ...].

    Conditions are joined by ``and``; values are numbers in the unit of the table
    (shares as fractions: 0.2 is 20 %). Raises :class:`AnalysisError` naming an
    unknown column (with a did-you-mean) or a condition that does not parse.
    """
    out = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = _COND.match(part)
        if not m:
            raise AnalysisError(f"--where: {part.strip()!r}: expected COLUMN OP NUMBER, "
                                "e.g. 'engaged_gap > 0.2' (OP one of < <= > >= == !=)")
        col, op, value = m.group(1), m.group(2), float(m.group(3))
        if col not in columns:
            raise AnalysisError(f"--where: {col}: no such column{did_you_mean(col, list(columns))}")
        out.append((col, op, value))
    return out


def evaluate(conditions: Sequence[tuple[str, str, float]],
             table: Mapping[str, np.ndarray]) -> np.ndarray:
    """Where every condition holds (NaN never satisfies one)."""
    hit = np.ones(len(next(iter(table.values()))), dtype=bool)
    for col, op, value in conditions:
        v = np.asarray(table[col], dtype=float)
        hit &= _OPS[op](v, value) & ~np.isnan(v)
    return hit


# ----------------------------------------------------------------------------- folders
@dataclass
class Discovery:
    """What :func:`discover_folder` found: the boxes and where it wrote them."""

    boxes: list[Box]
    n_settings: int
    n_cases: int
    outcome: str
    out: Path


def _numbers(rows: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    out = []
    for r in rows:
        try:
            out.append(float(r[key]))
        except (TypeError, ValueError):
            out.append(float("nan"))
    return np.array(out)


def settings_table(folder: Path, policy: str | None = None
                   ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], str]:
    """(parameters X, outcome columns, what a row is) of a sweep or robustness folder.

    A sweep (``manifest.json`` with its ``parameters``): one setting per design point,
    every numeric column of ``runs.csv`` averaged over its replicates. A comparison with
    a robustness analysis (``robustness.json``): one setting per point, the rows of
    ``robustness_points.csv`` of one ``policy`` (its outcomes, the baseline's
    ``baseline_*`` and the paired differences ``diff_*``).
    """
    spec_file, manifest = folder / "robustness.json", folder / "manifest.json"
    if spec_file.exists():
        spec = json.loads(spec_file.read_text())
        rows = read_csv(folder / "robustness_points.csv")
        policies = list(dict.fromkeys(r["policy"] for r in rows))
        if policy is None and len(policies) == 1:
            policy = policies[0]
        if policy not in policies:
            raise AnalysisError(f"{folder}: name a policy with --policy (one of "
                                f"{', '.join(policies)})" if policy is None else
                                f"--policy {policy}: not in {folder} (policies: "
                                f"{', '.join(policies)})")
        rows = [r for r in rows if r["policy"] == policy]
        params, what = spec["parameters"], f"parameter setting ({policy} and the baseline)"
    elif manifest.exists() and (folder / "runs.csv").exists():
        head = json.loads(manifest.read_text())
        params = head.get("parameters") or []
        numeric_design(head.get("points") or [], params, str(folder))  # or refuse
        runs = read_csv(folder / "runs.csv")
        by: dict[str, list[dict[str, str]]] = {}
        for r in runs:
            by.setdefault(r["point"], []).append(r)
        cols = [k for k in runs[0] if k not in ("point", "replicate", "seed")]
        with warnings.catch_warnings():  # a column that is NaN at a point stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            rows = [{"point": p, **{k: str(np.nanmean(_numbers(rs, k))) for k in cols}}
                    for p, rs in by.items()]
        what = "design point (replicates averaged)"
    else:
        raise AnalysisError(f"{folder}: neither a sweep (manifest.json and runs.csv) nor a "
                            "comparison with a robustness analysis (robustness.json)")
    if not params:
        raise AnalysisError(f"{folder}: no varied parameters recorded")
    X = {p: _numbers(rows, p) for p in params}
    columns = {k: _numbers(rows, k) for k in rows[0] if k not in params and k != "policy"}
    return X, columns, what


def discover_folder(folder: str | Path, where: str, *, policy: str | None = None,
                    threshold: float = 0.8, out: str | Path | None = None) -> Discovery:
    """PRIM boxes of the settings of ``folder`` where ``where`` holds; writes
    ``discovery.csv`` and ``discovery.png``/``.svg`` into ``out`` (default
    ``FOLDER/discovery-<condition>``, replaced as a whole)."""
    folder = Path(folder)
    X, columns, what = settings_table(folder, policy)
    conditions = parse_where(where, list(columns))
    y = evaluate(conditions, columns)
    boxes = prim_boxes(X, y, threshold=threshold)
    words = {">=": " ge ", "<=": " le ", "==": " eq ", "!=": " ne ", ">": " gt ", "<": " lt "}
    slug = re.sub(r">=|<=|==|!=|>|<", lambda m: words[m.group(0)], where)
    slug = re.sub(r"[^A-Za-z0-9.]+", "_", slug).strip("_")
    out = Path(out) if out else folder / f"discovery-{slug}"
    outcome = where + (f" ({policy})" if policy else "")
    with output_folder(out, "discover") as stage:
        write_json(stage / "manifest.json", manifest(
            command="discover", source=str(folder), where=where, policy=policy,
            threshold=threshold, settings=len(y), cases=int(y.sum())))
        write_csv(stage / "discovery.csv", [
            {"outcome": outcome, "box": i + 1, "coverage": round(b.coverage, 4),
             "density": round(b.density, 4), "mass": round(b.mass, 4),
             "settings_inside": b.n_inside, "cases": b.n_cases, "settings": len(y),
             "density_aimed": round(b.threshold, 4), "meets_threshold": b.meets_threshold,
             "ranges": b.describe()}
            for i, b in enumerate(boxes)])
        write_csv(stage / "box_limits.csv", [
            {"box": i + 1, "parameter": lim.parameter, "low": lim.low, "high": lim.high,
             "full_low": lim.full_low, "full_high": lim.full_high, "qp_value": lim.qp}
            for i, b in enumerate(boxes) for lim in b.limits])
        if boxes:
            discovery_figure(boxes[0], X, y, f"Where {outcome}: one {what} per point",
                             stage / "discovery.png")
    return Discovery(boxes, len(y), int(y.sum()), outcome, out)
