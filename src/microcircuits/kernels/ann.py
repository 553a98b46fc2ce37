"""One step of the layered ANN with backprop or feedback alignment (class ``ann_model``).

No prospective voltages and no dt in the state update: every area jumps to its feedforward drive in one
step, errors propagate one area per step, dW = dt*eta*e (x) r_pre_old.  After the step u_breve and uI_breve
equal the new u and uI, as the reference's aliased arrays do (the teacher's voltage target is read there).
docs/models.md §2.5.
"""

from numba.experimental import structref

from .activations import dphi, phi
from .cache import kernel_jit
from .common import (
    U,
    apply_increments,
    copy,
    inline_jit,
    jit,
    rate_and_slope,
    rebuild_feedback,
    take_input,
)
from .structs import NetworkType, borrowed, define_view, register_kernel


@inline_jit
def rates_and_errors(net, st, Y, n, inject):
    """r = phi(u), d = phi'(u); e_l <- phi'_l . (B_l e_{l+1}) - e_l as increments; e_L from the target."""
    u, rates, d, uI, duI = st.u, st.rates, st.d, st.uI, st.duI
    slope, offset, rep_off, pop_off = net.slope, net.offset, net.rep_off, net.pop_off
    B, bw_ptr, bw_rows, bw_cols, recv, send = net.B, net.bw_ptr, net.bw_rows, net.bw_cols, net.bw_recv, net.bw_send
    L = net.n_areas
    n_in = net.area_off[1]
    for a in range(1, L + 1):
        kind = net.act_kind[a]
        for i in range(rep_off[a], rep_off[a + 1]):
            if net.der_kind[a] == kind:
                rates[n_in + i], d[i] = rate_and_slope(kind, u[i], slope[i], offset[i])
            else:
                rates[n_in + i] = phi(kind, u[i], slope[i], offset[i])
                d[i] = dphi(net.der_kind[a], u[i])
    for k in range(L - 1):
        # (phi'_i B_ij) e_j summed over j in order; B stored transposed (sender-major)
        a = recv[k]
        rows = bw_rows[k]
        p = bw_ptr[k]
        e_above = pop_off[send[k]]
        i0 = pop_off[a]
        r0 = rep_off[a]
        for i in range(rows):
            duI[U(i0 + i)] = 0.0
        for j in range(bw_cols[k]):
            ej = uI[U(e_above + j)]
            base = U(p + j * rows)
            for i in range(rows):
                duI[U(i0 + i)] += (d[U(r0 + i)] * B[base + U(i)]) * ej
        for i in range(rows):
            duI[U(i0 + i)] = duI[U(i0 + i)] - uI[U(i0 + i)]
    r0 = rep_off[L]
    e0 = pop_off[L]
    for j in range(pop_off[L + 1] - e0):
        if inject:
            duI[e0 + j] = d[r0 + j] * (Y[n, j] - rates[n_in + r0 + j]) - uI[e0 + j]
        else:
            duI[e0 + j] = 0.0 - uI[e0 + j]


@jit
def step(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
    """Advance one step with input X[n] and, if ``inject``, target Y[n]."""
    W, dW, eta = net.W, net.dW, net.eta_fw
    fw_post, fw_pre, fw_rows, fw_cols, fw_ptr = net.fw_post, net.fw_pre, net.fw_rows, net.fw_cols, net.fw_ptr
    rates, rates_old, u, du, uI = st.rates, st.rates_old, st.u, st.du, st.uI
    copy(rates_old, rates)
    rates_and_errors(net, st, Y, n, inject)
    take_input(rates, X, n)
    # representation: u_l <- c' W_l r_{l-1}, c' = gbas/(gbas+gl), as an increment
    c = net.gbas / (net.gbas + net.gl)
    for k in range(fw_post.shape[0]):
        nc = fw_cols[k]
        q0 = net.area_off[fw_pre[k]]
        i0 = net.rep_off[fw_post[k]]
        for i in range(fw_rows[k]):
            s = 0.0
            base = fw_ptr[k] + i * nc
            for j in range(nc):
                s += (c * W[base + j]) * rates[q0 + j]
            du[i0 + i] = s - u[i0 + i]
    if synapse:
        if net.bp:
            rebuild_feedback(net)
        for k in range(fw_post.shape[0]):
            rate = net.dt * eta[k]
            nc = fw_cols[k]
            q0 = net.area_off[fw_pre[k]]
            e0 = net.pop_off[fw_post[k]]
            for i in range(fw_rows[k]):
                e = uI[e0 + i]
                base = fw_ptr[k] + i * nc
                if learn_w:
                    for j in range(nc):
                        W[U(base + j)] += rate * (e * rates_old[U(q0 + j)])
                if store_dw:
                    for j in range(nc):
                        dW[U(base + j)] = rate * (e * rates_old[U(q0 + j)])
    apply_increments(st)
    copy(st.u_breve, st.u)
    copy(st.uI_breve, st.uI)

KERNEL = "ann"  # the name models/ refers to


# ---------------------------------------------------------------------------------------------------------
# the record type this module's kernel runs on (kernels/structs.py)

@structref.register
class ANNNetwork(NetworkType):
    pass


class _ANNView(structref.StructRefProxy):
    pass


define_view(_ANNView, ANNNetwork)


@kernel_jit()
def _new_ann(fields):
    return _ANNView(*borrowed(fields))


register_kernel(KERNEL, ANNNetwork, _new_ann, step)
