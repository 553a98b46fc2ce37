"""Microseconds per training step of the Fig. 4/5 networks (genMNIST, errormc, layered, BP), the memory-
bandwidth floor of one step, and the ratio to the reference's 0.1 s per step.

The floor: every weight matrix the step uses must be read at least once from memory (forward W,
the feedback noise the BP feedback adds to W^T, the lateral maps W_IP and B_PI of both areas) and the
learning W written once; at 10-1000-784 these are about 45 MB, far more than the caches hold.  Divided by
the measured memory bandwidth (a large NumPy copy: bytes read + written per second) it is the least time
any implementation of this maths in float64 can take on this machine.  A step is mostly reads (all but the
update of W), and a single core reads DRAM more slowly than it copies (non-temporal stores), so a second
floor divides by the measured read bandwidth (a vectorised sum over 256 MB); the truth lies between the two.

The step of these networks runs two independent tasks (the forward sweep, the lateral products), on one
thread or on two; one core draws less bandwidth than two, so the two-thread floor divides by the read
bandwidth of two threads.

    python benchmarks/genmnist_speed.py [--steps 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from numba import njit, prange
from step_speed import (
    best_training_step_us,  # benchmarks/ is on the path when run as a script
)

from microcircuits.models import build
from microcircuits.params import params_from_mapping
from microcircuits.tasks.genmnist import load_digits
from microcircuits.tasks.protocol import Sim, null_recorder

REFERENCE_US = 100_000.0  # the reference: about 0.1 s per step at 10-1000-784 (docs/performance.md)
NETS = [(50, 50), (1000, 1000), (50, 1000), (1000, 50)]
FIG4 = dict(mc_model="errormc", input_signal="genMNIST", fw_connection_mode="layered", bw_connection_mode="layered",
            model_type="BP", WT_noise=0.5, activation="logistic", error_activation="linear", dt=0.01, Tpres=0.2,
            eta_fw=[1.0, 0.1], eta_IP=[0, 0], eta_PI=[0, 0], init_WPP_range=[-0.1, 0.1],
            init_WIP_range=[-0.03, 0.03], init_BPI_range=[-0.03, 0.03], init_BII_range=[-0.1, 0.1],
            varphi_transfer=True, settling_time=1, epochs=1, random_seed=[56789])


def bandwidth_gbs() -> float:
    """Copy bandwidth (bytes read + written per second) of a 256 MB array, best of five."""
    a = np.ones(32_000_000)
    b = np.empty_like(a)
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best / 1e9


@njit(fastmath=True, cache=True)
def _sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


@njit(fastmath=True, parallel=True, cache=True)
def _sum_halves(a):
    s = np.zeros(2)
    half = a.shape[0] // 2
    for t in prange(2):
        s[t] = _sum(a[t * half:(t + 1) * half])
    return s[0] + s[1]


def read_bandwidth_gbs(threads: int = 1) -> float:
    """Bytes read per second by a vectorised sum over a 256 MB array (two halves at once with two threads),
    best of five."""
    a = np.ones(32_000_000)
    total = _sum if threads == 1 else _sum_halves
    total(a)
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        total(a)
        best = min(best, time.perf_counter() - t0)
    return a.nbytes / best / 1e9


def floor_bytes(n_rep: int, n_err: int) -> int:
    """Bytes of weights one plastic step must touch at least (float64)."""
    n_in, n_out = 10, 784
    W = n_rep * n_in + n_out * n_rep
    feedback_noise = n_err * n_out
    lateral = 2 * (n_err * n_rep + n_out * n_out)
    return 8 * (2 * W + feedback_noise + lateral)


def time_steps(n_rep: int, n_err: int, steps: int, repeats: int) -> float:
    p = params_from_mapping({**FIG4, "layers": [10, n_rep, 784], "error_layers": [0, n_err, 784]}, source="benchmark")
    sim = Sim.of(build(p, 56789))
    rec = null_recorder(sim.net)
    digits = load_digits()
    T = p.steps_per_sample
    X = np.repeat(np.eye(10)[digits.labels], T, axis=0)
    Y = np.repeat(digits.images, T, axis=0)
    reps = steps // len(X) + 1
    X, Y = np.tile(X, (reps, 1))[:steps], np.tile(Y, (reps, 1))[:steps]
    return best_training_step_us(sim, rec, X, Y, repeats)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    threads = [1, 2] if numba.config.NUMBA_NUM_THREADS >= 2 else [1]
    bw, rbw = bandwidth_gbs(), {t: read_bandwidth_gbs(t) for t in threads}
    print(f"memory bandwidth: copy {bw:.1f} GB/s, read {rbw[1]:.1f} GB/s"
          + (f", read with two threads {rbw[2]:.1f} GB/s" if 2 in rbw else ""))
    print(f"{'network':12s} {'n_E':>5s} {'floor us':>9s} {'threads':>7s} {'us/step':>9s} {'x floor':>8s} "
          f"{'x read fl':>9s} {'reference':>10s} {'speed-up':>9s}")
    for n_rep, n_err in NETS:
        nbytes = floor_bytes(n_rep, n_err)
        floor = nbytes / (bw * 1e9) * 1e6
        has_reference = (n_rep, n_err) == (1000, 1000)
        for t in threads:
            numba.set_num_threads(t)
            us = time_steps(n_rep, n_err, args.steps, args.repeats)
            read_floor = nbytes / (rbw[t] * 1e9) * 1e6
            ref = f"{REFERENCE_US:10.0f}" if has_reference else f"{'':10s}"
            speed = f"{REFERENCE_US / us:8.0f}x" if has_reference else f"{'':9s}"
            head = f"10-{n_rep}-784 {n_err:5d} {floor:9.1f}" if t == 1 else f"{'':28s}"
            print(f"{head} {t:7d} {us:9.1f} {us / floor:8.2f} {us / read_floor:9.2f} {ref} {speed}", flush=True)


if __name__ == "__main__":
    main()
