"""Command line: parse the arguments, call the library, print what it returns.

No defaults of its own: an option left out is ``None`` and the library's default (or
the comparison / sweep file's setting) applies. Heavy modules are imported by the
command that needs them, so ``diffusion-sim --help`` starts fast. Any
:class:`~diffusion_sim.errors.DiffusionSimError` becomes one line on standard error
(``diffusion-sim: error: ...``) and exit status 2; so do bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from diffusion_sim.arguments import Parser, count, print_error, size, unit_float
from diffusion_sim.errors import DiffusionSimError
from diffusion_sim.version import __version__


def _progress_printer(label: str) -> Callable[[int, int], None]:
    """A bar on a terminal, sparse lines in logs (:mod:`diffusion_sim.progress`)."""
    from diffusion_sim.progress import reporter

    return reporter(label)


def cmd_validate(args: argparse.Namespace) -> int:
    """Check scenario, comparison, sweep and calibration files without running anything:
    every value, and every data file they name (read as a run reads it; its notes
    printed)."""
    from diffusion_sim.capacity import available_memory, human, preflight

    for path in args.files:
        what, scenarios = _load_any(path)
        needs = preflight(scenarios, check_runs=False)
        big = needs[0]
        avail, _ = available_memory()
        more = f"; more than the {human(avail)} available here" if big.bytes > avail else ""
        print(f"{path}: ok ({what}; {big.text()}{more})")
        for note in dict.fromkeys(n for need in needs for n in need.notes):
            print(f"  note: {note}")
    return 0


def _load_any(path: str) -> tuple[str, list]:
    """A scenario, comparison, sweep or calibration file (told apart by its
    [comparison], [sweep] or [calibration] table), loaded and checked; returns (a
    description, the scenarios it runs)."""
    from diffusion_sim.compare import load_comparison
    from diffusion_sim.config import read_toml
    from diffusion_sim.scenario import load
    from diffusion_sim.sweep import load_spec

    data = read_toml(path)
    if "comparison" in data:
        from diffusion_sim.robustness import load_robustness  # scipy.stats.qmc: lazily

        baseline, scenarios, s = load_comparison(path)
        robust = load_robustness(path, baseline, scenarios, s["seed"])
        more = (f"; robustness: {robust.points:,} settings of {len(robust.ranges)} "
                f"uncertain values x {robust.reps} replications" if robust else "")
        return (f"comparison of {baseline.name} with {len(scenarios)} scenarios, "
                f"{s['reps']} paired replications{more}",
                [baseline, *scenarios, *_robustness_scenarios(baseline, robust)])
    if "calibration" in data:
        from diffusion_sim.calibrate.spec import load_calibration  # scipy.stats: lazily

        cal = load_calibration(path)
        return (f"calibration {cal.name}: {cal.method}, {len(cal.priors)} parameters, "
                f"{len(cal.targets)} targets", [cal.scenario])
    if "sweep" in data:
        spec = load_spec(path)
        return (f"sweep {spec.name}: {spec.design} design, {len(spec.points)} points x "
                f"{spec.replications} replications in {spec.n_chunks} chunks",
                _sweep_scenarios(spec))
    sc = load(path)
    return (f"{sc.name}: {sc.n_groups} groups, network {sc.network.kind}, {sc.steps} steps",
            [sc])


def _sweep_scenarios(spec) -> list:
    """The scenarios of a sweep to check before it runs: the base, and the largest
    design point of each network kind or data file the sweep varies
    (:func:`~diffusion_sim.capacity.largest_points`)."""
    from diffusion_sim.capacity import largest_points

    base = spec.base.with_overrides(spec.overrides, source=spec.source)
    return [base, *(spec.scenario(k) for k in largest_points(base, spec.points))]


def _robustness_scenarios(baseline, robust) -> list:
    """The largest settings of a robustness analysis (its ranges may make the
    population or the network bigger than the baseline's), to check before it runs."""
    if robust is None:
        return []
    from diffusion_sim.capacity import largest_points

    design = robust.design()
    return [baseline.with_overrides(design[k]) for k in largest_points(baseline, design)]


def _preflight(args: argparse.Namespace, scenarios: Sequence, jobs: int | None = None,
               kept: tuple[Sequence, int, str] | None = None) -> None:
    """Before anything runs or is written: read and check every data file, and refuse
    (one line) runs that would not fit in memory (:mod:`diffusion_sim.capacity`), with
    ``kept`` = (scenarios, replicates, command) whose results are held until written."""
    from diffusion_sim.capacity import kept_bytes, preflight
    from diffusion_sim.replicate import available_cores

    if getattr(args, "executor", "local") == "mpi":
        concurrent = 1  # per rank: the ranks may be on other nodes
    else:
        concurrent = args.workers or available_cores()
        if jobs is not None:
            concurrent = min(concurrent, max(jobs, 1))
    limit = (args.max_memory, "--max-memory") if args.max_memory else None
    held = (0, 0) if kept is None else (kept_bytes(*kept), kept[1])
    preflight(scenarios, concurrent=concurrent, engine=getattr(args, "engine", "compiled"),
              limit=limit, kept=held)


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
    _preflight(args, [sc], jobs=args.reps, kept=([sc], args.reps, "run"))
    out = Path(args.out) if args.out else Path("results") / sc.name
    replacing = _replacing(out, "run")
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


def _replacing(out: Path, command: str) -> str:
    """Check ``out`` before any work (it can be written, the disk is not full, it holds
    no other command's results); the note to print if it holds earlier results."""
    from diffusion_sim.capacity import check_disk
    from diffusion_sim.store import check_output_folder, written_by_us

    check_output_folder(out, command)
    check_disk(out)
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
    _preflight(args, [baseline, *scenarios, *_robustness_scenarios(baseline, robust)],
               kept=([baseline, *scenarios],
                     s["reps"] if s["ci_width"] is None else s["max_reps"], "compare"))
    name = s["name"] or f"{baseline.name}_comparison"
    out = Path(args.out) if args.out else Path("results") / name
    replacing = _replacing(out, "compare")
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
    from diffusion_sim.capacity import check_disk
    from diffusion_sim.replicate import mpi_pool
    from diffusion_sim.sweep import load_spec, parse_shard, run_sweep, shard_from_env

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else Path("results") / spec.name
    shard = parse_shard(args.shard) if args.shard else shard_from_env()
    mine = len(range(shard[0], spec.n_chunks, shard[1])) if shard else spec.n_chunks
    _preflight(args, _sweep_scenarios(spec), jobs=mine)
    check_disk(out)
    label = f"sweep {spec.name}" + (f" shard {shard[0]}/{shard[1]}" if shard else "")
    pool = mpi_pool() if args.executor == "mpi" else None  # refused here, not mid-sweep
    try:
        res = run_sweep(args.spec, out, workers=args.workers, resume=args.resume,
                        shard=shard, pool=pool, progress=_progress_printer(label))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
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
        mem=args.mem, cpus_per_task=args.cpus_per_task, script_dir=args.script_dir,
        account=args.account, job_name=args.job_name, sbatch_options=args.sbatch_option or ())
    print(howto)
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from diffusion_sim.app_server import check_port, check_viz, server_command
    from diffusion_sim.scenario import load

    sc = load(args.scenario) if args.scenario else None  # errors before any server starts
    check_viz()
    check_port(args.host, args.port)
    argv, env = server_command(args.scenario, args.host, args.port)
    where = f"{sc.name} ({args.scenario})" if sc else "the built-in scenario"
    print(f"diffusion-sim app: {where} on http://{args.host}:{args.port}/ (Ctrl-C stops it)",
          file=sys.stderr)
    if hasattr(os, "execve"):
        os.execve(argv[0], argv, env)  # the server replaces this process (signals go to it)
    return subprocess.run(argv, env=env, check=False).returncode  # pragma: no cover


def cmd_calibrate(args: argparse.Namespace) -> int:
    from diffusion_sim.calibrate.runner import run_calibration
    from diffusion_sim.calibrate.spec import load_calibration

    _preflight(args, [load_calibration(args.spec).scenario])
    res = run_calibration(args.spec, args.out, workers=args.workers, resume=args.resume,
                          progress=lambda line: print(f"calibrate: {line}", file=sys.stderr))
    for row in res.summary:
        print(f"  {row['parameter']}: {row['mean']:.4g}" + (
            f" (90 % interval {row['q05']:.4g} .. {row['q95']:.4g})"
            if res.method == "abc" else ""))
    what = "posterior" if res.method == "abc" else "point estimate"
    scenario = "posterior_scenario.toml" if res.method == "abc" else "point_scenario.toml"
    print(f"calibrate: {what} after {res.simulations} simulations in {res.seconds:.0f} s "
          f"({res.stop_reason}); {100 * res.predictive_inside:.0f} % of targets inside "
          f"their 90 % predictive interval; results in {res.out}/ (scenario: "
          f"{res.out / scenario})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="diffusion-sim",
        description="Peer-to-peer diffusion of health information under privacy and "
                    "identity concerns.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    v = sub.add_parser("validate", help="check scenario, comparison, sweep or calibration "
                       "files (and the data files they name) without running them")
    v.add_argument("files", nargs="+", metavar="FILE.toml")
    v.set_defaults(func=cmd_validate)

    d = sub.add_parser("describe", help="list every scenario key: type, range, default, meaning")
    d.add_argument("--format", choices=("text", "markdown"), default="text")
    d.set_defaults(func=cmd_describe)

    seed = {"type": count(0), "help": "seed (entropy) of the runs (default 20261122)"}
    workers = {"type": count(1), "help": "processes (default: all cores this job may use)"}
    memory = {"type": size, "dest": "max_memory", "metavar": "SIZE",
              "help": "memory the runs may use, e.g. 64G (default: what is available: "
                      "MemAvailable or the job's cgroup limit; or DIFFUSION_SIM_MAX_MEMORY); "
                      "runs estimated to need more are refused before they start"}
    r = sub.add_parser("run", help="run replications of one scenario")
    r.add_argument("scenario", metavar="SCENARIO.toml")
    r.add_argument("--reps", type=count(1), default=10, help="replications (default 10)")
    r.add_argument("--seed", **seed)
    r.add_argument("--engine", choices=("compiled", "vectorized", "agents"), default="compiled",
                   help="compiled (fast; vectorized is its old name) or agents (the per-agent reference)")
    r.add_argument("--workers", **workers)
    r.add_argument("--out", help="output folder (default results/<scenario name>)")
    r.add_argument("--max-memory", **memory)
    r.set_defaults(func=cmd_run)

    c = sub.add_parser(
        "compare", help="compare scenarios with a baseline (paired replications) + report",
        description="Either BASELINE.toml SCENARIO.toml... or one comparison file "
                    "(a [comparison] table naming the baseline, plus [scenarios.NAME]).")
    c.add_argument("baseline", metavar="BASELINE.toml|COMPARISON.toml")
    c.add_argument("scenarios", nargs="*", metavar="SCENARIO.toml")
    c.add_argument("--reps", type=count(1), help="paired replications per scenario (default 20)")
    c.add_argument("--ci-width", dest="ci_width", metavar="MEASURE=W,...",
                   help="add replications until each named difference's 95%% interval is "
                        "narrower than W in the measure's own unit (pp, per act, index) or "
                        "W%% of the baseline's value, e.g. 'engaged_final=1.5,"
                        "unwanted_per_act=10%%'; a bare number W means "
                        "engaged_final=W,engaged_gap=W (percentage points)")
    c.add_argument("--max-reps", type=count(1), dest="max_reps",
                   help="cap for --ci-width (default 200)")
    c.add_argument("--seed", **seed)
    c.add_argument("--workers", **workers)
    c.add_argument("--min-cell-count", type=count(1), dest="min_cell_count",
                   help="suppress per-group cells below this count with user files (10)")
    c.add_argument("--points", type=count(0),
                   help="robustness: Latin-hypercube points over the comparison file's "
                        "[robustness.ranges] (default: its points; 0 = skip it)")
    c.add_argument("--out", help="output folder (default results/<name>)")
    c.add_argument("--max-memory", **memory)
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
    w.add_argument("--max-memory", **memory)
    w.set_defaults(func=cmd_sweep)

    cal = sub.add_parser(
        "calibrate", help="estimate parameters from observed data (ABC-SMC posterior or a "
        "point estimate); needs the calib extra",
        description="Calibrate a scenario to a targets CSV as a spec says (see "
                    "experiments/calibration/). Writes the posterior, figures, a predictive "
                    "check and a scenario file that run, compare and sweep accept.")
    cal.add_argument("spec", metavar="SPEC.toml")
    cal.add_argument("--out", help="output folder (default results/<calibration name>)")
    cal.add_argument("--workers", **workers)
    cal.add_argument("--resume", action="store_true",
                     help="go on with the calibration in --out (after a kill, or with a "
                          "larger budget); refused if its inputs changed")
    cal.add_argument("--max-memory", **memory)
    cal.set_defaults(func=cmd_calibrate)

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
    dv.add_argument("--threshold", type=unit_float, default=0.8,
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
    se.add_argument("--resamples", type=count(10), default=50,
                    help="bootstrap resamples of the intervals (default 50)")
    se.add_argument("--out", help="output folder (default SWEEP_DIR/sensitivity-delta)")
    se.set_defaults(func=cmd_sensitivity)

    mg = sub.add_parser("merge", help="join a sharded sweep's chunks; list missing runs")
    mg.add_argument("dir", metavar="DIR")
    mg.set_defaults(func=cmd_merge)

    sl = sub.add_parser("slurm", help="write an sbatch array script + a dependent merge job")
    sl.add_argument("spec", metavar="SPEC.toml")
    sl.add_argument("--tasks", type=count(1), required=True, help="array tasks (shards)")
    sl.add_argument("--out", help="sweep output folder (default results/<sweep name>)")
    sl.add_argument("--partition")
    sl.add_argument("--account", help="account to charge (sbatch --account)")
    sl.add_argument("--job-name", dest="job_name",
                    help="job name (default ds-<sweep name>; the merge job adds -merge)")
    sl.add_argument("--time", default="01:00:00",
                    help="per task, a Slurm time: MM, HH:MM:SS or D-HH:MM:SS (default 01:00:00)")
    sl.add_argument("--mem", default="2G", help="per task, e.g. 2G or 500M (default 2G)")
    sl.add_argument("--sbatch-option", action="append", dest="sbatch_option", metavar="OPT",
                    help="an extra #SBATCH line for both jobs, e.g. --sbatch-option --qos=short "
                         "(repeatable)")
    sl.add_argument("--cpus-per-task", type=count(1), default=1, dest="cpus_per_task")
    sl.add_argument("--script-dir", dest="script_dir",
                    help="where to write the scripts (default: the output folder)")
    sl.set_defaults(func=cmd_slurm)

    ap = sub.add_parser("app", help="interactive app in the browser (Mesa SolaraViz; "
                                    "needs the viz extra)")
    ap.add_argument("scenario", nargs="?", metavar="SCENARIO.toml",
                    help="the scenario the sliders start from (default: built-in)")
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only)")
    ap.add_argument("--port", type=count(1, 65535), default=8765,
                    help="port, 1-65535 (default 8765)")
    ap.set_defaults(func=cmd_app)
    return p


def _glue(argv: Sequence[str]) -> list[str]:
    """``--sbatch-option --qos=short`` as ``--sbatch-option=--qos=short`` (argparse
    would read a value that starts with ``--`` as the next option)."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--sbatch-option" and arg.startswith("-"):
            out[-1] = f"--sbatch-option={arg}"
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_glue(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.func(args) or 0)
    except DiffusionSimError as exc:
        print_error(str(exc))
        return 2
    except KeyboardInterrupt:
        print("diffusion-sim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `diffusion-sim describe | head`: the reader has gone
        # (as Python's docs advise) nothing more to write: point stdout at devnull so
        # the interpreter's final flush does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
