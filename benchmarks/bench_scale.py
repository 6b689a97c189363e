"""Scale: building and running 10^6 (and, with --huge, 10^7) people, mean degree 20.

Run by hand (``make bench``), not in CI. Each size runs in its own subprocess, so its
peak memory (``ru_maxrss``) is its own. Rows of the fast-path table:

- *10^6 people, degree 20*: build time, 100 steps (one compiled call), peak memory;
- *10^7 people, degree 20* (2·10^8 directed ties; ``--huge``, ~10 min): completes
  within 24 GiB;

plus the network build's temporaries: (peak during the build − memory before it −
the final arrays) per directed tie (target ≤ 16 bytes).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from machine import header


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def one_size(n: int, c: float, steps: int, kind: str) -> dict:
    """Build and run one model (called in a subprocess)."""
    from diffusion_sim.model import DiffusionModel
    from diffusion_sim.scenario import default_scenario

    sc = default_scenario().with_overrides({
        "population.size": n, "network.mean_degree": c, "network.kind": kind,
        "steps": steps, "intervention.seed_fraction": 0.001})
    DiffusionModel(sc.with_overrides({"population.size": 100, "steps": 2}), seed=1,
                   collect=None).run()  # load the compiled code before measuring
    before = rss_gib()
    t0 = time.perf_counter()
    m = DiffusionModel(sc, seed=1, collect=None)
    build = time.perf_counter() - t0
    after_build = rss_gib()
    t1 = time.perf_counter()
    m.run()
    run = time.perf_counter() - t1
    net = m.world.network
    ties = int(net.indices.size)
    final = net.nbytes() / 2**30
    return {"n": n, "mean_degree": c, "kind": kind, "directed_ties": ties, "build_s": build,
            "steps": steps, "run_s": run, "peak_gib": rss_gib(),
            "build_temporaries_bytes_per_tie": (after_build - before - final) * 2**30 / ties,
            "engaged_final": float((m.run_state.state >= 2).mean())}


def in_subprocess(n: int, c: float, steps: int, kind: str) -> dict:
    res = subprocess.run([sys.executable, __file__, "--one", f"{n},{c},{steps},{kind}"],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--huge", action="store_true", help="add 10^7 people (~10 min)")
    ap.add_argument("--kind", default="erdos_renyi")
    args = ap.parse_args()
    if args.one:
        n, c, steps, kind = args.one.split(",")
        print(json.dumps(one_size(int(n), float(c), int(steps), kind)))
        return
    print(header("Scale"))
    print("| measure | value | target |\n|---|---:|---:|")
    sizes = [(10**6, 100)] + ([(10**7, 20)] if args.huge else [])
    for n, steps in sizes:
        r = in_subprocess(n, 20.0, steps, args.kind)
        print(f"| {n:,} people, degree 20 ({r['directed_ties']:,} directed ties, "
              f"{args.kind}): build / {steps} steps / peak memory | {r['build_s']:.1f} s / "
              f"{r['run_s']:.1f} s / {r['peak_gib']:.2f} GiB | "
              + ("≤ 2 s / ≤ 10 s / ≤ 0.6 GiB" if n == 10**6 else "within 24 GiB") + " |")
        print(f"| {n:,} people: network-build temporaries per directed tie | "
              f"{r['build_temporaries_bytes_per_tie']:.1f} bytes | ≤ 16 |", flush=True)


if __name__ == "__main__":
    main()
