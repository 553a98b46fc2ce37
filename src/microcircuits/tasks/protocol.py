"""The training protocol every task shares (the reference's ``run_exp``): seeds, networks ready to run, the
teacher pass, settling followed by epochs with the validation schedule, shuffling with the target shift,
snapshot recorders and progress reporting.  docs/models.md §4-§5."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from tqdm import tqdm

from ..kernels.engine import NO_TEACHER_RECORD, RUNAWAY_FIELDS, Recorder, run_phase, runaway, snapshot
from ..kernels.structs import Network, State, kernel_network, kernel_state
from ..models import MODELS, Circuit
from ..models.records import to_kernel
from ..params import InputError, Params, ParamsError

PHASES = ("init", "settle", "train", "validation", "test")
# A run has diverged once a voltage, rate or weight is not finite or beyond this magnitude.  The paper's
# networks stay within |x| < 1e3 (voltages of a few units, weights of order one): 1e10 leaves seven orders of
# magnitude, and every network that got there went on to overflow.
RUNAWAY_LIMIT = 1e10
PHASE_ID = {name: i for i, name in enumerate(PHASES)}
PHASE_WORDS = {"settle": "settling", "train": "training"}
EMPTY1 = np.zeros(0)
LEARN = dict(synapse=True, learn_w=True, learn_lat=True)


def student_seeds(p: Params, seeds=None) -> list[int]:
    """The students' seeds: ``seeds`` if given, else the file's random_seed; at least one."""
    seeds = list(seeds if seeds is not None else (p.random_seed or []))
    if not seeds:
        raise ParamsError(p.source, "random_seed", None, "give at least one seed (in the file or with --seed)")
    return seeds


def uniform_inputs(p: Params, seed: int) -> dict:
    """The reference's init_r0: 3*dataset_size vectors from RandomState(seed), U(0, 1) ('step') or U(-1.5, 1.5)
    (cart-pole states), split into train / validation / test."""
    rs = np.random.RandomState(seed)
    lo, hi = (0.0, 1.0) if p.input_signal == "step" else (-1.5, 1.5)
    X = rs.uniform(lo, hi, size=(3 * p.dataset_size, p.layers[0]))
    return dict(zip(("train", "validation", "test"), np.split(X, 3, axis=0)))


def validates_after(epoch: int, epochs: int) -> bool:
    """The reference validates when epochs > 1 and 10*epoch % epochs == 0, or when epochs == 1."""
    return (epochs > 1 and (10 * epoch) % epochs == 0) or epochs == 1


def n_validations(epochs: int) -> int:
    return sum(validates_after(e, epochs) for e in range(epochs))


class Diverged(InputError):
    """A run whose state left the finite range (RUNAWAY_LIMIT): an error of the parameters that caused it."""

    def __init__(self, seed, phase: str, step: int, variable: str):
        self.seed, self.phase_name, self.step, self.variable = seed, phase, step, variable
        Exception.__init__(self, self.describe())

    def describe(self) -> str:
        if self.phase_name == "init":
            return f"seed {self.seed}: its initial {self.variable} is not finite or beyond {RUNAWAY_LIMIT:g} in magnitude"
        return (f"seed {self.seed} diverged in the {PHASE_WORDS.get(self.phase_name, self.phase_name)} phase by step {self.step:,}: {self.variable} is not "
                f"finite or beyond {RUNAWAY_LIMIT:g} in magnitude")


class Sim:
    """A network ready to run: the Python-side records and the kernel's views of the same arrays, and how many
    steps it has taken (for the divergence check)."""

    def __init__(self, net: Network, st: State, kernel: str, circuit: Circuit | None = None):
        self.net, self.st, self.circuit, self.kernel = net, st, circuit, kernel
        self.knet, self.kst = kernel_network(net, kernel), kernel_state(st)
        self.n_out = int(net.rep_off[-1] - net.rep_off[-2])
        self.steps = 0

    @classmethod
    def of(cls, circuit: Circuit) -> "Sim":
        net, st = to_kernel(circuit)
        return cls(net, st, MODELS[circuit.model].kernel_for(net), circuit=circuit)

    def view(self, **changes):
        """Another kernel view of the same arrays, with some fields replaced (e.g. learning rates)."""
        return kernel_network(self.net, self.kernel, **changes)

    def copy(self) -> "Sim":
        """An independent copy of the network and its state."""
        net = self.net._replace(**{k: v.copy() for k, v in self.net._asdict().items() if isinstance(v, np.ndarray)})
        st = self.st._replace(**{k: v.copy() for k, v in self.st._asdict().items()})
        twin = Sim(net, st, self.kernel, self.circuit)
        twin.steps = self.steps
        return twin


def snapshot_fields(p: Params, model: str, compare: bool) -> set[str]:
    """Which snapshot series to keep: the rec_* flags of the file, plus the weights the replay needs."""
    flags = dict(W=p.rec_WPP, B=getattr(p, f"rec_{MODELS[model].feedback_key}"), WIP=p.rec_WIP, BPI=p.rec_BPI,
                 u=p.rec_uP, u_breve=p.rec_uP_breve, r=p.rec_rP_breve, uI=p.rec_uI, uI_breve=p.rec_uI_breve,
                 rI=p.rec_rI_breve, vbas=p.rec_vbas, vapi=p.rec_vapi)
    fields = {k for k, on in flags.items() if on}
    if compare:
        fields |= {"W", "B", "WIP", "BPI"}
    return fields


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


def recorded_series(rec: Recorder, fields: set[str] | None = None) -> dict:
    """The snapshot series a recorder kept (name -> array over snapshots), without its counters; with
    ``fields``, only those of the weight and state series (the rec_* flags: the replay's own are not output)."""
    return {k: getattr(rec, k) for k in rec._fields if k not in ("counter", "every") and getattr(rec, k).shape[0] > 0
            and (fields is None or k in fields or k in ("step", "phase", "mse"))}


def phase(sim: Sim, rec, X, Y=None, *, inject=False, synapse=False, learn_w=False, learn_lat=False,
          store_dw=False, record=True, name="train", mse_out=EMPTY1, teacher_out=None,
          teacher_kind=NO_TEACHER_RECORD):
    """Run one phase in the kernel.  ``Y`` None means no target is passed (settling, teacher)."""
    Yk = np.ascontiguousarray(Y, dtype=float) if Y is not None else np.zeros((0, sim.n_out))
    tout = teacher_out if teacher_out is not None else np.zeros((0, sim.n_out))
    run_phase(sim.knet, sim.kst, rec, np.ascontiguousarray(X, dtype=float), Yk, inject, synapse,
              learn_w, learn_lat, store_dw, record, PHASE_ID[name], mse_out, tout, teacher_kind)
    sim.steps += len(X)
    check_divergence(sim, name)


def check_divergence(sim: Sim, name: str) -> None:
    """Stop a run whose state has run away (Diverged), or, if its circuit allows divergence, mark it once and
    go on (its numbers are then NaN or meaningless, and the output says so)."""
    c = sim.circuit
    if c is not None and c.diverged is not None:
        return
    bad = runaway(sim.knet, sim.kst, RUNAWAY_LIMIT)
    if not bad:
        return
    err = Diverged(c.seed if c is not None else "teacher", name, sim.steps, RUNAWAY_FIELDS[bad - 1])
    if c is None or not c.allow_divergence:
        raise err
    c.diverged = err.describe()


def teacher_pass(sim: Sim, X: dict, settle: int, kind: int) -> dict:
    """The teacher's run: settle, then record its output before every step of train, validation and test
    (rate or voltage, ``kind``), learning nothing."""
    rec = null_recorder(sim.net)
    phase(sim, rec, X["train"][:settle], record=False, name="settle")
    out = {}
    for split in ("train", "validation", "test"):
        out[split] = np.zeros((len(X[split]), sim.n_out))
        phase(sim, rec, X[split], record=False, teacher_out=out[split], teacher_kind=kind)
    return out


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


@dataclass
class Training:
    """What settling and the epochs leave: validation errors and the last training arrays (the replay's)."""

    val_mse: np.ndarray        # (validation passes, steps of a pass)
    val_epochs: list           # epoch after which each pass ran (0-based)
    train_x: np.ndarray
    train_y: np.ndarray
    first_permutation: np.ndarray | None


def train_epochs(p: Params, sim: Sim, rec, train, validation, bar: "Progress", shuffle: bool = True,
                 after_settling: Callable[[], None] | None = None,
                 after_epoch: Callable[[int], None] | None = None) -> Training:
    """Settle on the training inputs (no target, no plasticity), then ``p.epochs`` training passes with the
    target injected and plasticity on, each followed by a validation pass when the schedule says so
    (plasticity on, no target injected, the error recorded every step).

    ``shuffle``: reshuffle the samples before every pass with the circuit's own generator and delay the
    targets by L steps (the teacher-student and cart-pole tasks); validation then runs on the arrays from
    before its own shuffle, as the reference does (docs/models.md §9, quirk 8)."""
    T, E, L = p.steps_per_sample, p.epochs, p.n_areas
    (train_x, train_y), (val_x, val_y) = train, validation
    check_divergence(sim, "init")
    phase(sim, rec, train_x[:p.settling_steps], name="settle")
    bar.advance(p.settling_steps)
    if after_settling:
        after_settling()
    val_mse = np.zeros((n_validations(E), len(val_x)))
    val_epochs, first_perm = [], None
    for epoch in range(E):
        if shuffle:
            train_x, train_y, perm = shuffle_pairs(train_x, train_y, sim.circuit.rng, T, L)
            first_perm = perm if first_perm is None else first_perm
        phase(sim, rec, train_x, train_y, inject=True, name="train", **LEARN)
        bar.advance(len(train_x))
        if validates_after(epoch, E):
            run_x, run_y = val_x, val_y
            if shuffle:
                val_x, val_y, _ = shuffle_pairs(val_x, val_y, sim.circuit.rng, T, L)
            phase(sim, rec, run_x, run_y, name="validation", mse_out=val_mse[len(val_epochs)], **LEARN)
            val_epochs.append(epoch)
            bar.advance(len(run_x))
        if after_epoch:
            after_epoch(epoch)
    return Training(val_mse=val_mse, val_epochs=val_epochs, train_x=train_x, train_y=train_y,
                    first_permutation=first_perm)


class Progress:
    """A progress bar on stderr over simulated steps; it appears only for runs longer than a few seconds."""

    def __init__(self, total: int, label: str, enabled: bool = True):
        self.bar = tqdm(total=total, desc=label, unit="step", unit_scale=True, delay=3.0, disable=not enabled,
                        leave=False, mininterval=0.5)

    def advance(self, n: int) -> None:
        self.bar.update(n)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        """Closed however the run ends: a run stopped by an error or a signal clears its bar before the one
        line that says why."""
        self.bar.close()


def describe(c: Circuit) -> str:
    return f"{c.model} {'-'.join(map(str, c.layers))} seed {c.seed}"
