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

MPI: ``mpiexec -n K python -m mpi4py.futures -m diffusion_sim sweep SPEC --executor mpi``
runs the sweep with rank 0 as the manager and K − 1 worker ranks
(``mpi4py.futures.MPIPoolExecutor``), through the same resumable store.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from diffusion_sim.errors import SweepError
from diffusion_sim.sweep.spec import load_spec


def _sbatch_header(name: str, *, partition: str | None, time: str, mem: str, cpus: int,
                   log_dir: Path, array: str | None = None) -> list[str]:
    lines = ["#!/bin/bash", f"#SBATCH --job-name={name}", f"#SBATCH --time={time}",
             f"#SBATCH --mem={mem}", f"#SBATCH --cpus-per-task={cpus}", "#SBATCH --ntasks=1"]
    if partition:
        lines.append(f"#SBATCH --partition={partition}")
    if array:
        lines.append(f"#SBATCH --array={array}")
        lines.append(f"#SBATCH --output={log_dir}/%x-%A_%a.out")
    else:
        lines.append(f"#SBATCH --output={log_dir}/%x-%j.out")
    return lines


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
) -> tuple[Path, Path, str]:
    """Write the array and merge scripts (and ``submit.sh``); returns their paths and
    the instructions to print.

    Paths inside the scripts are absolute, so they can be submitted from anywhere.
    """
    if tasks < 1:
        raise SweepError(f"--tasks must be at least 1, got {tasks}")
    spec = load_spec(spec_path)
    if tasks > spec.n_chunks:
        raise SweepError(f"--tasks {tasks} is more than the sweep's {spec.n_chunks} chunks "
                         f"(chunk_size {spec.chunk_size}); use at most {spec.n_chunks}")
    spec_abs = Path(spec_path).resolve()
    out_abs = (Path(out) if out else Path("results") / spec.name).resolve()
    folder = Path(script_dir).resolve() if script_dir else out_abs
    folder.mkdir(parents=True, exist_ok=True)
    log_dir = out_abs / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    py = shlex.quote(python or sys.executable)
    q = shlex.quote
    array = folder / "sweep-array.sbatch"
    array.write_text("\n".join([
        *_sbatch_header(f"ds-{spec.name}", partition=partition, time=time, mem=mem,
                        cpus=cpus_per_task, log_dir=log_dir, array=f"0-{tasks - 1}"),
        "set -euo pipefail",
        f"# shard I of {tasks}: rerun one failed task with: sbatch --array=I {array}",
        f"{py} -m diffusion_sim sweep {q(str(spec_abs))} --out {q(str(out_abs))} "
        f"--shard \"$SLURM_ARRAY_TASK_ID/{tasks}\" --workers {cpus_per_task}",
        ""]))
    merge = folder / "sweep-merge.sbatch"
    merge.write_text("\n".join([
        *_sbatch_header(f"ds-{spec.name}-merge", partition=partition, time="00:30:00",
                        mem=mem, cpus=1, log_dir=log_dir),
        "set -euo pipefail",
        f"{py} -m diffusion_sim merge {q(str(out_abs))}",
        ""]))
    submit = folder / "submit.sh"
    submit.write_text("\n".join([
        "#!/bin/bash",
        "# submit the array, then the merge job that runs when every task succeeded",
        "set -euo pipefail",
        f"jid=$(sbatch --parsable {q(str(array))})",
        "jid=${jid%%;*}",
        f"sbatch --dependency=afterok:$jid {q(str(merge))}",
        ""]))
    submit.chmod(0o755)
    howto = (f"wrote {array}, {merge} and {submit}\n"
             f"submit both:   bash {submit}\n"
             f"or by hand:    jid=$(sbatch --parsable {array}); "
             f"sbatch --dependency=afterok:$jid {merge}\n"
             f"rerun task I:  sbatch --array=I {array}   then: diffusion-sim merge {out_abs}")
    return array, merge, howto
