"""One Euler step of dendritic hierarchical predictive coding (Mikulasch et al.; class ``dPC_model``).

No interneuron dynamics: the "interneuron rate" of area k is the pyramidal rate of the same area one step
earlier (``rI``), so vapi_k = B_k r_{k+1}(n) + B_PI_k r_k(n-1), with a square, plastic B_PI_k.  In BP mode
B follows W^T + noise; B_PI is not overwritten.  docs/models.md §2.4.
"""

from numba.experimental import structref

from .cache import kernel_jit
from .common import (
    U,
    apply_increments,
    copy,
    forward_drive,
    forward_updates,
    inline_jit,
    jit,
    rebuild_feedback,
    rep_prospective,
    take_input,
)
from .sacramento import apical, apical_plasticity, pyramidal_increments
from .structs import NetworkType, borrowed, define_view, register_kernel


@inline_jit
def reset_to_sps(net):
    """lateral_sps_reset: dPC's set_self_predicting_state after the step's weight updates,
    B_PI_k = (-c B_k) W_{k+1,k} with c = gbas/(gl+gbas+gapi), and gbas/(gl+gbas) for the last population.
    B_k is stored sender-major (n_{k+1} x n_k, like W_{k+1,k}); B_PI_k is square, row-major."""
    gl, gb, ga = net.gl, net.gbas, net.gapi
    L = net.n_areas
    B, W, BPI = net.B, net.W, net.BPI
    for k in range(1, L):
        if k < L - 1:
            c = -gb / (gl + gb + ga)
        else:
            c = -gb / (gl + gb)
        n = net.BPI_rows[k]
        above = net.fw_rows[k]  # units of area k + 1
        pb = net.bw_ptr[k - 1]
        pw = net.fw_ptr[k]
        pp = net.BPI_ptr[k]
        for i in range(n):
            for j in range(n):
                s = 0.0
                for m in range(above):
                    s += (c * B[U(pb + m * n + i)]) * W[U(pw + m * n + j)]
                BPI[U(pp + i * n + j)] = s


@jit
def step(net, st, X, Y, n, inject, synapse, learn_w, learn_lat, store_dw):
    """Advance one dt with input X[n] and, if ``inject``, target Y[n]."""
    n_in = net.area_off[1]
    copy(st.rates_old, st.rates)
    copy(st.rI_old, st.rI)
    copy(st.vbas_old, st.vbas)
    copy(st.vapi_old, st.vapi)
    for i in range(st.rI.shape[0]):
        st.rI[i] = st.rates[n_in + i]
    rep_prospective(net, st)
    take_input(st.rates, X, n)
    copy(st.u_prev, st.u)
    forward_drive(net, st.rates, st.vbas)
    apical(net, st)
    pyramidal_increments(net, st, Y, n, inject)
    if synapse:
        if net.bp:
            rebuild_feedback(net)  # from the pre-update W; B_PI is not touched (dPC restores it)
        forward_updates(net, st, learn_w, store_dw)
        if learn_lat:
            apical_plasticity(net, st)
    if net.sps_reset:
        reset_to_sps(net)
    apply_increments(st)

KERNEL = "dPC"  # the name models/ refers to


# ---------------------------------------------------------------------------------------------------------
# the record type this module's kernel runs on (kernels/structs.py)

@structref.register
class DPCNetwork(NetworkType):
    pass


class _DPCView(structref.StructRefProxy):
    pass


define_view(_DPCView, DPCNetwork)


@kernel_jit()
def _new_dpc(fields):
    return _DPCView(*borrowed(fields))


register_kernel(KERNEL, DPCNetwork, _new_dpc, step)
