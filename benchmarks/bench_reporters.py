"""Per-step cost of the DataCollector's reporters at 2,000 people (the baseline scenario).

Times a 52-week run with ``collect=None`` (the fast path of ``replicate``), ``"model"``
(every headline figure per step) and ``"agents"`` (model and agent reporters), best of
``--repeat``, and prints the extra cost per step of each over the fast path.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import load

ROOT = Path(__file__).resolve().parents[1]


def run_time(collect: str | None, repeat: int) -> float:
    sc = load(ROOT / "experiments" / "scenarios" / "baseline.toml")
    best = float("inf")
    for r in range(repeat):
        t0 = time.perf_counter()
        DiffusionModel(sc, seed=r, collect=collect).run()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    steps = load(ROOT / "experiments" / "scenarios" / "baseline.toml").steps
    base = run_time(None, a.repeat)
    print(f"collect=None (fast path): {base * 1e3:.1f} ms per run of {steps} weeks")
    for collect in ("model", "agents"):
        t = run_time(collect, a.repeat)
        print(f"collect={collect!r}: {t * 1e3:.1f} ms per run, "
              f"+{(t - base) / steps * 1e3:.3f} ms per step over the fast path")


if __name__ == "__main__":
    main()
