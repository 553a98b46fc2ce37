"""Inter-area connectivity from Markov et al. 2014 (the reference's ``connectivity.csv``) and what derives
from it: the forward mask of the realistic initialisation and the skip-mode learning-rate matrix."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np


@lru_cache(maxsize=1)
def connectivity() -> np.ndarray:
    """C with C[i, j] = csv[j, i] (the reference transposes the file on loading), 7 x 7."""
    with resources.files("microcircuits.data").joinpath("connectivity.csv").open() as fh:
        conn = np.genfromtxt(fh, delimiter=",").T
    conn.setflags(write=False)
    return conn


def forward_mask() -> np.ndarray:
    """M (8 x 8): post area x pre area, input area 0 included; M[1, 0] = 1 (input drives area 1)."""
    mask = np.pad(connectivity(), ((1, 0), (1, 0)), mode="constant")
    mask[1, 0] = 1.0
    return mask


def learning_rate_matrix(eta, method: str) -> np.ndarray:
    """The L x L matrix H of errormc skip mode: H[a-1, b] is the rate of block (post a, pre b).

    fill_diag: only hierarchical blocks learn; fill_all: every block into area a learns at eta_a;
    fill_scaled: eta_a scaled by the connectome mask (hierarchical blocks too).  docs/models.md §3.4.
    """
    eta = np.array(eta)
    if method == "fill_diag":
        out = np.diag(eta)
    elif method == "fill_all":
        out = np.repeat(eta[:, np.newaxis], len(eta), axis=1)
    elif method == "fill_scaled":
        mask = np.tril(forward_mask()[1:][: len(eta), : len(eta)])
        out = np.diag(eta) @ mask
    else:
        raise ValueError(f"unknown eta_fw_conversion {method!r}")
    return np.tril(out)
