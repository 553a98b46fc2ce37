"""Shared test helpers: where the reference data lives, small runs built from reference files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microcircuits.params import load_params

REFERENCE = Path(__file__).parent / "data" / "reference"
PARAMS = REFERENCE / "params"
FIG3 = PARAMS / "Fig3_multilayer_comparison"


def fig3_params(net: str, model: str, **overrides):
    """A Fig. 3 reference parameter file, loaded unchanged except for ``overrides``."""
    return load_params(FIG3 / net / model / "params.json", overrides)


def small(net: str, model: str, **overrides):
    """A quick variant: 5 samples, 2 epochs, short settling, one seed."""
    base = dict(random_seed=[56789], epochs=2, dataset_size=5, settling_time=0.5, rec_per_steps=50)
    base.update(overrides)
    return fig3_params(net, model, **base)


@pytest.fixture(scope="session")
def checkpoints() -> dict:
    return json.loads((REFERENCE / "checkpoints.json").read_text())
