"""Observed data: the targets file, validated, and what a run says about each target.

A targets file is CSV with a header and one observed figure per row::

    # engagement by quintile reported by a (hypothetical) programme
    week,group,measure,value,n
    12,1,engaged,0.061,400
    12,all,engaged,0.095,2000
    52,5,engaged_now,0.12,

Columns (any order; ``n`` and ``source`` may be left out):

``week``
    integer, 0 .. the scenario's ``steps`` (week 0 = the start).
``group``
    ``all`` (everybody) or the group number 1 .. G (1 = most deprived).
``measure``
    what the value measures (:data:`STOCK_MEASURES`, ``shared``, ``mix_<strategy>``,
    ``acts_<strategy>``; see :func:`measure_doc`), each a fraction in [0, 1].
``value``
    the observed fraction, in [0, 1].
``n``
    optional: the number of people (or decisions) the value was observed on. When given,
    the simulated figure is observed the same way (``Binomial(n, p) / n`` for the
    simulated fraction ``p``): the survey's sampling noise is part of the simulated
    data, so the posterior allows for it.
``source``
    optional free text (where the figure comes from); ignored.

Lines starting with ``#`` and blank lines are skipped. Every mistake is one
:class:`~diffusion_sim.errors.CalibrationError` naming the file and the line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffusion_sim.config import did_you_mean, read_text
from diffusion_sim.errors import CalibrationError

#: Stock counters read as a fraction of the group at the end of the week.
STOCK_MEASURES = ("aware", "engaged", "engaged_now", "peer_aware", "peer_engaged")
#: Every column a targets file may have.
COLUMNS = ("week", "group", "measure", "value", "n", "source")
REQUIRED = ("week", "group", "measure", "value")
#: What a simulation reports for a target it cannot define (a strategy share with no
#: decision yet): far from any observed fraction, so such a run is never close.
UNDEFINED = -1.0


def measure_doc() -> dict[str, str]:
    """Each measure (or family) and its meaning, for documentation and errors."""
    return {
        "aware": "fraction of the group ever reached (aware or engaged) by the week",
        "engaged": "fraction of the group ever engaged by the week (took part)",
        "engaged_now": "fraction of the group engaged in that week (sustained engagement)",
        "peer_aware": "fraction of the group first reached through a peer by the week",
        "peer_engaged": "fraction of the group engaged through a peer by the week",
        "shared": "fraction of the group who made a sharing act (not avoid) in that week",
        "mix_<strategy>": "share of all decisions in weeks 1..week (avoid included) that "
                          "chose the strategy",
        "acts_<strategy>": "share of sharing acts in weeks 1..week made with the strategy",
    }


@dataclass(frozen=True)
class Target:
    """One observed figure (one row of the targets file).

    Attributes
    ----------
    line : int, the row's line in the file (1 = the header)
    week : int, >= 0
    group : int, 0 = everybody, else the group 1 .. G
    measure : str
    value : float in [0, 1]
    n : int or None, the sample the value was observed on
    """

    line: int
    week: int
    group: int
    measure: str
    value: float
    n: int | None

    @property
    def label(self) -> str:
        who = "all" if self.group == 0 else f"group {self.group}"
        return f"{self.measure}, {who}, week {self.week}"


def _lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line that is not blank or a ``#`` comment."""
    text = read_text(path, CalibrationError, "targets file")
    return [(i + 1, s) for i, s in enumerate(text.splitlines())
            if s.strip() and not s.lstrip().startswith("#")]


def read_targets(path: str | Path) -> tuple[Target, ...]:
    """Read and check a targets file (its form; :func:`check_targets` checks it against a
    scenario).

    Raises
    ------
    CalibrationError
        ``FILE:LINE: what is wrong`` for the first bad line.
    """
    path = Path(path)
    lines = _lines(path)
    if not lines:
        raise CalibrationError(f"{path}: no header and no targets (expected a header "
                               f"{','.join(REQUIRED)}[,n])")
    head_line, head_text = lines[0]
    header = [h.strip() for h in next(csv.reader([head_text]))]
    for h in header:
        if h not in COLUMNS:
            raise CalibrationError(f"{path}:{head_line}: unknown column {h!r}"
                                   f"{did_you_mean(h, COLUMNS)}")
    dup = {h for h in header if header.count(h) > 1}
    if dup:
        raise CalibrationError(f"{path}:{head_line}: column {sorted(dup)[0]!r} appears twice")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CalibrationError(f"{path}:{head_line}: header lacks {', '.join(missing)} "
                               f"(expected {','.join(REQUIRED)}[,n])")
    targets: list[Target] = []
    seen: dict[tuple[int, int, str], int] = {}
    for line, text in lines[1:]:
        cells = [c.strip() for c in next(csv.reader([text]))]
        t = _row(path, line, header, cells)
        key = (t.week, t.group, t.measure)
        if key in seen:
            raise CalibrationError(f"{path}:{line}: repeats line {seen[key]} ({t.label})")
        seen[key] = line
        targets.append(t)
    if not targets:
        raise CalibrationError(f"{path}: a header but no targets")
    return tuple(targets)


def _row(path: Path, line: int, header: Sequence[str], cells: Sequence[str]) -> Target:
    """One data row, checked (its form only)."""
    def fail(msg: str) -> CalibrationError:
        return CalibrationError(f"{path}:{line}: {msg}")

    if len(cells) != len(header):
        raise fail(f"{len(cells)} fields, the header has {len(header)}")
    row = dict(zip(header, cells))
    try:
        week = int(row["week"])
    except ValueError:
        raise fail(f"week: {row['week']!r} is not a whole number") from None
    if week < 0:
        raise fail(f"week: {week} is negative")
    g = row["group"].lower()
    if g == "all":
        group = 0
    else:
        try:
            group = int(g)
        except ValueError:
            raise fail(f"group: {row['group']!r} is not 'all' or a group number") from None
        if group < 1:
            raise fail(f"group: {group} is not a group number (1 = most deprived)")
    measure = row["measure"]
    if not measure:
        raise fail("measure: empty")
    if measure not in STOCK_MEASURES and measure != "shared" and not (
            measure.startswith(("mix_", "acts_")) and len(measure) > 5):
        known = [*STOCK_MEASURES, "shared", "mix_", "acts_"]
        raise fail(f"measure: unknown measure {measure!r}{did_you_mean(measure, known)}")
    try:
        value = float(row["value"])
    except ValueError:
        raise fail(f"value: {row['value']!r} is not a number") from None
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise fail(f"value: {row['value']} is not a fraction in [0, 1]")
    n = None
    if row.get("n", ""):
        try:
            n = int(row["n"])
        except ValueError:
            raise fail(f"n: {row['n']!r} is not a whole number") from None
        if n < 1:
            raise fail(f"n: {n} must be at least 1")
    return Target(line, week, group, measure, value, n)


def check_targets(targets: Sequence[Target], path: str | Path, steps: int, n_groups: int,
                  strategies: Sequence[str]) -> None:
    """Check targets against the scenario they calibrate (weeks, groups, strategies).

    Raises
    ------
    CalibrationError
        ``FILE:LINE: ...`` for the first target the scenario cannot produce.
    """
    sharing = list(strategies[1:])
    for t in targets:
        def fail(msg: str, t: Target = t) -> CalibrationError:
            return CalibrationError(f"{path}:{t.line}: {msg}")

        if t.week > steps:
            raise fail(f"week: {t.week} is after the scenario's last week ({steps})")
        if t.group > n_groups:
            raise fail(f"group: {t.group} is out of range [1, {n_groups}] (the scenario "
                       f"has {n_groups} groups)")
        for prefix, allowed in (("mix_", list(strategies)), ("acts_", sharing)):
            if t.measure.startswith(prefix):
                s = t.measure[len(prefix):]
                if s not in allowed:
                    raise fail(f"measure: {s!r} is not a strategy here"
                               f"{did_you_mean(s, allowed)}")
        if t.measure.startswith(("mix_", "acts_", "shared")) and t.week == 0:
            raise fail(f"measure: {t.measure} counts decisions, which start in week 1")


class TargetSet:
    """The targets with what a run needs to compute them fast.

    Parameters
    ----------
    targets : the checked targets (:func:`check_targets`)
    columns : the run's counter columns (``Result.columns``)
    """

    def __init__(self, targets: Sequence[Target], columns: Sequence[str]) -> None:
        self.targets = tuple(targets)
        self.columns = tuple(columns)
        col = {c: i for i, c in enumerate(self.columns)}
        self._col = col
        self._decisions = [i for i, c in enumerate(self.columns) if c.startswith("decisions_")]
        self.observed = np.array([t.value for t in self.targets], dtype=float)
        self.n = np.array([t.n or 0 for t in self.targets], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.targets)

    def fraction(self, counts: np.ndarray, sizes: np.ndarray, t: Target) -> float:
        """The run's value of target ``t`` (NaN where undefined)."""
        rows = slice(None) if t.group == 0 else slice(t.group - 1, t.group)
        size = float(sizes[rows].sum())
        if t.measure in STOCK_MEASURES:
            return float(counts[t.week, rows, self._col[t.measure]].sum()) / size
        dec = counts[1: t.week + 1, rows][:, :, self._decisions].sum(axis=(0, 1))
        if t.measure == "shared":
            week = counts[t.week, rows][:, self._decisions].sum(axis=0)
            return float(week[1:].sum()) / size
        if t.measure.startswith("mix_"):
            i = self._decisions.index(self._col["decisions_" + t.measure[4:]])
            total = dec.sum()
        else:
            i = self._decisions.index(self._col["decisions_" + t.measure[5:]])
            total = dec[1:].sum()
        return float(dec[i] / total) if total else math.nan

    def simulate(self, counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Every target's value in a run (NaN where undefined), in file order."""
        return np.array([self.fraction(counts, sizes, t) for t in self.targets])

    def observe(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Observe a run's values as the data were: ``Binomial(n, p) / n`` where a target
        has ``n``; undefined values become :data:`UNDEFINED`."""
        out = np.array(values, dtype=float)
        ok = np.isfinite(out)
        noisy = ok & (self.n > 0)
        draws = rng.binomial(np.where(noisy, self.n, 0), np.clip(np.where(ok, out, 0), 0, 1))
        out[noisy] = draws[noisy] / self.n[noisy]
        out[~ok] = UNDEFINED
        return out
