"""Combine a figure's run files into one dataset with the figure's grid as dimensions (every figure uses this).

``snakemake.params``:

* ``cells``: one mapping per input run (``snakemake.input.runs``), its coordinates on the grid ``dims``; the
  seed groups of a cell are joined on ``seed``;
* ``keep``: run variable -> figure variable (all data variables when empty); ``shared``: variables taken once
  from the first run (attributes that every run has alike are kept as well);
* ``coords``: extra coordinates along a grid dimension, {dim: {name: [long_name, {value: label}]}}, and
  ``dim_attrs``;
  ``keep_coords``: the runs' coordinates besides dimensions to keep (identical in every run);
* ``baseline``: cells filled by the runs of ``snakemake.input.baseline`` (another figure's runs with the same
  parameters, e.g. Fig. 5's σ = 0 from Fig. 4), restricted to ``seeds``.

Cells of different sizes (areas, snapshots) are padded with NaN.  Each cell records its parameters (seeds
aside) in ``params_json``; the history of every run is appended to the figure's.
"""

import json
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from microcircuits.io.netcdf import write_netcdf
from microcircuits.io.provenance import provenance_attrs

if TYPE_CHECKING:
    from snakemake.iocontainers import snakemake

P = snakemake.params
PER_RUN = {"title", "history", "params_json", "params_source", "command", "created", "wall_time_s", "host", "seeds",
           "threads"}  # attributes of a run, not of the figure
dims = list(P.dims)
opened = []


def load(path):
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    opened.append(ds)
    return ds


def cell_dataset(runs):
    """The seed groups of a cell joined, its variables selected and renamed, its parameters recorded."""
    ds = xr.concat(runs, dim="seed", data_vars="minimal", coords="minimal", compat="override",
                   combine_attrs="drop_conflicts") if len(runs) > 1 else runs[0]
    keep = dict(P.keep) or {v: v for v in ds.data_vars}
    out = ds[[v for v in keep if v in ds]].rename({v: keep[v] for v in keep if v in ds})
    params = json.loads(runs[0].attrs["params_json"])
    params.pop("random_seed", None)
    out["params_json"] = ((), json.dumps(params, sort_keys=True), {"long_name": "parameters of the cell's jobs (seeds aside)"})
    return out.drop_vars([c for c in out.coords if c not in out.indexes and c not in P.get("keep_coords", [])])


with open(snakemake.log[0], "w") as log:
    groups = {}
    for cell, path in zip(P.cells, snakemake.input.runs):
        groups.setdefault(tuple(cell[d] for d in dims), []).append(load(path))
    cells = {key: cell_dataset(runs) for key, runs in groups.items()}
    if P.get("baseline"):
        base = cell_dataset([load(p) for p in snakemake.input.baseline]).sel(seed=list(P.seeds))
        for cell in P.baseline:
            cells[tuple(cell[d] for d in dims)] = base
        print(f"baseline cells {P.baseline}: {list(snakemake.input.baseline)}, seeds {list(P.seeds)}", file=log)
    for key, ds in cells.items():
        print(f"{dict(zip(dims, key))}: seeds {ds.seed.values.tolist()}", file=log)

    values = []
    for i, d in enumerate(dims):
        v = list(dict.fromkeys(k[i] for k in cells))
        values.append(sorted(v) if all(isinstance(x, (int, float)) for x in v) else v)
    names = set().union(*(ds.data_vars for ds in cells.values()))
    template = next(iter(cells.values()))

    def grid(level, prefix):
        """Nested lists of cell datasets over the grid (missing cells and variables as NaN) for combine_nested."""
        if level == len(dims):
            ds = cells.get(prefix)
            if ds is None:
                ds = xr.full_like(template, np.nan)
            for name in names - set(ds.data_vars):  # a variable some cells lack (e.g. a model without angles)
                other = next(c[name] for c in cells.values() if name in c.data_vars)
                ds[name] = xr.full_like(other, np.nan)
            return ds.expand_dims({d: [k] for d, k in zip(dims, prefix)})
        return [grid(level + 1, prefix + (v,)) for v in values[level]]

    out = xr.combine_nested(grid(0, ()), concat_dim=dims, join="outer", combine_attrs="drop_conflicts")
    for name in P.get("shared", []):
        out[name] = opened[0][name]
    for d in dims:
        out[d].attrs.update(P.dim_attrs.get(d, {}))
        for name, (long_name, labels) in P.get("coords", {}).get(d, {}).items():
            out = out.assign_coords({name: (d, [labels[v] for v in out[d].values.tolist()], {"long_name": long_name})})
    for name, var in out.data_vars.items():
        first = next((ds[k] for ds in opened for k, v in (dict(P.keep) or {name: name}).items() if v == name and k in ds), None)
        if first is not None and name not in ("params_json",):
            var.attrs = {**first.attrs, **var.attrs}
    for c in out.coords:
        src = next((ds[c] for ds in opened if c in ds.coords), None)
        if src is not None:
            out[c].attrs = {**src.attrs, **out[c].attrs}
    runs_attrs = opened[0].attrs  # what every run says alike (the task's constants), then this step's provenance
    shared = {k: v for k, v in runs_attrs.items() if k not in PER_RUN
              and all(k in ds.attrs and np.array_equal(ds.attrs[k], v) for ds in opened[1:])}
    out.attrs = {**shared, "title": P.title, "scale": P.scale, "runs": json.dumps(list(snakemake.input.runs)),
                 **provenance_attrs(None, command=f"snakemake {snakemake.rule}", inputs=opened),
                 "git_revision_of_runs": runs_attrs["git_revision"]}
    write_netcdf(out, snakemake.output[0])
    print(f"wrote {snakemake.output[0]}", file=log)
