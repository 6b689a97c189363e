"""exp and expm1 with the same bits on every CPU.

numpy's float64 ``exp`` / ``expm1`` dispatch on the CPU: on AVX-512 (numpy's X86_V4
target) ``exp`` runs Tang's table method or Intel SVML and ``expm1`` runs SVML; on AVX2
both fall back to the C library (glibc, which itself picks an FMA or non-FMA variant at
load time). These agree to about 1 ulp but not bit for bit, and a one-ulp change in a
probability can flip ``u < p`` for some uniform ``u``: a sweep shard that lands on
another node type would then differ from the serial run. Every value that decides a
draw (the logit weights, the per-tie chances) is therefore computed here, with +, -,
*, / only, in a fixed order, so the result is fixed by IEEE-754 alone:

- range reduction ``x = k·ln2 + r`` with Cody–Waite's two-part ln 2 (``LN2_HI`` has
  32 significant bits, so ``k·LN2_HI`` is exact for |k| < 2^21 and ``x − k·LN2_HI`` is
  exact by Sterbenz's lemma);
- the fdlibm (Sun Microsystems, 1993) minimax polynomials: ``P1..P5`` for exp's
  rational form and ``Q1..Q5`` for expm1 (error < 1 ulp);
- scaling by 2^k by multiplying with powers of two built from their bit pattern (one
  exact multiplication, then at most one rounding for subnormal or overflowing results).

These are the numpy array versions (numpy's add, multiply and divide are exact IEEE
operations whatever their SIMD width, and never fused). The compiled engine has
scalar twins (:mod:`diffusion_sim.engines.compiled`), tested bit-identical to these
and checked to contain no FMA instruction. Measured against glibc on 13 M values:
at most 1 ulp apart, 92 % identical.
"""

from __future__ import annotations

import numpy as np

# --- constants (bit patterns in comments; as fdlibm e_exp.c / s_expm1.c) -------------
LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000 (32 significant bits)
LN2_LO = 1.90821492927058770002e-10  # 0x3dea39ef35793c76
INV_LN2 = 1.44269504088896338700e00  # 0x3ff71547652b82fe
P1 = 1.66666666666666019037e-01  # 0x3fc555555555553e
P2 = -2.77777777770155933842e-03  # 0xbf66c16c16bebd93
P3 = 6.61375632143793436117e-05  # 0x3f11566aaf25de2c
P4 = -1.65339022054652515390e-06  # 0xbebbbd41c5d26bf1
P5 = 4.13813679705723846039e-08  # 0x3e66376972bea4d0
Q1 = -3.33333333333331316428e-02  # 0xbfa11111111110f4
Q2 = 1.58730158725481460165e-03  # 0x3f5a01a019fe5585
Q3 = -7.93650757867487942473e-05  # 0xbf14ce199eaadbb7
Q4 = 4.00821782732936239552e-06  # 0x3ed0cfca86e65239
Q5 = -2.01099218183624371326e-07  # 0xbe8afdb76e09c32d
O_THRESHOLD = 7.09782712893383973096e02  # 0x40862e42fefa39ef: exp overflows above
U_THRESHOLD = -7.45133219101941108420e02  # 0xc0874910d52d3051: exp is 0 below
HALF_LN2 = 0.5 * 0.6931471805599453  # |x| below: no reduction (k = 0)
THREE_HALF_LN2 = 1.5 * 0.6931471805599453
EXPM1_NEG_ONE = -38.816242111356935  # 56·ln2: expm1(x) rounds to -1 below
TWO_M54 = 5.551115123125783e-17  # 2^-54
EXPM1_TINY = 5.551115123125783e-17  # |x| < 2^-54: expm1(x) = x


# --- numpy array versions (same operations, same order) --------------------------------
def _pow2_np(k: np.ndarray) -> np.ndarray:
    return ((k + 1023).astype(np.int64) << 52).view(np.float64)


def _scale_np(y: np.ndarray, k: np.ndarray) -> np.ndarray:
    k1 = np.where(k > 1023, k - 1, np.where(k < -1022, k + 54, k))
    f2 = np.where(k > 1023, 2.0, np.where(k < -1022, TWO_M54, 1.0))
    return (y * _pow2_np(k1)) * f2


def exp(x) -> np.ndarray:
    """exp(x) elementwise, float64, bit-identical to the compiled engine's scalar ``exp1``."""
    x = np.asarray(x, dtype=np.float64)
    nan = x != x
    over = x > O_THRESHOLD
    under = x < U_THRESHOLD
    xs = np.where(nan | over | under, 0.0, x)
    k = np.floor(xs * INV_LN2 + 0.5).astype(np.int64)
    kf = k.astype(np.float64)
    hi = xs - kf * LN2_HI
    lo = kf * LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    out = _scale_np(y, k)
    out = np.where(under, 0.0, out)
    out = np.where(over, np.inf, out)
    return np.where(nan, x, out)


def expm1(x) -> np.ndarray:
    """expm1(x) elementwise, float64, the same bits on every CPU (the per-tie chances)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        nan = x != x
        over = x > O_THRESHOLD
        neg1 = x < EXPM1_NEG_ONE
        ax = np.abs(x)
        tiny = ax < EXPM1_TINY
        special = nan | over | neg1 | tiny
        xs = np.where(special, 0.0, x)
        ax = np.abs(xs)
        reduce = ax > HALF_LN2
        near = reduce & (ax < THREE_HALF_LN2)
        far = reduce & ~near
        pos = xs > 0.0
        k_far = np.floor(xs * INV_LN2 + 0.5).astype(np.int64)
        k = np.where(far, k_far, np.where(near, np.where(pos, 1, -1), 0)).astype(np.int64)
        kf = k_far.astype(np.float64)
        hi = np.where(near, np.where(pos, xs - LN2_HI, xs + LN2_HI), xs - kf * LN2_HI)
        lo = np.where(near, np.where(pos, LN2_LO, -LN2_LO), kf * LN2_LO)
        xr_red = hi - lo
        c = np.where(reduce, (hi - xr_red) - lo, 0.0)
        xr = np.where(reduce, xr_red, xs)
        hfx = 0.5 * xr
        hxs = xr * hfx
        r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))))
        t = 3.0 - r1 * hfx
        e0 = hxs * ((r1 - t) / (6.0 - xr * t))
        res_k0 = xr - (xr * e0 - hxs)
        e = xr * (e0 - c) - c
        e = e - hxs
        res_m1 = 0.5 * (xr - e) - 0.5
        res_p1 = np.where(xr < -0.25, -2.0 * (e - (xr + 0.5)), 1.0 + 2.0 * (xr - e))
        kc = np.clip(k, -1022, 1022)
        res_big = _scale_np(1.0 - (e - xr), k) - 1.0
        res_lt20 = ((1.0 - _pow2_np(-kc)) - (e - xr)) * _pow2_np(kc)
        res_ge20 = ((xr - (e + _pow2_np(-kc))) + 1.0) * _pow2_np(kc)
        out = np.where(k == 0, res_k0,
              np.where(k == -1, res_m1,
              np.where(k == 1, res_p1,
              np.where((k <= -2) | (k > 56), res_big,
              np.where(k < 20, res_lt20, res_ge20)))))
        out = np.where(tiny, x, out)
        out = np.where(neg1, -1.0, out)
        out = np.where(over, np.inf, out)
        return np.where(nan, x, out)
