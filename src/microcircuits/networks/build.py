"""Parameters -> the arrays a kernel needs, one builder per model, in the reference's random-number order.

A :class:`Circuit` holds a network in readable form (matrices keyed by area) together with its own random
generator (used later for shuffling); :func:`to_kernel` flattens it into the kernel records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import block_diag

from ..kernels.activations import KIND
from ..kernels.structs import (
    MODEL_ID,
    MSE_RATE,
    MSE_RATE_OF_VOLTAGE_TARGET,
    MSE_VOLTAGE,
    Network,
    State,
)
from ..params import Params
from .connectivity import learning_rate_matrix
from .init import (
    nonhierarchical_feedback,
    nonhierarchical_forward,
    offsets,
    realistic_connectivity,
    slopes_and_offsets,
    uniform,
)


@dataclass
class Circuit:
    """One network: weights keyed by area, initial potentials, activations, constants and its own RNG.

    ``forward[(post, pre)]`` and ``feedback[(recv, send)]`` are matrices (rows = receiving units);
    ``pops[l]`` is the size of the second population of area l (error units, interneurons, ann errors).
    """

    model: str
    seed: int
    layers: tuple
    pops: tuple
    forward: dict
    eta_forward: dict
    feedback: dict
    feedback_noise: dict
    feedback_triu: dict
    WIP: dict
    BPI: dict
    eta_IP: dict
    eta_PI: dict
    u0: list
    uI0: list
    act_kind: list
    der_kind: list
    slopes: list
    offsets: list
    err_kind: list
    err_slopes: list
    err_offsets: list
    g: dict
    bp: bool
    rate_target: bool
    mse_mode: int
    dw_use_activation: bool = False
    varphi_transfer: bool = False
    dw_low_pass: bool = False
    dt: float = 0.01
    tauLO: float = 100.0
    taur: float = 1.0
    rep_lookahead: list | None = None
    err_lookahead: list | None = None
    rng: np.random.RandomState | None = field(default=None, repr=False)
    eta_fw_matrix: np.ndarray | None = None

    @property
    def n_areas(self) -> int:
        return len(self.layers) - 1


def teacher_seed(p: Params, seeds) -> int:
    """The teacher's seed: randint(100000, 999999) after seeding with the first student seed."""
    return int(np.random.RandomState(seeds[0]).randint(100000, 999999))


def build(p: Params, seed: int, teacher: bool = False, mutable: dict | None = None) -> Circuit:
    """Build the student (or teacher) network of ``p`` for ``seed``.

    ``mutable`` carries the reference's in-place edits of the shared params dict across builds (a
    sacramento2018/ann/dPC build sets both connection modes to 'layered'); pass one dict per job.
    """
    state = mutable if mutable is not None else {}
    model = p.teacher_model if teacher else p.mc_model
    if model in ("sacramento2018", "ann", "dPC"):
        state["fw_connection_mode"] = state["bw_connection_mode"] = "layered"
    fw_mode = state.get("fw_connection_mode", p.fw_connection_mode)
    bw_mode = state.get("bw_connection_mode", p.bw_connection_mode)
    if teacher:
        layers = tuple(p.teacher_layers or p.layers)
        error_layers = tuple(p.teacher_error_layers or p.error_units) if model == "errormc" \
            else tuple(p.error_layers or (0,) + tuple(layers[1:]))
    else:
        layers = tuple(p.layers)
        error_layers = p.error_units
    builder = {"errormc": _errormc, "sacramento2018": _sacramento, "dPC": _dpc, "ann": _ann}[model]
    return builder(p, seed, teacher, layers, error_layers, fw_mode, bw_mode)


# ---------------------------------------------------------------------------------------------------------
# shared pieces

def _own_seed(p: Params, seed: int, teacher: bool) -> int:
    """Seed of a network's own generator (BP noise, then shuffling): its seed, unless constructor_seed."""
    return seed if (teacher or p.constructor_seed is None) else p.constructor_seed


def _zero_start(p: Params, teacher: bool) -> bool:
    return p.init_potentials == "zero" and not teacher


def _voltages(seed, layers, pop_sizes, zero=False):
    if zero:
        return [np.zeros(n) for n in layers[1:]], [np.zeros(n) for n in pop_sizes]
    rs = np.random.RandomState(seed)
    u0 = [rs.normal(0, 1, size=n) for n in layers[1:]]
    uI0 = [rs.normal(0, 1, size=n) for n in pop_sizes]
    return u0, uI0


def _ranges(p: Params, teacher: bool):
    t = "init_teacher_" if teacher else "init_"
    return {k: getattr(p, f"{t}{k}_range") for k in ("WPP", "WIP", "BPI", "BPP", "BII")}


def _layered_forward(rs, layers, w_range):
    return {(a, a - 1): uniform(rs, w_range, (layers[a], layers[a - 1])) for a in range(1, len(layers))}


def _activation_lists(p: Params, teacher: bool, layers, rs, force_linear=False):
    names = ["linear"] * (len(layers) - 1) if force_linear else list(p.activations())
    slopes, offs = slopes_and_offsets(rs, p, layers, len(layers) - 1, noisy=not teacher)
    return [KIND[n] for n in names], slopes, offs


def _derivative_kinds(p: Params, kinds: list) -> list:
    """The derivative used per area: the activation's own, unless activation_derivative says otherwise."""
    if p.activation_derivative is None:
        return list(kinds)
    return [KIND[n] for n in p.activations("activation_derivative")]


def _mse_mode(p: Params, rate_target: bool) -> int:
    if p.rec_rate_MSE is None:
        return MSE_RATE if rate_target else MSE_VOLTAGE
    if p.rec_rate_MSE:
        return MSE_RATE if rate_target else MSE_RATE_OF_VOLTAGE_TARGET
    return MSE_VOLTAGE


def _g(p: Params, **override):
    g = dict(gl=p.gl, gbas=p.gbas, gapi=p.gapi, gden=p.gden, gnI=p.gnI, gntgt=p.gntgt)
    g.update(override)
    return g


def _per_pop(values, n_pops, first=1):
    """eta_IP / eta_PI list -> {population index: rate} for populations first..first+n_pops-1."""
    values = list(values) + [0.0] * max(0, n_pops - len(values))
    return {first + i: float(values[i]) for i in range(n_pops)}


def _noise_list(rng, WT, matrices):
    return [rng.uniform(-WT, WT, size=m.shape) for m in matrices]


# ---------------------------------------------------------------------------------------------------------
# the four models

def _errormc(p, seed, teacher, layers, error_layers, fw_mode, bw_mode) -> Circuit:
    L = len(layers) - 1
    errs = list(error_layers[1:])
    u0, uI0 = _voltages(seed, layers, errs, zero=_zero_start(p, teacher))
    rs = np.random.RandomState(seed)
    rg = _ranges(p, teacher)
    realistic = p.init_realistic_connectivity
    if realistic:
        W_full, _ = realistic_connectivity(rs, p.layers, p.error_units, p.init_WPP_range, p.init_BII_range)
    elif fw_mode == "layered":
        forward = _layered_forward(rs, layers, rg["WPP"])
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
    bii_layers = list(p.teacher_error_layers) if teacher and p.teacher_error_layers else None
    if realistic:
        _, B_full = realistic_connectivity(rs, p.layers, p.error_units, p.init_WPP_range, p.init_BII_range)
    elif bw_mode == "layered":
        sizes = bii_layers if bii_layers else list(layers)
        B_list = [uniform(rs, rg["BII"], (sizes[i], sizes[i + 1])) for i in range(1, L)]
    else:
        B_full = nonhierarchical_feedback(rs, rg["BII"], bii_layers or p.error_units, p.BII_skip_connection_range)
    kinds, slopes, offs = _activation_lists(p, teacher, layers, rs)
    err_names = [p.error_activation] * L if isinstance(p.error_activation, str) else list(p.error_activation)
    # the reference never varies error units; error_activation_*_std (Fig. 5) draws their spread next
    err_slopes, err_offs = slopes_and_offsets(rs, p, (0,) + tuple(errs), L, noisy=not teacher,
                                              slopes=p.error_activation_slope, offsets=p.error_activation_offset,
                                              spread=(p.error_activation_slope_std, p.error_activation_offset_std))
    if fw_mode == "skip":
        off = offsets(layers)
        forward = {}
        for a in range(1, L + 1):
            for b in range(a):
                forward[(a, b)] = W_full[off[a]:off[a + 1], off[b]:off[b + 1]].copy()
        _check_only_blocks(W_full, off, forward, "forward")
    # learning rates per block
    if fw_mode == "skip":
        eta = np.array(p.eta_fw, dtype=float)
        H = eta if eta.ndim == 2 else learning_rate_matrix(p.eta_fw, p.eta_fw_conversion)
        eta_forward = {(a, b): float(H[a - 1, b]) for (a, b) in forward}
    else:
        H = None
        eta_forward = {(a, a - 1): float(p.eta_fw[a - 1]) for a in range(1, L + 1)}
    WT = 0.0 if teacher else p.WT_noise
    own_seed = _own_seed(p, seed, teacher)
    rng = np.random.RandomState(own_seed)
    # base constructor of the reference: B_PP noise draws for the layered forward matrices, then re-seeded
    if p.model_type == "BP" and fw_mode == "layered":
        _noise_list(rng, WT, [forward[(a + 1, a)].T for a in range(1, L)])
    rng = np.random.RandomState(own_seed)
    eoff = offsets(errs)
    feedback, noise, triu = {}, {}, {}
    if bw_mode == "skip":
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
        for a in range(1, L + 1):
            for b in range(a, L + 1):
                sl = (slice(eoff[a - 1], eoff[a]), slice(eoff[b - 1], eoff[b]))
                feedback[(a, b)] = B_full[sl].copy()
                noise[(a, b)] = noise_full[sl].copy()
                triu[(a, b)] = a == b
    else:
        B = list(B_list)
        last_noise = [np.zeros_like(m) for m in B]
        if p.model_type == "BP":
            for i in range(L - 1):
                eye_ip = np.eye(errs[i + 1], layers[i + 2])
                eye_pi = np.eye(layers[i + 1], errs[i])
                B[i] = (eye_ip @ forward[(i + 2, i + 1)] @ eye_pi).T
                last_noise = _noise_list(rng, WT, B)
                B[i] = B[i] + last_noise[i]
        for i in range(L - 1):
            feedback[(i + 1, i + 2)] = B[i]
            noise[(i + 1, i + 2)] = last_noise[i]
            triu[(i + 1, i + 2)] = False
    rate_target = p.rate_target if p.rate_target is not None else True
    c = _circuit("errormc", seed, p, layers, tuple(errs), forward, eta_forward, feedback, noise, triu, WIP, BPI,
                 _per_pop(p.eta_IP, L), _per_pop(p.eta_PI, L), u0, uI0, kinds, slopes, offs,
                 [KIND[n] for n in err_names], err_slopes, err_offs, _g(p, gnI=0.0), rate_target, rng, teacher)
    c.varphi_transfer = p.varphi_transfer
    c.dw_low_pass = p.dWPP_low_pass
    c.eta_fw_matrix = H
    return c


def _sacramento(p, seed, teacher, layers, error_layers, fw_mode, bw_mode) -> Circuit:
    L = len(layers) - 1
    u0, uI0 = _voltages(seed, layers, layers[2:], zero=_zero_start(p, teacher))
    rs = np.random.RandomState(seed)
    rg = _ranges(p, teacher)
    forward = _layered_forward(rs, layers, rg["WPP"])
    WIP = {k: uniform(rs, rg["WIP"], (layers[k + 1], layers[k])) for k in range(1, L)}
    if p.model_type != "BP":
        B_fa = {(k, k + 1): uniform(rs, rg["BPP"], (layers[k], layers[k + 1])) for k in range(1, L)}
    BPI = {k: uniform(rs, rg["BPI"], (layers[k], layers[k + 1])) for k in range(1, L)}
    kinds, slopes, offs = _activation_lists(p, teacher, layers, rs)
    rng = np.random.RandomState(_own_seed(p, seed, teacher))
    WT = 0.0 if teacher else p.WT_noise
    feedback, noise = _bp_feedback(rng, WT, forward, L) if p.model_type == "BP" else (B_fa, _zeros_like(B_fa))
    g = _g(p)
    if p.init_in_SPS or teacher:
        gl, gb, ga, gd = g["gl"], g["gbas"], g["gapi"], g["gden"]
        for k in range(1, L):
            BPI[k] = -feedback[(k, k + 1)].copy()
        for k in range(1, L - 1):
            WIP[k] = gb * (gl + gd) / (gd * (gl + gb + ga)) * forward[(k + 1, k)].copy()
        if L >= 2:
            WIP[L - 1] = gb * (gl + gd) / (gd * (gl + gb)) * forward[(L, L - 1)].copy()
    rate_target = p.rate_target if p.rate_target is not None else False
    pops = tuple(layers[2:]) + (0,)
    c = _circuit("sacramento2018", seed, p, layers, pops, forward, _layered_eta(p, L), feedback, noise,
                 {k: False for k in feedback}, WIP, BPI, _per_pop(p.eta_IP, L - 1), _per_pop(p.eta_PI, L - 1),
                 u0, uI0, kinds, slopes, offs, kinds[1:] + [0], slopes[1:] + [np.zeros(0)],
                 offs[1:] + [np.zeros(0)], g, rate_target, rng, teacher)
    c.dw_use_activation = p.dWPP_use_activation
    return c


def _dpc(p, seed, teacher, layers, error_layers, fw_mode, bw_mode) -> Circuit:
    L = len(layers) - 1
    u0, uI0 = _voltages(seed, layers, layers[2:], zero=_zero_start(p, teacher))
    rs = np.random.RandomState(seed)
    rg = _ranges(p, teacher)
    forward = _layered_forward(rs, layers, rg["WPP"])
    WIP = {k: uniform(rs, rg["WIP"], (layers[k + 1], layers[k])) for k in range(1, L)}
    BPI = {k: uniform(rs, rg["BPI"], (layers[k], layers[k + 1])) for k in range(1, L)}
    force_linear = not teacher and p.activation != "linear"
    kinds, slopes, offs = _activation_lists(p, teacher, layers, rs, force_linear=force_linear)
    rng = np.random.RandomState(_own_seed(p, seed, teacher))
    WT = 0.0 if teacher else p.WT_noise
    feedback, noise = _bp_feedback(rng, WT, forward, L)
    BPI = {k: BPI[k] @ WIP[k] for k in range(1, L)}
    g = _g(p, gnI=0.0)
    if p.init_in_SPS or teacher:
        gl, gb, ga = g["gl"], g["gbas"], g["gapi"]
        for k in range(1, L - 1):
            BPI[k] = -gb / (gl + gb + ga) * feedback[(k, k + 1)].copy() @ forward[(k + 1, k)].copy()
        if L >= 2:
            BPI[L - 1] = -gb / (gl + gb) * feedback[(L - 1, L)].copy() @ forward[(L, L - 1)].copy()
    rate_target = p.rate_target if p.rate_target is not None else False
    c = _circuit("dPC", seed, p, layers, tuple(layers[1:]), forward, _layered_eta(p, L), feedback, noise,
                 {k: False for k in feedback}, WIP, BPI, {}, _per_pop(p.eta_PI, L - 1), u0, uI0, kinds, slopes,
                 offs, kinds, slopes, offs, g, rate_target, rng, teacher)
    c.dw_use_activation = p.dWPP_use_activation
    return c


def _ann(p, seed, teacher, layers, error_layers, fw_mode, bw_mode) -> Circuit:
    L = len(layers) - 1
    u0, uI0 = _voltages(seed, layers, layers[1:], zero=_zero_start(p, teacher))
    rs = np.random.RandomState(seed)
    rg = _ranges(p, teacher)
    forward = _layered_forward(rs, layers, rg["WPP"])
    for a in range(1, L + 1):  # W_IP placeholders, drawn and unused
        uniform(rs, rg["WIP"], (layers[a], layers[a]))
    if p.model_type != "BP":
        B_fa = {(k, k + 1): uniform(rs, rg["BPP"], (layers[k], layers[k + 1])) for k in range(1, L)}
    for a in range(1, L + 1):  # B_PI placeholders
        uniform(rs, rg["BPI"], (layers[a], layers[a]))
    kinds, slopes, offs = _activation_lists(p, teacher, layers, rs)
    rng = np.random.RandomState(_own_seed(p, seed, teacher))
    if p.model_type == "BP":
        feedback, noise = _bp_feedback(rng, 0.0, forward, L)
    else:
        feedback, noise = B_fa, _zeros_like(B_fa)
    rng = np.random.RandomState(_own_seed(p, seed, teacher))
    rate_target = p.rate_target if p.rate_target is not None else True
    c = _circuit("ann", seed, p, layers, tuple(layers[1:]), forward, _layered_eta(p, L), feedback, noise,
                 {k: False for k in feedback}, {}, {}, {}, {}, u0, uI0, kinds, slopes, offs, kinds, slopes, offs,
                 _g(p, gden=0.0, gapi=0.0, gnI=0.0, gntgt=0.0), rate_target, rng, teacher)
    return c


# ---------------------------------------------------------------------------------------------------------

def _layered_eta(p, L):
    return {(a, a - 1): float(p.eta_fw[a - 1]) for a in range(1, L + 1)}


def _bp_feedback(rng, WT, forward, L):
    """B_k = W_{k+1}^T + U(-WT, WT), the noise drawn for all k first (base_model constructor)."""
    transposes = [forward[(k + 1, k)].T for k in range(1, L)]
    noise_list = _noise_list(rng, WT, transposes)
    feedback = {(k, k + 1): transposes[k - 1] + noise_list[k - 1] for k in range(1, L)}
    noise = {(k, k + 1): noise_list[k - 1] for k in range(1, L)}
    return feedback, noise


def _zeros_like(d):
    return {k: np.zeros_like(v) for k, v in d.items()}


def _check_only_blocks(full, off, blocks, what):
    rest = full.copy()
    for (a, b) in blocks:
        rest[off[a]:off[a + 1], off[b]:off[b + 1]] = 0.0
    if np.any(rest != 0.0):
        raise AssertionError(f"{what} weights outside the blocks below the diagonal")


def _circuit(model, seed, p, layers, pops, forward, eta_forward, feedback, noise, triu, WIP, BPI, eta_IP, eta_PI,
             u0, uI0, kinds, slopes, offs, err_kinds, err_slopes, err_offs, g, rate_target, rng, teacher):
    return Circuit(
        model=model, seed=int(seed), layers=tuple(layers), pops=tuple(pops), forward=forward,
        eta_forward=eta_forward, feedback=feedback, feedback_noise=noise, feedback_triu=triu, WIP=WIP, BPI=BPI,
        eta_IP=eta_IP, eta_PI=eta_PI, u0=u0, uI0=uI0, act_kind=kinds,
        der_kind=_derivative_kinds(p, kinds) if not teacher else list(kinds), slopes=slopes, offsets=offs,
        err_kind=err_kinds, err_slopes=err_slopes, err_offsets=err_offs, g=g, bp=p.model_type == "BP",
        rate_target=rate_target, mse_mode=_mse_mode(p, rate_target), dt=p.dt, tauLO=p.tauLO,
        taur=1.0 if (teacher or p.taur is None) else float(p.taur), rng=rng,
        rep_lookahead=None if teacher or p.rep_lookahead is None else list(p.rep_lookahead),
        err_lookahead=None if teacher or p.error_lookahead is None else list(p.error_lookahead))


# ---------------------------------------------------------------------------------------------------------

def time_constants(c: Circuit):
    """Effective membrane time constants per area / population and the no-target output value."""
    g = c.g
    gl, gb, ga, gd, gnI, gt = g["gl"], g["gbas"], g["gapi"], g["gden"], g["gnI"], g["gntgt"]
    L = c.n_areas
    tau_rep = np.zeros(L + 1)
    tau_err = np.zeros(L + 1)
    c_pred = np.zeros(L + 1)
    tau_rep[1:] = 1 / (gl + gb + ga)
    c_pred[1:] = gb / (gl + gb + ga)
    if c.model == "errormc":
        tau_err[1:] = 1 / (gl + gd)
        tau_err[L] = 1 / (gl + gt)
        notgt = 1 / (gl + gt)
    else:
        tau_rep[L] = 1 / (gl + gb + gt)
        tau_err[1:] = 1 / (gl + gd + gnI)
        c_pred[L] = gb / (gl + gb)
        notgt = 1 / (gl + gb)
    return tau_rep, tau_err, notgt, c_pred


def to_kernel(c: Circuit, steps_per_sample: int = 1):
    """Flatten a circuit into the kernel records (Network, State)."""
    L = c.n_areas
    layers = np.array(c.layers, dtype=np.int64)
    area_off = offsets(layers)
    rep_off = np.zeros(L + 2, dtype=np.int64)
    rep_off[1:] = area_off[1:] - layers[0]
    pop_sizes = np.zeros(L + 1, dtype=np.int64)
    pop_sizes[1:] = c.pops
    pop_off = np.zeros(L + 2, dtype=np.int64)
    pop_off[1:] = np.cumsum(pop_sizes)
    npair = np.zeros(L + 1, dtype=np.int64)
    npair[1:] = layers[1:] if c.model != "errormc" else np.minimum(layers[1:], pop_sizes[1:])

    # forward blocks that are zero and never learn are left out: they add exact zeros to every sum
    fw_keys = [ab for ab in sorted(c.forward)
               if ab[1] == ab[0] - 1 or c.eta_forward[ab] != 0.0 or np.any(c.forward[ab] != 0.0)]
    fw = _pack(c.forward, fw_keys)
    fw_hier = np.full(L + 1, -1, dtype=np.int64)
    for k, (a, b) in enumerate(fw_keys):
        if b == a - 1:
            fw_hier[a] = k
    # feedback blocks are stored transposed (sender-major), like the forward blocks they mirror
    bw_keys = sorted(c.feedback)
    bw = _pack({k: v.T for k, v in c.feedback.items()}, bw_keys)
    bw["rows"], bw["cols"] = bw["cols"], bw["rows"]
    bw_noise = _pack({k: v.T for k, v in c.feedback_noise.items()}, bw_keys)
    fw_index = {ab: k for k, ab in enumerate(fw_keys)}
    bw_src = np.array([fw_index.get((b, a), -1) for (a, b) in bw_keys], dtype=np.int64)
    eta_fw = np.array([c.eta_forward[k] for k in fw_keys], dtype=float)
    # a BP rebuild can be skipped only for blocks whose source never changes and whose value already is
    # what a rebuild gives (not so for layered errormc, whose constructor used an earlier noise draw)
    bw_live = np.array([s >= 0 and (eta_fw[s] != 0.0 or c.dw_low_pass or not _is_rebuilt(c, ab))
                        for s, ab in zip(bw_src, bw_keys)], dtype=np.bool_)
    for k, (a, b) in enumerate(bw_keys):
        if bw["rows"][k] != pop_or_area(c, a) or bw["cols"][k] != pop_or_area(c, b):
            raise ValueError(f"{c.model}: feedback block ({a}, {b}) has shape ({bw['rows'][k]}, {bw['cols'][k]}), "
                             "which does not fit the populations it connects (error_layers != layers in layered FA?)")
    wip = _pack(c.WIP, range(1, L + 1))
    bpi = _pack(c.BPI, range(1, L + 1))
    tau_rep, tau_err, notgt, c_pred = time_constants(c)
    kinds = np.array([0] + list(c.act_kind), dtype=np.int64)
    der_kinds = np.array([0] + list(c.der_kind), dtype=np.int64)
    err_kind = np.zeros(L + 1, dtype=np.int64)
    err_kind[1:len(c.err_kind) + 1] = c.err_kind[:L]
    rep_look = np.ones(L + 1, dtype=np.bool_) if c.rep_lookahead is None else np.array([True] + list(c.rep_lookahead))
    err_look = np.ones(L + 1, dtype=np.bool_) if c.err_lookahead is None else np.array([True] + list(c.err_lookahead))
    eta_ip = np.zeros(L + 1)
    eta_pi = np.zeros(L + 1)
    for k, v in c.eta_IP.items():
        eta_ip[k] = v
    for k, v in c.eta_PI.items():
        eta_pi[k] = v
    cat = lambda xs: np.concatenate([np.asarray(x, dtype=float) for x in xs]) if len(xs) else np.zeros(0)  # noqa: E731
    err_slope = cat([c.err_slopes[a][: c.pops[a]] for a in range(L)]) if c.model != "dPC" else cat(c.slopes)
    err_offset = cat([c.err_offsets[a][: c.pops[a]] for a in range(L)]) if c.model != "dPC" else cat(c.offsets)
    rep_plain = np.array([False] + [bool(np.all(np.asarray(s) == 1.0) and np.all(np.asarray(o) == 0.0))
                                    for s, o in zip(c.slopes, c.offsets)], dtype=np.bool_)
    g = c.g
    net = Network(
        model=np.int64(MODEL_ID[c.model]), n_areas=np.int64(L), area_off=area_off, rep_off=rep_off,
        pop_off=pop_off, npair=npair,
        fw_post=np.array([a for a, _ in fw_keys], dtype=np.int64), fw_pre=np.array([b for _, b in fw_keys], dtype=np.int64),
        fw_rows=fw["rows"], fw_cols=fw["cols"], fw_ptr=fw["ptr"], fw_hier=fw_hier, W=fw["data"],
        dW=np.zeros_like(fw["data"]), dW_lp=np.zeros_like(fw["data"]) if c.dw_low_pass else np.zeros(0),
        eta_fw=eta_fw,
        bw_recv=np.array([a for a, _ in bw_keys], dtype=np.int64), bw_send=np.array([b for _, b in bw_keys], dtype=np.int64),
        bw_rows=bw["rows"], bw_cols=bw["cols"], bw_ptr=bw["ptr"], bw_src=bw_src,
        bw_triu=np.array([c.feedback_triu[k] for k in bw_keys], dtype=np.bool_), bw_live=bw_live, B=bw["data"], B_noise=bw_noise["data"],
        WIP=wip["data"], WIP_ptr=_per_area(wip["ptr"], L), WIP_rows=_per_area(wip["rows"], L),
        WIP_cols=_per_area(wip["cols"], L), BPI=bpi["data"], BPI_ptr=_per_area(bpi["ptr"], L),
        BPI_rows=_per_area(bpi["rows"], L), BPI_cols=_per_area(bpi["cols"], L), eta_IP=eta_ip, eta_PI=eta_pi,
        act_kind=kinds, der_kind=der_kinds, slope=cat(c.slopes), offset=cat(c.offsets), rep_plain=rep_plain,
        err_kind=err_kind, err_slope=err_slope,
        err_offset=err_offset, rep_lookahead=rep_look, err_lookahead=err_look,
        tau_rep=tau_rep, tau_err=tau_err, tau_out_notgt=float(notgt), c_pred=c_pred,
        dt=float(c.dt), gl=float(g["gl"]), gbas=float(g["gbas"]), gapi=float(g["gapi"]),
        gden=float(g["gden"]), gnI=float(g["gnI"]), gntgt=float(g["gntgt"]), taur=float(c.taur),
        tauLO=float(c.tauLO), bp=bool(c.bp), dw_use_activation=bool(c.dw_use_activation),
        varphi_transfer=bool(c.varphi_transfer), dw_low_pass=bool(c.dw_low_pass), mse_mode=np.int64(c.mse_mode),
    )
    return net, initial_state(c, net)


def _is_rebuilt(c: Circuit, key) -> bool:
    """Whether feedback block ``key`` (recv, send) already equals its BP rebuild: paired W^T + noise."""
    if not c.bp:
        return True
    a, b = key
    W = c.forward.get((b, a))
    B, noise = c.feedback[key], c.feedback_noise[key]
    expect = np.zeros_like(B)
    if W is not None:
        pa = min(B.shape[0], W.shape[1]) if c.model == "errormc" else B.shape[0]
        pb = min(B.shape[1], W.shape[0]) if c.model == "errormc" else B.shape[1]
        expect[:pa, :pb] = W.T[:pa, :pb]
    return bool(np.array_equal(B, expect + noise))


def pop_or_area(c: Circuit, a: int) -> int:
    """Size of what feedback connects in area a: error units (errormc) or pyramidal units (the others)."""
    return c.pops[a - 1] if c.model == "errormc" else c.layers[a]


def _per_area(values, L):
    out = np.zeros(L + 2, dtype=np.int64)
    out[1:1 + len(values)] = values[:L + 1]
    return out


def _pack(mats: dict, keys) -> dict:
    """Row-major blocks in one flat buffer: data, ptr (one more than blocks), rows, cols."""
    keys = list(keys)
    arrays = [np.ascontiguousarray(mats[k], dtype=float) if k in mats else np.zeros((0, 0)) for k in keys]
    ptr = offsets([a.size for a in arrays])
    data = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    return dict(data=data.astype(float), ptr=ptr,
                rows=np.array([a.shape[0] for a in arrays], dtype=np.int64),
                cols=np.array([a.shape[1] for a in arrays], dtype=np.int64))


def initial_state(c: Circuit, net: Network) -> State:
    """Potentials from the init, u_prev = u (so u_breve = u), rates phi(u), dendrites zero."""
    from ..kernels.activations import (
        phi,  # the jitted scalar function works on Python floats too
    )
    n_in = c.layers[0]
    u = np.concatenate(c.u0) if c.u0 else np.zeros(0)
    uI = np.concatenate(c.uI0) if c.uI0 else np.zeros(0)
    nr, ne = u.size, uI.size
    rates = np.zeros(n_in + nr)
    for a in range(1, c.n_areas + 1):
        for i in range(net.rep_off[a], net.rep_off[a + 1]):
            rates[n_in + i] = phi(net.act_kind[a], u[i], net.slope[i], net.offset[i])
    rI = np.zeros(ne)
    if c.model == "dPC":
        rI = rates[n_in:].copy()
    elif c.model != "ann":
        for a in range(1, c.n_areas + 1):
            for i in range(net.pop_off[a], net.pop_off[a + 1]):
                rI[i] = phi(net.err_kind[a], uI[i], net.err_slope[i], net.err_offset[i])
    z = lambda n: np.zeros(n)  # noqa: E731
    return State(rates=rates, rates_old=rates.copy(), u=u.copy(), u_prev=u.copy(), u_breve=u.copy(), d=z(nr),
                 du=z(nr), uI=uI.copy(), uI_prev=uI.copy(), uI_breve=uI.copy(), rI=rI, rI_old=rI.copy(),
                 duI=z(ne), vbas=z(nr), vbas_old=z(nr), vapi=z(nr), vapi_old=z(nr), vden=z(ne), vden_old=z(ne),
                 fb=z(ne), tmp=z(nr),
                 pending=np.zeros(1, dtype=np.int64), post_pending=z(nr), pre_pending=z(n_in + nr))


# ---------------------------------------------------------------------------------------------------------
# the cart-pole teacher of the reference (init_MC, input_signal == 'cartpole')

CARTPOLE_GAINS = (1.0, 4.2, 62.8, 16.3)  # F = 1 x + 4.2 x_dot + 62.8 theta + 16.3 theta_dot


def cartpole_teacher(p: Params, seed: int):
    """The hard-coded teacher of the cart-pole task: a linear errormc 4-4-1 whose first weights are
    I (gbas/(gbas+gapi+gl))^-2 (undoing the two-area attenuation) and whose output weights are the
    controller gains over ``target_rescale_factor``, so that its output rate times that factor is the force
    F = 1 x + 4.2 x_dot + 62.8 theta + 16.3 theta_dot.

    Returns the circuit and the NumPy stream its initialisation leaves behind: in the reference that global
    stream (seeded with the teacher seed) then draws the cart-pole's reset states.
    """
    layers, errs = (4, 4, 1), [4, 1]
    u0, uI0 = _voltages(seed, layers, errs)
    rs = np.random.RandomState(seed)
    rg = _ranges(p, teacher=True)
    _layered_forward(rs, layers, rg["WPP"])  # drawn, then replaced below
    WIP, BPI = {}, {}
    for a in (1, 2):
        WIP[a] = uniform(rs, rg["WIP"], (errs[a - 1], layers[a])) + (np.eye(errs[a - 1], layers[a]) if p.init_WIP_identity else 0.0)
    for a in (1, 2):
        BPI[a] = uniform(rs, rg["BPI"], (layers[a], errs[a - 1])) + (np.eye(layers[a], errs[a - 1]) if p.init_BPI_identity else 0.0)
    uniform(rs, rg["BII"], (layers[1], layers[2]))  # feedback init, overwritten by BP
    gain = (p.gbas / (p.gbas + p.gapi + p.gl)) ** -(len(layers) - 1)
    forward = {(1, 0): np.eye(layers[0]) * gain,
               (2, 1): np.array(CARTPOLE_GAINS).reshape(layers[2], layers[1]) / p.target_rescale_factor}
    feedback = {(1, 2): (np.eye(1, 1) @ forward[(2, 1)] @ np.eye(4, 4)).T + 0.0}  # BP, no noise for a teacher
    noise = {(1, 2): np.zeros((4, 1))}
    ones = [np.ones(n) for n in layers[1:]]
    zeros = [np.zeros(n) for n in layers[1:]]
    c = _circuit("errormc", seed, p, layers, tuple(errs), forward, _layered_eta(p, 2), feedback, noise,
                 {(1, 2): False}, WIP, BPI, _per_pop(p.eta_IP, 2), _per_pop(p.eta_PI, 2), u0, uI0,
                 [KIND["linear"]] * 2, ones, zeros, [KIND["linear"]] * 2, ones, zeros, _g(p, gnI=0.0),
                 True, np.random.RandomState(seed), teacher=True)
    c.varphi_transfer = p.varphi_transfer
    c.bp = True
    return c, rs
