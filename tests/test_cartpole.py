"""Fig. 2a: the cart-pole plant against hand-derived cases, and the closed loop's science: the teacher
balances the pole, training cuts the failures, and the same seeds give the same failures bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from microcircuits.kernels.cartpole import CART_MASS, GRAVITY, HALF_LENGTH, POLE_MASS, THETA_LIMIT, plant_step
from microcircuits.params import load_params
from microcircuits.tasks import cartpole

from .conftest import PARAMS

DT = 0.01
IDEAL = PARAMS / "Fig2a_cartpole_ideal_emc" / "params_errormc.json"
TANH = PARAMS / "Fig2a_cartpole_tanh_emc" / "params_errormc.json"


def step(state, force, dt=DT):
    s = np.array(state, dtype=float)
    failed = plant_step(s, force, dt)
    return s, failed


def test_upright_at_rest_stays_put():
    s = np.zeros(4)
    for _ in range(10_000):
        assert not plant_step(s, 0.0, DT)
    assert np.array_equal(s, np.zeros(4))


def test_a_tilted_pole_falls_with_the_textbook_acceleration():
    """theta = 0.1 rad, nothing moving, no force: theta_acc = g sin(theta) / (l (4/3 - m_p cos^2 / M))."""
    theta, M = 0.1, CART_MASS + POLE_MASS
    theta_acc = GRAVITY * np.sin(theta) / (HALF_LENGTH * (4 / 3 - POLE_MASS * np.cos(theta) ** 2 / M))
    x_acc = -POLE_MASS * HALF_LENGTH * theta_acc * np.cos(theta) / M
    s, failed = step([0, 0, theta, 0], 0.0)
    assert not failed
    np.testing.assert_allclose(s, [0, DT * x_acc, theta, DT * theta_acc], rtol=1e-14, atol=0)
    assert theta_acc > 0 and x_acc < 0  # the pole falls its way, the cart recoils


def test_linearised_dynamics_match_the_analytic_jacobian():
    """Near upright, one Euler step is s + dt (A s + b F) with the textbook linearisation."""
    M, m, l, g = CART_MASS + POLE_MASS, POLE_MASS, HALF_LENGTH, GRAVITY
    denom = l * (4 / 3 - m / M)
    A = np.zeros((4, 4))
    A[0, 1] = A[2, 3] = 1.0
    A[3, 2] = g / denom
    A[1, 2] = -m * l * A[3, 2] / M
    b = np.array([0.0, 1 / M + m * l / (M ** 2 * denom), 0.0, -1 / (M * denom)])
    eps = 1e-6
    J = np.zeros((4, 5))
    for k in range(5):
        dx = np.zeros(5)
        dx[k] = eps
        up, _ = step(dx[:4], dx[4])
        down, _ = step(-dx[:4], -dx[4])
        J[:, k] = (up - down) / (2 * eps)
    np.testing.assert_allclose(J[:, :4], np.eye(4) + DT * A, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(J[:, 4], DT * b, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("state", [[2.41, 0, 0, 0], [-2.41, 0, 0, 0], [0, 0, THETA_LIMIT + 1e-3, 0], [0, 0, -THETA_LIMIT - 1e-3, 0]])
def test_failure_limits(state):
    s = np.array(state, dtype=float)
    s[1] = s[3] = 0.0
    assert plant_step(s, 0.0, 0.0)  # dt 0: the state stays where the limits are checked
    assert not plant_step(np.array([2.39, 0, THETA_LIMIT - 1e-3, 0]), 0.0, 0.0)


@pytest.fixture(scope="module")
def short_run():
    """Both seeds of a short run (1 epoch of 50 states): the teacher's test and every student's."""
    p = load_params(TANH, dict(random_seed=[56789, 12345], epochs=1, dataset_size=50))
    return cartpole.run(p, progress=False)


def test_same_seeds_same_failures_bit_for_bit(short_run):
    p = short_run.params
    again = cartpole.run(p, progress=False)
    assert short_run.teacher_test.failures == again.teacher_test.failures
    for a, b in zip(short_run.students, again.students):
        for ta, tb in zip(a.tests + [a.untrained], b.tests + [b.untrained]):
            assert np.array_equal(ta.failed, tb.failed)
            assert np.array_equal(ta.states, tb.states)  # bit for bit, not approximately
    other = cartpole.run(load_params(TANH, dict(random_seed=[111, 12345], epochs=1, dataset_size=50)), progress=False)
    assert not np.array_equal(other.teacher_test.states, short_run.teacher_test.states)  # the seed matters


def test_teacher_balances_the_pole_for_the_whole_test(short_run):
    """The teacher fails only on hopeless reset states, within 2 s of the reset, and ends every
    20-s sub-simulation with the pole upright and the cart near the centre."""
    t = short_run.teacher_test
    subsim = len(t.states) // cartpole.SUBSIMULATIONS
    last_reset = 0
    for tt in range(1, len(t.states)):
        if tt % subsim == 0:
            last_reset = tt
        if t.failed[tt - 1]:
            assert tt - last_reset < 200, f"teacher failed {tt - last_reset} steps after a reset"
            last_reset = tt + 1
    ends = t.states[subsim - 1::subsim]
    assert np.all(np.abs(np.degrees(ends[:, 2])) < 0.5) and np.all(np.abs(ends[:, 0]) < 0.1)
    assert t.failures < 0.1 * min(s.untrained.failures for s in short_run.students)


def test_trained_students_fail_far_less_than_untrained():
    """The reference's protocol at the paper's scale (5 epochs of 500 states), three seeds."""
    for path in (IDEAL, TANH):
        p = load_params(path, dict(random_seed=[56789, 12345, 23456]))
        run = cartpole.run(p, progress=False)
        untrained = np.median([s.untrained.failures for s in run.students])
        final = np.median([s.tests[-1].failures for s in run.students])
        assert untrained > 50 and final < untrained / 10, (path.parent.name, untrained, final)


def test_reference_parameter_files_differ_in_four_keys():
    a, b = (json.loads(f.read_text()) for f in (IDEAL, TANH))
    assert {k for k in a if a[k] != b[k]} == {"activation", "eta_fw", "init_WIP_range", "init_BPI_range"}
