"""One replicate of a scenario, and the executors that run many of them.

:func:`replicate` is the one way every command runs a model and summarises it
(``run``, ``compare``, ``sweep``): build, run, summarise, return a picklable
:class:`Result`. :func:`executor` is the one factory of worker pools: a process pool
sized to the cores this process may use (Slurm's allocation or the CPU affinity mask),
started from a fork server that has imported the package once (never the global start
method, which importing mesa switches to ``spawn``), or any
``concurrent.futures.Executor`` the caller brings (MPI, Dask).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

import numpy as np

from diffusion_sim.draws import draw_notes
from diffusion_sim.errors import SweepError
from diffusion_sim.metrics import summarize
from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import Scenario

#: The default seed (entropy) of every command and spec that does not give one.
DEFAULT_SEED = 20261122

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Result:
    """What one replicate leaves: its headline metrics and its counters.

    Attributes
    ----------
    key : tuple of int, the run's identity (``spawn_key``)
    summary : dict, :func:`~diffusion_sim.metrics.summarize` of the run
    counts : ndarray (steps + 1, n_groups, columns), the per-group counters
    columns : tuple of str, the counter columns
    concern : ndarray (steps + 1, n_groups), per-group sums of privacy concern
    group_sizes : ndarray (n_groups,)
    notes : tuple of str, what reading the user's files did
    """

    key: tuple[int, ...]
    summary: dict[str, float]
    counts: np.ndarray
    columns: tuple[str, ...]
    concern: np.ndarray
    group_sizes: np.ndarray
    notes: tuple[str, ...]


def replicate(scenario: Scenario, seed: int | None, key: tuple[int, ...] = (),
              engine: str = "compiled") -> Result:
    """Build and run one model to the end (no per-step data collection: the fast path,
    every step in one compiled call) and summarise it.

    A scenario with ``parameters_from`` runs with its parameter draw for this replicate
    (:meth:`~diffusion_sim.scenario.Scenario.drawn`: draw ``key[-1] mod D``), and its
    notes say so.
    """
    m = DiffusionModel(scenario.drawn(key), seed=seed, key=key, engine=engine,
                       collect=None).run()
    return Result(tuple(key), summarize(m), m.counts, m.count_columns, m.counter.concern,
                  m.group_sizes, (*m.input_notes, *draw_notes(scenario)))


def replicate_task(task: tuple[Scenario, int | None, tuple[int, ...], str]) -> Result:
    """:func:`replicate` of one ``(scenario, seed, key, engine)`` tuple (for ``map``)."""
    return replicate(*task)


def available_cores() -> int:
    """Cores this process may use: Slurm's allocation, else the CPU affinity mask."""
    if os.environ.get("SLURM_CPUS_PER_TASK", "").isdigit():
        return max(1, int(os.environ["SLURM_CPUS_PER_TASK"]))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _exit_with_parent() -> None:
    """In a pool worker: exit as soon as the parent process dies (even by ``kill -9``).

    A pool worker blocks on its task queue, whose write end it holds itself, so it
    would never notice; watching the parent's sentinel keeps no orphans computing."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def mp_context() -> multiprocessing.context.BaseContext:
    """Workers from a fork server that has imported the model once.

    An explicit context (never the global start method, which importing mesa sets to
    ``spawn``; spawn re-imports numpy/scipy/mesa in every worker, ≈1.6 s each); plain
    ``fork`` from a process that already runs threads is unsafe (Python 3.12+ warns).
    A preloaded fork server is both safe and cheap. Platforms without it keep spawn.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["diffusion_sim.replicate"])
    return ctx


#: Environment variables that MPI launchers set in the processes they start.
_MPI_LAUNCHED = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")


def mpi_pool() -> Executor:
    """An ``mpi4py.futures.MPIPoolExecutor`` over the ranks ``mpiexec`` started.

    Refused (one line, not a hang) when mpi4py is missing or this process was not
    started by an MPI launcher: run ``mpiexec -n K python -m mpi4py.futures -m
    diffusion_sim ... --executor mpi``.
    """
    try:
        from mpi4py.futures import MPIPoolExecutor
    except ImportError:
        raise SweepError("--executor mpi needs mpi4py: pip install 'diffusion-sim[mpi]'"
                         ) from None
    if not any(v in os.environ for v in _MPI_LAUNCHED):
        raise SweepError("--executor mpi must run under mpiexec: mpiexec -n K python -m "
                         "mpi4py.futures -m diffusion_sim ... --executor mpi")
    return MPIPoolExecutor()


@contextmanager
def executor(workers: int | None = None, *, pool: Executor | None = None,
             jobs: int | None = None, kind: str = "local") -> Iterator[Executor | None]:
    """The executor to run tasks on, closed afterwards when this made it.

    ``pool`` (any ``concurrent.futures.Executor``: an MPI pool, a Dask client's
    executor) is used as it is and left open. ``kind="mpi"``: :func:`mpi_pool`.
    Otherwise a process pool of ``workers`` (default: :func:`available_cores`), at
    most ``jobs`` (the number of tasks); with one worker, ``None``: run in this process.
    """
    if pool is not None:
        yield pool
        return
    if kind == "mpi":
        made_mpi = mpi_pool()
        try:
            yield made_mpi
        finally:
            made_mpi.shutdown(cancel_futures=True)
        return
    n = workers or available_cores()
    if jobs is not None:
        n = min(n, max(jobs, 1))
    if n <= 1:
        yield None
        return
    made = ProcessPoolExecutor(n, mp_context=mp_context(), initializer=_exit_with_parent)
    try:
        yield made
    finally:
        made.shutdown(cancel_futures=True)


def ordered_map(fn: Callable[[T], R], tasks: Iterable[T], pool: Executor | None,
                ahead: int | None = None) -> Iterator[R]:
    """``fn`` over ``tasks`` in order, on ``pool`` (or here when it is None).

    Unlike ``Executor.map``, which takes every task at once, at most ``ahead`` tasks
    (default 4 per worker, at least 64) are submitted and not yet returned: tasks are
    drawn from ``tasks`` and results held a window at a time, so a map of a million
    tasks needs no more memory than one of a hundred.
    """
    if pool is None:
        return map(fn, tasks)
    return _windowed(fn, iter(tasks), pool, _ahead(pool, ahead))


def _ahead(pool: Executor, ahead: int | None) -> int:
    """Tasks to keep in flight: ``ahead``, else 4 per worker and at least 64."""
    return ahead or max(64, 4 * int(getattr(pool, "_max_workers", 0) or 0))


def as_they_finish(fn: Callable[[T], R], tasks: Iterable[T], pool: Executor | None,
                   ahead: int | None = None) -> Iterator[R]:
    """``fn`` over ``tasks``, results in the order they finish, with at most ``ahead``
    tasks in flight (as :func:`ordered_map`); in order when ``pool`` is None."""
    if pool is None:
        yield from map(fn, tasks)
        return
    tasks = iter(tasks)
    pending = {pool.submit(fn, t) for t in islice(tasks, _ahead(pool, ahead))}
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            pending |= {pool.submit(fn, t) for t in islice(tasks, len(done))}
            for future in done:
                yield future.result()
    finally:
        for future in pending:
            future.cancel()


def _windowed(fn: Callable[[T], R], tasks: Iterator[T], pool: Executor, ahead: int
              ) -> Iterator[R]:
    pending = deque(pool.submit(fn, t) for t in islice(tasks, ahead))
    try:
        while pending:
            first = pending.popleft()
            pending.extend(pool.submit(fn, t) for t in islice(tasks, 1))  # keep it busy
            yield first.result()
    finally:  # an error or a consumer that stopped early: drop what has not started
        for future in pending:
            future.cancel()


__all__: list[Any] = ["DEFAULT_SEED", "Result", "as_they_finish", "available_cores", "executor",
                      "ordered_map", "replicate", "replicate_task"]
