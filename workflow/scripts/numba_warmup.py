"""Compile (or load from the cache) the kernels of one model, or of one task's closed loop: a tiny run."""

import contextlib
import time
from typing import TYPE_CHECKING

from microcircuits.params import params_from_mapping
from microcircuits.tasks import cartpole, dms, genmnist, teacher_student

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

TINY = dict(dataset_size=2, epochs=1, random_seed=[1])
kind = snakemake.wildcards.model
with open(snakemake.log[0], "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
    t0 = time.perf_counter()
    if kind in ("cartpole", "dms", "genmnist"):  # the task's network settings (snakemake.params.base, from config)
        p = params_from_mapping({**snakemake.params.base, **TINY, "settling_time": 0.1}, source=f"numba warm-up ({kind})")
        {"cartpole": cartpole, "dms": dms, "genmnist": genmnist}[kind].run(p, progress=False)
    else:
        p = params_from_mapping(dict(
            mc_model=kind, teacher_mc_model="ann", layers=[3, 2, 1], eta_fw=[0.1, 0.1], activation="tanh",
            fw_connection_mode="skip" if kind == "errormc" else "layered",
            bw_connection_mode="skip" if kind == "errormc" else "layered", eta_fw_conversion="fill_scaled",
            init_realistic_connectivity=kind == "errormc", model_type="BP", WT_noise=0.5, settling_time=0.2,
            rec_per_steps=20, **TINY), source="numba warm-up")
        teacher_student.run(p, compare=True, progress=False)
    print(f"{kind} kernels ready in {time.perf_counter() - t0:.1f} s")
