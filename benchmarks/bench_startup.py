"""Start-up: ``diffusion-sim --help`` as a user types it (a fresh process each time)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import numpy as np
from machine import header


def main() -> None:
    exe = shutil.which("diffusion-sim") or str(__import__("pathlib").Path(sys.executable).parent
                                                 / "diffusion-sim")
    print(header("Start-up"))
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        subprocess.run([exe, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    print("| measure | value | target |\n|---|---:|---:|")
    print(f"| `diffusion-sim --help` (median of 7) | {np.median(times):.2f} s | ≤ 0.5 s |")


if __name__ == "__main__":
    main()
