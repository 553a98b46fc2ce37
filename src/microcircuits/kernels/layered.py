"""The forward sweep of large layered errormc networks with BP feedback (Figs. 4-5), at the memory floor.

In separate passes a learning step streams a forward block W three times (the drive W r, the BP rebuild
B = W^T + noise, the update W += dW) and its feedback block B twice (the feedback B rI, the rebuild).  The
sweep goes over each block once, a few rows at a time, and *defers each step's update to the next sweep*.
Between steps, memory holds W before the last update and that update's factors (it is rank one: a rate, a
post vector and a pre vector, ``st.post_pending`` and ``st.pre_pending``).  So one sweep reads W_old and the
noise and writes W once:

* the feedback of this step runs through W_old^T + noise: the B the separate passes rebuilt last step;
* the drive runs through W = W_old + rate*(post*pre), the separate passes' update, evaluated the same way,
  and W is stored;
* this step's update becomes the pending one.

Every number is the one the separate passes produce, bit for bit.  B is not written while an update is
pending (``st.pending[0] == 1``); :func:`settle_pending` rebuilds it and applies the update, leaving the
arrays as the separate passes leave them.  The engine settles at the end of every phase and before every
snapshot, so outside a phase nothing is pending.
"""

from .activations import phi
from .common import U, fill, inline_jit, matvec_add, rebuild_feedback


@inline_jit
def drive_updating_rows(W, b, nr, cols, rate, post, o, pre, q0, rates, out):
    """out[o+i] += W'[i] @ rates[q0:q0+cols] for the ``nr`` rows of W at W[b:], where W' = W + rate*(post[o+i]
    * pre[q0+j]) is stored: the pending update applied on the way.  Four rows at a time, each row summed in
    order, as matvec_add does it."""
    c = U(cols)
    if nr == 4:
        b0 = U(b)
        b1 = b0 + c
        b2 = b1 + c
        b3 = b2 + c
        p0 = post[U(o)]
        p1 = post[U(o + 1)]
        p2 = post[U(o + 2)]
        p3 = post[U(o + 3)]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for j in range(cols):
            jj = U(j)
            x = rates[U(q0) + jj]
            q = pre[U(q0) + jj]
            w0 = W[b0 + jj] + rate * (p0 * q)
            w1 = W[b1 + jj] + rate * (p1 * q)
            w2 = W[b2 + jj] + rate * (p2 * q)
            w3 = W[b3 + jj] + rate * (p3 * q)
            W[b0 + jj] = w0
            W[b1 + jj] = w1
            W[b2 + jj] = w2
            W[b3 + jj] = w3
            s0 += w0 * x
            s1 += w1 * x
            s2 += w2 * x
            s3 += w3 * x
        out[U(o)] += s0
        out[U(o + 1)] += s1
        out[U(o + 2)] += s2
        out[U(o + 3)] += s3
    else:
        for i in range(nr):
            bi = U(b + i * cols)
            p = post[U(o + i)]
            s = 0.0
            for j in range(cols):
                jj = U(j)
                w = W[bi + jj] + rate * (p * pre[U(q0) + jj])
                W[bi + jj] = w
                s += w * rates[U(q0) + jj]
            out[U(o + i)] += s


@inline_jit
def forward_sweep(net, st):
    """forward_drive, the feedback input of the rebuilt blocks, the BP rebuild and the forward update (plain
    learning) of one step in one sweep over each forward block.  The caller clears ``fb`` and adds the
    blocks that are not rebuilt first."""
    W, B, noise, eta = net.W, net.B, net.B_noise, net.eta_fw
    fw_post, fw_pre, fw_rows, fw_cols, fw_ptr = net.fw_post, net.fw_pre, net.fw_rows, net.fw_cols, net.fw_ptr
    bw_rows, bw_cols, bw_ptr, bw_src, live = net.bw_rows, net.bw_cols, net.bw_ptr, net.bw_src, net.bw_live
    npair, recv, send = net.npair, net.bw_recv, net.bw_send
    rates, rates_old, u_breve, vbas, vbas_old = st.rates, st.rates_old, st.u_breve, st.vbas, st.vbas_old
    post_pending, pre_pending = st.post_pending, st.pre_pending
    fb, rI, pop_off = st.fb, st.rI, net.pop_off
    slope, offset, rep_off, area_off, c_pred = net.slope, net.offset, net.rep_off, net.area_off, net.c_pred
    n_in = area_off[1]
    dt = net.dt
    pending = st.pending[0] == 1
    fill(vbas, 0.0)
    for k in range(fw_post.shape[0]):
        rows = fw_rows[k]
        cols = fw_cols[k]
        a = fw_post[k]
        q0 = area_off[fw_pre[k]]
        o = rep_off[a]
        rate = dt * eta[k]
        learns = eta[k] != 0.0
        c = c_pred[a]
        kind = net.act_kind[a]
        r0 = 0
        while r0 < rows:
            nr = min(4, rows - r0)
            # the feedback through the rebuilt blocks fed by these rows (senders j): W_old^T + noise on the
            # paired units once an update is pending, the stored B before that and on unpaired units (0 + noise)
            for m in range(bw_src.shape[0]):
                if not live[m] or bw_src[m] != k:
                    continue
                brows = bw_rows[m]
                pa = min(npair[recv[m]], brows) if pending else 0
                pb = min(npair[send[m]], bw_cols[m])
                fo = U(pop_off[recv[m]])
                for j in range(r0, min(r0 + nr, bw_cols[m])):
                    base = U(bw_ptr[m] + j * brows)
                    x = rI[U(pop_off[send[m]] + j)]
                    i0 = 0
                    if j < pb:
                        wb = U(fw_ptr[k] + j * cols)
                        for i in range(pa):
                            fb[fo + U(i)] += (W[wb + U(i)] + noise[base + U(i)]) * x
                        i0 = pa
                    for i in range(i0, brows):
                        fb[fo + U(i)] += B[base + U(i)] * x
            # the drive through this step's rows, stored if the last update was pending
            b = fw_ptr[k] + r0 * cols
            if pending and learns:
                drive_updating_rows(W, b, nr, cols, rate, post_pending, o + r0, pre_pending, q0, rates, vbas)
            else:
                matvec_add(W, b, nr, cols, rates, q0, vbas, o + r0)
            # this step's update, deferred: its post factor
            if learns:
                for i in range(r0, r0 + nr):
                    ir = o + i
                    if net.dw_use_activation:
                        post_pending[ir] = rates[n_in + ir] - phi(kind, c * vbas_old[ir], slope[ir], offset[ir])
                    else:
                        post_pending[ir] = u_breve[ir] - c * vbas_old[ir]
            r0 += 4
        for m in range(bw_src.shape[0]):  # senders beyond the rows of W (more error than representation units)
            if live[m] and bw_src[m] == k:
                fo = U(pop_off[recv[m]])
                for j in range(rows, bw_cols[m]):
                    base = U(bw_ptr[m] + j * bw_rows[m])
                    x = rI[U(pop_off[send[m]] + j)]
                    for i in range(bw_rows[m]):
                        fb[fo + U(i)] += B[base + U(i)] * x
    # ... and its pre factor
    for i in range(rates_old.shape[0]):
        pre_pending[U(i)] = rates_old[U(i)]
    st.pending[0] = 1


@inline_jit
def settle_pending(net, st):
    """Apply a pending update: B <- W^T + noise from the pre-update weights (the rebuild the sweep skipped),
    then W += rate*(post*pre).  Afterwards W and B are what the separate passes leave."""
    if st.pending[0] == 0:
        return
    rebuild_feedback(net)
    W, eta, post, pre = net.W, net.eta_fw, st.post_pending, st.pre_pending
    fw_post, fw_pre, fw_rows, fw_cols, fw_ptr = net.fw_post, net.fw_pre, net.fw_rows, net.fw_cols, net.fw_ptr
    for k in range(fw_post.shape[0]):
        if eta[k] == 0.0:
            continue
        rate = net.dt * eta[k]
        o = net.rep_off[fw_post[k]]
        q0 = U(net.area_off[fw_pre[k]])
        cols = fw_cols[k]
        for i in range(fw_rows[k]):
            p = post[o + i]
            base = U(fw_ptr[k] + i * cols)
            for j in range(cols):
                W[base + U(j)] += rate * (p * pre[q0 + U(j)])
    st.pending[0] = 0
