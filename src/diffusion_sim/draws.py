"""Parameter draws: a scenario whose parameters come from a sample (a posterior).

A scenario file may name a CSV of draws (``diffusion-sim calibrate`` writes one,
``posterior_draws.csv``)::

    parameters_from = "posterior_draws.csv"   # relative to the scenario file

The file has a header of dotted scenario keys (a first column ``draw`` is ignored) and
one row per draw. **Replicate r uses draw r mod D** (D rows; the draws are themselves a
random resample of the posterior, so cycling through them is a random sample of it),
whatever the command: ``run`` (replicate r), ``compare`` (replicate r of *every*
scenario: the same draw, so differences stay paired and their intervals include the
parameter uncertainty) and ``sweep`` (replicate r of every point). The draw's values
replace the scenario's own for those keys; a comparison or sweep that changes one of
them would be overruled, so it is refused (:func:`check_comparable`).

The draw is applied by :func:`~diffusion_sim.replicate.replicate` (the one place every
command runs a model), and noted in the run's notes, so every report says that its
intervals include parameter uncertainty.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from diffusion_sim.config import regular_file
from diffusion_sim.errors import ScenarioError


@dataclass(frozen=True)
class Draws:
    """A validated table of parameter draws.

    Attributes
    ----------
    file : str, the file read
    columns : tuple of str, dotted scenario keys
    rows : tuple of tuple of float, one per draw
    """

    file: str
    columns: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def index(self, replicate: int) -> int:
        """The draw replicate ``replicate`` uses (cycling)."""
        return replicate % len(self.rows)

    def values(self, replicate: int) -> dict[str, float]:
        """Replicate ``replicate``'s parameter values, by dotted key."""
        return dict(zip(self.columns, self.rows[self.index(replicate)]))

    def extremes(self) -> tuple[dict[str, float], dict[str, float]]:
        """(column minima, column maxima): what a scenario must accept."""
        cols = list(zip(*self.rows))
        return ({c: min(v) for c, v in zip(self.columns, cols)},
                {c: max(v) for c, v in zip(self.columns, cols)})

    def note(self) -> str:
        """The line every run's notes carry."""
        return (f"parameters {', '.join(self.columns)} drawn from {self.file} "
                f"({len(self)} draws): replicate r uses draw r mod {len(self)}, the same "
                "draw in every scenario, so intervals include parameter uncertainty")


def read_draws(path: str | Path) -> Draws:
    """Read a draws file (cached by path, size and modification time).

    Raises
    ------
    ScenarioError
        ``FILE:LINE: what is wrong`` (missing file, bad header, non-numeric value).
    """
    path = Path(path)
    st = regular_file(path, ScenarioError, "draws file (parameters_from)")
    return _read(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=16)
def _read(path: str, size: int, mtime: int) -> Draws:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            lines = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read draws: {exc}") from None
    if not lines or not lines[0]:
        raise ScenarioError(f"{path}:1: no header (expected dotted scenario keys)")
    header = [h.strip() for h in lines[0]]
    skip = 1 if header[0] == "draw" else 0
    columns = tuple(header[skip:])
    if not columns or any(not c or "." not in c for c in columns):
        raise ScenarioError(f"{path}:1: every column but 'draw' must be a dotted scenario "
                            f"key, got {','.join(header)}")
    if len(set(columns)) != len(columns):
        raise ScenarioError(f"{path}:1: a column appears twice")
    rows = []
    for i, cells in enumerate(lines[1:], start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise ScenarioError(f"{path}:{i}: {len(cells)} fields, the header has "
                                f"{len(header)}")
        try:
            row = tuple(float(c) for c in cells[skip:])
        except ValueError:
            raise ScenarioError(f"{path}:{i}: a value is not a number") from None
        if not all(math.isfinite(v) for v in row):
            raise ScenarioError(f"{path}:{i}: a value is not finite")
        rows.append(row)
    if not rows:
        raise ScenarioError(f"{path}: a header but no draws")
    return Draws(path, columns, tuple(rows))


def check_comparable(baseline: Any, scenarios: Sequence[Any]) -> None:
    """Refuse a comparison whose scenarios do not share the baseline's draws, or that
    changes a drawn parameter (the draw would overrule the change).

    ``baseline`` and ``scenarios`` are :class:`~diffusion_sim.scenario.Scenario`.
    """
    def drawn(sc: Any) -> Draws | None:
        return read_draws(sc.resolve_path(sc.parameters_from)) if sc.parameters_from else None

    base = drawn(baseline)
    for sc in scenarios:
        mine = drawn(sc)
        if (base is None) != (mine is None) or (base and mine and base.rows != mine.rows) or (
                base and mine and base.columns != mine.columns):
            raise ScenarioError(
                f"'{sc.name}' and the baseline '{baseline.name}' do not draw their "
                "parameters from the same file (parameters_from): their differences "
                "would mix parameter uncertainty with the policy; give every scenario "
                "the baseline's parameters_from")
        for col in (base.columns if base else ()):
            if sc.get(col) != baseline.get(col):
                raise ScenarioError(
                    f"'{sc.name}' changes {col}, which is drawn from "
                    f"{base.file} in every replicate; the draw would overrule the change "
                    "(change another parameter, or calibrate without it)")


def check_draws(scenario: Any) -> None:
    """A scenario's draws file is readable, names numeric keys, and its smallest and
    largest values make valid scenarios (raises :class:`ScenarioError`)."""
    draws = read_draws(scenario.resolve_path(scenario.parameters_from))
    for col in draws.columns:
        try:
            current = scenario.get(col)
        except ScenarioError:
            raise ScenarioError(f"{draws.file}:1: {col}: no such scenario key (see "
                                "diffusion-sim describe)") from None
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ScenarioError(f"{draws.file}:1: {col}: not a number in the scenario")
    for values in draws.extremes():
        scenario.with_overrides({**values, "parameters_from": ""}, source=draws.file)


def apply_draw(scenario: Any, key: tuple[int, ...]) -> Any:
    """The scenario of the replicate with run key ``key``: replicate ``key[-1]`` takes
    draw ``key[-1] mod D`` (``key = ()``: draw 0), without ``parameters_from``."""
    draws = read_draws(scenario.resolve_path(scenario.parameters_from))
    return scenario.with_overrides({**draws.values(key[-1] if key else 0),
                                    "parameters_from": ""}, source=draws.file)


def draw_notes(scenario: Any) -> tuple[str, ...]:
    """What a replicate's notes say about its scenario's draws (empty without them)."""
    if not scenario.parameters_from:
        return ()
    return (read_draws(scenario.resolve_path(scenario.parameters_from)).note(),)
