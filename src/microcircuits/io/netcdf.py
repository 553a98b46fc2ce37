"""Records -> ``xarray.Dataset`` -> NetCDF (netCDF4 engine, compressed), written to a temporary name and
renamed only when complete.

Conventions (one vocabulary for every task and figure): dimensions ``seed``, ``area`` (1 = first after the
input), ``unit`` (every unit, input first), ``rep_unit`` (representation units), ``pop_unit`` (the second
population: error units, interneurons, ann errors, delayed rates), ``snapshot``, ``test_step``,
``val_pass``/``val_step``; every variable and coordinate carries a ``long_name``, and ``units`` in UDUNITS
("1" for counts and dimensionless values, "ms" for model time, "degree").  The files follow CF's attribute
conventions (long_name, units, title, source, history appended by every step that changes a file) but claim
no CF version: their ``seed`` coordinate keeps the order the seeds were run in, and grid coordinates are
strings (net names, models), which CF's coordinate variables do not allow."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import xarray as xr

from ..networks.layout import (
    area_of_units,
    feedback_full,
    feedback_offsets,
    forward_full,
    lateral_full,
)
from ..tasks.protocol import PHASES
from .provenance import provenance_attrs, to_attr

TEST_LOSS_SKIP = 10  # the paper's test loss: mean of the per-step test MSE from step 10 on

STATE_VARIABLES = {  # snapshot key -> (variable name, dim, long name)
    "u": ("u", "rep_unit", "somatic potential of representation units (reference uP)"),
    "u_breve": ("u_breve", "rep_unit", "prospective potential of representation units (uP_breve)"),
    "r": ("rate", "rep_unit", "rate of representation units (rP_breve)"),
    "uI": ("u_pop", "pop_unit", "somatic potential of error units / interneurons (uI)"),
    "uI_breve": ("u_breve_pop", "pop_unit", "prospective potential of error units / interneurons (uI_breve)"),
    "rI": ("rate_pop", "pop_unit", "rate of error units / interneurons (rI_breve)"),
    "vbas": ("v_basal", "rep_unit", "basal dendritic potential (vbas)"),
    "vapi": ("v_apical", "rep_unit", "apical dendritic potential (vapi)"),
}


def teacher_student_dataset(run, command: str | None = None) -> xr.Dataset:
    """One dataset holding all seeds of a teacher-student run on a ``seed`` dimension."""
    p = run.params
    students = run.students
    s0 = students[0]
    L = p.n_areas
    T, ds = p.steps_per_sample, p.dataset_size
    seeds = [s.seed for s in students]
    stack = lambda f: np.stack([f(s) for s in students])  # noqa: E731
    coords = {
        "seed": ("seed", np.asarray(seeds), {"long_name": "student random seed"}),
        "test_step": ("test_step", np.arange(ds * T), {"long_name": "integration step of the test pass", "units": "1"}),
        "val_pass": ("val_pass", np.arange(len(s0.val_epochs)), {"long_name": "validation pass"}),
        "val_step": ("val_step", np.arange(ds * T), {"long_name": "integration step within a validation pass", "units": "1"}),
        "val_epoch": ("val_pass", np.asarray(s0.val_epochs), {"long_name": "training epoch after which the validation pass ran (0-based)"}),
        "area": ("area", np.arange(1, L + 1), {"long_name": "cortical area (1 = first after the input)"}),
    }
    data = {
        "test_mse": (("seed", "test_step"), stack(lambda s: s.test_mse),
                     {"long_name": "squared output error per test step (sum over output units, no target injected)", "units": "1"}),
        "test_loss": (("seed",), stack(lambda s: s.test_mse[TEST_LOSS_SKIP:].mean()),
                      {"long_name": f"test loss: mean of test_mse from step {TEST_LOSS_SKIP} (Fig. 3)", "units": "1"}),
        "val_mse": (("seed", "val_pass", "val_step"), stack(lambda s: s.val_mse),
                    {"long_name": "squared output error per step of each validation pass (plasticity on, no target injected)", "units": "1"}),
    }
    data["val_loss"] = (("seed", "val_pass"), xr.DataArray(data["val_mse"][1], dims=data["val_mse"][0]).mean("val_step").values,
                        {"long_name": "mean of val_mse over each validation pass", "units": "1"})
    add_snapshots(students, s0.net, coords, data)
    if run.compare:
        rows = s0.angles.shape[0]
        coords["replay_sample"] = ("replay_sample", np.arange(rows), {"long_name": "sample of the replay against backprop"})
        coords["replay_snapshot"] = ("replay_sample", s0.angle_snapshot, {"long_name": "weight snapshot the sample was replayed with"})
        data["angle_dw_bp"] = (("seed", "replay_sample", "area"), stack(lambda s: s.angles),
                               {"long_name": "angle between the model's weight update and backprop's for the hierarchical forward weights into each area",
                                "units": "degree", "comment": "NaN where an update is zero; |1 - cos| < 1e-6 counts as 0 (reference deg())"})
        add_angle_summaries(data, coords)
        if s0.weight_angles is not None:
            coords["b_pair"] = ("b_pair", np.arange(s0.weight_angles.shape[1]), {"long_name": "feedback matrix (hidden area k, or the whole error-unit matrix in skip mode)"})
            data["angle_w_b"] = (("seed", "snapshot", "b_pair"), stack(lambda s: s.weight_angles),
                                 {"long_name": "angle between the forward weights transposed and the feedback weights", "units": "degree"})
    for split in ("train", "validation", "test"):
        coords.setdefault("sample", ("sample", np.arange(ds), {"long_name": "sample of a data split"}))
        coords.setdefault("data_step", ("data_step", np.arange(ds * T), {"long_name": "integration step of a teacher pass over a split"}))
        data[f"input_{split}"] = (("sample", "input_unit"), run.inputs[split],
                                  {"long_name": f"input vectors of the {split} split (held for Tpres each)", "units": "1"})
        data[f"teacher_target_{split}"] = (("data_step", "output_unit"), run.teacher_targets[split],
                                           {"long_name": f"teacher output recorded before each step of its {split} pass (the students' raw targets)",
                                            "units": "1"})
    if s0.circuit.eta_fw_matrix is not None:
        data["eta_fw_matrix"] = (("area", "pre_area"), np.asarray(s0.circuit.eta_fw_matrix),
                                 {"long_name": "skip-mode forward learning rate of block (post area, pre area)", "units": "1/ms"})
        coords["pre_area"] = ("pre_area", np.arange(L), {"long_name": "presynaptic area (0 = input)"})
    params_json = json.dumps(p.to_dict(), sort_keys=True)
    attrs = {
        "title": f"{p.mc_model} {'-'.join(map(str, p.layers))} teacher-student run (Max et al. 2025 reproduction)",
        "mc_model": p.mc_model, "teacher_model": p.teacher_model, "model_type": p.model_type,
        "layers": to_attr(list(p.layers)), "teacher_seed": run.teacher_seed, "seeds": to_attr(seeds),
        "compare_bp": int(run.compare), "params_source": p.source, "epochs": p.epochs,
        "steps_per_sample": T, "dataset_size": ds, "rec_per_steps": p.rec_per_steps,
        **provenance_attrs(params_json, command),
    }
    return xr.Dataset(data_vars=data, coords=coords, attrs=attrs)


def add_angle_summaries(data, coords):
    """The angles to backprop as the paper's Fig. 3 reduces them: NaN counted as 0 (as the reference notebook
    does), averaged over the replay per seed and area, and per weight snapshot."""
    angles = xr.DataArray(data["angle_dw_bp"][1], dims=data["angle_dw_bp"][0],
                          coords={"replay_snapshot": ("replay_sample", coords["replay_snapshot"][1])}).fillna(0.0)
    n_seeds, n_snap, n_areas = angles.shape[0], len(coords["snapshot"][1]), angles.shape[-1]
    per_snapshot = np.full((n_seeds, n_snap, n_areas), np.nan)
    if angles.sizes["replay_sample"]:
        per_snapshot[:, np.unique(coords["replay_snapshot"][1]), :] = angles.groupby("replay_snapshot").mean().values
    data["angle_dw_bp_mean"] = (("seed", "area"), angles.mean("replay_sample").values,
                                {"long_name": "mean angle between the model's and backprop's updates of the forward weights into "
                                              "an area over the replay (NaN counted as 0, as the reference notebook does)",
                                 "units": "degree"})
    data["angle_dw_bp_snapshot"] = (("seed", "snapshot", "area"), per_snapshot,
                                    {"long_name": "mean angle to backprop per weight snapshot (NaN counted as 0; NaN where "
                                                  "the snapshot was not replayed)", "units": "degree"})


def add_snapshots(students, net, coords, data):
    """Snapshot series (every rec_per_steps recorded steps) of each student, stacked over seeds."""
    snaps = students[0].snapshots
    n = len(snaps["step"])
    coords["snapshot"] = ("snapshot", np.arange(n), {"long_name": "snapshot (0 = initial state; then every rec_per_steps recorded steps)"})
    coords["snapshot_step"] = ("snapshot", snaps["step"], {"long_name": "recorded steps simulated before the snapshot", "units": "1"})
    coords["snapshot_phase"] = ("snapshot", np.array([PHASES[k] for k in snaps["phase"]]), {"long_name": "phase during which the snapshot was taken"})
    coords["unit_area"] = ("unit", area_of_units(net.area_off), {"long_name": "area of each unit (0 = input)"})
    coords["rep_unit_area"] = ("rep_unit", area_of_units(net.rep_off), {"long_name": "area of each representation unit"})
    coords["pop_unit_area"] = ("pop_unit", area_of_units(net.pop_off), {"long_name": "area of each unit of the second population"})
    stack = lambda key: np.stack([s.snapshots[key] for s in students])  # noqa: E731
    data["snapshot_mse"] = (("seed", "snapshot"), stack("mse"),
                            {"long_name": "squared output error at the snapshot step (NaN without a target)", "units": "1"})
    if "W" in snaps:
        data["forward_weights"] = (("seed", "snapshot", "rep_unit", "unit"), forward_full(net, stack("W")),
                                   {"long_name": "forward weights W[post, pre] (reference WPP)", "units": "1"})
    if "B" in snaps:
        fdim = "pop_unit" if feedback_offsets(net) is net.pop_off else "rep_unit"
        data["feedback_weights"] = (("seed", "snapshot", f"{fdim}", f"{fdim}_send"), feedback_full(net, stack("B")),
                                    {"long_name": "feedback weights B[receiver, sender] (reference BII for errormc, BPP otherwise)", "units": "1"})
    if "WIP" in snaps:
        data["lateral_weights_ip"] = (("seed", "snapshot", "pop_unit", "rep_unit"), lateral_full(net, stack("WIP"), "WIP"),
                                      {"long_name": "representation -> error unit / interneuron weights (reference WIP)", "units": "1"})
    if "BPI" in snaps:
        data["lateral_weights_pi"] = (("seed", "snapshot", "rep_unit", "pop_unit"), lateral_full(net, stack("BPI"), "BPI"),
                                      {"long_name": "error unit / interneuron -> apical weights (reference BPI)", "units": "1"})
    for key, (name, dim, long_name) in STATE_VARIABLES.items():
        if key in snaps:
            data[name] = (("seed", "snapshot", dim), stack(key), {"long_name": long_name, "units": "1"})


def encoding_for(ds: xr.Dataset) -> dict:
    """zlib level 4 with shuffle for numeric variables; one chunk per seed and snapshot for big arrays."""
    enc = {}
    for name, var in ds.data_vars.items():
        if var.dtype.kind not in "fiu":
            continue
        e = {"zlib": True, "complevel": 4, "shuffle": True}
        if var.ndim >= 3 and var.size > 1_000_000:
            e["chunksizes"] = tuple(1 if d in ("seed", "snapshot") else min(s, 65536) for d, s in var.sizes.items())
        enc[name] = e
    return enc


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Remove ``<path>.tmp-<pid>`` files whose process is gone (a run killed with SIGKILL leaves one)."""
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f"{path.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write atomically: to ``<path>.tmp-<pid>`` first, renamed to ``path`` only once complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding_for(ds))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
