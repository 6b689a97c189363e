"""Reading a user's node-attribute file: who the people are, their group and traits.

Errors are :class:`~diffusion_sim.errors.NetworkInputError`, one line
``file:LINE: what is wrong``; what the reader did (columns ignored) is returned as
notes, one sentence each, which every command prints and every report states.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diffusion_sim.config import regular_file
from diffusion_sim.errors import NetworkInputError
from diffusion_sim.network.text import CsvRows


@dataclass
class NodeTable:
    """People described by a user's files.

    Attributes
    ----------
    ids : list of str
        Person ids, in index order.
    group : ndarray of int8
        0-based group of each person.
    traits : dict of str -> ndarray of float64
        The trait columns the files give (values in [0, 1]); NaN where a row leaves the
        value empty (the model draws those from the scenario's distributions).
    access : ndarray of float64 or None
        Digital access: 1.0, 0.0, or NaN where not given; None without the column.
    notes : list of str
        What reading the node file did (e.g. columns ignored), one sentence each.
    """

    ids: list[str]
    group: np.ndarray
    traits: dict[str, np.ndarray]
    access: np.ndarray | None
    notes: list[str] = field(default_factory=list)


_ACCESS_TRUE = {"1", "true", "yes"}
_ACCESS_FALSE = {"0", "false", "no"}


def _column_name(h: str) -> str:
    """A header cell as a column name: case, blanks around it, and inner blanks or
    hyphens (``Privacy Concern``, ``digital-access``) do not matter."""
    return "_".join(h.strip().lower().replace("-", " ").split())


def _columns(path: Path, header: list[str], optional: list[str]) -> tuple[dict[str, int], str]:
    """Position of each known column, and the note about the ignored ones ("" if none).

    Known columns are matched by :func:`_column_name`. Any other column is ignored
    (noted), unless its name is close to a known column the file lacks (a misspelling
    would silently drop data): that is refused with a did-you-mean.
    """
    known = ["id", "group", *optional]
    col: dict[str, int] = {}
    for i, h in enumerate(header):
        name = _column_name(h)
        if name in known:
            if name in col:
                raise NetworkInputError(
                    f"{path}:1: column '{name}' appears twice "
                    f"(columns {col[name] + 1} and {i + 1})")
            col[name] = i
    for need in ("id", "group"):
        if need not in col:
            sep = next((name for c, name in ((";", "semicolons"), ("\t", "tabs"))
                        if len(header) == 1 and c in header[0]), None)
            raise NetworkInputError(
                f"{path}:1: missing column '{need}' (header: {','.join(header)})" +
                (f"; columns are separated by commas, this header has {sep}" if sep else ""))
    ignored = []
    for i, h in enumerate(header):
        name = _column_name(h)
        if name in known:
            continue
        close = difflib.get_close_matches(name, [k for k in known if k not in col], 1, 0.8)
        if close:
            raise NetworkInputError(
                f"{path}:1: unknown column '{h.strip()}': did you mean '{close[0]}'? "
                f"(rename it '{close[0]}' to use it, or give it a name unlike the known "
                f"columns to have it ignored)")
        ignored.append(h.strip() or f"(unnamed column {i + 1})")
    note = ""
    if ignored:
        which = "columns " + ", ".join(ignored) if len(ignored) > 1 else f"column {ignored[0]}"
        note = f"{path.name}: {which} ignored (not used by the model)"
    return col, note


def _value(path: Path, line: int, name: str, raw: str) -> float:
    """One optional cell: a trait in [0, 1] or digital access as 1.0/0.0; NaN if empty."""
    if raw == "":
        return math.nan
    if name == "digital_access":
        low = raw.lower()
        if low not in _ACCESS_TRUE | _ACCESS_FALSE:
            raise NetworkInputError(f"{path}:{line}: digital_access '{raw}' is not 0/1/true/false")
        return 1.0 if low in _ACCESS_TRUE else 0.0
    try:
        x = float(raw)
    except ValueError:
        x = math.nan
    if not 0.0 <= x <= 1.0:
        raise NetworkInputError(f"{path}:{line}: {name} '{raw}' is not a number in [0, 1]")
    return x


def read_nodes_file(path: Path, n_groups: int, traits: Sequence[str]) -> NodeTable:
    """Read a node-attribute CSV ``id,group[,traits...][,digital_access][,others...]``.

    The header is required. Column names are matched ignoring case, surrounding
    blanks, and blanks or hyphens inside (``Privacy Concern`` is ``privacy_concern``).
    ``id`` is any non-empty string (unique); ``group`` an integer from 1 (most
    deprived) to ``n_groups``; optional columns are the traits (``privacy_concern``,
    ``identity_sensitivity``, ``other_regard``, ``receptiveness``: numbers in [0, 1])
    and ``digital_access`` (0/1, true/false, yes/no). An empty optional cell means
    "not given". Any other column (a real data set's name, age, postcode, ...) is
    ignored and named in a note, e.g. ``nodes.csv: columns name, age ignored (not used
    by the model)``; but a column whose name is close to a known column the file does
    not have (``privacy_concen``) is refused, since ignoring it would drop data the
    user meant to give. Blank lines are skipped. Fields may be quoted (CSV).

    Parameters
    ----------
    path : Path
    n_groups : int
        Number of groups in the scenario.
    traits : sequence of str
        The trait columns the file may have (the scenario's
        :data:`~diffusion_sim.scenario.TRAITS`).

    Returns
    -------
    NodeTable
        With ``notes`` naming the ignored columns (empty if none).

    Raises
    ------
    NetworkInputError
        One line ``path:LINE: what is wrong`` for a missing, repeated or misspelt column
        (line 1), a wrong number of fields, an empty or duplicate id, a bad group, trait
        or access value.
    """
    path = Path(path)
    optional = [*traits, "digital_access"]
    regular_file(path, NetworkInputError, "node file")
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise NetworkInputError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        reader = CsvRows(fh, path)
        header = next(reader, None)
        if header is None:
            raise NetworkInputError(f"{path}:1: empty file (expected a header id,group,...)")
        col, note = _columns(path, header, optional)
        ids: list[str] = []
        seen: dict[str, int] = {}
        group: list[int] = []
        values: dict[str, list[float]] = {h: [] for h in optional if h in col}
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise NetworkInputError(
                    f"{path}:{line}: expected {len(header)} fields, got {len(row)}"
                )
            pid = row[col["id"]].strip()
            if not pid:
                raise NetworkInputError(f"{path}:{line}: empty id")
            if pid in seen:
                raise NetworkInputError(
                    f"{path}:{line}: duplicate id '{pid}' (first at line {seen[pid]})"
                )
            seen[pid] = line
            g = row[col["group"]].strip()
            if not (g.isascii() and g.isdigit()) or not 1 <= int(g) <= n_groups:
                raise NetworkInputError(
                    f"{path}:{line}: group '{g}' is not an integer from 1 to {n_groups}"
                )
            ids.append(pid)
            group.append(int(g) - 1)
            for h in values:
                values[h].append(_value(path, line, h, row[col[h]].strip()))
    if not ids:
        raise NetworkInputError(f"{path}: no people: the file has only its header")
    access = np.array(values.pop("digital_access"), float) if "digital_access" in values else None
    return NodeTable(
        ids,
        np.array(group, dtype=np.int8),
        {h: np.array(v, float) for h, v in values.items()},
        access,
        [note] if note else [],
    )
