"""Phaseless Alignment Learning (PAL; Max et al., arXiv 2212.10249): the dendritic microcircuit whose
feedback weights B learn from apical noise, as PAL's own runner builds it from its parameter files
(``model_type`` BP, FA or PAL; their keys: params_pal.py).  Equations: docs/pal.md; kernel:
kernels/pal.py; tasks: tasks/pal.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..kernels import pal as kernel
from ..kernels.activations import KIND
from .base import teacher_seed

if TYPE_CHECKING:
    from ..params_pal import PalParams

NOISE_TYPES = {"OU": kernel.OU, "hold_white_noise": kernel.HOLD_WHITE}
NOISE_MODES = {"const": kernel.CONST, "uP": kernel.BY_U, "uP_breve": kernel.BY_U_BREVE, "vapi": kernel.BY_VAPI}


# ---------------------------------------------------------------------------------------------------------
# the network

@dataclass
class PalNet:
    """One network in PAL's flat layout (kernels/pal.py), with the random generator PAL's runner gives it
    (shuffling, then the noise), and the kernel's padded copies (``lay``, ``km``, ``kv``, ``kvi``), which only
    the kernel reads: between calls the network's own arrays hold the state."""

    seed: int
    model_type: str
    sizes: np.ndarray
    poff: np.ndarray
    ioff: np.ndarray
    woff: np.ndarray
    boff: np.ndarray
    ipoff: np.ndarray
    kinds: np.ndarray
    c: np.ndarray
    f: np.ndarray
    eta_fw: np.ndarray
    eta_bw: np.ndarray
    eta_IP: np.ndarray
    eta_PI: np.ndarray
    alpha: np.ndarray
    sigma: np.ndarray
    W: np.ndarray
    B: np.ndarray
    BPI: np.ndarray
    WIP: np.ndarray
    dW: np.ndarray
    dWLO: np.ndarray
    st: np.ndarray
    sti: np.ndarray
    r0: np.ndarray
    r0_old: np.ndarray
    xi: np.ndarray
    vapi_noise: np.ndarray
    rng: np.random.RandomState = field(repr=False)
    lay: np.ndarray = field(repr=False, default=None)
    km: np.ndarray = field(repr=False, default=None)
    kv: np.ndarray = field(repr=False, default=None)
    kvi: np.ndarray = field(repr=False, default=None)

    def __post_init__(self):
        self.lay = kernel.layout(self.sizes)
        self.km, self.kv, self.kvi = kernel.work_arrays(self.sizes)

    @property
    def n_areas(self) -> int:
        return len(self.sizes) - 1

    def blocks(self, which: str) -> list[np.ndarray]:
        """The weight blocks as PAL's lists of matrices (copies): 'W', 'B', 'BPI' or 'WIP'."""
        n, N = self.sizes, self.n_areas
        if which == "W":
            return [self.W[self.woff[a]:self.woff[a + 1]].reshape(n[a + 1], n[a]).copy() for a in range(N)]
        flat, off = getattr(self, which), (self.ipoff if which == "WIP" else self.boff)
        shape = (lambda k: (n[k + 2], n[k + 1])) if which == "WIP" else (lambda k: (n[k + 1], n[k + 2]))
        return [flat[off[k]:off[k + 1]].reshape(shape(k)).copy() for k in range(N - 1)]

    def voltages(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        u, uI = self.st[0], self.sti[0]
        return ([u[self.poff[a]:self.poff[a + 1]].copy() for a in range(self.n_areas)],
                [uI[self.ioff[k]:self.ioff[k + 1]].copy() for k in range(self.n_areas - 1)])


def initial_weights(layers, ranges, seed: int):
    """PAL's init_weights: reseed, then W (every area), W_IP, B, B_PI, each U(low, high), in that order."""
    rs = np.random.RandomState(seed)
    L = len(layers)
    W = [rs.uniform(*ranges[0], size=(layers[i + 1], layers[i])) for i in range(L - 1)]
    WIP = [rs.uniform(*ranges[1], size=(layers[i + 1], layers[i])) for i in range(1, L - 1)]
    B = [rs.uniform(*ranges[2], size=(layers[i], layers[i + 1])) for i in range(1, L - 1)]
    BPI = [rs.uniform(*ranges[3], size=(layers[i], layers[i + 1])) for i in range(1, L - 1)]
    return W, WIP, B, BPI


def initial_voltages(layers, seed: int):
    """PAL's init_voltages: reseed (the same stream as the weights), N(0, 1) for every area, then every
    interneuron population."""
    rs = np.random.RandomState(seed)
    uP = [rs.normal(0, 1, size=layers[i]) for i in range(1, len(layers))]
    uI = [rs.normal(0, 1, size=layers[i + 1]) for i in range(1, len(layers) - 1)]
    return uP, uI


def self_predicting_state(p: PalParams, W, WIP, B, BPI) -> None:
    """B_PI = -B; W_IP = c W of the area above, c = gbas (gl + gden) / (gden g), g = gl + gbas + gapi, or
    gl + gbas for the last population (whose area above is the output)."""
    for i in range(len(B)):
        BPI[i] = -B[i].copy()
    for i in range(len(WIP) - 1):
        WIP[i] = p.gbas * (p.gl + p.gden) / (p.gden * (p.gl + p.gbas + p.gapi)) * W[i + 1].copy()
    WIP[-1] = p.gbas * (p.gl + p.gden) / (p.gden * (p.gl + p.gbas)) * W[-1].copy()


def build(p: PalParams, seed: int, teacher: bool = False) -> PalNet:
    """The student (or teacher) of ``seed`` as PAL's init_MC builds it, then its runner (taur, students only)."""
    layers = list(p.layers)
    N = len(layers) - 1
    uP, uI = initial_voltages(layers, seed)
    ranges = ([p.init_teacher_WPP_range, p.init_teacher_WIP_range, p.init_teacher_BPP_range, p.init_teacher_BPI_range]
              if teacher else [p.init_WPP_range, p.init_WIP_range, p.init_BPP_range, p.init_BPI_range])
    W, WIP, B, BPI = initial_weights(layers, ranges, seed)
    if p.model_type == "BP":
        B = [w.T.copy() for w in W[1:]]
    if p.init_in_SPS or teacher:
        self_predicting_state(p, W, WIP, B, BPI)
    sizes = np.asarray(layers, dtype=np.int64)
    poff = np.concatenate([[0], np.cumsum(sizes[1:])]).astype(np.int64)
    ioff = np.concatenate([[0], np.cumsum(sizes[2:])]).astype(np.int64)
    flat = lambda ms: (np.concatenate([m.ravel() for m in ms]) if ms else np.zeros(0),  # noqa: E731
                       np.concatenate([[0], np.cumsum([m.size for m in ms])]).astype(np.int64))
    Wf, woff = flat(W)
    Bf, boff = flat(B)
    BPIf, _ = flat(BPI)
    WIPf, ipoff = flat(WIP)
    P, nI = int(poff[-1]), int(ioff[-1])
    st = np.zeros((14, P))  # the kernel's rows (kernels/pal.advance)
    sti = np.zeros((8, nI))
    st[0] = st[1] = np.concatenate(uP)  # u, u_old: PAL starts with u_old = u
    sti[0] = sti[1] = np.concatenate(uI)
    kinds = np.array([KIND[a] for a in p.activations()], dtype=np.int64)
    st[2] = st[0]
    for a in range(N):
        st[3, poff[a]:poff[a + 1]] = pal_phi(p.activations()[a], st[2, poff[a]:poff[a + 1]])
    sti[2] = sti[0]
    for k in range(N - 1):
        sti[3, ioff[k]:ioff[k + 1]] = pal_phi(p.activations()[k + 1], sti[2, ioff[k]:ioff[k + 1]])
    st[9] = st[3]  # the high-passed rates start at the rates
    g = p.gl + p.gbas + p.gapi
    tauP, tau_out, tau_notgt, tauI = 1 / g, 1 / (p.gl + p.gbas + p.gntgt), 1 / (p.gl + p.gbas), 1 / (p.gl + p.gden + p.gnI)
    taur = None if teacher else p.taur
    look = (lambda tau: tau) if taur is None else (lambda tau: taur * tau)
    c = np.zeros(kernel.N_CONST)
    c[[kernel.DT, kernel.GL, kernel.GBAS, kernel.GAPI, kernel.GDEN, kernel.GNI, kernel.GNTGT]] = (
        p.dt, p.gl, p.gbas, p.gapi, p.gden, p.gnI, p.gntgt)
    c[[kernel.TAU_P, kernel.TAU_OUT, kernel.TAU_NOTGT, kernel.TAU_I]] = tauP, tau_out, tau_notgt, tauI
    c[[kernel.LOOK_P, kernel.LOOK_OUT, kernel.LOOK_I]] = look(tauP), look(tau_out), look(tauI)
    pal = p.model_type == "PAL"
    c[kernel.TAU_HP] = p.tauHP if pal else 1.0
    c[kernel.TAU_LO] = p.tauLO if pal else 1.0
    c[kernel.TAU_XI] = (p.tauxi or 1.0) if pal else 1.0
    c[kernel.C_HID], c[kernel.C_OUT], c[kernel.C_DEN] = p.gbas / g, p.gbas / (p.gl + p.gbas), p.gden / (p.gl + p.gden)
    f = np.zeros(kernel.N_SWITCH, dtype=np.int64)
    f[kernel.MODEL] = {"BP": kernel.BP, "FA": kernel.FA, "PAL": kernel.PAL}[p.model_type]
    if pal:
        f[kernel.NOISE_TYPE] = NOISE_TYPES[p.noise_type]
        f[kernel.NOISE_MODE] = NOISE_MODES[p.noise_mode]
        f[kernel.HI_PASS], f[kernel.DW_LOW_PASS] = p.pyr_hi_pass, p.dWPP_low_pass
        f[kernel.GATE], f[kernel.INTER_LOW_PASS] = p.gate_regularizer, p.inter_low_pass
    f[kernel.USE_ACTIVATION] = p.dWPP_use_activation
    per = lambda v, n: np.asarray(list(v)[:n] + [0.0] * max(0, n - len(v)), dtype=float)  # noqa: E731
    return PalNet(
        seed=seed, model_type=p.model_type, sizes=sizes, poff=poff, ioff=ioff, woff=woff, boff=boff, ipoff=ipoff,
        kinds=kinds, c=c, f=f, eta_fw=per(p.eta_fw, N), eta_bw=per(p.eta_bw, N - 1), eta_IP=per(p.eta_IP, N - 1),
        eta_PI=per(p.eta_PI, N - 1), alpha=per(p.alpha or (), N - 1), sigma=per(p.noise_scale or (), N - 1),
        W=Wf, B=Bf, BPI=BPIf, WIP=WIPf, dW=np.zeros_like(Wf), dWLO=np.zeros_like(Wf), st=st, sti=sti,
        r0=np.zeros(layers[0]), r0_old=np.zeros(layers[0]), xi=np.zeros(P), vapi_noise=np.zeros(P),
        rng=np.random.RandomState(seed))


def pal_phi(name: str, x: np.ndarray) -> np.ndarray:
    """PAL's transfer functions in NumPy (the initial rates, the replay's ANN)."""
    if name == "logistic":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "soft_relu":
        return np.log(1 + np.exp(x))
    if name == "hard_sigmoid":
        return np.maximum(0, np.minimum(1, x / 6 + 1 / 2))
    return np.array(x, dtype=float)


def pal_dphi(name: str, x: np.ndarray) -> np.ndarray:
    """PAL's derivatives (the ones its compare.py looks up)."""
    if name == "logistic":
        y = 1 / (1 + np.exp(-x))
        return y * (1.0 - y)
    if name == "tanh":
        return 1 - np.tanh(x) ** 2
    if name == "relu":
        return np.heaviside(x, 0)
    if name == "soft_relu":
        return 1 / (1 + np.exp(-x))
    if name == "hard_sigmoid":
        return np.heaviside(x / 6 + 1 / 2, 0) * np.heaviside(1 - (x / 6 + 1 / 2), 0)
    return np.ones_like(x)


@dataclass
class Records:
    """Every ``every``-th step of a run: the step count, weights, basal potentials and squared output error."""

    every: int
    steps: np.ndarray
    W: np.ndarray
    B: np.ndarray
    V: np.ndarray
    lateral: bool
    WIP: np.ndarray
    BPI: np.ndarray
    mse: np.ndarray
    pos: int = 0

    @classmethod
    def for_run(cls, net: PalNet, total_steps: int, every: int, lateral: bool) -> "Records":
        n = total_steps // every
        m = n if lateral else 0
        return cls(every, np.zeros(n, dtype=np.int64), np.zeros((n, net.W.size)), np.zeros((n, net.B.size)),
                   np.zeros((n, net.st.shape[1])), lateral, np.zeros((m, net.WIP.size)), np.zeros((m, net.BPI.size)),
                   np.full(n, np.nan))

    @classmethod
    def none(cls, net: PalNet) -> "Records":
        return cls.for_run(net, 0, 1, False)


def advance(net: PalNet, n: int, samples, order, targets, on: bool, noise, learn, compute_dw: bool, step0: int,
            rec: Records, trace=None) -> None:
    """``n`` kernel steps of ``net`` (see kernels/pal.advance)."""
    learn_w, learn_lat, learn_bw = learn
    rec.pos = kernel.advance(
        n, net.sizes, net.poff, net.ioff, net.woff, net.boff, net.ipoff, net.lay, net.kinds, net.c, net.f, net.eta_fw,
        net.eta_bw, net.eta_IP, net.eta_PI, net.alpha, net.sigma, net.W, net.B, net.BPI, net.WIP, net.dW, net.dWLO,
        net.st, net.sti, net.r0, net.r0_old, net.xi, net.vapi_noise, net.km, net.kv, net.kvi, samples, order, targets, on, *noise,
        learn_w, learn_lat, learn_bw, compute_dw, step0, rec.every, rec.pos, rec.steps, rec.W, rec.B, rec.V,
        rec.lateral, rec.WIP, rec.BPI, rec.mse, trace is not None, trace if trace is not None else NO_TRACE)


NO_TRACE = np.zeros((1, 1))
NO_NOISE = (np.zeros(624, dtype=np.uint32), np.zeros(2, dtype=np.int64), np.zeros(1), np.zeros(624, dtype=np.uint32))  # no noise drawn


__all__ = ["PalNet", "Records", "advance", "build", "pal_dphi", "pal_phi", "self_predicting_state", "teacher_seed"]
