"""One Euler step of the error-neuron microcircuit (class ``errormc_model`` of the reference).

Representation units (``u``) of every area, output included, have basal and apical compartments; error units
(``uI`` in the reference) receive feedback from the error units above (``B``, the reference's ``BII``),
gated by W_IP phi' when ``varphi_transfer`` is on; the output error units are driven by the target.
Order of operations and floating-point evaluation order follow spec/models.md §2.1, §2.3 and §2.6.
"""

from .common import (
    U,
    apply_increments,
    copy,
    fill,
    forward_drive,
    forward_pass_fused,
    forward_updates,
    inline_jit,
    jit,
    matvec_add,
    matvec_t_add,
    pop_prospective,
    rebuild_feedback,
    rep_prospective,
    take_input,
)


@inline_jit
def feedback_input(net, st, only_frozen):
    """f = B rI, block by block (with ``only_frozen``, only the blocks BP does not rebuild)."""
    B, bw_ptr, bw_rows, bw_cols, recv, send, triu = net.B, net.bw_ptr, net.bw_rows, net.bw_cols, net.bw_recv, net.bw_send, net.bw_triu
    fill(st.fb, 0.0)
    for k in range(recv.shape[0]):
        if only_frozen and net.bw_live[k]:
            continue
        matvec_t_add(B, bw_ptr[k], bw_rows[k], bw_cols[k], st.rI, net.pop_off[send[k]], st.fb, net.pop_off[recv[k]], triu[k])


@inline_jit
def error_dendrites(net, st):
    """From the feedback f = B rI: hidden error dendrites vden = (W_IP phi') * f (or f); apical vapi = B_PI rI."""
    WIP, WIP_ptr, WIP_rows, WIP_cols = net.WIP, net.WIP_ptr, net.WIP_rows, net.WIP_cols
    BPI, BPI_ptr, BPI_rows, BPI_cols = net.BPI, net.BPI_ptr, net.BPI_rows, net.BPI_cols
    pop_off, rep_off = net.pop_off, net.rep_off
    fb, rI, d, vden, vapi = st.fb, st.rI, st.d, st.vden, st.vapi
    L = net.n_areas
    for a in range(1, L):
        e0 = pop_off[a]
        e1 = pop_off[a + 1]
        if net.varphi_transfer:
            for i in range(e0, e1):
                vden[U(i)] = 0.0
            matvec_add(WIP, WIP_ptr[a], WIP_rows[a], WIP_cols[a], d, rep_off[a], vden, e0)
            for i in range(e0, e1):
                vden[U(i)] = vden[U(i)] * fb[U(i)]
        else:
            for i in range(e0, e1):
                vden[U(i)] = fb[U(i)]
    fill(vapi, 0.0)
    for a in range(1, L + 1):
        matvec_add(BPI, BPI_ptr[a], BPI_rows[a], BPI_cols[a], rI, pop_off[a], vapi, rep_off[a])


@inline_jit
def somatic_increments(net, st, Y, n, inject):
    """du of hidden error units, of output error units (target or decay) and of representation units."""
    uI, duI, vden, u, du, vbas, vapi, d, rates = st.uI, st.duI, st.vden, st.u, st.du, st.vbas, st.vapi, st.d, st.rates
    pop_off, rep_off, tau_err, tau_rep = net.pop_off, net.rep_off, net.tau_err, net.tau_rep
    WIP = net.WIP
    L = net.n_areas
    n_in = net.area_off[1]
    dt, gden, gntgt, gbas, gapi = net.dt, net.gden, net.gntgt, net.gbas, net.gapi
    for a in range(1, L):
        tau = tau_err[a]
        for i in range(pop_off[a], pop_off[a + 1]):
            duI[U(i)] = dt * ((tau * (gden * vden[U(i)]) - uI[U(i)]) / tau)
    e0 = pop_off[L]
    if inject:
        tau = tau_err[L]
        p = net.WIP_ptr[L]
        nc = net.WIP_cols[L]
        r0 = rep_off[L]
        rows = net.WIP_rows[L]
        # v = gntgt phi'(u_breve) (target - r) once, then a plain mat-vec W_IP v: the reference's
        # gntgt W_IP diag(phi') (target - r) up to the order of rounding (its BLAS sums in its own order too)
        v = st.tmp
        for j in range(nc):
            jj = U(j)
            v[U(r0) + jj] = gntgt * (d[U(r0) + jj] * (Y[n, j] - rates[U(n_in + r0) + jj]))
        for i in range(rows):
            duI[U(e0 + i)] = 0.0
        matvec_add(WIP, p, rows, nc, v, r0, duI, e0)
        for i in range(rows):
            duI[U(e0 + i)] = dt * ((tau * duI[U(e0 + i)] - uI[U(e0 + i)]) / tau)
    else:
        tau = net.tau_out_notgt
        for i in range(e0, pop_off[L + 1]):
            duI[U(i)] = dt * ((0.0 - uI[U(i)]) / tau)
    for a in range(1, L + 1):
        tau = tau_rep[a]
        for i in range(rep_off[a], rep_off[a + 1]):
            k = U(i)
            du[k] = dt * ((tau * (gbas * vbas[k] + gapi * vapi[k]) - u[k]) / tau)


@inline_jit
def decay_to_identity(M, ptr, rows, cols, eta, dt, L):
    """errormc lateral plasticity: M <- M - dt*eta*(M - I) for populations with eta != 0."""
    for a in range(1, L + 1):
        if eta[a] == 0.0:
            continue
        f = (-dt) * eta[a]
        nc = cols[a]
        for i in range(rows[a]):
            for j in range(nc):
                idx = U(ptr[a] + i * nc + j)
                M[idx] += f * (M[idx] - (1.0 if i == j else 0.0))


@inline_jit
def step_body(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw, may_fuse):
    """Advance one dt with input X[n] and, if ``inject``, target Y[n].  ``may_fuse`` (a constant per
    compiled step) says whether the network is a large layered one with BP feedback, where step 5 may fuse."""
    # 1. buffers of the previous step (rates_old holds x_old and r_old)
    copy(st.rates_old, st.rates)
    copy(st.vbas_old, st.vbas)
    # 2.-3. prospective voltages and rates
    rep_prospective(net, st)
    pop_prospective(net, st)
    # 4. new input; remember the potentials before they change
    take_input(st.rates, X, n)
    copy(st.u_prev, st.u)
    copy(st.uI_prev, st.uI)
    # 5. dendrites; with plain BP learning in a large layered network (structs.LAYERED_ERRORMC: the
    #    networks of Figs. 4-5), one sweep over the forward weights also does the feedback input through
    #    the rebuilt blocks and step 7's feedback rebuild and weight update.  Small networks, whose weights
    #    stay in cache, are as fast or faster in separate passes.
    fused = may_fuse and synapse and learn_w and not store_dw and not net.dw_low_pass
    if fused:
        feedback_input(net, st, True)
        forward_pass_fused(net, st)
    else:
        forward_drive(net, st.rates, st.vbas)
        feedback_input(net, st, False)
    error_dendrites(net, st)
    # 6. somatic increments
    somatic_increments(net, st, Y, n, inject)
    # 7. synapses (feedback first: BP derives it from the pre-update forward weights)
    if synapse and not fused:
        if net.bp:
            rebuild_feedback(net)
        forward_updates(net, st, learn_w, store_dw)
    if synapse:
        if learn_lat:
            decay_to_identity(net.WIP, net.WIP_ptr, net.WIP_rows, net.WIP_cols, net.eta_IP, net.dt, net.n_areas)
            decay_to_identity(net.BPI, net.BPI_ptr, net.BPI_rows, net.BPI_cols, net.eta_PI, net.dt, net.n_areas)
    # 8. apply
    apply_increments(st)


@jit
def step(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
    """One step of any errormc network, in separate passes."""
    step_body(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw, False)


@jit
def step_layered(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
    """One step of a layered errormc network with BP feedback (structs.LAYERED_ERRORMC): plain learning
    steps take the fused sweep."""
    step_body(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw, True)
