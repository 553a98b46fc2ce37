"""Pieces of the reference's experiment driver (``run_exp``) that every task shares: recorders, phases,
shuffling with the target shift, the validation schedule and progress reporting."""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from ..kernels.engine import NO_TEACHER_RECORD, Recorder, run_phase, snapshot
from ..kernels.structs import Network, State, kernel_network, kernel_state
from ..networks.build import Circuit, to_kernel

PHASES = ("init", "settle", "train", "validation", "test")
PHASE_ID = {name: i for i, name in enumerate(PHASES)}
EMPTY1 = np.zeros(0)


def validates_after(epoch: int, epochs: int) -> bool:
    """The reference validates when epochs > 1 and 10*epoch % epochs == 0, or when epochs == 1."""
    return (epochs > 1 and (10 * epoch) % epochs == 0) or epochs == 1


def n_validations(epochs: int) -> int:
    return sum(validates_after(e, epochs) for e in range(epochs))


class Sim:
    """A network ready to run: the Python-side records and the kernel's views of the same arrays."""

    def __init__(self, net: Network, st: State, circuit: Circuit | None = None):
        self.net, self.st, self.circuit = net, st, circuit
        self.knet, self.kst = kernel_network(net), kernel_state(st)
        self.model = int(net.model)
        self.n_out = int(net.rep_off[-1] - net.rep_off[-2])

    @classmethod
    def of(cls, circuit: Circuit) -> "Sim":
        return cls(*to_kernel(circuit), circuit=circuit)


def make_recorder(net, n_snapshots: int, every: int, fields: set[str]) -> Recorder:
    """Snapshot buffers: one row per snapshot for each field in ``fields`` (weights and states)."""
    sizes = dict(W=net.W.size, B=net.B.size, WIP=net.WIP.size, BPI=net.BPI.size, u=net.rep_off[-1],
                 u_breve=net.rep_off[-1], r=net.rep_off[-1], uI=net.pop_off[-1], uI_breve=net.pop_off[-1],
                 rI=net.pop_off[-1], vbas=net.rep_off[-1], vapi=net.rep_off[-1])
    arrays = {k: np.zeros((n_snapshots if k in fields else 0, n)) for k, n in sizes.items()}
    return Recorder(counter=np.zeros(3, dtype=np.int64), every=np.int64(every),
                    step=np.zeros(n_snapshots, dtype=np.int64), phase=np.zeros(n_snapshots, dtype=np.int64),
                    mse=np.full(n_snapshots, np.nan), **arrays)


def null_recorder(net) -> Recorder:
    return make_recorder(net, 0, 1 << 62, set())


def take_initial_snapshot(sim: Sim, rec: Recorder) -> None:
    """Snapshot 0: the state at construction (the reference's first snapshot comes after settling)."""
    snapshot(sim.knet, sim.kst, rec, PHASE_ID["init"], np.zeros((0, sim.n_out)), 0)


def recorded_series(rec: Recorder) -> dict:
    """The snapshot series a recorder kept (name -> array over snapshots), without its counters."""
    return {k: getattr(rec, k) for k in rec._fields if k not in ("counter", "every") and getattr(rec, k).shape[0] > 0}


def phase(sim: Sim, rec, X, Y=None, *, inject=False, synapse=False, learn_w=False, learn_lat=False,
          store_dw=False, record=True, name="train", mse_out=EMPTY1, teacher_out=None,
          teacher_kind=NO_TEACHER_RECORD):
    """Run one phase in the kernel.  ``Y`` None means no target is passed (settling, teacher)."""
    Yk = np.ascontiguousarray(Y, dtype=float) if Y is not None else np.zeros((0, sim.n_out))
    tout = teacher_out if teacher_out is not None else np.zeros((0, sim.n_out))
    run_phase(sim.knet, sim.kst, rec, np.ascontiguousarray(X, dtype=float), Yk, inject, synapse,
              learn_w, learn_lat, store_dw, record, PHASE_ID[name], mse_out, tout, teacher_kind)


def shuffle_pairs(X, Y, rng: np.random.RandomState, T: int, shift: int):
    """Reference ``shuffle_dataset``: take the last step of every T-block, permute the samples with the
    model's own generator, hold each for T steps again and delay the targets by ``shift`` steps (the first
    ``shift`` entries repeat the start)."""
    x = np.asarray(X).reshape(-1, T, X.shape[-1])[:, -1]
    y = np.asarray(Y).reshape(-1, T, np.asarray(Y).shape[-1])[:, -1]
    perm = rng.permutation(len(x))
    x = np.repeat(x[perm], T, axis=0)
    y = np.repeat(y[perm], T, axis=0)
    if shift > 0:
        y = np.append(y[:shift], y[:-shift], axis=0)
    return x, y, perm


class Progress:
    """A progress bar on stderr over simulated steps; it appears only for runs longer than a few seconds."""

    def __init__(self, total: int, label: str, enabled: bool = True):
        self.bar = tqdm(total=total, desc=label, unit="step", unit_scale=True, delay=3.0, disable=not enabled,
                        leave=False, mininterval=0.5)

    def advance(self, n: int) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


def describe(c: Circuit) -> str:
    return f"{c.model} {'-'.join(map(str, c.layers))} seed {c.seed}"
