"""The scenario-comparison report: its tables (CSV, Markdown) and the HTML page.

:func:`write_comparison_report` writes every table and figure of a
:class:`~diffusion_sim.compare.Comparison` and fills ``template.html`` (beside this
module). Each headline measure is shown with its own label, unit and digits
(:data:`diffusion_sim.metrics.headlines`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from diffusion_sim.compare import people_warning
from diffusion_sim.heat_runs import write_heat_outputs
from diffusion_sim.measures import Measure
from diffusion_sim.report.figures import (
    comparison_mix_figure,
    comparison_reach_figure,
    difference_figure,
    gap_over_time_figure,
    reach_equity_figure,
)
from diffusion_sim.store import manifest, output_folder, write_csv, write_json, write_text

if TYPE_CHECKING:
    from diffusion_sim.compare import Comparison
    from diffusion_sim.scenario import Scenario

#: The intro's claim about paired differences, when every scenario has the baseline's
#: people, and when some do not.
PAIRING = ("so differences reflect the policy, not chance draws.",
           "so differences between scenarios on the same people reflect the policy, not "
           "chance draws; those on other people (see the notice above) also include the "
           "change of population.")

TEMPLATE = Path(__file__).with_name("template.html")


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
                cell += (f"; Δ {d['difference'] * h.scale:+.{h.digits}f} "
                         f"({_interval(h, d['diff_low'], d['diff_high'])}){star}")
            row[sc.name] = cell
        rows.append(row)
    return rows


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out) + "\n"


def html_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>"
                                     for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def people_lines(comp: Comparison) -> list[str]:
    """One sentence per scenario on other people than the baseline's (empty if none),
    with the number of people in each (from the runs)."""
    base = comp.baseline.name
    base_n = int(comp.group_sizes[base].sum())
    return [f"{name} ({int(comp.group_sizes[name].sum())} people; the baseline "
            f"{base_n}): {people_warning(name, base, diffs)}."
            for name, diffs in comp.world_differences.items()]


def note_lines(comp: Comparison) -> list[str]:
    """What reading the input files did, ``scenario: note`` once per scenario."""
    return [f"{sc.name}: {note}" for sc in comp.all_scenarios
            for note in comp.notes.get(sc.name, ())]


def _html_notices(comp: Comparison, people: list[str], notes: list[str],
                  min_count: int, hidden: set[int]) -> tuple[str, str]:
    """(the notice on other people, shown first; the notices after the intro)."""
    first = ""
    if people:
        first = ("<div class='notice'><p><b>Not the same people.</b> These scenarios do "
                 "not have the baseline's population or network, so their differences "
                 "from the baseline are not the policy's effect alone:</p><ul>"
                 + "".join(f"<li>{html.escape(line)}</li>" for line in people)
                 + "</ul></div>")
    after = ""
    if any(sc.uses_user_data for sc in comp.all_scenarios):
        which = f" (groups {', '.join(map(str, sorted(hidden)))})" if hidden else ""
        after = (f"<p class='notice'>This comparison uses the user's own network or "
                 f"attribute files, which may describe real people: the report shows "
                 f"aggregates only, and per-group cells of groups with fewer than "
                 f"{min_count} people are suppressed{which}.</p>")
    if notes:
        after += ("<div class='notice'><p><b>What reading the input files did:</b></p><ul>"
                  + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul></div>")
    return first, after


def _markdown_head(comp: Comparison, people: list[str], notes: list[str]) -> list[str]:
    """The first lines of summary.md: title, notices, what the cells are."""
    md = [f"# {comp.name}: scenario comparison\n"]
    if people:
        md.append("**Not the same people.** These scenarios do not have the baseline's "
                  "population or network, so their differences from the baseline are not "
                  "the policy's effect alone:\n\n" + "".join(f"- {p}\n" for p in people))
    if notes:
        md.append("**What reading the input files did:**\n\n"
                  + "".join(f"- {n}\n" for n in notes))
    md.append(f"{comp.reps} paired replications per scenario ({comp.stop_reason}). "
              "Cells: mean (95 % interval); Δ = paired difference from the baseline "
              "(✱ = interval excludes 0).\n")
    return md


def in_brief(comp: Comparison) -> list[str]:
    """One sentence per scenario: its effect on reach and on the gap, with intervals."""
    reach_h, gap_h = (next(h for h in comp.measures if h.key == k)
                      for k in ("engaged_final", "engaged_gap"))
    rows = {(d["scenario"], d["metric"]): d for d in comp.differences()}
    out = []
    for sc in comp.scenarios:
        r, g = rows[(sc.name, "engaged_final")], rows[(sc.name, "engaged_gap")]
        verdict_r = ("more" if r["difference"] > 0 else "fewer") if r["excludes_zero"] else \
            "no clear change in"
        verdict_g = ("wider" if g["difference"] > 0 else "narrower") if g["excludes_zero"] else \
            "no clear change in the"
        out.append(
            f"<li><b>{html.escape(sc.name.replace('_', ' '))}</b> "
            f"({html.escape(sc.description)}): {verdict_r} people engaged "
            f"({r['difference'] * 100:+.1f} pp, 95 % CI "
            f"{_interval(reach_h, r['diff_low'], r['diff_high'])}); {verdict_g} gap between "
            f"least and most deprived groups ({g['difference'] * 100:+.1f} pp, "
            f"{_interval(gap_h, g['diff_low'], g['diff_high'])})."
            + (" <b>Not the same people as the baseline</b>: this includes the change of "
               "population." if sc.name in comp.world_differences else "") + "</li>")
    return out


def write_comparison_report(comp: Comparison, out: Path, min_count: int = 10,
                            extra: dict[str, Any] | None = None) -> Path:
    """Write the comparison's tables (CSV, Markdown), figures and ``report.html``.

    Returns the path of ``report.html``. When a scenario uses the user's own network or
    attribute files, per-group cells of groups smaller than ``min_count`` are suppressed
    everywhere (tables and figures), and the report says so. Scenarios that do not have
    the baseline's people (:func:`~diffusion_sim.compare.different_people`) are named in
    a notice at the top of ``report.html`` and ``summary.md`` (and in the manifest's
    ``different_people``); what reading the input files did (``Comparison.notes``) is
    listed there too (the manifest's ``notes``, per scenario). ``out`` is replaced as a
    whole once every file is written (:func:`~diffusion_sim.store.output_folder`).
    """
    with output_folder(out) as stage:
        hidden = suppressed_groups(comp, min_count)
        user_data = any(sc.uses_user_data for sc in comp.all_scenarios)
        people, notes = people_lines(comp), note_lines(comp)

        summary = summary_table(comp, min_count)
        diffs = comp.differences()
        if hidden:
            diffs = [d for d in diffs if not any(d["metric"] == f"engaged_final_g{g}"
                                                 for g in hidden)]
        params = differing_parameters(comp.all_scenarios)
        write_csv(stage / "summary.csv", summary)
        write_csv(stage / "differences.csv", diffs)
        write_csv(stage / "parameters.csv", params)
        if not user_data:  # per-replicate rows only for synthetic populations
            write_csv(stage / "runs.csv", [{"scenario": name, "replicate": r, **row}
                                         for name, rows in comp.runs.items()
                                         for r, row in enumerate(rows)])
        pop = comp.baseline.population
        if not hidden:  # per-group estimates: not for groups below the cell count
            write_heat_outputs(stage, comp.runs, comp.group_sizes, pop.names, pop.dimension,
                               pop.favourable, comp.baseline.steps, comp.baseline.name)
        figures: dict[str, tuple[Callable[[Path], None], str]] = {
            "reach_vs_equity": (lambda p: reach_equity_figure(comp, p),
                                "Scatter: each scenario's overall engagement against the gap "
                                "between groups, with 95 % intervals"),
            "differences": (lambda p: difference_figure(comp, p),
                            "Paired differences from the baseline in engagement and in the gap, "
                            "with 95 % intervals"),
            "reach_over_time": (lambda p: comparison_reach_figure(comp, p, hidden),
                                "Engagement week by week by group, one panel per scenario"),
            "gap_over_time": (lambda p: gap_over_time_figure(comp, p),
                              "The gap in engagement between least and most deprived groups, "
                              "week by week, per scenario"),
            "strategy_mix": (lambda p: comparison_mix_figure(comp, p, hidden),
                             "Share of decisions that avoid, allocate, embed or share openly, by "
                             "group and scenario"),
        }
        images = {}
        for name, (draw, alt) in figures.items():
            draw(stage / f"{name}.png")
            data = base64.b64encode((stage / f"{name}.png").read_bytes()).decode("ascii")
            images[f"img_{name}"] = (f'<img src="data:image/png;base64,{data}" '
                                     f'alt="{html.escape(alt)}">')

        prov = manifest(command="compare", name=comp.name, seed=comp.seed,
                        replications=comp.reps, stop_reason=comp.stop_reason,
                        seeds=f"replicate r of every scenario: SeedSequence({comp.seed}, "
                              f"spawn_key=(r,)), r = 0..{comp.reps - 1}",
                        scenarios={sc.name: sc.to_dict() for sc in comp.all_scenarios},
                        different_people=comp.world_differences,
                        notes={sc.name: list(comp.notes.get(sc.name, ()))
                               for sc in comp.all_scenarios},
                        **(extra or {}))
        write_json(stage / "manifest.json", prov)
        md = [*_markdown_head(comp, people, notes), markdown_table(summary),
              "\n## Parameters that differ\n", markdown_table(params)]
        write_text(stage / "summary.md", "\n".join(md))

        people_notice, notices = _html_notices(comp, people, notes, min_count, hidden)
        page = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
            title=html.escape(comp.name), heading=html.escape(comp.name.replace("_", " ")),
            reps=comp.reps, stop_reason=html.escape(comp.stop_reason), notices=notices,
            people_notice=people_notice, pairing=PAIRING[bool(people)],
            bullets="".join(in_brief(comp)), summary_table=html_table(summary),
            parameter_table=html_table(params), version=html.escape(str(prov["version"])),
            commit=html.escape(str(prov["commit"])),
            run_date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), seed=comp.seed, **images)
        write_text(stage / "report.html", page)
    return out / "report.html"
