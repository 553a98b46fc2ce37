"""kernels/simd.py: the four-lane logistic against libm's, and the mat-vecs and lane arithmetic against NumPy."""

import math
from fractions import Fraction

import numpy as np
import pytest
from numba import njit

from microcircuits.kernels import simd


@njit(error_model="numpy")
def _logistic(x, out):
    for c in range(0, x.shape[0], 4):
        simd.store4(out, c, simd.logistic4(simd.load4(x, c)))


def _ulps(ours, ref):
    same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.abs(ours - ref) / np.spacing(np.abs(ref)))


def _libm_logistic(v):
    try:
        return 1.0 / (1.0 + math.exp(-v))
    except OverflowError:
        return 0.0


def _fma(a, b, c):
    """a b + c rounded once (math.fma needs Python 3.13)."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def test_logistic4_within_a_few_ulp_of_libm_over_the_whole_range():
    rs = np.random.default_rng(1)
    x = np.concatenate([rs.uniform(-750, 750, 100_000), rs.uniform(-40, 40, 100_000), rs.normal(0, 1e-3, 10_000),
                        [0.0, -0.0, math.inf, -math.inf, math.nan, 709.79, -709.79, 745.2, -745.2, 5e-324]])
    x = np.concatenate([x, np.zeros(-x.size % 4)])
    ours = np.empty_like(x)
    _logistic(x, ours)
    ref = np.array([_libm_logistic(v) for v in x])
    assert _ulps(ours, ref).max() <= 4
    assert np.isnan(ours[np.isnan(x)]).all()


@njit(error_model="numpy")
def _matvecs(M1, x1, out1, M2, x2, out2, ld, cols, pair):
    if pair:
        simd.matvec_pair(M1, 4, x1, 1, out1, 8, M2, 0, x2, 2, out2, 4, ld, cols)
    else:
        simd.matvec(M1, 4, x1, 1, out1, 8, ld, cols)


@pytest.mark.parametrize("ld, cols", [(4, 1), (8, 5), (12, 20), (20, 10)])
@pytest.mark.parametrize("pair", [False, True])
def test_matvec_sums_each_row_in_column_order(ld, cols, pair):
    """out = block @ x for column-major blocks at an offset; each row's sum in order (so exactly a sequential
    fused multiply-add loop), and nothing outside the output rows touched."""
    rs = np.random.default_rng(ld * cols)
    M1, M2 = rs.normal(size=4 + ld * cols), rs.normal(size=ld * cols)
    x1, x2 = rs.normal(size=1 + cols), rs.normal(size=2 + cols)
    out1, out2 = np.full(8 + ld + 3, 7.0), np.full(4 + ld + 3, 7.0)
    _matvecs(M1, x1, out1, M2, x2, out2, ld, cols, pair)
    for M, m0, x, x0, out, o0, used in ((M1, 4, x1, 1, out1, 8, True), (M2, 0, x2, 2, out2, 4, pair)):
        if not used:
            assert (out == 7.0).all()
            continue
        block = M[m0:m0 + ld * cols].reshape(cols, ld).T
        expected = np.zeros(ld)
        for j in range(cols):
            expected = np.array([_fma(block[i, j], x[x0 + j], expected[i]) for i in range(ld)])
        np.testing.assert_array_equal(out[o0:o0 + ld], expected)
        assert (out[:o0] == 7.0).all() and (out[o0 + ld:] == 7.0).all()


@njit(error_model="numpy")
def _arith(a, b, s, out):
    A, B = simd.load4(a, 0), simd.load4(b, 0)
    simd.store4(out, 0, simd.add4(A, B))
    simd.store4(out, 4, simd.sub4(A, B))
    simd.store4(out, 8, simd.mul4(A, B))
    simd.store4(out, 12, simd.scale4(A, s))
    simd.store4(out, 16, simd.div4(A, s))


def test_lane_arithmetic_rounds_as_ieee():
    rs = np.random.default_rng(2)
    a, b, s = rs.normal(size=4), rs.normal(size=4), 0.37
    out = np.empty(20)
    _arith(a, b, s, out)
    np.testing.assert_array_equal(out.reshape(5, 4), [a + b, a - b, a * b, a * s, a / s])


@njit(error_model="numpy")
def _transpose(W, ldW, n_cols, B, BPI, ldB, n_rows):
    for h in range(0, ldB, 4):
        for g in range(0, ldW, 4):
            simd.transpose_tile(W, h * ldW + g, ldW, n_cols - h, B, BPI, g * ldB + h, ldB, n_rows - g)


@pytest.mark.parametrize("n_rows, n_cols", [(1, 1), (5, 20), (20, 10), (10, 20), (7, 3)])
def test_transpose_tile_gives_w_transposed_and_its_negative(n_rows, n_cols):
    """B = W^T, B_PI = -W^T for padded column-major blocks; B's padding rows zero, nothing past B written, W's
    columns past its end (here: garbage) never read into B."""
    pad = lambda n: -(-n // 4) * 4  # noqa: E731
    ldW, ldB = pad(n_rows), pad(n_cols)
    rs = np.random.default_rng(n_rows * n_cols)
    Wm = np.zeros((n_rows, n_cols))
    Wm[:] = rs.normal(size=(n_rows, n_cols))
    W = np.full(ldW * ldB + 64, np.nan)  # past the block: NaN, which must not reach B
    W[:ldW * n_cols] = np.pad(Wm, ((0, ldW - n_rows), (0, 0))).T.ravel()
    B, BPI = np.full(ldB * n_rows + 8, 7.0), np.full(ldB * n_rows + 8, 7.0)
    _transpose(W, ldW, n_cols, B, BPI, ldB, n_rows)
    expected = np.pad(Wm.T, ((0, ldB - n_cols), (0, 0))).T.ravel()  # column-major, ldB rows
    np.testing.assert_array_equal(B[:ldB * n_rows], expected)
    np.testing.assert_array_equal(BPI[:ldB * n_rows], -expected)
    assert (B[ldB * n_rows:] == 7.0).all() and (BPI[ldB * n_rows:] == 7.0).all()


@njit(error_model="numpy")
def _matvec_t(M, m0, ld, cols, n_out, x1, x2, out1, out2):
    simd.matvec_t_pair(M, m0, ld, cols, n_out, x1, 4, out1, 8, x2, 0, out2, 4)


@pytest.mark.parametrize("rows, cols", [(1, 1), (5, 20), (20, 10), (10, 20), (7, 3), (20, 5)])
def test_matvec_t_pair_is_the_transpose_times_x(rows, cols):
    """out = block^T @ x for a padded column-major block at an offset, padding outputs 0, the block's
    neighbours (NaN here) never read."""
    pad = lambda n: -(-n // 4) * 4  # noqa: E731
    ld, n_out = pad(rows), pad(cols)
    rs = np.random.default_rng(rows * 100 + cols)
    W = rs.normal(size=(rows, cols))
    M = np.full(3 + ld * cols + 40, np.nan)
    M[3:3 + ld * cols] = np.pad(W, ((0, ld - rows), (0, 0))).T.ravel()
    x1, x2 = np.full(4 + ld, 0.5), np.full(ld, 0.5)  # padding lanes of the rates: finite, multiplied by 0
    x1[4:4 + rows], x2[:rows] = rs.uniform(size=rows), rs.uniform(size=rows)
    out1, out2 = np.full(8 + n_out + 4, 7.0), np.full(4 + n_out + 4, 7.0)
    _matvec_t(M, 3, ld, cols, n_out, x1, x2, out1, out2)
    np.testing.assert_allclose(out1[8:8 + cols], W.T @ x1[4:4 + rows], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(out2[4:4 + cols], W.T @ x2[:rows], rtol=1e-14, atol=1e-15)
    assert (out1[8 + cols:8 + n_out] == 0).all() and (out2[4 + cols:4 + n_out] == 0).all()
    assert (out1[:8] == 7).all() and (out1[8 + n_out:] == 7).all() and (out2[4 + n_out:] == 7).all()
