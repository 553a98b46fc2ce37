"""Compile (or load from the cache) the kernels of one model: a tiny teacher-student run with the replay."""

import contextlib
import time
from typing import TYPE_CHECKING

from microcircuits.params import params_from_mapping
from microcircuits.tasks import teacher_student

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

model = snakemake.wildcards.model
with open(snakemake.log[0], "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
    t0 = time.perf_counter()
    p = params_from_mapping(dict(
        mc_model=model, teacher_mc_model="ann", layers=[3, 2, 1], eta_fw=[0.1, 0.1], activation="tanh",
        fw_connection_mode="skip" if model == "errormc" else "layered",
        bw_connection_mode="skip" if model == "errormc" else "layered", eta_fw_conversion="fill_scaled",
        init_realistic_connectivity=model == "errormc", model_type="BP", WT_noise=0.5, dataset_size=2,
        epochs=1, settling_time=0.2, rec_per_steps=20, random_seed=[1]), source="numba warm-up")
    teacher_student.run(p, compare=True, progress=False)
    print(f"{model} kernels ready in {time.perf_counter() - t0:.1f} s")
