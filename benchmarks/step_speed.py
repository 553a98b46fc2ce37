"""Microseconds per simulation step, and the ratio to the reference implementation.

For each model and network of Fig. 3 this builds the student of the reference parameter file (seed 56789)
and times steady-state training steps (target injected, plasticity on: 99.8 % of a Fig. 3 run) inside the
compiled phase loop, after a warm-up that also compiles.  The machine is shared and noisy, so each figure is
the minimum over ``--repeats`` runs of ``--steps`` steps.  The reference figures are the medians measured
for the unmodified reference on a 2-vCPU VM (docs/models.md §8.3 and docs/performance.md); where none was measured, the column is
empty.

    python benchmarks/step_speed.py [--steps 200000] [--repeats 7] [--params-dir DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from microcircuits.models import MODELS, build
from microcircuits.params import load_params
from microcircuits.tasks.protocol import Sim, null_recorder, phase

REFERENCE_US = {  # learn step, median (docs/models.md §8.3 and docs/performance.md)
    ("4-2-1", "errormc"): 157, ("4-2-1", "sacramento2018"): 71,
    ("32-16-8-4-2-1", "errormc"): 391, ("32-16-8-4-2-1", "sacramento2018"): 181,
}
GOALS_US = {("4-2-1", "errormc"): 0.5, ("32-16-8-4-2-1", "errormc"): 2.5}
NETS = ("4-2-1", "32-16-8-4-2-1")


def default_params_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "tests" / "data" / "reference" / "params",):
        if candidate.is_dir():
            return candidate
    raise SystemExit("no reference parameter files found: pass --params-dir")


def time_training_steps(params_file: Path, steps: int, repeats: int) -> float:
    """Minimum over repeats of the wall time per training step, in microseconds."""
    p = load_params(params_file)
    sim = Sim.of(build(p, 56789))
    rec = null_recorder(sim.net)
    rs = np.random.RandomState(0)
    T = p.steps_per_sample
    X = np.repeat(rs.uniform(0, 1, (steps // T + 1, p.layers[0])), T, axis=0)[:steps]
    Y = np.repeat(rs.uniform(-0.5, 0.5, (steps // T + 1, p.layers[-1])), T, axis=0)[:steps]
    return best_training_step_us(sim, rec, X, Y, repeats)


def best_training_step_us(sim, rec, X, Y, repeats: int) -> float:
    """Minimum over repeats of the wall time per training step (target injected, plasticity on), in us,
    after a warm-up that compiles or loads the kernels."""
    learn = dict(inject=True, synapse=True, learn_w=True, learn_lat=True, record=True)
    phase(sim, rec, X[:min(1000, len(X) // 10)], Y[:min(1000, len(X) // 10)], **learn)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        phase(sim, rec, X, Y, **learn)
        best = min(best, time.perf_counter() - t0)
    return best / len(X) * 1e6


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--params-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    pdir = args.params_dir or default_params_dir()
    print(f"{'network':16s} {'model':15s} {'us/step':>9s} {'reference':>10s} {'speed-up':>9s} {'goal':>6s}")
    for net in NETS:
        for model in MODELS:
            us = time_training_steps(pdir / "Fig3_multilayer_comparison" / net / model / "params.json",
                                     args.steps, args.repeats)
            ref = REFERENCE_US.get((net, model))
            goal = GOALS_US.get((net, model))
            print(f"{net:16s} {model:15s} {us:9.3f} {ref if ref else '':>10} "
                  f"{f'{ref / us:8.0f}x' if ref else '':>9s} {goal if goal else '':>6}", flush=True)


if __name__ == "__main__":
    main()
