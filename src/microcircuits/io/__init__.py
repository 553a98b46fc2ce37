"""Records -> xarray -> NetCDF with provenance, one writer per task (found by ``input_signal``), and
:func:`open_run` to read a run file back."""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from .cartpole import cartpole_dataset
from .dms import dms_dataset
from .genmnist import genmnist_dataset
from .netcdf import teacher_student_dataset

DATASETS = {"step": teacher_student_dataset, "cartpole": cartpole_dataset, "genMNIST": genmnist_dataset,
            "dms": dms_dataset}


def open_run(path: str | Path) -> xr.Dataset:
    """A run file (``microcircuits simulate``), loaded into memory, with its parameters as the attribute
    ``params`` (a dict)."""
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    ds.attrs["params"] = json.loads(ds.attrs.get("params_json", "{}"))
    return ds
