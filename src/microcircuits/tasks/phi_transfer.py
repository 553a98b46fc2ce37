"""The φ′ transfer (Fig. 8): can a downstream unit read the derivative φ′(u) of a unit's transfer function
from the fluctuations of its rate?  A voltage held at a level u, plus small white noise, passes through φ;
the rate is high-pass filtered, rectified and averaged over the level's presentation: for small noise the
result is proportional to φ′(u).  This motivates `varphi_transfer` (docs/models.md).  No network is
simulated.

The reference (its notebook `varphi' transfer.ipynb`) draws from NumPy's unseeded global stream; here each
(activation, σ) cell draws from `RandomState(seed)` in the reference's order (shuffle the levels, then the
noise of the whole series), so all cells see the same presentation order and the same standard-normal
noise, scaled by σ (docs/deviations.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from ..kernels.activations import KIND, dphi_array, phi_array


@dataclass(frozen=True)
class TransferSettings:
    """The protocol: `levels` voltages evenly spaced over `u_range`, each held for `Tpres` (in the
    parameter files' time unit) at step `dt`; the high-pass filter's time constant is `tau_steps` steps."""
    levels: int = 50
    u_range: tuple[float, float] = (-5.0, 5.0)
    Tpres: float = 100.0
    dt: float = 0.01
    tau_steps: float = 10.0

    @property
    def steps_per_level(self) -> int:
        return int(self.Tpres / self.dt)


def high_pass(x: np.ndarray, dt: float, tau: float) -> np.ndarray:
    """First-order high-pass filter as the reference discretises it: y[0] = x[0],
    y[n] = y[n-1] + (x[n] - x[n-1]) - dt/tau · y[n-1] (a recursive filter, run by scipy)."""
    return lfilter([1.0, -1.0], [1.0, -(1.0 - dt / tau)], x)


def transfer_estimate(activation: str, sigma: float, settings: TransferSettings, seed: int) -> dict[str, np.ndarray]:
    """One (activation, σ) cell: per level (sorted by u), the rectified high-passed rate averaged over its
    presentation, the same normalised so that its maximum is max φ′ (the figure's scaling), the true φ′,
    and the position at which the level was presented."""
    rng = np.random.RandomState(seed)
    kind = KIND[activation]
    u_sorted = np.linspace(*settings.u_range, settings.levels)
    u_shown = u_sorted.copy()
    rng.shuffle(u_shown)
    n = settings.steps_per_level
    u_series = np.repeat(u_shown, n) + rng.normal(0.0, sigma, size=settings.levels * n)
    rate = np.empty_like(u_series)
    phi_array(kind, u_series, rate)
    hp = high_pass(rate, settings.dt, settings.tau_steps * settings.dt)
    per_level = np.maximum(hp, 0.0).reshape(settings.levels, n).mean(axis=1)
    order = np.argsort(u_shown, kind="stable")  # presentation order -> sorted by u
    estimate = per_level[order]
    phi_prime = np.empty_like(u_sorted)
    dphi_array(kind, u_sorted, phi_prime)
    return {"u": u_sorted, "estimate": estimate, "estimate_normalised": estimate / estimate.max() * phi_prime.max(),
            "phi_prime": phi_prime, "presentation": np.argsort(order, kind="stable")}
