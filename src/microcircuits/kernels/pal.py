"""Euler steps of the dendritic microcircuit as Phaseless Alignment Learning's runner integrates it (PAL's
``base_model`` for BP and FA, its ``noise_model`` for PAL; docs/pal.md §1).

The network is strictly layered, so every matrix is a dense row-major block of one flat array:
``W`` block a (area a+1 from area a, a = 0..N-1), ``B`` and ``BPI`` block k (hidden area k+1 from area k+2 and
from interneuron population k), ``WIP`` block k (population k from area k+1).  Pyramidal vectors are flat
over areas 1..N (``poff``), interneuron vectors over populations (``ioff``).  One call advances ``n`` steps
with no Python and no allocation in the loop; the caller hands in the steps' inputs (``order`` indexes
``samples``), targets and the standard-normal draws of PAL's noise, drawn in the reference's order.
"""

import math

import numpy as np
from numba import uintp as U

from . import mt19937, vecmath
from .activations import LOGISTIC, SOFT_RELU, phi
from .cache import kernel_jit

jit = kernel_jit(error_model="numpy")
inline_jit = kernel_jit(error_model="numpy", inline="always")
# sums may be reassociated (SIMD partial sums): NumPy's BLAS sums in its own order too, so neither order is
# the reference's, and the results agree to rounding (tests/test_pal.py: relative 1e-13 over 30,000 steps)
sum_jit = kernel_jit(error_model="numpy", fastmath={"reassoc", "contract"})

BP, FA, PAL = 0, 1, 2
OU, HOLD_WHITE = 0, 1
CONST, BY_U, BY_U_BREVE, BY_VAPI = 0, 1, 2, 3
# indices into the constants vector ``c``
(DT, GL, GBAS, GAPI, GDEN, GNI, GNTGT, TAU_P, TAU_OUT, TAU_NOTGT, TAU_I, LOOK_P, LOOK_OUT, LOOK_I,
 TAU_HP, TAU_LO, TAU_XI, C_HID, C_OUT, C_DEN, N_CONST) = range(21)
# indices into the switches vector ``f``
(MODEL, NOISE_TYPE, NOISE_MODE, HI_PASS, DW_LOW_PASS, GATE, INTER_LOW_PASS, USE_ACTIVATION, N_SWITCH) = range(9)


@inline_jit
def pal_phi(kind, x):
    """PAL's transfer functions: activations.phi with slope 1 and offset 0, except soft_relu = log(1 + e^x)."""
    if kind == SOFT_RELU:
        return math.log(1.0 + math.exp(x))
    return phi(kind, x, 1.0, 0.0)


@inline_jit
def rates(kind, u, out, start, stop):
    """out[i] = phi(u[i]) over a range of units; the logistic in arithmetic that vectorises (vecmath.exp)."""
    if kind == LOGISTIC:
        for i in range(start, stop):
            out[U(i)] = 1.0 / (1.0 + vecmath.exp(-u[U(i)]))
    else:
        for i in range(start, stop):
            out[U(i)] = pal_phi(kind, u[U(i)])


@sum_jit
def matvec(M, m0, rows, cols, x, x0, out, o0):
    """out[o0:o0+rows] = M_block @ x[x0:x0+cols]."""
    for i in range(rows):
        s = 0.0
        base = m0 + i * cols
        for j in range(cols):
            s += M[U(base + j)] * x[U(x0 + j)]
        out[U(o0 + i)] = s


@inline_jit
def advance_noise(xi, g, u, ub, vapi, lo, hi, scale, mode, ou, dt, ou_keep, ou_kick):
    """PAL's generate_noise for one area: white = scale * N(0, 1) (times |u|, |u_breve| or |v_api| in those
    modes), then OU: xi += (1/tau_xi) (-dt xi + sqrt(dt tau_xi) white), or held white noise.  ``ou_keep`` is
    1/tau_xi, ``ou_kick`` sqrt(dt tau_xi)."""
    for i in range(lo, hi):
        w = g[U(i)]
        if mode == BY_U:
            w = abs(u[U(i)]) * w
        elif mode == BY_U_BREVE:
            w = abs(ub[U(i)]) * w
        elif mode == BY_VAPI:
            w = abs(vapi[U(i)]) * w
        white = scale * w
        if ou:
            xi[U(i)] = xi[U(i)] + ou_keep * (-dt * xi[U(i)] + ou_kick * white)
        else:
            xi[U(i)] = white


@inline_jit
def outer(M, m0, rate, post, lo, hi, pre, p0, cols):
    """M_block[i, j] = rate * (post[lo + i] * pre[p0 + j]) (the forward update)."""
    for i in range(hi - lo):
        x = post[U(lo + i)]
        base = m0 + i * cols
        for j in range(cols):
            M[U(base + j)] = rate * (x * pre[U(p0 + j)])


@inline_jit
def silence_apical(BPI, m0, rate, vapi_old, lo, hi, rI_old, i0, cols):
    """B_PI += dt eta_PI (-v_api_old) (x) r_I_old: the interneurons learn to cancel the apical potential."""
    for i in range(hi - lo):
        x = -vapi_old[U(lo + i)]
        base = m0 + i * cols
        for j in range(cols):
            BPI[U(base + j)] += rate * (x * rI_old[U(i0 + j)])


@inline_jit
def learn_feedback(B, m0, rate, decay, xi, lo, hi, pre, p0, cols, gate):
    """B += rate (xi (x) pre) - decay B (the decay only where pre > 0 with ``gate``)."""
    for i in range(hi - lo):
        x = xi[U(lo + i)]
        base = m0 + i * cols
        if gate:
            for j in range(cols):
                q = pre[U(p0 + j)]
                B[U(base + j)] += rate * (x * q) - (decay * B[U(base + j)]) * (1.0 if q > 0.0 else 0.0)
        else:
            for j in range(cols):
                B[U(base + j)] += rate * (x * pre[U(p0 + j)]) - decay * B[U(base + j)]


@jit
def advance(n, sizes, poff, ioff, woff, boff, ipoff, kinds, c, f, eta_fw, eta_bw, eta_IP, eta_PI, alpha, sigma,
            W, B, BPI, WIP, dW, dWLO, st, sti, r0, r0_old, xi, vapi_noise,
            samples, order, targets, on, key, meta, cache,
            learn_w, learn_lat, learn_bw, compute_dw,
            step0, rec_every, rec_pos, rec_steps, rec_W, rec_B, rec_V, rec_lat, rec_WIP, rec_BPI, rec_mse,
            trace, trace_out):
    """Advance ``n`` steps; returns the next free record row.

    ``st`` rows over pyramids: u, u_old, u_breve, r, r_old, vbas, vbas_old, vapi, vapi_old, rhp (high-passed r),
    du, and scratch rows (post, phi argument, normal draws); ``sti`` rows over interneurons: uI, uI_old, uI_breve, rI, rI_old, vden, vden_old, duI.
    Step s (0-based within the call) takes input ``samples[order[s]]`` and, if ``on``, target
    ``targets[order[s]]``.  PAL's noise draws its standard normals from the generator state (``key``, ``meta``,
``cache``: kernels/mt19937.py), every hidden unit in order, as NumPy's RandomState.normal would.  A record is
    taken after every ``rec_every``-th step counted from 1 over the whole run (``step0`` steps came before).
    With ``trace``, ``trace_out[s]`` receives the output's prospective potential before step s (the teacher's
    target).
    """
    N = sizes.shape[0] - 1
    P = poff[N]
    nI = ioff[N - 1]
    u, u_old, ub, r, r_old = st[0], st[1], st[2], st[3], st[4]
    vbas, vbas_old, vapi, vapi_old, rhp, du = st[5], st[6], st[7], st[8], st[9], st[10]
    uI, uI_old, ubI, rI, rI_old, vden, vden_old, duI = sti[0], sti[1], sti[2], sti[3], sti[4], sti[5], sti[6], sti[7]
    post, du_scratch, gauss = st[11], st[12], st[13]
    dt = c[DT]
    model = f[MODEL]
    c_hid, c_out = c[C_HID], c[C_OUT]
    gbas, gapi, gden, gnI, gntgt = c[GBAS], c[GAPI], c[GDEN], c[GNI], c[GNTGT]
    tauP, tau_out, tau_notgt, tauI = c[TAU_P], c[TAU_OUT], c[TAU_NOTGT], c[TAU_I]
    use_activation, hi_pass, gate = f[USE_ACTIVATION] != 0, f[HI_PASS] != 0, f[GATE] != 0
    noise_mode, ou = f[NOISE_MODE], f[NOISE_TYPE] == OU
    ou_keep, ou_kick = 1.0 / c[TAU_XI], math.sqrt(dt * c[TAU_XI])
    hp = dt / c[TAU_HP]
    out0 = poff[N - 1]
    n_out = sizes[N]
    n0 = sizes[0]
    for s in range(n):
        if trace:
            for i in range(n_out):
                trace_out[s, i] = ub[out0 + i]
        # 1. keep the previous step's rates and dendrites
        for i in range(P):
            r_old[U(i)] = r[U(i)]
            vbas_old[U(i)] = vbas[U(i)]
            vapi_old[U(i)] = vapi[U(i)]
        for i in range(nI):
            rI_old[U(i)] = rI[U(i)]
            vden_old[U(i)] = vden[U(i)]
        for i in range(n0):
            r0_old[i] = r0[i]
        # 2. prospective potentials and rates; the new input; remember u for the next look-ahead
        for a in range(N):
            look = c[LOOK_OUT] if a == N - 1 else c[LOOK_P]
            kind = kinds[a]
            for i in range(poff[a], poff[a + 1]):
                ub[U(i)] = u_old[U(i)] + look * (u[U(i)] - u_old[U(i)]) / dt
            rates(kind, ub, r, poff[a], poff[a + 1])
        look = c[LOOK_I]
        for k in range(N - 1):
            kind = kinds[k + 1]
            for i in range(ioff[k], ioff[k + 1]):
                ubI[U(i)] = uI_old[U(i)] + look * (uI[U(i)] - uI_old[U(i)]) / dt
            rates(kind, ubI, rI, ioff[k], ioff[k + 1])
        row = order[s]
        for i in range(n0):
            r0[i] = samples[row, i]
        for i in range(P):
            u_old[U(i)] = u[U(i)]
        for i in range(nI):
            uI_old[U(i)] = uI[U(i)]
        # 3. dendritic potentials from the new rates
        matvec(W, woff[0], sizes[1], n0, r0, 0, vbas, 0)
        for a in range(1, N):
            matvec(W, woff[a], sizes[a + 1], sizes[a], r, poff[a - 1], vbas, poff[a])
        for k in range(N - 1):
            if f[INTER_LOW_PASS] != 0:
                matvec(WIP, ipoff[k], sizes[k + 2], sizes[k + 1], r, poff[k], duI, ioff[k])
                for i in range(ioff[k], ioff[k + 1]):
                    vden[U(i)] += dt / c[TAU_LO] * (duI[U(i)] - vden[U(i)])
            else:
                matvec(WIP, ipoff[k], sizes[k + 2], sizes[k + 1], r, poff[k], vden, ioff[k])
        for k in range(N - 1):
            rows, cols = sizes[k + 1], sizes[k + 2]
            matvec(B, boff[k], rows, cols, r, poff[k + 1], vapi, poff[k])
            matvec(BPI, boff[k], rows, cols, rI, ioff[k], du, poff[k])
            for i in range(poff[k], poff[k + 1]):
                vapi[U(i)] = vapi[U(i)] + du[U(i)]
                vapi_noise[U(i)] = vapi[U(i)] + xi[U(i)]
        # 4. PAL: advance the noise of every hidden area (only while B learns)
        inject = model == PAL and learn_bw
        if inject:
            mt19937.fill_normal(key, meta, cache, gauss[:out0])
            for a in range(N - 1):
                advance_noise(xi, gauss, u, ub, vapi, poff[a], poff[a + 1], sigma[a], noise_mode, ou, dt, ou_keep, ou_kick)
        # 5. somatic increments
        for k in range(N - 1):
            above = poff[k + 1] - ioff[k]
            for i in range(ioff[k], ioff[k + 1]):
                ueff = tauI * (gden * vden[U(i)] + gnI * ub[U(above + i)])
                duI[U(i)] = dt * ((ueff - uI[U(i)]) / tauI)
        api = vapi_noise if inject else vapi
        for i in range(out0):
            ueff = tauP * (gbas * vbas[U(i)] + gapi * api[U(i)])
            du[U(i)] = dt * ((ueff - u[U(i)]) / tauP)
        for i in range(n_out):
            j = out0 + i
            if on:
                ueff = tau_out * (gbas * vbas[j] + gntgt * targets[row, i])
            else:
                ueff = tau_notgt * (gbas * vbas[j])
            du[j] = dt * ((ueff - u[j]) / tau_out)
        # 6. forward updates dW (kept for the low-pass and the replay), applied below
        if compute_dw or learn_w:
            for a in range(N):
                coef = c_out if a == N - 1 else c_hid
                lo, hi = poff[a], poff[a + 1]
                if use_activation:
                    for i in range(lo, hi):
                        du_scratch[U(i)] = coef * vbas_old[U(i)]
                    rates(kinds[a], du_scratch, post, lo, hi)
                    for i in range(lo, hi):
                        post[U(i)] = r[U(i)] - post[U(i)]
                else:
                    for i in range(lo, hi):
                        post[U(i)] = ub[U(i)] - coef * vbas_old[U(i)]
                if a == 0:
                    outer(dW, woff[0], dt * eta_fw[0], post, lo, hi, r0_old, 0, n0)
                else:
                    outer(dW, woff[a], dt * eta_fw[a], post, lo, hi, r_old, poff[a - 1], sizes[a])
        # 7. lateral plasticity: W_IP towards the interneurons' own prediction, B_PI silences the apical dendrite
        if learn_lat:
            for k in range(N - 1):
                if eta_IP[k] != 0.0:
                    rate = dt * eta_IP[k]
                    kind = kinds[k + 1]
                    cols = sizes[k + 1]
                    for i in range(ioff[k + 1] - ioff[k]):
                        e = ioff[k] + i
                        mismatch = rI[e] - pal_phi(kind, c[C_DEN] * vden_old[e])
                        base = ipoff[k] + i * cols
                        for q in range(cols):
                            WIP[U(base + q)] += rate * (mismatch * r_old[U(poff[k] + q)])
        if model == BP:  # B <- W^T and B_PI <- -B from the weights before this step's update
            for k in range(N - 1):
                rows, cols = sizes[k + 1], sizes[k + 2]
                for i in range(rows):
                    for q in range(cols):
                        B[U(boff[k] + i * cols + q)] = W[U(woff[k + 1] + q * rows + i)]
                        BPI[U(boff[k] + i * cols + q)] = -B[U(boff[k] + i * cols + q)]
        if learn_lat:
            for k in range(N - 1):
                if eta_PI[k] != 0.0:
                    silence_apical(BPI, boff[k], dt * eta_PI[k], vapi_old, poff[k], poff[k + 1], rI_old, ioff[k], sizes[k + 2])
        # 8. PAL: dB = dt eta_bw (xi (x) r_pre - alpha B), r_pre high-passed (or gated regulariser)
        if model == PAL and learn_bw:
            pre = rhp if hi_pass else r
            for k in range(N - 1):
                learn_feedback(B, boff[k], dt * eta_bw[k], dt * alpha[k] * eta_bw[k], xi, poff[k], poff[k + 1], pre,
                               poff[k + 1], sizes[k + 2], gate)
        # 9. voltages, then forward weights (PAL low-passes the update)
        for i in range(P):
            u[U(i)] += du[U(i)]
        for i in range(nI):
            uI[U(i)] += duI[U(i)]
        if learn_w:
            if model == PAL and f[DW_LOW_PASS] != 0:
                lo = dt / c[TAU_LO]
                for i in range(dW.shape[0]):
                    dWLO[U(i)] += lo * (dW[U(i)] - dWLO[U(i)])
                    W[U(i)] += dWLO[U(i)]
            else:
                for i in range(dW.shape[0]):
                    W[U(i)] += dW[U(i)]
        # 10. record after every rec_every-th step of the run
        if (step0 + s + 1) % rec_every == 0 and rec_pos < rec_steps.shape[0]:
            rec_steps[rec_pos] = step0 + s + 1
            rec_W[rec_pos, :] = W
            rec_B[rec_pos, :] = B
            rec_V[rec_pos, :] = vbas
            if rec_lat:
                rec_WIP[rec_pos, :] = WIP
                rec_BPI[rec_pos, :] = BPI
            if on:
                sq = 0.0
                for i in range(n_out):
                    d = ub[out0 + i] - targets[row, i]
                    sq += d * d
                norm = math.sqrt(sq)
                rec_mse[rec_pos] = norm * norm
            else:
                rec_mse[rec_pos] = np.nan
            rec_pos += 1
        # 11. PAL: high-pass the rates for the next step's dB
        if model == PAL:
            for i in range(P):
                rhp[U(i)] = rhp[U(i)] + ((r[U(i)] - r_old[U(i)]) - hp * rhp[U(i)])
    return rec_pos
