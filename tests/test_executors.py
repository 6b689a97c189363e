"""Any executor: the comparison and sweep runners accept any
``concurrent.futures.Executor`` (as Mesa 4's ``run_scenarios(executor=...)`` does) and
give byte-identical results whichever runs them: this process, a plain process pool
(the default start method, whatever it is), real MPI ranks
(``mpi4py.futures.MPIPoolExecutor`` under ``mpiexec``) and a Dask cluster
(``client.get_executor()``).

MPI needs the ``[mpi]`` extra and Dask the ``[dask]`` extra; without them those tests
skip, saying why (with DIFFUSION_SIM_REQUIRE_HPC=1, set by .ci/run, they fail instead).
Run as a script (``python -m mpi4py.futures tests/test_executors.py mpi OUT``) this
module is the MPI job.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import subprocess
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from diffusion_sim.compare import run_comparison
from diffusion_sim.replicate import as_they_finish, ordered_map
from diffusion_sim.scenario import load
from diffusion_sim.sweep import run_sweep
from hpc_tools import REQUIRED, need

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "experiments" / "sweeps" / "hpc_example.toml"
SMALL = {"population.size": 300, "steps": 10}


def comparison_digest(pool: Executor | None) -> str:
    """SHA-256 of every replicate's summary and counters of a small comparison."""
    base = load(ROOT / "experiments" / "scenarios" / "baseline.toml").with_overrides(SMALL)
    alt = load(ROOT / "experiments" / "scenarios" / "anti_stigma.toml").with_overrides(SMALL)
    comp = run_comparison(base, [alt], reps=4, seed=5, workers=1, pool=pool)
    h = hashlib.sha256(json.dumps(comp.runs, sort_keys=True).encode())  # floats by repr
    for name in comp.counts:
        for c in comp.counts[name]:
            h.update(c.tobytes())
    return h.hexdigest()


def sweep_digest(pool: Executor | None, out: Path) -> str:
    """SHA-256 of the sweep's runs.csv."""
    run_sweep(SPEC, out, workers=1, pool=pool)
    return hashlib.sha256((out / "runs.csv").read_bytes()).hexdigest()


def test_maps_keep_order_or_not_and_draw_tasks_a_window_at_a_time():
    taken: list[int] = []

    def tasks():  # endless: a map that took every task first would never return
        for i in itertools.count():
            taken.append(i)
            yield i

    def slow_square(i: int) -> int:
        time.sleep(random.Random(i).random() / 500)  # finish out of order
        return i * i

    with ThreadPoolExecutor(4) as pool:
        out = ordered_map(slow_square, tasks(), pool, ahead=8)
        assert list(itertools.islice(out, 200)) == [i * i for i in range(200)]
        assert len(taken) <= 200 + 8
        out.close()  # what is still queued is cancelled, not run
    taken.clear()
    with ThreadPoolExecutor(2) as pool:  # default window: 4 per worker, at least 64
        out = ordered_map(slow_square, tasks(), pool)
        assert next(out) == 0 and len(taken) == 65
        out.close()
    taken.clear()
    with ThreadPoolExecutor(4) as pool:  # the sweep's: in the order they finish
        out = as_they_finish(slow_square, tasks(), pool, ahead=8)
        got = list(itertools.islice(out, 200))
        # 8 in flight, and at most 8 finished together but not yet taken
        assert len(set(got)) == 200 and len(taken) <= 200 + 2 * 8
        assert set(got) <= {i * i for i in range(216)}
        out.close()
    assert list(as_they_finish(slow_square, range(5), None)) == [0, 1, 4, 9, 16]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return {"comparison": comparison_digest(None),
            "sweep": sweep_digest(None, tmp_path_factory.mktemp("serial") / "out")}


def test_a_plain_process_pool_gives_the_same_bytes(serial, tmp_path):
    with ProcessPoolExecutor(2) as pool:  # no mp_context: the global default
        assert comparison_digest(pool) == serial["comparison"]
        assert sweep_digest(pool, tmp_path / "out") == serial["sweep"]


@pytest.mark.hpc
def test_mpi_ranks_give_the_same_bytes(serial, tmp_path):
    mpiexec = need("mpiexec")
    res = subprocess.run([mpiexec, "-n", "3", sys.executable, "-m", "mpi4py.futures",
                          __file__, "mpi", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == serial


@pytest.mark.hpc
def test_a_dask_cluster_gives_the_same_bytes(serial, tmp_path):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        msg = "dask.distributed not installed (pip install 'diffusion-sim[dask]')"
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        pool = client.get_executor()
        assert comparison_digest(pool) == serial["comparison"]
        assert sweep_digest(pool, tmp_path / "out") == serial["sweep"]


if __name__ == "__main__":  # the MPI job: python -m mpi4py.futures tests/test_executors.py
    from mpi4py.futures import MPIPoolExecutor

    with MPIPoolExecutor() as mpi:
        print(json.dumps({"comparison": comparison_digest(mpi),
                          "sweep": sweep_digest(mpi, Path(sys.argv[2]))}))
