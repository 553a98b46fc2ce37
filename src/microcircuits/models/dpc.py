"""Dendritic hierarchical predictive coding (Mikulasch et al.; the reference's ``dPC_model``): pyramidal cells
whose apical input compares the feedback with the same area's rate one step earlier through a square, plastic
B_PI; no interneuron dynamics.  The reference forces students to linear activations (`dPC_linear_students`).  Equations: docs/models.md
§2.4; kernel: kernels/dpc.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..kernels import dpc as kernel  # its step, and the record types it runs on
from .base import (
    Circuit,
    ModelFamily,
    Sizes,
    activation_lists,
    bp_feedback,
    circuit,
    conductances,
    dendritic_start,
    dendritic_time_constants,
    layered_eta,
    own_seed,
    per_population,
)

if TYPE_CHECKING:
    from ..params import Params


def build(p: Params, s: Sizes) -> Circuit:
    layers, L = s.layers, len(s.layers) - 1
    u0, uI0, rs, forward, WIP, _, BPI = dendritic_start(p, s)  # no FA feedback: dPC runs BP only (check)
    # the reference's init_MC forces students to linear activations; dPC_linear_students: false keeps the file's
    force_linear = not s.teacher and p.dPC_linear_students and p.activation != "linear"
    kinds, slopes, offs = activation_lists(p, s.teacher, layers, rs, force_linear=force_linear)
    rng = np.random.RandomState(own_seed(p, s))
    WT = 0.0 if s.teacher else p.WT_noise
    feedback, noise = bp_feedback(rng, WT, forward, L)
    BPI = {k: BPI[k] @ WIP[k] for k in range(1, L)}
    g = conductances(p, gnI=0.0)
    if p.init_in_SPS or s.teacher:
        gl, gb, ga = g["gl"], g["gbas"], g["gapi"]
        for k in range(1, L - 1):
            BPI[k] = -gb / (gl + gb + ga) * feedback[(k, k + 1)].copy() @ forward[(k + 1, k)].copy()
        if L >= 2:
            BPI[L - 1] = -gb / (gl + gb) * feedback[(L - 1, L)].copy() @ forward[(L, L - 1)].copy()
    rate_target = p.rate_target if p.rate_target is not None else MODEL.rate_target
    c = circuit("dPC", p, s, tuple(layers[1:]), forward, layered_eta(p, L), feedback, noise,
                {k: False for k in feedback}, WIP, BPI, {}, per_population(p.eta_PI, L - 1), u0, uI0, kinds,
                slopes, offs, kinds, slopes, offs, g, rate_target, rng)
    c.dw_use_activation = p.dWPP_use_activation
    c.sps_reset = p.lateral_sps_reset and not s.teacher
    return c


def check(p: Params, err) -> None:
    if p.model_type == "FA":
        raise err("model_type", "dPC supports only BP (its FA mode is broken in the reference: B = W, wrong shapes)")


MODEL = ModelFamily(
    name="dPC", label="dendritic hPC", kernel=kernel.KERNEL, population="the same area's rates one step earlier",
    rate_target=False, feedback_on_population=False, has_error_units=False, lateral_populations=lambda L: L - 1, build=build,
    time_constants=dendritic_time_constants, check=check, population_rates="delayed", output_apical=False,
    self_predicting_state=True, colour="#ABABAB")
