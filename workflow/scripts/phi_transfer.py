"""Fig. 8's data: the φ′ transfer for every activation and noise level (no network simulation; seconds)."""

import contextlib
import shlex
from typing import TYPE_CHECKING

from microcircuits.io.netcdf import write_netcdf
from microcircuits.io.phi_transfer import phi_transfer_dataset
from microcircuits.tasks.phi_transfer import TransferSettings

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

P = snakemake.params
with open(snakemake.log[0], "w") as log, contextlib.redirect_stdout(log):
    settings = TransferSettings(levels=P.levels, u_range=tuple(P.u_range), Tpres=P.Tpres, dt=P.dt,
                                tau_steps=P.tau_steps)
    ds = phi_transfer_dataset(P.activations, P.sigmas, settings, P.seed,
                              command=f"snakemake {snakemake.rule} ({shlex.join(map(str, P.activations))})")
    ds.attrs["scale"] = P.scale
    write_netcdf(ds, snakemake.output[0])
    print(f"wrote {snakemake.output[0]}")
