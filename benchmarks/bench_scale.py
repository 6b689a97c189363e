"""Scale: build time, step time, memory per person and per tie, and a peer library.

Run by hand (``make bench`` or ``python benchmarks/bench_scale.py``), not in CI.

1. **Targets** (each size in its own subprocess, so peak memory is its own):
   10^6 people, mean degree 20: build ≤ 20 s, 100 steps ≤ 30 s, peak ≤ 2 GiB;
   10^7 people, mean degree 10 (``--huge``): runs to completion within 24 GiB.
2. **Memory**: bytes per person (state + traits) and per directed tie (CSR), measured
   from the arrays themselves.
3. **Scaling**: time per step against number of ties from 10^4 to 10^8 (``--huge``
   adds the largest sizes), log-log, written to ``results/benchmarks/step_scaling.png``
   with the fitted slope.
4. **Peer**: NDlib's independent cascade (``pip install ndlib six``; benchmark-only)
   on the *same* graph (ours, converted to networkx) against our model reduced to the
   independent cascade (open forced, share once): median time per step, same process.

Results go to stdout (Markdown tables) and ``results/benchmarks/scale.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "benchmarks"


def scenario(n: int, c: float, steps: int, kind: str = "sbm", seeded: float = 0.001):
    from diffusion_sim.scenario import default_scenario

    return default_scenario().with_overrides({
        "population.size": n, "network.mean_degree": c, "network.kind": kind,
        "steps": steps, "intervention.seed_fraction": seeded})


def one_size(n: int, c: float, steps: int, kind: str, seeded: float) -> dict:
    """Build and run one model; report times and memory (run in a subprocess)."""
    from diffusion_sim.model import DiffusionModel

    t0 = time.perf_counter()
    m = DiffusionModel(scenario(n, c, steps, kind, seeded), seed=1)
    build = time.perf_counter() - t0
    step_times = []
    for _ in range(steps):
        t = time.perf_counter()
        m.step()
        step_times.append(time.perf_counter() - t)
    person_arrays = [m.group, m.access, m.state, m.strategy, m.engaged_step, m.reached_by,
                     m.engaged_via, m.seen_sharing, m.seen_next, *m.traits.values()]
    per_person = sum(a.nbytes for a in person_arrays) / n
    per_person += (m.network.indptr.nbytes + m.network.degree.nbytes) / n
    per_tie = (m.network.indices.nbytes + m.network.strong.nbytes) / m.network.indices.size
    return {
        "n": n, "mean_degree": c, "kind": kind, "ties": m.network.n_ties,
        "build_s": build, "steps": steps, "run_s": float(sum(step_times)),
        "step_median_s": float(np.median(step_times)),
        "engaged_final": float((m.state >= 2).mean()),
        "bytes_per_person": per_person, "bytes_per_directed_tie": per_tie,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def in_subprocess(n: int, c: float, steps: int, kind: str, seeded: float = 0.001) -> dict:
    res = subprocess.run([sys.executable, __file__, "--one",
                          f"{n},{c},{steps},{kind},{seeded}"],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def peer(n: int, m_ba: int, steps: int = 30, repeat: int = 3) -> dict:
    """NDlib IC vs our independent-cascade reduction on the same BA graph."""
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc

    from diffusion_sim.model import DiffusionModel
    from diffusion_sim.network import barabasi_albert, from_edges

    net, _ = from_edges(n, *barabasi_albert(n, m_ba, np.random.default_rng(3)))
    g = net.to_networkx()
    p = 0.1
    sc = scenario(n, 2.0 * m_ba, steps, "barabasi_albert").with_overrides({
        "decision.forced_strategy": "open", "decision.share_once": True,
        "transmission.transmissibility": float(-np.log1p(-p)), "network.strong_fraction": 1.0,
        "transmission.reshare_prob": 0.0, "traits.receptiveness.mean": 1.0,
        "digital_access.probability": 1.0, "intervention.seed_fraction": 0.01})
    ours, theirs = [], []
    for _ in range(repeat):
        model = DiffusionModel(sc, seed=1)
        object.__setattr__(model, "network", net)  # the very same graph
        model.degree = net.degree
        for _ in range(steps):
            t = time.perf_counter()
            model.step()
            ours.append(time.perf_counter() - t)
        ic = ep.IndependentCascadesModel(g)
        cfg = mc.Configuration()
        cfg.add_model_parameter("fraction_infected", 0.01)
        for e in g.edges():
            cfg.add_edge_configuration("threshold", e, p)
        ic.set_initial_status(cfg)
        for _ in range(steps):
            t = time.perf_counter()
            ic.iteration()
            theirs.append(time.perf_counter() - t)
    return {"n": n, "ties": net.n_ties, "ours_step_ms": 1e3 * float(np.median(ours)),
            "ndlib_step_ms": 1e3 * float(np.median(theirs)),
            "speedup": float(np.median(theirs) / np.median(ours))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--huge", action="store_true", help="add 10^7 people (≈10 min, ~10 GiB)")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    if args.one:
        n, c, steps, kind, seeded = args.one.split(",")
        print(json.dumps(one_size(int(n), float(c), int(steps), kind, float(seeded))))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {"targets": [], "scaling": [], "peer": []}

    print("## Targets", flush=True)
    targets = [(10**6, 20.0, 100)] + ([(10**7, 10.0, 20)] if args.huge else [])
    for n, c, steps in targets:
        r = in_subprocess(n, c, steps, "sbm")
        report["targets"].append(r)
        print(f"n={n:,} c={c:g}: build {r['build_s']:.1f} s, {steps} steps {r['run_s']:.1f} s, "
              f"peak {r['peak_rss_gib']:.2f} GiB, {r['bytes_per_person']:.0f} B/person, "
              f"{r['bytes_per_directed_tie']:.1f} B/directed tie", flush=True)

    # 10 % engaged at the start, so that every step is busy (a fair per-step cost)
    print("\n## Scaling (Erdős–Rényi, mean degree 20, 10 % seeded, 20 steps)", flush=True)
    sizes = [1_000, 10_000, 100_000, 1_000_000] + ([10_000_000] if args.huge else [])
    for n in sizes:
        r = in_subprocess(n, 20.0, 20, "erdos_renyi", 0.1)
        report["scaling"].append(r)
        print(f"ties {r['ties']:>12,}: {1e3 * r['step_median_s']:9.2f} ms/step", flush=True)
    ties = np.array([r["ties"] for r in report["scaling"]], dtype=float)
    per_step = np.array([r["step_median_s"] for r in report["scaling"]])
    slope = float(np.polyfit(np.log10(ties[1:]), np.log10(per_step[1:]), 1)[0])
    report["scaling_slope"] = slope
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    ax.loglog(ties, 1e3 * per_step, "o-", color="#0072B2", label="vectorised step (median)")
    ref = 1e3 * per_step[-1] * ties / ties[-1]
    ax.loglog(ties, ref, ":", color="#999999", label="slope 1 (linear in ties)")
    ax.set_xlabel("undirected ties")
    ax.set_ylabel("time per step (ms)")
    ax.set_title(f"Step time vs network size (fitted slope {slope:.2f})", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "step_scaling.png")
    print(f"fitted log-log slope {slope:.2f}; figure {OUT / 'step_scaling.png'}")

    if not args.no_peer:
        print("\n## Peer: NDlib independent cascade on the same graph", flush=True)
        for n in (10_000, 100_000) + ((1_000_000,) if args.huge else ()):
            r = peer(n, 5)
            report["peer"].append(r)
            print(f"n={n:,}: ours {r['ours_step_ms']:.2f} ms/step, NDlib "
                  f"{r['ndlib_step_ms']:.1f} ms/step: {r['speedup']:.0f}x", flush=True)
    (OUT / "scale.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
