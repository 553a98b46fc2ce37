"""The Numba kernels against the plain-NumPy oracle (tests/oracle.py), step by step.

Every case builds one network, hands copies of it to the kernel (Sim.of) and to the oracle, and runs both
through the same schedule of phases: settling (no target, no plasticity), training (target injected,
plasticity on), a compare-like pass (target injected, synapse routine on, no weight change), passes learning
only the forward or only the lateral weights, validation (target passed but not injected, plasticity on),
more training and a test pass (target passed, nothing learned).  Inputs and targets change every 20 steps.
All states, dendrites and weights are compared every 10 steps to a relative tolerance of 1e-10 (absolute
1e-11, see RTOL/ATOL): the two sides sum in different orders, so bitwise equality is not expected, but
nothing else may differ.

The tests named *frozen_source* and test_fa_build guard two bugs this comparison found (the BP rebuild of
layered errormc feedback whose source never learns; FA feedback of sacramento2018 and ann).
"""

from __future__ import annotations

import json

import numba
import numpy as np
import pytest

from microcircuits.kernels.activations import LINEAR, TANH
from microcircuits.models import MODELS, build
from microcircuits.models import errormc as errormc_model
from microcircuits.networks.layout import feedback_full, forward_full, lateral_full
from microcircuits.params import load_params, params_from_mapping
from microcircuits.tasks.protocol import Sim, make_recorder, null_recorder, phase

from .conftest import FIG3, fig3_params
from .oracle import make_oracle

SEED = 56789
T = 20            # steps per sample
# The look-ahead multiplies the round-off of u (|u| eps ~ 1e-16) by tau/dt ~ 500-1100, so u_breve, error rates
# and everything downstream differ by up to ~5e-13 in absolute terms between two summation orders; real
# mistakes show up as differences many orders of magnitude larger.
RTOL, ATOL = 1e-10, 1e-11
CHECK_EVERY = 10
ACTIVATIONS = ("linear", "relu", "soft_relu", "logistic", "tanh", "hard_sigmoid")

# rate targets inside the range of each output activation (slope ~1)
RATE_TARGET = {"linear": (-1.0, 1.0), "relu": (0.0, 1.0), "soft_relu": (0.05, 1.0), "logistic": (0.2, 0.8),
               "tanh": (-0.7, 0.7), "hard_sigmoid": (0.2, 0.8)}
VOLTAGE_TARGET = (-1.0, 1.0)
SAC = dict(eta_IP=[0.5, 0.2], eta_PI=[0.3, 0.1])                      # sacramento2018 lateral plasticity on
HETERO = dict(activation_slope_std=0.3, activation_offset_std=0.2)   # per-neuron slopes and offsets
PARAMS = FIG3.parent


# ---------------------------------------------------------------------------------------------------------
# helpers

def mapping(net: str, model: str, **changes) -> dict:
    """A Fig. 3 parameter file as a dict (duplicate _comment keys collapse), with changes."""
    data = json.loads((FIG3 / net / model / "params.json").read_text())
    data.update(random_seed=[SEED])
    data.update(changes)
    return data


def schedule(n_in: int, n_out: int, target: tuple, seed: int = 7):
    """Phases (name, X, Y, flags); inputs and targets held for T steps each."""
    rs = np.random.RandomState(seed)

    def data(samples):
        X = np.repeat(rs.uniform(0.0, 1.0, (samples, n_in)), T, axis=0)
        Y = np.repeat(rs.uniform(target[0], target[1], (samples, n_out)), T, axis=0)
        return X, Y

    learn = dict(synapse=True, learn_w=True, learn_lat=True)
    nothing = dict(synapse=False, learn_w=False, learn_lat=False)
    phases = []
    X, _ = data(2)
    phases.append(("settle", X, None, dict(inject=False, **nothing)))
    X, Y = data(8)
    phases.append(("train", X, Y, dict(inject=True, **learn)))
    X, Y = data(1)
    phases.append(("compare", X, Y, dict(inject=True, synapse=True, learn_w=False, learn_lat=False)))
    X, Y = data(1)
    phases.append(("forward-only", X, Y, dict(inject=True, synapse=True, learn_w=True, learn_lat=False)))
    X, Y = data(1)
    phases.append(("lateral-only", X, Y, dict(inject=True, synapse=True, learn_w=False, learn_lat=True)))
    X, Y = data(3)
    phases.append(("validation", X, Y, dict(inject=False, **learn)))
    X, Y = data(2)
    phases.append(("train2", X, Y, dict(inject=True, **learn)))
    X, Y = data(2)
    phases.append(("test", X, Y, dict(inject=False, **nothing)))
    return phases


def kernel_view(sim, keys):
    net, st = sim.net, sim.st
    L = int(net.n_areas)
    n_in = int(net.area_off[1])
    get = {
        "x": lambda: st.rates[:n_in],
        "u": lambda: st.u,
        "u_breve": lambda: st.u_breve,
        "rates": lambda: st.rates[n_in:],
        "d": lambda: st.d,
        "uI": lambda: st.uI,
        "uI_breve": lambda: st.uI_breve,
        "rI": lambda: st.rI,
        "vbas": lambda: st.vbas,
        "vapi": lambda: st.vapi,
        "vapi_hidden": lambda: st.vapi[:net.rep_off[L]],
        "vden": lambda: st.vden,
        "vden_hidden": lambda: st.vden[:net.pop_off[L]],
        "W": lambda: forward_full(net, net.W),
        "B": lambda: feedback_full(net, net.B),
        "WIP": lambda: lateral_full(net, net.WIP, "WIP"),
        "BPI": lambda: lateral_full(net, net.BPI, "BPI"),
    }
    return {k: np.asarray(get[k]()) for k in keys}


def compare(sim, orc, where: str) -> float:
    """Assert agreement of everything the oracle exposes; return the worst |diff| / (atol + rtol |want|)."""
    want = orc.kernel_view()
    got = kernel_view(sim, want.keys())
    worst = 0.0
    for k, w in want.items():
        g = got[k]
        assert g.shape == w.shape, f"{where}: {k} has shape {g.shape}, oracle {w.shape}"
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=f"{where}: {k}")
        if w.size:
            worst = max(worst, float(np.max(np.abs(g - w) / (ATOL + RTOL * np.abs(w)))))
    return worst


def side_by_side(c, target, every: int = CHECK_EVERY, seed: int = 7, inspect: dict | None = None) -> float:
    """Run kernel and oracle from the same circuit through the schedule, comparing every ``every`` steps."""
    orc = make_oracle(c)
    sim = Sim.of(c)
    if inspect is not None:
        inspect["sim"] = sim
    rec = null_recorder(sim.net)
    worst = compare(sim, orc, "initial state")
    step = 0
    for name, X, Y, flags in schedule(c.layers[0], c.layers[-1], target, seed):
        for s in range(0, len(X), every):
            Xc = X[s:s + every]
            Yc = None if Y is None else Y[s:s + every]
            phase(sim, rec, Xc, Yc, record=False, **flags)
            orc.run(Xc, Yc, **flags)
            step += len(Xc)
            worst = max(worst, compare(sim, orc, f"{c.model} {name} phase, after step {step}"))
    return worst


def run_case(p, target, prepare=None, **kw) -> float:
    c = build(p, SEED)
    if prepare is not None:
        prepare(c)
    return side_by_side(c, target, **kw)


# ---------------------------------------------------------------------------------------------------------
# errormc

def test_errormc_skip_learning_rate_matrix_matches_spec():
    """The oracle takes the skip learning rates from the circuit; check them against spec 3.4 first."""
    c = build(fig3_params("4-2-1", "errormc", random_seed=[SEED]), SEED)
    np.testing.assert_allclose(c.eta_fw_matrix, np.diag([2.0, 0.2]), rtol=1e-12)
    c = build(fig3_params("8-4-2-1", "errormc", random_seed=[SEED]), SEED)
    np.testing.assert_allclose(c.eta_fw_matrix, [[1, 0, 0], [0, 0.2, 0], [0, 0.05 * 10 ** -1.5, 0.05]], rtol=1e-3)


@pytest.mark.parametrize("net", ["4-2-1", "8-4-2-1", "16-8-4-2-1", "32-16-8-4-2-1"])
def test_errormc_skip_realistic_fig3(net):
    """The Fig. 3 errormc setting: skip/skip, connectome init, BP with WT noise, voltage rule."""
    run_case(fig3_params(net, "errormc", random_seed=[SEED]), RATE_TARGET["tanh"])


ERRORMC_CASES = {
    # layered, fewer error units than representation units in area 1 (eye-projected transposes)
    "layered-error-layers": dict(
        net="4-2-1", layers=[3, 5, 4], error_layers=[0, 3, 4], fw_connection_mode="layered",
        bw_connection_mode="layered", init_realistic_connectivity=False, eta_fw=[1.0, 0.5]),
    # three areas, error units fewer and more than representation units, lateral decay, no varphi
    "layered-error-layers-L3-lateral-no-varphi": dict(
        net="8-4-2-1", layers=[4, 6, 5, 3], error_layers=[0, 4, 5, 2], fw_connection_mode="layered",
        bw_connection_mode="layered", init_realistic_connectivity=False, eta_fw=[1.0, 0.5, 0.3],
        eta_IP=[0.5, 1.0, 2.0], eta_PI=[1.5, 0.3, 0.8], varphi_transfer=False),
    "skip-FA": dict(net="8-4-2-1", model_type="FA"),
    "layered-FA": dict(
        net="8-4-2-1", layers=[4, 3, 3, 2], error_layers=[0, 3, 3, 2], fw_connection_mode="layered",
        bw_connection_mode="layered", init_realistic_connectivity=False, eta_fw=[1.0, 0.5, 0.3], model_type="FA"),
    "skip-lateral-decay": dict(net="8-4-2-1", eta_IP=[0.5, 1.0, 2.0], eta_PI=[1.5, 0.3, 0.8]),
    "skip-no-varphi": dict(net="8-4-2-1", varphi_transfer=False),
    "skip-no-varphi-lateral-decay": dict(net="4-2-1", varphi_transfer=False, eta_IP=[1.0, 0.4], eta_PI=[0.2, 2.0]),
    "skip-rate-rule": dict(net="8-4-2-1", dWPP_use_activation=True),
    # skip without connectome: uniform skip blocks, every block learning (fill_all)
    "skip-uniform-fill-all": dict(
        net="8-4-2-1", init_realistic_connectivity=False, WPP_skip_connection_range=[-0.5, 0.5],
        BII_skip_connection_range=[-0.5, 0.5], eta_fw_conversion="fill_all"),
    # only the hierarchical blocks learn; the skip blocks keep their (non-zero) connectome weights
    "skip-fill-diag": dict(net="16-8-4-2-1", eta_fw_conversion="fill_diag"),
    # skip without connectome and error_layers != layers (eye-projected transpose of the whole matrix)
    "skip-uniform-error-layers": dict(
        net="8-4-2-1", layers=[5, 4, 3, 2], error_layers=[0, 3, 4, 2], init_realistic_connectivity=False,
        WPP_skip_connection_range=[-0.5, 0.5], BII_skip_connection_range=[-0.5, 0.5], eta_fw_conversion="fill_all"),
    # low-pass filtered forward updates (tauLO short enough to matter within the run)
    "skip-low-pass": dict(net="8-4-2-1", dWPP_low_pass=True, tauLO=0.3),
    "layered-low-pass": dict(
        net="4-2-1", layers=[3, 5, 4], error_layers=[0, 3, 4], fw_connection_mode="layered",
        bw_connection_mode="layered", init_realistic_connectivity=False, eta_fw=[1.0, 0.5], dWPP_low_pass=True,
        tauLO=0.5),
    # runner's taur hook (look-ahead of representation and error units scaled)
    "skip-taur": dict(net="8-4-2-1", taur=0.5),
}


@pytest.mark.parametrize("case", list(ERRORMC_CASES))
def test_errormc_variants(case):
    changes = dict(ERRORMC_CASES[case])
    net = changes.pop("net")
    run_case(params_from_mapping(mapping(net, "errormc", **changes)), RATE_TARGET["tanh"])


OTHER_FIGURES = {
    # Fig. 4 populations (logistic, layered), shrunk: more and fewer error units than representation units
    "fig4-more-error-units": ("Fig4_populations/params.json", dict(layers=[10, 12, 20], error_layers=[0, 24, 20]),
                              "logistic"),
    "fig4-fewer-error-units": ("Fig4_populations/params.json", dict(layers=[10, 12, 20], error_layers=[0, 5, 20]),
                               "logistic"),
    # Fig. 5 representation-unit heterogeneity: per-neuron slope and offset spread of 1
    "fig5-heterogeneous": ("Fig5_rep_unit_noise/params.json", dict(layers=[10, 16, 20], error_layers=[0, 16, 20]),
                           "logistic"),
    # Fig. 2a cart-pole student: tanh hidden, linear output
    "fig2a-cartpole": ("Fig2a_cartpole_tanh_emc/params_errormc.json", dict(), "linear"),
}


@pytest.mark.parametrize("case", list(OTHER_FIGURES))
def test_errormc_other_figures(case):
    file, changes, target = OTHER_FIGURES[case]
    p = load_params(PARAMS / file, dict(random_seed=[SEED], **changes))
    run_case(p, RATE_TARGET[target])


LAYERED_BP_3 = dict(net="8-4-2-1", layers=[4, 3, 3, 2], error_layers=[0, 3, 3, 2], fw_connection_mode="layered",
                    bw_connection_mode="layered", init_realistic_connectivity=False)


def layered_bp_3(eta_fw):
    changes = dict(LAYERED_BP_3, eta_fw=eta_fw)
    return params_from_mapping(mapping(changes.pop("net"), "errormc", **changes))


@pytest.mark.parametrize("eta_fw", [[0.5, 0.0, 0.3], [0.0, 0.0, 0.0]])
def test_errormc_layered_bp_frozen_source_block(eta_fw):
    run_case(layered_bp_3(eta_fw), RATE_TARGET["tanh"])


def test_errormc_layered_bp_all_sources_learning():
    """The same network with every area learning: every block is rebuilt, kernel and oracle agree."""
    run_case(layered_bp_3([0.5, 0.4, 0.3]), RATE_TARGET["tanh"])


FUSED_CASES = {  # layered BP networks, small enough to take the separate passes unless forced
    **{k: OTHER_FIGURES[k] for k in ("fig4-more-error-units", "fig4-fewer-error-units", "fig5-heterogeneous")},
    "eye-projected": (None, dict(ERRORMC_CASES["layered-error-layers"]), "tanh"),
    "L3-lateral-no-varphi": (None, dict(ERRORMC_CASES["layered-error-layers-L3-lateral-no-varphi"]), "tanh"),
    "frozen-source": (None, dict(LAYERED_BP_3, eta_fw=[0.5, 0.0, 0.3]), "tanh"),
}


@pytest.mark.parametrize("case", list(FUSED_CASES))
def test_errormc_fused_forward_sweep(case, monkeypatch):
    """The fused forward sweep of large layered networks (Figs. 4-5), forced onto small ones: the kernel
    takes it (its network type says so) and still agrees with the oracle in every phase."""
    file, changes, target = FUSED_CASES[case]
    changes = dict(changes)
    monkeypatch.setattr(errormc_model, "FUSED_SWEEP_MIN_WEIGHTS", 0)
    if file is None:
        net = changes.pop("net")
        p = params_from_mapping(mapping(net, "errormc", **changes))
    else:
        p = load_params(PARAMS / file, dict(random_seed=[SEED], **changes))
    seen = {}
    run_case(p, RATE_TARGET[target], inspect=seen)
    assert seen["sim"].kernel == "errormc_layered"


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("error_layers", [[0, 24, 20], [0, 5, 20]])
def test_fused_sweep_gives_the_separate_passes_bits(error_layers, threads, monkeypatch):
    """The fused type (deferred updates, two tasks on one or two threads) against the separate passes on the
    same Fig. 4 network: every array equal bit for bit after each phase and in snapshots taken mid-phase
    (the engine applies the deferred update before a snapshot and at the end of a phase)."""
    p = load_params(PARAMS / "Fig4_populations/params.json", dict(random_seed=[SEED], layers=[10, 12, 20],
                                                                  error_layers=error_layers))
    plain = Sim.of(build(p, SEED))
    monkeypatch.setattr(errormc_model, "FUSED_SWEEP_MIN_WEIGHTS", 0)
    fused = Sim.of(build(p, SEED))
    assert fused.kernel == "errormc_layered" and plain.kernel == "errormc"
    recs = [make_recorder(s.net, 40, 7, {"W", "B", "u", "rI"}) for s in (plain, fused)]
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        for name, X, Y, flags in schedule(10, 20, RATE_TARGET["logistic"]):
            for sim, rec in zip((plain, fused), recs):
                phase(sim, rec, X, Y, **flags)
            for field in ("W", "B", "WIP", "BPI"):
                np.testing.assert_array_equal(getattr(fused.net, field), getattr(plain.net, field), f"{name}: {field}")
            for field in ("rates", "u", "u_breve", "uI", "rI", "vbas", "vapi", "vden"):
                np.testing.assert_array_equal(getattr(fused.st, field), getattr(plain.st, field), f"{name}: {field}")
    finally:
        numba.set_num_threads(before)
    assert recs[0].counter[1] > 10
    for field in ("W", "B", "u", "rI"):
        np.testing.assert_array_equal(getattr(recs[1], field), getattr(recs[0], field), f"snapshots of {field}")


def test_small_layered_networks_take_separate_passes():
    """Without forcing, a small layered network runs the plain errormc step, a 10-1000-784 one the fused."""
    small_net = build(load_params(PARAMS / "Fig4_populations/params.json", dict(layers=[10, 12, 20],
                                                                               error_layers=[0, 12, 20])), SEED)
    assert Sim.of(small_net).kernel == "errormc"
    large = Sim.of(build(load_params(PARAMS / "Fig4_populations/params.json"), SEED))
    assert large.net.W.size == 10 * 1000 + 1000 * 784
    assert large.kernel == "errormc_layered"


@pytest.mark.parametrize("rep_look, err_look, rate_rule", [
    ([True, False, True], None, False),            # hidden area 2 without look-ahead, voltage rule
    ([False, True, True], [True, False, True], True),  # area 1 rates and area-2 errors from u; rate rule
    ([True, True, False], None, True),             # output area without look-ahead
])
def test_errormc_lookahead_switched_off(rep_look, err_look, rate_rule):
    """An area without look-ahead takes its rate from u; phi' and the voltage rule keep u_breve."""
    p = params_from_mapping(mapping("8-4-2-1", "errormc", dWPP_use_activation=rate_rule))

    def prepare(c):
        c.rep_lookahead = rep_look
        c.err_lookahead = err_look

    run_case(p, RATE_TARGET["tanh"], prepare)


# ---------------------------------------------------------------------------------------------------------
# sacramento2018, dPC, ann

def fa_circuit(p, seed=SEED):
    """A feedback-alignment network for sacramento2018 / ann built around the FA build bug (see
    test_fa_build): the BP build, then fixed random feedback B_k ~ U(init_BPP_range) keyed (k, k+1), no
    noise, and (sacramento2018 with init_in_SPS) B_PI = -B."""
    c = build(p.replace(model_type="BP"), seed)
    rs = np.random.RandomState(seed + 1)
    lo, hi = p.init_BPP_range
    c.bp = False
    c.feedback = {(k, k + 1): rs.uniform(lo, hi, (c.layers[k], c.layers[k + 1])) for k in range(1, c.n_areas)}
    c.feedback_noise = {k: np.zeros_like(v) for k, v in c.feedback.items()}
    c.feedback_triu = {k: False for k in c.feedback}
    if c.model == "sacramento2018" and p.init_in_SPS:
        c.BPI = {k: -c.feedback[(k, k + 1)].copy() for k in range(1, c.n_areas)}
    return c


@pytest.mark.parametrize("use_act", [True, False])
def test_sacramento_bp(use_act):
    run_case(params_from_mapping(mapping("8-4-2-1", "sacramento2018", dWPP_use_activation=use_act, **SAC)),
             VOLTAGE_TARGET)


@pytest.mark.parametrize("use_act", [True, False])
def test_sacramento_fa(use_act):
    p = params_from_mapping(mapping("8-4-2-1", "sacramento2018", model_type="FA", dWPP_use_activation=use_act,
                                    **SAC))
    side_by_side(fa_circuit(p), VOLTAGE_TARGET)


def test_sacramento_fig3_4_2_1():
    run_case(fig3_params("4-2-1", "sacramento2018", random_seed=[SEED]), VOLTAGE_TARGET)


def test_sacramento_without_sps_and_taur():
    """Lateral weights start away from the self-predicting state (BP overwrites B_PI on the first plastic
    step, W_IP has to learn); look-ahead scaled by taur."""
    p = params_from_mapping(mapping("8-4-2-1", "sacramento2018", init_in_SPS=False, init_WIP_range=[-0.5, 0.5],
                                    init_BPI_range=[-0.5, 0.5], taur=0.7, **SAC))
    run_case(p, VOLTAGE_TARGET)


@pytest.mark.parametrize("net, changes", [
    ("8-4-2-1", dict(eta_PI=[0.5, 0.3])),
    ("4-2-1", dict()),
    ("8-4-2-1", dict(eta_PI=[0.5, 0.3], dWPP_use_activation=True, taur=1.5)),
])
def test_dpc(net, changes):
    run_case(params_from_mapping(mapping(net, "dPC", **changes)), VOLTAGE_TARGET)


@pytest.mark.parametrize("use_act", [False, True], ids=["voltage-rule", "urbanczik-senn"])
def test_dpc_non_linear_students(use_act):
    """Fig. C1: dPC students keep the file's tanh (dPC_linear_students: false), with the plain voltage rule or
    the Urbanczik-Senn postsynaptic term (dWPP_use_activation)."""
    p = params_from_mapping(mapping("8-4-2-1", "dPC", dPC_linear_students=False, dWPP_use_activation=use_act,
                                    eta_PI=[0.5, 0.3]))
    c = build(p, SEED)
    assert {int(k) for k in np.ravel(c.act_kind)} == {TANH}  # not forced to linear
    run_case(p, VOLTAGE_TARGET)


@pytest.mark.parametrize("model, changes", [
    ("sacramento2018", dict(**SAC)),
    ("sacramento2018", dict(**SAC, model_type="FA", init_in_SPS=False, init_WIP_range=[-0.5, 0.5])),
    ("dPC", dict(eta_PI=[0.5, 0.3])),
    ("dPC", dict(eta_PI=[0.5, 0.3], dPC_linear_students=False, dWPP_use_activation=True)),
])
def test_lateral_weights_reset_to_the_self_predicting_state(model, changes):
    """Fig. A2: lateral_sps_reset puts W_IP and B_PI back into the self-predicting state after every step, as
    the reference's (commented-out) set_self_predicting_state computes it, also when they start elsewhere."""
    p = params_from_mapping(mapping("8-4-2-1", model, lateral_sps_reset=True, **changes))
    c = fa_circuit(p) if p.model_type == "FA" else build(p, SEED)
    assert c.sps_reset
    side_by_side(c, VOLTAGE_TARGET)


def test_the_reset_keeps_the_lateral_weights_where_plasticity_would_move_them():
    """Without the reset, learning lateral weights leave the self-predicting state; with it they stay there:
    W_IP = c W of the area above, exactly."""
    base = mapping("8-4-2-1", "sacramento2018", **SAC)  # lateral plasticity on
    out = {}
    for reset in (False, True):
        sim = Sim.of(build(params_from_mapping(dict(base, lateral_sps_reset=reset)), SEED))
        rs = np.random.RandomState(0)
        X = np.repeat(rs.uniform(0, 1, (20, 8)), T, axis=0)
        Y = np.repeat(rs.uniform(-1, 1, (20, 1)), T, axis=0)
        phase(sim, null_recorder(sim.net), X, Y, inject=True, synapse=True, learn_w=True, learn_lat=True)
        n = sim.net
        g = sim.circuit.g
        k1 = n.WIP[n.WIP_ptr[1]:n.WIP_ptr[1] + n.WIP_rows[1] * n.WIP_cols[1]]
        W12 = n.W[n.fw_ptr[1]:n.fw_ptr[2]]
        ratio = g["gbas"] * (g["gl"] + g["gden"]) / (g["gden"] * (g["gl"] + g["gbas"] + g["gapi"]))
        out[reset] = np.abs(k1 - ratio * W12).max()
    assert out[True] == 0.0 and out[False] > 1e-3


def test_dpc_students_are_linear_by_default():
    """The reference forces dPC students to linear activations whatever the file says; the teacher keeps them."""
    p = params_from_mapping(mapping("8-4-2-1", "dPC"))
    assert p.activation == "tanh" and {int(k) for k in np.ravel(build(p, SEED).act_kind)} == {LINEAR}


def test_ann_bp():
    run_case(params_from_mapping(mapping("8-4-2-1", "ann")), RATE_TARGET["tanh"])


def test_ann_fa():
    side_by_side(fa_circuit(params_from_mapping(mapping("8-4-2-1", "ann", model_type="FA"))), RATE_TARGET["tanh"])


@pytest.mark.parametrize("model", ["sacramento2018", "ann"])
def test_fa_build(model):
    changes = SAC if model == "sacramento2018" else {}
    p = params_from_mapping(mapping("8-4-2-1", model, model_type="FA", **changes))
    c = build(p, SEED)
    Sim.of(c)
    side_by_side(c, VOLTAGE_TARGET if model == "sacramento2018" else RATE_TARGET["tanh"])


# ---------------------------------------------------------------------------------------------------------
# one-area networks and the untrained (all learning rates zero) Fig. 3 variants

@pytest.mark.parametrize("model", list(MODELS))
def test_fig3_2_1(model):
    run_case(fig3_params("2-1", model, random_seed=[SEED]),
             RATE_TARGET["tanh"] if MODELS[model].rate_target else VOLTAGE_TARGET)


@pytest.mark.parametrize("model", list(MODELS))
def test_fig3_untrained_8_4_2_1(model):
    run_case(fig3_params("8-4-2-1", "untrained_" + model, random_seed=[SEED]),
             RATE_TARGET["tanh"] if MODELS[model].rate_target else VOLTAGE_TARGET)


# ---------------------------------------------------------------------------------------------------------
# activations with per-neuron slopes and offsets

@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("model", ["errormc", "sacramento2018", "ann"])
def test_activation_with_per_neuron_slopes_and_offsets(model, act):
    changes = dict(activation=act, **HETERO)
    if model == "sacramento2018":
        changes.update(SAC)
    c = build(params_from_mapping(mapping("8-4-2-1", model, **changes)), SEED)
    # the heterogeneity really is there (students only, representation units)
    assert np.std(np.concatenate(c.slopes)) > 0.05 and np.std(np.concatenate(c.offsets)) > 0.05
    side_by_side(c, VOLTAGE_TARGET if model == "sacramento2018" else RATE_TARGET[act])


def test_dpc_linear_with_per_neuron_slopes_and_offsets():
    """dPC students are forced to linear, but keep the slope/offset heterogeneity."""
    run_case(params_from_mapping(mapping("8-4-2-1", "dPC", eta_PI=[0.5, 0.3], **HETERO)), VOLTAGE_TARGET)


@pytest.mark.parametrize("model", ["errormc", "sacramento2018", "ann"])
def test_mixed_activations_with_mean_slopes_and_offsets(model):
    """One activation per area, per-area slope/offset means plus per-neuron spread (errormc error units get
    the means but no spread)."""
    changes = dict(activation=["relu", "soft_relu", "logistic"], activation_slope=[1.5, 0.7, 1.2],
                   activation_offset=[0.1, -0.2, 0.05], **HETERO)
    if model == "sacramento2018":
        changes.update(SAC)
    target = VOLTAGE_TARGET if model == "sacramento2018" else RATE_TARGET["logistic"]
    run_case(params_from_mapping(mapping("8-4-2-1", model, **changes)), target)


def test_errormc_dms_network():
    """The DMS network of Fig. 2b: soft_relu hidden and tanh((x - 0.5) 20) output whose derivative stays
    linear, representation rates from u (no look-ahead), error units prospective, strong plasticity."""
    p = params_from_mapping(mapping(
        "4-2-1", "errormc", layers=[1, 2, 1], error_layers=[0, 2, 1], fw_connection_mode="layered",
        bw_connection_mode="layered", init_realistic_connectivity=False, gl=0.3, init_BII_range=[1, 1],
        activation=["soft_relu", "tanh"], activation_derivative=["soft_relu", "linear"],
        activation_slope=[1.0, 20.0], activation_offset=[0.0, 0.5], rep_lookahead=[False, False],
        error_lookahead=[True, True], eta_fw=[2.0, 2.0]))
    c = build(p, SEED)
    assert c.rep_lookahead == [False, False] and c.der_kind != c.act_kind
    sim_check = {}
    side_by_side(c, RATE_TARGET["tanh"], inspect=sim_check)
    assert np.all(np.isfinite(sim_check["sim"].st.u)) and np.all(np.isfinite(sim_check["sim"].net.W))
