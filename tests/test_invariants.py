"""Properties the reference's dynamics have and the kernels must keep (docs/models.md §0, §4, §9)."""

import numpy as np
import pytest

from microcircuits.models import build
from microcircuits.tasks import teacher_student
from microcircuits.tasks.protocol import Sim, null_recorder, phase, shuffle_pairs, validates_after

from .conftest import fig3_params, small


def test_prospective_voltage_is_last_steps_effective_potential():
    """u_breve(n+1) = u_eff(n) = tau (gbas vbas(n) + gapi vapi(n)) to round-off (spec §0)."""
    p = fig3_params("8-4-2-1", "errormc")
    sim = Sim.of(build(p, 56789))
    rec = null_recorder(sim.net)
    rs = np.random.RandomState(1)
    X = np.repeat(rs.uniform(0, 1, (10, 8)), 20, axis=0)
    Y = np.repeat(rs.uniform(-0.5, 0.5, (10, 1)), 20, axis=0)
    tau = 1 / (p.gl + p.gbas + p.gapi)
    worst = 0.0
    for n in range(len(X) - 1):
        phase(sim, rec, X[n:n + 1], Y[n:n + 1], inject=True, synapse=True, learn_w=True, learn_lat=True)
        u_eff = tau * (p.gbas * sim.st.vbas + p.gapi * sim.st.vapi)
        phase(sim, rec, X[n + 1:n + 2], Y[n + 1:n + 2], inject=True, synapse=True, learn_w=True, learn_lat=True)
        worst = max(worst, np.max(np.abs(sim.st.u_breve - u_eff)))
    assert worst < 1e-12


@pytest.mark.parametrize("net", ["2-1", "4-2-1", "8-4-2-1"])
def test_ann_updates_are_backprop(net):
    """An ann student's weight updates are exactly backprop's: every angle is 0."""
    run = teacher_student.run(small(net, "ann"), compare=True, progress=False)
    angles = run.students[0].angles
    assert angles.size and np.all(angles == 0.0)


def test_validation_schedule():
    """(10*epoch) % epochs == 0 for epochs > 1, or once for epochs == 1."""
    assert [e for e in range(1000) if validates_after(e, 1000)] == list(range(0, 1000, 100))
    assert [e for e in range(5) if validates_after(e, 5)] == [0, 1, 2, 3, 4]
    assert [e for e in range(2) if validates_after(e, 2)] == [0, 1]
    assert [e for e in range(1) if validates_after(e, 1)] == [0]


def test_shuffle_keeps_pairs_and_delays_targets():
    T, shift = 4, 2
    X = np.repeat(np.arange(5.0)[:, None], T, axis=0)
    Y = np.repeat(10 + np.arange(5.0)[:, None], T, axis=0)
    x, y, perm = shuffle_pairs(X, Y, np.random.RandomState(0), T, shift)
    assert sorted(perm) == list(range(5))
    assert np.all(x[::T, 0] == perm)
    # the target is the input's partner, delayed by `shift` steps; the first `shift` steps repeat the start
    assert np.all(y[shift:, 0] == 10 + x[:-shift, 0])
    assert np.all(y[:shift, 0] == 10 + x[0, 0])


def test_snapshots_every_rec_per_steps_with_initial_state():
    p = small("4-2-1", "errormc", epochs=5)  # 50 settle + 5*100 train + 5*100 validation + 100 test
    run = teacher_student.run(p, progress=False)
    s = run.students[0]
    assert len(s.snapshots["step"]) == 1 + (50 + 500 + 500 + 100) // 50
    assert s.snapshots["step"][0] == 0 and s.snapshots["step"][-1] == 1150
    assert s.val_epochs == [0, 1, 2, 3, 4]
    assert teacher_student.run(small("4-2-1", "errormc", epochs=3), progress=False).students[0].val_epochs == [0]


def test_seeds_mean_the_same_thing():
    """A student does not depend on the other seeds of its job (the teacher derives from the first seed)."""
    a = teacher_student.run(small("4-2-1", "errormc", random_seed=[111, 333, 222]), progress=False)
    b = teacher_student.run(small("4-2-1", "errormc", random_seed=[111, 222]), progress=False)
    assert a.teacher_seed == b.teacher_seed
    assert np.array_equal(a.students[2].test_mse, b.students[1].test_mse)
    assert np.array_equal(a.students[0].snapshots["W"], b.students[0].snapshots["W"])
