"""Execute a figure notebook with papermill: its `parameters` cell gets the paths from the rule."""

import os
from typing import TYPE_CHECKING

import papermill as pm

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # reproducible PDF metadata
with open(snakemake.log[0], "w") as log:
    pm.execute_notebook(
        snakemake.input.notebook, snakemake.output.notebook, parameters=dict(snakemake.params.parameters),
        kernel_name="python3", cwd=os.getcwd(), log_output=True, stdout_file=log, stderr_file=log,
        progress_bar=False)
