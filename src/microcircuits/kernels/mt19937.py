"""NumPy's legacy ``RandomState.normal`` inside a kernel: the same Mersenne Twister and the same polar
Box-Muller method (with its cached second value), so that a kernel draws exactly the numbers NumPy would.

PAL's noise takes a standard normal per hidden unit and step.  NumPy hands them out at ~40 ns each; drawn
here, a step's worth at a time into a buffer the kernel owns, they cost 7-9 ns (:func:`fill_normal`).  The
state moves between NumPy and the kernel with :func:`state_of` and :func:`restore`
(``RandomState.get_state``/``set_state``), so the same generator can shuffle in NumPy and draw noise here, in
the reference's order.

The algorithms are those of NumPy's ``mt19937.c`` (Matsumoto and Nishimura's generator, twist and tempering)
and ``legacy-distributions.c`` (``legacy_gauss``, ``legacy_double``); tests/test_pal.py compares draws.
"""

import math

import numpy as np
from numba import uintp as U

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
def _refill(key, tempered):
    """Twist to the next block and temper all of it (both loops vectorise).  Inlined: called out of line, the
    call alone makes every word cost some 4 ns more."""
    twist(key)
    for i in range(N):
        tempered[U(i)] = _temper(key[U(i)])


@inline_jit
def _word(key, tempered, pos):
    """The word at ``pos`` (the next block first when this one is used up) and the next position."""
    if pos >= N:
        _refill(key, tempered)
        pos = 0
    return tempered[U(pos)], pos + 1


@inline_jit
def _uniform(a, b):
    """legacy_double: a 53-bit uniform in [0, 1) from two words, mapped to [-1, 1)."""
    return 2.0 * (((a >> np.uint32(5)) * 67108864.0 + (b >> np.uint32(6))) * TWO_M53) - 1.0


@jit
def fill_normal(key, meta, cache, tempered, out, work):
    """out[:] = RandomState.normal(0, 1, out.size), advancing the state (key, meta, cache, tempered).

    The same numbers in two passes over the pairs.  First the tries: four words, two uniforms, the squared radius;
    every try is written to the next free place and the place advances only if the try is kept, so a rejection
    (one try in five, at random) costs no mispredicted branch.  Then every kept pair's factor
    sqrt(-2 log r^2 / r^2); with no branch between them, the logarithms, roots and divisions of different pairs
    overlap.  ``out`` holds each pair's x2, ``work`` (at least out.size + 1 long) its r^2 and x1."""
    pos = meta[POS]
    has = meta[HAS_GAUSS]
    cached = cache[0]
    i = 0
    n = out.shape[0]
    if n and has:
        out[0] = cached
        has = 0
        i = 1
    pairs = (n - i + 1) // 2
    p = 0
    while p < pairs:
        if pos <= N - 4:  # the four words of a try within this block (all but one try in 156)
            q = U(pos)
            x1 = _uniform(tempered[q], tempered[q + 1])
            x2 = _uniform(tempered[q + 2], tempered[q + 3])
            pos += 4
        else:
            a1, pos = _word(key, tempered, pos)
            b1, pos = _word(key, tempered, pos)
            a2, pos = _word(key, tempered, pos)
            b2, pos = _word(key, tempered, pos)
            x1, x2 = _uniform(a1, b1), _uniform(a2, b2)
        r2 = x1 * x1 + x2 * x2
        work[U(p)] = r2
        work[U(pairs + p)] = x1
        out[U(i + 2 * p)] = x2
        p += 1 if (r2 < 1.0) & (r2 != 0.0) else 0
    for p in range(pairs):
        r2 = work[U(p)]
        f = math.sqrt(-2.0 * math.log(r2) / r2)
        j = i + 2 * p
        out[U(j)] = f * out[U(j)]
        if j + 1 < n:
            out[U(j + 1)] = f * work[U(pairs + p)]
        else:
            cached = f * work[U(pairs + p)]
            has = 1
    meta[POS] = pos
    meta[HAS_GAUSS] = has
    cache[0] = cached


def tempered(key: np.ndarray) -> np.ndarray:
    """The block's words as the generator hands them out (MT19937's tempering, in NumPy)."""
    y = key.astype(np.uint32)
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    return y


def state_of(rng: np.random.RandomState):
    """The generator's state as the kernel holds it: (key, meta = [pos, has_gauss], cache = [gauss], the key's
    tempered words)."""
    _, key, pos, has_gauss, cached = rng.get_state()
    key = np.array(key, dtype=np.uint32)
    return key, np.array([pos, has_gauss], dtype=np.int64), np.array([cached]), tempered(key)


def restore(rng: np.random.RandomState, key, meta, cache, *_) -> None:
    """Hand the kernel's state back to ``rng``."""
    rng.set_state(("MT19937", key, int(meta[POS]), int(meta[HAS_GAUSS]), float(cache[0])))
