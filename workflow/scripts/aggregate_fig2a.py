"""Combine the Fig. 2a variants (ideal, tanh) into results/fig2a/fig2a.nc on a `variant` dimension."""

import json
from typing import TYPE_CHECKING

import xarray as xr

from microcircuits.io.netcdf import write_netcdf
from microcircuits.io.provenance import provenance_attrs

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

variants = list(snakemake.params.variants)
labels = dict(snakemake.params.labels)
with open(snakemake.log[0], "w") as log:
    runs = [xr.open_dataset(path) for path in snakemake.input.runs]
    params = []
    for v, ds in zip(variants, runs):
        p = json.loads(ds.attrs["params_json"])
        params.append(json.dumps(p, sort_keys=True))
        print(f"{v}: seeds {list(ds.seed.values)}, failures per test (median over seeds) "
              f"{ds.failures.median('seed').values.tolist()}, teacher {int(ds.teacher_failures)}", file=log)
    out = xr.concat(runs, dim="variant", data_vars="all", coords="minimal", compat="override",
                    combine_attrs="drop_conflicts")
    out = out.assign_coords(variant=("variant", variants, {"long_name": "student variant"}),
                            label=("variant", [labels[v] for v in variants], {"long_name": "legend label"}))
    out["params_json"] = ("variant", params, {"long_name": "parameters of the variant's job"})
    for key in ("params_json", "command", "created", "wall_time_s", "host"):
        out.attrs.pop(key, None)
    out.attrs.update({"title": "Fig. 2a: cart-pole control (aggregated runs)", "scale": snakemake.params.scale,
                      "runs": json.dumps(list(snakemake.input.runs)),
                      **provenance_attrs(json.dumps({"scale": snakemake.params.scale}), command="snakemake fig2a_aggregate"),
                      "git_revision_of_runs": runs[0].attrs["git_revision"]})
    write_netcdf(out, snakemake.output[0])
    print(f"wrote {snakemake.output[0]}", file=log)
