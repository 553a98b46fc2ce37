"""exp and tanh written out in arithmetic, so that loops over units vectorise.

libm's ``exp`` and ``tanh`` are opaque calls: a loop that evaluates the activation of every unit runs them one
at a time (a tanh costs some 60 cycles; at 32-16-8-4-2-1 a quarter of an errormc step went there).  Written in
plain floating-point operations, with one bit cast for the power of two, LLVM evaluates four units at once.

Accuracy: within 2 ulp of the correctly rounded result (libm's are within 1), tested against ``math`` over the
whole range, special values included (tests/test_vecmath.py).  Results therefore differ from NumPy's in the
last bit for some arguments: see docs/deviations.md.

* exp: x = k ln2 + r (Cody-Waite, |r| <= ln2/2), e^r by its Taylor polynomial to degree 13 (truncation
  error < 1e-17), times 2^k built from the exponent bits in two halves (so that subnormal results come out).
* tanh (Cephes' scheme, S. L. Moshier): |x| < 0.625 by x + x^3 P(x^2)/Q(x^2); otherwise 1 - 2/(e^{2|x|} + 1).
  ``tanh`` evaluates both branches and selects (vectorisable); ``tanh_scalar`` evaluates only the one it needs,
  for areas too small to vectorise: the same operations, so the same bits, at a fraction of libm's cost.
"""

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .cache import kernel_jit

vjit = kernel_jit(error_model="numpy", inline="always")

_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * _LN2_HI is exact for |k| < 2^11
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634
_EXP_MAX = 709.782712893384  # exp(x) overflows above this
_EXP_MIN = -745.1332191019412  # and is 0 below this
_TAYLOR = tuple(1.0 / math.factorial(n) for n in range(14))
C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13 = _TAYLOR[2:]

# tanh on |x| < 0.625: x + x z P(z)/Q(z), z = x^2 (Cephes tanh.c)
P0, P1, P2 = -9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3
Q0, Q1, Q2 = 1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3


@intrinsic
def _pow2(typingctx, k):
    """2.0**k for an integral float64 k in [-1022, 1023], from the exponent bits.  k + 1.5 * 2^52 holds k in
    its low mantissa bits (two's complement); shifted into the exponent field it gives 2^k.  No float-to-int
    conversion: AVX2 has none for four doubles, and LLVM would fall back to scalar code."""
    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        shifted = builder.fadd(args[0], ir.Constant(ir.DoubleType(), 6755399441055744.0))
        bits = builder.add(builder.bitcast(shifted, i64), ir.Constant(i64, 1023))
        return builder.bitcast(builder.shl(bits, ir.Constant(i64, 52)), ir.DoubleType())
    return types.float64(types.float64), codegen


@vjit
def exp(x):
    xc = min(max(x, -746.0), 710.0)  # keep k in range; the clamped ends are fixed below
    k = np.floor(xc * _LOG2E + 0.5)  # np.floor stays a float: math.floor would round-trip through int
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = C13
    p = p * r + C12
    p = p * r + C11
    p = p * r + C10
    p = p * r + C9
    p = p * r + C8
    p = p * r + C7
    p = p * r + C6
    p = p * r + C5
    p = p * r + C4
    p = p * r + C3
    p = p * r + C2
    p = p * r + 1.0
    p = p * r + 1.0
    half = np.floor(0.5 * k)
    y = p * _pow2(half) * _pow2(k - half)
    if x > _EXP_MAX:
        y = math.inf
    if x < _EXP_MIN:
        y = 0.0
    if x != x:
        y = x
    return y


@vjit
def tanh(x):
    a = abs(x)
    z = x * x
    small = x + x * z * (((P0 * z + P1) * z + P2) / (((z + Q0) * z + Q1) * z + Q2))
    large = 1.0 - 2.0 / (exp(2.0 * min(a, 40.0)) + 1.0)  # tanh(40) is 1 to the last bit
    if x < 0.0:
        large = -large
    y = small if a < 0.625 else large
    if a == 0.0 or x != x:  # keeps -0.0 and NaN
        y = x
    return y


@vjit
def tanh_scalar(x):
    """tanh(x) bit for bit, one argument at a time: only the branch needed is evaluated."""
    a = abs(x)
    if a < 0.625:
        if a == 0.0:
            return x  # keeps -0.0
        z = x * x
        return x + x * z * (((P0 * z + P1) * z + P2) / (((z + Q0) * z + Q1) * z + Q2))
    if x != x:
        return x
    large = 1.0 - 2.0 / (exp(2.0 * min(a, 40.0)) + 1.0)
    return -large if x < 0.0 else large
