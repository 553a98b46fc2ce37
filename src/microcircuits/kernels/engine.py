"""The time loops: one phase of steps with recording, and the replay that compares updates with backprop.

A phase (settling, one training epoch, one validation or test pass, a teacher pass) runs entirely in
compiled code; Python only orders the phases and shuffles between them, as the reference's driver does.
The network's type names its kernel (structs.KERNELS, filled by the kernel modules), so each loop compiles,
per kernel, with that kernel's step only.
"""

import math
from collections import namedtuple

import numpy as np
from numba import literal_unroll
from numba.core import errors
from numba.extending import overload

from .activations import dphi, phi
from .common import U, inline_jit, jit
from .structs import (
    KERNELS,
    MSE_RATE,
    MSE_RATE_OF_VOLTAGE_TARGET,
    borrowed,
)

# Snapshots taken every ``every`` recorded steps (docs/models.md §5.1); arrays with 0 rows are not recorded.
# counter = [steps since the last snapshot, snapshots taken, steps simulated in recorded phases]
Recorder = namedtuple("Recorder", [
    "counter", "every", "step", "phase", "mse",
    "W", "B", "WIP", "BPI", "u", "u_breve", "r", "uI", "uI_breve", "rI", "vbas", "vapi",
])

NO_TEACHER_RECORD, TEACHER_RATE, TEACHER_VOLTAGE = 0, 1, 2


def step(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
    """Advance one dt with the step function of the network's model (see the overload below)."""
    raise NotImplementedError("step() runs inside compiled code only")


@overload(step)  # compiled into the cached loops that call it
def _step_of_model(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
    for kernel in KERNELS.values():
        if isinstance(net, kernel.network_type):
            model_step = kernel.step

            def impl(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
                model_step(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw)
            return impl
    raise errors.TypingError(f"step(): {net} is not a network type")


def settle(net, st):
    """Apply a forward update the step deferred (the kernel's ``settle``); nothing for other kernels."""
    raise NotImplementedError("settle() runs inside compiled code only")


@overload(settle)
def _settle_of_model(net, st):
    for kernel in KERNELS.values():
        if isinstance(net, kernel.network_type) and kernel.settle is not None:
            settle_step = kernel.settle
            return lambda net, st: settle_step(net, st)
    return lambda net, st: None


@jit
def mse(net, st, Y, n):
    """Squared L2 error of the output against Y[n], computed as the reference does: norm(...)**2."""
    L = net.n_areas
    r0 = net.rep_off[L]
    n_in = net.area_off[1]
    s = 0.0
    for j in range(net.rep_off[L + 1] - r0):
        i = r0 + j
        if net.mse_mode == MSE_RATE:
            e = st.rates[n_in + i] - Y[n, j]
        elif net.mse_mode == MSE_RATE_OF_VOLTAGE_TARGET:
            e = st.rates[n_in + i] - phi(net.act_kind[L], Y[n, j], net.slope[i], net.offset[i])
        else:
            e = st.u_breve[i] - Y[n, j]
        s += e * e
    return math.sqrt(s) ** 2


@jit
def snapshot(net, st, rec, phase, Y, n):
    """Append one snapshot; its MSE is recorded when a target is passed (Y has rows)."""
    k = rec.counter[1]
    rec.step[k] = rec.counter[2]
    rec.phase[k] = phase
    rec.mse[k] = mse(net, st, Y, n) if Y.shape[0] > 0 else np.nan
    n_in = net.area_off[1]
    if rec.W.shape[0] > 0:
        rec.W[k] = net.W
    if rec.B.shape[0] > 0:
        rec.B[k] = net.B
    if rec.WIP.shape[0] > 0:
        rec.WIP[k] = net.WIP
    if rec.BPI.shape[0] > 0:
        rec.BPI[k] = net.BPI
    if rec.u.shape[0] > 0:
        rec.u[k] = st.u
    if rec.u_breve.shape[0] > 0:
        rec.u_breve[k] = st.u_breve
    if rec.r.shape[0] > 0:
        rec.r[k] = st.rates[n_in:]
    if rec.uI.shape[0] > 0:
        rec.uI[k] = st.uI
    if rec.uI_breve.shape[0] > 0:
        rec.uI_breve[k] = st.uI_breve
    if rec.rI.shape[0] > 0:
        rec.rI[k] = st.rI
    if rec.vbas.shape[0] > 0:
        rec.vbas[k] = st.vbas
    if rec.vapi.shape[0] > 0:
        rec.vapi[k] = st.vapi
    rec.counter[1] = k + 1


@inline_jit
def count_and_record(net, st, rec, phase, Y, n):
    """After a recorded step: count it and take a snapshot every ``rec.every`` steps."""
    rec.counter[2] += 1
    rec.counter[0] += 1
    if rec.counter[0] == rec.every:
        rec.counter[0] = 0
        if rec.counter[1] < rec.step.shape[0]:
            settle(net, st)
            snapshot(net, st, rec, phase, Y, n)


@jit
def run_phase(net, st, rec, X, Y, inject, synapse, learn_w, learn_lat, store_dw, record, phase, mse_out,
              teacher_out, teacher_kind):
    """Run len(X) steps.  A target Y[n] (if Y has rows) is injected if ``inject``; otherwise it is only
    compared with: MSE per step into ``mse_out`` (if it has rows) and into snapshots.  ``store_dw`` keeps
    each step's forward update in net.dW.  A teacher phase writes its output (rate or voltage, before each
    step, as the reference's teacher does) into ``teacher_out``."""
    # the caller owns every argument for the whole call: borrow the records and arrays without reference counting
    net, st = borrowed(net), borrowed(st)
    rec, X, Y, mse_out, teacher_out = borrowed(rec), borrowed(X), borrowed(Y), borrowed(mse_out), borrowed(teacher_out)
    L = net.n_areas
    r0 = net.rep_off[L]
    n_out = net.rep_off[L + 1] - r0
    n_in = net.area_off[1]
    has_target = Y.shape[0] > 0
    for n in range(X.shape[0]):
        if teacher_kind == TEACHER_RATE:
            for j in range(n_out):
                teacher_out[n, j] = st.rates[U(n_in + r0 + j)]
        elif teacher_kind == TEACHER_VOLTAGE:
            for j in range(n_out):
                teacher_out[n, j] = st.u_breve[U(r0 + j)]
        step(net, st, X, Y, n, inject and has_target, synapse, learn_w, learn_lat, store_dw)
        if record:
            count_and_record(net, st, rec, phase, Y, n)
        if mse_out.shape[0] > 0:
            mse_out[n] = mse(net, st, Y, n)
    settle(net, st)  # outside a phase, W and B are the separate passes' (nothing pending)


# What a divergence check looks at, in this order (runaway's result - 1 indexes it)
RUNAWAY_FIELDS = ("u", "uI", "rates", "vapi", "W", "B", "WIP", "BPI")


@jit
def _first_beyond(x, limit):
    for i in range(x.shape[0]):
        if not abs(x[i]) <= limit:  # NaN compares false
            return i
    return -1


@jit
def runaway(net, st, limit):
    """0 if every voltage, rate and weight is finite and at most ``limit`` in magnitude; else 1 + the index in
    RUNAWAY_FIELDS of the first array that is not (one pass over memory: cheap beside a phase of steps)."""
    net, st = borrowed(net), borrowed(st)
    k = 0
    for a in literal_unroll((st.u, st.uI, st.rates, st.vapi, net.W, net.B, net.WIP, net.BPI)):
        k += 1
        if _first_beyond(a, limit) >= 0:
            return k
    return 0


@jit
def bp_angles(net, X, Y, n, rate_target, v, r, delta, delta_new, out):
    """Angle per area between the model's update (net.dW of the hierarchical blocks) and the backprop
    update of an ANN with the same hierarchical weights (compare.calc_dWPP_ANN of the reference)."""
    L = net.n_areas
    c = net.gbas / (net.gbas + net.gapi + net.gl)
    W, dW, ptr, rows, cols, rep_off = net.W, net.dW, net.fw_ptr, net.fw_rows, net.fw_cols, net.rep_off
    for a in range(1, L + 1):
        k = net.fw_hier[a]
        nc = cols[k]
        for i in range(rows[k]):
            s = 0.0
            for j in range(nc):
                pre = X[n, j] if a == 1 else r[rep_off[a - 1] + j]
                s += (c * W[ptr[k] + i * nc + j]) * pre
            v[rep_off[a] + i] = s
        if a == L and net.bp_out_gain != 1.0:
            f = net.bp_out_gain
            for i in range(rep_off[L], rep_off[L + 1]):
                v[i] = f * v[i]
        for i in range(rep_off[a], rep_off[a + 1]):
            r[i] = phi(net.act_kind[a], v[i], net.slope[i], net.offset[i])
    kind = net.der_kind[L]
    for i in range(rep_off[L], rep_off[L + 1]):
        j = i - rep_off[L]
        if rate_target:
            delta[i] = dphi(kind, v[i]) * (Y[n, j] - r[i])
        else:
            delta[i] = Y[n, j] - v[i]
    for a in range(L, 0, -1):
        k = net.fw_hier[a]
        nc = cols[k]
        p = ptr[k]
        num = 0.0
        nm = 0.0
        ng = 0.0
        for i in range(rows[k]):
            di = delta[rep_off[a] + i]
            for j in range(nc):
                pre = X[n, j] if a == 1 else r[rep_off[a - 1] + j]
                g = di * pre
                m = dW[p + i * nc + j]
                num += m * g
                nm += m * m
                ng += g * g
        cos = num / math.sqrt(nm) / math.sqrt(ng)
        out[a - 1] = 0.0 if abs(1.0 - cos) < 1e-6 else math.acos(cos) * 180.0 / math.pi
        if a > 1:
            kb = net.der_kind[a - 1]
            for jj in range(nc):
                ib = rep_off[a - 1] + jj
                db = dphi(kb, v[ib])
                s = 0.0
                for i in range(rows[k]):
                    s += (db * W[p + i * nc + jj]) * delta[rep_off[a] + i]
                delta_new[ib] = s
            for jj in range(nc):
                delta[rep_off[a - 1] + jj] = delta_new[rep_off[a - 1] + jj]


@jit
def replay(net, net_rest, st, X, Y, steps_per_sample, snap_W, snap_B, snap_WIP, snap_BPI, first,
           rate_target, angles):
    """For every snapshot from ``first`` on: load its weights and run over (X, Y) with the target injected and
    the synapse routine active but no weight change; at the last step of each sample store the angles
    between the model's and backprop's updates.  The state carries over (docs/models.md §6.1).

    ``net`` rebuilds every BP feedback block with a source (first step after loading: the snapshot's B lags
    its W by a step); ``net_rest`` (same arrays) rebuilds none: W is fixed, so B no longer changes."""
    net, net_rest, st = borrowed(net), borrowed(net_rest), borrowed(st)  # owned by the caller for the whole call
    # flags as runtime booleans: literal True/False would compile a second copy of the model step
    on = first >= 0
    off = not on
    nr = st.u.shape[0]
    v = np.zeros(nr)
    r = np.zeros(nr)
    delta = np.zeros(nr)
    delta_new = np.zeros(nr)
    row = 0
    for s in range(first, snap_W.shape[0]):
        net.W[:] = snap_W[s]
        if snap_B.shape[0] > 0:
            net.B[:] = snap_B[s]
        if snap_WIP.shape[0] > 0:
            net.WIP[:] = snap_WIP[s]
        if snap_BPI.shape[0] > 0:
            net.BPI[:] = snap_BPI[s]
        for n in range(X.shape[0]):
            end = (n + 1) % steps_per_sample == 0
            step(net if n == 0 else net_rest, st, X, Y, n, on, on, off, off, end)
            if end:
                bp_angles(net, X, Y, n, rate_target, v, r, delta, delta_new, angles[row])
                row += 1
