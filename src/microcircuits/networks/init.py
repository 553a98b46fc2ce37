"""Random initialisation in the reference's order (docs/models.md §3.1), so that a seed means the same.

Each function draws from the ``RandomState`` it is given, exactly as many numbers, in the same order and
with the same shapes as the reference (zero-width ranges and discarded blocks included).  The reference
uses the global NumPy state re-seeded per student; a fresh ``RandomState(seed)`` is the same stream.
"""

from __future__ import annotations

import numpy as np

from .connectivity import connectivity, forward_mask


def offsets(sizes) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def uniform(rs: np.random.RandomState, bounds, shape) -> np.ndarray:
    return rs.uniform(bounds[0], bounds[1], size=shape)


def realistic_connectivity(rs, layers, error_layers, w_range, b_range):
    """Connectome-scaled init (``init_viz_cort_conn``): every (post, pre) block of the full forward matrix is
    drawn from U(range * M[post, pre]), then all blocks of an error-feedback matrix from U(range * C); the
    forward matrix is made lower-, the feedback upper-triangular."""
    mask = forward_mask()
    off = offsets(layers)
    W = np.zeros((off[-1], off[-1]))
    for a in range(len(layers)):
        for b in range(len(layers)):
            W[off[a]:off[a + 1], off[b]:off[b + 1]] = uniform(
                rs, (w_range[0] * mask[a, b], w_range[1] * mask[a, b]), (layers[a], layers[b]))
    errs = list(error_layers[1:])
    conn = connectivity()
    eoff = offsets(errs)
    B = np.zeros((eoff[-1], eoff[-1]))
    for a in range(len(errs)):
        for b in range(len(errs)):
            B[eoff[a]:eoff[a + 1], eoff[b]:eoff[b + 1]] = uniform(
                rs, (b_range[0] * conn[a, b], b_range[1] * conn[a, b]), (errs[a], errs[b]))
    return np.tril(W), np.triu(B)


def nonhierarchical_forward(rs, h_range, layers, skip_range) -> np.ndarray:
    """Skip-mode forward matrix without connectome: hierarchical blocks U(h_range), all others below the
    block diagonal U(skip_range), later draws overwriting earlier skip draws; returned transposed."""
    off = offsets(layers)
    X = np.zeros((off[-1], off[-1]))
    for idx in range(len(layers) - 1):
        X[off[idx]:off[idx + 1], off[idx + 1]:off[idx + 2]] = uniform(rs, h_range, (layers[idx], layers[idx + 1]))
        skip = X[:off[idx + 1], off[idx + 2]:]
        X[:off[idx + 1], off[idx + 2]:] = uniform(rs, skip_range, skip.shape)
    return X.T


def nonhierarchical_feedback(rs, h_range, error_layers, skip_range) -> np.ndarray:
    """The same over ``error_layers`` (leading 0 included, as the reference does), not transposed."""
    off = offsets(error_layers)
    X = np.zeros((off[-1], off[-1]))
    for idx in range(len(error_layers) - 1):
        X[off[idx]:off[idx + 1], off[idx + 1]:off[idx + 2]] = uniform(
            rs, h_range, (error_layers[idx], error_layers[idx + 1]))
        skip = X[:off[idx + 1], off[idx + 2]:]
        X[:off[idx + 1], off[idx + 2]:] = uniform(rs, skip_range, skip.shape)
    return X


def slopes_and_offsets(rs, p, layers, n_areas: int, noisy: bool, slopes=None, offsets=None, spread=None):
    """Per-unit slope and offset arrays for areas 1..L (``get_slopes_and_offsets``).  With a spread
    (default: activation_slope_std / activation_offset_std, the students' representation units) and
    ``noisy``, one N(0, std) draw per unit, slopes for all areas first, then offsets.  ``slopes``/``offsets``
    replace the per-area means of the parameters (used for error units when given)."""
    slope_std, offset_std = spread if spread is not None else (p.activation_slope_std, p.activation_offset_std)
    if slopes is None:
        slopes = p.activation_slope
    if offsets is None:
        offsets = p.activation_offset
    slopes = list(slopes) if slopes is not None else [1.0] * n_areas
    offs = list(offsets) if offsets is not None else [0.0] * n_areas
    sizes = layers[1:]
    slope_units = [np.full(n, float(s)) for n, s in zip(sizes, slopes)]
    offset_units = [np.full(n, float(o)) for n, o in zip(sizes, offs)]
    if noisy and slope_std is not None:
        draws = [rs.normal(0.0, slope_std, size=n) for n in sizes]
        slope_units = [np.repeat(s, n) + d for s, n, d in zip(slopes, sizes, draws)]
    if noisy and offset_std is not None:
        draws = [rs.normal(0.0, offset_std, size=n) for n in sizes]
        offset_units = [np.repeat(o, n) + d for o, n, d in zip(offs, sizes, draws)]
    return slope_units, offset_units
