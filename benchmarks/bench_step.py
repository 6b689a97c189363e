"""One step of the compiled engine against one CSR mat-vec, and against the per-agent
engine.

Run by hand (``make bench``), not in CI. Rows of the fast-path table:

- *step / mat-vec at 10^6 people* (Erdős–Rényi, mean degree 20, 2·10^7 directed
  ties), two regimes: a whole run from 1 % seeds (every step timed, each against a
  float64 ``A @ x`` timed right after it on the same adjacency; the ratio is the mean
  of the per-step ratios, and the median is printed too) and a busy regime (a fifth of
  the people engaged from the start, activity 0.5, 12 steps);
- *per-agent / compiled per step at 10^5 people* (the same scenario, 20 steps);
- *stage 2 on / off per step at 10^6 people*, busy regime: attrition 0.04, motivation
  0.6/0.5/0.4, learning rate 0.2, activity Beta(mean 0.5, concentration 1.5) and
  reinforcement 2 against the same scenario with all four off (activity exactly 0.5),
  the two runs interleaved step by step (target ≤ 1.3, issue 11).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from machine import header, median_time

from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import default_scenario

STAGE2 = {"transmission.attrition": 0.04, "transmission.learning_rate": 0.2,
          "transmission.reinforcement": 2, "strategies.allocate.motivation": 0.6,
          "strategies.embed.motivation": 0.5, "strategies.open.motivation": 0.4,
          "traits.activity.concentration": 1.5}  # mean: decision.share_rate


def scenario(n: int, steps: int, busy: bool = False, stage2: bool = False):
    over = {"population.size": n, "steps": steps, "network.kind": "erdos_renyi",
            "network.mean_degree": 20.0, "transmission.transmissibility": 0.5,
            "traits.receptiveness.mean": 0.5, "transmission.reshare_prob": 0.05,
            "intervention.seed_fraction": 0.2 if busy else 0.01}
    if busy:
        over["decision.share_rate"] = 0.5
    if stage2:
        over.update(STAGE2)
    return default_scenario().with_overrides(over)


def stage2_vs_stage1(n: int, steps: int) -> tuple[float, float, float]:
    """(ratio of mean step times, stage-2 ms, stage-1 ms), busy regime, interleaved."""
    for warm in (True, False):  # first: compile both variants (activity trait, exposers)
        on = DiffusionModel(scenario(n, steps, True, True), seed=1, collect=None)
        off = DiffusionModel(scenario(n, steps, True, False), seed=1, collect=None)
        t_on, t_off = [], []
        for _ in range(1 if warm else steps):
            for m, out in ((on, t_on), (off, t_off)):
                t0 = time.perf_counter()
                m.step()
                out.append(time.perf_counter() - t0)
    return float(np.mean(t_on) / np.mean(t_off)), 1e3 * float(np.mean(t_on)), 1e3 * float(
        np.mean(t_off))


def step_vs_matvec(n: int, steps: int, busy: bool) -> tuple[float, float, float, float]:
    """(mean ratio, median ratio, mean step s, mean mat-vec s) over the run's steps."""
    m = DiffusionModel(scenario(n, steps, busy), seed=1, collect=None)
    A = m.world.network.csr()
    x = np.random.default_rng(0).random(n)
    m.step()  # compiled code loaded, caches warm
    m = DiffusionModel(scenario(n, steps, busy), seed=1, collect=None)
    ratios, st, mv = [], [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        m.step()
        s = time.perf_counter() - t0
        v = median_time(lambda: A @ x, 3)
        ratios.append(s / v)
        st.append(s)
        mv.append(v)
    return float(np.mean(ratios)), float(np.median(ratios)), float(np.mean(st)), float(np.mean(mv))


def agents_vs_compiled(n: int, steps: int) -> tuple[float, float, float]:
    times = {}
    for engine in ("compiled", "agents"):
        m = DiffusionModel(scenario(n, steps), seed=1, engine=engine, collect=None)
        per = []
        for _ in range(steps):
            t0 = time.perf_counter()
            m.step()
            per.append(time.perf_counter() - t0)
        times[engine] = float(np.mean(per))
    return times["agents"] / times["compiled"], times["agents"], times["compiled"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--agent-n", type=int, default=100_000)
    args = ap.parse_args()
    print(header("One step"))
    print("| measure | value | target |\n|---|---:|---:|")
    for busy, label, steps in ((False, "run from 1 % seeds, 52 steps", 52),
                               (True, "busy: 20 % engaged, activity 0.5, 12 steps", 12)):
        mean, med, s, v = step_vs_matvec(args.n, steps, busy)
        print(f"| step / mat-vec, {args.n:,} people, {label} | {mean:.2f} (median "
              f"{med:.2f}; step {1e3 * s:.0f} ms, mat-vec {1e3 * v:.0f} ms) | ≤ 2 |", flush=True)
    ratio, a, c = agents_vs_compiled(args.agent_n, 20)
    print(f"| per-agent / compiled per step, {args.agent_n:,} people | {ratio:.0f}× "
          f"({1e3 * a:.0f} ms vs {1e3 * c:.1f} ms) | ≥ 150× |", flush=True)
    ratio, on, off = stage2_vs_stage1(args.n, 12)
    print(f"| stage 2 on / off per step, {args.n:,} people, busy | {ratio:.2f} "
          f"({on:.0f} ms vs {off:.0f} ms) | ≤ 1.3 |")


if __name__ == "__main__":
    main()
