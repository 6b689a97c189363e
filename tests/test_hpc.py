"""HPC batch mode on the real thing: a Slurm job array and MPI ranks.

These tests need ``sbatch`` (a running Slurm) and ``mpiexec`` (from the ``[mpi]``
extra). Without them they skip, saying why; with DIFFUSION_SIM_REQUIRE_HPC=1 (set by
.ci/run, which starts a single-node Slurm) they fail instead of skipping. They run the
worked example of docs/hpc.md: experiments/sweeps/hpc_example.toml.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from diffusion_sim.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "sweeps" / "hpc_example.toml"
REQUIRED = os.environ.get("DIFFUSION_SIM_REQUIRE_HPC") == "1"
BIN = Path(sys.executable).parent


def need(tool: str) -> str:
    path = shutil.which(tool) or (str(BIN / tool) if (BIN / tool).exists() else None)
    if path is None:
        msg = f"{tool} not found (start Slurm / pip install 'diffusion-sim[mpi]')"
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)
    return path


def need_slurm() -> None:
    """sbatch on the PATH and a controller that answers."""
    need("sbatch")
    res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True,
                         timeout=60)
    if res.returncode != 0 or not res.stdout.strip():
        msg = f"Slurm installed but no controller answers (sinfo: {res.stderr.strip()[:200]})"
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    run_sweep(SPEC, out, workers=1)
    return (out / "runs.csv").read_bytes()


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "diffusion_sim", *args], capture_output=True,
                          text=True, timeout=600, **kw)


def sbatch(*args) -> str:
    res = subprocess.run([need("sbatch"), "--parsable", *args], capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0 or "--wait" in args, res.stderr
    return res.stdout.strip().split(";")[0]


@pytest.mark.hpc
def test_slurm_array_of_4_tasks_merged_equals_serial(tmp_path, serial):
    need_slurm()
    out = tmp_path / "out"
    res = cli("slurm", str(SPEC), "--tasks", "4", "--out", str(out), "--time", "00:10:00",
              "--mem", "1G")
    assert res.returncode == 0, res.stderr
    array, merge_job = out / "sweep-array.sbatch", out / "sweep-merge.sbatch"
    assert "#SBATCH --array=0-3" in array.read_text()
    # exactly what submit.sh does, waiting for the merge job to end
    jid = sbatch(str(array))
    subprocess.run([need("sbatch"), "--wait", f"--dependency=afterok:{jid}", str(merge_job)],
                   check=True, capture_output=True, timeout=900)
    assert sorted(p.name for p in out.glob("manifest-shard-*")) == [
        f"manifest-shard-{i}-of-4.json" for i in range(4)]
    assert (out / "runs.csv").read_bytes() == serial


@pytest.mark.hpc
def test_failed_task_is_named_by_merge_and_rerun_alone(tmp_path, serial):
    need_slurm()
    out = tmp_path / "out"
    assert cli("slurm", str(SPEC), "--tasks", "4", "--out", str(out)).returncode == 0
    # make task 2 fail: its first chunk (chunk 2) cannot be written
    blocker = out / "chunks" / "runs-000002.csv"
    blocker.mkdir(parents=True)
    res = subprocess.run([need("sbatch"), "--wait", str(out / "sweep-array.sbatch")],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode != 0  # the array's exit status is its worst task's
    blocker.rmdir()
    merged = cli("merge", str(out))
    assert merged.returncode == 2
    err = merged.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    # shard 2/4 owns chunk 2 only (24 runs, 4 per chunk: chunks 0-5, interleaved)
    assert "4 of 24 runs missing (chunks 2)" in err
    assert "point 2 replicates 0-3" in err and "--shard 2/4" in err
    log = next((out / "logs").glob("*_2.out")).read_text()
    assert "diffusion-sim: error:" in log and "Traceback" not in log
    subprocess.run([need("sbatch"), "--wait", "--array=2", str(out / "sweep-array.sbatch")],
                   check=True, capture_output=True, timeout=900)
    assert cli("merge", str(out)).returncode == 0
    assert (out / "runs.csv").read_bytes() == serial


@pytest.mark.hpc
def test_mpi_with_3_ranks_equals_serial(tmp_path, serial):
    mpiexec = need("mpiexec")
    out = tmp_path / "out"
    res = subprocess.run([mpiexec, "-n", "3", sys.executable, "-m", "mpi4py.futures", "-m",
                          "diffusion_sim", "sweep", str(SPEC), "--executor", "mpi", "--out",
                          str(out)], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (out / "runs.csv").read_bytes() == serial
    timing = list((out / "chunks").glob("timing-*.csv"))
    assert len(timing) == 6
