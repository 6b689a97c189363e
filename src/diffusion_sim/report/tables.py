"""The comparison's tables: the formatted summary (Markdown, HTML), the tidy
``summary.csv``, and the parameters that differ between scenarios.

``summary.csv`` is tidy numbers, one row per (measure, scenario): ``measure, scenario,
mean, low, high, diff, diff_low, diff_high, unit, label, n``. Values are in the unit
named in ``unit`` (``%`` for shares, ``per act``, ``weeks``, ``index``, ...); ``diff``
and its interval are the paired difference from the baseline in the same unit (for
``%``, percentage points), blank for the baseline itself. ``low``/``high`` bound the
95 % Student-t interval across replications (simulation noise only). Per-group rows
of groups suppressed for privacy are left out. ``summary.md`` keeps the formatted
table a person reads.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from diffusion_sim.measures import Measure

if TYPE_CHECKING:
    from diffusion_sim.compare import Comparison
    from diffusion_sim.scenario import Scenario


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def differing_parameters(scenarios: Sequence[Scenario]) -> list[dict[str, Any]]:
    """Rows (parameter, value per scenario) for every parameter that is not the same in all.

    Per-group trait values are resolved so a group override shows against the default.
    """
    flat = []
    for sc in scenarios:
        d = _flatten({k: v for k, v in sc.to_dict().items() if k not in ("name", "description")})
        for t, tp in sc.traits.items():
            for g in range(sc.n_groups):
                d[f"traits.{t}.group{g + 1}.mean"] = tp.group_mean[g]
        for g, p in enumerate(sc.digital_access.group_probability):
            d[f"digital_access.group{g + 1}.probability"] = p
        flat.append(d)
    keys = sorted(set().union(*flat))
    rows = []
    for k in keys:
        vals = [f.get(k, "") for f in flat]
        if any(v != vals[0] for v in vals[1:]):
            if k.startswith("traits.") and k.count(".") == 2 and k.split(".")[2].startswith(
                    "group"):
                continue  # the override table itself; its resolved value is listed
            rows.append({"parameter": k, **{sc.name: v for sc, v in zip(scenarios, vals)}})
    return rows


def _interval(m: Measure, lo: float, hi: float) -> str:
    return f"{m.show(lo)} to {m.show(hi)}"


def suppressed_groups(comp: Comparison, min_count: int) -> set[int]:
    """1-based groups whose size is below ``min_count`` in any scenario built on user files."""
    out: set[int] = set()
    for sc in comp.all_scenarios:
        if sc.uses_user_data:
            sizes = comp.group_sizes[sc.name]
            out |= {g + 1 for g, s in enumerate(sizes) if s < min_count}
    return out


def summary_table(comp: Comparison, min_count: int = 10) -> list[dict[str, str]]:
    """The one-minute table: per scenario, headline metrics with 95 % intervals and the
    paired difference from the baseline (✱ where its interval excludes 0)."""
    hidden = suppressed_groups(comp, min_count)
    diffs = {(r["scenario"], r["metric"]): r for r in comp.differences()}
    means = {(r["scenario"], r["metric"]): r for r in comp.means()}
    rows = []
    for h in comp.measures:
        g = int(h.key.rsplit("_g", 1)[1]) if "_final_g" in h.key else None
        row = {"measure": h.label, "unit": h.unit}
        for sc in comp.all_scenarios:
            if g is not None and g in hidden:
                row[sc.name] = f"suppressed (< {min_count} people)"
                continue
            m = means[(sc.name, h.key)]
            cell = f"{h.show(m['mean'])} ({_interval(h, m['low'], m['high'])})"
            if sc is not comp.baseline:
                d = diffs[(sc.name, h.key)]
                star = " ✱" if d["excludes_zero"] else ""
                cell += (f"; Δ {h.show(d['difference'], signed=True)} "
                         f"({_interval(h, d['diff_low'], d['diff_high'])}){star}")
            row[sc.name] = cell
        rows.append(row)
    return rows


def _number(value: float, scale: float) -> float:
    """``value`` on the displayed scale, without the float noise of the product."""
    return float(f"{value * scale:.12g}")


def tidy_summary(comp: Comparison, min_count: int = 10) -> list[dict[str, Any]]:
    """The rows of ``summary.csv`` (see the module docstring)."""
    hidden = suppressed_groups(comp, min_count)
    diffs = {(r["scenario"], r["metric"]): r for r in comp.differences()}
    means = {(r["scenario"], r["metric"]): r for r in comp.means()}
    rows = []
    for h in comp.measures:
        if "_final_g" in h.key and int(h.key.rsplit("_g", 1)[1]) in hidden:
            continue
        for sc in comp.all_scenarios:
            m = means[(sc.name, h.key)]
            d = diffs.get((sc.name, h.key))
            rows.append({
                "measure": h.key, "scenario": sc.name,
                "mean": _number(m["mean"], h.scale), "low": _number(m["low"], h.scale),
                "high": _number(m["high"], h.scale),
                "diff": None if d is None else _number(d["difference"], h.scale),
                "diff_low": None if d is None else _number(d["diff_low"], h.scale),
                "diff_high": None if d is None else _number(d["diff_high"], h.scale),
                "unit": h.unit, "label": h.label, "n": m["n"]})
    return rows


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out) + "\n"


def html_table(rows: Sequence[dict[str, Any]], cls: str = "") -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>"
                                     for c in cols) + "</tr>" for r in rows)
    attr = f" class='{cls}'" if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
