"""A cart-pole run (Fig. 2a) as an ``xarray.Dataset``: failures per (seed, test), the per-step penalty
logs, the teacher's test and the state and force traces of the closed loop."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..kernels.cartpole import RESET_BOUNDS, THETA_LIMIT, X_LIMIT
from ..tasks.cartpole import GAINS, STEPS_PER_PLANT_STEP, SUBSIMULATIONS, TEST_TIME
from .netcdf import add_snapshots
from .provenance import provenance_attrs, to_attr

STATE_VARS = ["x", "x_dot", "theta", "theta_dot"]
STATE_UNITS = ["m", "m s-1", "rad", "rad s-1"]  # UDUNITS, per state variable (coordinate var_units)


def cartpole_dataset(run, command: str | None = None) -> xr.Dataset:
    """All seeds of one cart-pole job; tests are numbered 1..E+1 (after each epoch, then the final one)."""
    p = run.params
    students = run.students
    s0 = students[0]
    n_tests = len(s0.tests)
    stack = lambda f: np.stack([f(s) for s in students])  # noqa: E731
    tests = lambda f: stack(lambda s: np.stack([f(t) for t in s.tests]))  # noqa: E731
    n_plant = s0.tests[0].states.shape[0]
    coords = {
        "seed": ("seed", np.asarray(run.seeds), {"long_name": "student random seed"}),
        "test": ("test", np.arange(1, n_tests + 1),
                 {"long_name": "closed-loop test after training epoch n (the last one: the final test, same weights)"}),
        "cp_step": ("cp_step", np.arange(1, n_plant), {"long_name": "plant step (the force acting from state cp_step-1 to cp_step)"}),
        "state_step": ("state_step", np.arange(n_plant), {"long_name": "plant state index (0 = initial state)"}),
        "time": ("state_step", np.arange(n_plant) * p.dt, {"long_name": "time within the test (the plant steps dt in seconds)", "units": "s"}),
        "var": ("var", STATE_VARS, {"long_name": "plant state variable"}),
        "var_units": ("var", STATE_UNITS, {"long_name": "unit of each plant state variable"}),
    }
    fail_doc = "failures (|x| > 2.4 or |theta| > 70 deg) in a test, its first plant step (set by the reset) excluded"
    data = {
        "failures": (("seed", "test"), tests(lambda t: t.failures), {"long_name": fail_doc, "units": "1"}),
        "untrained_failures": (("seed",), stack(lambda s: s.untrained.failures),
                               {"long_name": fail_doc + "; the student after settling, before any training", "units": "1"}),
        "teacher_failures": ((), run.teacher_test.failures, {"long_name": fail_doc + "; the teacher controller (LQR)", "units": "1"}),
        "penalty": (("seed", "test", "cp_step"), tests(lambda t: t.failed.astype(np.int8)),
                    {"long_name": "1 where the plant failed at this step (and was reset), else 0 (reference penalty_log)", "units": "1"}),
        "teacher_penalty": (("cp_step",), run.teacher_test.failed.astype(np.int8),
                            {"long_name": "penalty log of the teacher's test", "units": "1"}),
        "teacher_state": (("state_step", "var"), run.teacher_test.states,
                          {"long_name": "plant state under the teacher (reference state_log), in the units of var_units"}),
        "teacher_force": (("cp_step",), run.teacher_test.forces,
                          {"long_name": "force applied by the teacher (output rate x target_rescale_factor)", "units": "N"}),
        "final_state": (("seed", "state_step", "var"), stack(lambda s: s.tests[-1].states),
                        {"long_name": "plant state during each trained student's final test, in the units of var_units"}),
        "final_force": (("seed", "cp_step"), stack(lambda s: s.tests[-1].forces),
                        {"long_name": "force applied by each trained student in its final test", "units": "N"}),
    }
    if len(s0.val_epochs):
        ds_n, T = p.dataset_size, p.steps_per_sample
        coords["val_pass"] = ("val_pass", np.arange(len(s0.val_epochs)), {"long_name": "validation pass"})
        coords["val_epoch"] = ("val_pass", np.asarray(s0.val_epochs), {"long_name": "training epoch after which it ran (0-based)"})
        coords["val_sample"] = ("val_sample", np.arange(ds_n), {"long_name": "random plant state of the validation split"})
        data["val_mse"] = (("seed", "val_pass", "val_sample"), stack(lambda s: s.val_mse.reshape(len(s.val_epochs), ds_n, T).mean(-1)),
                           {"long_name": "squared output-rate error (imitation of the teacher), mean over each sample's steps", "units": "1"})
    add_snapshots(students, s0.net, coords, data)
    params_json = json.dumps(p.to_dict(), sort_keys=True)
    attrs = {
        "title": f"cart-pole imitation learning, {p.mc_model} {'-'.join(map(str, p.layers))} (Max et al. 2025 reproduction, Fig. 2a)",
        "seeds": to_attr(list(run.seeds)), "teacher_seed": run.teacher_seed,
        "teacher_gains": to_attr(list(GAINS)),
        "teacher_controller": "F = g . (x, x_dot, theta, theta_dot), g = teacher_gains (labelled LQR in the paper)",
        "target_rescale_factor": p.target_rescale_factor,
        "test_time": TEST_TIME, "dt": p.dt, "network_steps_per_plant_step": STEPS_PER_PLANT_STEP,
        "reset_schedule": f"every {int(TEST_TIME / p.dt / SUBSIMULATIONS)} plant steps ({SUBSIMULATIONS} per test) and after every failure",
        "failure_limits": f"|x| > {X_LIMIT}, |theta| > {np.degrees(THETA_LIMIT):.0f} deg",
        "reset_states": (f"uniform on (-{RESET_BOUNDS / 2:g}, {RESET_BOUNDS / 2:g})^4 from numpy RandomState(teacher_seed), continued "
                         "after the teacher's initialisation and its test; every student starts from that same point "
                         "(the reference: the unseeded global stream, see docs/deviations.md)"),
        "params_source": p.source, "epochs": p.epochs, "dataset_size": p.dataset_size,
        **provenance_attrs(params_json, command),
    }
    return xr.Dataset(data_vars=data, coords=coords, attrs=attrs)
