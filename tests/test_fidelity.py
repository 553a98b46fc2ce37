"""The reference's own numbers (checkpoints.json, docs/models.md §11) must come out again.

Both checkpoint configurations are the Fig. 3 4-2-1 files with seed 56789 and 2 epochs, run with the
replay against backprop.  Floats from deterministic computations agree to a relative 1e-9 (in practice
~1e-14); integers (seeds, permutations, counts) exactly.
"""

import numpy as np
import pytest

from microcircuits.networks.layout import feedback_full
from microcircuits.tasks import teacher_student

from .conftest import fig3_params

RTOL = 1e-9
CONFIGS = {"errormc": "4-2-1/errormc (seed 56789, epochs 2)",
           "sacramento2018": "4-2-1/sacramento2018 (seed 56789, epochs 2)"}


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def case(request, checkpoints):
    model = request.param
    # recording more state does not change the dynamics; the checkpoint needs u_breve after settling
    p = fig3_params("4-2-1", model, random_seed=[56789], epochs=2, rec_uP_breve=True)
    run = teacher_student.run(p, compare=True, progress=False)
    return model, run, checkpoints[CONFIGS[model]]


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=RTOL, atol=0)


def test_teacher_and_inputs(case):
    model, run, ref = case
    assert run.teacher_seed == ref["teacher_seed"]
    close(run.teacher.forward[(1, 0)][0], ref["teacher_W0_first_row"])
    close(run.inputs["train"][0], ref["input_train_first_sample"])
    close(run.inputs["validation"][0], ref["input_val_first_sample"])
    targets = run.teacher_targets["train"][:, 0]
    close(targets[:3], ref["teacher_target_train_first3_steps"])
    close(targets[19::20][:5], ref["teacher_target_train_chunk_ends_first5"])


def test_initial_student(case):
    model, run, ref = case
    c = run.students[0].circuit
    for area, expected in enumerate(ref["student_uP_init"]):
        close(c.u0[area], expected)
    for pop, expected in enumerate(ref["student_uI_init"]):
        close(c.uI0[pop], expected)
    if model == "errormc":  # one skip-mode matrix
        blocks = list(c.forward.values())
        close([np.sqrt(sum((m ** 2).sum() for m in blocks))], ref["student_W_init_fro"])
        close([sum(m.sum() for m in blocks)], ref["student_W_init_sum"])
        B = feedback_full(run.students[0].net, run.students[0].snapshots["B"][0])
        close([np.linalg.norm(B)], ref["BII_init_fro"])
        close(c.eta_fw_matrix, ref["eta_fw_matrix"])
        assert B[0, 0] == pytest.approx(0.296, abs=1e-3) and B[1, 1] == pytest.approx(-0.322, abs=1e-3)
    else:
        mats = [c.forward[(a, a - 1)] for a in (1, 2)]
        close([np.linalg.norm(m) for m in mats], ref["student_W_init_fro"])
        close([m.sum() for m in mats], ref["student_W_init_sum"])
        close([c.feedback[(1, 2)].sum()], ref["BPP_init_sum"])
    close([m.sum() for _, m in sorted(c.WIP.items())], ref["WIP_init_sum"])
    close([m.sum() for _, m in sorted(c.BPI.items())], ref["BPI_init_sum"])


def test_training_and_test(case):
    model, run, ref = case
    s = run.students[0]
    assert list(s.first_permutation[:10]) == ref["epoch0_train_permutation_first10"]
    snaps = s.snapshots
    # snapshot 0 is our initial state; the reference's first snapshot (after settling) is our 1
    close(snaps["u_breve"][1], sum(ref["after_settling_uP_breve"], []))
    assert len(snaps["step"]) - 1 == ref["n_snapshots"]
    trained = [m for m, ph in zip(snaps["mse"], snaps["phase"]) if ph in (2, 3)]  # train, validation
    close(trained, ref["MSE_time_series"])
    close(s.val_mse.mean(axis=1), ref["MSE_val_mean_per_pass"])
    close(s.test_mse[:5], ref["MSE_test_first5"])
    close(s.test_mse[10:].mean(), ref["MSE_test_mean_from10"])
    W = s.final["W"]
    if model == "errormc":
        close([np.linalg.norm(W)], ref["after_training_W_fro"])
        close([W.sum()], ref["after_training_W_sum"])
    else:
        net = s.net
        mats = [W[net.fw_ptr[k]:net.fw_ptr[k + 1]] for k in range(len(net.fw_ptr) - 1)]
        close([np.linalg.norm(m) for m in mats], ref["after_training_W_fro"])
        close([m.sum() for m in mats], ref["after_training_W_sum"])


def test_comparison_with_backprop(case):
    model, run, ref = case
    s = run.students[0]
    assert list(s.angles.shape) == ref["angle_BP_shape"]
    close(s.angles[0], ref["angle_BP_first_entry"])
    close(np.nanmean(s.angles, axis=0), ref["angle_BP_mean"])
    key = "angle_WPPT_BII_first" if model == "errormc" else "angle_WPPT_BPP_first"
    close(s.weight_angles[1], ref[key])
