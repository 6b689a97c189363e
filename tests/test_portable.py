"""The same outputs on every CPU: every value that decides a draw comes from code whose
result does not depend on the CPU's vector width (portable_math; the compiled engine's
twins), and a run gives byte-identical outputs with numpy's dispatched SIMD code
switched off and numba compiling for a generic x86-64."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diffusion_sim import bitexact as exact
from diffusion_sim import portable_math

ROOT = Path(__file__).resolve().parents[1]


def sample(n=200_000, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([
        rng.uniform(-745.2, 709.8, n),      # the whole finite range
        rng.uniform(-40, 1, n),             # what logit weights and chances see
        rng.normal(0, 1e-3, n // 10),       # near 0
        [0.0, -0.0, 1.0, -1.0, 709.78, 709.79, -745.13, -745.14, 1e-300, -1e-300,
         np.inf, -np.inf, 0.5 * math.log(2), 1.5 * math.log(2), -38.8, -38.9],
    ])
    return x


def ulps(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    both = np.isfinite(a) & np.isfinite(b) & (np.sign(a) == np.sign(b))
    return np.abs(a[both].view(np.int64) - b[both].view(np.int64))  # exact int64 arithmetic


def test_portable_exp_is_within_one_ulp_of_libm_and_handles_the_edges():
    x = sample()
    with np.errstate(all="ignore"):
        ours, ref = portable_math.exp(x), np.array([math.exp(v) if v < 709.79 else np.inf
                                                     for v in x])
    assert ulps(ours, ref).max() <= 1
    assert (ours == ref).mean() > 0.85
    assert portable_math.exp(np.array([-np.inf, np.inf, np.nan]))[:2].tolist() == [0.0, np.inf]
    assert np.isnan(portable_math.exp(np.array([np.nan]))[0])
    m1 = portable_math.expm1(x[np.abs(x) < 700])
    assert ulps(m1, np.expm1(x[np.abs(x) < 700])).max() <= 1


def test_the_compiled_twin_gives_the_same_bits():
    x = sample(50_000, seed=1)
    twin = np.array([exact.exp1(v) for v in x])
    arr = portable_math.exp(x)
    assert np.array_equal(twin.view(np.int64), arr.view(np.int64))


FMA_CHECK = """
import numba, sys
from diffusion_sim import default_scenario
from diffusion_sim import bitexact as exact
from diffusion_sim.engines import compiled
from diffusion_sim.model import DiffusionModel
sc = default_scenario().with_overrides({"population.size": 60, "steps": 2,
                                        "transmission.learning_rate": 0.5})
DiffusionModel(sc, seed=1, collect=None).run()   # compiles every kernel
exact.exp1(0.5)
n_fma = n_mul = 0
for module in (compiled, exact):
    for f in vars(module).values():
        if isinstance(f, numba.core.registry.CPUDispatcher) and f.signatures:
            for asm in f.inspect_asm().values():
                asm = asm.lower()
                n_fma += sum(asm.count(op) for op in ("vfmadd", "vfmsub", "vfnmadd", "vfnmsub"))
                n_mul += asm.count("mulsd")
print(n_fma, n_mul)
"""


@pytest.mark.slow
def test_no_fused_multiply_add_in_the_compiled_code(tmp_path):
    """Compiled afresh (numba cannot inspect code loaded from its cache): no FMA
    instruction anywhere in the engine's kernels (an FMA rounds once where numpy rounds
    twice), while the multiplications are there."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    res = subprocess.run([sys.executable, "-c", FMA_CHECK], capture_output=True, text=True,
                         env=env, timeout=1200)
    assert res.returncode == 0, res.stderr[-2000:]
    n_fma, n_mul = map(int, res.stdout.split())
    assert n_fma == 0 and n_mul > 20


SPEC = """[sweep]
name = "cpu"
base = "base.toml"
seed = 3
replications = 2
chunk_size = 4
outputs = "series"
[parameters]
"decision.temperature" = { levels = [0.05, 0.3, 2.0] }
"transmission.transmissibility" = { levels = [0.3, 1.7] }
"""
BASE = """name = "cpu"
steps = 12
[population]
size = 500
[intervention]
seed_fraction = 0.05
[transmission]
reshare_prob = 0.2
attrition = 0.05
learning_rate = 0.3
[strategies.embed]
motivation = 0.5
"""


def sweep(tmp, env_extra):
    out = tmp / ("out-" + "-".join(sorted(env_extra)) if env_extra else "out-native")
    env = {**os.environ, **env_extra}
    res = subprocess.run([sys.executable, "-m", "diffusion_sim", "sweep", str(tmp / "spec.toml"),
                          "--out", str(out), "--workers", "1"], capture_output=True, text=True,
                         env=env, timeout=1200)
    assert res.returncode == 0, res.stderr[-2000:]
    return {n: (out / n).read_bytes() for n in ("runs.csv", "series.csv")}


@pytest.mark.slow
def test_outputs_do_not_depend_on_the_cpus_vector_width(tmp_path):
    """numpy's dispatched SIMD loops off (X86_V3 and X86_V4: AVX2 and AVX-512), and numba
    compiling the engine for a generic x86-64 in a fresh cache: the same bytes."""
    (tmp_path / "base.toml").write_text(BASE)
    (tmp_path / "spec.toml").write_text(SPEC)
    native = sweep(tmp_path, {})
    generic = sweep(tmp_path, {"NPY_DISABLE_CPU_FEATURES": "X86_V4 X86_V3",
                               "NUMBA_CPU_NAME": "generic",
                               "NUMBA_CACHE_DIR": str(tmp_path / "numba-generic")})
    assert native == generic
    assert native["runs.csv"].count(b"\n") == 13  # 6 points x 2 replicates + header
