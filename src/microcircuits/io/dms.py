"""A delayed match-to-sample run (Fig. 2b) as an ``xarray.Dataset``: the per-trial errors before each
epoch and on the test set, and example traces of a trained network."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..tasks.dms import DELAY_RANGE, EXAMPLES, FIXATION, STIMULUS, TRIAL_SEEDS
from .provenance import provenance_attrs, to_attr


def dms_dataset(run, command: str | None = None) -> xr.Dataset:
    """All seeds of a DMS run; example traces (every step) come from the first seed's trained network."""
    p = run.params
    students = run.students
    s0 = students[0]
    stack = lambda f: np.stack([f(s) for s in students])  # noqa: E731
    names = list(EXAMPLES)
    length = max(len(s0.examples[n]["input"]) for n in names)
    pad = lambda a: np.concatenate([a, np.full((length - len(a),) + a.shape[1:], np.nan)])  # noqa: E731
    hidden = slice(0, p.layers[1])  # recorded rates are those of representation units (no input units)
    out = slice(sum(p.layers[1:-1]), sum(p.layers[1:]))
    coords = {
        "seed": ("seed", np.asarray(run.seeds), {"long_name": "network random seed"}),
        "epoch": ("epoch", np.arange(p.epochs), {"long_name": "training epochs completed before the validation pass"}),
        "val_trial": ("val_trial", np.arange(len(run.trials["validation"].targets)), {"long_name": "trial of the validation set"}),
        "test_trial": ("test_trial", np.arange(len(run.trials["test"].targets)), {"long_name": "trial of the test set"}),
        "example": ("example", names, {"long_name": "example trial of the trained network (first seed)"}),
        "t": ("t", np.arange(length), {"long_name": "integration step within the trial", "units": "1"}),
        "time": ("t", np.arange(length) * p.dt, {"long_name": "time within the trial", "units": "ms"}),
        "hidden_unit": ("hidden_unit", np.arange(p.layers[1]), {"long_name": "representation unit of the hidden area"}),
    }
    err = "squared output error at the extra step after the trial (target supplied, no plasticity)"
    data = {
        "mse_val": (("seed", "epoch", "val_trial"), stack(lambda s: s.val_mse), {"long_name": err + ", validation set before each epoch", "units": "1"}),
        "mse_test": (("seed", "test_trial"), stack(lambda s: s.test_mse), {"long_name": err + ", test set after training", "units": "1"}),
        "val_target": (("val_trial",), run.trials["validation"].targets, {"long_name": "target: +1 match, -1 non-match", "units": "1"}),
        "test_target": (("test_trial",), run.trials["test"].targets, {"long_name": "target: +1 match, -1 non-match", "units": "1"}),
        "val_length": (("val_trial",), np.array([len(x) for x in run.trials["validation"].inputs]), {"long_name": "trial length in integration steps", "units": "1"}),
        "test_length": (("test_trial",), np.array([len(x) for x in run.trials["test"].inputs]), {"long_name": "trial length in integration steps", "units": "1"}),
        "example_input": (("example", "t"), np.stack([pad(s0.examples[n]["input"]) for n in names]),
                          {"long_name": "input of the example trial (NaN after its end)", "units": "1"}),
        "example_rate_hidden": (("example", "t", "hidden_unit"), np.stack([pad(s0.examples[n]["rate"][:, hidden]) for n in names]),
                                {"long_name": "rates of the hidden representation units", "units": "1"}),
        "example_rate_output": (("example", "t"), np.stack([pad(s0.examples[n]["rate"][:, out][:, 0]) for n in names]),
                                {"long_name": "rate of the output representation unit", "units": "1"}),
        "example_target": (("example",), np.array([s0.examples[n]["target"] for n in names]),
                           {"long_name": "target of the example trial (shown after its end)", "units": "1"}),
    }
    params_json = json.dumps(p.to_dict(), sort_keys=True)
    attrs = {
        "title": f"delayed match-to-sample, {p.mc_model} {'-'.join(map(str, p.layers))} (Max et al. 2025 reproduction, Fig. 2b)",
        "seeds": to_attr(list(run.seeds)), "epochs": p.epochs, "trials_per_set": p.dataset_size,
        "trial_structure": (f"{FIXATION} steps fixation (0), {STIMULUS} steps s1 = +-1, a delay of {DELAY_RANGE[0]}-{DELAY_RANGE[1] - 1} "
                            f"steps (0), {STIMULUS} steps s2 = +-1; target |s1 + s2| - 1"),
        "trial_set_seeds": to_attr(dict(TRIAL_SEEDS)),
        "examples": to_attr({n: dict(s1=v[0], s2=v[1], delay_seed=v[2]) for n, v in EXAMPLES.items()}),
        "params_source": p.source,
        **provenance_attrs(params_json, command),
    }
    return xr.Dataset(data_vars=data, coords=coords, attrs=attrs)
