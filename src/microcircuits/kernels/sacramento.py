"""One Euler step of the dendritic microcircuit of Sacramento et al. 2018 (class ``base_model``).

Pyramidal cells u of areas 1..L (output nudged by a voltage target); interneurons uI of population k
(areas k = 1..L-1, n_{k+1} units) mimic the area above.  Apical potential of hidden area k:
B_k r_{k+1} + B_PI_k rI_k.  docs/models.md §2.2.
"""

from numba.experimental import structref

from .activations import phi
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
from .structs import NetworkType, borrowed, define_view, register_kernel


@inline_jit
def apical(net, st):
    """vapi_k = B_k r_{k+1} + B_PI_k rI_k (two products, then their sum)."""
    B, bw_ptr, bw_rows, bw_cols = net.B, net.bw_ptr, net.bw_rows, net.bw_cols
    BPI, BPI_ptr, BPI_rows, BPI_cols = net.BPI, net.BPI_ptr, net.BPI_rows, net.BPI_cols
    rates, rI, vapi, tmp = st.rates, st.rI, st.vapi, st.tmp
    for k in range(1, net.n_areas):
        v0 = net.rep_off[k]
        v1 = net.rep_off[k + 1]
        for i in range(v0, v1):
            vapi[U(i)] = 0.0
            tmp[U(i)] = 0.0
        matvec_t_add(B, bw_ptr[k - 1], bw_rows[k - 1], bw_cols[k - 1], rates, net.area_off[k + 1], vapi, v0, False)
        matvec_add(BPI, BPI_ptr[k], BPI_rows[k], BPI_cols[k], rI, net.pop_off[k], tmp, v0)
        for i in range(v0, v1):
            vapi[U(i)] = vapi[U(i)] + tmp[U(i)]


@inline_jit
def pyramidal_increments(net, st, Y, n, inject):
    """du of hidden pyramids (basal + apical) and of the output (basal + target, or basal alone)."""
    u, du, vbas, vapi, rep_off, tau_rep = st.u, st.du, st.vbas, st.vapi, net.rep_off, net.tau_rep
    dt, gbas, gapi, gntgt = net.dt, net.gbas, net.gapi, net.gntgt
    L = net.n_areas
    for a in range(1, L):
        tau = tau_rep[a]
        for i in range(rep_off[a], rep_off[a + 1]):
            du[i] = dt * ((tau * (gbas * vbas[i] + gapi * vapi[i]) - u[i]) / tau)
    tau = tau_rep[L]
    notgt = net.tau_out_notgt
    r0 = rep_off[L]
    for i in range(r0, rep_off[L + 1]):
        if inject:
            ueff = tau * (gbas * vbas[i] + gntgt * Y[n, i - r0])
        else:
            ueff = notgt * (gbas * vbas[i])
        du[i] = dt * ((ueff - u[i]) / tau)


@inline_jit
def interneuron_increments(net, st):
    """duI_k = dt*(tau_I*(gden*vden_k + gnI*u_breve_{k+1}) - uI_k)/tau_I."""
    uI, duI, vden, u_breve = st.uI, st.duI, st.vden, st.u_breve
    dt, gden, gnI = net.dt, net.gden, net.gnI
    for k in range(1, net.n_areas):
        tau = net.tau_err[k]
        e0 = net.pop_off[k]
        above = net.rep_off[k + 1] - e0
        for i in range(e0, net.pop_off[k + 1]):
            ueff = tau * (gden * vden[i] + gnI * u_breve[above + i])
            duI[i] = dt * ((ueff - uI[i]) / tau)


@inline_jit
def apical_plasticity(net, st):
    """dB_PI_k = dt*eta_PI_k*(-vapi_old_k) (x) rI_old_k, added to B_PI (populations with eta != 0)."""
    BPI, BPI_ptr, BPI_rows, BPI_cols, eta = net.BPI, net.BPI_ptr, net.BPI_rows, net.BPI_cols, net.eta_PI
    vapi_old, rI_old = st.vapi_old, st.rI_old
    for k in range(1, net.n_areas):
        if eta[k] == 0.0:
            continue
        rate = net.dt * eta[k]
        nc = BPI_cols[k]
        e0 = net.pop_off[k]
        for i in range(BPI_rows[k]):
            post = -vapi_old[net.rep_off[k] + i]
            base = BPI_ptr[k] + i * nc
            for j in range(nc):
                BPI[base + j] += rate * (post * rI_old[e0 + j])


@inline_jit
def interneuron_plasticity(net, st):
    """W_IP_k += dt*eta_IP_k*(rI_k - phi_{k+1}(c_d*vden_old_k)) (x) r_old_k, c_d = gden/(gl+gden)."""
    WIP, WIP_ptr, WIP_rows, WIP_cols, eta = net.WIP, net.WIP_ptr, net.WIP_rows, net.WIP_cols, net.eta_IP
    rI, vden_old, rates_old, err_slope, err_offset = st.rI, st.vden_old, st.rates_old, net.err_slope, net.err_offset
    cd = net.gden / (net.gl + net.gden)
    for k in range(1, net.n_areas):
        if eta[k] == 0.0:
            continue
        rate = net.dt * eta[k]
        nc = WIP_cols[k]
        kind = net.err_kind[k]
        q0 = net.area_off[k]
        for i in range(WIP_rows[k]):
            e = net.pop_off[k] + i
            post = rI[e] - phi(kind, cd * vden_old[e], err_slope[e], err_offset[e])
            base = WIP_ptr[k] + i * nc
            for j in range(nc):
                WIP[base + j] += rate * (post * rates_old[q0 + j])


@inline_jit
def overwrite_lateral(net):
    """BP: B_PI_k <- -B_k (before dB_PI is added: spec quirk 21); B_k is stored transposed."""
    BPI, B = net.BPI, net.B
    for k in range(1, net.n_areas):
        p = net.BPI_ptr[k]
        q = net.bw_ptr[k - 1]
        rows = net.BPI_rows[k]
        cols = net.BPI_cols[k]
        for i in range(rows):
            for j in range(cols):
                BPI[U(p + i * cols + j)] = -B[U(q + j * rows + i)]


@inline_jit
def reset_to_sps(net):
    """lateral_sps_reset: the reference's set_self_predicting_state after the step's weight updates:
    B_PI_k = -B_k, W_IP_k = c W_{k+1,k} with c = gbas (gl+gden) / (gden (gl+gbas+gapi)), and gbas (gl+gden) /
    (gden (gl+gbas)) for the last population (whose area above is the output).  Both blocks are stored
    sender-major with the same shape, so W_IP is an element-wise copy."""
    overwrite_lateral(net)
    gl, gb, ga, gd = net.gl, net.gbas, net.gapi, net.gden
    L = net.n_areas
    W, WIP = net.W, net.WIP
    for k in range(1, L):
        if k < L - 1:
            c = gb * (gl + gd) / (gd * (gl + gb + ga))
        else:
            c = gb * (gl + gd) / (gd * (gl + gb))
        p = net.WIP_ptr[k]
        q = net.fw_ptr[k]  # the forward block from area k to area k + 1
        for i in range(net.WIP_rows[k] * net.WIP_cols[k]):
            WIP[U(p + i)] = c * W[U(q + i)]


@jit
def step(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
    """Advance one dt with input X[n] and, if ``inject``, target Y[n]."""
    copy(st.rates_old, st.rates)
    copy(st.rI_old, st.rI)
    copy(st.vbas_old, st.vbas)
    copy(st.vden_old, st.vden)
    copy(st.vapi_old, st.vapi)
    rep_prospective(net, st)
    pop_prospective(net, st)
    take_input(st.rates, X, n)
    copy(st.u_prev, st.u)
    copy(st.uI_prev, st.uI)
    forward_drive(net, st.rates, st.vbas)
    fill(st.vden, 0.0)
    for k in range(1, net.n_areas):
        matvec_add(net.WIP, net.WIP_ptr[k], net.WIP_rows[k], net.WIP_cols[k], st.rates, net.area_off[k],
                   st.vden, net.pop_off[k])
    apical(net, st)
    interneuron_increments(net, st)
    pyramidal_increments(net, st, Y, n, inject)
    if synapse:
        if net.bp:
            rebuild_feedback(net)  # from the pre-update W
            overwrite_lateral(net)
        forward_updates(net, st, learn_w, store_dw)
        if learn_lat:
            interneuron_plasticity(net, st)
            apical_plasticity(net, st)
    if net.sps_reset:
        reset_to_sps(net)
    apply_increments(st)

KERNEL = "sacramento2018"  # the name models/ refers to


# ---------------------------------------------------------------------------------------------------------
# the record type this module's kernel runs on (kernels/structs.py)

@structref.register
class SacramentoNetwork(NetworkType):
    pass


class _SacramentoView(structref.StructRefProxy):
    pass


define_view(_SacramentoView, SacramentoNetwork)


@kernel_jit()
def _new_sacramento(fields):
    return _SacramentoView(*borrowed(fields))


register_kernel(KERNEL, SacramentoNetwork, _new_sacramento, step)
