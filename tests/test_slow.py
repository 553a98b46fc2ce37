"""Long runs (marked slow: `pytest -m slow`; deselect with `-m "not slow"`)."""

import numpy as np
import pytest

from microcircuits.tasks import teacher_student

from .conftest import fig3_params

pytestmark = pytest.mark.slow


def test_fig3_errormc_4_2_1_learns_as_in_the_paper():
    """The full Fig. 3 error-MC 4-2-1 job (10 seeds, 1000 epochs, replay): trained test losses lie orders of
    magnitude below the untrained ones, and the hidden-area updates stay well aligned with backprop."""
    trained = teacher_student.run(fig3_params("4-2-1", "errormc"), compare=True, progress=False)
    untrained = teacher_student.run(load_untrained("4-2-1", "errormc"), progress=False)
    loss = np.array([s.test_mse[10:].mean() for s in trained.students])
    loss0 = np.array([s.test_mse[10:].mean() for s in untrained.students])
    assert np.median(loss) < 1e-3 and np.median(loss) < np.median(loss0) / 100
    angles = np.stack([np.nanmean(np.nan_to_num(s.angles), axis=0) for s in trained.students])
    assert np.median(angles[:, 1]) < 20  # updates of the output weights: nearly backprop's


def load_untrained(net, model):
    from microcircuits.params import load_params

    from .conftest import FIG3
    return load_params(FIG3 / net / f"untrained_{model}" / "params.json")


def test_long_oracle_run_on_the_deepest_network():
    """About 19 000 steps of the 32-16-8-4-2-1 error microcircuit against the NumPy oracle: round-off does
    not grow into a difference over a long run."""
    from microcircuits.models import build
    from microcircuits.tasks.protocol import Sim, null_recorder, phase

    from .oracle import make_oracle
    from .test_oracle import RATE_TARGET, compare, schedule

    c = build(fig3_params("32-16-8-4-2-1", "errormc", random_seed=[56789]), 56789)
    orc, sim = make_oracle(c), Sim.of(c)
    rec = null_recorder(sim.net)
    for repeat in range(50):
        for name, X, Y, flags in schedule(c.layers[0], c.layers[-1], RATE_TARGET["tanh"], seed=repeat):
            if name == "settle" and repeat:
                continue
            phase(sim, rec, X, Y, record=False, **flags)
            orc.run(X, Y, **flags)
        compare(sim, orc, f"after schedule {repeat}")
