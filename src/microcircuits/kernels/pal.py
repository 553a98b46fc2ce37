"""Euler steps of the dendritic microcircuit as Phaseless Alignment Learning's runner integrates it (PAL's
``base_model`` for BP and FA, its ``noise_model`` for PAL; docs/models.md §6).

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

from .activations import SOFT_RELU, dphi, phi
from .cache import kernel_jit

jit = kernel_jit(error_model="numpy")
inline_jit = kernel_jit(error_model="numpy", inline="always")

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
    """PAL's transfer functions: ENM's with slope 1 and offset 0, except soft_relu = log(1 + e^x)."""
    if kind == SOFT_RELU:
        return math.log(1.0 + math.exp(x))
    return phi(kind, x, 1.0, 0.0)


@inline_jit
def pal_dphi(kind, x):
    if kind == SOFT_RELU:
        return 1.0 / (1.0 + math.exp(-x))
    return dphi(kind, x)


@inline_jit
def matvec(M, m0, rows, cols, x, x0, out, o0):
    """out[o0:o0+rows] = M_block @ x[x0:x0+cols], each row summed in order."""
    for i in range(rows):
        s = 0.0
        base = m0 + i * cols
        for j in range(cols):
            s += M[U(base + j)] * x[U(x0 + j)]
        out[U(o0 + i)] = s


@jit
def advance(n, sizes, poff, ioff, woff, boff, ipoff, kinds, c, f, eta_fw, eta_bw, eta_IP, eta_PI, alpha, sigma,
            W, B, BPI, WIP, dW, dWLO, st, sti, r0, r0_old, xi, vapi_noise,
            samples, order, targets, on, gauss,
            learn_w, learn_lat, learn_bw, compute_dw,
            step0, rec_every, rec_pos, rec_steps, rec_W, rec_B, rec_V, rec_lat, rec_WIP, rec_BPI, rec_mse,
            trace, trace_out):
    """Advance ``n`` steps; returns the next free record row.

    ``st`` rows over pyramids: u, u_old, u_breve, r, r_old, vbas, vbas_old, vapi, vapi_old, rhp (high-passed r),
    du, dB scratch unused; ``sti`` rows over interneurons: uI, uI_old, uI_breve, rI, rI_old, vden, vden_old, duI.
    Step s (0-based within the call) takes input ``samples[order[s]]`` and, if ``on``, target
    ``targets[order[s]]``; ``gauss[s]`` holds its standard-normal draws (hidden areas in order).  A record is
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
    dt = c[DT]
    model = f[MODEL]
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
                r[U(i)] = pal_phi(kind, ub[U(i)])
        look = c[LOOK_I]
        for k in range(N - 1):
            kind = kinds[k + 1]
            for i in range(ioff[k], ioff[k + 1]):
                ubI[U(i)] = uI_old[U(i)] + look * (uI[U(i)] - uI_old[U(i)]) / dt
                rI[U(i)] = pal_phi(kind, ubI[U(i)])
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
            mode = f[NOISE_MODE]
            for a in range(N - 1):
                scale = sigma[a]
                for i in range(poff[a], poff[a + 1]):
                    g = gauss[s, i]
                    if mode == BY_U:
                        g = abs(u[U(i)]) * g
                    elif mode == BY_U_BREVE:
                        g = abs(ub[U(i)]) * g
                    elif mode == BY_VAPI:
                        g = abs(vapi[U(i)]) * g
                    white = scale * g
                    if f[NOISE_TYPE] == OU:
                        xi[U(i)] = xi[U(i)] + 1.0 / c[TAU_XI] * (-dt * xi[U(i)] + math.sqrt(dt * c[TAU_XI]) * white)
                    else:
                        xi[U(i)] = white
        # 5. somatic increments
        tau = c[TAU_I]
        for k in range(N - 1):
            above = poff[k + 1] - ioff[k]
            for i in range(ioff[k], ioff[k + 1]):
                ueff = tau * (c[GDEN] * vden[U(i)] + c[GNI] * ub[U(above + i)])
                duI[U(i)] = dt * ((ueff - uI[U(i)]) / tau)
        tau = c[TAU_P]
        for i in range(out0):
            api = vapi_noise[U(i)] if inject else vapi[U(i)]
            ueff = tau * (c[GBAS] * vbas[U(i)] + c[GAPI] * api)
            du[U(i)] = dt * ((ueff - u[U(i)]) / tau)
        tau = c[TAU_OUT]
        for i in range(n_out):
            j = out0 + i
            if on:
                ueff = tau * (c[GBAS] * vbas[j] + c[GNTGT] * targets[row, i])
            else:
                ueff = c[TAU_NOTGT] * (c[GBAS] * vbas[j])
            du[j] = dt * ((ueff - u[j]) / tau)
        # 6. forward updates dW (kept for the low-pass and the replay), applied below
        if compute_dw or learn_w:
            for a in range(N):
                coef = c[C_OUT] if a == N - 1 else c[C_HID]
                rate = dt * eta_fw[a]
                kind = kinds[a]
                cols = sizes[a]
                for i in range(sizes[a + 1]):
                    j = poff[a] + i
                    if f[USE_ACTIVATION] != 0:
                        post = r[j] - pal_phi(kind, coef * vbas_old[j])
                    else:
                        post = ub[j] - coef * vbas_old[j]
                    base = woff[a] + i * cols
                    for q in range(cols):
                        pre = r0_old[q] if a == 0 else r_old[poff[a - 1] + q]
                        dW[U(base + q)] = rate * (post * pre)
        # 7. lateral plasticity: W_IP towards the interneurons' own prediction, B_PI silences the apical dendrite
        if learn_lat:
            for k in range(N - 1):
                if eta_IP[k] != 0.0:
                    rate = dt * eta_IP[k]
                    kind = kinds[k + 1]
                    cols = sizes[k + 1]
                    for i in range(ioff[k + 1] - ioff[k]):
                        e = ioff[k] + i
                        post = rI[e] - pal_phi(kind, c[C_DEN] * vden_old[e])
                        base = ipoff[k] + i * cols
                        for q in range(cols):
                            WIP[U(base + q)] += rate * (post * r_old[poff[k] + q])
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
                    rate = dt * eta_PI[k]
                    cols = sizes[k + 2]
                    for i in range(sizes[k + 1]):
                        post = -vapi_old[poff[k] + i]
                        base = boff[k] + i * cols
                        for q in range(cols):
                            BPI[U(base + q)] += rate * (post * rI_old[ioff[k] + q])
        # 8. PAL: dB = dt eta_bw (xi (x) r_pre - alpha B), r_pre high-passed (or gated regulariser)
        if model == PAL and learn_bw:
            for k in range(N - 1):
                rate = dt * eta_bw[k]
                decay = dt * alpha[k] * eta_bw[k]
                cols = sizes[k + 2]
                pre0 = poff[k + 1]
                for i in range(sizes[k + 1]):
                    noise = xi[poff[k] + i]
                    base = boff[k] + i * cols
                    for q in range(cols):
                        pre = rhp[pre0 + q] if f[HI_PASS] != 0 else r[pre0 + q]
                        reg = decay * B[U(base + q)]
                        if f[GATE] != 0:
                            reg = reg * (1.0 if pre > 0.0 else 0.0)
                        B[U(base + q)] += rate * (noise * pre) - reg
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
            hp = dt / c[TAU_HP]
            for i in range(P):
                rhp[U(i)] = rhp[U(i)] + ((r[U(i)] - r_old[U(i)]) - hp * rhp[U(i)])
    return rec_pos
