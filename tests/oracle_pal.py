"""A plain-NumPy oracle of one step of PAL's circuit, written from docs/pal.md §1 in the form PAL's code keeps
its networks: a list of matrices per weight kind, a list of vectors per area, whole-vector expressions.  It
shares nothing with the kernel but the initial network, which it copies (``PalOracle.of(net)``)."""

from __future__ import annotations

import numpy as np

PHI = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "soft_relu": lambda x: np.log(1.0 + np.exp(x)),
    "logistic": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "hard_sigmoid": lambda x: np.maximum(0.0, np.minimum(1.0, x / 6.0 + 0.5)),
}


class PalOracle:
    def __init__(self, p, net, rng: np.random.RandomState):
        self.p, self.rng = p, rng
        self.N = len(p.layers) - 1
        self.acts = [PHI[a] for a in p.activations()]
        self.W, self.B, self.WIP, self.BPI = (net.blocks(k) for k in ("W", "B", "WIP", "BPI"))
        uP, uI = net.voltages()
        self.u, self.u_old = [x.copy() for x in uP], [x.copy() for x in uP]
        self.uI, self.uI_old = [x.copy() for x in uI], [x.copy() for x in uI]
        self.r = [self.acts[k](self.u[k]) for k in range(self.N)]
        self.rI = [self.acts[k + 1](self.uI[k]) for k in range(self.N - 1)]
        self.rhp = [x.copy() for x in self.r]
        self.vbas = [np.zeros_like(x) for x in self.u]
        self.vapi = [np.zeros_like(x) for x in self.u[:-1]]
        self.vden = [np.zeros_like(x) for x in self.uI]
        self.xi = [np.zeros_like(x) for x in self.u[:-1]]
        self.r0 = np.zeros(p.layers[0])
        self.dWLO = [np.zeros_like(w) for w in self.W]
        g = p.gl + p.gbas + p.gapi
        self.tau = [1 / g] * (self.N - 1) + [1 / (p.gl + p.gbas + p.gntgt)]
        self.tauI = 1 / (p.gl + p.gden + p.gnI)
        self.look = (lambda t: t) if p.taur is None else (lambda t: p.taur * t)

    def step(self, x, target, learn_w: bool, learn_lat: bool, learn_bw: bool) -> None:
        p, N = self.p, self.N
        r_old, rI_old, r0_old = self.r, self.rI, self.r0
        vbas_old, vapi_old, vden_old = self.vbas, self.vapi, self.vden
        ub = [self.u_old[k] + self.look(self.tau[k]) * (self.u[k] - self.u_old[k]) / p.dt for k in range(N)]
        ubI = [self.uI_old[k] + self.look(self.tauI) * (self.uI[k] - self.uI_old[k]) / p.dt for k in range(N - 1)]
        self.r = [self.acts[k](ub[k]) for k in range(N)]
        self.rI = [self.acts[k + 1](ubI[k]) for k in range(N - 1)]
        self.r0 = np.asarray(x, dtype=float)
        self.u_old, self.uI_old = [u.copy() for u in self.u], [u.copy() for u in self.uI]
        self.vbas = [self.W[0] @ self.r0] + [self.W[k] @ self.r[k - 1] for k in range(1, N)]
        if p.model_type == "PAL" and p.inter_low_pass:
            self.vden = [vden_old[k] + p.dt / p.tauLO * (self.WIP[k] @ self.r[k] - vden_old[k]) for k in range(N - 1)]
        else:
            self.vden = [self.WIP[k] @ self.r[k] for k in range(N - 1)]
        self.vapi = [self.B[k] @ self.r[k + 1] + self.BPI[k] @ self.rI[k] for k in range(N - 1)]
        noisy = self.vapi_noisy = [self.vapi[k] + self.xi[k] for k in range(N - 1)]
        inject = p.model_type == "PAL" and learn_bw
        if inject:
            for k in range(N - 1):
                w = self.rng.normal(0, 1, size=self.u[k].size)
                scale = {"const": 1.0, "uP": np.abs(self.u[k]), "uP_breve": np.abs(ub[k]), "vapi": np.abs(self.vapi[k])}[p.noise_mode]
                white = p.noise_scale[k] * (scale * w)
                if p.noise_type == "OU":
                    self.xi[k] = self.xi[k] + 1 / p.tauxi * (-p.dt * self.xi[k] + np.sqrt(p.dt * p.tauxi) * white)
                else:
                    self.xi[k] = white
        duI = [p.dt * (self.tauI * (p.gden * self.vden[k] + p.gnI * ub[k + 1]) - self.uI[k]) / self.tauI for k in range(N - 1)]
        api = noisy if inject else self.vapi
        du = [p.dt * (self.tau[k] * (p.gbas * self.vbas[k] + p.gapi * api[k]) - self.u[k]) / self.tau[k] for k in range(N - 1)]
        if target is not None:
            drive = self.tau[-1] * (p.gbas * self.vbas[-1] + p.gntgt * np.asarray(target))
        else:
            drive = p.gbas * self.vbas[-1] / (p.gl + p.gbas)
        du.append(p.dt * (drive - self.u[-1]) / self.tau[-1])
        g = p.gl + p.gbas + p.gapi
        coef = [p.gbas / g] * (N - 1) + [p.gbas / (p.gl + p.gbas)]
        pre = [r0_old] + r_old[:-1]
        if p.dWPP_use_activation:
            post = [self.r[k] - self.acts[k](coef[k] * vbas_old[k]) for k in range(N)]
        else:
            post = [ub[k] - coef[k] * vbas_old[k] for k in range(N)]
        dW = [p.dt * p.eta_fw[k] * np.outer(post[k], pre[k]) for k in range(N)]
        dWIP = [p.dt * p.eta_IP[k] * np.outer(self.rI[k] - self.acts[k + 1](p.gden / (p.gl + p.gden) * vden_old[k]), r_old[k])
                for k in range(N - 1)]
        dBPI = [p.dt * p.eta_PI[k] * np.outer(-vapi_old[k], rI_old[k]) for k in range(N - 1)]
        if p.model_type == "BP":
            self.B = [w.T.copy() for w in self.W[1:]]
            self.BPI = [-b for b in self.B]
        if p.model_type == "PAL" and learn_bw:
            for k in range(N - 1):
                rp = self.rhp[k + 1] if p.pyr_hi_pass else self.r[k + 1]
                decay = p.dt * p.alpha[k] * p.eta_bw[k] * self.B[k]
                if p.gate_regularizer:
                    decay = decay * (rp > 0)
                self.B[k] = self.B[k] + (p.dt * p.eta_bw[k] * np.outer(self.xi[k], rp) - decay)
        self.u = [self.u[k] + du[k] for k in range(N)]
        self.uI = [self.uI[k] + duI[k] for k in range(N - 1)]
        if learn_w:
            if p.model_type == "PAL" and p.dWPP_low_pass:
                self.dWLO = [self.dWLO[k] + p.dt / p.tauLO * (dW[k] - self.dWLO[k]) for k in range(N)]
                self.W = [self.W[k] + self.dWLO[k] for k in range(N)]
            else:
                self.W = [self.W[k] + dW[k] for k in range(N)]
        if learn_lat:
            self.WIP = [self.WIP[k] + dWIP[k] for k in range(N - 1)]
            self.BPI = [self.BPI[k] + dBPI[k] for k in range(N - 1)]
        if p.model_type == "PAL":
            self.rhp = [self.rhp[k] + (self.r[k] - r_old[k]) - p.dt / p.tauHP * self.rhp[k] for k in range(N)]
