"""One Euler step of the error-neuron microcircuit (class ``errormc_model`` of the reference).

Representation units (``u``) of every area, output included, have basal and apical compartments; error units
(``uI`` in the reference) receive feedback from the error units above (``B``, the reference's ``BII``),
gated by W_IP phi' when ``varphi_transfer`` is on; the output error units are driven by the target.
Order of operations and floating-point evaluation order follow docs/models.md §2.1, §2.3 and §2.6.
"""

from numba import prange
from numba.experimental import structref

from .cache import kernel_jit
from .common import (
    U,
    apply_increments,
    copy,
    fill,
    forward_drive,
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
from .layered import forward_sweep, settle_pending
from .structs import NetworkType, borrowed, define_view, register_kernel


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
def lateral_products(net, st, Y, n, inject):
    """The lateral mat-vecs, which need nothing of this step's feedback: W_IP phi' of hidden areas (into
    vden, with ``varphi_transfer``), the apical input vapi = B_PI rI and, with a target, the output error
    units' drive W_IP (gntgt phi' (target - r)) (into duI)."""
    WIP, WIP_ptr, WIP_rows, WIP_cols = net.WIP, net.WIP_ptr, net.WIP_rows, net.WIP_cols
    BPI, BPI_ptr, BPI_rows, BPI_cols = net.BPI, net.BPI_ptr, net.BPI_rows, net.BPI_cols
    pop_off, rep_off = net.pop_off, net.rep_off
    rI, d, vden, vapi, duI, rates = st.rI, st.d, st.vden, st.vapi, st.duI, st.rates
    L = net.n_areas
    if net.varphi_transfer:
        for a in range(1, L):
            for i in range(pop_off[a], pop_off[a + 1]):
                vden[U(i)] = 0.0
            matvec_add(WIP, WIP_ptr[a], WIP_rows[a], WIP_cols[a], d, rep_off[a], vden, pop_off[a])
    fill(vapi, 0.0)
    for a in range(1, L + 1):
        matvec_add(BPI, BPI_ptr[a], BPI_rows[a], BPI_cols[a], rI, pop_off[a], vapi, rep_off[a])
    if inject:
        # v = gntgt phi'(u_breve) (target - r) once, then a plain mat-vec W_IP v: the reference's
        # gntgt W_IP diag(phi') (target - r) up to the order of rounding (its BLAS sums in its own order too)
        e0 = pop_off[L]
        r0 = rep_off[L]
        nc = WIP_cols[L]
        n_in = net.area_off[1]
        v = st.tmp
        for j in range(nc):
            jj = U(j)
            v[U(r0) + jj] = net.gntgt * (d[U(r0) + jj] * (Y[n, j] - rates[U(n_in + r0) + jj]))
        for i in range(WIP_rows[L]):
            duI[U(e0 + i)] = 0.0
        matvec_add(WIP, WIP_ptr[L], WIP_rows[L], nc, v, r0, duI, e0)


@inline_jit
def error_dendrites(net, st):
    """Hidden error dendrites from the feedback f = B rI: vden = (W_IP phi') * f, or f itself."""
    fb, vden, pop_off = st.fb, st.vden, net.pop_off
    for a in range(1, net.n_areas):
        if net.varphi_transfer:
            for i in range(pop_off[a], pop_off[a + 1]):
                vden[U(i)] = vden[U(i)] * fb[U(i)]
        else:
            for i in range(pop_off[a], pop_off[a + 1]):
                vden[U(i)] = fb[U(i)]


@inline_jit
def somatic_increments(net, st, inject):
    """du of hidden error units, of output error units (target or decay) and of representation units."""
    uI, duI, vden, u, du, vbas, vapi = st.uI, st.duI, st.vden, st.u, st.du, st.vbas, st.vapi
    pop_off, rep_off, tau_err, tau_rep = net.pop_off, net.rep_off, net.tau_err, net.tau_rep
    L = net.n_areas
    dt, gden, gbas, gapi = net.dt, net.gden, net.gbas, net.gapi
    for a in range(1, L):
        tau = tau_err[a]
        for i in range(pop_off[a], pop_off[a + 1]):
            duI[U(i)] = dt * ((tau * (gden * vden[U(i)]) - uI[U(i)]) / tau)
    e0 = pop_off[L]
    if inject:  # duI holds W_IP v (lateral_products)
        tau = tau_err[L]
        for i in range(e0, pop_off[L + 1]):
            duI[U(i)] = dt * ((tau * duI[U(i)] - uI[U(i)]) / tau)
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


@kernel_jit(error_model="numpy", parallel=True)
def fused_dendrites(net, st, Y, n, inject):
    """Step 5 of a large layered network: the forward sweep (with the feedback through the rebuilt blocks)
    and the lateral mat-vecs, two independent streams over memory, run as two tasks: on two threads when
    Numba has them (``numba.set_num_threads``), where a single core cannot draw the memory bandwidth both do."""
    for task in prange(2):
        if task == 0:
            feedback_input(net, st, True)
            forward_sweep(net, st)
        else:
            lateral_products(net, st, Y, n, inject)


@inline_jit
def step_body(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw, may_fuse):
    """Advance one dt with input X[n] and, if ``inject``, target Y[n].  ``may_fuse`` (a constant per
    compiled step) says whether the network is a large layered one with BP feedback, where step 5 may fuse."""
    fused = may_fuse and synapse and learn_w and not store_dw and not net.dw_low_pass
    if may_fuse and not fused:
        settle_pending(net, st)  # a no-op unless the steps before were fused (the engine settles after phases)
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
    # 5. dendrites; with plain BP learning in a large layered network (kernel 'errormc_layered': the
    #    networks of Figs. 4-5), one sweep over the forward weights also does the feedback input through
    #    the rebuilt blocks and step 7's feedback rebuild and weight update (deferred to the next sweep,
    #    kernels/layered.py).  Small networks, whose weights stay in cache, are as fast or faster in
    #    separate passes.
    if fused:
        fused_dendrites(net, st, Y, n, inject)
    else:
        forward_drive(net, st.rates, st.vbas)
        feedback_input(net, st, False)
        lateral_products(net, st, Y, n, inject)
    error_dendrites(net, st)
    # 6. somatic increments
    somatic_increments(net, st, inject)
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
    """One step of a layered errormc network with BP feedback (kernel 'errormc_layered'): plain learning
    steps take the fused sweep."""
    step_body(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw, True)

KERNEL = "errormc"  # the name models/ refers to
LAYERED_KERNEL = "errormc_layered"  # the name models/ refers to


# ---------------------------------------------------------------------------------------------------------
# the record types this module's kernels run on (kernels/structs.py)

@structref.register
class ErrormcNetwork(NetworkType):
    pass


class _ErrormcView(structref.StructRefProxy):
    pass


define_view(_ErrormcView, ErrormcNetwork)


@kernel_jit()
def _new_errormc(fields):
    return _ErrormcView(*borrowed(fields))


register_kernel(KERNEL, ErrormcNetwork, _new_errormc, step)


@structref.register
class LayeredErrormcNetwork(NetworkType):
    pass


class _LayeredErrormcView(structref.StructRefProxy):
    pass


define_view(_LayeredErrormcView, LayeredErrormcNetwork)


@kernel_jit()
def _new_layered_errormc(fields):
    return _LayeredErrormcView(*borrowed(fields))


register_kernel(LAYERED_KERNEL, LayeredErrormcNetwork, _new_layered_errormc, step_layered, settle=settle_pending)
