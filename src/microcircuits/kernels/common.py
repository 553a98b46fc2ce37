"""Pieces shared by the model kernels: block mat-vecs, prospective rates, BP feedback, forward plasticity.

Style for speed, measured on the Fig. 3 networks: every function binds the arrays it needs to locals; hot
loops index with unsigned integers (``U``), which spares Numba's negative-index wraparound and lets LLVM
vectorise; mat-vecs work on four rows at once, each row still summed in order (bit-identical to the plain
loop); the loops that call a step borrow the records first (structs.borrowed), so that no reference counting
runs per step.  ``error_model="numpy"`` makes 0/0 a NaN as in NumPy (the angle of a zero update).
"""

from numba import uintp as U

from . import vecmath
from .activations import LINEAR, LOGISTIC, TANH, dphi, phi
from .cache import kernel_jit

VECTOR_AREA = 4  # areas with fewer units evaluate tanh one unit at a time (vecmath.tanh_scalar)
jit = kernel_jit(error_model="numpy")
inline_jit = kernel_jit(error_model="numpy", inline="always")


@inline_jit
def copy(dst, src):
    for i in range(src.shape[0]):
        dst[U(i)] = src[U(i)]


@inline_jit
def fill(dst, value):
    for i in range(dst.shape[0]):
        dst[U(i)] = value


@inline_jit
def matvec_add(data, ptr, rows, cols, vec, vec_off, out, out_off):
    """out[out_off:out_off+rows] += M @ vec[vec_off:vec_off+cols] for the row-major block at data[ptr:]."""
    c = U(cols)
    v0 = U(vec_off)
    i = 0
    while i + 4 <= rows:
        b0 = U(ptr + i * cols)
        b1 = b0 + c
        b2 = b1 + c
        b3 = b2 + c
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for j in range(cols):
            jj = U(j)
            x = vec[v0 + jj]
            s0 += data[b0 + jj] * x
            s1 += data[b1 + jj] * x
            s2 += data[b2 + jj] * x
            s3 += data[b3 + jj] * x
        o = U(out_off + i)
        out[o] += s0
        out[o + U(1)] += s1
        out[o + U(2)] += s2
        out[o + U(3)] += s3
        i += 4
    while i < rows:
        b = U(ptr + i * cols)
        s = 0.0
        for j in range(cols):
            s += data[b + U(j)] * vec[v0 + U(j)]
        out[U(out_off + i)] += s
        i += 1


@inline_jit
def matvec_t_add(data, ptr, rows, cols, vec, vec_off, out, out_off, triu):
    """out[out_off+i] += sum_j M[i, j] vec[vec_off+j] for a block stored transposed (M[i, j] at
    data[ptr + j*rows + i]); with ``triu`` only i <= j.  Each out entry accumulates its terms in order of j."""
    o = U(out_off)
    for j in range(cols):
        x = vec[U(vec_off + j)]
        base = U(ptr + j * rows)
        imax = min(j + 1, rows) if triu else rows
        for i in range(imax):
            out[o + U(i)] += data[base + U(i)] * x


@inline_jit
def forward_drive(net, rates, out):
    """out = basal drive of every representation area: the sum over forward blocks of W_block @ rates_pre."""
    W, ptr, rows, cols = net.W, net.fw_ptr, net.fw_rows, net.fw_cols
    post, pre, area_off, rep_off = net.fw_post, net.fw_pre, net.area_off, net.rep_off
    fill(out, 0.0)
    for k in range(post.shape[0]):
        matvec_add(W, ptr[k], rows[k], cols[k], rates, area_off[pre[k]], out, rep_off[post[k]])


@inline_jit
def rate_and_slope(kind, x, slope, offset):
    """(phi(x), phi'(x)); with slope 1 and offset 0 one tanh (or exp) serves both, with the same values
    phi and phi' give."""
    if slope == 1.0 and offset == 0.0:
        if kind == TANH:
            y = phi(TANH, x, 1.0, 0.0)
            return y, 1.0 - y * y
        if kind == LOGISTIC:
            y = phi(LOGISTIC, x, 1.0, 0.0)
            return y, y * (1.0 - y)
    return phi(kind, x, slope, offset), dphi(kind, x)


@inline_jit
def prospective(u, u_prev, u_breve, lo, hi, tau, dt):
    """u_breve = u_prev + tau*(u - u_prev)/dt on units lo..hi-1 (a plain loop, so it vectorises)."""
    for i in range(lo, hi):
        k = U(i)
        u_breve[k] = u_prev[k] + tau * (u[k] - u_prev[k]) / dt


@inline_jit
def rep_prospective(net, st):
    """u_breve = u_prev + taur*tau*(u - u_prev)/dt, then rate phi and derivative phi' per unit.

    An area without look-ahead (the DMS task) takes its rate from u itself; phi' always uses u_breve.
    """
    u, u_prev, u_breve, rates, d = st.u, st.u_prev, st.u_breve, st.rates, st.d
    slope, offset, rep_off, dt = net.slope, net.offset, net.rep_off, net.dt
    n_in = net.area_off[1]
    for a in range(1, net.n_areas + 1):
        prospective(u, u_prev, u_breve, rep_off[a], rep_off[a + 1], net.taur * net.tau_rep[a], dt)
        kind = net.act_kind[a]
        dkind = net.der_kind[a]
        look = net.rep_lookahead[a]
        lo, hi = rep_off[a], rep_off[a + 1]
        plain = net.rep_plain[a]  # slope 1 and offset 0 throughout the area
        # branch-free loops per area, so that they vectorise; with plain units one tanh (or exp) gives phi
        # and phi', the values phi and dphi give.  tanh is vecmath's (within 2 ulp of libm's, docs/deviations.md):
        # four units at a time in areas of VECTOR_AREA units or more, one at a time (same bits) in smaller ones
        one_eval = look and plain and kind == dkind
        if one_eval and kind == TANH and hi - lo >= VECTOR_AREA:
            for i in range(lo, hi):
                y = vecmath.tanh(u_breve[U(i)])
                rates[U(n_in + i)] = y
                d[U(i)] = 1.0 - y * y
        elif one_eval and kind == TANH:
            for i in range(lo, hi):
                y = vecmath.tanh_scalar(u_breve[U(i)])
                rates[U(n_in + i)] = y
                d[U(i)] = 1.0 - y * y
        elif one_eval and kind == LOGISTIC:
            for i in range(lo, hi):
                y = phi(LOGISTIC, u_breve[U(i)], 1.0, 0.0)
                rates[U(n_in + i)] = y
                d[U(i)] = y * (1.0 - y)
        else:
            src = u_breve if look else u
            for i in range(lo, hi):
                rates[U(n_in + i)] = phi(kind, src[U(i)], slope[U(i)], offset[U(i)])
            for i in range(lo, hi):
                d[U(i)] = dphi(dkind, u_breve[U(i)])


@inline_jit
def pop_prospective(net, st):
    """The same for the second population (error units, interneurons): uI_breve and its rate rI."""
    uI, uI_prev, uI_breve, rI = st.uI, st.uI_prev, st.uI_breve, st.rI
    slope, offset, pop_off, dt = net.err_slope, net.err_offset, net.pop_off, net.dt
    for a in range(1, net.n_areas + 1):
        prospective(uI, uI_prev, uI_breve, pop_off[a], pop_off[a + 1], net.taur * net.tau_err[a], dt)
        kind = net.err_kind[a]
        src = uI_breve if net.err_lookahead[a] else uI
        if kind == LINEAR:
            for i in range(pop_off[a], pop_off[a + 1]):
                k = U(i)
                rI[k] = (src[k] - offset[k]) * slope[k]
        else:
            for i in range(pop_off[a], pop_off[a + 1]):
                k = U(i)
                rI[k] = phi(kind, src[k], slope[k], offset[k])


@inline_jit
def rebuild_feedback(net):
    """BP mode: B <- W^T (of the paired units) + fixed noise, from the current (pre-update) forward weights.

    Only blocks flagged ``bw_live`` are recomputed: they have a source forward block (``bw_src``) whose
    weights can change.  The other blocks (sources that never learn; errormc's within-area blocks, which are
    noise only and upper-triangular) keep the values set at construction, the same numbers a rebuild would
    give.  So do the entries of unpaired units (more error than representation units): the rebuild would
    write 0 + noise, the value they were built with.  Blocks are stored sender-major, like their source, so
    this is an element-wise sum.
    """
    B, W, noise = net.B, net.W, net.B_noise
    bw_rows, bw_cols, bw_ptr, bw_src, live = net.bw_rows, net.bw_cols, net.bw_ptr, net.bw_src, net.bw_live
    fw_ptr, fw_cols, npair, recv, send = net.fw_ptr, net.fw_cols, net.npair, net.bw_recv, net.bw_send
    for k in range(recv.shape[0]):
        if not live[k]:
            continue
        rows = bw_rows[k]
        pa = min(npair[recv[k]], rows)
        pb = min(npair[send[k]], bw_cols[k])
        src = bw_src[k]
        sp = U(fw_ptr[src])
        scols = fw_cols[src]  # receiving area's representation units (can differ from error units)
        for j in range(pb):  # senders beyond pb, receivers beyond pa: unpaired, constant
            base = U(bw_ptr[k] + j * rows)
            wb = sp + U(j * scols)
            for i in range(pa):
                B[base + U(i)] = W[wb + U(i)] + noise[base + U(i)]


@inline_jit
def forward_updates(net, st, learn_w, store_dw):
    """dW_ab = dt*eta_ab*(post_a - c_a*vbas_old_a) (x) r_old_b for every forward block.

    ``post`` is u_breve (voltage rule) or the rate with phi(c_a*vbas_old) subtracted (dWPP_use_activation);
    c_a = ``c_pred[a]`` (gbas/(gl+gbas+gapi), sacramento2018/dPC outputs gbas/(gl+gbas)).  Zero-rate blocks
    are skipped (their update is zero).  The update goes into W when learning (through the low-pass filter
    if asked) and into ``dW`` when asked (replay).
    """
    W, dW, dW_lp, eta = net.W, net.dW, net.dW_lp, net.eta_fw
    fw_post, fw_pre, fw_rows, fw_cols, fw_ptr = net.fw_post, net.fw_pre, net.fw_rows, net.fw_cols, net.fw_ptr
    rates, rates_old, u_breve, vbas_old = st.rates, st.rates_old, st.u_breve, st.vbas_old
    slope, offset, rep_off, area_off, c_pred = net.slope, net.offset, net.rep_off, net.area_off, net.c_pred
    n_in = area_off[1]
    dt = net.dt
    lp_rate = net.dt / net.tauLO
    low_pass = net.dw_low_pass and learn_w
    for k in range(fw_post.shape[0]):
        if eta[k] == 0.0 and not low_pass:
            if store_dw:
                for i in range(fw_ptr[k], fw_ptr[k + 1]):
                    dW[U(i)] = 0.0
            continue
        rate = dt * eta[k]
        a = fw_post[k]
        c = c_pred[a]
        cols = fw_cols[k]
        q0 = U(area_off[fw_pre[k]])
        kind = net.act_kind[a]
        for i in range(fw_rows[k]):
            ir = rep_off[a] + i
            if net.dw_use_activation:
                post = rates[n_in + ir] - phi(kind, c * vbas_old[ir], slope[ir], offset[ir])
            else:
                post = u_breve[ir] - c * vbas_old[ir]
            base = U(fw_ptr[k] + i * cols)
            if low_pass:
                for j in range(cols):
                    v = rate * (post * rates_old[q0 + U(j)])
                    lp = dW_lp[base + U(j)] + lp_rate * (v - dW_lp[base + U(j)])
                    dW_lp[base + U(j)] = lp
                    W[base + U(j)] += lp
            elif learn_w:
                for j in range(cols):
                    W[base + U(j)] += rate * (post * rates_old[q0 + U(j)])
            if store_dw:
                for j in range(cols):
                    dW[base + U(j)] = rate * (post * rates_old[q0 + U(j)])


@inline_jit
def apply_increments(st):
    u, du, uI, duI = st.u, st.du, st.uI, st.duI
    for i in range(u.shape[0]):
        u[U(i)] += du[U(i)]
    for i in range(uI.shape[0]):
        uI[U(i)] += duI[U(i)]


@inline_jit
def take_input(rates, X, n):
    """The input area's rates <- X[n] (the reference's r0)."""
    for j in range(X.shape[1]):
        rates[U(j)] = X[n, j]
