"""The layered ANN with backprop or feedback alignment (the reference's ``ann_model``): every area jumps to its
feed-forward drive in one step, errors travel one area per step.  It is the teacher of Fig. 3.  Equations:
docs/models.md §2.5; kernel: kernels/ann.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..kernels import ann as kernel  # its step, and the record types it runs on
from ..networks.init import uniform
from .base import (
    Circuit,
    ModelFamily,
    Sizes,
    activation_lists,
    bp_feedback,
    circuit,
    conductances,
    dendritic_time_constants,
    initial_voltages,
    layered_eta,
    layered_forward,
    own_seed,
    ranges,
    zeros_like,
)

if TYPE_CHECKING:
    from ..params import Params


def build(p: Params, s: Sizes) -> Circuit:
    layers, L = s.layers, len(s.layers) - 1
    u0, uI0 = initial_voltages(p, s, layers[1:])
    rs = np.random.RandomState(s.seed)
    rg = ranges(p, s.teacher)
    forward = layered_forward(rs, layers, rg["WPP"])
    for a in range(1, L + 1):  # W_IP placeholders, drawn and unused
        uniform(rs, rg["WIP"], (layers[a], layers[a]))
    if p.model_type != "BP":
        B_fa = {(k, k + 1): uniform(rs, rg["BPP"], (layers[k], layers[k + 1])) for k in range(1, L)}
    for a in range(1, L + 1):  # B_PI placeholders
        uniform(rs, rg["BPI"], (layers[a], layers[a]))
    kinds, slopes, offs = activation_lists(p, s.teacher, layers, rs)
    rng = np.random.RandomState(own_seed(p, s))
    if p.model_type == "BP":
        feedback, noise = bp_feedback(rng, 0.0, forward, L)
    else:
        feedback, noise = B_fa, zeros_like(B_fa)
    rng = np.random.RandomState(own_seed(p, s))
    rate_target = p.rate_target if p.rate_target is not None else MODEL.rate_target
    return circuit("ann", p, s, tuple(layers[1:]), forward, layered_eta(p, L), feedback, noise,
                   {k: False for k in feedback}, {}, {}, {}, {}, u0, uI0, kinds, slopes, offs, kinds, slopes, offs,
                   conductances(p, gden=0.0, gapi=0.0, gnI=0.0, gntgt=0.0), rate_target, rng)


MODEL = ModelFamily(
    name="ann", label="ANN", kernel=kernel.KERNEL, population="errors", rate_target=True, feedback_on_population=False, has_error_units=False,
    lateral_populations=lambda L: 0, build=build, time_constants=dendritic_time_constants, population_rates="zero",
    weight_alignment=False, colour="#006BA4")
