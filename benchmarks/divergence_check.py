"""What the divergence check costs: microseconds per network step of whole runs with the check on (as shipped)
and with it switched off (``protocol.check_divergence`` replaced by a no-op), measured in the same process,
alternating, best of ``--repeats``.

The check runs after every phase (a settling pass, an epoch, a validation pass; in the cart-pole's closed
loop every plant step of 4 network steps, in the DMS task every trial), reading every state vector and
weight matrix once.  The tasks with the shortest phases show its cost most.

    python benchmarks/divergence_check.py [--seeds 2] [--repeats 3] [--only TEXT]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from task_speed import cartpole_params, dms_params  # benchmarks/ is on the path when run as a script

from microcircuits.params import load_params
from microcircuits.tasks import cartpole, dms, teacher_student
from microcircuits.tasks import protocol

ROOT = Path(__file__).resolve().parent.parent
FIG3 = ROOT / "tests" / "data" / "reference" / "params" / "Fig3_multilayer_comparison"
SEEDS = [56789, 12345, 23456, 34567, 76543, 111, 222, 333, 444, 555]
CHECK = protocol.check_divergence


def no_check(sim, name) -> None:
    return None


def best_us(task, p, repeats: int) -> tuple[float, float, int]:
    """(µs/step with the check, µs/step without, steps), best of ``repeats`` each, alternating."""
    task.run(dataclasses.replace(p, random_seed=p.random_seed[:1], epochs=1), progress=False)  # compile
    best = {True: float("inf"), False: float("inf")}
    steps = 0
    for _ in range(repeats):
        for on in (True, False):
            protocol.check_divergence = CHECK if on else no_check
            try:
                t0 = time.perf_counter()
                run = task.run(p, progress=False)
                best[on] = min(best[on], time.perf_counter() - t0)
            finally:
                protocol.check_divergence = CHECK
            steps = run.steps_simulated
    return best[True] / steps * 1e6, best[False] / steps * 1e6, steps


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="run only the cases whose name contains this text")
    args = ap.parse_args(argv)
    seeds = SEEDS[:args.seeds]
    cases = [("Fig. 3 errormc 4-2-1", teacher_student,
              load_params(FIG3 / "4-2-1" / "errormc" / "params.json", dict(random_seed=seeds))),
             ("Fig. 3 dPC 32-16-8-4-2-1", teacher_student,
              load_params(FIG3 / "32-16-8-4-2-1" / "dPC" / "params.json", dict(random_seed=seeds))),
             ("cart-pole, tanh (Fig. 2a)", cartpole, cartpole_params("tanh", seeds)),
             ("DMS 1-2-1 (Fig. 2b)", dms, dms_params(seeds))]
    print(f"{'task':28s} {'steps':>12s} {'check on':>9s} {'check off':>9s} {'cost':>7s}   (us per step)")
    for name, task, p in (c for c in cases if args.only in c[0]):
        on, off, steps = best_us(task, p, args.repeats)
        print(f"{name:28s} {steps:12,d} {on:9.3f} {off:9.3f} {100 * (on / off - 1):+6.1f}%", flush=True)


if __name__ == "__main__":
    main()
