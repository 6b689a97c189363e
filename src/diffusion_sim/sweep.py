"""Parameter sweeps: designs, seeds, runners, a resumable result store, shards, merge.

A sweep spec (TOML) names a base scenario, fixed overrides, the parameters to vary
(any scenario key by its dotted path) and a design::

    [sweep]
    name = "reshare_x_identity"
    base = "../scenarios/baseline.toml"   # relative to this file
    seed = 20261122
    replications = 5
    design = "grid"          # grid | lhs | sobol | oat
    samples = 64             # lhs: points; sobol: base sample N (a power of 2)
    outputs = "summary"      # summary | series (also the per-step counts)
    chunk_size = 20          # runs per chunk file

    [overrides]              # fixed changes to the base scenario
    "population.size" = 1000

    [parameters]
    "transmission.reshare_prob" = { levels = [0.0, 0.05, 0.1] }          # grid, oat
    "traits.identity_sensitivity.group1.mean" = { range = [0.4, 0.8] }   # lhs, sobol, oat

**Runs and seeds.** The design's points are expanded deterministically; the runs are
every (point, replicate), point-major. Run (p, r) is seeded by
``SeedSequence(seed, spawn_key=(p, r))``: its result depends only on its identity,
never on the worker, shard, rank or order that ran it.

**Store.** ``OUT/manifest.json`` (version, commit, the spec text and its SHA-256, a
SHA-256 of the resolved base scenario, the points, start and merge times) and
``OUT/chunks/runs-NNNNNN.csv`` (+ ``series-NNNNNN.csv``): chunk ``k`` holds the fixed
runs ``[k·chunk_size, (k+1)·chunk_size)`` and is written atomically (temp file +
rename; series and timing before runs, so a runs chunk marks a finished chunk).

Timing is kept *out* of the result rows: each run's wall time (``elapsed_s``, with host
and process id) goes to ``chunks/timing-NNNNNN.csv`` and, merged, ``timing.csv``. So
``runs.csv`` is byte-identical however the work was split (workers, shards, MPI ranks,
resumes) and can be compared with ``cmp``; join ``timing.csv`` on (point, replicate)
when the cost of runs matters. When every chunk exists, ``runs.csv``, ``summary.csv``
(mean and 95 % t interval of every metric per design point), ``series.csv`` and, for
Sobol designs, ``sobol.csv``/``sobol.png`` are written. A killed sweep (even
``kill -9``) resumes with ``--resume``: finished chunks are kept, the rest run; nothing
is lost or run twice. Floats are written with ``repr`` and so round-trip exactly.

**Shards.** ``shard=(I, N)`` runs chunks ``k`` with ``k % N == I`` (interleaved, so
shards get similar mixes of cheap and costly points); Slurm array variables supply it
when absent. :func:`merge` joins the chunks and names the missing runs and the shard
to rerun.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from diffusion_sim.errors import ScenarioError, SweepError
from diffusion_sim.metrics import summarize
from diffusion_sim.model import DiffusionModel
from diffusion_sim.runs import manifest, series_rows, summary_rows, write_csv, write_json
from diffusion_sim.scenario import Scenario, load

DESIGNS = ("grid", "lhs", "sobol", "oat")
_SWEEP_KEYS = ["name", "base", "seed", "replications", "design", "samples", "outputs",
               "chunk_size", "steps"]
#: Outputs whose Sobol indices are reported for a Sobol design.
SOBOL_OUTPUTS = ("engaged_final", "engaged_gap", "engaged_ci_erreygers")


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: its dotted scenario path and its levels or range."""

    path: str
    levels: tuple[Any, ...] = ()
    range: tuple[float, float] | None = None
    n: int = 5  # oat with a range: number of evenly spaced levels
    integer: bool = False  # an integer setting (e.g. population.size): sampled values rounded


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec (build with :func:`load_spec`)."""

    name: str
    source: str
    text: str
    base: Scenario
    seed: int
    replications: int
    design: str
    samples: int
    outputs: str
    chunk_size: int
    overrides: dict[str, Any]
    parameters: tuple[Parameter, ...]
    points: tuple[dict[str, Any], ...] = field(default=())

    @property
    def hash(self) -> str:
        """SHA-256 of the spec file's text (what ``--resume`` and ``merge`` compare)."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def base_hash(self) -> str:
        """SHA-256 of the resolved base scenario (base file + overrides), so that a base
        scenario edited between the start and a resume is caught too."""
        data = self.base.with_overrides(self.overrides).to_dict()
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replications

    @property
    def n_chunks(self) -> int:
        return -(-self.n_runs // self.chunk_size)

    def run_ids(self, chunk: int) -> list[tuple[int, int]]:
        """The (point, replicate) pairs of chunk ``chunk``."""
        lo = chunk * self.chunk_size
        hi = min(lo + self.chunk_size, self.n_runs)
        return [(i // self.replications, i % self.replications) for i in range(lo, hi)]

    def scenario(self, point: int) -> Scenario:
        """The scenario of design point ``point``."""
        values = {**self.overrides, **self.points[point]}
        return self.base.with_overrides(values, source=f"{self.source}: point {point}")


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec; errors name the file and the key."""
    from diffusion_sim.scenario import read_toml

    path = Path(path)
    data = read_toml(path)
    text = path.read_text()

    def fail(key: str, msg: str) -> SweepError:
        return SweepError(f"{path}: {key}: {msg}")

    def unknown(keys: Iterable[str], allowed: Sequence[str], prefix: str) -> None:
        for k in keys:
            if k not in allowed:
                close = difflib.get_close_matches(k, list(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else (
                    f" (valid keys: {', '.join(allowed)})")
                raise fail(prefix + k, f"unknown key{hint}")

    def table(obj: Any, key: str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise fail(key, f"must be a table, got {obj!r}")
        return obj

    unknown(data, ["sweep", "overrides", "parameters"], "")
    head = table(data.get("sweep", {}), "sweep")
    unknown(head, _SWEEP_KEYS, "sweep.")
    for key in ("name", "base"):
        if not isinstance(head.get(key), str) or not head.get(key):
            raise fail(f"sweep.{key}", "missing: a non-empty string is required")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", head["name"]):
        raise fail("sweep.name", f"{head['name']!r}: use letters, digits, '_', '-', '.' "
                   "(it names the default output folder)")

    def integer(key: str, default: int, lo: int) -> int:
        v = head.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise fail(f"sweep.{key}", f"must be an integer >= {lo}, got {v!r}")
        return v

    seed = integer("seed", 20261122, 0)
    reps = integer("replications", 1, 1)
    samples = integer("samples", 16, 1)
    chunk_size = integer("chunk_size", 20, 1)
    design = head.get("design", "grid")
    if design not in DESIGNS:
        raise fail("sweep.design", f"{design!r} is not one of {', '.join(DESIGNS)}")
    outputs = head.get("outputs", "summary")
    if outputs not in ("summary", "series"):
        raise fail("sweep.outputs", f"{outputs!r} is not 'summary' or 'series'")
    if design == "sobol" and (samples & (samples - 1) or samples < 4):
        raise fail("sweep.samples", f"a Sobol design needs a power of 2 >= 4, got {samples}")

    try:
        base = load(path.parent / head["base"])
    except ScenarioError as exc:
        raise SweepError(f"{path}: sweep.base: {exc}") from None
    overrides = dict(table(data.get("overrides", {}), "overrides"))
    if "steps" in head:
        overrides["steps"] = head["steps"]
    try:
        resolved = base.with_overrides(overrides, source=f"{path}: overrides")
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None

    params = []
    for p, spec in table(data.get("parameters", {}), "parameters").items():
        key = f"parameters.{p}"
        if not isinstance(spec, dict):
            raise fail(key, "must be a table like { levels = [...] } or { range = [lo, hi] }")
        unknown(spec, ["levels", "range", "n"], key + ".")
        levels = spec.get("levels", [])
        if not isinstance(levels, list) or ("levels" in spec and not levels):
            raise fail(key + ".levels", f"must be a non-empty list, got {levels!r}")
        levels = tuple(levels)
        rng_ = spec.get("range")
        if rng_ is not None:
            if (not isinstance(rng_, list) or len(rng_) != 2
                    or not all(isinstance(x, (int, float)) for x in rng_) or rng_[0] > rng_[1]):
                raise fail(key + ".range", f"must be [low, high] numbers, got {rng_!r}")
            rng_ = (float(rng_[0]), float(rng_[1]))
        if design == "grid" and not levels:
            raise fail(key, "a grid design needs levels = [...]")
        if design in ("lhs", "sobol") and rng_ is None:
            raise fail(key, f"a {design} design needs range = [low, high]")
        if design == "oat" and not levels and rng_ is None:
            raise fail(key, "needs levels = [...] or range = [low, high]")
        n = spec.get("n", 5)
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise fail(key + ".n", f"must be an integer >= 2, got {n!r}")
        # every value must make a valid scenario: check the extremes now
        probe = list(levels) + (list(rng_) if rng_ else [])
        for v in probe:
            try:
                base.with_overrides({**overrides, p: v}, source=f"{path}: {key}")
            except ScenarioError as exc:
                raise SweepError(str(exc)) from None
        try:
            current = resolved.get(p)
        except ScenarioError:
            current = None
        integer = isinstance(current, int) and not isinstance(current, bool)
        params.append(Parameter(p, levels, rng_, n, integer))
    if not params:
        raise fail("parameters", "no parameters to vary")
    spec = SweepSpec(head["name"], str(path), text, base, seed, reps, design, samples, outputs,
                     chunk_size, overrides, tuple(params))
    return SweepSpec(**{**spec.__dict__, "points": tuple(expand(spec))})


def expand(spec: SweepSpec) -> list[dict[str, Any]]:
    """The design's points (dicts of dotted path -> value), in a fixed order.

    - ``grid``: the full factorial of the levels, first parameter slowest;
    - ``lhs``: ``samples`` points of a Latin hypercube (``scipy.stats.qmc``, seeded by
      the sweep seed) scaled to the ranges;
    - ``sobol``: Saltelli's matrices for ``N = samples``: A (N points), B (N), then
      AB_i (A with column i from B) for each parameter i: ``N·(d + 2)`` points;
    - ``oat``: the base point (each parameter at its base value) then, parameter by
      parameter, each of its levels (or ``n`` evenly spaced values of its range) with
      the others at base.
    """
    from scipy.stats import qmc

    ps = spec.parameters
    d = len(ps)
    if spec.design == "grid":
        return [dict(zip((p.path for p in ps), combo))
                for combo in itertools.product(*(p.levels for p in ps))]
    if spec.design in ("lhs", "sobol"):
        lo = np.array([p.range[0] for p in ps])
        hi = np.array([p.range[1] for p in ps])
        if spec.design == "lhs":
            unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(spec.seed)).random(
                spec.samples)
        else:
            ab = qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(spec.seed)
                           ).random(spec.samples)
            A, B = ab[:, :d], ab[:, d:]
            blocks = [A, B]
            for i in range(d):
                AB = A.copy()
                AB[:, i] = B[:, i]
                blocks.append(AB)
            unit = np.vstack(blocks)
        values = lo + unit * (hi - lo)
        return [{p.path: _value(p, v) for p, v in zip(ps, row)} for row in values]
    # one at a time
    base = spec.base.with_overrides(spec.overrides)
    at_base = {p.path: base.get(p.path) for p in ps}
    points = [dict(at_base)]
    for p in ps:
        levels = p.levels or tuple(_value(p, x) for x in np.linspace(*p.range, p.n))
        for v in levels:
            points.append({**at_base, p.path: v})
    return points


def _value(p: Parameter, x: float) -> float | int:
    """A sampled value as the scenario wants it: integer settings are rounded."""
    return round(float(x)) if p.integer else float(x)


# ---------------------------------------------------------------------- running
def run_chunk(
    spec: SweepSpec, chunk: int
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Run one chunk's runs; returns (chunk, result rows, series rows, timing rows).

    Result rows hold only what the run's identity determines (point, replicate, seed,
    swept values, every metric of :func:`~diffusion_sim.metrics.summarize`); timing rows
    hold each run's wall time ``elapsed_s`` (build + run + metrics, seconds), host and pid.
    """
    rows, series, timing = [], [], []
    scenarios: dict[int, Scenario] = {}
    host, pid = os.uname().nodename, os.getpid()
    for point, rep in spec.run_ids(chunk):
        t0 = time.perf_counter()
        if point not in scenarios:
            scenarios[point] = spec.scenario(point)
        model = DiffusionModel(scenarios[point], seed=spec.seed, key=(point, rep)).run()
        row = {"point": point, "replicate": rep, "seed": spec.seed}
        row.update(spec.points[point])
        row.update(summarize(model))
        rows.append(row)
        if spec.outputs == "series":
            series.extend(series_rows(model, point=point, replicate=rep))
        timing.append({"point": point, "replicate": rep, "chunk": chunk,
                       "elapsed_s": round(time.perf_counter() - t0, 6), "host": host,
                       "pid": pid})
    return chunk, rows, series, timing


def _chunk_path(out: Path, kind: str, chunk: int) -> Path:
    return out / "chunks" / f"{kind}-{chunk:06d}.csv"


def done_chunks(out: Path) -> set[int]:
    """Chunks whose (non-empty) runs file exists: the finished chunks."""
    folder = Path(out) / "chunks"
    if not folder.is_dir():
        return set()
    return {int(p.stem.split("-")[1]) for p in folder.glob("runs-*.csv")
            if p.is_file() and p.stat().st_size > 0}


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


def _check_manifest(out: Path, spec: SweepSpec, resume: bool, shard: tuple[int, int] | None
                    ) -> None:
    path = out / "manifest.json"
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise SweepError(f"{path}: unreadable manifest; move the folder aside") from None
    if old.get("spec_hash") != spec.hash:
        raise SweepError(
            f"{out}: the spec changed since this sweep started (hash "
            f"{old.get('spec_hash', '?')[:12]} there, {spec.hash[:12]} now); "
            "use a new --out folder or restore the spec")
    if old.get("base_hash", spec.base_hash) != spec.base_hash:
        raise SweepError(
            f"{out}: the base scenario changed since this sweep started ({spec.base.source} "
            "or the overrides resolve differently now); use a new --out folder or restore it")
    if not resume and shard is None:
        raise SweepError(f"{out}: already holds this sweep; add --resume to finish it")


def make_executor(kind: str, workers: int | None) -> Executor | None:
    """``local``: a process pool (None = run in this process when workers == 1);
    ``mpi``: an ``mpi4py.futures.MPIPoolExecutor`` (run under ``mpiexec``)."""
    if kind == "mpi":
        try:
            from mpi4py.futures import MPIPoolExecutor
        except ImportError:
            raise SweepError("--executor mpi needs mpi4py: pip install "
                             "'diffusion-sim[mpi]'") from None
        return MPIPoolExecutor()
    if kind != "local":
        raise SweepError(f"--executor: {kind!r} is not 'local' or 'mpi'")
    workers = workers or available_cores()
    if workers == 1:
        return None
    return ProcessPoolExecutor(workers, mp_context=_mp_context(), initializer=_exit_with_parent)


def _exit_with_parent() -> None:
    """In a pool worker: exit as soon as the sweep process dies (even by ``kill -9``).

    A pool worker blocks on its task queue, whose write end it holds itself, so it
    would never notice; watching the parent's sentinel keeps no orphans computing."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _mp_context() -> multiprocessing.context.BaseContext:
    """Start workers from a fork server that has imported the model once.

    Importing mesa forces the global start method to ``spawn`` (mesa.batchrunner), which
    re-imports numpy/scipy/mesa in every worker (≈1.6 s each); plain ``fork`` from a
    process that already runs BLAS threads is unsafe (Python 3.12+ warns). A preloaded
    fork server is both safe and cheap. Platforms without it (Windows) keep the default.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["diffusion_sim.sweep"])
    return ctx


def available_cores() -> int:
    """Cores this process may use: Slurm's allocation, else the CPU affinity mask."""
    if os.environ.get("SLURM_CPUS_PER_TASK", "").isdigit():
        return int(os.environ["SLURM_CPUS_PER_TASK"])
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _store_chunk(out: Path, chunk: int, rows: list[dict[str, Any]],
                 series: list[dict[str, Any]], timing: list[dict[str, Any]]) -> None:
    """Write one finished chunk: series, timing, then runs (which marks it done)."""
    path = _chunk_path(out, "series", chunk)
    try:
        if series:
            write_csv(path, series)
        path = _chunk_path(out, "timing", chunk)
        write_csv(path, timing)
        path = _chunk_path(out, "runs", chunk)
        write_csv(path, rows)
    except OSError as exc:
        raise SweepError(f"{path}: cannot write chunk {chunk}: {exc.strerror or exc}; "
                         "the chunks already written are kept") from None


def run_sweep(
    spec_path: str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    resume: bool = False,
    shard: tuple[int, int] | None = None,
    executor: str = "local",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume, or run one shard of) a sweep into ``out``.

    Parameters
    ----------
    spec_path : path of the sweep spec (TOML).
    out : output folder; refused if it holds a sweep already, unless ``resume`` (and
        refused even then if the spec or its base scenario changed).
    workers : local processes (default: the cores this process may use); 1 runs in
        this process. Results do not depend on it.
    shard : (I, N): run only chunks ``k`` with ``k % N == I`` and write no final
        tables (see :func:`merge`); default from the Slurm array variables, if set.
    executor : ``"local"`` (process pool) or ``"mpi"`` (``mpi4py.futures``).
    progress : called as ``progress(runs_done, runs_total)`` (this shard's runs) at the
        start and after every chunk.

    Returns
    -------
    dict with ``done`` (chunks run now), ``total`` (chunks of this sweep or shard),
    ``runs_done``/``runs_total`` (runs run now / in this sweep or shard) and ``complete``
    (whether the final tables were written).
    """
    spec = load_spec(spec_path)
    out = Path(out)
    if shard is None:
        shard = shard_from_env()
    _check_manifest(out, spec, resume, shard)
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    if not (out / "manifest.json").exists():
        write_json(out / "manifest.json", manifest(
            command="sweep", name=spec.name, spec_file=spec.source, spec_hash=spec.hash,
            base_hash=spec.base_hash, spec=spec.text, seed=spec.seed,
            replications=spec.replications, design=spec.design, outputs=spec.outputs,
            n_points=len(spec.points), n_runs=spec.n_runs, chunk_size=spec.chunk_size,
            n_chunks=spec.n_chunks, parameters=[p.path for p in spec.parameters],
            points=list(spec.points), started=started,
            seeds=f"run (point p, replicate r): SeedSequence({spec.seed}, spawn_key=(p, r))",
            timing="not in runs.csv (kept byte-identical); per run in timing.csv"))
    mine = [k for k in range(spec.n_chunks) if shard is None or k % shard[1] == shard[0]]
    todo = [k for k in mine if k not in done_chunks(out)]
    shard_file = out / (f"manifest-shard-{shard[0]}-of-{shard[1]}.json" if shard else
                        "manifest-local.json")
    info = {"shard": list(shard) if shard else None, "spec_hash": spec.hash,
            "base_hash": spec.base_hash, "chunks": mine, "started": started,
            "host": os.uname().nodename, "pid": os.getpid()}
    write_json(shard_file, {**info, "status": "running"})
    n_runs = {k: len(spec.run_ids(k)) for k in mine}
    total = sum(n_runs.values())
    finished = total - sum(n_runs[k] for k in todo)
    if progress:
        progress(finished, total)
    if workers is None and executor == "local":
        workers = available_cores()
    if executor == "local":
        workers = max(1, min(workers, len(todo)))
    pool = make_executor(executor, workers) if todo else None
    try:
        if pool is None:
            results: Iterable = (run_chunk(spec, k) for k in todo)
        else:
            futures = [pool.submit(run_chunk, spec, k) for k in todo]
            results = (f.result() for f in as_completed(futures))
        for chunk, rows, series, timing in results:
            _store_chunk(out, chunk, rows, series, timing)
            finished += len(rows)
            if progress:
                progress(finished, total)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    write_json(shard_file, {**info, "status": "finished",
                            "finished": datetime.now(UTC).isoformat(timespec="seconds")})
    if shard is None:  # a whole sweep: write the final tables now
        merge(out)
    return {"done": len(todo), "total": len(mine),
            "runs_done": sum(n_runs[k] for k in todo), "runs_total": total,
            "complete": shard is None}


# ---------------------------------------------------------------------- merge
def _read_rows(path: Path) -> list[dict[str, Any]]:
    with open(path, newline="") as fh:
        return [{k: _number(v) for k, v in r.items()} for r in csv.DictReader(fh)]


def _number(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _concat(out: Path, kind: str, chunks: Sequence[int], target: Path) -> None:
    """Concatenate chunk CSVs byte for byte (one header) into ``target``, atomically."""
    buf = io.StringIO()
    for i, k in enumerate(chunks):
        text = _chunk_path(out, kind, k).read_text()
        buf.write(text if i == 0 else text.split("\n", 1)[1])
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(buf.getvalue())
    os.replace(tmp, target)


def _ranges(values: Iterable[int]) -> str:
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


def _describe_runs(runs: Sequence[tuple[int, int]], limit: int = 12) -> str:
    """Runs (point, replicate) as ``"point 1 replicates 1; points 2-4 replicates 0-1"``:
    consecutive points missing the same replicates share one entry; at most ``limit``
    entries, then a count of the rest."""
    by_point: dict[int, list[int]] = {}
    for point, rep in runs:
        by_point.setdefault(point, []).append(rep)
    entries: list[list[Any]] = []  # [first point, last point, replicates]
    for point in sorted(by_point):
        reps = _ranges(by_point[point])
        if entries and entries[-1][1] == point - 1 and entries[-1][2] == reps:
            entries[-1][1] = point
        else:
            entries.append([point, point, reps])
    text = [f"point {a} replicates {r}" if a == b else f"points {a}-{b} replicates {r}"
            for a, b, r in entries[:limit]]
    if len(entries) > limit:
        text.append(f"... {len(entries) - limit} more")
    return "; ".join(text)


def _shard_manifests(out: Path, head: dict[str, Any]) -> list[dict[str, Any]]:
    """The shard (and local) manifests; refuses any of a different spec or base."""
    infos = []
    for s in sorted([*out.glob("manifest-shard-*.json"), *out.glob("manifest-local.json")]):
        try:
            info = json.loads(s.read_text())
        except (OSError, json.JSONDecodeError):
            raise SweepError(f"{s}: unreadable shard manifest; delete it and rerun that "
                             "shard") from None
        for key, what in (("spec_hash", "spec"), ("base_hash", "base scenario")):
            mine, theirs = info.get(key), head.get(key)
            if mine and theirs and mine != theirs:
                raise SweepError(f"{s}: belongs to a different {what} (hash {mine[:12]}, "
                                 f"sweep {theirs[:12]}); move its chunks aside or rerun it")
        infos.append(info)
    return infos


def merge(out: str | Path) -> Path:
    """Join the chunks of a (sharded) sweep into ``runs.csv`` and ``summary.csv``.

    Also ``series.csv`` (outputs = "series"), ``timing.csv`` and, for a Sobol design,
    ``sobol.csv``/``sobol.png``. ``runs.csv`` is the chunks' bytes in run order, so it
    equals a serial sweep's byte for byte. Refuses shards of a different spec; when
    runs are missing, writes ``missing-runs.csv`` (point, replicate, chunk, shard) and
    raises :class:`SweepError` naming them compactly and the shard(s) to rerun.
    """
    out = Path(out)
    path = out / "manifest.json"
    if not path.exists():
        raise SweepError(f"{out}: no manifest.json: not a sweep folder")
    try:
        head = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise SweepError(f"{path}: unreadable manifest") from None
    shards = [i["shard"] for i in _shard_manifests(out, head) if i.get("shard")]
    n_chunks, chunk_size, reps = head["n_chunks"], head["chunk_size"], head["replications"]
    n_runs = head["n_runs"]

    def runs_of(k: int) -> list[tuple[int, int]]:
        return [divmod(i, reps) for i in range(k * chunk_size, min((k + 1) * chunk_size,
                                                                   n_runs))]

    missing = sorted(set(range(n_chunks)) - done_chunks(out))
    if missing:
        # rerun hints use the shard count most shards were run with (any N works:
        # chunk k belongs to shard k % N of N whatever other shards used)
        counts = [n for _, n in shards]
        n_shards = max(set(counts), key=counts.count) if counts else None
        lost = [(p, r, k, k % n_shards if n_shards else "") for k in missing
                for p, r in runs_of(k)]
        write_csv(out / "missing-runs.csv", [
            {"point": p, "replicate": r, "chunk": k, "shard": sh} for p, r, k, sh in lost])
        spec = head.get("spec_file", "SPEC.toml")
        if n_shards:
            redo = sorted({k % n_shards for k in missing})
            how = "; ".join(f"rerun shard {i}/{n_shards}: diffusion-sim sweep {spec} --out "
                            f"{out} --shard {i}/{n_shards}" for i in redo)
        else:
            how = f"finish it: diffusion-sim sweep {spec} --out {out} --resume"
        raise SweepError(
            f"{out}: {len(lost)} of {n_runs} runs missing (chunks {_ranges(missing)}): "
            f"{_describe_runs([(p, r) for p, r, _, _ in lost])} "
            f"(all in {out / 'missing-runs.csv'}). To {how}")
    (out / "missing-runs.csv").unlink(missing_ok=True)
    chunks = list(range(n_chunks))
    _concat(out, "runs", chunks, out / "runs.csv")
    if _chunk_path(out, "series", 0).exists():
        _concat(out, "series", chunks, out / "series.csv")
    if all(_chunk_path(out, "timing", k).exists() for k in chunks):
        _concat(out, "timing", chunks, out / "timing.csv")
    rows = _read_rows(out / "runs.csv")
    ids = [(r["point"], r["replicate"]) for r in rows]
    if ids != [divmod(i, reps) for i in range(n_runs)]:
        bad = next(k for k in chunks if [(r["point"], r["replicate"]) for r in _read_rows(
            _chunk_path(out, "runs", k))] != runs_of(k))
        raise SweepError(f"{_chunk_path(out, 'runs', bad)}: does not hold runs "
                         f"{_describe_runs(runs_of(bad))}; delete it and resume")
    params = head.get("parameters") or (list(head["points"][0]) if head["points"] else [])
    write_csv(out / "summary.csv", summary_rows(rows, by=("point", *params),
                                                skip=("replicate", "seed")))
    if head.get("design") == "sobol":
        sobol_analysis(out, head, rows)
    info = dict(head)
    info["merged"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(out / "manifest.json", info)
    return out / "runs.csv"


# ---------------------------------------------------------------------- sensitivity
def sobol_analysis(out: Path, head: dict[str, Any], rows: Sequence[dict[str, Any]]) -> None:
    """First- and total-order Sobol indices with bootstrap 95 % intervals.

    Uses :func:`scipy.stats.sobol_indices` (Saltelli 2010 / Jansen estimators) on the
    sweep's own A, B and AB_i runs (passed as precomputed ``f_A``, ``f_B``, ``f_AB``),
    averaging the replicates of each point first: scipy needs no extra dependency and
    accepts outputs that were computed elsewhere (by the resumable, shardable store),
    which SALib's function-call interface would not buy us. Writes ``sobol.csv`` and
    ``sobol.png``.
    """
    from scipy.stats import sobol_indices

    points = head["points"]
    names = list(points[0])
    d = len(names)
    n = len(points) // (d + 2)
    per_point = np.zeros((len(points), len(SOBOL_OUTPUTS)))
    counts = np.zeros(len(points))
    for r in rows:
        per_point[r["point"]] += [float(r[o]) for o in SOBOL_OUTPUTS]
        counts[r["point"]] += 1
    per_point /= counts[:, None]
    per_point = np.nan_to_num(per_point)
    f = per_point.T  # (s, points)
    f_A, f_B = f[:, :n], f[:, n:2 * n]
    f_AB = np.stack([f[:, (2 + i) * n:(3 + i) * n] for i in range(d)])
    res = sobol_indices(func={"f_A": f_A, "f_B": f_B, "f_AB": f_AB}, n=n)
    boot = res.bootstrap(confidence_level=0.95, n_resamples=999)
    table = []
    for j, o in enumerate(SOBOL_OUTPUTS):
        for i, p in enumerate(names):
            table.append({
                "output": o, "parameter": p,
                "first_order": float(res.first_order[j, i]),
                "first_low": float(boot.first_order.confidence_interval.low[j, i]),
                "first_high": float(boot.first_order.confidence_interval.high[j, i]),
                "total_order": float(res.total_order[j, i]),
                "total_low": float(boot.total_order.confidence_interval.low[j, i]),
                "total_high": float(boot.total_order.confidence_interval.high[j, i]),
            })
    write_csv(out / "sobol.csv", table)
    from diffusion_sim.report import sobol_figure

    sobol_figure(table, out / "sobol.png", title=f"Sobol indices: {head['name']}")
