"""The error-neuron microcircuit (the paper's model; the reference's ``errormc_model``): representation units
(``uP``) and error units (``uI``) in every area, the output included; error units receive feedback from the
error units above (``B``, the reference's ``BII``) and, with ``varphi_transfer``, gate it by W_IP phi'.
Equations and order of operations: docs/models.md §2.3; kernel: kernels/errormc.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import block_diag

from ..kernels import errormc as kernel  # its step, and the record types it runs on
from ..kernels.activations import KIND
from ..networks.connectivity import learning_rate_matrix
from ..networks.init import (
    nonhierarchical_feedback,
    nonhierarchical_forward,
    offsets,
    realistic_connectivity,
    slopes_and_offsets,
    uniform,
)
from .base import (
    Circuit,
    ModelFamily,
    Sizes,
    activation_lists,
    circuit,
    conductances,
    initial_voltages,
    layered_forward,
    noise_list,
    own_seed,
    per_population,
    ranges,
)

if TYPE_CHECKING:
    from ..params import Params


def build(p: Params, s: Sizes) -> Circuit:
    layers, L = s.layers, len(s.layers) - 1
    errs = list(s.error_layers[1:])
    u0, uI0 = initial_voltages(p, s, errs)
    rs = np.random.RandomState(s.seed)
    rg = ranges(p, s.teacher)
    realistic = p.init_realistic_connectivity
    if realistic:
        W_full, _ = realistic_connectivity(rs, p.layers, p.error_units, p.init_WPP_range, p.init_BII_range)
    elif s.fw_mode == "layered":
        forward = layered_forward(rs, layers, rg["WPP"])
    else:
        W_full = nonhierarchical_forward(rs, rg["WPP"], p.layers, p.WPP_skip_connection_range)
    WIP = {}
    for a in range(1, L + 1):
        WIP[a] = uniform(rs, rg["WIP"], (errs[a - 1], layers[a]))
        if p.init_WIP_identity:
            WIP[a] += np.eye(errs[a - 1], layers[a])
    BPI = {}
    for a in range(1, L + 1):
        BPI[a] = uniform(rs, rg["BPI"], (layers[a], errs[a - 1]))
        if p.init_BPI_identity:
            BPI[a] += np.eye(layers[a], errs[a - 1])
    bii_layers = list(p.teacher_error_layers) if s.teacher and p.teacher_error_layers else None
    if realistic:
        _, B_full = realistic_connectivity(rs, p.layers, p.error_units, p.init_WPP_range, p.init_BII_range)
    elif s.bw_mode == "layered":
        sizes = bii_layers if bii_layers else list(layers)
        B_list = [uniform(rs, rg["BII"], (sizes[i], sizes[i + 1])) for i in range(1, L)]
    else:
        B_full = nonhierarchical_feedback(rs, rg["BII"], bii_layers or p.error_units, p.BII_skip_connection_range)
    kinds, slopes, offs = activation_lists(p, s.teacher, layers, rs)
    err_names = [p.error_activation] * L if isinstance(p.error_activation, str) else list(p.error_activation)
    # the reference never varies error units; error_activation_*_std (Fig. 5) draws their spread next
    err_slopes, err_offs = slopes_and_offsets(rs, p, (0,) + tuple(errs), L, noisy=not s.teacher,
                                              slopes=p.error_activation_slope, offsets=p.error_activation_offset,
                                              spread=(p.error_activation_slope_std, p.error_activation_offset_std))
    if s.fw_mode == "skip":
        off = offsets(layers)
        forward = {}
        for a in range(1, L + 1):
            for b in range(a):
                forward[(a, b)] = W_full[off[a]:off[a + 1], off[b]:off[b + 1]].copy()
        _check_only_blocks(W_full, off, forward)
        eta = np.array(p.eta_fw, dtype=float)
        H = eta if eta.ndim == 2 else learning_rate_matrix(p.eta_fw, p.eta_fw_conversion)
        eta_forward = {(a, b): float(H[a - 1, b]) for (a, b) in forward}
    else:
        H = None
        eta_forward = {(a, a - 1): float(p.eta_fw[a - 1]) for a in range(1, L + 1)}
    WT = 0.0 if s.teacher else p.WT_noise
    seed = own_seed(p, s)
    rng = np.random.RandomState(seed)
    # base constructor of the reference: B_PP noise draws for the layered forward matrices, then re-seeded
    if p.model_type == "BP" and s.fw_mode == "layered":
        noise_list(rng, WT, [forward[(a + 1, a)].T for a in range(1, L)])
    rng = np.random.RandomState(seed)
    if s.bw_mode == "skip":
        feedback, noise, triu = _skip_feedback(p, rng, WT, layers, errs, forward, B_full)
    else:
        feedback, noise, triu = _layered_feedback(p, rng, WT, layers, errs, forward, B_list)
    rate_target = p.rate_target if p.rate_target is not None else MODEL.rate_target
    c = circuit("errormc", p, s, tuple(errs), forward, eta_forward, feedback, noise, triu, WIP, BPI,
                per_population(p.eta_IP, L), per_population(p.eta_PI, L), u0, uI0, kinds, slopes, offs,
                [KIND[n] for n in err_names], err_slopes, err_offs, conductances(p, gnI=0.0), rate_target, rng)
    c.varphi_transfer = p.varphi_transfer
    c.dw_low_pass = p.dWPP_low_pass
    c.eta_fw_matrix = H
    return c


def _skip_feedback(p, rng, WT, layers, errs, forward, B_full):
    """One upper-triangular error-feedback matrix; in BP mode (P_IP W P_PI)^T + noise on the whole triangle."""
    L = len(layers) - 1
    eoff = offsets(errs)
    if p.model_type == "BP":
        P_IP = block_diag(*[np.eye(errs[a - 1], layers[a]) for a in range(1, L + 1)])
        P_PI = block_diag(*[np.eye(layers[a], errs[a - 1]) for a in range(1, L + 1)])
        off = offsets(layers)
        W_sub = np.zeros((off[-1], off[-1]))
        for (a, b), m in forward.items():
            W_sub[off[a]:off[a + 1], off[b]:off[b + 1]] = m
        W_sub = W_sub[layers[0]:, layers[0]:]
        noise_full = rng.uniform(-WT, WT, size=(eoff[-1], eoff[-1]))
        B_full = np.triu((P_IP @ W_sub @ P_PI).T + noise_full)
    else:
        noise_full = np.zeros((eoff[-1], eoff[-1]))
    feedback, noise, triu = {}, {}, {}
    for a in range(1, L + 1):
        for b in range(a, L + 1):
            sl = (slice(eoff[a - 1], eoff[a]), slice(eoff[b - 1], eoff[b]))
            feedback[(a, b)] = B_full[sl].copy()
            noise[(a, b)] = noise_full[sl].copy()
            triu[(a, b)] = a == b
    return feedback, noise, triu


def _layered_feedback(p, rng, WT, layers, errs, forward, B_list):
    """Feedback B_l from area l+1; in BP mode the noise list is redrawn for every area (docs/models.md §9, 20)."""
    L = len(layers) - 1
    B = list(B_list)
    last_noise = [np.zeros_like(m) for m in B]
    if p.model_type == "BP":
        for i in range(L - 1):
            eye_ip = np.eye(errs[i + 1], layers[i + 2])
            eye_pi = np.eye(layers[i + 1], errs[i])
            B[i] = (eye_ip @ forward[(i + 2, i + 1)] @ eye_pi).T
            last_noise = noise_list(rng, WT, B)
            B[i] = B[i] + last_noise[i]
    feedback, noise, triu = {}, {}, {}
    for i in range(L - 1):
        feedback[(i + 1, i + 2)] = B[i]
        noise[(i + 1, i + 2)] = last_noise[i]
        triu[(i + 1, i + 2)] = False
    return feedback, noise, triu


def _check_only_blocks(full, off, blocks):
    rest = full.copy()
    for (a, b) in blocks:
        rest[off[a]:off[a + 1], off[b]:off[b + 1]] = 0.0
    if np.any(rest != 0.0):
        raise AssertionError("forward weights outside the blocks below the diagonal")


def time_constants(g: dict, L: int):
    """Representation units relax with gl+gbas+gapi (the output too); hidden error units with gl+gden, output
    error units with gl+gntgt, with or without a target (docs/models.md §2.3)."""
    gl, gb, ga, gd, gt = g["gl"], g["gbas"], g["gapi"], g["gden"], g["gntgt"]
    tau_rep, tau_err, c_pred = np.zeros(L + 1), np.zeros(L + 1), np.zeros(L + 1)
    tau_rep[1:] = 1 / (gl + gb + ga)
    c_pred[1:] = gb / (gl + gb + ga)
    tau_err[1:] = 1 / (gl + gd)
    tau_err[L] = 1 / (gl + gt)
    return tau_rep, tau_err, 1 / (gl + gt), c_pred


def check(p: Params, err) -> None:
    L = p.n_areas
    if p.error_layers is not None and min(p.error_layers[1:]) < 1:
        raise err("error_layers", "errormc needs at least one error unit per area (entries 1..L >= 1)")
    eta = p.eta_fw
    if eta and isinstance(eta[0], tuple):
        if p.fw_connection_mode != "skip":
            raise err("eta_fw", f"a 2-D learning-rate matrix needs fw_connection_mode skip; expected a list of {L} numbers")
        if len(eta) != L or any(len(row) != L for row in eta):
            raise err("eta_fw", f"expected an {L} x {L} matrix (post area x pre area)")
    if p.init_realistic_connectivity:
        if p.fw_connection_mode != "skip" or p.bw_connection_mode != "skip":
            raise err("init_realistic_connectivity", "needs fw_connection_mode and bw_connection_mode 'skip'")
        if L > 7:
            raise err("layers", "realistic connectivity is defined for at most 7 non-input areas")


FUSED_SWEEP_MIN_WEIGHTS = 1 << 18  # forward weights (2 MB of float64) from which the fused sweep pays


def choose_kernel(net) -> str:
    """Layered networks with BP feedback and at least FUSED_SWEEP_MIN_WEIGHTS forward weights (Figs. 4-5) take
    the kernel with the fused forward sweep (kernels/layered.py); it pays when the weights stream from memory
    (10-1000-784: 10-30 % faster), not when they stay in cache (10-200-784: equal; 4-2-1: slower)."""
    fused = net.bp and net.fw_post.shape[0] == net.n_areas and net.W.size >= FUSED_SWEEP_MIN_WEIGHTS
    return kernel.LAYERED_KERNEL if fused else kernel.KERNEL


MODEL = ModelFamily(
    name="errormc", label="error MC", kernel=kernel.KERNEL, population="error units", rate_target=True,
    feedback_on_population=True, has_error_units=True, lateral_populations=lambda L: L, build=build, time_constants=time_constants,
    check=check, layered_only=False, choose_kernel=choose_kernel, feedback_key="BII", colour="#FF800E")
