"""The long tables every command writes: per-step series and per-metric summaries.

- :func:`series_rows`: a run's counters in long form, one row per (step, group);
- :func:`summary_rows`: mean and 95 % Student-t interval of every numeric metric of
  many runs, per value of some keys (a scenario, a design point).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from diffusion_sim.metrics import mean_ci


def series_rows(counts: np.ndarray, columns: Sequence[str], group_sizes: np.ndarray,
                concern: np.ndarray | None = None, **ids: Any) -> list[dict[str, Any]]:
    """Per-step counts in long form: one dict per (step, group), ``ids`` first; with
    ``concern`` (per-group sums), the group's mean privacy concern as
    ``privacy_concern_mean``."""
    rows = []
    for t in range(counts.shape[0]):
        for g in range(counts.shape[1]):
            row = dict(ids)
            row.update(step=t, group=g + 1, population=int(group_sizes[g]))
            row.update({c: int(v) for c, v in zip(columns, counts[t, g])})
            if concern is not None:
                size = int(group_sizes[g])
                row["privacy_concern_mean"] = float(concern[t, g] / size) if size else \
                    float("nan")
            rows.append(row)
    return rows


def summary_rows(runs: Sequence[dict[str, Any]], by: Sequence[str] = (),
                 skip: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Mean and 95 % Student-t interval of every numeric metric, per value of ``by``."""
    skip = set(skip) | set(by)
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault(tuple(r[b] for b in by), []).append(r)
    out = []
    for key, rows in groups.items():
        metrics = [k for k, v in rows[0].items()
                   if k not in skip and isinstance(v, int | float) and not isinstance(v, bool)]
        for m in metrics:
            values = np.array([r[m] for r in rows], dtype=float)
            mean, lo, hi = mean_ci(values)
            row = dict(zip(by, key))
            row.update(metric=m, n=int(np.sum(~np.isnan(values))), mean=mean, ci_low=lo,
                       ci_high=hi)
            out.append(row)
    return out
