"""The cart-pole plant and its closed loop with a network controller (the reference's cartpole.py and
controller.py).

The plant is the classic Barto / Florian cart-pole with continuous force, integrated with explicit Euler
(positions move with the old velocities), its expressions in the reference's order of evaluation.  In the
closed loop the network sees the plant state for ``repeats`` steps (no target, no weight change, the
synapse routine on as in the reference), its first output rate times ``rescale`` is the force, and the
plant resets every ``subsim`` plant steps and after each failure, from a supply of reset states.
"""

import math

import numpy as np

from .common import jit
from .engine import count_and_record, step
from .structs import borrowed

GRAVITY = 9.8
CART_MASS = 1.0
POLE_MASS = 0.1
HALF_LENGTH = 0.5
X_LIMIT = 2.40
THETA_LIMIT = 70 * 2 * np.pi / 360
RESET_BOUNDS = 2.0  # reset states are (U(0, 1) - 0.5) * 2: uniform on (-1, 1)^4


@jit
def plant_step(s, force, dt):
    """One Euler step of state s = (x, x_dot, theta, theta_dot), in place; returns whether it failed."""
    x, x_dot, theta, theta_dot = s[0], s[1], s[2], s[3]
    m_p, m_c, l = POLE_MASS, CART_MASS, HALF_LENGTH
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + m_p * l * theta_dot ** 2 * sintheta) / (m_c + m_p)
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (l * (4.0 / 3.0 - m_p * costheta ** 2 / (m_c + m_p)))
    xacc = temp - m_p * l * thetaacc * costheta / (m_c + m_p)
    s[0] = x + dt * x_dot
    s[1] = x_dot + dt * xacc
    s[2] = theta + dt * theta_dot
    s[3] = theta_dot + dt * thetaacc
    return s[0] < -X_LIMIT or s[0] > X_LIMIT or s[2] < -THETA_LIMIT or s[2] > THETA_LIMIT


@jit
def closed_loop(net, st, rec, record, phase, resets, next_reset, n_plant, subsim, repeats, rescale, dt,
                states, forces, failed):
    """One closed-loop test of ``n_plant`` plant states: states[0] is the first reset state, then for
    tt = 1 .. n_plant-1 the network acts on the plant.  Returns the index of the next unused reset state."""
    net, st, rec = borrowed(net), borrowed(st), borrowed(rec)  # owned by the caller for the whole call
    n_in = net.area_off[1]
    out = n_in + net.rep_off[net.n_areas]
    X = np.zeros((1, n_in))
    Y = np.zeros((0, 1))
    on = n_plant > 0  # runtime flags: literal True/False would compile a second copy of the step
    off = not on
    s = resets[next_reset].copy()
    next_reset += 1
    states[0] = s
    for tt in range(1, n_plant):
        if tt % subsim == 0:
            s[:] = resets[next_reset]
            next_reset += 1
        for j in range(n_in):
            X[0, j] = s[j]
        for _ in range(repeats):
            step(net, st, X, Y, 0, off, on, off, on, off)
            if record:
                count_and_record(net, st, rec, phase, Y, 0)
        force = st.rates[out] * rescale
        fail = plant_step(s, force, dt)
        states[tt] = s
        forces[tt - 1] = force
        failed[tt - 1] = fail
        if fail:
            s[:] = resets[next_reset]
            next_reset += 1
    return next_reset
