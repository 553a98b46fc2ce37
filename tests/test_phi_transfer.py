"""The φ′ transfer (Fig. 8): the estimate follows φ′ without being φ′, the filter is the reference's, and the
run is seeded."""

from __future__ import annotations

import numpy as np
import pytest

from microcircuits.io.phi_transfer import phi_transfer_dataset
from microcircuits.tasks.phi_transfer import TransferSettings, high_pass, transfer_estimate

PAPER = TransferSettings()  # 50 levels in [-5, 5], Tpres 100, dt 0.01, tau = 10 dt


def reference_high_pass(x, dt, tau):
    """The reference notebook's loop, written out: y[0] = x[0]; y += (x[n] - x[n-1]) - dt/tau y."""
    y = [x[0]]
    for n in range(1, len(x)):
        y.append(y[-1] + ((x[n] - x[n - 1]) - dt / tau * y[-1]))
    return np.array(y)


def test_the_filter_is_the_reference_discretisation():
    x = np.random.RandomState(0).rand(5000)
    np.testing.assert_allclose(high_pass(x, 0.01, 0.1), reference_high_pass(x, 0.01, 0.1), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
@pytest.mark.parametrize("sigma", [0.1, 0.05])
def test_the_estimate_follows_phi_prime_but_is_not_a_copy(activation, sigma):
    cell = transfer_estimate(activation, sigma, PAPER, seed=12345)
    r = np.corrcoef(cell["estimate_normalised"], cell["phi_prime"])[0, 1]
    assert r >= 0.95, r
    assert np.abs(cell["estimate_normalised"] - cell["phi_prime"]).max() > 1e-3  # measured, not looked up
    other = transfer_estimate(activation, sigma, PAPER, seed=1)
    assert not np.array_equal(other["estimate"], cell["estimate"])  # it depends on the noise drawn


def test_a_linear_unit_gives_a_flat_estimate():
    """φ′ = 1 everywhere: the estimate is the same at every level (up to noise), whatever the level."""
    cell = transfer_estimate("linear", 0.1, PAPER, seed=3)
    assert np.std(cell["estimate"]) / np.mean(cell["estimate"]) < 0.1


def test_the_same_seed_gives_the_same_numbers_and_the_dataset_is_complete():
    short = TransferSettings(Tpres=5.0)
    a = phi_transfer_dataset(["tanh", "relu"], [0.1, 0.05], short, seed=7)
    b = phi_transfer_dataset(["tanh", "relu"], [0.1, 0.05], short, seed=7)
    np.testing.assert_array_equal(a.estimate.values, b.estimate.values)
    assert a.u.dims == ("act", "sigma", "level") and a.phi_prime.dims == ("act", "level")
    assert a.estimate_normalised.shape == (2, 2, 50)
    assert np.all(np.diff(a.u.values, axis=-1) > 0)  # levels in increasing order of u
    np.testing.assert_allclose(a.estimate_normalised.max("level"), a.phi_prime.max("level").broadcast_like(a.u.isel(level=0)))
    assert sorted(a.presentation.values) == list(range(50)) and a.attrs["seed"] == 7
