"""The φ′ transfer (Fig. 8) as a dataset: per activation, noise level σ and voltage level, the estimate of
φ′ from rate fluctuations beside the true φ′."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import xarray as xr

from ..tasks.phi_transfer import TransferSettings, transfer_estimate
from .provenance import provenance_attrs


def phi_transfer_dataset(activations: list[str], sigmas: list[float], settings: TransferSettings, seed: int,
                         command: str | None = None) -> xr.Dataset:
    """Every (activation, σ) cell of the φ′ transfer on (act, sigma, level), levels sorted by u."""
    cells = {(a, s): transfer_estimate(a, s, settings, seed) for a in activations for s in sigmas}
    stack = lambda key: np.array([[cells[a, s][key] for s in sigmas] for a in activations])
    first = cells[activations[0], sigmas[0]]
    level = np.arange(settings.levels)
    ds = xr.Dataset(
        {
            "u": (("act", "sigma", "level"), stack("u"), {"long_name": "voltage of the level", "units": "1"}),
            "estimate": (("act", "sigma", "level"), stack("estimate"),
                         {"long_name": "rectified high-pass filtered rate, mean over the level's presentation",
                          "units": "1"}),
            "estimate_normalised": (("act", "sigma", "level"), stack("estimate_normalised"),
                                    {"long_name": "estimate scaled so that its maximum equals the maximum of phi'",
                                     "units": "1"}),
            "phi_prime": (("act", "level"), np.array([cells[a, sigmas[0]]["phi_prime"] for a in activations]),
                          {"long_name": "derivative of the transfer function at the level (the reference's)",
                           "units": "1"}),
            "presentation": ("level", first["presentation"],
                             {"long_name": "position at which the level was presented (the same in every cell)",
                              "units": "1"}),
        },
        coords={
            "act": ("act", list(activations), {"long_name": "transfer function phi"}),
            "sigma": ("sigma", np.asarray(sigmas, dtype=float),
                      {"long_name": "standard deviation of the white noise added to the voltage", "units": "1"}),
            "level": ("level", level, {"long_name": "voltage level, in increasing order of u"}),
        },
    )
    run = {"activations": list(activations), "sigmas": list(sigmas), "seed": seed, **asdict(settings)}
    ds.attrs.update(title="Fig. 8: transfer of phi' through rate fluctuations", seed=seed,
                    steps_per_level=settings.steps_per_level, tau_high_pass=settings.tau_steps * settings.dt,
                    **provenance_attrs(json.dumps(run, sort_keys=True), command))
    return ds
