"""Start-up: ``diffusion-sim --help`` as a user types it (a fresh process each time), and
the compiled engine's first run on a machine (numba compiles it; the code is then cached
on disk) against a run that finds the cache.

The cold run gets an empty ``NUMBA_CACHE_DIR``, so it compiles every kernel a run of the
baseline scenario needs; the warm runs reuse that folder. Each is a fresh process
running one 2,000-person, 52-week replicate, imports included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import header

ROOT = Path(__file__).resolve().parents[1]
ONE_RUN = ("from diffusion_sim.replicate import replicate; "
           "from diffusion_sim.scenario import load; "
           f"replicate(load({str(ROOT / 'experiments/scenarios/baseline.toml')!r}), 1, (0,))")


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def main() -> None:
    exe = shutil.which("diffusion-sim") or str(Path(sys.executable).parent / "diffusion-sim")
    print(header("Start-up"))
    help_s = np.median([timed([exe, "--help"]) for _ in range(7)])
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = timed([sys.executable, "-c", ONE_RUN], env)
        warm = np.median([timed([sys.executable, "-c", ONE_RUN], env) for _ in range(3)])
    print("| measure | value | target |\n|---|---:|---:|")
    print(f"| `diffusion-sim --help` (median of 7) | {help_s:.2f} s | ≤ 0.5 s |")
    print(f"| one baseline run in a fresh process, cold (compiles the engine) | {cold:.1f} s | |")
    print(f"| the same, compiled code cached (median of 3) | {warm:.1f} s | |")
    print(f"| cold compile time (difference) | {cold - warm:.1f} s | stated |")


if __name__ == "__main__":
    main()
