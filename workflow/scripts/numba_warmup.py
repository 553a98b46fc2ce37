"""Compile (or load from the cache) the kernels of one model, or of one task's loop: a tiny run."""

import contextlib
import time
from typing import TYPE_CHECKING

from microcircuits.models import MODELS
from microcircuits.params import params_from_mapping
from microcircuits.tasks import TASKS

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

TINY = dict(dataset_size=2, epochs=1, random_seed=[1])
LENGTHS = ("random_seed", "epochs", "dataset_size", "settling_time")  # a change of scale compiles nothing new
kind = snakemake.wildcards.kind
with open(snakemake.log[0], "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
    t0 = time.perf_counter()
    if kind == "pal":  # PAL's runner: both tasks and the replay, on a tiny network
        from microcircuits.params_pal import MODEL_TYPES, pal_params_from_mapping
        from microcircuits.tasks import pal
        common = dict(dt=0.01, Tpres=0.05, dataset_size=2, epochs=1, settling_time=0.05, layers=[2, 3, 2],
                      activation="logistic", gl=0.03, gbas=0.1, gapi=0.06, gden=0.1, gnI=0.06, gntgt=0.06,
                      eta_fw=[1, 1], eta_bw=[1], eta_IP=[1], eta_PI=[1], random_seed=[1], init_in_SPS=True,
                      dWPP_use_activation=True, rec_per_steps=1, dtxi=0.01, tauxi=0.1, tauHP=0.1, tauLO=100,
                      noise_type="OU", noise_mode="const", noise_scale=[0.05], alpha=[1e-5], pyr_hi_pass=True,
                      dWPP_low_pass=True, inter_low_pass=False, gate_regularizer=False, model_type="PAL",
                      **{k: [-1, 1] for k in ("init_WPP_range", "init_WIP_range", "init_BPP_range", "init_BPI_range",
                                              "init_teacher_WPP_range", "init_teacher_WIP_range",
                                              "init_teacher_BPP_range", "init_teacher_BPI_range")})
        for model in MODEL_TYPES:  # one compiled kernel per model (kernels/pal._steps_for)
            for task in pal.TASKS:
                pal.run(pal_params_from_mapping({**common, "model_type": model}, source="numba warm-up (pal)"), task,
                        compare=True, progress=False)
    elif kind in MODELS:  # every kernel of a model: training and the replay against backprop
        skip = not MODELS[kind].layered_only
        p = params_from_mapping(dict(
            mc_model=kind, teacher_mc_model="ann", layers=[3, 2, 1], eta_fw=[0.1, 0.1], activation="tanh",
            fw_connection_mode="skip" if skip else "layered", bw_connection_mode="skip" if skip else "layered",
            eta_fw_conversion="fill_scaled", init_realistic_connectivity=skip, model_type="BP", WT_noise=0.5,
            settling_time=0.2, rec_per_steps=20, **TINY), source="numba warm-up")
        TASKS["step"].run(p, compare=True, progress=False)
    else:  # a task's network settings (snakemake.params.base, from the figure's config)
        base = {k: v for k, v in vars(snakemake.params.p).items() if k not in LENGTHS}
        p = params_from_mapping({**base, **TINY, "settling_time": 0.1}, source=f"numba warm-up ({kind})")
        TASKS[p.input_signal].run(p, progress=False)
    print(f"{kind} kernels ready in {time.perf_counter() - t0:.1f} s")
