"""Euler steps of the dendritic microcircuit as Phaseless Alignment Learning's runner integrates it (PAL's
``base_model`` for BP and FA, its ``noise_model`` for PAL; docs/pal.md §1).

Two layouts.  The network's own (models/pal.PalNet, PAL's): every matrix a dense row-major block of one flat
array -- ``W`` block a (area a+1 from area a, a = 0..N-1), ``B`` and ``BPI`` block k (hidden area k+1 from
area k+2 and from interneuron population k), ``WIP`` block k (population k from area k+1) -- and pyramidal
vectors flat over areas 1..N (``poff``), interneuron vectors over populations (``ioff``).  The kernel's: every
area and population padded to a multiple of four units, every block stored column by column with its rows so
padded (:func:`layout`).  A mat-vec is then a sum of whole columns, four rows per SIMD vector, each row's sum
in PAL's order (over the presynaptic units, first to last), and every per-unit loop runs in vectors of four
with no remainder; the padding units stay at exactly zero input, weight and update.  ``advance`` copies the
network in (:func:`pack`), runs ``n`` steps with no Python and no allocation, and copies it back.

BP's feedback, B = W^T and B_PI = -W^T from the weights before the step's update (then B_PI's lateral update),
is not transposed on every step (a fifth of a BP step): the kernel keeps W as it was before its last update and
takes B r and B_PI r_I from its columns (:func:`simd.matvec_t_pair`, four rows per vector: these two sums in
another order), writing B and B_PI out only where they are read, at records and at the end of a call.
"""

import math

import numpy as np
from numba import uintp as U

from . import mt19937
from .simd import add4, load4, logistic4, matvec, matvec_pair, matvec_t_pair, mul4, scale4, store4, sub4, transpose_tile
from .activations import LOGISTIC, SOFT_RELU, phi
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
# rows of the pyramidal state: the network's ``st`` (0-13), then the noise, the noisy apical potential, the
# noise's scratch (kernels/mt19937.fill_normal), every unit's look-ahead over dt (tau/dt, or taur tau/dt) and
# 1 on real units, 0 on padding; BP: the apical potentials of B_PI's last lateral update (LAT_V)
(UP, UP_OLD, UB, R, R_OLD, VBAS, VBAS_OLD, VAPI, VAPI_OLD, RHP, DU, POST, SCRATCH, GAUSS, XI, VAPI_NOISE, RADII,
 LOOK, REAL, LAT_V, N_PYR_ROWS) = range(21)
N_ST = 14
# rows of the interneurons' state: the network's ``sti`` (0-7), then a scratch row and (BP) the rates of B_PI's
# last lateral update
UI, UI_OLD, UBI, RI, RI_OLD, VDEN, VDEN_OLD, DUI, SCRATCH_I, LAT_R, N_INT_ROWS = range(11)
N_STI = 8
# rows of the kernel's matrices (BP: W before its last update, KW_PREV, followed by another row: a transposed
# tile may read past a block's end, simd.transpose_tile) and of the layout
KW, KW_PREV, KDW, KDWLO, KB, KBPI, KWIP, N_MATS = range(8)
L_PYR, L_INT, L_W, L_B, L_WIP, N_LAYOUT = range(6)


def pad4(n: int) -> int:
    return -(-int(n) // 4) * 4


def layout(sizes) -> np.ndarray:
    """The kernel's offsets, rows (N + 1 entries each): padded areas, padded populations, and the column-major
    blocks of W (and dW, dWLO), B (and BPI) and WIP, each column as long as its padded rows."""
    n = [int(x) for x in sizes]
    N = len(n) - 1
    lay = np.zeros((N_LAYOUT, N + 1), dtype=np.int64)
    lay[L_PYR, 1:] = np.cumsum([pad4(n[a + 1]) for a in range(N)])
    lay[L_INT, 1:N] = np.cumsum([pad4(n[k + 2]) for k in range(N - 1)])
    lay[L_W, 1:] = np.cumsum([pad4(n[a + 1]) * n[a] for a in range(N)])
    lay[L_B, 1:N] = np.cumsum([pad4(n[k + 1]) * n[k + 2] for k in range(N - 1)])
    lay[L_WIP, 1:N] = np.cumsum([pad4(n[k + 2]) * n[k + 1] for k in range(N - 1)])
    return lay


def aligned_zeros(rows: int, width: int) -> np.ndarray:
    """Zeros (rows, width) whose every row starts on a 64-byte cache line, a row an odd number of lines long.

    NumPy aligns to 16 bytes only, and a four-double load that straddles two cache lines costs twice.  Rows of
    an even number of lines would put some rows a multiple of 4 KiB apart (eight rows of 512 bytes), and a load
    from one right after a store to the other waits for the store ("4K aliasing"): with rows so placed, or
    where ``np.zeros`` happened to put them, a step ran up to 1.4x slower or faster from one process to the
    next."""
    lines = -(-int(width) // 8)
    lines += 1 - lines % 2
    width = lines * 8
    buf = np.zeros(rows * width + 8)
    skip = (-buf.ctypes.data % 64) // 8
    return buf[skip:skip + rows * width].reshape(rows, width)


def work_arrays(sizes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zeroed kernel-layout state, cache-line aligned: matrices (N_MATS rows), pyramidal and interneuron
    rows."""
    lay = layout(sizes)
    N = len(sizes) - 1
    width = max(1, int(lay[L_W, N]), int(lay[L_B, N - 1]), int(lay[L_WIP, N - 1]))
    return (aligned_zeros(N_MATS, width), aligned_zeros(N_PYR_ROWS, max(4, int(lay[L_PYR, N]))),
            aligned_zeros(N_INT_ROWS, max(4, int(lay[L_INT, N - 1]))))


@inline_jit
def pal_phi(kind, x):
    """PAL's transfer functions: activations.phi with slope 1 and offset 0, except soft_relu = log(1 + e^x)."""
    if kind == SOFT_RELU:
        return math.log(1.0 + math.exp(x))
    return phi(kind, x, 1.0, 0.0)


@inline_jit
def rates(kind, u, out, start, stop):
    """out[i] = phi(u[i]) over padded units (out may be u); the logistic four units at a time
    (simd.logistic4)."""
    if kind == LOGISTIC:
        for c in range(start, stop, 4):
            store4(out, c, logistic4(load4(u, c)))
    else:
        for i in range(start, stop):
            out[U(i)] = pal_phi(kind, u[U(i)])


@inline_jit
def transpose(W, w0, ldW, n_cols, B, BPI, b0, ldB, n_rows):
    """B = W^T and B_PI = -W^T (BP's feedback), four by four in registers (simd.transpose_tile).  W:
    column-major, ``ldW`` padded rows, ``n_cols`` columns; B: ``n_rows`` (W's rows) columns of ``ldB`` padded
    rows, padding zero."""
    for h in range(0, ldB, 4):
        for g in range(0, ldW, 4):
            transpose_tile(W, w0 + h * ldW + g, ldW, n_cols - h, B, BPI, b0 + g * ldB + h, ldB, n_rows - g)


@inline_jit
def outer(M, m0, ld, cols, rate, post, p0, pre, q0):
    """block[i, j] = rate (post[p0 + i] pre[q0 + j]) (the forward update).  Four rows at a time over all
    columns: the long loop inside, the short one outside."""
    for c in range(0, ld, 4):
        x = load4(post, p0 + c)
        b = m0 + c
        for j in range(cols):
            store4(M, b, scale4(scale4(x, pre[U(q0 + j)]), rate))
            b += ld


@inline_jit
def add_outer(M, m0, ld, cols, rate, sign, post, p0, pre, q0):
    """block[i, j] += rate ((sign post[p0 + i]) pre[q0 + j])."""
    for c in range(0, ld, 4):
        x = scale4(load4(post, p0 + c), sign)
        b = m0 + c
        for j in range(cols):
            store4(M, b, add4(load4(M, b), scale4(scale4(x, pre[U(q0 + j)]), rate)))
            b += ld


@inline_jit
def learn_feedback(B, m0, ld, cols, rate, decay, xi, p0, pre, q0, gate):
    """B += rate (xi (x) pre) - decay B (the decay only where pre > 0 with ``gate``)."""
    for c in range(0, ld, 4):
        x = load4(xi, p0 + c)
        b = m0 + c
        for j in range(cols):
            q = pre[U(q0 + j)]
            on = 1.0 if (q > 0.0 or not gate) else 0.0
            old = load4(B, b)
            store4(B, b, add4(old, sub4(scale4(scale4(x, q), rate), scale4(scale4(old, decay), on))))
            b += ld


@inline_jit
def advance_noise(xi, x0, g, g0, n, u, ub, vapi, scale, mode, ou, dt, ou_keep, ou_kick, real):
    """PAL's generate_noise for one area: white = scale * N(0, 1) (times |u|, |u_breve| or |v_api| in those
    modes), then OU: xi += (1/tau_xi) (-dt xi + sqrt(dt tau_xi) white), or held white noise.  ``ou_keep`` is
    1/tau_xi, ``ou_kick`` sqrt(dt tau_xi).  In the constant mode (every PAL file's) four units at a time over
    the padded area, the padding's lanes (which read the next area's normals) multiplied by ``real``'s 0."""
    if mode == CONST:
        for c in range(0, n, 4):
            white = scale4(load4(g, g0 + c), scale)
            if ou:
                old = load4(xi, x0 + c)
                new = add4(old, scale4(add4(scale4(old, -dt), scale4(white, ou_kick)), ou_keep))
            else:
                new = white
            store4(xi, x0 + c, mul4(new, load4(real, x0 + c)))
        return
    for i in range(n):
        k = U(x0 + i)
        w = g[U(g0 + i)]
        if mode == BY_U:
            w = abs(u[k]) * w
        elif mode == BY_U_BREVE:
            w = abs(ub[k]) * w
        elif mode == BY_VAPI:
            w = abs(vapi[k]) * w
        white = scale * w
        if ou:
            xi[k] = xi[k] + ou_keep * (-dt * xi[k] + ou_kick * white)
        else:
            xi[k] = white


@inline_jit
def bp_feedback(W_prev, lw, pp, pi, lb, sizes, B, BPI, lateral, dt, eta_PI, vapi_old, rI_old):
    """BP's B = W^T and B_PI = -W^T from the weights before the step's update, then B_PI's lateral update
    (``lateral``), as PAL's step leaves them: written out only where they are read (records, the end of a
    call); the steps in between take B r and B_PI r_I from ``W_prev`` (see :func:`steps`)."""
    N = sizes.shape[0] - 1
    for k in range(N - 1):
        transpose(W_prev, lw[k + 1], pp[k + 2] - pp[k + 1], sizes[k + 1], B, BPI, lb[k], pp[k + 1] - pp[k], sizes[k + 2])
        if lateral and eta_PI[k] != 0.0:
            add_outer(BPI, lb[k], pp[k + 1] - pp[k], sizes[k + 2], dt * eta_PI[k], -1.0, vapi_old, pp[k], rI_old, pi[k])


@inline_jit
def copy_block(ext, e0, rows, cols, ker, k0, ld, into_kernel):
    """A row-major block of the network <-> a column-major padded block of the kernel."""
    for i in range(rows):
        for j in range(cols):
            if into_kernel:
                ker[U(k0 + j * ld + i)] = ext[U(e0 + i * cols + j)]
            else:
                ext[U(e0 + i * cols + j)] = ker[U(k0 + j * ld + i)]


@inline_jit
def copy_units(ext, off, ker, koff, groups, into_kernel):
    """Per-area (or per-population) unit vectors of the network <-> their padded places in the kernel."""
    for a in range(groups):
        for i in range(off[a + 1] - off[a]):
            if into_kernel:
                ker[U(koff[a] + i)] = ext[U(off[a] + i)]
            else:
                ext[U(off[a] + i)] = ker[U(koff[a] + i)]


@jit
def pack(sizes, poff, ioff, woff, boff, ipoff, lay, W, dW, dWLO, B, BPI, WIP, st, sti, xi, vapi_noise,
         km, kv, kvi, into_kernel):
    """The network's arrays into the kernel's layout (``into_kernel``) or back."""
    N = sizes.shape[0] - 1
    pp, pi = lay[L_PYR], lay[L_INT]
    for a in range(N):
        rows, cols, ld = sizes[a + 1], sizes[a], pp[a + 1] - pp[a]
        copy_block(W, woff[a], rows, cols, km[KW], lay[L_W, a], ld, into_kernel)
        copy_block(dW, woff[a], rows, cols, km[KDW], lay[L_W, a], ld, into_kernel)
        copy_block(dWLO, woff[a], rows, cols, km[KDWLO], lay[L_W, a], ld, into_kernel)
    for k in range(N - 1):
        ld = pp[k + 1] - pp[k]
        copy_block(B, boff[k], sizes[k + 1], sizes[k + 2], km[KB], lay[L_B, k], ld, into_kernel)
        copy_block(BPI, boff[k], sizes[k + 1], sizes[k + 2], km[KBPI], lay[L_B, k], ld, into_kernel)
        copy_block(WIP, ipoff[k], sizes[k + 2], sizes[k + 1], km[KWIP], lay[L_WIP, k], pi[k + 1] - pi[k], into_kernel)
    for row in range(N_ST):
        copy_units(st[row], poff, kv[row], lay[L_PYR], N, into_kernel)
    copy_units(xi, poff, kv[XI], lay[L_PYR], N, into_kernel)
    copy_units(vapi_noise, poff, kv[VAPI_NOISE], lay[L_PYR], N, into_kernel)
    for row in range(N_STI):
        copy_units(sti[row], ioff, kvi[row], lay[L_INT], N - 1, into_kernel)


@inline_jit
def record_block(rec, pos, e0, rows, cols, ker, k0, ld):
    for i in range(rows):
        for j in range(cols):
            rec[pos, U(e0 + i * cols + j)] = ker[U(k0 + j * ld + i)]


def _steps_for(variant: int):
    """``steps`` compiled for one model (BP, FA or PAL; its switch ``f[MODEL]`` must agree).

    ``variant`` is a closure constant, so each model's kernel is compiled without the others' code (BP's
    feedback from W, PAL's noise, dB and high-pass): one function for all three was large enough that its registers
    spilled into a 4.8 KB frame, and edits to code a model never ran moved its step by up to 15 %.  Numba keys
    its cache on the closure's values, so the three kernels are cached apart; each compiles on first use."""

    @kernel_jit(error_model="numpy", _nrt=False)
    def steps(n, sizes, poff, lay, kinds, c, f, eta_fw, eta_bw, eta_IP, eta_PI, alpha, sigma, km, kv, kvi, r0, r0_old,
              samples, order, targets, on, key, meta, cache, tempered, learn_w, learn_lat, learn_bw, compute_dw,
              step0, rec_every, rec_pos, rec_steps, woff, boff, ipoff, rec_W, rec_B, rec_V, rec_lat, rec_WIP, rec_BPI,
              rec_mse, trace, trace_out):
        """``n`` steps in the kernel's layout; returns the next free record row (see :func:`advance`)."""
        N = sizes.shape[0] - 1
        pp, pi, lw, lb, li = lay[L_PYR], lay[L_INT], lay[L_W], lay[L_B], lay[L_WIP]
        P, nI = pp[N], pi[N - 1]
        W, dW, dWLO, B, BPI, WIP, W_prev = km[KW], km[KDW], km[KDWLO], km[KB], km[KBPI], km[KWIP], km[KW_PREV]
        u, u_old, ub, r, r_old = kv[UP], kv[UP_OLD], kv[UB], kv[R], kv[R_OLD]
        vbas, vbas_old, vapi, vapi_old, rhp, du = kv[VBAS], kv[VBAS_OLD], kv[VAPI], kv[VAPI_OLD], kv[RHP], kv[DU]
        post, scratch, gauss, xi, vapi_noise = kv[POST], kv[SCRATCH], kv[GAUSS], kv[XI], kv[VAPI_NOISE]
        uI, uI_old, ubI, rI, rI_old = kvi[UI], kvi[UI_OLD], kvi[UBI], kvi[RI], kvi[RI_OLD]
        vden, vden_old, duI, scratch_i = kvi[VDEN], kvi[VDEN_OLD], kvi[DUI], kvi[SCRATCH_I]
        dt = c[DT]
        model = variant  # a constant of this compilation: the other models' code is compiled out
        c_hid, c_out = c[C_HID], c[C_OUT]
        gbas, gapi, gden, gnI, gntgt = c[GBAS], c[GAPI], c[GDEN], c[GNI], c[GNTGT]
        tauP, tau_out, tau_notgt, tauI = c[TAU_P], c[TAU_OUT], c[TAU_NOTGT], c[TAU_I]
        # divisions by a constant as multiplications by its reciprocal: a four-lane division occupies the
        # divider for 8 cycles, and four loops of them per step were bound by it (last-bit differences)
        dt_tauP, dt_tau_out, dt_tauI = dt / tauP, dt / tau_out, dt / tauI
        use_activation, hi_pass, gate = f[USE_ACTIVATION] != 0, f[HI_PASS] != 0, f[GATE] != 0
        noise_mode, ou = f[NOISE_MODE], f[NOISE_TYPE] == OU
        ou_keep, ou_kick = 1.0 / c[TAU_XI], math.sqrt(dt * c[TAU_XI])
        hp = dt / c[TAU_HP]
        lo_pass = dt / c[TAU_LO]
        out0 = pp[N - 1]
        n_out = sizes[N]
        n0 = sizes[0]
        n_hidden = poff[N - 1]  # hidden units, unpadded: the normals drawn per step
        inject = model == PAL and learn_bw
        # array views chosen once: rebinding an array inside the loop costs reference counting on every step
        den = duI if f[INTER_LOW_PASS] != 0 else vden
        api = vapi_noise if inject else vapi
        pre = rhp if hi_pass else r
        drawn = gauss[:n_hidden]
        radii = kv[RADII]
        look = kv[LOOK]
        real = kv[REAL]
        lat_v, lat_r = kv[LAT_V], kvi[LAT_R]
        if model == BP:
            for i in range(lw[N]):
                W_prev[U(i)] = W[U(i)]
        for a in range(N):
            for q in range(pp[a], pp[a + 1]):
                look[U(q)] = (c[LOOK_OUT] if a == N - 1 else c[LOOK_P]) / dt
                real[U(q)] = 1.0 if q < pp[a] + sizes[a + 1] else 0.0
        same_kind = True
        for a in range(N):
            same_kind = same_kind and kinds[a] == kinds[0]
        for s in range(n):
            if trace:
                for i in range(n_out):
                    trace_out[s, i] = ub[out0 + i]
            # 1-2. keep the previous step's rates and dendrites; prospective potentials and rates; remember u for the
            # next look-ahead
            for q in range(0, P, 4):
                store4(r_old, q, load4(r, q))
                store4(vbas_old, q, load4(vbas, q))
                store4(vapi_old, q, load4(vapi, q))
                now, before = load4(u, q), load4(u_old, q)
                store4(ub, q, add4(before, mul4(load4(look, q), sub4(now, before))))
                store4(u_old, q, now)
            look_I = c[LOOK_I] / dt
            for q in range(0, nI, 4):
                store4(rI_old, q, load4(rI, q))
                store4(vden_old, q, load4(vden, q))
                now, before = load4(uI, q), load4(uI_old, q)
                store4(ubI, q, add4(before, scale4(sub4(now, before), look_I)))
                store4(uI_old, q, now)
            if same_kind:
                rates(kinds[0], ub, r, 0, P)
                rates(kinds[0], ubI, rI, 0, nI)
            else:
                for a in range(N):
                    rates(kinds[a], ub, r, pp[a], pp[a + 1])
                for k in range(N - 1):
                    rates(kinds[k + 1], ubI, rI, pi[k], pi[k + 1])
            for i in range(n0):
                r0_old[i] = r0[i]
            row = order[s]
            for i in range(n0):
                r0[i] = samples[row, i]
            # 3. dendritic potentials from the new rates; W of area k+1 and W_IP of population k share their shape and
            # their input (area k), B and B_PI of hidden area k their shape
            matvec(W, lw[0], r0, 0, vbas, pp[0], pp[1] - pp[0], n0)
            for k in range(N - 1):
                ld = pp[k + 2] - pp[k + 1]
                matvec_pair(W, lw[k + 1], r, pp[k], vbas, pp[k + 1], WIP, li[k], r, pp[k], den, pi[k], ld, sizes[k + 1])
                if f[INTER_LOW_PASS] != 0:
                    for q in range(pi[k], pi[k + 1]):
                        i = U(q)
                        vden[i] += lo_pass * (duI[i] - vden[i])
            for k in range(N - 1):
                if model == BP and s > 0:
                    # B = W^T and B_PI = -W^T + dB_PI (the last step's lateral update, dt eta_PI (-v_api) (x) r_I),
                    # applied without writing them: B r and W^T r_I from the columns of W (before its last
                    # update), dB_PI r_I = -dt eta_PI v_api (r_I . r_I_now); the same sums in another order
                    matvec_t_pair(W_prev, lw[k + 1], pp[k + 2] - pp[k + 1], sizes[k + 1], pp[k + 1] - pp[k], r, pp[k + 1],
                                  vapi, pp[k], rI, pi[k], du, pp[k])
                    lat = 0.0
                    if learn_lat and eta_PI[k] != 0.0:
                        for i in range(sizes[k + 2]):
                            lat += lat_r[U(pi[k] + i)] * rI[U(pi[k] + i)]
                        lat *= dt * eta_PI[k]
                    for q in range(pp[k], pp[k + 1], 4):
                        store4(du, q, sub4(scale4(load4(lat_v, q), -lat), load4(du, q)))
                else:
                    matvec_pair(B, lb[k], r, pp[k + 1], vapi, pp[k], BPI, lb[k], rI, pi[k], du, pp[k], pp[k + 1] - pp[k],
                                sizes[k + 2])
            for q in range(0, out0, 4):
                v = add4(load4(vapi, q), load4(du, q))
                store4(vapi, q, v)
                store4(vapi_noise, q, add4(v, load4(xi, q)))
            # 4. PAL: advance the noise of every hidden area (only while B learns)
            if inject:
                mt19937.fill_normal(key, meta, cache, tempered, drawn, radii)
                for a in range(N - 1):
                    advance_noise(xi, pp[a], gauss, poff[a], sizes[a + 1], u, ub, vapi, sigma[a], noise_mode, ou, dt,
                                  ou_keep, ou_kick, real)
            # 5. somatic increments (population k sits below area k+1: padded alike, so one offset for all)
            for q in range(0, nI, 4):
                ueff = scale4(add4(scale4(load4(vden, q), gden), scale4(load4(ub, pp[1] + q), gnI)), tauI)
                store4(duI, q, scale4(sub4(ueff, load4(uI, q)), dt_tauI))
            for q in range(0, out0, 4):
                ueff = scale4(add4(scale4(load4(vbas, q), gbas), scale4(load4(api, q), gapi)), tauP)
                store4(du, q, scale4(sub4(ueff, load4(u, q)), dt_tauP))
            for i in range(n_out):
                j = out0 + i
                if on:
                    ueff = tau_out * (gbas * vbas[j] + gntgt * targets[row, i])
                else:
                    ueff = tau_notgt * (gbas * vbas[j])
                du[j] = (ueff - u[j]) * dt_tau_out
            # 6. forward updates dW (kept for the low-pass and the replay), applied below
            if compute_dw or learn_w:
                for a in range(N):
                    coef = c_out if a == N - 1 else c_hid
                    lo, hi = pp[a], pp[a + 1]
                    if use_activation:
                        for q in range(lo, hi, 4):
                            store4(scratch, q, scale4(load4(vbas_old, q), coef))
                        rates(kinds[a], scratch, post, lo, hi)
                        for q in range(lo, hi, 4):
                            store4(post, q, sub4(load4(r, q), load4(post, q)))
                    else:
                        for q in range(lo, hi, 4):
                            store4(post, q, sub4(load4(ub, q), scale4(load4(vbas_old, q), coef)))
                    if a == 0:
                        outer(dW, lw[0], hi - lo, n0, dt * eta_fw[0], post, lo, r0_old, 0)
                    else:
                        outer(dW, lw[a], hi - lo, sizes[a], dt * eta_fw[a], post, lo, r_old, pp[a - 1])
            # 7. lateral plasticity: W_IP towards the interneurons' own prediction, B_PI silences the apical dendrite
            if learn_lat:
                for k in range(N - 1):
                    if eta_IP[k] != 0.0:
                        lo, hi = pi[k], pi[k + 1]
                        for q in range(lo, hi):
                            scratch_i[U(q)] = c[C_DEN] * vden_old[U(q)]
                        rates(kinds[k + 1], scratch_i, scratch_i, lo, hi)
                        for q in range(lo, hi):
                            scratch_i[U(q)] = rI[U(q)] - scratch_i[U(q)]
                        add_outer(WIP, li[k], hi - lo, sizes[k + 1], dt * eta_IP[k], 1.0, scratch_i, lo, r_old, pp[k])
            if learn_lat and model == BP:  # kept for the next step's dB_PI r_I (B_PI itself is rewritten from W)
                for q in range(0, out0, 4):
                    store4(lat_v, q, load4(vapi_old, q))
                for q in range(0, nI, 4):
                    store4(lat_r, q, load4(rI_old, q))
            elif learn_lat:
                for k in range(N - 1):
                    if eta_PI[k] != 0.0:
                        add_outer(BPI, lb[k], pp[k + 1] - pp[k], sizes[k + 2], dt * eta_PI[k], -1.0, vapi_old, pp[k],
                                  rI_old, pi[k])
            # 8. PAL: dB = dt eta_bw (xi (x) r_pre - alpha B), r_pre high-passed (or gated regulariser)
            if inject:
                for k in range(N - 1):
                    learn_feedback(B, lb[k], pp[k + 1] - pp[k], sizes[k + 2], dt * eta_bw[k], dt * alpha[k] * eta_bw[k],
                                   xi, pp[k], pre, pp[k + 1], gate)
            # 9. voltages, then forward weights (PAL low-passes the update)
            for q in range(0, P, 4):
                store4(u, q, add4(load4(u, q), load4(du, q)))
            for q in range(0, nI, 4):
                store4(uI, q, add4(load4(uI, q), load4(duI, q)))
            if learn_w:
                nw = lw[N]
                if model == PAL and f[DW_LOW_PASS] != 0:
                    for i in range(nw):
                        dWLO[U(i)] += lo_pass * (dW[U(i)] - dWLO[U(i)])
                        W[U(i)] += dWLO[U(i)]
                elif model == BP:
                    for i in range(nw):
                        W_prev[U(i)] = W[U(i)]
                        W[U(i)] += dW[U(i)]
                else:
                    for i in range(nw):
                        W[U(i)] += dW[U(i)]
            # 10. record after every rec_every-th step of the run, in the network's layout
            if (step0 + s + 1) % rec_every == 0 and rec_pos < rec_steps.shape[0]:
                rec_steps[rec_pos] = step0 + s + 1
                if model == BP:
                    bp_feedback(W_prev, lw, pp, pi, lb, sizes, B, BPI, learn_lat, dt, eta_PI, vapi_old, rI_old)
                for a in range(N):
                    record_block(rec_W, rec_pos, woff[a], sizes[a + 1], sizes[a], W, lw[a], pp[a + 1] - pp[a])
                    for i in range(sizes[a + 1]):
                        rec_V[rec_pos, poff[a] + i] = vbas[pp[a] + i]
                for k in range(N - 1):
                    record_block(rec_B, rec_pos, boff[k], sizes[k + 1], sizes[k + 2], B, lb[k], pp[k + 1] - pp[k])
                    if rec_lat:
                        record_block(rec_BPI, rec_pos, boff[k], sizes[k + 1], sizes[k + 2], BPI, lb[k], pp[k + 1] - pp[k])
                        record_block(rec_WIP, rec_pos, ipoff[k], sizes[k + 2], sizes[k + 1], WIP, li[k], pi[k + 1] - pi[k])
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
            # 11. PAL: high-pass the rates for the next step's dB, kept at 0 on padding units: their rate is phi(0),
            # and its high-pass, left to decay, would sink into subnormal numbers, which cost a microcode assist per
            # operation
            if model == PAL:
                for q in range(0, P, 4):
                    old = load4(rhp, q)
                    new = add4(old, sub4(sub4(load4(r, q), load4(r_old, q)), scale4(old, hp)))
                    store4(rhp, q, mul4(new, load4(real, q)))
        if model == BP and n > 0:
            bp_feedback(W_prev, lw, pp, pi, lb, sizes, B, BPI, learn_lat, dt, eta_PI, vapi_old, rI_old)
        return rec_pos

    return steps


STEPS = (_steps_for(BP), _steps_for(FA), _steps_for(PAL))  # indexed by model


def advance(n, sizes, poff, ioff, woff, boff, ipoff, lay, kinds, c, f, eta_fw, eta_bw, eta_IP, eta_PI, alpha, sigma,
            W, B, BPI, WIP, dW, dWLO, st, sti, r0, r0_old, xi, vapi_noise, km, kv, kvi,
            samples, order, targets, on, key, meta, cache, tempered,
            learn_w, learn_lat, learn_bw, compute_dw,
            step0, rec_every, rec_pos, rec_steps, rec_W, rec_B, rec_V, rec_lat, rec_WIP, rec_BPI, rec_mse,
            trace, trace_out):
    """Advance ``n`` steps of the network; returns the next free record row.

    ``st`` rows over pyramids: u, u_old, u_breve, r, r_old, vbas, vbas_old, vapi, vapi_old, rhp (high-passed r),
    du, and scratch rows (post, phi argument, normal draws); ``sti`` rows over interneurons: uI, uI_old,
    uI_breve, rI, rI_old, vden, vden_old, duI; ``km``, ``kv``, ``kvi`` the kernel's copies (:func:`work_arrays`).
    Step s (0-based within the call) takes input ``samples[order[s]]`` and, if ``on``, target
    ``targets[order[s]]``.  PAL's noise draws its standard normals from the generator state (``key``, ``meta``,
    ``cache``: kernels/mt19937.py), every hidden unit in order, as NumPy's RandomState.normal would.  A record is
    taken after every ``rec_every``-th step counted from 1 over the whole run (``step0`` steps came before).
    With ``trace``, ``trace_out[s]`` receives the output's prospective potential before step s (the teacher's
    target).

    Three compiled calls, not one: linked into a jitted caller, ``steps`` is optimised again with it, and that
    copy ran 1.3x slower than ``steps`` compiled on its own (the code a process got depended on whether it
    compiled the kernel or loaded it from the cache).  Per call of 65,536 steps, the two dispatches more cost
    nothing measurable.
    """
    pack(sizes, poff, ioff, woff, boff, ipoff, lay, W, dW, dWLO, B, BPI, WIP, st, sti, xi, vapi_noise, km, kv, kvi, True)
    run = STEPS[int(f[MODEL])]
    rec_pos = run(n, sizes, poff, lay, kinds, c, f, eta_fw, eta_bw, eta_IP, eta_PI, alpha, sigma, km, kv, kvi, r0, r0_old,
                  samples, order, targets, on, key, meta, cache, tempered, learn_w, learn_lat, learn_bw, compute_dw,
                  step0, rec_every, rec_pos, rec_steps, woff, boff, ipoff, rec_W, rec_B, rec_V, rec_lat, rec_WIP,
                  rec_BPI, rec_mse, trace, trace_out)
    pack(sizes, poff, ioff, woff, boff, ipoff, lay, W, dW, dWLO, B, BPI, WIP, st, sti, xi, vapi_noise, km, kv, kvi,
         False)
    return rec_pos
