"""Combine the Fig. 3 runs into results/fig3/fig3.nc with dimensions (net, model, variant, seed, ...).

Reductions follow the reference notebook ("Figure 3 and A1"): the test loss of a seed is the mean of its
per-step test MSE from step 10; the angle of a seed and area is the mean over the replay with NaN counted
as 0.  Per-snapshot means keep the time course of the angles.
"""

import json
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from microcircuits.io.netcdf import write_netcdf
from microcircuits.io.provenance import provenance_attrs

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

jobs = snakemake.params.jobs
runs = list(snakemake.input.runs)
nets = list(dict.fromkeys(j["net"] for j in jobs))
models = list(dict.fromkeys(j["model"] for j in jobs))
variants = list(dict.fromkeys(j["variant"] for j in jobs))

by_key = {}
for job, path in zip(jobs, runs):
    by_key.setdefault((job["net"], job["model"], job["variant"]), []).append(path)

opened = {k: [xr.open_dataset(p) for p in paths] for k, paths in by_key.items()}
seeds = [int(s) for ds in opened[(nets[0], models[0], variants[0])] for s in ds.seed.values]
n_test = opened[(nets[0], models[0], variants[0])][0].sizes["test_step"]
max_areas = max(ds.sizes["area"] for dss in opened.values() for ds in dss)
max_snap = max(ds.sizes["snapshot"] for dss in opened.values() for ds in dss)
max_val = max(ds.sizes["val_pass"] for dss in opened.values() for ds in dss)
shape = (len(nets), len(models), len(variants), len(seeds))

test_mse = np.full(shape + (n_test,), np.nan)
test_loss = np.full(shape, np.nan)
angle = np.full(shape + (max_areas,), np.nan)
angle_snap = np.full(shape + (max_snap, max_areas), np.nan)
val_mse = np.full(shape + (max_val,), np.nan)
params_json = np.empty(shape[:3], dtype=object)
with open(snakemake.log[0], "w") as log:
    for (net, model, variant), dss in opened.items():
        idx = (nets.index(net), models.index(model), variants.index(variant))
        ds = xr.concat(dss, dim="seed") if len(dss) > 1 else dss[0]
        order = [list(ds.seed.values).index(s) for s in seeds]
        ds = ds.isel(seed=order)
        L = ds.sizes["area"]
        test_mse[idx] = ds.test_mse.values
        test_loss[idx] = ds.test_loss.values
        val_mse[idx][:, :ds.sizes["val_pass"]] = ds.val_mse.mean("val_step").values
        if "angle_dw_bp" in ds:
            a = ds.angle_dw_bp.fillna(0.0)
            angle[idx][:, :L] = a.mean("replay_sample").values
            per_snap = a.groupby("replay_snapshot").mean().values  # (seed, snapshot_used, area)
            snaps = np.unique(ds.replay_snapshot.values)
            angle_snap[idx][:, snaps, :L] = per_snap
        params = json.loads(dss[0].attrs["params_json"])
        params.pop("random_seed", None)
        params_json[idx] = json.dumps(params, sort_keys=True)
        print(f"{net} {model} {variant}: {len(dss)} run file(s), seeds {list(ds.seed.values)}", file=log)
    first = opened[(nets[0], models[0], variants[0])][0]

unit = {"units": "1"}
out = xr.Dataset(
    data_vars=dict(
        test_mse=(("net", "model", "variant", "seed", "test_step"), test_mse,
                  {"long_name": "squared output error per test step", **unit}),
        test_loss=(("net", "model", "variant", "seed"), test_loss,
                   {"long_name": "test loss: mean of test_mse from test step 10", **unit}),
        angle_dw_bp=(("net", "model", "variant", "seed", "area"), angle,
                     {"long_name": "mean angle between the model's and backprop's updates of the forward weights into an area (NaN counted as 0, as the reference notebook does)",
                      "units": "degree"}),
        angle_dw_bp_snapshot=(("net", "model", "variant", "seed", "snapshot", "area"), angle_snap,
                              {"long_name": "mean angle to backprop per weight snapshot", "units": "degree"}),
        val_mse=(("net", "model", "variant", "seed", "val_pass"), val_mse,
                 {"long_name": "mean squared output error of each validation pass", **unit}),
        params_json=(("net", "model", "variant"), params_json.astype(str),
                     {"long_name": "parameters of the job (seeds aside)"}),
    ),
    coords=dict(
        net=("net", nets, {"long_name": "network (units per area)"}),
        complexity=("net", [len(n.split("-")) - 1 for n in nets], {"long_name": "task complexity: number of areas after the input"}),
        model=("model", models),
        variant=("variant", variants, {"long_name": "trained, or untrained (1 epoch, learning rates 0)"}),
        seed=("seed", seeds),
        test_step=("test_step", np.arange(n_test)),
        area=("area", np.arange(1, max_areas + 1), {"long_name": "area receiving the forward weights"}),
        snapshot=("snapshot", np.arange(max_snap), {"long_name": "weight snapshot (0 = initial state)"}),
        val_pass=("val_pass", np.arange(max_val)),
    ),
    attrs={"title": "Fig. 3: multilayer comparison (aggregated runs)", "scale": snakemake.params.scale,
           "runs": json.dumps(runs),
           **provenance_attrs(json.dumps({"scale": snakemake.params.scale}), command="snakemake fig3_aggregate"),
           "git_revision_of_runs": first.attrs["git_revision"]},
)
write_netcdf(out, snakemake.output[0])
