"""What the Slurm, MPI and Dask tests need from the machine, found the same way by each.

Off CI a missing tool skips the test, saying why; with ``DIFFUSION_SIM_REQUIRE_HPC=1``
(set by ``.ci/run``) it fails instead.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

REQUIRED = os.environ.get("DIFFUSION_SIM_REQUIRE_HPC") == "1"
#: The virtual environment's scripts (mpiexec from the mpi extra lives there).
BIN = Path(sys.executable).parent


def need(tool: str, hint: str = "pip install 'diffusion-sim[mpi]'") -> str:
    """The path of ``tool`` (on PATH or beside this Python), else skip (or fail)."""
    path = shutil.which(tool) or (str(BIN / tool) if (BIN / tool).exists() else None)
    if path is None:
        msg = f"{tool} not found ({hint})"
        if REQUIRED:
            pytest.fail(f"DIFFUSION_SIM_REQUIRE_HPC=1 but {msg}")
        pytest.skip(msg)
    return path
