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

**Store.** ``OUT/manifest.json`` (version, commit, the spec text and its SHA-256, the
points) and ``OUT/chunks/runs-NNNNNN.csv`` (+ ``series-NNNNNN.csv``): chunk ``k`` holds
the fixed runs ``[k·chunk_size, (k+1)·chunk_size)`` and is written atomically (temp
file + rename, series before runs, so a runs chunk marks a finished chunk). Timings go
to ``chunks/timing-NNNNNN.csv``, not into the results, so results are bit-identical
however the work was split. When every chunk exists, ``runs.csv``, ``summary.csv``
(mean and 95 % t interval per design point), ``series.csv`` and, for Sobol designs,
``sobol.csv``/``sobol.png`` are written. A killed sweep resumes with ``--resume``:
finished chunks are kept, the rest run; nothing is lost or run twice.

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
import os
import time
from collections.abc import Callable, Iterable, Sequence
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

    unknown(data, ["sweep", "overrides", "parameters"], "")
    head = data.get("sweep", {})
    unknown(head, _SWEEP_KEYS, "sweep.")
    for key in ("name", "base"):
        if not isinstance(head.get(key), str) or not head.get(key):
            raise fail(f"sweep.{key}", "missing: a non-empty string is required")

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
    if design == "sobol" and samples & (samples - 1):
        raise fail("sweep.samples", f"a Sobol design needs a power of 2, got {samples}")

    try:
        base = load(path.parent / head["base"])
    except ScenarioError as exc:
        raise SweepError(f"{path}: sweep.base: {exc}") from None
    overrides = dict(data.get("overrides", {}))
    if "steps" in head:
        overrides["steps"] = head["steps"]
    try:
        base.with_overrides(overrides, source=f"{path}: overrides")
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None

    params = []
    for p, spec in data.get("parameters", {}).items():
        key = f"parameters.{p}"
        if not isinstance(spec, dict):
            raise fail(key, "must be a table like { levels = [...] } or { range = [lo, hi] }")
        unknown(spec, ["levels", "range", "n"], key + ".")
        levels = tuple(spec.get("levels", ()))
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
        params.append(Parameter(p, levels, rng_, n))
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
        return [{p.path: float(v) for p, v in zip(ps, row)} for row in values]
    # one at a time
    base = spec.base.with_overrides(spec.overrides)
    at_base = {p.path: base.get(p.path) for p in ps}
    points = [dict(at_base)]
    for p in ps:
        levels = p.levels or tuple(float(x) for x in np.linspace(*p.range, p.n))
        for v in levels:
            points.append({**at_base, p.path: v})
    return points


# ---------------------------------------------------------------------- running
def run_chunk(spec: SweepSpec, chunk: int
              ) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]], float]:
    """Run one chunk's runs; returns (chunk, result rows, series rows, seconds)."""
    t0 = time.perf_counter()
    rows, series = [], []
    scenarios: dict[int, Scenario] = {}
    for point, rep in spec.run_ids(chunk):
        if point not in scenarios:
            scenarios[point] = spec.scenario(point)
        model = DiffusionModel(scenarios[point], seed=spec.seed, key=(point, rep)).run()
        row = {"point": point, "replicate": rep, "seed": spec.seed}
        row.update(spec.points[point])
        row.update(summarize(model))
        rows.append(row)
        if spec.outputs == "series":
            series.extend(series_rows(model, point=point, replicate=rep))
    return chunk, rows, series, time.perf_counter() - t0


def _chunk_path(out: Path, kind: str, chunk: int) -> Path:
    return out / "chunks" / f"{kind}-{chunk:06d}.csv"


def done_chunks(out: Path) -> set[int]:
    """Chunks whose runs file exists (a finished chunk)."""
    folder = Path(out) / "chunks"
    if not folder.is_dir():
        return set()
    return {int(p.stem.split("-")[1]) for p in folder.glob("runs-*.csv") if p.is_file()}


def shard_from_env(env: dict[str, str] | None = None) -> tuple[int, int] | None:
    """(I, N) from Slurm array variables, or None outside an array job."""
    env = os.environ if env is None else env
    if "SLURM_ARRAY_TASK_ID" not in env:
        return None
    task = int(env["SLURM_ARRAY_TASK_ID"])
    if "SLURM_ARRAY_TASK_COUNT" in env and "SLURM_ARRAY_TASK_MIN" not in env:
        return task, int(env["SLURM_ARRAY_TASK_COUNT"])
    lo = int(env.get("SLURM_ARRAY_TASK_MIN", 0))
    hi = int(env.get("SLURM_ARRAY_TASK_MAX", env.get("SLURM_ARRAY_TASK_COUNT", task + 1)))
    if "SLURM_ARRAY_TASK_MAX" not in env:
        hi = lo + int(env["SLURM_ARRAY_TASK_COUNT"]) - 1
    return task - lo, hi - lo + 1


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
    return None if workers == 1 else ProcessPoolExecutor(workers)


def available_cores() -> int:
    """Cores this process may use: Slurm's allocation, else the CPU affinity mask."""
    if os.environ.get("SLURM_CPUS_PER_TASK", "").isdigit():
        return int(os.environ["SLURM_CPUS_PER_TASK"])
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _store_chunk(out: Path, chunk: int, rows: list[dict[str, Any]],
                 series: list[dict[str, Any]], seconds: float) -> None:
    """Write one finished chunk: series, timing, then runs (which marks it done)."""
    path = _chunk_path(out, "series", chunk)
    try:
        if series:
            write_csv(path, series)
        path = _chunk_path(out, "timing", chunk)
        write_csv(path, [{"chunk": chunk, "runs": len(rows), "seconds": round(seconds, 4),
                          "host": os.uname().nodename}])
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

    Returns a dict with ``done`` (chunks finished now), ``total`` (chunks of this
    shard or sweep) and ``complete`` (whether the final tables were written).
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
            spec=spec.text, seed=spec.seed, replications=spec.replications,
            design=spec.design, n_points=len(spec.points), n_runs=spec.n_runs,
            chunk_size=spec.chunk_size, n_chunks=spec.n_chunks, points=list(spec.points),
            started=started,
            seeds=f"run (point p, replicate r): SeedSequence({spec.seed}, spawn_key=(p, r))"))
    mine = [k for k in range(spec.n_chunks) if shard is None or k % shard[1] == shard[0]]
    todo = [k for k in mine if k not in done_chunks(out)]
    shard_file = out / (f"manifest-shard-{shard[0]}-of-{shard[1]}.json" if shard else
                        "manifest-local.json")
    write_json(shard_file, {"shard": list(shard) if shard else None, "spec_hash": spec.hash,
                            "chunks": mine, "started": started, "status": "running",
                            "host": os.uname().nodename, "pid": os.getpid()})
    finished = len(mine) - len(todo)
    if progress:
        progress(finished, len(mine))
    pool = make_executor(executor, workers)
    try:
        if pool is None:
            results: Iterable = (run_chunk(spec, k) for k in todo)
        else:
            futures = [pool.submit(run_chunk, spec, k) for k in todo]
            results = (f.result() for f in as_completed(futures))
        for chunk, rows, series, seconds in results:
            _store_chunk(out, chunk, rows, series, seconds)
            finished += 1
            if progress:
                progress(finished, len(mine))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    write_json(shard_file, {"shard": list(shard) if shard else None, "spec_hash": spec.hash,
                            "chunks": mine, "started": started, "status": "finished",
                            "finished": datetime.now(UTC).isoformat(timespec="seconds")})
    if shard is None:  # a whole sweep: write the final tables now
        merge(out)
    return {"done": len(todo), "total": len(mine), "complete": shard is None}


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


def _ranges(values: Sequence[int]) -> str:
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


def merge(out: str | Path) -> Path:
    """Join the chunks of a (sharded) sweep into ``runs.csv`` and ``summary.csv``.

    Refuses shards of a different spec; raises :class:`SweepError` naming every
    missing run (point, replicate) and the shard(s) to rerun.
    """
    out = Path(out)
    path = out / "manifest.json"
    if not path.exists():
        raise SweepError(f"{out}: no manifest.json: not a sweep folder")
    head = json.loads(path.read_text())
    shards = sorted(out.glob("manifest-shard-*.json"))
    n_shards = None
    for s in shards:
        info = json.loads(s.read_text())
        if info.get("spec_hash") != head["spec_hash"]:
            raise SweepError(f"{s}: belongs to a different spec (hash "
                             f"{info.get('spec_hash', '?')[:12]}, sweep {head['spec_hash'][:12]})")
        n_shards = info["shard"][1]
    n_chunks, chunk_size, reps = head["n_chunks"], head["chunk_size"], head["replications"]
    missing = sorted(set(range(n_chunks)) - done_chunks(out))
    if missing:
        runs = [i for k in missing for i in range(k * chunk_size,
                                                   min((k + 1) * chunk_size, head["n_runs"]))]
        by_point: dict[int, list[int]] = {}
        for i in runs:
            by_point.setdefault(i // reps, []).append(i % reps)
        listed = "; ".join(f"point {p} replicates {_ranges(r)}" for p, r in by_point.items())
        spec = head.get("spec_file", "SPEC.toml")
        if n_shards:
            redo = sorted({k % n_shards for k in missing})
            how = "; ".join(f"rerun shard {i}/{n_shards}: diffusion-sim sweep {spec} --out "
                            f"{out} --shard {i}/{n_shards}" for i in redo)
        else:
            how = f"finish it: diffusion-sim sweep {spec} --out {out} --resume"
        raise SweepError(f"{out}: {len(runs)} of {head['n_runs']} runs missing "
                         f"(chunks {_ranges(missing)}): {listed}. To {how}")
    chunks = list(range(n_chunks))
    _concat(out, "runs", chunks, out / "runs.csv")
    if _chunk_path(out, "series", 0).exists():
        _concat(out, "series", chunks, out / "series.csv")
    rows = _read_rows(out / "runs.csv")
    params = list(head["points"][0]) if head["points"] else []
    write_csv(out / "summary.csv", summary_rows(rows, by=("point",),
                                                skip=("replicate", "seed", *params)))
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
