"""What every model family shares: the readable network record (:class:`Circuit`), the family record
(:class:`ModelFamily`) the registry lists, and the builder pieces used by more than one family.

Builders draw random numbers in the reference's order (docs/models.md §3.1) so that a seed means the same
network; the pieces here draw exactly as many numbers, in the same order and shapes, as the reference does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..kernels.activations import KIND
from ..kernels.structs import MSE_RATE, MSE_RATE_OF_VOLTAGE_TARGET, MSE_VOLTAGE
from ..networks.init import slopes_and_offsets, uniform

if TYPE_CHECKING:
    from ..params import Params


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
    sps_reset: bool = False  # lateral_sps_reset (sacramento2018, dPC)
    varphi_transfer: bool = False
    dw_low_pass: bool = False
    dt: float = 0.01
    tauLO: float = 100.0
    taur: float = 1.0
    rep_lookahead: list | None = None
    err_lookahead: list | None = None
    rng: np.random.RandomState | None = field(default=None, repr=False)
    eta_fw_matrix: np.ndarray | None = None
    allow_divergence: bool = False  # a run that diverges goes on, marked (diverged says where), instead of stopping
    diverged: str | None = None

    @property
    def n_areas(self) -> int:
        return len(self.layers) - 1


@dataclass(frozen=True)
class Sizes:
    """What a builder is given besides the parameters: the network's seed and sizes and connection modes
    (the teacher's may differ from the students'), and whether it builds the teacher."""

    seed: int
    teacher: bool
    layers: tuple
    error_layers: tuple
    fw_mode: str
    bw_mode: str


@dataclass(frozen=True)
class ModelFamily:
    """One model family: everything the rest of the simulator asks about a model, in one place.

    ``build`` turns parameters into a :class:`Circuit` in the reference's random-number order; ``check``
    refuses parameter combinations the model cannot run (called with a function that makes the error);
    ``time_constants`` gives (tau_rep, tau_err, tau_out_notgt, c_pred) per area from the conductances.
    """

    name: str
    label: str                       # as the paper's legends call it
    kernel: str                      # the kernel that runs it (a key of kernels.structs.KERNELS)
    population: str                  # what its second population is
    rate_target: bool                # default target kind: the teacher's rate (True) or output voltage
    feedback_on_population: bool     # feedback connects the second population (errormc) or representation units
    has_error_units: bool            # the second population are error units (their own activation keys apply)
    lateral_populations: Callable[[int], int]  # number of lateral populations of an L-area network
    build: Callable[["Params", Sizes], Circuit]
    time_constants: Callable[[dict, int], tuple]
    check: Callable[["Params", Callable], None] = lambda p, err: None
    population_rates: str = "activation"  # initial rates of the second population: activation, delayed or zero
    layered_only: bool = True        # building it sets the reference's shared connection modes to 'layered'
    output_apical: bool = True       # the output area has an apical compartment (gain 1 in the backprop replay)
    weight_alignment: bool = True    # the replay compares its feedback weights with W^T
    feedback_key: str = "BPP"        # the reference's name of its feedback weights (rec_BPP / rec_BII)
    choose_kernel: Callable | None = None  # (network record) -> kernel, where the size decides
    self_predicting_state: bool = False  # its lateral weights have a self-predicting state (lateral_sps_reset)
    colour: str = "k"                # its colour in the paper's figures (tableau-colorblind10, the authors' style)

    def kernel_for(self, net) -> str:
        return self.choose_kernel(net) if self.choose_kernel else self.kernel

    def bp_output_gain(self, g: dict) -> float:
        """Gain of the output drive in the backprop replay: (gl+gbas+gapi)/(gl+gbas) without apical input."""
        return 1.0 if self.output_apical else (g["gbas"] + g["gapi"] + g["gl"]) / (g["gbas"] + g["gl"])


def teacher_seed(seeds) -> int:
    """The teacher's seed: randint(100000, 999999) after seeding with the first student seed."""
    return int(np.random.RandomState(seeds[0]).randint(100000, 999999))


# ---------------------------------------------------------------------------------------------------------
# builder pieces shared by several families

def own_seed(p: Params, s: Sizes) -> int:
    """Seed of a network's own generator (BP noise, then shuffling): its seed, unless constructor_seed."""
    return s.seed if (s.teacher or p.constructor_seed is None) else p.constructor_seed


def initial_voltages(p: Params, s: Sizes, pop_sizes):
    """N(0, 1) potentials of every area, then of every second population, from RandomState(seed); zero for
    students with ``init_potentials: zero``."""
    if p.init_potentials == "zero" and not s.teacher:
        return [np.zeros(n) for n in s.layers[1:]], [np.zeros(n) for n in pop_sizes]
    rs = np.random.RandomState(s.seed)
    u0 = [rs.normal(0, 1, size=n) for n in s.layers[1:]]
    uI0 = [rs.normal(0, 1, size=n) for n in pop_sizes]
    return u0, uI0


def ranges(p: Params, teacher: bool) -> dict:
    t = "init_teacher_" if teacher else "init_"
    return {k: getattr(p, f"{t}{k}_range") for k in ("WPP", "WIP", "BPI", "BPP", "BII")}


def layered_forward(rs, layers, w_range) -> dict:
    return {(a, a - 1): uniform(rs, w_range, (layers[a], layers[a - 1])) for a in range(1, len(layers))}


def dendritic_start(p: Params, s: Sizes):
    """sacramento2018 and dPC alike: potentials (the interneurons of area k mimic area k+1), then from
    RandomState(seed) the forward weights, W_IP, the FA feedback (FA only) and B_PI, in this order."""
    layers, L = s.layers, len(s.layers) - 1
    u0, uI0 = initial_voltages(p, s, layers[2:])
    rs = np.random.RandomState(s.seed)
    rg = ranges(p, s.teacher)
    forward = layered_forward(rs, layers, rg["WPP"])
    WIP = {k: uniform(rs, rg["WIP"], (layers[k + 1], layers[k])) for k in range(1, L)}
    B_fa = None if p.model_type == "BP" else {(k, k + 1): uniform(rs, rg["BPP"], (layers[k], layers[k + 1]))
                                               for k in range(1, L)}
    BPI = {k: uniform(rs, rg["BPI"], (layers[k], layers[k + 1])) for k in range(1, L)}
    return u0, uI0, rs, forward, WIP, B_fa, BPI


def layered_eta(p: Params, L: int) -> dict:
    return {(a, a - 1): float(p.eta_fw[a - 1]) for a in range(1, L + 1)}


def activation_lists(p: Params, teacher: bool, layers, rs, force_linear=False):
    names = ["linear"] * (len(layers) - 1) if force_linear else list(p.activations())
    slopes, offs = slopes_and_offsets(rs, p, layers, len(layers) - 1, noisy=not teacher)
    return [KIND[n] for n in names], slopes, offs


def derivative_kinds(p: Params, kinds: list) -> list:
    """The derivative used per area: the activation's own, unless activation_derivative says otherwise."""
    if p.activation_derivative is None:
        return list(kinds)
    return [KIND[n] for n in p.activations("activation_derivative")]


def mse_mode(p: Params, rate_target: bool) -> int:
    if p.rec_rate_MSE is None:
        return MSE_RATE if rate_target else MSE_VOLTAGE
    if p.rec_rate_MSE:
        return MSE_RATE if rate_target else MSE_RATE_OF_VOLTAGE_TARGET
    return MSE_VOLTAGE


def conductances(p: Params, **override) -> dict:
    g = dict(gl=p.gl, gbas=p.gbas, gapi=p.gapi, gden=p.gden, gnI=p.gnI, gntgt=p.gntgt)
    g.update(override)
    return g


def per_population(values, n_pops, first=1) -> dict:
    """eta_IP / eta_PI list -> {population index: rate} for populations first..first+n_pops-1."""
    values = list(values) + [0.0] * max(0, n_pops - len(values))
    return {first + i: float(values[i]) for i in range(n_pops)}


def noise_list(rng, WT, matrices) -> list:
    return [rng.uniform(-WT, WT, size=m.shape) for m in matrices]


def bp_feedback(rng, WT, forward, L):
    """B_k = W_{k+1}^T + U(-WT, WT), the noise drawn for all k first (the reference's base constructor)."""
    transposes = [forward[(k + 1, k)].T for k in range(1, L)]
    noise = noise_list(rng, WT, transposes)
    feedback = {(k, k + 1): transposes[k - 1] + noise[k - 1] for k in range(1, L)}
    return feedback, {(k, k + 1): noise[k - 1] for k in range(1, L)}


def zeros_like(d: dict) -> dict:
    return {k: np.zeros_like(v) for k, v in d.items()}


def circuit(model, p: Params, s: Sizes, pops, forward, eta_forward, feedback, noise, triu, WIP, BPI, eta_IP,
            eta_PI, u0, uI0, kinds, slopes, offs, err_kinds, err_slopes, err_offs, g, rate_target, rng) -> Circuit:
    """A :class:`Circuit` with the settings every family takes from the parameters the same way."""
    teacher = s.teacher
    return Circuit(
        model=model, seed=int(s.seed), layers=tuple(s.layers), pops=tuple(pops), forward=forward,
        eta_forward=eta_forward, feedback=feedback, feedback_noise=noise, feedback_triu=triu, WIP=WIP, BPI=BPI,
        eta_IP=eta_IP, eta_PI=eta_PI, u0=u0, uI0=uI0, act_kind=kinds,
        der_kind=derivative_kinds(p, kinds) if not teacher else list(kinds), slopes=slopes, offsets=offs,
        err_kind=err_kinds, err_slopes=err_slopes, err_offsets=err_offs, g=g, bp=p.model_type == "BP",
        rate_target=rate_target, mse_mode=mse_mode(p, rate_target), dt=p.dt, tauLO=p.tauLO,
        taur=1.0 if (teacher or p.taur is None) else float(p.taur), rng=rng,
        rep_lookahead=None if teacher or p.rep_lookahead is None else list(p.rep_lookahead),
        err_lookahead=None if teacher or p.error_lookahead is None else list(p.error_lookahead))


def dendritic_time_constants(g: dict, L: int):
    """sacramento2018, dPC and ann: the output is nudged at its soma, interneurons by the area above."""
    gl, gb, ga, gd, gnI, gt = g["gl"], g["gbas"], g["gapi"], g["gden"], g["gnI"], g["gntgt"]
    tau_rep, tau_err, c_pred = np.zeros(L + 1), np.zeros(L + 1), np.zeros(L + 1)
    tau_rep[1:] = 1 / (gl + gb + ga)
    c_pred[1:] = gb / (gl + gb + ga)
    tau_rep[L] = 1 / (gl + gb + gt)
    tau_err[1:] = 1 / (gl + gd + gnI)
    c_pred[L] = gb / (gl + gb)
    return tau_rep, tau_err, 1 / (gl + gb), c_pred
