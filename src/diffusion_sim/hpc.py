"""Batch mode for HPC clusters: Slurm job-array scripts (and the MPI recipe).

:func:`write_slurm_scripts` writes two ``sbatch`` scripts into the sweep's output folder:

- ``sweep-array.sbatch``: an array of N tasks; task I runs
  ``diffusion-sim sweep SPEC --out OUT --shard I/N`` (N is written into the script, so
  rerunning one failed task with ``sbatch --array=I sweep-array.sbatch`` runs exactly
  shard I/N again);
- ``sweep-merge.sbatch``: ``diffusion-sim merge OUT``, submitted with
  ``--dependency=afterok:<array job>`` so it runs when every task has succeeded;

plus ``submit.sh``, which submits both. Shards write only their own chunk files in the
shared output folder (atomically), so tasks never overwrite each other.

**Scripts the scheduler accepts, whatever the paths.** Paths are absolute and quoted
twice over: for bash (``shlex.quote``) in commands, and for sbatch's own parser in
``#SBATCH`` lines (double quotes, ``\\`` before ``"``, ``\\`` and ``#``, which sbatch
otherwise reads as the start of a comment; ``%`` doubled in the log file pattern). A
value that cannot be written on one ``#SBATCH`` line (a newline or other control
character) is refused with one line, as are ``--time`` and ``--mem`` values Slurm
would reject. The files are written through :mod:`~diffusion_sim.store` (atomic, the
user's umask: collaborators can read them); ``submit.sh`` is executable.

MPI: ``mpiexec -n K python -m mpi4py.futures -m diffusion_sim sweep SPEC --executor mpi``
runs the sweep with rank 0 as the manager and K − 1 worker ranks
(``mpi4py.futures.MPIPoolExecutor``), through the same resumable store.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from diffusion_sim.errors import OutputError, SweepError
from diffusion_sim.store import make_folder, umask, write_text
from diffusion_sim.sweep.spec import load_spec

#: ``--time``: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
#: days-hours:minutes, days-hours:minutes:seconds (Slurm's formats), or unlimited.
_TIME = re.compile(r"(?:\d+-\d+|\d+)(?::[0-5]?\d){0,2}|unlimited|infinite", re.IGNORECASE)
#: ``--mem``: an integer and an optional unit K, M (the default), G or T.
_MEM = re.compile(r"\d+[KMGT]?", re.IGNORECASE)
_OPTION = re.compile(r"--([a-z][a-z0-9-]*)(?:=(.*))?", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PLAIN = re.compile(r"[\w.,:/@+=-]+")
#: Options the scripts set themselves (``--sbatch-option`` must not repeat them).
_OWN = {"array": "--tasks", "output": "--out", "error": "--out", "job-name": "--job-name",
        "time": "--time", "mem": "--mem", "cpus-per-task": "--cpus-per-task",
        "ntasks": None, "partition": "--partition", "account": "--account",
        "dependency": None, "parsable": None, "wrap": None}


def _visible(what: str, value: str) -> str:
    """``value``, refused if empty or if it holds a control character (a newline would
    end the ``#SBATCH`` line and start a command)."""
    if not value or _CONTROL.search(value):
        raise SweepError(f"{what}: {value!r} is empty or holds a newline or other control "
                         "character")
    return value


def check_time(value: str) -> str:
    """A Slurm ``--time`` (e.g. ``30``, ``01:00:00``, ``2-00:00:00``), else one line."""
    if not _TIME.fullmatch(_visible("--time", value)):
        raise SweepError(f"--time: {value!r} is not a Slurm time: use minutes, MM:SS, "
                         "HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. 01:00:00)")
    return value


def check_mem(value: str) -> str:
    """A Slurm ``--mem`` (an integer and K, M, G or T; e.g. ``2G``, ``500M``)."""
    if not _MEM.fullmatch(_visible("--mem", value)):
        raise SweepError(f"--mem: {value!r} is not a Slurm memory size: use an integer and "
                         "K, M, G or T (e.g. 2G, 500M)")
    return value


def sbatch_word(value: str) -> str:
    """``value`` as one argument on an ``#SBATCH`` line (sbatch's parser: double quotes,
    backslash escapes, an unescaped ``#`` starts a comment)."""
    if _PLAIN.fullmatch(value):
        return value
    return '"' + re.sub(r'(["\\#])', r"\\\1", value) + '"'


def sbatch_option(text: str) -> str:
    """An extra ``#SBATCH`` line from ``--sbatch-option "--qos=short"``, checked: the
    long form ``--NAME`` or ``--NAME=VALUE``, not an option the scripts set."""
    m = _OPTION.fullmatch(_visible("--sbatch-option", text))
    if not m:
        raise SweepError(f"--sbatch-option: {text!r} is not of the form --NAME or "
                         "--NAME=VALUE (long option names, e.g. --qos=short)")
    name, value = m.group(1), m.group(2)
    if name in _OWN:
        use = f"; use {_OWN[name]}" if _OWN[name] else ""
        raise SweepError(f"--sbatch-option: {text!r}: --{name} is set by the scripts{use}")
    return f"#SBATCH --{name}" + ("" if value is None else f"={sbatch_word(value)}")


def _path(what: str, path: Path) -> Path:
    """A path to write into a script: no control characters, no backslash (it would
    switch off Slurm's ``%`` patterns in the log file names)."""
    if _CONTROL.search(str(path)) or "\\" in str(path):
        raise SweepError(f"{what}: {str(path)!r} holds a newline, control character or "
                         "backslash; choose a path without")
    return path


def _sbatch_header(name: str, *, partition: str | None, account: str | None, time: str,
                   mem: str, cpus: int, log_dir: Path, extra: Sequence[str],
                   array: str | None = None) -> list[str]:
    w = sbatch_word
    lines = ["#!/bin/bash", f"#SBATCH --job-name={w(name)}", f"#SBATCH --time={w(time)}",
             f"#SBATCH --mem={w(mem)}", f"#SBATCH --cpus-per-task={cpus}", "#SBATCH --ntasks=1"]
    if partition:
        lines.append(f"#SBATCH --partition={w(partition)}")
    if account:
        lines.append(f"#SBATCH --account={w(account)}")
    logs = str(log_dir).replace("%", "%%")
    if array:
        lines.append(f"#SBATCH --array={array}")
        lines.append(f"#SBATCH --output={w(logs + '/%x-%A_%a.out')}")
    else:
        lines.append(f"#SBATCH --output={w(logs + '/%x-%j.out')}")
    return [*lines, *extra]


def write_slurm_scripts(
    spec_path: str | Path,
    *,
    tasks: int,
    out: str | Path | None = None,
    partition: str | None = None,
    time: str = "01:00:00",
    mem: str = "2G",
    cpus_per_task: int = 1,
    script_dir: str | Path | None = None,
    python: str | None = None,
    account: str | None = None,
    job_name: str | None = None,
    sbatch_options: Sequence[str] = (),
) -> tuple[Path, Path, str]:
    """Write the array and merge scripts (and ``submit.sh``); returns their paths and
    the instructions to print (copy-pasteable: every path quoted for the shell).

    Paths inside the scripts are absolute, so they can be submitted from anywhere.
    ``sbatch_options`` (``"--qos=short"``, ...) become extra ``#SBATCH`` lines of both
    jobs. Every value is checked before anything is written (module docstring).
    """
    if tasks < 1:
        raise SweepError(f"--tasks must be at least 1, got {tasks}")
    spec = load_spec(spec_path)
    if tasks > spec.n_chunks:
        raise SweepError(f"--tasks {tasks} is more than the sweep's {spec.n_chunks} chunks "
                         f"(chunk_size {spec.chunk_size}); use at most {spec.n_chunks}")
    name = _visible("--job-name", job_name or f"ds-{spec.name}")
    head = {"partition": partition and _visible("--partition", partition),
            "account": account and _visible("--account", account),
            "mem": check_mem(mem), "log_dir": None,
            "extra": [sbatch_option(o) for o in sbatch_options]}
    time = check_time(time)
    spec_abs = _path("SPEC", Path(spec_path).resolve())
    out_abs = _path("--out", (Path(out) if out else Path("results") / spec.name).resolve())
    folder = _path("--script-dir", Path(script_dir).resolve() if script_dir else out_abs)
    py = shlex.quote(str(_path("python", Path(python or sys.executable))))
    make_folder(folder)
    head["log_dir"] = make_folder(out_abs / "logs")
    q = shlex.quote
    array, merge, submit = (folder / "sweep-array.sbatch", folder / "sweep-merge.sbatch",
                            folder / "submit.sh")
    write_text(array, "\n".join([
        *_sbatch_header(name, time=time, cpus=cpus_per_task, array=f"0-{tasks - 1}", **head),
        "set -euo pipefail",
        f"# shard I of {tasks}: rerun one failed task with: sbatch --array=I {q(str(array))}",
        f"{py} -m diffusion_sim sweep {q(str(spec_abs))} --out {q(str(out_abs))} "
        f"--shard \"$SLURM_ARRAY_TASK_ID/{tasks}\" --workers {cpus_per_task}",
        ""]))
    write_text(merge, "\n".join([
        *_sbatch_header(f"{name}-merge", time="00:30:00", cpus=1, **head),
        "set -euo pipefail",
        f"{py} -m diffusion_sim merge {q(str(out_abs))}",
        ""]))
    write_text(submit, "\n".join([
        "#!/bin/bash",
        "# submit the array, then the merge job that runs when every task succeeded",
        "set -euo pipefail",
        f"jid=$(sbatch --parsable {q(str(array))})",
        "jid=${jid%%;*}",
        f"sbatch --dependency=afterok:\"$jid\" {q(str(merge))}",
        ""]))
    try:
        submit.chmod(0o777 & ~umask())
    except OSError as exc:
        raise OutputError(f"{submit}: cannot make it executable: {exc.strerror}") from None
    a, m, s = q(str(array)), q(str(merge)), q(str(submit))
    howto = (f"wrote {a}, {m} and {s}\n"
             f"submit both:   bash {s}\n"
             f"or by hand:    jid=$(sbatch --parsable {a}) && "
             f"sbatch --dependency=afterok:\"${{jid%%;*}}\" {m}\n"
             f"rerun task I:  sbatch --array=I {a}   then: diffusion-sim merge "
             f"{q(str(out_abs))}")
    return array, merge, howto
