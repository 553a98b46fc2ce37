"""Flat block buffers of the kernels -> full connectivity matrices over units, for outputs and analysis.

Full matrices are indexed by units: ``unit`` runs over all areas with the input first, ``rep_unit`` over
the representation units of areas 1..L, ``pop_unit`` over the second population (error units of errormc,
interneurons of sacramento2018, errors of the ann, one-step-delayed rates of dPC).
"""

from __future__ import annotations

import numpy as np

from ..kernels.structs import Network


def forward_full(net: Network, flat: np.ndarray) -> np.ndarray:
    """(..., rep_unit, unit): W[post, pre] with pre including the input area."""
    flat = np.asarray(flat)
    out = np.zeros(flat.shape[:-1] + (int(net.rep_off[-1]), int(net.area_off[-1])))
    for k in range(len(net.fw_post)):
        r0, c0 = net.rep_off[net.fw_post[k]], net.area_off[net.fw_pre[k]]
        rows, cols, p = net.fw_rows[k], net.fw_cols[k], net.fw_ptr[k]
        out[..., r0:r0 + rows, c0:c0 + cols] = flat[..., p:p + rows * cols].reshape(flat.shape[:-1] + (rows, cols))
    return out


def feedback_offsets(net: Network) -> np.ndarray:
    """errormc feedback connects error units; the others connect representation units."""
    return net.pop_off if net.fb_on_pop else net.rep_off


def feedback_full(net: Network, flat: np.ndarray) -> np.ndarray:
    """(..., receiving unit, sending unit); blocks are stored sender-major in the kernel."""
    flat = np.asarray(flat)
    off = feedback_offsets(net)
    n = int(off[-1])
    out = np.zeros(flat.shape[:-1] + (n, n))
    for k in range(len(net.bw_recv)):
        r0, c0 = off[net.bw_recv[k]], off[net.bw_send[k]]
        rows, cols, p = net.bw_rows[k], net.bw_cols[k], net.bw_ptr[k]
        block = flat[..., p:p + rows * cols].reshape(flat.shape[:-1] + (cols, rows))
        out[..., r0:r0 + rows, c0:c0 + cols] = np.swapaxes(block, -1, -2)
    return out


def lateral_full(net: Network, flat: np.ndarray, which: str) -> np.ndarray:
    """W_IP as (..., pop_unit, rep_unit) or B_PI as (..., rep_unit, pop_unit), block-diagonal per area."""
    flat = np.asarray(flat)
    ptr, rows, cols = (net.WIP_ptr, net.WIP_rows, net.WIP_cols) if which == "WIP" else (net.BPI_ptr, net.BPI_rows, net.BPI_cols)
    pop_n = int(net.pop_off[-1])
    rep_n = int(net.rep_off[-1])
    shape = (pop_n, rep_n) if which == "WIP" else (rep_n, pop_n)
    out = np.zeros(flat.shape[:-1] + shape)
    for a in range(1, int(net.n_areas) + 1):
        nr, nc, p = rows[a], cols[a], ptr[a]
        if nr * nc == 0:
            continue
        r0, c0 = (net.pop_off[a], net.rep_off[a]) if which == "WIP" else (net.rep_off[a], net.pop_off[a])
        out[..., r0:r0 + nr, c0:c0 + nc] = flat[..., p:p + nr * nc].reshape(flat.shape[:-1] + (nr, nc))
    return out


def area_of_units(offsets) -> np.ndarray:
    """Area label (1..L, or 0..L with the input) of every unit, from an offset array."""
    offsets = np.asarray(offsets)
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
