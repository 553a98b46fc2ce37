"""A genMNIST run (Figs. 4 and 5) as an ``xarray.Dataset``: per-step test and validation errors, the
reconstructed digits and the per-unit activation slopes and offsets (the heterogeneity of Fig. 5)."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from .netcdf import add_snapshots
from .provenance import provenance_attrs, to_attr


def genmnist_dataset(run, command: str | None = None) -> xr.Dataset:
    p = run.params
    students = run.students
    s0 = students[0]
    T = p.steps_per_sample
    stack = lambda f: np.stack([f(s) for s in students])  # noqa: E731
    rep_units = sum(p.layers[1:])
    err_units = sum(p.error_layers[1:])
    coords = {
        "seed": ("seed", np.asarray(run.seeds), {"long_name": "network random seed"}),
        "test_step": ("test_step", np.arange(10 * T), {"long_name": "integration step of the test pass", "units": "1"}),
        "val_pass": ("val_pass", np.arange(len(s0.val_epochs)), {"long_name": "validation pass"}),
        "val_epoch": ("val_pass", np.asarray(s0.val_epochs), {"long_name": "training epoch after which it ran (0-based)"}),
        "val_step": ("val_step", np.arange(10 * T), {"long_name": "integration step within a validation pass", "units": "1"}),
        "digit": ("digit", run.digits.labels, {"long_name": "digit, in presentation order"}),
        "pixel": ("pixel", np.arange(784), {"long_name": "pixel of the 28 x 28 image, row-major"}),
        "rep_unit": ("rep_unit", np.arange(rep_units), {"long_name": "representation unit (areas 1..L in order)"}),
        "pop_unit": ("pop_unit", np.arange(err_units), {"long_name": "error unit (areas 1..L in order)"}),
    }
    sq = "squared output-rate error, summed over the 784 pixels"
    data = {
        "test_mse": (("seed", "test_step"), stack(lambda s: s.test_mse), {"long_name": sq + ", per test step (plasticity off)", "units": "1"}),
        "test_loss": (("seed",), stack(lambda s: s.test_mse.mean()),
                      {"long_name": "test loss: mean of test_mse over all test steps (Figs. 4 and 5)", "units": "1"}),
        "val_mse": (("seed", "val_pass", "val_step"), stack(lambda s: s.val_mse),
                    {"long_name": sq + ", per step of each validation pass (plasticity on, no target)", "units": "1"}),
        "reconstruction": (("seed", "digit", "pixel"), stack(lambda s: s.reconstructions),
                           {"long_name": "output rates at the last test step of each digit", "units": "1"}),
        "target_image": (("digit", "pixel"), run.digits.images, {"long_name": "target image (pixel / 255)", "units": "1"}),
        "rep_slope": (("seed", "rep_unit"), stack(lambda s: np.concatenate(s.circuit.slopes)),
                      {"long_name": "activation slope of each representation unit", "units": "1"}),
        "rep_offset": (("seed", "rep_unit"), stack(lambda s: np.concatenate(s.circuit.offsets)),
                       {"long_name": "activation offset of each representation unit", "units": "1"}),
        "err_slope": (("seed", "pop_unit"), stack(lambda s: np.concatenate([x[:n] for x, n in zip(s.circuit.err_slopes, p.error_layers[1:])])),
                      {"long_name": "activation slope of each error unit", "units": "1"}),
        "err_offset": (("seed", "pop_unit"), stack(lambda s: np.concatenate([x[:n] for x, n in zip(s.circuit.err_offsets, p.error_layers[1:])])),
                       {"long_name": "activation offset of each error unit", "units": "1"}),
    }
    for name in ("rep_slope", "rep_offset", "err_slope", "err_offset"):
        dims, values, attrs = data[name]
        data[f"{name}_std"] = (("seed",), xr.DataArray(values, dims=dims).std(dims[-1]).values,
                               {"long_name": f"realised spread (std over units) of the {attrs['long_name'].replace('activation ', '')}",
                                "units": "1"})
    data["val_loss"] = (("seed", "val_pass"), xr.DataArray(data["val_mse"][1], dims=data["val_mse"][0]).mean("val_step").values,
                        {"long_name": "mean squared output-rate error (summed over pixels) of each validation pass", "units": "1"})
    add_snapshots(students, s0.net, coords, data)
    params_json = json.dumps(p.to_dict(), sort_keys=True)
    attrs = {
        "title": f"genMNIST, errormc {'-'.join(map(str, p.layers))} with {p.error_layers[1]} hidden error units "
                 "(Max et al. 2025 reproduction, Figs. 4 and 5)",
        "seeds": to_attr(list(run.seeds)), "n_rep": p.layers[1], "n_err": p.error_layers[1],
        "rep_spread": to_attr([p.activation_slope_std, p.activation_offset_std]),
        "err_spread": to_attr([p.error_activation_slope_std, p.error_activation_offset_std]),
        "data_source": run.digits.source, "epochs": p.epochs, "steps_per_sample": T,
        "params_source": p.source,
        **({"ablate_after_epoch": p.ablate_after_epoch, "ablated_block": to_attr(list(p.ablated_block)),
            "ablation": f"forward block (post area {p.ablated_block[0]}, pre area {p.ablated_block[1]}) set to zero "
                        f"and frozen after training epoch {p.ablate_after_epoch}"}
           if p.ablated_block is not None else {}),
        **provenance_attrs(params_json, command),
    }
    return xr.Dataset(data_vars=data, coords=coords, attrs=attrs)
