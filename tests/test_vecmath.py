"""vecmath's exp and tanh against libm, and where the simulator uses them; kernel views of borrowed arrays."""

import gc
import math
import re
import weakref

import numpy as np
import pytest
from numba import njit

from microcircuits.kernels import vecmath
from microcircuits.kernels.common import VECTOR_AREA
from microcircuits.kernels.structs import borrowed  # the plumbing under test
from microcircuits.models import build
from microcircuits.params import params_from_mapping
from microcircuits.tasks.protocol import Sim, null_recorder, phase


@njit(error_model="numpy")
def _each(kind, x, out):
    for i in range(x.shape[0]):
        out[i] = vecmath.exp(x[i]) if kind == 0 else vecmath.tanh(x[i])


def _libm(f, x):
    try:
        return f(x)
    except OverflowError:
        return math.inf


def _ulps(ours, ref):
    """Distance in units in the last place of the reference (0 where both agree, NaNs included)."""
    same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.abs(ours - ref) / np.spacing(np.abs(ref)))


SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-300, -1e-300, 5e-324]


@pytest.mark.parametrize("name, kind, ranges, max_ulp", [
    ("exp", 0, [(-750, 712), (-2, 2), (-745.2, -708)], 1),  # (-745, -708): subnormal results
    ("tanh", 1, [(-25, 25), (-1, 1), (-0.7, 0.7), (0.6, 0.65)], 2),
])
def test_within_a_few_ulp_of_libm(name, kind, ranges, max_ulp):
    rs = np.random.default_rng(0)
    x = np.concatenate([rs.uniform(lo, hi, 200_000) for lo, hi in ranges] + [SPECIAL, rs.normal(0, 1e-4, 10_000)])
    ours = np.empty_like(x)
    _each(kind, x, ours)
    ref = np.array([_libm(getattr(math, name), v) for v in x])
    assert _ulps(ours, ref).max() <= max_ulp
    np.testing.assert_array_equal(np.signbit(ours[np.isfinite(x) & (x == 0)]), np.signbit(ref[np.isfinite(x) & (x == 0)]))


def test_exp_limits():
    x = np.array([709.78, 709.79, -745.2, -745.1, 800.0, -800.0])
    ours = np.empty_like(x)
    _each(0, x, ours)
    assert np.isfinite(ours[0]) and ours[1] == math.inf and ours[2] == 0.0 and ours[3] == 5e-324
    assert ours[4] == math.inf and ours[5] == 0.0


def _tanh_net(hidden: int, seed: int = 3):
    p = params_from_mapping(dict(
        mc_model="errormc", layers=[3, hidden, 2], error_layers=[0, hidden, 2], activation="tanh",
        fw_connection_mode="layered", bw_connection_mode="layered", init_realistic_connectivity=False,
        eta_fw=[0.1, 0.1], model_type="BP", dataset_size=2, epochs=1, settling_time=0.2,
        random_seed=[seed]), source="test")
    sim = Sim.of(build(p, seed))
    X = np.random.RandomState(0).uniform(0, 1, (400, 3))
    Y = np.random.RandomState(1).uniform(-0.5, 0.5, (400, 2))
    phase(sim, null_recorder(sim.net), X, Y, inject=True, synapse=True, learn_w=True, learn_lat=True)
    return sim


@njit(error_model="numpy")
def _each_scalar(x, out):
    for i in range(x.shape[0]):
        out[i] = vecmath.tanh_scalar(x[i])


def test_scalar_tanh_is_the_vector_tanh_bit_for_bit():
    """Small areas take tanh_scalar (only the branch needed), large ones the branch-free tanh: same bits."""
    rs = np.random.default_rng(1)
    x = np.concatenate([rs.uniform(-25, 25, 100_000), rs.uniform(-0.7, 0.7, 100_000), rs.uniform(0.62, 0.63, 10_000),
                        [0.625, -0.625, np.nextafter(0.625, 0), 40.0, 41.0, -41.0], SPECIAL, [-math.nan, -5e-324]])
    vec, sca = np.empty_like(x), np.empty_like(x)
    _each(1, x, vec)
    _each_scalar(x, sca)
    np.testing.assert_array_equal(sca, vec)
    np.testing.assert_array_equal(np.signbit(sca[x == 0]), np.signbit(x[x == 0]))


@pytest.mark.parametrize("hidden", [VECTOR_AREA - 1, 4 * VECTOR_AREA + 3])
def test_rates_use_vecmath_tanh_in_every_area(hidden):
    """Plain tanh areas of every size take vecmath's tanh (vectorised from VECTOR_AREA units, one by one
    below), not libm's; phi' = 1 - r^2.  Checked over 30 steps: libm's differs in the last bit for about a
    quarter of the arguments."""
    sim = _tanh_net(hidden)
    n_in, net, st = 3, sim.net, sim.st
    lo, hi = net.rep_off[1], net.rep_off[2]
    X = np.random.RandomState(4).uniform(0, 1, (1, 3))
    for _ in range(30):
        phase(sim, null_recorder(net), X, np.zeros((1, 2)), inject=True, synapse=True, learn_w=True)
        ub, r = st.u_breve[lo:hi], st.rates[n_in + lo:n_in + hi]
        ours = np.empty_like(ub)
        _each(1, ub, ours)
        np.testing.assert_array_equal(r, ours)
        np.testing.assert_array_equal(st.d[lo:hi], 1.0 - r * r)


def test_kernel_views_share_and_keep_the_python_arrays():
    """The kernel's records borrow the arrays (no reference counting in the step loop): a run changes the
    very arrays the Python side holds, and a kernel record keeps the arrays it was given alive."""
    sim = _tanh_net(8)
    W_before = sim.net.W.copy()
    X = np.random.RandomState(2).uniform(0, 1, (50, 3))
    phase(sim, null_recorder(sim.net), X, np.zeros((50, 2)), inject=True, synapse=True, learn_w=True)
    assert not np.array_equal(sim.net.W, W_before)

    eta = np.ones_like(sim.net.eta_fw)
    alive = weakref.ref(eta)
    view = sim.view(eta_fw=eta)
    del eta
    gc.collect()
    assert alive() is not None  # held by the kernel record, which borrows its memory
    del view
    gc.collect()
    assert alive() is None



@njit
def _field_sum(net, st):
    s = 0.0
    for i in range(net.W.shape[0]):
        s += net.W[i] * st.u[i % st.u.shape[0]]
    return s


@njit(inline="always")
def _now_and_then(net, st, k):  # as the engine's recorder: a call in a branch of an inlined helper
    return _field_sum(net, st) if k % 7 == 0 else 0.0


@njit
def _loop_owned(net, st, n):
    s = 0.0
    for k in range(n):
        s += _field_sum(net, st) + _now_and_then(net, st, k)
    return s


@njit
def _loop_borrowed(net, st, n):
    net, st = borrowed(net), borrowed(st)
    s = 0.0
    for k in range(n):
        s += _field_sum(net, st) + _now_and_then(net, st, k)
    return s


def _refcount_calls(dispatcher) -> int:
    """NRT_incref and NRT_decref calls in the compiled body of ``dispatcher`` (its wrappers excluded)."""
    ir = dispatcher.inspect_llvm(dispatcher.signatures[0])
    name = dispatcher.py_func.__name__
    heads = [b.split("\n", 1) for b in ir.split("\ndefine ")[1:]]
    bodies = [body for head, body in heads if name in head and "cpython" not in head and "cfunc" not in head]
    assert len(bodies) == 1
    return len(re.findall(r"call void @NRT_(?:incref|decref)", bodies[0]))


def test_borrowed_records_count_no_references():
    """Kernels borrow the network and state records for a whole phase: reading their arrays and passing them
    to callees takes no atomic reference counting (it cost a quarter of a 4-2-1 step), and reads the same
    values."""
    sim = _tanh_net(4)
    owned, borrowed_ = _loop_owned(sim.knet, sim.kst, 3), _loop_borrowed(sim.knet, sim.kst, 3)
    W, u = sim.net.W, sim.st.u
    assert owned == borrowed_ == pytest.approx(4 * sum(W[i] * u[i % len(u)] for i in range(len(W))), rel=1e-14)
    assert _refcount_calls(_loop_owned) > 0  # the test sees the counting it is about
    assert _refcount_calls(_loop_borrowed) == 0
