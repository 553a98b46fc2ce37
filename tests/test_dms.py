"""Fig. 2b: the delayed match-to-sample trials are the reference's, and the network learns the task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from microcircuits.params import ParamsError, params_from_mapping
from microcircuits.tasks import dms

CONFIG = Path(__file__).resolve().parents[1] / "config" / "fig2b.yaml"


def fig2b_params(**overrides):
    cfg = yaml.safe_load(CONFIG.read_text())["fig2b"]
    return params_from_mapping({**cfg["params"], "random_seed": cfg["seeds"][:1], **overrides}, source=str(CONFIG))


def test_trial_structure():
    t = dms.make_trials(200, 7)
    for x, target in zip(t.inputs, t.targets):
        delay = len(x) - dms.FIXATION - 2 * dms.STIMULUS
        assert dms.DELAY_RANGE[0] <= delay < dms.DELAY_RANGE[1]
        assert np.all(x[:dms.FIXATION] == 0)
        s1 = x[dms.FIXATION]
        s2 = x[-1]
        assert s1 in (-1, 1) and s2 in (-1, 1)
        assert np.all(x[dms.FIXATION:dms.FIXATION + dms.STIMULUS] == s1)
        assert np.all(x[dms.FIXATION + dms.STIMULUS:dms.FIXATION + dms.STIMULUS + delay] == 0)
        assert np.all(x[-dms.STIMULUS:] == s2)
        assert target == (1 if s1 == s2 else -1)
    assert 0.35 < np.mean(t.targets == 1) < 0.65


def test_data_sets_are_the_references():
    """Summed trial lengths of the reference's seeded sets, and its two example trials."""
    lengths = {k: sum(len(x) for x in dms.make_trials(50, s).inputs) for k, s in dms.TRIAL_SEEDS.items()}
    assert lengths == {"train": 45_049, "validation": 44_857, "test": 45_370}
    match = dms.make_trials(1, 0, first=1, second=1)
    non_match = dms.make_trials(1, 1, first=1, second=-1)
    assert (len(match.inputs[0]), match.targets[0]) == (970, 1)
    assert (len(non_match.inputs[0]), non_match.targets[0]) == (894, -1)


def test_bad_network_shape_is_refused():
    with pytest.raises(ParamsError, match="DMS task needs"):
        dms.run(fig2b_params(layers=[2, 2, 1], error_layers=[0, 2, 1], activation=["soft_relu", "tanh"]), progress=False)


def test_network_learns_the_task():
    """The paper's protocol (10 epochs, eta 4000), three seeds: the test error falls far below its value
    before training (2.08: the untrained output sits at -1, so every match trial costs 4)."""
    run = dms.run(fig2b_params(random_seed=[56789, 76543, 111]), progress=False)
    for s in run.students:
        before, test = s.val_mse[0].mean(), s.test_mse.mean()
        assert before > 1.5 and test < 0.1 * before, (s.seed, before, test)
        assert s.val_mse.shape == (10, 50) and s.test_mse.shape == (50,)
    ex = run.students[0].examples
    out = ex["match"]["rate"][-1, -1], ex["non-match"]["rate"][-1, -1]
    assert out[0] > 0 > out[1]  # the trained network answers both example trials correctly


def test_seed_reproducible():
    a = dms.run(fig2b_params(epochs=1, dataset_size=4), progress=False)
    b = dms.run(fig2b_params(epochs=1, dataset_size=4), progress=False)
    assert np.array_equal(a.students[0].test_mse, b.students[0].test_mse)
