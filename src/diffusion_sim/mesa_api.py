"""Mesa, imported once, here, without changing the importing process's global state.

``import mesa`` runs ``multiprocessing.set_start_method("spawn", force=True)`` (in
``mesa/batchrunner.py``, mesa 3.x), and the libraries it imports first (pandas,
scipy.special, ...) add warnings filters. A package must not do that to its user: a
program that imports diffusion_sim would otherwise find every later
``multiprocessing.Pool`` switched to spawn. Every module of the package that needs
Mesa imports it from here; :func:`preserved_global_state` puts back the start method,
the warnings filters and matplotlib's backend as they were before.

Mesa's own ``batch_run`` is unaffected where it matters: it passes a start method
only through that global, so with the global left alone its pool uses the platform's
default (fork on Linux up to Python 3.13), which runs this model correctly.
"""

from __future__ import annotations

import multiprocessing
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


def _start_method() -> str | None:
    """The start method set so far (None: not set, the platform default applies)."""
    return multiprocessing.get_start_method(allow_none=True)


def _mpl_backend() -> object:
    """matplotlib's backend setting as stored (without resolving it), if loaded."""
    mpl = sys.modules.get("matplotlib")
    return None if mpl is None else dict.__getitem__(mpl.rcParams, "backend")


@contextmanager
def preserved_global_state() -> Iterator[None]:
    """Run a block (an import) and undo what it did to process-global settings:
    the multiprocessing start method, the warnings filters and matplotlib's backend."""
    method = _start_method()
    backend = _mpl_backend()
    with warnings.catch_warnings():  # restores warnings.filters on exit
        yield
    if _start_method() != method:
        multiprocessing.set_start_method(method, force=True)
    mpl = sys.modules.get("matplotlib")
    if mpl is not None and backend is not None and _mpl_backend() != backend:
        dict.__setitem__(mpl.rcParams, "backend", backend)


with preserved_global_state():
    import mesa
    from mesa.discrete_space import Network

#: Mesa's version as a tuple of ints, e.g. (3, 3, 1).
MESA_VERSION: tuple[int, ...] = tuple(
    int(p) for p in mesa.__version__.split(".")[:3] if p.isdigit())

__all__ = ["MESA_VERSION", "Network", "mesa", "preserved_global_state"]
