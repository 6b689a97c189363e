"""The scenario-comparison report: its files and the HTML page.

:func:`write_comparison_report` writes every table (:mod:`~diffusion_sim.report.tables`)
and figure (:mod:`~diffusion_sim.report.comparison_figures`, PNG and SVG) of a
:class:`~diffusion_sim.compare.Comparison`, HEAT's inequality measures and the HEAT
Plus file (:mod:`~diffusion_sim.heat_runs`), and fills ``template.html`` (beside this
module). The page leads with the decision (:mod:`~diffusion_sim.report.verdict`): the
verdict and the trade-off, then what the results rest on; every measure is defined on
the page, and every table is linked as CSV.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any, Protocol

from diffusion_sim.compare import people_warning
from diffusion_sim.heat_runs import write_heat_outputs
from diffusion_sim.report.comparison_figures import (
    comparison_mix_figure,
    comparison_reach_figure,
    difference_figure,
    gap_over_time_figure,
    reach_equity_figure,
)
from diffusion_sim.report.figures import strategy_colour
from diffusion_sim.report.tables import (
    differing_parameters,
    html_table,
    markdown_table,
    summary_table,
    suppressed_groups,
    tidy_summary,
)
from diffusion_sim.report.verdict import (
    effects,
    rests_on,
    rests_on_html,
    verdict_html,
    verdict_sentences,
)
from diffusion_sim.store import manifest, output_folder, write_csv, write_json, write_text

if TYPE_CHECKING:
    from diffusion_sim.compare import Comparison

#: The intro's claim about paired differences, when every scenario has the baseline's
#: people, and when some do not.
PAIRING = ("so differences reflect the policy, not chance draws.",
           "so differences between scenarios on the same people reflect the policy, not "
           "chance draws; those on other people (see the notice above) also include the "
           "change of population.")

TEMPLATE = Path(__file__).with_name("template.html")

#: The HEAT measures shown on the page (all are in heat.csv).
HEAT_SHOWN = ("setting_average", "bgsd", "mdbw", "idisw", "ti", "ti_between_share", "par",
              "paf", "aci")


class Section(Protocol):
    """An extra part of the report (the robustness analysis): it writes its own files
    into the output folder and returns its HTML; it may add to the verdict."""

    parameters: Sequence[str]
    n_points: int

    def probability_rows(self) -> list[dict[str, Any]]: ...

    def write(self, folder: Path) -> str: ...


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


#: How the in-brief list words a change: criterion -> (better, worse, unclear).
_WORDS = {"reach": ("more people engaged", "fewer people engaged",
                    "no clear change in people engaged"),
          "gap": ("narrower gap", "wider gap", "no clear change in the gap"),
          "privacy": ("fewer unwanted disclosures per sharing act",
                      "more unwanted disclosures per sharing act",
                      "no clear change in unwanted disclosures per sharing act")}


def in_brief(comp: Comparison) -> list[str]:
    """One line per scenario: its effect on reach, the gap and unwanted disclosure."""
    out = []
    for sc in comp.scenarios:
        parts = []
        for crit, eff in effects(comp)[sc.name].items():
            good, bad, unclear = _WORDS[crit]
            if crit == "reach":  # say what happened; whether it is good is the verdict's
                good, bad = (good, bad) if eff.difference > 0 else (bad, good)
                text = unclear if not eff.clear else good
            else:
                text = unclear if not eff.clear else (good if eff.better else bad)
            digits = 3 if crit == "privacy" else 1
            parts.append(f"{text} ({eff.delta(digits)}, 95 % CI {eff.interval(digits)})")
        out.append(
            f"<li><b>{html.escape(sc.name.replace('_', ' '))}</b> "
            f"({html.escape(sc.description)}): " + html.escape("; ".join(parts)) + "."
            + (" <b>Not the same people as the baseline</b>: this includes the change of "
               "population." if sc.name in comp.world_differences else "") + "</li>")
    return out


def heat_html(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    """The page's table of the main HEAT measures of ever engaging, per scenario."""
    by = {(r["scenario"], r["measure"]): r for r in rows if r["outcome"] == "engaged"}
    table = []
    for key in HEAT_SHOWN:
        r0 = by[(names[0], key)]
        row = {"measure": r0["label"], "unit": r0["unit"]}
        for name in names:
            r = by[(name, key)]
            cell = f"{r['mean']:.1f} ({r['low']:.1f} to {r['high']:.1f})"
            if name != names[0]:
                cell += f"; Δ {r['diff']:+.1f}" if math.isfinite(r["diff"]) else "; Δ –"
            row[name.replace("_", " ")] = cell
        table.append(row)
    return html_table(table)


def definitions_html(comp: Comparison) -> str:
    """Every headline measure's label and definition."""
    items = "".join(f"<dt>{html.escape(m.label)} <code>{m.key}</code></dt>"
                    f"<dd>{html.escape(m.definition)}</dd>" for m in comp.measures)
    return f"<dl class='defs'>{items}</dl>"


#: The files of the output folder the page links, with what each holds.
FILES = (("summary.csv", "tidy numbers: measure, scenario, mean, low, high, diff, diff_low, "
                         "diff_high, unit"),
         ("summary.md", "the summary table as text"),
         ("differences.csv", "paired differences from the baseline"),
         ("runs.csv", "one row per replicate and scenario"),
         ("heat.csv", "WHO HEAT summary measures with intervals"),
         ("heat_plus.csv", "per-group results in HEAT Plus's upload layout"),
         ("parameters.csv", "parameters that differ between scenarios"),
         ("manifest.json", "version, commit, seeds, every scenario"))


def files_html(folder: Path) -> str:
    items = "".join(f"<li><a href='{name}'>{name}</a>: {html.escape(what)}</li>"
                    for name, what in FILES if (folder / name).exists())
    return f"<ul class='files'>{items}</ul>"


def _figures(comp: Comparison, stage: Path, hidden: set[int]) -> dict[str, str]:
    """Draw every figure (PNG + SVG); the ``img_*`` template values (PNG embedded, SVG
    linked)."""
    figures: dict[str, tuple[Callable[[Path], Any], str]] = {
        "differences": (lambda p: difference_figure(comp, p),
                        "Paired differences from the baseline in reach, the gap, unwanted "
                        "disclosure and sustained engagement, with 95 % intervals"),
        "reach_vs_equity": (lambda p: reach_equity_figure(comp, p),
                            "Each scenario's overall engagement against the gap between "
                            "groups, with 95 % intervals"),
        "reach_over_time": (lambda p: comparison_reach_figure(comp, p, hidden),
                            "Engagement week by week by group, one panel per scenario"),
        "gap_over_time": (lambda p: gap_over_time_figure(comp, p),
                          "The gap in engagement between least and most deprived groups, "
                          "week by week, per scenario"),
        "strategy_mix": (lambda p: comparison_mix_figure(comp, p, hidden, strategy_colour),
                         "Share of decisions that avoid, allocate, embed or share openly, by "
                         "group and scenario"),
    }
    images = {}
    for name, (draw, alt) in figures.items():
        draw(stage / f"{name}.png")
        data = base64.b64encode((stage / f"{name}.png").read_bytes()).decode("ascii")
        images[f"img_{name}"] = (f'<figure><img src="data:image/png;base64,{data}" '
                                 f'alt="{html.escape(alt)}"><figcaption><a href="{name}.svg">'
                                 f"{name}.svg</a> (vector) · <a href='{name}.png'>"
                                 f"{name}.png</a></figcaption></figure>")
    return images


def write_comparison_report(comp: Comparison, out: Path, min_count: int = 10,
                            extra: dict[str, Any] | None = None,
                            robustness: Section | None = None) -> Path:
    """Write the comparison's tables (CSV, Markdown), figures and ``report.html``.

    Returns the path of ``report.html``. When a scenario uses the user's own network or
    attribute files, per-group cells of groups smaller than ``min_count`` are suppressed
    everywhere (tables and figures; no HEAT files), and the report says so. Scenarios
    that do not have the baseline's people
    (:func:`~diffusion_sim.compare.different_people`) are named in a notice at the top
    of ``report.html`` and ``summary.md`` (and in the manifest's ``different_people``);
    what reading the input files did (``Comparison.notes``) is listed there too (the
    manifest's ``notes``, per scenario). ``robustness`` (a :class:`Section`) adds its
    files, its section and its sentence of the verdict. ``out`` is replaced as a whole
    once every file is written (:func:`~diffusion_sim.store.output_folder`).
    """
    with output_folder(out, "compare") as stage:
        hidden = suppressed_groups(comp, min_count)
        user_data = any(sc.uses_user_data for sc in comp.all_scenarios)
        people, notes = people_lines(comp), note_lines(comp)
        summary = summary_table(comp, min_count)
        diffs = [d for d in comp.differences() if not any(
            d["metric"] == f"engaged_final_g{g}" for g in hidden)]
        params = differing_parameters(comp.all_scenarios)
        write_csv(stage / "summary.csv", tidy_summary(comp, min_count))
        write_csv(stage / "differences.csv", diffs)
        write_csv(stage / "parameters.csv", params)
        if not user_data:  # per-replicate rows only for synthetic populations
            write_csv(stage / "runs.csv", [{"scenario": name, "replicate": r, **row}
                                         for name, rows in comp.runs.items()
                                         for r, row in enumerate(rows)])
        pop = comp.baseline.population
        heat = "<p>Not computed: per-group cells are suppressed.</p>"
        if not hidden:  # per-group estimates: not for groups below the cell count
            rows = write_heat_outputs(stage, comp.runs, comp.group_sizes, pop.names,
                                      pop.dimension, pop.favourable, comp.baseline.steps,
                                      comp.baseline.name)
            heat = heat_html(rows, [sc.name for sc in comp.all_scenarios])
        images = _figures(comp, stage, hidden)
        robust_html, robust_rows, uncertain, n_points = "", [], (), 0
        if robustness is not None:
            robust_html = robustness.write(stage)
            robust_rows, n_points = robustness.probability_rows(), robustness.n_points
            uncertain = tuple(robustness.parameters)

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
        sentences = verdict_sentences(comp, robust_rows, n_points)
        md = [*_markdown_head(comp, people, notes), "**Verdict.** " + " ".join(sentences)
              + "\n", markdown_table(summary), "\n## Parameters that differ\n",
              markdown_table(params)]
        write_text(stage / "summary.md", "\n".join(md))

        people_notice, notices = _html_notices(comp, people, notes, min_count, hidden)
        page = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
            title=html.escape(comp.name), heading=html.escape(comp.name.replace("_", " ")),
            reps=comp.reps, stop_reason=html.escape(comp.stop_reason), notices=notices,
            people_notice=people_notice, pairing=PAIRING[bool(people)],
            verdict=verdict_html(sentences),
            rests_on=rests_on_html(rests_on(comp, uncertain)),
            bullets="".join(in_brief(comp)), summary_table=html_table(summary),
            files=files_html(stage), heat_table=heat, definitions=definitions_html(comp),
            robustness=robust_html, parameter_table=html_table(params),
            version=html.escape(str(prov["version"])), commit=html.escape(str(prov["commit"])),
            run_date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), seed=comp.seed,
            **images)
        write_text(stage / "report.html", page)
    return out / "report.html"
