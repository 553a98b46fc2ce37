"""The dendritic microcircuit of Sacramento et al. 2018 (the reference's ``base_model``): pyramidal cells in every
area, one interneuron population per hidden area that mimics the area above, voltage targets at the output.
Equations: docs/models.md §2.2; kernel: kernels/sacramento.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..kernels import sacramento as kernel  # its step, and the record types it runs on
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
    zeros_like,
)

if TYPE_CHECKING:
    from ..params import Params


def build(p: Params, s: Sizes) -> Circuit:
    layers, L = s.layers, len(s.layers) - 1
    u0, uI0, rs, forward, WIP, B_fa, BPI = dendritic_start(p, s)
    kinds, slopes, offs = activation_lists(p, s.teacher, layers, rs)
    rng = np.random.RandomState(own_seed(p, s))
    WT = 0.0 if s.teacher else p.WT_noise
    feedback, noise = bp_feedback(rng, WT, forward, L) if p.model_type == "BP" else (B_fa, zeros_like(B_fa))
    g = conductances(p)
    if p.init_in_SPS or s.teacher:
        self_predicting_state(g, forward, feedback, WIP, BPI, L)
    rate_target = p.rate_target if p.rate_target is not None else MODEL.rate_target
    pops = tuple(layers[2:]) + (0,)
    c = circuit("sacramento2018", p, s, pops, forward, layered_eta(p, L), feedback, noise,
                {k: False for k in feedback}, WIP, BPI, per_population(p.eta_IP, L - 1),
                per_population(p.eta_PI, L - 1), u0, uI0, kinds, slopes, offs, kinds[1:] + [0],
                slopes[1:] + [np.zeros(0)], offs[1:] + [np.zeros(0)], g, rate_target, rng)
    c.dw_use_activation = p.dWPP_use_activation
    c.sps_reset = p.lateral_sps_reset and not s.teacher
    return c


def self_predicting_state(g, forward, feedback, WIP, BPI, L) -> None:
    """The reference's ``set_self_predicting_state``: B_PI = -B, W_IP = scaled W of the area above (in place)."""
    gl, gb, ga, gd = g["gl"], g["gbas"], g["gapi"], g["gden"]
    for k in range(1, L):
        BPI[k] = -feedback[(k, k + 1)].copy()
    for k in range(1, L - 1):
        WIP[k] = gb * (gl + gd) / (gd * (gl + gb + ga)) * forward[(k + 1, k)].copy()
    if L >= 2:
        WIP[L - 1] = gb * (gl + gd) / (gd * (gl + gb)) * forward[(L, L - 1)].copy()


MODEL = ModelFamily(
    name="sacramento2018", label="Sacramento et al. 2018", kernel=kernel.KERNEL, population="interneurons",
    rate_target=False, feedback_on_population=False, has_error_units=False, lateral_populations=lambda L: L - 1, build=build,
    time_constants=dendritic_time_constants, output_apical=False, self_predicting_state=True,
    colour="#595959")
