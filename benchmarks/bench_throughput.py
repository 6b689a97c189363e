"""Sweep throughput: runs per second of a 2,000-person, 52-step scenario.

Run by hand (``make bench``), not in CI. In one session it times:

- ``diffusion-sim sweep`` (the vectorised engine, the chunked store) with 1 and 2
  workers, as a subprocess, over ``--runs`` runs;
- ``mesa.batch_run`` of the same model on the per-agent engine over ``--agent-runs``
  runs (mesa's own runner, holding rows in memory);

and prints runs per second and the ratio (target: sweep ≥ 50× batch_run).
It also reports the fixed cost of one small run (set-up: network, people; and the
steps) measured in-process, medians of repeated runs.
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

from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import load

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "experiments" / "scenarios" / "baseline.toml"


def sweep_spec(folder: Path, runs: int) -> Path:
    spec = folder / "spec.toml"
    spec.write_text(f'[sweep]\nname = "throughput"\nbase = "{BASE}"\nseed = 1\n'
                    f"replications = {runs // 2}\ndesign = \"grid\"\nchunk_size = 10\n"
                    '[parameters]\n"transmission.reshare_prob" = { levels = [0.05, 0.1] }\n')
    return spec


def time_sweep(spec: Path, workers: int, folder: Path) -> float:
    out = folder / f"out{workers}"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "diffusion_sim", "sweep", str(spec), "--out",
                    str(out), "--workers", str(workers)], check=True,
                   capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--agent-runs", type=int, default=4)
    args = ap.parse_args()
    sc = load(BASE)
    assert sc.population.size == 2000 and sc.steps == 52

    # fixed cost of one run, in-process
    setup, stepping = [], []
    for r in range(15):
        t0 = time.perf_counter()
        m = DiffusionModel(sc, seed=1, key=(r,))
        t1 = time.perf_counter()
        m.run()
        setup.append(t1 - t0)
        stepping.append(time.perf_counter() - t1)
    print(f"one run in-process: set-up {1e3 * np.median(setup):.1f} ms, 52 steps "
          f"{1e3 * np.median(stepping):.1f} ms (medians of 15)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = sweep_spec(folder, args.runs)
        rates = {}
        for w in (1, 2):
            secs = time_sweep(spec, w, folder)
            rates[w] = args.runs / secs
            print(f"diffusion-sim sweep, {w} worker(s): {args.runs} runs in {secs:.1f} s = "
                  f"{rates[w]:.1f} runs/s", flush=True)
    t0 = time.perf_counter()
    rows = mesa.batch_run(DiffusionModel, parameters={
        "scenario": sc, "engine": "agents", "seed": list(range(args.agent_runs))},
        number_processes=1, max_steps=sc.steps, display_progress=False)
    secs = time.perf_counter() - t0
    assert len({r["seed"] for r in rows}) == args.agent_runs
    agent_rate = args.agent_runs / secs
    print(f"mesa.batch_run, per-agent engine: {args.agent_runs} runs in {secs:.1f} s = "
          f"{agent_rate:.3f} runs/s")
    print("\n| runner | runs/s | ratio to mesa.batch_run (agents) |\n|---|---:|---:|")
    for w in (1, 2):
        print(f"| diffusion-sim sweep, {w} worker(s) | {rates[w]:.1f} | "
              f"{rates[w] / agent_rate:.0f}x |")
    print(f"| mesa.batch_run, per-agent engine | {agent_rate:.3f} | 1x |")


if __name__ == "__main__":
    main()
