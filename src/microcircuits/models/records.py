"""A :class:`Circuit` flattened into the records its kernel runs on (kernels.structs.Network and State):
blocks of one flat buffer per kind of weight, offsets per area, constants per area and unit."""

from __future__ import annotations

import numpy as np

from ..kernels.activations import (
    phi,  # the jitted scalar function works on Python floats too
)
from ..kernels.structs import Network, State
from ..networks.init import offsets
from . import MODELS
from .base import Circuit


def to_kernel(c: Circuit) -> tuple[Network, State]:
    """Flatten a circuit into the kernel records (Network, State)."""
    fam = MODELS[c.model]
    L = c.n_areas
    layers = np.array(c.layers, dtype=np.int64)
    area_off = offsets(layers)
    rep_off = np.zeros(L + 2, dtype=np.int64)
    rep_off[1:] = area_off[1:] - layers[0]
    pop_sizes = np.zeros(L + 1, dtype=np.int64)
    pop_sizes[1:] = c.pops
    pop_off = np.zeros(L + 2, dtype=np.int64)
    pop_off[1:] = np.cumsum(pop_sizes)
    npair = np.zeros(L + 1, dtype=np.int64)
    npair[1:] = np.minimum(layers[1:], pop_sizes[1:]) if fam.feedback_on_population else layers[1:]

    # forward blocks that are zero and never learn are left out: they add exact zeros to every sum
    fw_keys = [ab for ab in sorted(c.forward)
               if ab[1] == ab[0] - 1 or c.eta_forward[ab] != 0.0 or np.any(c.forward[ab] != 0.0)]
    fw = _pack(c.forward, fw_keys)
    fw_hier = np.full(L + 1, -1, dtype=np.int64)
    for k, (a, b) in enumerate(fw_keys):
        if b == a - 1:
            fw_hier[a] = k
    # feedback blocks are stored transposed (sender-major), like the forward blocks they mirror
    bw_keys = sorted(c.feedback)
    bw = _pack({k: v.T for k, v in c.feedback.items()}, bw_keys)
    bw["rows"], bw["cols"] = bw["cols"], bw["rows"]
    bw_noise = _pack({k: v.T for k, v in c.feedback_noise.items()}, bw_keys)
    fw_index = {ab: k for k, ab in enumerate(fw_keys)}
    bw_src = np.array([fw_index.get((b, a), -1) for (a, b) in bw_keys], dtype=np.int64)
    eta_fw = np.array([c.eta_forward[k] for k in fw_keys], dtype=float)
    # a BP rebuild can be skipped only for blocks whose source never changes and whose value already is
    # what a rebuild gives (not so for layered errormc, whose constructor used an earlier noise draw)
    bw_live = np.array([s >= 0 and (eta_fw[s] != 0.0 or c.dw_low_pass or not _is_rebuilt(c, ab))
                        for s, ab in zip(bw_src, bw_keys)], dtype=np.bool_)
    for k, (a, b) in enumerate(bw_keys):
        if bw["rows"][k] != _feedback_size(c, a) or bw["cols"][k] != _feedback_size(c, b):
            raise ValueError(f"{c.model}: feedback block ({a}, {b}) has shape ({bw['rows'][k]}, {bw['cols'][k]}), "
                             "which does not fit the populations it connects (error_layers != layers in layered FA?)")
    wip = _pack(c.WIP, range(1, L + 1))
    bpi = _pack(c.BPI, range(1, L + 1))
    tau_rep, tau_err, notgt, c_pred = fam.time_constants(c.g, L)
    kinds = np.array([0] + list(c.act_kind), dtype=np.int64)
    der_kinds = np.array([0] + list(c.der_kind), dtype=np.int64)
    err_kind = np.zeros(L + 1, dtype=np.int64)
    err_kind[1:len(c.err_kind) + 1] = c.err_kind[:L]
    rep_look = np.ones(L + 1, dtype=np.bool_) if c.rep_lookahead is None else np.array([True] + list(c.rep_lookahead))
    err_look = np.ones(L + 1, dtype=np.bool_) if c.err_lookahead is None else np.array([True] + list(c.err_lookahead))
    eta_ip = np.zeros(L + 1)
    eta_pi = np.zeros(L + 1)
    for k, v in c.eta_IP.items():
        eta_ip[k] = v
    for k, v in c.eta_PI.items():
        eta_pi[k] = v
    cat = lambda xs: np.concatenate([np.asarray(x, dtype=float) for x in xs]) if len(xs) else np.zeros(0)  # noqa: E731
    err_slope = cat([c.err_slopes[a][: c.pops[a]] for a in range(L)])
    err_offset = cat([c.err_offsets[a][: c.pops[a]] for a in range(L)])
    rep_plain = np.array([False] + [bool(np.all(np.asarray(s) == 1.0) and np.all(np.asarray(o) == 0.0))
                                    for s, o in zip(c.slopes, c.offsets)], dtype=np.bool_)
    g = c.g
    net = Network(
        n_areas=np.int64(L), area_off=area_off, rep_off=rep_off, pop_off=pop_off, npair=npair,
        fb_on_pop=bool(fam.feedback_on_population),
        fw_post=np.array([a for a, _ in fw_keys], dtype=np.int64), fw_pre=np.array([b for _, b in fw_keys], dtype=np.int64),
        fw_rows=fw["rows"], fw_cols=fw["cols"], fw_ptr=fw["ptr"], fw_hier=fw_hier, W=fw["data"],
        dW=np.zeros_like(fw["data"]), dW_lp=np.zeros_like(fw["data"]) if c.dw_low_pass else np.zeros(0),
        eta_fw=eta_fw,
        bw_recv=np.array([a for a, _ in bw_keys], dtype=np.int64), bw_send=np.array([b for _, b in bw_keys], dtype=np.int64),
        bw_rows=bw["rows"], bw_cols=bw["cols"], bw_ptr=bw["ptr"], bw_src=bw_src,
        bw_triu=np.array([c.feedback_triu[k] for k in bw_keys], dtype=np.bool_), bw_live=bw_live, B=bw["data"],
        B_noise=bw_noise["data"],
        WIP=wip["data"], WIP_ptr=_per_area(wip["ptr"], L), WIP_rows=_per_area(wip["rows"], L),
        WIP_cols=_per_area(wip["cols"], L), BPI=bpi["data"], BPI_ptr=_per_area(bpi["ptr"], L),
        BPI_rows=_per_area(bpi["rows"], L), BPI_cols=_per_area(bpi["cols"], L), eta_IP=eta_ip, eta_PI=eta_pi,
        act_kind=kinds, der_kind=der_kinds, slope=cat(c.slopes), offset=cat(c.offsets), rep_plain=rep_plain,
        err_kind=err_kind, err_slope=err_slope,
        err_offset=err_offset, rep_lookahead=rep_look, err_lookahead=err_look,
        tau_rep=tau_rep, tau_err=tau_err, tau_out_notgt=float(notgt), c_pred=c_pred,
        bp_out_gain=float(fam.bp_output_gain(g)),
        dt=float(c.dt), gl=float(g["gl"]), gbas=float(g["gbas"]), gapi=float(g["gapi"]),
        gden=float(g["gden"]), gnI=float(g["gnI"]), gntgt=float(g["gntgt"]), taur=float(c.taur),
        tauLO=float(c.tauLO), bp=bool(c.bp), dw_use_activation=bool(c.dw_use_activation), sps_reset=bool(c.sps_reset),
        varphi_transfer=bool(c.varphi_transfer), dw_low_pass=bool(c.dw_low_pass), mse_mode=np.int64(c.mse_mode),
    )
    return net, initial_state(c, net)


def _is_rebuilt(c: Circuit, key) -> bool:
    """Whether feedback block ``key`` (recv, send) already equals its BP rebuild: paired W^T + noise."""
    if not c.bp:
        return True
    a, b = key
    W = c.forward.get((b, a))
    B, noise = c.feedback[key], c.feedback_noise[key]
    expect = np.zeros_like(B)
    if W is not None:
        pa, pb = min(B.shape[0], W.shape[1]), min(B.shape[1], W.shape[0])
        expect[:pa, :pb] = W.T[:pa, :pb]
    return bool(np.array_equal(B, expect + noise))


def _feedback_size(c: Circuit, a: int) -> int:
    """Size of what feedback connects in area a: the second population (errormc) or representation units."""
    return c.pops[a - 1] if MODELS[c.model].feedback_on_population else c.layers[a]


def _per_area(values, L):
    out = np.zeros(L + 2, dtype=np.int64)
    out[1:1 + len(values)] = values[:L + 1]
    return out


def _pack(mats: dict, keys) -> dict:
    """Row-major blocks in one flat buffer: data, ptr (one more than blocks), rows, cols."""
    keys = list(keys)
    arrays = [np.ascontiguousarray(mats[k], dtype=float) if k in mats else np.zeros((0, 0)) for k in keys]
    ptr = offsets([a.size for a in arrays])
    data = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    return dict(data=data.astype(float), ptr=ptr,
                rows=np.array([a.shape[0] for a in arrays], dtype=np.int64),
                cols=np.array([a.shape[1] for a in arrays], dtype=np.int64))


def initial_state(c: Circuit, net: Network) -> State:
    """Potentials from the init, u_prev = u (so u_breve = u), rates phi(u), dendrites zero."""
    n_in = c.layers[0]
    u = np.concatenate(c.u0) if c.u0 else np.zeros(0)
    uI = np.concatenate(c.uI0) if c.uI0 else np.zeros(0)
    nr, ne = u.size, uI.size
    rates = np.zeros(n_in + nr)
    for a in range(1, c.n_areas + 1):
        for i in range(net.rep_off[a], net.rep_off[a + 1]):
            rates[n_in + i] = phi(net.act_kind[a], u[i], net.slope[i], net.offset[i])
    rI = np.zeros(ne)
    kind = MODELS[c.model].population_rates
    if kind == "delayed":
        rI = rates[n_in:].copy()
    elif kind == "activation":
        for a in range(1, c.n_areas + 1):
            for i in range(net.pop_off[a], net.pop_off[a + 1]):
                rI[i] = phi(net.err_kind[a], uI[i], net.err_slope[i], net.err_offset[i])
    z = lambda n: np.zeros(n)  # noqa: E731
    return State(rates=rates, rates_old=rates.copy(), u=u.copy(), u_prev=u.copy(), u_breve=u.copy(), d=z(nr),
                 du=z(nr), uI=uI.copy(), uI_prev=uI.copy(), uI_breve=uI.copy(), rI=rI, rI_old=rI.copy(),
                 duI=z(ne), vbas=z(nr), vbas_old=z(nr), vapi=z(nr), vapi_old=z(nr), vden=z(ne), vden_old=z(ne),
                 fb=z(ne), tmp=z(nr),
                 pending=np.zeros(1, dtype=np.int64), post_pending=z(nr), pre_pending=z(n_in + nr))
