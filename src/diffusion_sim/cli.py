"""Command line: parse the arguments, call the library, print what it returns.

No defaults of its own: an option left out is ``None`` and the library's default (or
the comparison / sweep file's setting) applies. Heavy modules are imported by the
command that needs them, so ``diffusion-sim --help`` starts fast. Any
:class:`~diffusion_sim.errors.DiffusionSimError` becomes one line on standard error
(``diffusion-sim: error: ...``) and exit status 2; so do bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from diffusion_sim.errors import DiffusionSimError
from diffusion_sim.version import __version__


def _progress_printer(label: str) -> Callable[[int, int], None]:
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


def cmd_describe(args: argparse.Namespace) -> int:
    from diffusion_sim.scenario import describe

    rows = describe()
    if args.format == "markdown":
        print("| key | type | range | default | meaning |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| `{r['key']}` | {r['type']} | {r['range']} | `{r['default']}` | "
                  f"{r['meaning']} |")
        return 0
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        print(f"{r['key']:<{width}}  {r['type']:<7}  {r['range']:<32}  default "
              f"{r['default']:<10}  {r['meaning']}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from diffusion_sim.replicate import DEFAULT_SEED
    from diffusion_sim.runs import run_replications
    from diffusion_sim.scenario import load

    sc = load(args.scenario)
    out = Path(args.out) if args.out else Path("results") / sc.name
    replacing = _replacing(out)
    done = run_replications(sc, args.reps, DEFAULT_SEED if args.seed is None else args.seed,
                            out, engine=args.engine, workers=args.workers,
                            progress=_progress_printer(f"run {sc.name}"))
    _print_notes({sc.name: done.notes})
    mean = sum(r["engaged_final"] for r in done.runs) / len(done.runs)
    print(f"{sc.name}: {len(done.runs)} replications, mean engaged {100 * mean:.1f} %, "
          f"results in {out}/{replacing}")
    return 0


def _print_notes(notes: dict[str, Sequence[str]]) -> None:
    """What reading the input files did: ``SCENARIO: note: ...`` on stderr, each once."""
    for name, lines in notes.items():
        for line in lines:
            print(f"{name}: note: {line}", file=sys.stderr)


def _replacing(out: Path) -> str:
    """Check ``out`` before any work; the note to print if it holds earlier results."""
    from diffusion_sim.store import check_output_folder, written_by_us

    check_output_folder(out)
    return " (replaced the earlier results there)" if written_by_us(out) else ""


def cmd_compare(args: argparse.Namespace) -> int:
    from diffusion_sim.compare import (
        different_people,
        load_comparison,
        people_warning,
        resolve_settings,
        run_comparison,
    )
    from diffusion_sim.errors import ScenarioError
    from diffusion_sim.report import write_comparison_report
    from diffusion_sim.robustness import load_robustness, run_robustness
    from diffusion_sim.scenario import load

    file_settings, robust = None, None
    if not args.scenarios:
        baseline, scenarios, file_settings = load_comparison(args.baseline)
    else:
        baseline = load(args.baseline)
        scenarios = [load(p) for p in args.scenarios]
    s = resolve_settings(file_settings, reps=args.reps, seed=args.seed,
                         ci_width=args.ci_width, max_reps=args.max_reps,
                         min_cell_count=args.min_cell_count)
    if not args.scenarios:  # checked before anything runs
        robust = load_robustness(args.baseline, baseline, scenarios, s["seed"], args.points)
    elif args.points:
        raise ScenarioError("--points: robustness needs a comparison file with a "
                            "[robustness] table, not scenario files")
    name = s["name"] or f"{baseline.name}_comparison"
    out = Path(args.out) if args.out else Path("results") / name
    replacing = _replacing(out)
    for sc_name, diffs in different_people(baseline, scenarios).items():
        print(f"{sc_name}: warning: {people_warning(sc_name, baseline.name, diffs)}",
              file=sys.stderr)
    comp = run_comparison(baseline, scenarios, reps=s["reps"], seed=s["seed"], name=name,
                          workers=args.workers, ci_width=s["ci_width"],
                          max_reps=s["max_reps"],
                          progress=_progress_printer(f"compare {name}"))
    _print_notes(comp.notes)
    section = None
    if robust is not None:
        from diffusion_sim.report.robustness_section import RobustnessSection

        rob = run_robustness(robust, baseline, scenarios, workers=args.workers,
                             progress=_progress_printer(f"robustness {name}"))
        section = RobustnessSection(rob, comp.measures)
    path = write_comparison_report(comp, out, min_count=s["min_cell_count"],
                                   robustness=section)
    print(f"{name}: {comp.reps} paired replications x {len(comp.all_scenarios)} scenarios "
          f"({comp.stop_reason}); report: {path}{replacing}")
    if section is not None:
        print(f"{name}: robustness: {section.rob.n_points} parameter settings x "
              f"{robust.reps} replications ({section.rob.n_runs} runs, "
              f"{section.rob.seconds:.0f} s)"
              + (f"; scenario discovery: {section.rob.discovery_note}"
                 if section.rob.discovery_note else ""))
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from diffusion_sim.discovery import discover_folder

    found = discover_folder(args.dir, args.where, policy=args.policy,
                            threshold=args.threshold, out=args.out)
    print(f"{found.outcome}: {found.n_cases} of {found.n_settings} settings; "
          f"{len(found.boxes)} PRIM box(es) in {found.out}/")
    for i, b in enumerate(found.boxes, 1):
        print(f"  box {i}: coverage {b.coverage:.0%}, density {b.density:.0%}"
              f"{'' if b.meets_threshold else ' (below the density threshold)'}: "
              f"{b.describe()}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from diffusion_sim.sweep.delta import DEFAULT_OUTPUTS, delta_folder

    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()] if args.outputs \
        else list(DEFAULT_OUTPUTS)
    out, notes = delta_folder(args.dir, outputs, resamples=args.resamples, out=args.out)
    for line in notes:
        print(f"note: {line}", file=sys.stderr)
    print(f"moment-independent indices (delta) of {', '.join(outputs)}: {out}/delta.csv")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from diffusion_sim.sweep import load_spec, parse_shard, run_sweep

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else Path("results") / spec.name
    shard = parse_shard(args.shard) if args.shard else None
    label = f"sweep {spec.name}" + (f" shard {args.shard}" if args.shard else "")
    res = run_sweep(args.spec, out, workers=args.workers, resume=args.resume, shard=shard,
                    executor_kind=args.executor, progress=_progress_printer(label))
    if res["complete"]:
        _print_sweep_warnings(out)
    what = "results" if res["complete"] else "chunks (merge with: diffusion-sim merge DIR)"
    fixed = f" ({res['repaired']} damaged chunks rerun)" if res["repaired"] else ""
    print(f"{label}: {res['runs_done']} runs now{fixed}, {res['runs_total']} in all; "
          f"{what} in {out}/")
    return 0


def _print_sweep_warnings(out: Path) -> None:
    """The merged sweep's warnings (doubtful Sobol indices), one line each on stderr."""
    import json

    try:
        warnings = json.loads((out / "manifest.json").read_text()).get("warnings", [])
    except (OSError, ValueError):
        return
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)


def cmd_merge(args: argparse.Namespace) -> int:
    from diffusion_sim.sweep import merge

    print(f"merged: {merge(args.dir)}")
    _print_sweep_warnings(Path(args.dir))
    return 0


def cmd_slurm(args: argparse.Namespace) -> int:
    from diffusion_sim.hpc import write_slurm_scripts

    _, _, howto = write_slurm_scripts(
        args.spec, tasks=args.tasks, out=args.out, partition=args.partition, time=args.time,
        mem=args.mem, cpus_per_task=args.cpus_per_task, script_dir=args.script_dir)
    print(howto)
    return 0


def _count(least: int) -> Callable[[str], int]:
    """An argparse type: an integer ≥ ``least``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _unit_float(text: str) -> float:
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="diffusion-sim",
        description="Peer-to-peer diffusion of health information under privacy and "
                    "identity concerns.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml")
    v.set_defaults(func=cmd_validate)

    d = sub.add_parser("describe", help="list every scenario key: type, range, default, meaning")
    d.add_argument("--format", choices=("text", "markdown"), default="text")
    d.set_defaults(func=cmd_describe)

    seed = {"type": _count(0), "help": "seed (entropy) of the runs (default 20261122)"}
    workers = {"type": _count(1), "help": "processes (default: all cores this job may use)"}
    r = sub.add_parser("run", help="run replications of one scenario")
    r.add_argument("scenario", metavar="SCENARIO.toml")
    r.add_argument("--reps", type=_count(1), default=10, help="replications (default 10)")
    r.add_argument("--seed", **seed)
    r.add_argument("--engine", choices=("vectorized", "agents"), default="vectorized")
    r.add_argument("--workers", **workers)
    r.add_argument("--out", help="output folder (default results/<scenario name>)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser(
        "compare", help="compare scenarios with a baseline (paired replications) + report",
        description="Either BASELINE.toml SCENARIO.toml... or one comparison file "
                    "(a [comparison] table naming the baseline, plus [scenarios.NAME]).")
    c.add_argument("baseline", metavar="BASELINE.toml|COMPARISON.toml")
    c.add_argument("scenarios", nargs="*", metavar="SCENARIO.toml")
    c.add_argument("--reps", type=_count(1), help="paired replications per scenario (default 20)")
    c.add_argument("--ci-width", dest="ci_width", metavar="MEASURE=W,...",
                   help="add replications until each named difference's 95%% interval is "
                        "narrower than W in the measure's own unit (pp, per act, index) or "
                        "W%% of the baseline's value, e.g. 'engaged_final=1.5,"
                        "unwanted_per_act=10%%'; a bare number W means "
                        "engaged_final=W,engaged_gap=W (percentage points)")
    c.add_argument("--max-reps", type=_count(1), dest="max_reps",
                   help="cap for --ci-width (default 200)")
    c.add_argument("--seed", **seed)
    c.add_argument("--workers", **workers)
    c.add_argument("--min-cell-count", type=_count(1), dest="min_cell_count",
                   help="suppress per-group cells below this count with user files (10)")
    c.add_argument("--points", type=_count(0),
                   help="robustness: Latin-hypercube points over the comparison file's "
                        "[robustness.ranges] (default: its points; 0 = skip it)")
    c.add_argument("--out", help="output folder (default results/<name>)")
    c.set_defaults(func=cmd_compare)

    w = sub.add_parser("sweep", help="run a parameter sweep (resumable, shardable)")
    w.add_argument("spec", metavar="SPEC.toml")
    w.add_argument("--out", help="output folder (default results/<sweep name>)")
    w.add_argument("--workers", **workers)
    w.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out (refused if its inputs changed)")
    w.add_argument("--shard", metavar="I/N",
                   help="run only the I-th of N interleaved slices (default: from "
                        "SLURM_ARRAY_TASK_ID/COUNT when set)")
    w.add_argument("--executor", choices=("local", "mpi"), default="local",
                   help="mpi: mpi4py.futures.MPIPoolExecutor (run under mpiexec)")
    w.set_defaults(func=cmd_sweep)

    dv = sub.add_parser(
        "discover", help="scenario discovery (PRIM): which parameter ranges explain an "
                         "outcome, in a sweep or a robustness analysis",
        description="Needs the optional extra: pip install 'diffusion-sim[analysis]'.")
    dv.add_argument("dir", metavar="DIR", help="a sweep's folder, or a comparison's with a "
                                               "robustness analysis")
    dv.add_argument("--where", required=True, metavar="CONDITION",
                    help="the outcome, e.g. 'engaged_gap > 0.2' or 'diff_engaged_gap > 0' "
                         "(columns of runs.csv / robustness_points.csv; shares as fractions; "
                         "join conditions with 'and')")
    dv.add_argument("--policy", help="robustness folders: the policy whose settings to use")
    dv.add_argument("--threshold", type=_unit_float, default=0.8,
                    help="density a box should reach (default 0.8)")
    dv.add_argument("--out", help="output folder (default DIR/discovery-<condition>)")
    dv.set_defaults(func=cmd_discover)

    se = sub.add_parser(
        "sensitivity", help="moment-independent sensitivity (Borgonovo's delta, SALib) of "
                            "an existing sweep, any design",
        description="Needs the optional extra: pip install 'diffusion-sim[analysis]'.")
    se.add_argument("dir", metavar="SWEEP_DIR")
    se.add_argument("--outputs", help="comma-separated output columns (default "
                                      "engaged_final,engaged_gap,engaged_ci_erreygers)")
    se.add_argument("--resamples", type=_count(10), default=50,
                    help="bootstrap resamples of the intervals (default 50)")
    se.add_argument("--out", help="output folder (default SWEEP_DIR/sensitivity-delta)")
    se.set_defaults(func=cmd_sensitivity)

    mg = sub.add_parser("merge", help="join a sharded sweep's chunks; list missing runs")
    mg.add_argument("dir", metavar="DIR")
    mg.set_defaults(func=cmd_merge)

    sl = sub.add_parser("slurm", help="write an sbatch array script + a dependent merge job")
    sl.add_argument("spec", metavar="SPEC.toml")
    sl.add_argument("--tasks", type=_count(1), required=True, help="array tasks (shards)")
    sl.add_argument("--out", help="sweep output folder (default results/<sweep name>)")
    sl.add_argument("--partition")
    sl.add_argument("--time", default="01:00:00", help="per task (default 01:00:00)")
    sl.add_argument("--mem", default="2G", help="per task (default 2G)")
    sl.add_argument("--cpus-per-task", type=_count(1), default=1, dest="cpus_per_task")
    sl.add_argument("--script-dir", dest="script_dir",
                    help="where to write the scripts (default: the output folder)")
    sl.set_defaults(func=cmd_slurm)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
