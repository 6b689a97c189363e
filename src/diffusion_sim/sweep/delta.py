"""Moment-independent sensitivity (Borgonovo's δ) of an existing sweep, with SALib.

Sobol indices need Saltelli's design; δ (Borgonovo 2007; Plischke, Borgonovo & Smith
2013) works on any sample of the inputs, so it applies to a sweep already run (Latin
hypercube, Sobol, even a grid) without new runs. δ_i is half the expected L1 distance
between the output's density and its density given input *i*: 0 when the output does
not depend on input *i*, in [0, 1], and it sees every change of the distribution, not
only of the variance. Computed on the per-point means of the sweep's replicates, with
SALib's bootstrap interval (``delta_raw``: the sample as it is, which for a sweep's
design is the uniform spread over the ranges). SALib's first-order Sobol estimate
``S1`` of the same sample is given beside it.

SALib (optional extra ``pip install 'diffusion-sim[analysis]'``) is imported lazily and
run in a guard: it prints, sets global warning filters and seeds numpy's global random
state; here its warnings are collected as notes, its output swallowed and the random
state and warning filters left as they were.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.errors import AnalysisError
from diffusion_sim.measures import output_label, parameter_label
from diffusion_sim.report.comparison_figures import figure, plain, save
from diffusion_sim.store import manifest, output_folder, read_csv, write_csv, write_json
from diffusion_sim.sweep.designs import numeric_design

#: The outputs analysed unless others are named.
DEFAULT_OUTPUTS = ("engaged_final", "engaged_gap", "engaged_ci_erreygers")


def salib_delta() -> Any:
    """SALib's ``delta`` module, or a one-line error naming the extra."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from SALib.analyze import delta
    except ImportError:
        raise AnalysisError("the moment-independent index needs SALib: pip install "
                            "'diffusion-sim[analysis]'") from None
    return delta


def delta_indices(X: np.ndarray, Y: np.ndarray, names: Sequence[str],
                  bounds: Sequence[tuple[float, float]], seed: int,
                  resamples: int = 50) -> tuple[dict[str, np.ndarray], list[str]]:
    """δ (raw and balanced), S1 and their 95 % half-widths; and SALib's notes.

    No global state changes: numpy's global random state and the warning filters are
    restored, SALib's printing is swallowed and its warnings returned as notes.
    """
    delta = salib_delta()
    problem = {"num_vars": len(names), "names": list(names), "bounds": [list(b) for b in
                                                                     bounds]}
    state = np.random.get_state()  # noqa: NPY002  (SALib seeds the global state)
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        fmt = warnings.formatwarning
        try:
            res = delta.analyze(problem, X, Y, num_resamples=resamples, seed=seed,
                                method="all")
        finally:
            warnings.formatwarning = fmt
            np.random.set_state(state)  # noqa: NPY002
    notes = [str(w.message).strip() for w in caught]
    notes += [str(n).strip() for n in res.get("notes", []) if str(n).strip()]
    out = {k: np.asarray(res[k], dtype=float) for k in
           ("delta_raw", "delta_raw_conf", "delta_balanced", "delta_balanced_conf", "S1",
            "S1_conf") if k in res}
    return out, list(dict.fromkeys(notes))


def sweep_points(folder: Path) -> tuple[dict[str, Any], np.ndarray, dict[str, np.ndarray],
                                         list[str]]:
    """(manifest, X (points, d), per-point mean of every numeric output, parameters)."""
    try:
        head = json.loads((folder / "manifest.json").read_text())
        runs = read_csv(folder / "runs.csv")
    except (OSError, ValueError):
        raise AnalysisError(f"{folder}: not a merged sweep (manifest.json and runs.csv "
                            "needed)") from None
    params = head.get("parameters") or []
    if head.get("command") != "sweep" or not params or not runs:
        raise AnalysisError(f"{folder}: not a merged sweep with varied parameters")
    n = len(head["points"])
    X = numeric_design(head["points"], params, str(folder))
    outputs: dict[str, np.ndarray] = {}
    for col in runs[0]:
        if col in ("point", "replicate", "seed", *params):
            continue
        sums, counts = np.zeros(n), np.zeros(n)
        try:
            for r in runs:
                v = float(r[col])
                if not np.isnan(v):
                    sums[int(r["point"])] += v
                    counts[int(r["point"])] += 1
        except ValueError:
            continue  # a text column
        outputs[col] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return head, X, outputs, params


def delta_folder(folder: str | Path, outputs: Sequence[str] = DEFAULT_OUTPUTS,
                 resamples: int = 50, out: str | Path | None = None) -> tuple[Path, list[str]]:
    """δ indices of a merged sweep's outputs: ``delta.csv`` and ``delta.png``/``.svg`` in
    ``out`` (default ``FOLDER/sensitivity-delta``); returns (out, notes)."""
    folder = Path(folder)
    head, X, values, params = sweep_points(folder)
    unknown = [o for o in outputs if o not in values]
    if unknown:
        raise AnalysisError(f"--outputs: {', '.join(unknown)}: not an output of {folder}")
    bounds = [(float(X[:, i].min()), float(X[:, i].max())) for i in range(X.shape[1])]
    rows, notes = [], []
    for j, o in enumerate(outputs):
        y = values[o]
        ok = np.isfinite(y)
        if ok.sum() < 10:
            raise AnalysisError(f"{o}: only {int(ok.sum())} design points with a value; δ "
                                "needs many more")
        res, found = delta_indices(X[ok], y[ok], params, bounds, seed=head["seed"] + j,
                                   resamples=resamples)
        notes += [f"{o}: {n}" for n in found]
        for i, p in enumerate(params):
            rows.append({"output": o, "parameter": p, "output_label": output_label(o),
                         "parameter_label": parameter_label(p),
                         **{k: float(v[i]) for k, v in res.items()},
                         "points": int(ok.sum()), "dropped_nan_points": int((~ok).sum())})
    out = Path(out) if out else folder / "sensitivity-delta"
    with output_folder(out, "sensitivity") as stage:
        write_json(stage / "manifest.json", manifest(
            command="sensitivity", sweep=str(folder), outputs=list(outputs),
            resamples=resamples, notes=notes))
        write_csv(stage / "delta.csv", rows)
        delta_figure(rows, stage / "delta.png", f"Moment-independent sensitivity: "
                     f"{head.get('name', folder.name)}")
    return out, notes


def delta_figure(rows: Sequence[dict[str, Any]], path: Path, title: str) -> list[Path]:
    """Bars of δ (raw) with its 95 % bootstrap interval, one panel per output."""
    outputs = list(dict.fromkeys(r["output"] for r in rows))
    params = list(dict.fromkeys(r["parameter"] for r in rows))
    fig = figure(4.4 * len(outputs) + 1.5, 1.6 + 0.5 * len(params) + 1.0)
    axes = np.atleast_1d(fig.subplots(1, len(outputs), sharey=True, squeeze=False)[0])
    y = np.arange(len(params))
    for ax, o in zip(axes, outputs):
        mine = [next(r for r in rows if r["output"] == o and r["parameter"] == p)
                for p in params]
        v = np.array([r["delta_raw"] for r in mine])
        half = np.array([r.get("delta_raw_conf", np.nan) for r in mine])
        ax.barh(y, v, color="#0072B2", height=0.6)
        ax.errorbar(v, y, xerr=np.nan_to_num(half), fmt="none", ecolor="#333", capsize=2)
        ax.set_title(plain(mine[0]["output_label"]), fontsize=10)
        ax.set_xlabel("δ (0: no influence)")
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(y, [plain(parameter_label(p)) for p in params], fontsize=9)
    axes[0].invert_yaxis()
    fig.suptitle(plain(title) + "\nbars: 95 % bootstrap intervals (SALib)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
