"""Sweep throughput: runs per second of the 2,000-person, 52-step baseline scenario.

Run by hand (``make bench``), not in CI. Rows of the fast-path table:

- *runs/s with 2 workers / mesa.batch_run of the per-agent engine*: ``diffusion-sim
  sweep`` as a subprocess (start-up, the chunked verified store and all included) over
  ``--runs`` runs, against ``mesa.batch_run`` of the same model on the per-agent engine
  (Mesa's own runner) over ``--agent-runs`` runs;
- *runs/s per core*: the same sweep with 1 worker, and ``replicate()`` in a loop in this
  process (what a run costs once everything is loaded), with the split between
  building the world and running.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa
import numpy as np
from machine import header

from diffusion_sim.model import DiffusionModel
from diffusion_sim.replicate import replicate
from diffusion_sim.scenario import load

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "experiments" / "scenarios" / "baseline.toml"


def sweep_spec(folder: Path, runs: int) -> Path:
    spec = folder / "spec.toml"
    spec.write_text(f'[sweep]\nname = "throughput"\nbase = "{BASE}"\nseed = 1\n'
                    f"replications = {runs // 2}\ndesign = \"grid\"\nchunk_size = 25\n"
                    '[parameters]\n"transmission.reshare_prob" = { levels = [0.05, 0.1] }\n')
    return spec


def time_sweep(spec: Path, workers: int, folder: Path) -> float:
    out = folder / f"out{workers}"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "diffusion_sim", "sweep", str(spec), "--out",
                    str(out), "--workers", str(workers)], check=True, capture_output=True)
    return time.perf_counter() - t0


def in_process(sc, seconds: float = 10.0) -> tuple[float, float, float]:
    """(runs/s, build ms, run ms) of replicate() in a loop, one core."""
    replicate(sc, 1, (0,))
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        replicate(sc, 1, (n,))
        n += 1
    rate = n / (time.perf_counter() - t0)
    build, run = [], []
    for r in range(30):
        t = time.perf_counter()
        m = DiffusionModel(sc, seed=1, key=(r,), collect=None)
        t1 = time.perf_counter()
        m.run()
        build.append(t1 - t)
        run.append(time.perf_counter() - t1)
    return rate, 1e3 * float(np.median(build)), 1e3 * float(np.median(run))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--agent-runs", type=int, default=3)
    args = ap.parse_args()
    sc = load(BASE)
    assert sc.population.size == 2000 and sc.steps == 52
    print(header("Sweep throughput"))
    rate, build, run = in_process(sc)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = sweep_spec(folder, args.runs)
        rates = {w: args.runs / time_sweep(spec, w, folder) for w in (1, 2)}
    t0 = time.perf_counter()
    rows = mesa.batch_run(DiffusionModel, parameters={
        "scenario": sc, "engine": "agents", "seed": list(range(args.agent_runs))},
        number_processes=1, max_steps=sc.steps + 1, display_progress=False)
    agent_rate = args.agent_runs / (time.perf_counter() - t0)
    assert len({r["seed"] for r in rows}) == args.agent_runs
    print("| measure | value | target |\n|---|---:|---:|")
    print(f"| sweep, 2 workers / mesa.batch_run (per-agent engine) | "
          f"{rates[2] / agent_rate:.0f}× ({rates[2]:.0f} vs {agent_rate:.2f} runs/s) | ≥ 100× |")
    print(f"| runs/s per core: sweep, 1 worker ({args.runs} runs, start-up and store "
          f"included) | {rates[1]:.0f} | ≥ 200 |")
    print(f"| runs/s per core: replicate() in a loop | {rate:.0f} (build {build:.1f} ms, "
          f"run {run:.1f} ms) | |")


if __name__ == "__main__":
    main()
