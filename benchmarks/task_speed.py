"""Microseconds per network step of the Fig. 2 tasks, whole runs included, and the ratio to the reference.

Cart-pole (Fig. 2a): one paper-scale job of the reference's parameter file (the teacher, then per seed
settling, 5 epochs of imitation training and validation on 500 states, an untrained baseline test and
six closed-loop tests of 19,999 plant steps x 4 network steps).  DMS (Fig. 2b): the paper's protocol
(10 epochs of 50 trials, validation before each, a test pass), trial by trial with resets.  The time is
the wall time of the run after a warm-up run that compiles the kernels, divided by the network steps it
simulated; plant steps, trial set-up and recording are in it.  The reference takes about 150 us per
step for errormc 4-4-1 (docs/performance.md).

    python benchmarks/task_speed.py [--seeds 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import yaml

from microcircuits.params import load_params, params_from_mapping
from microcircuits.tasks import cartpole, dms

REFERENCE_US = 150.0
ROOT = Path(__file__).resolve().parent.parent
SEEDS = [56789, 12345, 23456, 34567, 76543, 111, 222, 333, 444, 555]


def cartpole_params(variant: str, seeds: list):
    for base in (ROOT / "tests" / "data" / "reference" / "params",):
        f = base / f"Fig2a_cartpole_{variant}_emc" / "params_errormc.json"
        if f.exists():
            return load_params(f, dict(random_seed=seeds))
    raise SystemExit("no Fig2a reference parameter files found")


def dms_params(seeds: list):
    cfg = yaml.safe_load((ROOT / "config" / "fig2b.yaml").read_text())["fig2b"]
    return params_from_mapping({**cfg["params"], "random_seed": seeds}, source="config/fig2b.yaml")


def timed(task, p, repeats: int) -> tuple[float, int]:
    """(best wall time in s, network steps) over repeats, after a compiling warm-up."""
    task.run(dataclasses.replace(p, random_seed=p.random_seed[:1], epochs=1), progress=False)
    best, steps = float("inf"), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        run = task.run(p, progress=False)
        best = min(best, time.perf_counter() - t0)
        steps = run.steps_simulated
    return best, steps


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds per run (the paper: 10)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    seeds = SEEDS[:args.seeds]
    cases = [("cart-pole, linear (Fig. 2a)", cartpole, cartpole_params("ideal", seeds)),
             ("cart-pole, tanh (Fig. 2a)", cartpole, cartpole_params("tanh", seeds)),
             ("DMS 1-2-1 (Fig. 2b)", dms, dms_params(seeds))]
    print(f"{'task':28s} {'seeds':>5s} {'steps':>12s} {'wall s':>8s} {'us/step':>8s} {'reference':>9s} {'speed-up':>9s}")
    for name, task, p in cases:
        wall, steps = timed(task, p, args.repeats)
        us = wall / steps * 1e6
        print(f"{name:28s} {len(seeds):5d} {steps:12,d} {wall:8.2f} {us:8.3f} {REFERENCE_US:9.0f} {REFERENCE_US / us:8.0f}x",
              flush=True)


if __name__ == "__main__":
    main()
