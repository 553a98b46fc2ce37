"""NumPy's legacy ``RandomState.normal`` inside a kernel: the same Mersenne Twister and the same polar
Box-Muller method (with its cached second value), so that a kernel draws exactly the numbers NumPy would.

PAL's noise takes a standard normal per hidden unit and step.  NumPy hands them out at ~40 ns each; drawn
here, in the loop that uses them, they cost a fraction of that and need no buffer.  The state moves between
NumPy and the kernel with :func:`state_of` and :func:`restore` (``RandomState.get_state``/``set_state``), so
the same generator can shuffle in NumPy and draw noise here, in the reference's order.

The algorithms are those of NumPy's ``mt19937.c`` (Matsumoto and Nishimura's generator, twist and tempering)
and ``legacy-distributions.c`` (``legacy_gauss``, ``legacy_double``); tests/test_pal.py compares draws.
"""

import math

import numpy as np

from .cache import kernel_jit

inline_jit = kernel_jit(error_model="numpy", inline="always")
jit = kernel_jit(error_model="numpy")

N, M = 624, 397
MATRIX_A, UPPER, LOWER = np.uint32(0x9908B0DF), np.uint32(0x80000000), np.uint32(0x7FFFFFFF)
POS, HAS_GAUSS = 0, 1
TWO_M53 = 1.0 / 9007199254740992.0  # x / 2^53 == x * 2^-53 exactly (a power of two)


@inline_jit
def _mix(key, i, j, k):
    y = (key[i] & UPPER) | (key[j] & LOWER)
    key[i] = key[k] ^ (y >> np.uint32(1)) ^ (MATRIX_A * (y & np.uint32(1)))


@jit
def twist(key):
    """The next 624 words (mt19937_gen)."""
    for i in range(N - M):
        _mix(key, i, i + 1, i + M)
    for i in range(N - M, N - 1):
        _mix(key, i, i + 1, i + M - N)
    _mix(key, N - 1, 0, M - 1)


@inline_jit
def _temper(y):
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    return y


@inline_jit
def _word(key, pos):
    """The tempered word at ``pos`` (twisting first when the block is used up) and the next position."""
    if pos >= N:
        twist(key)
        pos = 0
    return _temper(key[pos]), pos + 1


@jit
def fill_normal(key, meta, cache, out):
    """out[:] = RandomState.normal(0, 1, out.size), advancing the state (key, meta, cache).  The position and
    the cached value live in registers while the buffer fills; they are written back at the end."""
    pos = meta[POS]
    has = meta[HAS_GAUSS]
    cached = cache[0]
    i = 0
    n = out.shape[0]
    if n and has:
        out[0] = cached
        has = 0
        i = 1
    while i < n:
        while True:
            a1, pos = _word(key, pos)
            b1, pos = _word(key, pos)
            a2, pos = _word(key, pos)
            b2, pos = _word(key, pos)
            x1 = 2.0 * (((a1 >> np.uint32(5)) * 67108864.0 + (b1 >> np.uint32(6))) * TWO_M53) - 1.0
            x2 = 2.0 * (((a2 >> np.uint32(5)) * 67108864.0 + (b2 >> np.uint32(6))) * TWO_M53) - 1.0
            r2 = x1 * x1 + x2 * x2
            if r2 < 1.0 and r2 != 0.0:
                break
        f = math.sqrt(-2.0 * math.log(r2) / r2)
        out[i] = f * x2
        i += 1
        if i < n:
            out[i] = f * x1
            i += 1
        else:
            cached = f * x1
            has = 1
    meta[POS] = pos
    meta[HAS_GAUSS] = has
    cache[0] = cached


def state_of(rng: np.random.RandomState):
    """The generator's state as the kernel holds it: (key, meta = [pos, has_gauss], cache = [gauss])."""
    _, key, pos, has_gauss, cached = rng.get_state()
    return np.array(key, dtype=np.uint32), np.array([pos, has_gauss], dtype=np.int64), np.array([cached])


def restore(rng: np.random.RandomState, key, meta, cache) -> None:
    """Hand the kernel's state back to ``rng``."""
    rng.set_state(("MT19937", key, int(meta[POS]), int(meta[HAS_GAUSS]), float(cache[0])))
