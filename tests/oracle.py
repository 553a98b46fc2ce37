"""A plain-NumPy oracle of one simulation step of each model, for checking the Numba kernels.

Written from docs/models.md (sections 0-2, 9) in the simple form the reference keeps its networks in: one
matrix per area (errormc skip mode: one big forward matrix over all units including the input, and one
upper-triangular error-feedback matrix), Python lists indexed by area number (index 0 unused or the input),
whole-vector NumPy expressions and no attempt at speed.  It shares nothing with the kernels except the
initial network (a :class:`microcircuits.models.Circuit`), which it copies.

Usage::

    orc = make_oracle(circuit)          # before or after Sim.of(circuit); the circuit is not modified
    orc.step(x, y, synapse=True, learn_w=True, learn_lat=True)   # y None: no target injected
    orc.kernel_view()                   # the state laid out as the kernel's flat vectors / full matrices

Time constants, prediction factors and activation functions are derived here from the spec, not taken from
the package.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import block_diag

from microcircuits.kernels.activations import KIND

NAME_OF_KIND = {v: k for k, v in KIND.items()}


# ---------------------------------------------------------------------------------------------------------
# activations (spec section 1): phi uses slope s and offset o, the derivative ignores both (quirk 22)

def phi(name: str, x, s, o):
    x = np.asarray(x, dtype=float)
    if name == "linear":
        return (x - o) * s
    if name == "relu":
        return np.maximum(x - o, 0.0) * s
    if name == "soft_relu":
        z = np.exp(-10.0 * (x - o))
        return np.log((1.0 + z) / z) / 10.0 * s
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-(x - o) * s))
    if name == "tanh":
        return np.tanh((x - o) * s)
    if name == "hard_sigmoid":
        return np.maximum(0.0, np.minimum(1.0, (x - o) / 6.0 + 0.5)) * s
    raise ValueError(name)


def dphi(name: str, x):
    x = np.asarray(x, dtype=float)
    if name == "linear":
        return np.ones_like(x)
    if name == "relu":
        return np.heaviside(x, 0.0)
    if name == "soft_relu":
        return 1.0 / (1.0 + np.exp(-10.0 * x))
    if name == "logistic":
        y = 1.0 / (1.0 + np.exp(-x))
        return y * (1.0 - y)
    if name == "tanh":
        return 1.0 - np.tanh(x) ** 2
    if name == "hard_sigmoid":
        h = x / 6.0 + 0.5
        return np.heaviside(h, 0.0) * np.heaviside(1.0 - h, 0.0)
    raise ValueError(name)


def lookahead(u, u_old, tau, dt, taur=1.0):
    """Prospective voltage (P): u_old + tau (u - u_old) / dt (runner's taur hook: tau -> taur*tau)."""
    return u_old + taur * tau * (u - u_old) / dt


def offsets(sizes):
    return np.concatenate([[0], np.cumsum(sizes)]).astype(int)


def cat(vectors):
    vectors = [np.asarray(v, dtype=float) for v in vectors]
    return np.concatenate(vectors) if vectors else np.zeros(0)


# ---------------------------------------------------------------------------------------------------------

class Oracle:
    """What every model shares: sizes, conductances, activations, representation potentials and rates."""

    def __init__(self, c):
        self.model = c.model
        self.layers = list(c.layers)
        self.L = L = len(self.layers) - 1
        self.n = self.layers  # n[l] units of area l
        g = c.g
        self.gl, self.gb, self.ga = g["gl"], g["gbas"], g["gapi"]
        self.gd, self.gnI, self.gt = g["gden"], g["gnI"], g["gntgt"]
        self.dt = float(c.dt)
        # runner's taur hook scales every look-ahead: u_old + taur*tau*(u - u_old)/dt (1 = plain (P))
        self.taur = float(c.taur)
        # per area 1..L (index 0 unused)
        self.act = [None] + [NAME_OF_KIND[k] for k in c.act_kind]
        # the derivative actually used (the reference keeps the original one when an activation is replaced)
        self.der = [None] + [NAME_OF_KIND[k] for k in c.der_kind]
        self.slope = [None] + [np.array(s, dtype=float) for s in c.slopes]
        self.offset = [None] + [np.array(o, dtype=float) for o in c.offsets]
        self.rep_look = [None] + (list(c.rep_lookahead) if c.rep_lookahead is not None else [True] * L)
        self.u = [None] + [np.array(u, dtype=float) for u in c.u0]
        self.u_old = [None] + [u.copy() for u in self.u[1:]]
        self.u_breve = [None] + [u.copy() for u in self.u[1:]]
        self.r = [None] + [self.f(a, self.u[a]) for a in range(1, L + 1)]
        self.d = [None] + [np.zeros(self.n[a]) for a in range(1, L + 1)]
        self.x = np.zeros(self.n[0])
        self.vbas = [None] + [np.zeros(self.n[a]) for a in range(1, L + 1)]

    def f(self, a, v):
        """phi of area a (with its per-unit slopes and offsets)."""
        return phi(self.act[a], v, self.slope[a], self.offset[a])

    def df(self, a, v):
        """phi' of area a (slope and offset ignored)."""
        return dphi(self.der[a], v)

    def run(self, X, Y=None, inject=False, synapse=False, learn_w=False, learn_lat=False):
        for k in range(len(X)):
            y = Y[k] if (inject and Y is not None) else None
            self.step(np.asarray(X[k], dtype=float), y, synapse=synapse, learn_w=learn_w, learn_lat=learn_lat)

    # offsets of the kernel's flat layout
    def rep_offsets(self):
        return offsets(self.n[1:])

    def area_offsets(self):
        return offsets(self.n)

    def forward_matrix(self):
        """(rep units) x (all units incl. input), blocks (post, pre)."""
        ro, ao = self.rep_offsets(), self.area_offsets()
        out = np.zeros((ro[-1], ao[-1]))
        for (a, b), m in self.forward_blocks().items():
            out[ro[a - 1]:ro[a], ao[b]:ao[b + 1]] = m
        return out


# ---------------------------------------------------------------------------------------------------------

class ErrormcOracle(Oracle):
    """Error-neuron microcircuit (spec 2.3, 2.1; section 10 for the skip/skip algorithm)."""

    def __init__(self, c):
        super().__init__(c)
        L = self.L
        self.e = [0] + list(c.pops)  # error units per area
        self.fw_skip = L >= 2 and (2, 0) in c.forward
        self.bw_skip = (1, 1) in c.feedback
        # time constants and prediction factor, spec 2.3
        self.tauP = 1.0 / (self.gl + self.gb + self.ga)
        self.tauI = [None] + [1.0 / (self.gl + self.gd)] * L
        self.tauI[L] = 1.0 / (self.gl + self.gt)
        self.tauI_notgt = 1.0 / (self.gl + self.gt)
        self.c = self.gb / (self.gl + self.gb + self.ga)
        self.bp = bool(c.bp)
        self.use_act = bool(c.dw_use_activation)
        self.varphi = bool(c.varphi_transfer)
        self.low_pass = bool(c.dw_low_pass)
        self.tauLO = float(c.tauLO)
        ao = self.area_offsets()
        if self.fw_skip:
            # one N x N matrix, rows/columns = units of all areas (input rows stay zero)
            self.W = np.zeros((ao[-1], ao[-1]))
            self.H = np.zeros((L, L))
            for (a, b), m in c.forward.items():
                self.W[ao[a]:ao[a + 1], ao[b]:ao[b + 1]] = m
                self.H[a - 1, b] = c.eta_forward[(a, b)]
        else:
            self.W = [None] + [np.array(c.forward[(a, a - 1)], dtype=float) for a in range(1, L + 1)]
            self.eta = [None] + [float(c.eta_forward[(a, a - 1)]) for a in range(1, L + 1)]
        # low-passed forward update (dWPP_low_pass), same layout as W
        if self.fw_skip:
            self.dW_LO = np.zeros_like(self.W)
        else:
            self.dW_LO = [None] + [np.zeros_like(w) for w in self.W[1:]]
        eo = offsets(self.e[1:])
        if self.bw_skip:
            self.B = np.zeros((eo[-1], eo[-1]))
            self.Xi = np.zeros((eo[-1], eo[-1]))
            for (a, b), m in c.feedback.items():
                self.B[eo[a - 1]:eo[a], eo[b - 1]:eo[b]] = m
                self.Xi[eo[a - 1]:eo[a], eo[b - 1]:eo[b]] = c.feedback_noise[(a, b)]
            assert np.all(self.B == np.triu(self.B))
        else:
            self.B = [None] + [np.array(c.feedback[(a, a + 1)], dtype=float) for a in range(1, L)]
            self.Xi = [None] + [np.array(c.feedback_noise[(a, a + 1)], dtype=float) for a in range(1, L)]
        self.WIP = [None] + [np.array(c.WIP[a], dtype=float) for a in range(1, L + 1)]
        self.BPI = [None] + [np.array(c.BPI[a], dtype=float) for a in range(1, L + 1)]
        self.eta_IP = [None] + [float(c.eta_IP.get(a, 0.0)) for a in range(1, L + 1)]
        self.eta_PI = [None] + [float(c.eta_PI.get(a, 0.0)) for a in range(1, L + 1)]
        self.eact = [None] + [NAME_OF_KIND[k] for k in c.err_kind[:L]]
        self.eslope = [None] + [np.array(s, dtype=float)[:self.e[a]] for a, s in enumerate(c.err_slopes[:L], 1)]
        self.eoffset = [None] + [np.array(o, dtype=float)[:self.e[a]] for a, o in enumerate(c.err_offsets[:L], 1)]
        self.err_look = [None] + (list(c.err_lookahead) if c.err_lookahead is not None else [True] * L)
        self.uI = [None] + [np.array(v, dtype=float) for v in c.uI0]
        self.uI_old = [None] + [v.copy() for v in self.uI[1:]]
        self.uI_breve = [None] + [v.copy() for v in self.uI[1:]]
        self.rI = [None] + [self.psi(a, self.uI[a]) for a in range(1, L + 1)]
        self.vapi = [None] + [np.zeros(self.n[a]) for a in range(1, L + 1)]
        self.vden = [None] + [np.zeros(self.e[a]) for a in range(1, L + 1)]

    def psi(self, a, v):
        return phi(self.eact[a], v, self.eslope[a], self.eoffset[a])

    def step(self, x, y, synapse=False, learn_w=False, learn_lat=False):
        L, n, e, dt = self.L, self.n, self.e, self.dt
        gb, ga, gd, gt = self.gb, self.ga, self.gd, self.gt
        # 1. buffers
        r_old = [None] + [v.copy() for v in self.r[1:]]
        x_old = self.x.copy()
        vbas_old = [None] + [v.copy() for v in self.vbas[1:]]
        # 2.-3. prospective voltages, rates, derivatives, error rates
        ub = [None] + [lookahead(self.u[a], self.u_old[a], self.tauP, dt, self.taur) for a in range(1, L + 1)]
        tauI = list(self.tauI)
        if y is None:
            tauI[L] = self.tauI_notgt
        uIb = [None] + [lookahead(self.uI[a], self.uI_old[a], tauI[a], dt, self.taur) for a in range(1, L + 1)]
        r = [None] + [self.f(a, ub[a] if self.rep_look[a] else self.u[a]) for a in range(1, L + 1)]
        d = [None] + [self.df(a, ub[a]) for a in range(1, L + 1)]
        rI = [None] + [self.psi(a, uIb[a] if self.err_look[a] else self.uI[a]) for a in range(1, L + 1)]
        # 4. input; old potentials
        self.x = x.copy()
        self.u_old = [None] + [v.copy() for v in self.u[1:]]
        self.uI_old = [None] + [v.copy() for v in self.uI[1:]]
        # 5. dendrites
        vbas = [None] * (L + 1)
        if self.fw_skip:
            ao = self.area_offsets()
            total = self.W @ np.concatenate([self.x] + r[1:])
            for a in range(1, L + 1):
                vbas[a] = total[ao[a]:ao[a + 1]]
        else:
            vbas[1] = self.W[1] @ self.x
            for a in range(2, L + 1):
                vbas[a] = self.W[a] @ r[a - 1]
        fb = [None] * (L + 1)
        if self.bw_skip:
            eo = offsets(e[1:])
            total = self.B @ np.concatenate(rI[1:])
            for a in range(1, L + 1):
                fb[a] = total[eo[a - 1]:eo[a]]
        else:
            for a in range(1, L):
                fb[a] = self.B[a] @ rI[a + 1]
        vden = [None] + [v.copy() for v in self.vden[1:]]
        for a in range(1, L):
            vden[a] = (self.WIP[a] @ d[a]) * fb[a] if self.varphi else fb[a].copy()
        vapi = [None] + [self.BPI[a] @ rI[a] for a in range(1, L + 1)]
        # 6. somatic increments
        duI = [None] * (L + 1)
        for a in range(1, L):
            duI[a] = dt * ((tauI[a] * (gd * vden[a]) - self.uI[a]) / tauI[a])
        if y is not None:
            drive = gt * (self.WIP[L] @ (d[L] * (np.asarray(y, dtype=float) - r[L])))
            duI[L] = dt * ((tauI[L] * drive - self.uI[L]) / tauI[L])
        else:
            duI[L] = dt * ((0.0 - self.uI[L]) / tauI[L])
        du = [None] + [dt * ((self.tauP * (gb * vbas[a] + ga * vapi[a]) - self.u[a]) / self.tauP)
                       for a in range(1, L + 1)]
        # 7. synapses
        if synapse:
            post = [None] * (L + 1)
            for a in range(1, L + 1):
                if self.use_act:
                    post[a] = r[a] - self.f(a, self.c * vbas_old[a])
                else:
                    post[a] = ub[a] - self.c * vbas_old[a]
            pre_old = [x_old] + r_old[1:]
            if self.fw_skip:
                ao = self.area_offsets()
                dW = np.zeros_like(self.W)
                for a in range(1, L + 1):
                    for b in range(a):
                        dW[ao[a]:ao[a + 1], ao[b]:ao[b + 1]] = dt * self.H[a - 1, b] * np.outer(post[a], pre_old[b])
            else:
                dW = [None] + [dt * self.eta[a] * np.outer(post[a], pre_old[a - 1]) for a in range(1, L + 1)]
            dWIP = [None] + [(-dt * self.eta_IP[a] * (self.WIP[a] - np.eye(*self.WIP[a].shape))
                              if self.eta_IP[a] != 0.0 else np.zeros_like(self.WIP[a])) for a in range(1, L + 1)]
            dBPI = [None] + [(-dt * self.eta_PI[a] * (self.BPI[a] - np.eye(*self.BPI[a].shape))
                              if self.eta_PI[a] != 0.0 else np.zeros_like(self.BPI[a])) for a in range(1, L + 1)]
            if self.bp:  # from the pre-update forward weights
                if self.bw_skip:
                    n0 = n[0]
                    W_sub = self._full_forward()[n0:, n0:]
                    P_IP = block_diag(*[np.eye(e[a], n[a]) for a in range(1, L + 1)])
                    P_PI = block_diag(*[np.eye(n[a], e[a]) for a in range(1, L + 1)])
                    self.B = np.triu((P_IP @ W_sub @ P_PI).T + self.Xi)
                else:
                    for a in range(1, L):
                        W_next = self._forward_block(a + 1, a)
                        self.B[a] = (np.eye(e[a + 1], n[a + 1]) @ W_next @ np.eye(n[a], e[a])).T + self.Xi[a]
        # 8. apply
        for a in range(1, L + 1):
            self.u[a] = self.u[a] + du[a]
            self.uI[a] = self.uI[a] + duI[a]
        if synapse and learn_w:
            if self.low_pass:  # dW_LO += dt/tauLO (dW - dW_LO); W += dW_LO (only when learning)
                k = dt / self.tauLO
                if self.fw_skip:
                    self.dW_LO = self.dW_LO + k * (dW - self.dW_LO)
                    dW = self.dW_LO
                else:
                    self.dW_LO = [None] + [self.dW_LO[a] + k * (dW[a] - self.dW_LO[a]) for a in range(1, L + 1)]
                    dW = self.dW_LO
            if self.fw_skip:
                self.W = self.W + dW
            else:
                self.W = [None] + [self.W[a] + dW[a] for a in range(1, L + 1)]
        if synapse and learn_lat:
            self.WIP = [None] + [self.WIP[a] + dWIP[a] for a in range(1, L + 1)]
            self.BPI = [None] + [self.BPI[a] + dBPI[a] for a in range(1, L + 1)]
        self.u_breve, self.uI_breve, self.r, self.d, self.rI = ub, uIb, r, d, rI
        self.vbas, self.vapi, self.vden = vbas, vapi, vden

    def _full_forward(self):
        if self.fw_skip:
            return self.W
        ao = self.area_offsets()
        out = np.zeros((ao[-1], ao[-1]))
        for a in range(1, self.L + 1):
            out[ao[a]:ao[a + 1], ao[a - 1]:ao[a]] = self.W[a]
        return out

    def _forward_block(self, a, b):
        if self.fw_skip:
            ao = self.area_offsets()
            return self.W[ao[a]:ao[a + 1], ao[b]:ao[b + 1]]
        assert b == a - 1
        return self.W[a]

    def forward_blocks(self):
        L = self.L
        if self.fw_skip:
            return {(a, b): self._forward_block(a, b) for a in range(1, L + 1) for b in range(a)}
        return {(a, a - 1): self.W[a] for a in range(1, L + 1)}

    def kernel_view(self):
        L, e = self.L, self.e
        ro, eo = self.rep_offsets(), offsets(e[1:])
        if self.bw_skip:
            B = self.B.copy()
        else:
            B = np.zeros((eo[-1], eo[-1]))
            for a in range(1, L):
                B[eo[a - 1]:eo[a], eo[a]:eo[a + 1]] = self.B[a]
        WIP = np.zeros((eo[-1], ro[-1]))
        BPI = np.zeros((ro[-1], eo[-1]))
        for a in range(1, L + 1):
            WIP[eo[a - 1]:eo[a], ro[a - 1]:ro[a]] = self.WIP[a]
            BPI[ro[a - 1]:ro[a], eo[a - 1]:eo[a]] = self.BPI[a]
        return dict(
            x=self.x, u=cat(self.u[1:]), u_breve=cat(self.u_breve[1:]), rates=cat(self.r[1:]), d=cat(self.d[1:]),
            uI=cat(self.uI[1:]), uI_breve=cat(self.uI_breve[1:]), rI=cat(self.rI[1:]), vbas=cat(self.vbas[1:]),
            vapi=cat(self.vapi[1:]), vden_hidden=cat(self.vden[1:L]),
            W=self.forward_matrix(), B=B, WIP=WIP, BPI=BPI)


# ---------------------------------------------------------------------------------------------------------

class SacramentoOracle(Oracle):
    """Dendritic microcircuit with interneurons (spec 2.2); interneuron population k (k = 1..L-1) has
    n_{k+1} units and the activation (and per-unit slopes/offsets) of area k+1."""

    def __init__(self, c):
        super().__init__(c)
        L = self.L
        gl, gb, ga, gd, gnI, gt = self.gl, self.gb, self.ga, self.gd, self.gnI, self.gt
        self.tauP = [None] + [1.0 / (gl + gb + ga)] * L
        self.tauP[L] = 1.0 / (gl + gb + gt)           # with and without target
        self.tau_notgt = 1.0 / (gl + gb)              # only in the effective potential without target
        self.tauI = 1.0 / (gl + gd + gnI)
        self.cpred = [None] + [gb / (gl + gb + ga)] * L
        self.cpred[L] = gb / (gl + gb)
        self.cd = gd / (gl + gd)
        self.bp = bool(c.bp)
        self.use_act = bool(c.dw_use_activation)
        self.sps_reset = bool(c.sps_reset)
        self.W = [None] + [np.array(c.forward[(a, a - 1)], dtype=float) for a in range(1, L + 1)]
        self.eta = [None] + [float(c.eta_forward[(a, a - 1)]) for a in range(1, L + 1)]
        self.B = [None] + [np.array(c.feedback[(k, k + 1)], dtype=float) for k in range(1, L)]
        self.Xi = [None] + [np.array(c.feedback_noise[(k, k + 1)], dtype=float) for k in range(1, L)]
        self.BPI = [None] + [np.array(c.BPI[k], dtype=float) for k in range(1, L)]
        self.eta_PI = [None] + [float(c.eta_PI.get(k, 0.0)) for k in range(1, L)]
        self._init_interneurons(c)
        self.vapi = [None] + [np.zeros(self.n[k]) for k in range(1, L)]

    def _init_interneurons(self, c):
        L = self.L
        self.WIP = [None] + [np.array(c.WIP[k], dtype=float) for k in range(1, L)]
        self.eta_IP = [None] + [float(c.eta_IP.get(k, 0.0)) for k in range(1, L)]
        self.uI = [None] + [np.array(v, dtype=float) for v in c.uI0[:L - 1]]
        self.uI_old = [None] + [v.copy() for v in self.uI[1:]]
        self.uI_breve = [None] + [v.copy() for v in self.uI[1:]]
        self.rI = [None] + [self.f(k + 1, self.uI[k]) for k in range(1, L)]
        self.vden = [None] + [np.zeros(self.n[k + 1]) for k in range(1, L)]

    def _somatic(self, vbas, vapi, y):
        L, dt, gb, ga, gt = self.L, self.dt, self.gb, self.ga, self.gt
        du = [None] * (L + 1)
        for a in range(1, L):
            du[a] = dt * ((self.tauP[a] * (gb * vbas[a] + ga * vapi[a]) - self.u[a]) / self.tauP[a])
        if y is not None:
            ueff = self.tauP[L] * (gb * vbas[L] + gt * np.asarray(y, dtype=float))
        else:
            ueff = self.tau_notgt * (gb * vbas[L])
        du[L] = dt * ((ueff - self.u[L]) / self.tauP[L])
        return du

    def _basal(self, r):
        vbas = [None] * (self.L + 1)
        vbas[1] = self.W[1] @ self.x
        for a in range(2, self.L + 1):
            vbas[a] = self.W[a] @ r[a - 1]
        return vbas

    def _forward_increments(self, ub, r, vbas_old, r_old, x_old):
        dt = self.dt
        pre_old = [x_old] + r_old[1:]
        dW = [None]
        for a in range(1, self.L + 1):
            c = self.cpred[a]
            if self.use_act:
                post = r[a] - self.f(a, c * vbas_old[a])
            else:
                post = ub[a] - c * vbas_old[a]
            dW.append(dt * self.eta[a] * np.outer(post, pre_old[a - 1]))
        return dW

    def step(self, x, y, synapse=False, learn_w=False, learn_lat=False):
        L, dt, gd, gnI = self.L, self.dt, self.gd, self.gnI
        r_old = [None] + [v.copy() for v in self.r[1:]]
        rI_old = [None] + [v.copy() for v in self.rI[1:]]
        x_old = self.x.copy()
        vbas_old = [None] + [v.copy() for v in self.vbas[1:]]
        vden_old = [None] + [v.copy() for v in self.vden[1:]]
        vapi_old = [None] + [v.copy() for v in self.vapi[1:]]
        ub = [None] + [lookahead(self.u[a], self.u_old[a], self.tauP[a], dt, self.taur) for a in range(1, L + 1)]
        uIb = [None] + [lookahead(self.uI[k], self.uI_old[k], self.tauI, dt, self.taur) for k in range(1, L)]
        r = [None] + [self.f(a, ub[a]) for a in range(1, L + 1)]
        rI = [None] + [self.f(k + 1, uIb[k]) for k in range(1, L)]
        self.x = x.copy()
        self.u_old = [None] + [v.copy() for v in self.u[1:]]
        self.uI_old = [None] + [v.copy() for v in self.uI[1:]]
        vbas = self._basal(r)
        vden = [None] + [self.WIP[k] @ r[k] for k in range(1, L)]
        vapi = [None] + [self.B[k] @ r[k + 1] + self.BPI[k] @ rI[k] for k in range(1, L)]
        duI = [None] + [dt * ((self.tauI * (gd * vden[k] + gnI * ub[k + 1]) - self.uI[k]) / self.tauI)
                        for k in range(1, L)]
        du = self._somatic(vbas, vapi, y)
        if synapse:
            dW = self._forward_increments(ub, r, vbas_old, r_old, x_old)
            dWIP = [None] + [dt * self.eta_IP[k] * np.outer(rI[k] - self.f(k + 1, self.cd * vden_old[k]), r_old[k])
                             for k in range(1, L)]
            dBPI = [None] + [(dt * self.eta_PI[k] * np.outer(-vapi_old[k], rI_old[k]) if self.eta_PI[k] != 0.0
                              else np.zeros_like(self.BPI[k])) for k in range(1, L)]
            if self.bp:  # pre-update W; B_PI overwritten before dB_PI is added (quirk 21)
                self.B = [None] + [self.Xi[k] + self.W[k + 1].T for k in range(1, L)]
                self.BPI = [None] + [-self.B[k] for k in range(1, L)]
        for a in range(1, L + 1):
            self.u[a] = self.u[a] + du[a]
        for k in range(1, L):
            self.uI[k] = self.uI[k] + duI[k]
        if synapse and learn_w:
            self.W = [None] + [self.W[a] + dW[a] for a in range(1, L + 1)]
        if synapse and learn_lat:
            self.WIP = [None] + [self.WIP[k] + dWIP[k] for k in range(1, L)]
            self.BPI = [None] + [self.BPI[k] + dBPI[k] for k in range(1, L)]
        if self.sps_reset:  # set_self_predicting_state after the weight updates, every step (Fig. A2)
            gl, gb, ga, gd = self.gl, self.gb, self.ga, self.gd
            self.BPI = [None] + [-self.B[k].copy() for k in range(1, L)]
            self.WIP = [None] + [(gb * (gl + gd) / (gd * (gl + gb + (ga if k < L - 1 else 0.0)))) * self.W[k + 1].copy()
                                 for k in range(1, L)]
        self.u_breve, self.uI_breve, self.r, self.rI = ub, uIb, r, rI
        self.vbas, self.vapi, self.vden = vbas, vapi, vden

    def forward_blocks(self):
        return {(a, a - 1): self.W[a] for a in range(1, self.L + 1)}

    def _feedback_and_lateral(self, pop_sizes):
        L = self.L
        ro = self.rep_offsets()
        po = offsets(pop_sizes)
        B = np.zeros((ro[-1], ro[-1]))
        BPI = np.zeros((ro[-1], po[-1]))
        for k in range(1, L):
            B[ro[k - 1]:ro[k], ro[k]:ro[k + 1]] = self.B[k]
            BPI[ro[k - 1]:ro[k], po[k - 1]:po[k]] = self.BPI[k]
        return B, BPI, po

    def kernel_view(self):
        L = self.L
        pops = [self.n[k + 1] for k in range(1, L)] + [0]
        B, BPI, po = self._feedback_and_lateral(pops)
        ro = self.rep_offsets()
        WIP = np.zeros((po[-1], ro[-1]))
        for k in range(1, L):
            WIP[po[k - 1]:po[k], ro[k - 1]:ro[k]] = self.WIP[k]
        return dict(
            x=self.x, u=cat(self.u[1:]), u_breve=cat(self.u_breve[1:]), rates=cat(self.r[1:]),
            uI=cat(self.uI[1:]), uI_breve=cat(self.uI_breve[1:]), rI=cat(self.rI[1:]), vbas=cat(self.vbas[1:]),
            vapi_hidden=cat(self.vapi[1:]), vden=cat(self.vden[1:]),
            W=self.forward_matrix(), B=B, WIP=WIP, BPI=BPI)


class DPCOracle(SacramentoOracle):
    """Dendritic predictive coding (spec 2.4): no interneurons; the 'interneuron rate' of area k is the
    rate of area k one step earlier; square, plastic B_PI_k; BP refreshes B but leaves B_PI alone."""

    def _init_interneurons(self, c):
        L = self.L
        self.rI = [None] + [v.copy() for v in self.r[1:]]   # initial rates of all areas
        self.eta_PI = [None] + [float(c.eta_PI.get(k, 0.0)) for k in range(1, L)]

    def step(self, x, y, synapse=False, learn_w=False, learn_lat=False):
        L, dt = self.L, self.dt
        r_old = [None] + [v.copy() for v in self.r[1:]]
        rI_old = [None] + [v.copy() for v in self.rI[1:]]
        x_old = self.x.copy()
        vbas_old = [None] + [v.copy() for v in self.vbas[1:]]
        vapi_old = [None] + [v.copy() for v in self.vapi[1:]]
        ub = [None] + [lookahead(self.u[a], self.u_old[a], self.tauP[a], dt, self.taur) for a in range(1, L + 1)]
        rI = [None] + [v.copy() for v in self.r[1:]]          # r(n-1)
        r = [None] + [self.f(a, ub[a]) for a in range(1, L + 1)]
        self.x = x.copy()
        self.u_old = [None] + [v.copy() for v in self.u[1:]]
        vbas = self._basal(r)
        vapi = [None] + [self.B[k] @ r[k + 1] + self.BPI[k] @ rI[k] for k in range(1, L)]
        du = self._somatic(vbas, vapi, y)
        if synapse:
            dW = self._forward_increments(ub, r, vbas_old, r_old, x_old)
            dBPI = [None] + [(dt * self.eta_PI[k] * np.outer(-vapi_old[k], rI_old[k]) if self.eta_PI[k] != 0.0
                              else np.zeros_like(self.BPI[k])) for k in range(1, L)]
            if self.bp:
                self.B = [None] + [self.Xi[k] + self.W[k + 1].T for k in range(1, L)]
        for a in range(1, L + 1):
            self.u[a] = self.u[a] + du[a]
        if synapse and learn_w:
            self.W = [None] + [self.W[a] + dW[a] for a in range(1, L + 1)]
        if synapse and learn_lat:
            self.BPI = [None] + [self.BPI[k] + dBPI[k] for k in range(1, L)]
        if self.sps_reset:  # dPC's set_self_predicting_state after the weight updates, every step (Fig. A2)
            gl, gb, ga = self.gl, self.gb, self.ga
            self.BPI = [None] + [(-gb / (gl + gb + (ga if k < L - 1 else 0.0)) * self.B[k].copy()) @ self.W[k + 1].copy()
                                 for k in range(1, L)]
        self.u_breve, self.r, self.rI = ub, r, rI
        self.vbas, self.vapi = vbas, vapi

    def kernel_view(self):
        B, BPI, _ = self._feedback_and_lateral(self.n[1:])
        return dict(
            x=self.x, u=cat(self.u[1:]), u_breve=cat(self.u_breve[1:]), rates=cat(self.r[1:]),
            rI=cat(self.rI[1:]), vbas=cat(self.vbas[1:]), vapi_hidden=cat(self.vapi[1:]),
            W=self.forward_matrix(), B=B, BPI=BPI)


# ---------------------------------------------------------------------------------------------------------

class ANNOracle(Oracle):
    """Layered ANN with BP/FA error propagation (spec 2.5): no look-ahead, no dt in the state update."""

    def __init__(self, c):
        super().__init__(c)
        L = self.L
        self.cprime = self.gb / (self.gb + self.gl)
        self.bp = bool(c.bp)
        self.W = [None] + [np.array(c.forward[(a, a - 1)], dtype=float) for a in range(1, L + 1)]
        self.eta = [None] + [float(c.eta_forward[(a, a - 1)]) for a in range(1, L + 1)]
        self.B = [None] + [np.array(c.feedback[(k, k + 1)], dtype=float) for k in range(1, L)]
        self.err = [None] + [np.array(v, dtype=float) for v in c.uI0]

    def step(self, x, y, synapse=False, learn_w=False, learn_lat=False):
        L, dt = self.L, self.dt
        r_old = [None] + [v.copy() for v in self.r[1:]]
        x_old = self.x.copy()
        r = [None] + [self.f(a, self.u[a]) for a in range(1, L + 1)]
        d = [None] + [self.df(a, self.u[a]) for a in range(1, L + 1)]
        self.x = x.copy()
        e_new = [None] * (L + 1)
        for a in range(1, L):
            e_new[a] = d[a] * (self.B[a] @ self.err[a + 1])
        e_new[L] = d[L] * (np.asarray(y, dtype=float) - r[L]) if y is not None else np.zeros(self.n[L])
        u_new = [None, self.cprime * (self.W[1] @ self.x)]
        for a in range(2, L + 1):
            u_new.append(self.cprime * (self.W[a] @ r[a - 1]))
        if synapse:
            pre_old = [x_old] + r_old[1:]
            dW = [None] + [dt * self.eta[a] * np.outer(self.err[a], pre_old[a - 1]) for a in range(1, L + 1)]
            if self.bp:
                self.B = [None] + [self.W[k + 1].T.copy() for k in range(1, L)]
        self.u, self.err, self.r, self.d = u_new, e_new, r, d
        if synapse and learn_w:
            self.W = [None] + [self.W[a] + dW[a] for a in range(1, L + 1)]

    def forward_blocks(self):
        return {(a, a - 1): self.W[a] for a in range(1, self.L + 1)}

    def kernel_view(self):
        L = self.L
        ro = self.rep_offsets()
        B = np.zeros((ro[-1], ro[-1]))
        for k in range(1, L):
            B[ro[k - 1]:ro[k], ro[k]:ro[k + 1]] = self.B[k]
        u = cat(self.u[1:])
        return dict(x=self.x, u=u, u_breve=u, rates=cat(self.r[1:]), d=cat(self.d[1:]), uI=cat(self.err[1:]),
                    W=self.forward_matrix(), B=B)


ORACLES = {"errormc": ErrormcOracle, "sacramento2018": SacramentoOracle, "dPC": DPCOracle, "ann": ANNOracle}


def make_oracle(circuit) -> Oracle:
    return ORACLES[circuit.model](circuit)
