"""Microseconds per step of PAL's runner circuits here, and side by side with the unmodified PAL code.

Cases: the Fig. 3 network (5-20-10-20-5) with PAL learning its feedback weights (bw_only: noise drawn, B, B_PI
learning) and with BP and FA training on a teacher's targets (fw_bw), and the Fig. 4 network (1-1-1) with
PAL, BP and FA (fw_bw).  Each of ours is the minimum over ``--repeats`` of the wall time per step of a run of
``--steps`` learning steps (noise drawing, shuffles and records included); each of the reference's times
``--ref-steps`` calls of its ``evolve_system`` with the same parameter file, learning switched on as the
runner does, recording every 1000th step.

With ``--reference DIR`` (PAL's ``PAL MC`` folder) and ``--reference-python PY`` (a Python whose NumPy is
older than 1.24, which PAL needs, with scipy and dill), the reference runs in the same session, one case at a
time, with one BLAS thread, and the table gives the ratio; otherwise it gives the figures measured for the spec
(2-vCPU VM).  Both sides run on one CPU (``--cpu``, default the first this process may use): unpinned, a
process that the scheduler moves between the cores of this VM runs up to 1.5x slower.

    python benchmarks/pal_speed.py [--steps 200000] [--repeats 5] [--cpu N]
        [--reference "/path/PAL MC" --reference-python /path/venv/bin/python --ref-steps 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from microcircuits.models.pal import Records, build
from microcircuits.params_pal import load_pal_params
from microcircuits.tasks import pal as task

HERE = Path(__file__).resolve().parent.parent
PARAMS = HERE / "tests" / "data" / "reference" / "pal" / "params"
CASES = {  # name -> (parameter file, overrides, task)
    "5-20-10-20-5 PAL bw_only": ("Fig3abc", {}, "bw_only"),
    "5-20-10-20-5 BP fw_bw": ("Fig3abc", {"model_type": "BP"}, "fw_bw"),
    "5-20-10-20-5 FA fw_bw": ("Fig3abc", {"model_type": "FA"}, "fw_bw"),
    "1-1-1 PAL fw_bw": ("Fig4ab/PAL", {}, "fw_bw"),
    "1-1-1 BP fw_bw": ("Fig4ab/BP", {}, "fw_bw"),
    "1-1-1 FA fw_bw": ("Fig4ab/FA", {}, "fw_bw"),
}
SPEC_US = {"5-20-10-20-5 PAL bw_only": 278, "5-20-10-20-5 BP fw_bw": 196, "5-20-10-20-5 FA fw_bw": 184,
           "1-1-1 PAL fw_bw": 141, "1-1-1 BP fw_bw": 124, "1-1-1 FA fw_bw": 131}  # docs/performance.md
GOAL = 200

REFERENCE_SCRIPT = r"""
import json, os, sys, time
import numpy as np
src, path, overrides, task_, steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], int(sys.argv[5])
os.chdir(src); sys.path.insert(0, src)
import src.init_MC as init_MC
params = json.load(open(path)); params.update(overrides)
mc = init_MC.init_MC(params, [123])[0]
mc.init_record(rec_per_steps=1000, rec_WPP=True, rec_BPP=True, rec_vbas=True, rec_MSE=task_ == "fw_bw")
rs = np.random.RandomState(0)
x = rs.uniform(0, 1, (steps, params["layers"][0]))
y = rs.uniform(0, 1, (params["layers"][-1],)) if task_ == "fw_bw" else None
learn_w = task_ == "fw_bw"
for i in range(1000):  # warm-up
    mc.evolve_system(r0=x[i], u_tgt=None if y is None else [y], learn_weights=learn_w, learn_lat_weights=True, learn_bw_weights=True)
t0 = time.perf_counter()
for i in range(steps):
    mc.evolve_system(r0=x[i], u_tgt=None if y is None else [y], learn_weights=learn_w, learn_lat_weights=True, learn_bw_weights=True)
print(json.dumps((time.perf_counter() - t0) / steps * 1e6))
"""


def ours_us(name: str, steps: int, repeats: int) -> float:
    folder, overrides, task_ = CASES[name]
    p = load_pal_params(PARAMS / folder / "params.json", {**overrides, "settling_time": 0, "random_seed": [123]})
    T = p.steps_per_sample
    epochs = max(1, steps // (p.dataset_size * T))
    p = load_pal_params(PARAMS / folder / "params.json", {**overrides, "settling_time": 0, "random_seed": [123], "epochs": epochs})
    samples = task.draw_samples(p, 123)
    targets = np.random.RandomState(0).uniform(0, 1, (p.dataset_size, p.layers[-1])) if task_ == "fw_bw" else None
    best = np.inf
    for r in range(repeats + 1):  # the first compiles or loads the kernel
        net = build(p, 123)
        rec = Records.for_run(net, epochs * p.dataset_size * T, p.rec_per_steps, False)
        t0 = time.perf_counter()
        n = task.train(p, net, samples, targets, task.LEARNING[task_], rec)
        if r:
            best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


def reference_us(name: str, src: Path, python: str, steps: int) -> float:
    folder, overrides, task_ = CASES[name]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([python, "-c", REFERENCE_SCRIPT, str(src), str(PARAMS / folder / "params.json"),
                          json.dumps(overrides), task_, str(steps)], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--reference", type=Path, help="PAL's 'PAL MC' folder (unmodified)")
    ap.add_argument("--reference-python", default=None, help="a Python with NumPy < 1.24, scipy and dill")
    ap.add_argument("--ref-steps", type=int, default=20_000)
    ap.add_argument("--cpu", type=int, default=min(os.sched_getaffinity(0)), help="the CPU both sides run on")
    args = ap.parse_args(argv)
    os.sched_setaffinity(0, {args.cpu})  # inherited by the reference's process
    live = args.reference is not None and args.reference_python is not None
    print(f"{'case':26s} {'us/step':>9s} {'reference':>10s} {'speed-up':>9s}  (reference: "
          f"{'measured now' if live else 'spec, 2-vCPU VM'}; CPU {args.cpu}; goal >= {GOAL}x)")
    for name in CASES:
        us = ours_us(name, args.steps, args.repeats)
        ref = reference_us(name, args.reference, args.reference_python, args.ref_steps) if live else SPEC_US[name]
        print(f"{name:26s} {us:9.3f} {ref:10.1f} {ref / us:8.0f}x", flush=True)


if __name__ == "__main__":
    main()
