"""Combine genMNIST runs into one dataset: Fig. 4 on (n_rep, n_err, seed), Fig. 5 on (site, sigma, seed).

Fig. 5's sigma = 0 column is Fig. 4's run of the same network (snakemake.input.baseline), shared by
both sites.  The test loss of a seed is the mean of its per-step test MSE over all test steps, as the
reference's notebooks compute it.
"""

import json
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from microcircuits.io.netcdf import write_netcdf
from microcircuits.io.provenance import provenance_attrs

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

KEEP = ["test_mse", "test_loss", "val_mse", "reconstruction"]
SPREADS = ["rep_slope", "rep_offset", "err_slope", "err_offset"]  # per unit: kept as their realised std
jobs = list(snakemake.params.jobs)
runs = list(snakemake.input.runs)
is_fig5 = "site" in jobs[0]
figure = "fig5" if is_fig5 else "fig4"


def load(path):
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    small = ds[[v for v in KEEP if v in ds]]
    small["val_mse"] = ds.val_mse.mean("val_step")
    for name in SPREADS:
        unit = ds[name].dims[-1]
        small[f"{name}_std"] = ds[name].std(unit).assign_attrs(
            long_name=f"realised spread (std over units) of the {ds[name].attrs['long_name'].replace('activation ', '')}", units="1")
    small = small.drop_vars([c for c in small.coords if c not in ("seed", "test_step", "val_pass", "digit", "pixel")])
    return small, ds


with open(snakemake.log[0], "w") as log:
    cells, params, first = {}, {}, None
    if is_fig5:
        keys = [(j["site"], float(j["sigma"])) for j in jobs]
        baseline = [load(p) for p in snakemake.input.baseline]
        for site in dict.fromkeys(s for s, _ in keys):
            cells[(site, 0.0)] = xr.concat([b[0] for b in baseline], dim="seed")
            params[(site, 0.0)] = baseline[0][1].attrs["params_json"]
        print(f"sigma 0: Fig. 4 runs {list(snakemake.input.baseline)}", file=log)
    else:
        keys = [(int(j["n_rep"]), int(j["n_err"])) for j in jobs]
    by_key = {}
    for key, path in zip(keys, runs):
        by_key.setdefault(key, []).append(path)
    for key, paths in by_key.items():
        loaded = [load(p) for p in paths]
        first = first or loaded[0][1]
        cells[key] = xr.concat([x[0] for x in loaded], dim="seed") if len(loaded) > 1 else loaded[0][0]
        params[key] = loaded[0][1].attrs["params_json"]
        print(f"{key}: {len(paths)} file(s), test loss {cells[key].test_loss.values.round(3).tolist()}", file=log)

    dim_a, dim_b = ("site", "sigma") if is_fig5 else ("n_rep", "n_err")
    a_values = list(dict.fromkeys(k[0] for k in cells))
    b_values = sorted(dict.fromkeys(k[1] for k in cells))
    rows = []
    for a in a_values:
        row = [cells[(a, b)].expand_dims({dim_b: [b]}) if (a, b) in cells else None for b in b_values]
        template = next(r for r in row if r is not None)
        row = [r if r is not None else xr.full_like(template, np.nan).assign_coords({dim_b: [b]}) for r, b in zip(row, b_values)]
        rows.append(xr.concat(row, dim=dim_b, join="outer").expand_dims({dim_a: [a]}))
    out = xr.concat(rows, dim=dim_a, join="outer")
    pj = np.array([[params.get((a, b), "") for b in b_values] for a in a_values], dtype=object).astype(str)
    out["params_json"] = ((dim_a, dim_b), pj, {"long_name": "parameters of the jobs of the cell (seeds aside)"})
    out["target_image"] = first.target_image
    if is_fig5:
        out[dim_a].attrs["long_name"] = "where the heterogeneity is: rep = representation units, error = error units"
        out[dim_b].attrs.update(long_name="activation variability: std of the per-unit slope and offset spread", units="1")
    else:
        out[dim_a].attrs["long_name"] = "representation units n_R in the hidden area"
        out[dim_b].attrs["long_name"] = "error units n_E in the hidden area"
    for name in KEEP:
        out[name].attrs.update(first[name].attrs)
    out["val_mse"].attrs["long_name"] = "mean squared output-rate error (summed over pixels) of each validation pass"
    title = ("Fig. 5: activation heterogeneity (aggregated runs; sigma = 0 from Fig. 4)" if is_fig5
             else "Fig. 4: populations (aggregated runs)")
    out.attrs = {"title": title, "scale": snakemake.params.scale, "runs": json.dumps(runs),
                 **provenance_attrs(json.dumps({"scale": snakemake.params.scale}), command=f"snakemake {figure}_aggregate"),
                 "git_revision_of_runs": first.attrs["git_revision"], "data_source": first.attrs["data_source"]}
    write_netcdf(out, snakemake.output[0])
    print(f"wrote {snakemake.output[0]}", file=log)
