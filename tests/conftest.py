"""Shared test helpers: where the reference data lives, small runs built from reference files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from microcircuits.params import load_params

REFERENCE = Path(__file__).parent / "data" / "reference"
# where test_hardening.py counts what it tried and what held: one folder per session, named by the controlling
# process, which passes it to its xdist workers through the environment they inherit
if not os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["MICROCIRCUITS_HARDENING_COUNTS"] = str(Path(tempfile.gettempdir()) / f"microcircuits-hardening-{os.getpid()}")
HARDENING_COUNTS = Path(os.environ["MICROCIRCUITS_HARDENING_COUNTS"])
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


def pytest_terminal_summary(terminalreporter):
    """The hardening suite's counts per category: tried and held (by the controlling process only: xdist's
    workers run this hook too, with no terminal to show it on)."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not HARDENING_COUNTS.is_dir():
        return
    totals: dict = {}
    for f in sorted(HARDENING_COUNTS.glob("*.jsonl")):
        category = f.name.rsplit(".", 2)[0]
        for line in f.read_text().splitlines():
            entry = json.loads(line)
            tried, held = totals.get(category, (0, 0))
            totals[category] = (tried + entry["tried"], held + entry["held"])
        f.unlink()
    HARDENING_COUNTS.rmdir()
    if totals:
        terminalreporter.section("hardening: tried / held")
        for category, (tried, held) in sorted(totals.items()):
            terminalreporter.write_line(f"{category:42s} {tried:5d} / {held:5d}")
