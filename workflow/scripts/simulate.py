"""One simulation job: `microcircuits simulate PARAMS --out RUN.nc [--compare bp]`, logged."""

import contextlib
from typing import TYPE_CHECKING

from microcircuits.cli import main

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

args = ["simulate", snakemake.input.params, "--out", snakemake.output[0], "--quiet",
        "--threads", str(snakemake.threads), *snakemake.params.options]
with open(snakemake.log[0], "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
    print("microcircuits " + " ".join(args), flush=True)
    code = main(args)
if code != 0:
    raise SystemExit(f"microcircuits simulate failed with exit code {code}; see {snakemake.log[0]}")
