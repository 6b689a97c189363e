"""Speed of one step: vectorised engine vs per-agent engine vs one CSR mat-vec.

Run by hand (``make bench`` or ``python benchmarks/bench_step.py``), not in CI.
On Barabási–Albert graphs (mean degree 10) of 10^4, 10^5 and 10^6 people it times,
in one process and on the same adjacency:

- one ``scipy.sparse`` CSR matrix-vector product (float64, the unit of cost);
- one step of the vectorised engine (median over the steps of a run);
- one step of the per-agent Mesa engine (where it finishes in reasonable time).

Each figure is the median of several repetitions; ratios are what to compare, since
these machines are shared and noisy; the step / mat-vec ratio is the median over
steps of each step's time divided by a mat-vec timed right after it. Targets:
vectorised step ≤ 3 CSR products at 10^6 people; ≥ 100× faster than the per-agent
engine at 10^5.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import default_scenario


def scenario(n: int, steps: int):
    return default_scenario().with_overrides({
        "population.size": n, "steps": steps, "network.kind": "barabasi_albert",
        "network.mean_degree": 10.0, "intervention.seed_fraction": 0.01,
        "transmission.transmissibility": 0.5, "traits.receptiveness.mean": 0.5,
        "transmission.reshare_prob": 0.05})


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def step_times(n: int, steps: int, engine: str, matvec=None) -> tuple[list[float], list[float]]:
    """Time every step; with ``matvec``, also time one mat-vec right after each step,
    so that each step is compared with a product measured under the same load."""
    m = DiffusionModel(scenario(n, steps), seed=1, engine=engine)
    times, products = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        m.step()
        times.append(time.perf_counter() - t0)
        if matvec is not None:
            products.append(median_time(matvec, 3))
    return times, products


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--steps", type=int, default=52)
    ap.add_argument("--agent-max", type=int, default=100_000,
                    help="largest size at which the per-agent engine is timed")
    args = ap.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        m = DiffusionModel(scenario(n, args.steps), seed=1)
        A = m.network.csr()
        x = np.random.default_rng(0).random(n)
        vec, products = step_times(n, args.steps, "vectorized", lambda A=A, x=x: A @ x)
        vec_med = float(np.median(vec))
        matvec = float(np.median(products))
        per_step_ratio = float(np.median(np.array(vec) / np.array(products)))
        agent_med = float("nan")
        if n <= args.agent_max:
            agent_med = float(np.median(step_times(n, args.steps, "agents")[0]))
        rows.append((n, A.nnz, matvec, vec_med, agent_med, per_step_ratio))
        print(f"n={n:>9,} ties={A.nnz // 2:>10,}  matvec {1e3 * matvec:8.2f} ms  "
              f"vectorised step {1e3 * vec_med:8.2f} ms ({per_step_ratio:5.2f} mat-vecs)  "
              f"agents step {1e3 * agent_med:10.1f} ms  "
              f"(agents/vectorised {agent_med / vec_med:7.0f}x)", flush=True)
    print("\n| people | directed ties | CSR mat-vec (ms) | vectorised step (ms) | "
          "step / mat-vec | per-agent step (ms) | per-agent / vectorised |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, nnz, mv, vs, ag, r in rows:
        ratio = f"{ag / vs:.0f}x" if ag == ag else "n/a"
        agent = f"{1e3 * ag:.0f}" if ag == ag else "not run"
        print(f"| {n:,} | {nnz:,} | {1e3 * mv:.2f} | {1e3 * vs:.2f} | {r:.2f} | "
              f"{agent} | {ratio} |")


if __name__ == "__main__":
    main()
