"""Compiled code that reproduces numpy bit for bit: numpy's PCG64 stream (inlined: one
64×64→128-bit multiply per draw) and
:func:`diffusion_sim.portable_math.exp` (its scalar twin ``exp1``; no FMA, since LLVM
does not contract a·b + c without fast-math flags). Both are tested bit-identical to
their numpy counterparts.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from diffusion_sim import portable_math as pm


# ------------------------------------------------------------------ exp, the same bits
@nb.njit(cache=True, inline="always")
def _pow2(k):
    """2.0**k for -1022 <= k <= 1023, from its bit pattern (exact)."""
    return np.int64((k + 1023) << 52).view(np.float64)


@nb.njit(cache=True, inline="always")
def _scale(y, k):
    """y·2^k rounded once: an exact multiply, then one that rounds only for
    subnormal or overflowing results (as ``portable_math._scale_np``)."""
    if k > 1023:
        k1, f2 = k - 1, 2.0
    elif k < -1022:
        k1, f2 = k + 54, pm.TWO_M54
    else:
        k1, f2 = k, 1.0
    return (y * _pow2(k1)) * f2


@nb.njit(cache=True)
def exp1(x):
    """exp(x) of one float64: the scalar twin of :func:`portable_math.exp`."""
    if x != x:
        return x
    if x > pm.O_THRESHOLD:
        return np.inf
    if x < pm.U_THRESHOLD:
        return 0.0
    k = np.int64(math.floor(x * pm.INV_LN2 + 0.5))
    kf = np.float64(k)
    hi = x - kf * pm.LN2_HI
    lo = kf * pm.LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (pm.P1 + t * (pm.P2 + t * (pm.P3 + t * (pm.P4 + t * pm.P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    return _scale(y, k)


# ------------------------------------------------------------------ draws
@intrinsic
def _mulhi64(typingctx, a, b):
    """High 64 bits of the 128-bit product of two uint64 (one ``mul``)."""
    sig = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        i128 = ir.IntType(128)
        p = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        return builder.trunc(builder.lshr(p, ir.Constant(i128, 64)), ir.IntType(64))

    return sig, codegen


_M_HI = np.uint64(0x2360ED051FC65DA4)  # PCG64's 128-bit multiplier
_M_LO = np.uint64(0x4385DF649FCCF645)
_U58, _U11, _U63, _U64, _U1, _U0 = (np.uint64(v) for v in (58, 11, 63, 64, 1, 0))


@nb.njit(cache=True, inline="always")
def _pcg64_next_double(st):
    """numpy's PCG64 ``next_double``: st = uint64[4] (state hi, lo, increment hi, lo);
    state = state·M + inc (mod 2^128); output XSL-RR; (out >> 11) · 2^-53."""
    s_hi = st[0]
    s_lo = st[1]
    lo = s_lo * _M_LO
    hi = _mulhi64(s_lo, _M_LO) + s_lo * _M_HI + s_hi * _M_LO
    new_lo = lo + st[3]
    carry = _U1 if new_lo < lo else _U0
    new_hi = hi + st[2] + carry
    st[0] = new_hi
    st[1] = new_lo
    x = new_hi ^ new_lo
    rot = new_hi >> _U58
    out = (x >> rot) | (x << ((_U64 - rot) & _U63))
    return np.float64(out >> _U11) * (1.0 / 9007199254740992.0)


def next_uniform(src):  # pragma: no cover - replaced by the overload below
    raise NotImplementedError


@overload(next_uniform, inline="always")
def _next_uniform_ol(src):
    """One uniform from an inlined PCG64 state (uint64[4]) or a numpy Generator."""
    if isinstance(src, types.Array) and src.dtype == types.uint64:
        return lambda src: _pcg64_next_double(src)
    if isinstance(src, types.NumPyRandomGeneratorType):
        return lambda src: src.random()
    return None


_MASK64 = (1 << 64) - 1


def pcg_state(rng: np.random.Generator) -> np.ndarray | None:
    """The Generator's PCG64 state as uint64[4], or None for another bit generator."""
    s = rng.bit_generator.state
    if s["bit_generator"] != "PCG64":
        return None
    st, inc = s["state"]["state"], s["state"]["inc"]
    return np.array([st >> 64, st & _MASK64, inc >> 64, inc & _MASK64], dtype=np.uint64)


def put_pcg_state(rng: np.random.Generator, st: np.ndarray) -> None:
    s = rng.bit_generator.state
    s["state"]["state"] = (int(st[0]) << 64) | int(st[1])
    rng.bit_generator.state = s
