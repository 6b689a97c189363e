"""Merging a sweep's chunks into its final tables, after verifying every one.

``merge`` (and the end of a whole sweep) refuses shards or chunks that belong to
another sweep, names every missing or damaged run and the shard to rerun, and builds
``runs.csv`` (the chunks' bytes in run order, so a sharded sweep equals a serial one
byte for byte), ``series.csv``, ``timing.csv``, ``summary.csv`` and, for a Sobol
design, ``sobol.csv``/``sobol.png`` under temporary names: the final tables are
replaced only once every new one is complete and verified.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diffusion_sim.errors import SweepError
from diffusion_sim.store import FolderLock, csv_text, write_csv, write_json, write_text
from diffusion_sim.sweep.chunks import chunk_path, chunk_states, read_manifest, read_rows
from diffusion_sim.sweep.sobol import sobol_tables
from diffusion_sim.tables import summary_rows


def ranges(values: Iterable[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` -> ``"0-2,5,7-8"``."""
    out, start, prev = [], None, None
    for v in sorted(values):
        if start is None:
            start = prev = v
        elif v == prev + 1:
            prev = v
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = v
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(out)


def describe_runs(runs: Sequence[tuple[int, int]], limit: int = 12) -> str:
    """Runs (point, replicate) as ``"point 1 replicates 1; points 2-4 replicates 0-1"``:
    consecutive points missing the same replicates share one entry; at most ``limit``
    entries, then a count of the rest."""
    by_point: dict[int, list[int]] = {}
    for point, rep in runs:
        by_point.setdefault(point, []).append(rep)
    entries: list[list[Any]] = []  # [first point, last point, replicates]
    for point in sorted(by_point):
        reps = ranges(by_point[point])
        if entries and entries[-1][1] == point - 1 and entries[-1][2] == reps:
            entries[-1][1] = point
        else:
            entries.append([point, point, reps])
    text = [f"point {a} replicates {r}" if a == b else f"points {a}-{b} replicates {r}"
            for a, b, r in entries[:limit]]
    if len(entries) > limit:
        text.append(f"... {len(entries) - limit} more")
    return "; ".join(text)


def shard_manifests(out: Path, head: dict[str, Any]) -> list[dict[str, Any]]:
    """The shard (and local) manifests; refuses any of a different sweep."""
    infos = []
    for s in sorted([*out.glob("manifest-shard-*.json"), *out.glob("manifest-local.json")]):
        try:
            info = json.loads(s.read_text())
        except (OSError, ValueError):
            raise SweepError(f"{s}: unreadable shard manifest; delete it and rerun that "
                             "shard") from None
        if info.get("identity_digest") != head.get("identity_digest"):
            raise SweepError(f"{s}: belongs to a different sweep (its inputs differ from "
                             f"{out / 'manifest.json'}); move it and its chunks aside")
        infos.append(info)
    return infos


def _refuse_incomplete(out: Path, head: dict[str, Any], bad: dict[int, str],
                       shards: list[list[int]]) -> None:
    """Write ``missing-runs.csv`` and raise a one-line SweepError naming the runs."""
    size, total, reps = head["chunk_size"], head["n_runs"], head["replications"]

    def runs_of(k: int) -> list[tuple[int, int]]:
        return [divmod(i, reps) for i in range(k * size, min((k + 1) * size, total))]

    # rerun hints use the shard count most shards were run with (any N works:
    # chunk k belongs to shard k % N of N whatever other shards used)
    counts = [n for _, n in shards]
    n_shards = max(set(counts), key=counts.count) if counts else None
    missing = sorted(bad)
    lost = [(p, r, k, k % n_shards if n_shards else "", bad[k]) for k in missing
            for p, r in runs_of(k)]
    write_csv(out / "missing-runs.csv", [
        {"point": p, "replicate": r, "chunk": k, "shard": sh, "problem": why}
        for p, r, k, sh, why in lost])
    spec = head.get("spec_file", "SPEC.toml")
    if n_shards:
        redo = sorted({k % n_shards for k in missing})
        how = "; ".join(f"rerun shard {i}/{n_shards}: diffusion-sim sweep {spec} --out "
                        f"{out} --shard {i}/{n_shards}" for i in redo)
    else:
        how = f"finish it: diffusion-sim sweep {spec} --out {out} --resume"
    damaged = [k for k in missing if bad[k] != "not finished"]
    what = f"; {len(damaged)} chunks damaged ({ranges(damaged)}: {bad[damaged[0]]})" \
        if damaged else ""
    raise SweepError(
        f"{out}: {len(lost)} of {total} runs missing (chunks {ranges(missing)}{what}): "
        f"{describe_runs([(p, r) for p, r, _, _, _ in lost])} "
        f"(all in {out / 'missing-runs.csv'}); no final table was replaced. To {how}")


def _joined(out: Path, kind: str, chunks: Sequence[int]) -> str:
    """Chunk CSVs of ``kind`` joined byte for byte under one header."""
    parts = []
    for i, k in enumerate(chunks):
        text = chunk_path(out, kind, k).read_text(encoding="utf-8")
        parts.append(text if i == 0 else text.split("\n", 1)[1])
    return "".join(parts)


def merge(out: str | Path) -> Path:
    """Join the chunks of a (sharded) sweep into its final tables (module docstring).

    When runs are missing or damaged, writes ``missing-runs.csv`` (point, replicate,
    chunk, shard, problem) and raises :class:`SweepError` naming them compactly and the
    shard(s) to rerun; the final tables are left as they were.
    """
    out = Path(out)
    head = read_manifest(out)
    if head is None:
        raise SweepError(f"{out}: no manifest.json: not a sweep folder")
    if "identity_digest" not in head:
        raise SweepError(f"{out}: a sweep made by an older diffusion-sim (no identity); "
                         "rerun it into a new folder")
    with FolderLock(out, "merging"):
        shards = [i["shard"] for i in shard_manifests(out, head) if i.get("shard")]
        chunks = list(range(head["n_chunks"]))
        states = chunk_states(out, head, chunks)
        bad = {k: why for k, why in states.items() if why is not None}
        if bad:
            _refuse_incomplete(out, head, bad, shards)
        tables: dict[str, str] = {"runs.csv": _joined(out, "runs", chunks)}
        if chunk_path(out, "series", 0).exists():
            tables["series.csv"] = _joined(out, "series", chunks)
        tables["timing.csv"] = _joined(out, "timing", chunks)
        rows = [r for k in chunks for r in read_rows(chunk_path(out, "runs", k))]
        reps = head["replications"]
        ids = [(r["point"], r["replicate"]) for r in rows]
        if ids != [divmod(i, reps) for i in range(head["n_runs"])]:
            raise SweepError(f"{out}: the chunks do not hold the runs in order although "
                             "their checksums match; rerun the sweep into a new folder")
        params = head.get("parameters") or (list(head["points"][0]) if head["points"] else [])
        tables["summary.csv"] = csv_text(summary_rows(rows, by=("point", *params),
                                                      skip=("replicate", "seed")))
        figures, warnings = {}, []
        if head.get("design") == "sobol":
            sobol_csv, draw, warnings = sobol_tables(head, rows)
            tables["sobol.csv"] = sobol_csv
            figures["sobol.png"] = draw
        _replace_all(out, tables, figures)
        (out / "missing-runs.csv").unlink(missing_ok=True)
        write_json(out / "manifest.json",
                   {**head, "merged": datetime.now(UTC).isoformat(timespec="seconds"),
                    "warnings": warnings})
    return out / "runs.csv"


def _replace_all(out: Path, tables: dict[str, str], figures: dict[str, Any]) -> None:
    """Write every new table and figure under a temporary name, then rename them all."""
    staged = []
    try:
        for name, text in tables.items():
            tmp = out / f".{name}.merging"
            write_text(tmp, text)
            staged.append((tmp, out / name))
        for name, draw in figures.items():  # a figure may write several files (PNG, SVG)
            tmp = out / f".merging.{name}"
            for made in draw(tmp) or [tmp]:
                staged.append((made, out / made.name.removeprefix(".merging.")))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
