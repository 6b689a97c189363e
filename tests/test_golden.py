"""Golden runs: the stored outputs of fixed scenarios and seeds, value for value.

The engine-equality test cannot see a change of semantics made identically in both
engines; this test can. ``tests/golden/expected`` was written by
``tests/golden/generate.py`` from the stage-1 copies of the bundled scenarios in
``tests/golden/inputs``. Every column of a golden file must be present in today's
output with the identical text in every row (new columns may be added beside them, and
in long tables (a ``metric`` or ``measure`` column) rows of new measures, e.g. when a new output is
introduced; no golden value may change). Regenerate only on
a deliberate, documented change of semantics, in a commit of its own.
"""

import csv
from pathlib import Path

import pytest

from golden_cases import CASES, produce

GOLDEN = Path(__file__).parent / "golden"


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def assert_same_values(expected: Path, actual: Path) -> None:
    head_e, rows_e = read(expected)
    head_a, rows_a = read(actual)
    missing = [c for c in head_e if c not in head_a]
    assert not missing, f"{actual.name}: golden columns missing: {missing}"
    key = next((k for k in ("metric", "measure") if k in head_e), None)
    if key:  # a long table: rows of new measures may be added between the golden rows
        m_e, m_a = head_e.index(key), head_a.index(key)
        golden_metrics = {r[m_e] for r in rows_e}
        rows_a = [r for r in rows_a if r[m_a] in golden_metrics]
    assert len(rows_a) == len(rows_e), f"{actual.name}: {len(rows_a)} rows, golden {len(rows_e)}"
    where = [head_a.index(c) for c in head_e]
    for i, (re_, ra) in enumerate(zip(rows_e, rows_a)):
        got = [ra[j] for j in where]
        if got != re_:
            diff = [(c, e, a) for c, e, a in zip(head_e, re_, got) if e != a][:5]
            raise AssertionError(f"{actual.name} row {i + 1}: (column, golden, now) {diff}")


@pytest.mark.parametrize("case", [c for c in CASES if c != "counts"])
def test_golden_outputs_unchanged(case, tmp_path):
    out = produce(case, GOLDEN / "inputs", tmp_path / case)
    for name in CASES[case]:
        assert_same_values(GOLDEN / "expected" / case / name, out / name)


@pytest.mark.parametrize("engine", ["compiled", "agents"])
def test_golden_counts_unchanged_in_each_engine(engine, tmp_path):
    out = produce("counts", GOLDEN / "inputs", tmp_path / "counts", engine=engine)
    assert_same_values(GOLDEN / "expected" / "counts" / "counts.csv", out / "counts.csv")
