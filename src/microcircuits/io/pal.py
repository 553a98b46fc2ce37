"""A PAL runner run (tasks/pal.py) as a dataset: the alignment angles and the squared output error on a
``time`` coordinate per record, the weights (initial and final; at every record for small networks), the
input samples, the teacher's targets and, with ``--compare BP``, the angle of each update to backprop's."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from .provenance import provenance_attrs, to_attr

ANGLES = {
    "angle_WPPT_BPP": "angle between the feedback weights B_k and the transposed forward weights W_{k+1}^T (PAL angle_WPPT_BPP)",
    "angle_BPP_RHS": "angle between B_k and phi'_k W_{k+1}^T phi'_{k+1}, the matrix PAL's B converges to (PAL angle_BPP_RHS)",
    "angle_jacobians_BP": "angle between the Jacobians B_k phi'_{k+1} and phi'_k W_{k+1}^T (PAL angle_jacobians_BP)",
}
BLOCKS = {"W": ("forward", "forward weights W[post, pre] (PAL WPP)"),
          "B": ("feedback", "top-down pyramid-to-pyramid weights B[receiver, sender] (PAL BPP)"),
          "WIP": ("lateral_ip", "pyramid-to-interneuron weights (PAL WIP)"),
          "BPI": ("lateral_pi", "interneuron-to-apical weights (PAL BPI)")}


def _synapse_coords(net, which: str, coords: dict) -> str:
    """A flat synapse dimension for one kind of weight, with the block, row and column of every synapse."""
    name, _ = BLOCKS[which]
    dim = f"{name}_synapse"
    blocks = net.blocks(which)
    block = np.concatenate([np.full(m.size, k + 1) for k, m in enumerate(blocks)])
    post = np.concatenate([np.repeat(np.arange(m.shape[0]), m.shape[1]) for m in blocks])
    pre = np.concatenate([np.tile(np.arange(m.shape[1]), m.shape[0]) for m in blocks])
    what = "area receiving" if which in ("W", "B", "BPI") else "interneuron population"
    coords[f"{dim}_block"] = (dim, block, {"long_name": f"block of each synapse ({what}: 1 = first after the input)"})
    coords[f"{dim}_post"] = (dim, post, {"long_name": "row (receiving unit within its block)"})
    coords[f"{dim}_pre"] = (dim, pre, {"long_name": "column (sending unit within its block)"})
    return dim


def pal_dataset(run, command: str | None = None) -> xr.Dataset:
    p = run.params
    students = run.students
    s0 = students[0]
    rec = s0.records
    net = s0.net
    seeds = [s.seed for s in students]
    stack = lambda f: np.stack([f(s) for s in students])  # noqa: E731
    coords = {
        "seed": ("seed", np.asarray(seeds), {"long_name": "student random seed"}),
        "time": ("time", rec.steps * p.dt, {"long_name": "model time of the record (settling included)", "units": "ms",
                                            "standard_name": "time"}),
        "record_step": ("time", rec.steps, {"long_name": "integration steps before the record (settling included)", "units": "1"}),
        "hidden_area": ("hidden_area", np.arange(1, p.n_areas), {"long_name": "hidden area k of the feedback matrix B_k"}),
        "area": ("area", np.arange(1, p.n_areas + 1), {"long_name": "area receiving the forward weights (1 = first after the input)"}),
        "sample": ("sample", np.arange(p.dataset_size), {"long_name": "input sample"}),
    }
    data = {}
    for name, long_name in ANGLES.items():
        data[name] = (("seed", "time", "hidden_area"), stack(lambda s: s.angles[name]),
                      {"long_name": long_name, "units": "degree",
                       "comment": "NaN where rounding puts the cosine beyond 1 (1x1 matrices), as in PAL"})
    if run.task == "fw_bw" and p.rec_MSE:
        data["mse"] = (("seed", "time"), stack(lambda s: s.records.mse),
                       {"long_name": "squared norm of the output's prospective potential minus the target (PAL MSE)",
                        "units": "1", "comment": "NaN during settling (no target)"})
    for which in BLOCKS:
        dim = _synapse_coords(net, which, coords)
        name, long_name = BLOCKS[which]
        data[f"{name}_weights_initial"] = (("seed", dim), stack(lambda s: np.concatenate([m.ravel() for m in s.initial[which]])),
                                           {"long_name": f"{long_name} after set-up", "units": "1"})
        data[f"{name}_weights_final"] = (("seed", dim), stack(lambda s: getattr(s.net, which).copy()),
                                         {"long_name": f"{long_name} at the end of the run", "units": "1"})
        if rec.lateral:
            data[f"{name}_weights"] = (("seed", "time", dim), stack(lambda s: getattr(s.records, which)),
                                       {"long_name": f"{long_name} at each record", "units": "1"})
    coords["input_unit"] = ("input_unit", np.arange(p.layers[0]), {"long_name": "input unit"})
    data["input_samples"] = (("sample", "input_unit"), run.samples,
                             {"long_name": "input vectors, each held for Tpres (before any shuffle)", "units": "1"})
    if run.teacher_targets is not None:
        coords["output_unit"] = ("output_unit", np.arange(p.layers[-1]), {"long_name": "output unit"})
        data["teacher_target"] = (("sample", "output_unit"), run.teacher_targets,
                                  {"long_name": "teacher's output prospective potential before the sample's last step "
                                                "(the students' target)", "units": "1"})
    if run.compare:
        rows = s0.update_angles.shape[0]
        coords["replay_sample"] = ("replay_sample", np.arange(rows),
                                   {"long_name": "sample of the replay (one weight record per epoch x every sample)"})
        data["angle_dw_bp"] = (("seed", "replay_sample", "area"), stack(lambda s: s.update_angles),
                               {"long_name": "angle between the circuit's forward-weight update and backprop's (PAL's "
                                             "data_angle_BP_*.npy, rebuilt: tasks/pal_replay.py)", "units": "degree"})
    params_json = json.dumps(p.to_dict(), sort_keys=True)
    attrs = {
        "title": f"PAL runner {run.task}: {p.model_type} {'-'.join(map(str, p.layers))} (Max et al., arXiv 2212.10249)",
        "runner": "pal", "task": run.task, "model_type": p.model_type, "layers": to_attr(list(p.layers)),
        "seeds": to_attr(seeds), "teacher_seed": -1 if run.teacher_seed is None else run.teacher_seed,
        "input_seed": s0.input_seed, "compare_bp": int(run.compare), "params_source": p.source, "epochs": p.epochs,
        "steps_per_sample": p.steps_per_sample, "settling_steps": p.settling_steps, "dataset_size": p.dataset_size,
        "rec_per_steps": p.rec_per_steps, "taur": "none" if p.taur is None else p.taur,
        **provenance_attrs(params_json, command),
    }
    return xr.Dataset(data_vars=data, coords=coords, attrs=attrs)
