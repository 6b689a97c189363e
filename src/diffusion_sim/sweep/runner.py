"""Running a sweep into its store: chunks, verification, resume, shards.

**Runs and seeds.** The runs are every (point, replicate), point-major. Run (p, r) is
seeded by ``SeedSequence(seed, spawn_key=(p, r))``: its result depends only on its
identity, never on the worker, shard, rank or order that ran it.

**Store.** ``OUT/manifest.json`` (version, commit, the spec, its identity, the points)
and, per chunk ``k`` (the fixed runs ``[k·chunk_size, (k+1)·chunk_size)``),
``OUT/chunks/runs-NNNNNN.csv`` (+ ``series-`` and ``timing-``) and last the chunk's
record ``chunk-NNNNNN.json``: the row count and SHA-256 of each of its files and the
sweep identity. Every file is written atomically (``fsync``, then rename). A chunk
counts as done only when its record exists, belongs to this sweep and every file
matches its row count and checksum: a truncated, emptied or foreign chunk is *damaged*;
``--resume`` reruns it and :func:`~diffusion_sim.sweep.merge.merge` refuses it.

Timing is kept *out* of the result rows (``timing-*.csv``, merged to ``timing.csv``),
so ``runs.csv`` is byte-identical however the work was split.

**Shards.** ``shard=(I, N)`` runs chunks ``k`` with ``k % N == I`` (interleaved, so
shards get similar mixes of cheap and costly points); Slurm array variables supply it
when absent. Shards share the folder (a shared lock); a whole sweep, ``--resume`` and
``merge`` need it alone (an exclusive lock), so they never run into each other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from diffusion_sim.errors import SweepError
from diffusion_sim.replicate import as_they_finish, executor, replicate
from diffusion_sim.scenario import Scenario
from diffusion_sim.store import FolderLock, make_folder, manifest, sha256_json, write_json
from diffusion_sim.sweep.chunks import (
    check_identity,
    chunk_states,
    read_manifest,
    store_chunk,
)
from diffusion_sim.sweep.merge import merge
from diffusion_sim.sweep.spec import SweepSpec, load_spec
from diffusion_sim.tables import series_rows


def run_chunk(spec: SweepSpec, chunk: int
              ) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Run one chunk's runs; returns (chunk, result rows, series rows, timing rows).

    Result rows hold only what the run's identity determines (point, replicate, seed,
    swept values, every headline metric); timing rows hold each run's wall time
    ``elapsed_s`` (build + run + metrics, seconds), host and pid.
    """
    rows, series, timing = [], [], []
    scenarios: dict[int, Scenario] = {}
    host, pid = os.uname().nodename, os.getpid()
    for point, rep in spec.run_ids(chunk):
        t0 = time.perf_counter()
        if point not in scenarios:
            scenarios[point] = spec.scenario(point)
        res = replicate(scenarios[point], spec.seed, (point, rep))
        row = {"point": point, "replicate": rep, "seed": spec.seed}
        row.update(spec.points[point])
        row.update(res.summary)
        rows.append(row)
        if spec.outputs == "series":
            series.extend(series_rows(res.counts, res.columns, res.group_sizes, res.concern, point=point,
                                      replicate=rep))
        timing.append({"point": point, "replicate": rep, "chunk": chunk,
                       "elapsed_s": round(time.perf_counter() - t0, 6), "host": host,
                       "pid": pid})
    return chunk, rows, series, timing


def shard_from_env(env: Mapping[str, str] | None = None) -> tuple[int, int] | None:
    """(I, N) from Slurm array variables, or None outside an array job.

    ``I = (SLURM_ARRAY_TASK_ID - MIN) / STEP`` and ``N = SLURM_ARRAY_TASK_COUNT`` (or
    ``(MAX - MIN) / STEP + 1``), so ``--array=1-4`` and ``--array=0-10:2`` both give
    dense shard numbers. Raises :class:`SweepError` when they cannot (a sparse list
    such as ``--array=1,5,9``): pass ``--shard I/N`` then.
    """
    env = os.environ if env is None else env
    if "SLURM_ARRAY_TASK_ID" not in env:
        return None
    try:
        task = int(env["SLURM_ARRAY_TASK_ID"])
        lo = int(env.get("SLURM_ARRAY_TASK_MIN", 0))
        step = max(int(env.get("SLURM_ARRAY_TASK_STEP", 1)), 1)
        if "SLURM_ARRAY_TASK_COUNT" in env:
            n = int(env["SLURM_ARRAY_TASK_COUNT"])
        elif "SLURM_ARRAY_TASK_MAX" in env:
            n = (int(env["SLURM_ARRAY_TASK_MAX"]) - lo) // step + 1
        else:
            raise SweepError("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT or "
                             "SLURM_ARRAY_TASK_MAX; pass --shard I/N")
    except ValueError:
        raise SweepError("SLURM_ARRAY_TASK_* variables are not integers; pass --shard I/N"
                         ) from None
    i, rest = divmod(task - lo, step)
    if rest or not 0 <= i < n:
        raise SweepError(f"cannot derive a shard from SLURM_ARRAY_TASK_ID={task} (min {lo}, "
                         f"step {step}, {n} tasks); pass --shard I/N")
    return i, n


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> (I, N) with 0 <= I < N."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise SweepError(f"--shard: expected I/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise SweepError(f"--shard: need 0 <= I < N, got {text!r}")
    return i, n


def start_manifest(out: Path, spec: SweepSpec, identity: dict[str, str], resume: bool,
                   shard: tuple[int, int] | None) -> dict[str, Any]:
    """The sweep's manifest: checked against an existing one, or written anew."""
    head = read_manifest(out)
    if head is not None:
        check_identity(out, head, identity)
        if not resume and shard is None:
            raise SweepError(f"{out}: already holds this sweep; add --resume to finish it")
        return head
    head = manifest(
        command="sweep", name=spec.name, spec_file=spec.source, spec_hash=spec.hash,
        identity=identity, identity_digest=sha256_json(identity), spec=spec.text,
        seed=spec.seed, replications=spec.replications, design=spec.design,
        outputs=spec.outputs, n_points=len(spec.points), n_runs=spec.n_runs,
        chunk_size=spec.chunk_size, n_chunks=spec.n_chunks,
        parameters=[p.path for p in spec.parameters], points=list(spec.points),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        seeds=f"run (point p, replicate r): SeedSequence({spec.seed}, spawn_key=(p, r))",
        timing="not in runs.csv (kept byte-identical); per run in timing.csv")
    write_json(out / "manifest.json", head)
    return head


def run_sweep(
    spec_path: str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    resume: bool = False,
    shard: tuple[int, int] | None = None,
    executor_kind: str = "local",
    pool: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume, or run one shard of) a sweep into ``out``.

    Parameters
    ----------
    spec_path : path of the sweep spec (TOML).
    out : output folder; refused if it holds a sweep already, unless ``resume`` (and
        refused even then if the sweep's identity changed).
    workers : local processes (default: the cores this process may use); 1 runs in
        this process. Results do not depend on it.
    shard : (I, N): run only chunks ``k`` with ``k % N == I`` and write no final
        tables (see :func:`~diffusion_sim.sweep.merge.merge`); default from the Slurm
        array variables, if set.
    executor_kind : ``"local"`` (process pool) or ``"mpi"`` (``mpi4py.futures``).
    pool : any ``concurrent.futures.Executor`` to run chunks on (overrides the above).
    progress : called as ``progress(runs_done, runs_total)`` (this shard's runs) at the
        start and after every chunk.

    Returns
    -------
    dict with ``done`` (chunks run now), ``repaired`` (damaged chunks rerun),
    ``total`` (chunks of this sweep or shard), ``runs_done``/``runs_total`` and
    ``complete`` (whether the final tables were written).
    """
    spec = load_spec(spec_path)
    identity = spec.identity()
    out = make_folder(out)
    if shard is None:
        shard = shard_from_env()
    what = f"shard {shard[0]}/{shard[1]}" if shard else "sweep"
    with FolderLock(out, what, shared=shard is not None):
        head = start_manifest(out, spec, identity, resume, shard)
        make_folder(out / "chunks")
        mine = [k for k in range(spec.n_chunks) if shard is None or k % shard[1] == shard[0]]
        states = chunk_states(out, head, mine)
        todo = [k for k in mine if states[k] is not None]
        repaired = sum(1 for k in todo if states[k] != "not finished")
        shard_file = out / (f"manifest-shard-{shard[0]}-of-{shard[1]}.json" if shard else
                            "manifest-local.json")
        info = {"shard": list(shard) if shard else None,
                "identity_digest": head["identity_digest"], "chunks": mine,
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "host": os.uname().nodename, "pid": os.getpid()}
        write_json(shard_file, {**info, "status": "running"})
        n_runs = {k: len(spec.run_ids(k)) for k in mine}
        total = sum(n_runs.values())
        finished = total - sum(n_runs[k] for k in todo)
        if progress:
            progress(finished, total)
        with executor(workers, pool=pool, jobs=len(todo), kind=executor_kind) as ex:
            for chunk, rows, series, timing in as_they_finish(
                    partial(run_chunk, spec), todo, ex):
                store_chunk(out, chunk, head["identity_digest"], rows, series, timing)
                finished += len(rows)
                if progress:
                    progress(finished, total)
        write_json(shard_file, {**info, "status": "finished",
                                "finished": datetime.now(UTC).isoformat(timespec="seconds")})
    if shard is None:  # a whole sweep: write the final tables now
        merge(out)
    return {"done": len(todo), "repaired": repaired, "total": len(mine),
            "runs_done": sum(n_runs[k] for k in todo), "runs_total": total,
            "complete": shard is None}
