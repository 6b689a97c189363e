"""What machine a benchmark ran on, and the timing conventions every script shares.

Every ratio in the benchmarks is measured in one process, the two sides interleaved
where possible, because these machines are shared and noisy: a ratio survives load
that an absolute time does not.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import numpy as np


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def simd_features() -> str:
    """numpy's SIMD features found on this CPU (what its dispatched loops may use)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as feats
    keys = ("SSE42", "AVX", "AVX2", "FMA3", "AVX512F", "AVX512_SKX", "AVX512_ICL",
            "AVX512_SPR")
    return " ".join(k for k in keys if feats.get(k))


def header(title: str) -> str:
    import numba
    import scipy

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"# {title}\n\nCPU: {cpu_model()} ({os.cpu_count()} logical cores; numpy SIMD: "
            f"{simd_features()}); Python {platform.python_version()}, numpy "
            f"{np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}; "
            f"load average {load:.1f} at the start.\n")


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
