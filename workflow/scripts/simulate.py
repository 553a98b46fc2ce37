"""One simulation job: `microcircuits simulate PARAMS --out RUN.nc [--compare bp]`, logged.

The job stops (removing its temporary output) when the Snakemake that started it dies, even by SIGKILL:
otherwise it would run on as an orphan, and the next run would find its lock held by a live process."""

import contextlib
import os
import signal
import threading
import time
from typing import TYPE_CHECKING

from microcircuits.cli import main
from microcircuits.processes import alive, snakemake_ancestor

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake


def stop_when_gone(pid):
    while True:
        time.sleep(1.0)
        if not alive(pid):
            os.kill(os.getpid(), signal.SIGTERM)  # unwinds like Ctrl-C: temporary files are removed
            return


parent = snakemake_ancestor()
if parent is not None:
    threading.Thread(target=stop_when_gone, args=(parent,), daemon=True).start()

args = ["simulate", snakemake.input.params, "--out", snakemake.output[0], "--quiet",
        "--threads", str(snakemake.threads), *snakemake.params.options]
with open(snakemake.log[0], "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
    print("microcircuits " + " ".join(args), flush=True)
    code = main(args)
if code != 0:
    raise SystemExit(f"microcircuits simulate failed with exit code {code}; see {snakemake.log[0]}")
