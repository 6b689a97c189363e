"""Command line: argument parsing only; every command calls the library.

Any :class:`~diffusion_sim.errors.DiffusionSimError` becomes one line on standard
error (``diffusion-sim: error: ...``) and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from diffusion_sim import __version__
from diffusion_sim.errors import DiffusionSimError


def _progress_printer(label: str):
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            width = 30
            filled = int(width * done / total) if total else width
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{done}/{total}")
            if done == total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(f"{label}: {done}/{total} done\n")
        sys.stderr.flush()

    return progress


def cmd_validate(args: argparse.Namespace) -> int:
    from diffusion_sim.scenario import load

    for path in args.scenarios:
        sc = load(path)
        print(f"{path}: ok ({sc.name}: {sc.n_groups} groups, network {sc.network.kind}, "
              f"{sc.steps} steps)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from diffusion_sim.runs import run_replications
    from diffusion_sim.scenario import load

    sc = load(args.scenario)
    out = Path(args.out) if args.out else Path("results") / sc.name
    runs = run_replications(sc, args.reps, args.seed, out, engine=args.engine,
                            progress=_progress_printer(f"run {sc.name}"))
    import numpy as np

    eng = np.array([r["engaged_final"] for r in runs])
    print(f"{sc.name}: {len(runs)} replications, mean engaged {100 * eng.mean():.1f} %, "
          f"results in {out}/")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from diffusion_sim.compare import load_comparison, run_comparison
    from diffusion_sim.report import write_comparison_report
    from diffusion_sim.scenario import load

    settings: dict = {}
    if not args.scenarios:
        baseline, scenarios, settings = load_comparison(args.baseline)
    else:
        baseline = load(args.baseline)
        scenarios = [load(p) for p in args.scenarios]
    name = settings.get("name", f"{baseline.name}_comparison")
    reps = args.reps or settings.get("reps", 20)
    seed = args.seed if args.seed is not None else settings.get("seed", 20261122)
    ci_width = args.ci_width if args.ci_width is not None else settings.get("ci_width")
    min_count = args.min_cell_count or settings.get("min_cell_count", 10)
    out = Path(args.out) if args.out else Path("results") / name
    comp = run_comparison(baseline, scenarios, reps=reps, seed=seed, name=name,
                          workers=args.workers, ci_width=ci_width,
                          max_reps=args.max_reps or settings.get("max_reps", 200),
                          progress=_progress_printer(f"compare {name}"))
    path = write_comparison_report(comp, out, min_count=min_count)
    print(f"{name}: {comp.reps} paired replications x {len(comp.all_scenarios)} scenarios "
          f"({comp.stop_reason}); report: {path}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from diffusion_sim.sweep import load_spec, parse_shard, run_sweep

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else Path("results") / spec.name
    shard = parse_shard(args.shard) if args.shard else None
    label = f"sweep {spec.name}" + (f" shard {args.shard}" if args.shard else "")
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:  # a bar on a terminal, lines in logs
        if tty:
            filled = int(30 * done / total) if total else 30
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{done}/{total} runs" + ("\n" if done == total else ""))
        else:
            sys.stderr.write(f"{label}: {done}/{total} runs\n")
        sys.stderr.flush()

    res = run_sweep(args.spec, out, workers=args.workers, resume=args.resume, shard=shard,
                    executor=args.executor, progress=progress)
    what = "results" if res["complete"] else "chunks (merge with: diffusion-sim merge DIR)"
    print(f"{label}: {res['runs_done']} runs now, {res['runs_total']} in all; {what} in {out}/")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from diffusion_sim.sweep import merge

    path = merge(args.dir)
    print(f"merged: {path}")
    return 0


def cmd_slurm(args: argparse.Namespace) -> int:
    from diffusion_sim.hpc import write_slurm_scripts

    array, merge_script, howto = write_slurm_scripts(
        args.spec, tasks=args.tasks, out=args.out, partition=args.partition, time=args.time,
        mem=args.mem, cpus_per_task=args.cpus_per_task, script_dir=args.script_dir)
    print(howto)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="diffusion-sim",
        description="Peer-to-peer diffusion of health information under privacy and "
                    "identity concerns.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="run replications of one scenario")
    r.add_argument("scenario", metavar="SCENARIO.toml")
    r.add_argument("--reps", type=int, default=10, help="replications (default 10)")
    r.add_argument("--seed", type=int, default=20261122, help="sweep seed (entropy)")
    r.add_argument("--engine", choices=("vectorized", "agents"), default="vectorized")
    r.add_argument("--out", help="output folder (default results/<scenario name>)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser(
        "compare", help="compare scenarios with a baseline (paired replications) + report",
        description="Either BASELINE.toml SCENARIO.toml... or one comparison file "
                    "(a [comparison] table naming the baseline, plus [scenarios.NAME]).")
    c.add_argument("baseline", metavar="BASELINE.toml|COMPARISON.toml")
    c.add_argument("scenarios", nargs="*", metavar="SCENARIO.toml")
    c.add_argument("--reps", type=int, help="paired replications per scenario (default 20)")
    c.add_argument("--ci-width", type=float, dest="ci_width",
                   help="add replications until every difference's 95%% interval is "
                        "narrower than this (on the reported scale: pp or index units)")
    c.add_argument("--max-reps", type=int, dest="max_reps",
                   help="cap for --ci-width (default 200)")
    c.add_argument("--seed", type=int)
    c.add_argument("--workers", type=int, help="processes (default: all cores)")
    c.add_argument("--min-cell-count", type=int, dest="min_cell_count",
                   help="suppress per-group cells below this count with user files (10)")
    c.add_argument("--out", help="output folder (default results/<name>)")
    c.set_defaults(func=cmd_compare)

    w = sub.add_parser("sweep", help="run a parameter sweep (resumable, shardable)")
    w.add_argument("spec", metavar="SPEC.toml")
    w.add_argument("--out", help="output folder (default results/<sweep name>)")
    w.add_argument("--workers", type=int, help="local processes (default: all cores)")
    w.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out (refused if the spec changed)")
    w.add_argument("--shard", metavar="I/N",
                   help="run only the I-th of N interleaved slices (default: from "
                        "SLURM_ARRAY_TASK_ID/COUNT when set)")
    w.add_argument("--executor", choices=("local", "mpi"), default="local",
                   help="mpi: mpi4py.futures.MPIPoolExecutor (run under mpiexec)")
    w.set_defaults(func=cmd_sweep)

    mg = sub.add_parser("merge", help="join a sharded sweep's chunks; list missing runs")
    mg.add_argument("dir", metavar="DIR")
    mg.set_defaults(func=cmd_merge)

    sl = sub.add_parser("slurm", help="write an sbatch array script + a dependent merge job")
    sl.add_argument("spec", metavar="SPEC.toml")
    sl.add_argument("--tasks", type=int, required=True, help="array tasks (shards)")
    sl.add_argument("--out", help="sweep output folder (default results/<sweep name>)")
    sl.add_argument("--partition")
    sl.add_argument("--time", default="01:00:00", help="per task (default 01:00:00)")
    sl.add_argument("--mem", default="2G", help="per task (default 2G)")
    sl.add_argument("--cpus-per-task", type=int, default=1, dest="cpus_per_task")
    sl.add_argument("--script-dir", dest="script_dir",
                    help="where to write the scripts (default: the output folder)")
    sl.set_defaults(func=cmd_slurm)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "reps", 1) is not None and getattr(args, "reps", 1) < 1:
        parser.error("--reps must be at least 1")
    try:
        return int(args.func(args) or 0)
    except DiffusionSimError as exc:
        print(f"diffusion-sim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("diffusion-sim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
