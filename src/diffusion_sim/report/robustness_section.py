"""The robustness part of the comparison report, and its files.

:class:`RobustnessSection` wraps a :class:`~diffusion_sim.robustness.Robustness`: it
writes ``robustness.csv`` (how often each policy beats the baseline),
``robustness_differences.csv`` (the paired differences' distribution over the settings),
``robustness.json`` (the ranges, the design, the seeds), ``robustness_runs.csv`` (every
run: point, replicate, scenario, the point's values, the outcomes),
``regret.csv``, ``robustness_points.csv`` (one row per setting and policy: what
``diffusion-sim discover`` reads), ``discovery.csv`` (PRIM boxes of where each policy
fails to beat the baseline, when EMA Workbench is installed) and their figures, and
returns the report's HTML section.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.discovery import Box, ema_prim, prim_boxes
from diffusion_sim.errors import AnalysisError
from diffusion_sim.measures import Measure
from diffusion_sim.report.robustness_figures import (
    discovery_figure,
    regret_figure,
    robust_difference_figure,
)
from diffusion_sim.report.tables import html_table
from diffusion_sim.report.verdict import CRITERIA
from diffusion_sim.robustness import (
    KEPT,
    Robustness,
    difference_rows,
    point_rows,
    probability_rows,
    regret_rows,
)
from diffusion_sim.store import write_csv, write_json

#: What a criterion's failure means, in words (the discovered outcome).
FAILS = {"reach": "does not raise reach", "gap": "does not narrow the gap",
         "privacy": "does not lower unwanted disclosures per sharing act"}
#: Fewest settings with (and without) the outcome for scenario discovery to run.
MIN_CASES = 3
#: At most this many discovery figures (the table lists every box).
MAX_FIGURES = 6


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    svg = path.with_suffix(".svg").name
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
            f"<figcaption><a href='{svg}'>{svg}</a> (vector) · <a href='{path.name}'>"
            f"{path.name}</a></figcaption></figure>")


class RobustnessSection:
    """A robustness analysis as a part of the comparison report (see the module
    docstring); ``measures`` give units and scales."""

    def __init__(self, rob: Robustness, measures: Sequence[Measure]) -> None:
        self.rob = rob
        self.scale = {m.key: m.scale for m in measures if m.key in KEPT}
        self.parameters = rob.parameters
        self.n_points = rob.n_points
        self._prob = probability_rows(rob)

    def probability_rows(self) -> list[dict[str, Any]]:
        return self._prob

    def discover(self, folder: Path) -> tuple[list[dict[str, Any]], list[str], str]:
        """PRIM boxes of where each policy fails a criterion: (rows, figure HTML, note)."""
        rob = self.rob
        X = {u.path: np.array([p[u.path] for p in rob.design], dtype=float)
             for u in rob.spec.ranges}
        rows, figs, notes = [], [], []
        try:
            ema_prim()
        except AnalysisError as exc:
            return rows, figs, str(exc)
        cases = sorted(((abs(r["p_better"] - 0.5), r) for r in self._prob
                        if MIN_CASES <= round((1 - r["p_better"]) * r["n_points"])
                        <= r["n_points"] - MIN_CASES), key=lambda t: t[0])
        for _, r in cases:
            mean = rob.paired(r["policy"], r["metric"])[0]
            y = np.isfinite(mean) & ~rob.improves(r["policy"], r["metric"])
            outcome = f"{r['policy'].replace('_', ' ')} {FAILS[r['criterion']]}"
            try:
                boxes = prim_boxes(X, y, threshold=rob.spec.threshold)
            except AnalysisError as exc:
                notes.append(f"{outcome}: {exc}")
                continue
            for i, box in enumerate(boxes):
                rows.append(box_row(box, outcome, r["policy"], r["criterion"], i + 1))
            if boxes and len(figs) < MAX_FIGURES:
                path = folder / f"discovery_{r['policy']}_{r['criterion']}.png"
                discovery_figure(boxes[0], X, y, f"Where {outcome}", path)
                figs.append(_img(path, f"PRIM box: where {outcome}"))
        return rows, figs, "; ".join(notes)

    def write(self, folder: Path) -> str:
        """Write the files into ``folder``; return the report section's HTML."""
        rob = self.rob
        write_json(folder / "robustness.json", {
            "parameters": rob.parameters, "points": rob.n_points, "reps": rob.spec.reps,
            "seed": rob.spec.seed, "threshold": rob.spec.threshold,
            "ranges": {u.path: [u.low, u.high] for u in rob.spec.ranges},
            "nominal": {u.path: u.nominal for u in rob.spec.ranges},
            "design": rob.design, "runs": rob.n_runs, "seconds": round(rob.seconds, 1),
            "seeds": f"point k, replicate r of every scenario: SeedSequence({rob.spec.seed}, "
                     "spawn_key=(k, r))"})
        write_csv(folder / "robustness.csv", self._prob)
        write_csv(folder / "robustness_differences.csv", difference_rows(rob, self.scale))
        regret = regret_rows(rob, self.scale)
        write_csv(folder / "regret.csv", regret)
        write_csv(folder / "robustness_points.csv", point_rows(rob))
        write_csv(folder / "robustness_runs.csv", [
            {"point": k, "replicate": r, "scenario": name, **rob.design[k],
             **dict(zip(KEPT, map(float, rob.values[name][k, r])))}
            for k in range(rob.n_points) for r in range(rob.spec.reps)
            for name in [rob.baseline, *rob.scenarios]])
        diffs = {p: {k: self.scale[k] * rob.paired(p, k)[0] for k in KEPT}
                 for p in rob.scenarios}
        robust_difference_figure(diffs, rob.scenarios, rob.n_points, rob.spec.reps,
                                 folder / "robustness_differences.png")
        regret_figure(regret, [rob.baseline, *rob.scenarios], folder / "regret.png")
        boxes, figs, note = self.discover(folder)
        if boxes:
            write_csv(folder / "discovery.csv", boxes)
        rob.discovery, rob.discovery_note = boxes, note
        return self._html(regret, boxes, figs, note, folder)

    def _html(self, regret: list[dict[str, Any]], boxes: list[dict[str, Any]],
              figs: list[str], note: str, folder: Path) -> str:
        rob = self.rob
        ranges = [{"parameter": u.path, "low": f"{u.low:g}", "high": f"{u.high:g}",
                   "in the scenarios": str(u.nominal)} for u in rob.spec.ranges]
        by = {(r["policy"], r["criterion"]): r for r in self._prob}
        table = []
        for p in rob.scenarios:
            row = {"policy": p.replace("_", " ")}
            for crit, _ in CRITERIA:
                r = by[(p, crit)]
                row[{"reach": "raises reach", "gap": "narrows the gap",
                     "privacy": "fewer unwanted disclosures"}[crit]] = (
                    f"{100 * r['p_better']:.0f} % ({100 * r['p_low']:.0f}–"
                    f"{100 * r['p_high']:.0f}); clearly: {100 * r['p_clearly_better']:.0f} % "
                    f"better, {100 * r['p_clearly_worse']:.0f} % worse")
            table.append(row)
        regret_table = [{"scenario": r["scenario"].replace("_", " "), "criterion":
                         r["criterion"], "mean regret": f"{r['mean_regret']:.3g}",
                         "worst regret": f"{r['max_regret']:.3g}",
                         "best at": f"{100 * r['share_best']:.0f} % of settings"}
                        for r in regret]
        disc = (html_table([{k: v for k, v in b.items() if k not in ("policy", "criterion")}
                            for b in boxes]) + "".join(figs) if boxes else
                "<p>No box of parameter ranges explains where a policy fails (or no policy "
                "wins at some settings and loses at others often enough).</p>")
        if note:
            disc += f"<p class='notice'>Scenario discovery: {html.escape(note)}</p>"
        return (
            "<h2>Does the policy still win if the illustrative values are wrong?</h2>"
            f"<p>{rob.n_points} settings of {len(ranges)} uncertain values (a Latin "
            f"hypercube over the ranges below) × {rob.spec.reps} paired replications × "
            f"{len(rob.scenarios) + 1} scenarios = {rob.n_runs:,} runs "
            f"({rob.seconds:.0f} s). At each setting every policy is compared with the "
            "baseline on the same random numbers. Percentages are shares of the settings "
            "where the policy's mean paired difference goes the better way (95 % Wilson "
            "interval over the settings); 'clearly' where its interval at that setting "
            "excludes 0. They describe the stated ranges, not the world.</p>"
            + html_table(ranges) + html_table(table)
            + _img(folder / "robustness_differences.png", "Paired differences at every setting")
            + "<h3>Regret</h3><p class='small'>At each setting, how far a scenario's outcome "
              "falls behind the best scenario there (reach in pp, the gap's distance from 0 "
              "in pp, unwanted disclosures per act). A policy with small worst-case regret "
              "is a safe choice whatever the values.</p>"
            + html_table(regret_table) + _img(folder / "regret.png", "Regret per scenario")
            + "<h3>Where does a policy fail? Scenario discovery (PRIM)</h3><p class='small'>"
              "Boxes of parameter ranges where the policy fails to beat the baseline: "
              "coverage = share of all failing settings inside the box, density = share of "
              "the settings inside the box that fail (EMA Workbench's PRIM; numbers "
              "recomputed from the box). Files: <a href='robustness.csv'>robustness.csv</a>, "
              "<a href='robustness_points.csv'>robustness_points.csv</a>, <a href="
              "'regret.csv'>regret.csv</a>"
            + (", <a href='discovery.csv'>discovery.csv</a>" if boxes else "") + ".</p>"
            + disc)


def box_row(box: Box, outcome: str, policy: str, criterion: str, number: int
            ) -> dict[str, Any]:
    """One row of ``discovery.csv``."""
    return {"policy": policy, "criterion": criterion, "outcome": outcome, "box": number,
            "coverage": round(box.coverage, 4), "density": round(box.density, 4),
            "mass": round(box.mass, 4), "settings_inside": box.n_inside,
            "cases": box.n_cases, "density_aimed": round(box.threshold, 4),
            "meets_threshold": box.meets_threshold,
            "ranges": box.describe()}
