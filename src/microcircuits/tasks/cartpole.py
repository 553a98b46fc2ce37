"""Fig. 2a: imitation learning of a cart-pole controller (runner.py with input_signal 'cartpole').

Students learn the teacher's force on random plant states (open loop: the teacher-student protocol with
states uniform on (-1.5, 1.5)^4), and after every epoch, and once more at the end, control the plant in
closed loop for 200 time units.  The reference draws the plants' reset states from NumPy's global stream,
which its teacher initialisation last seeded with the teacher seed: the teacher's test draws first, and
every student (each in a forked worker) continues from where the teacher stopped.  That is reproduced
here from the configured seeds, so the same seeds give the same failures, bit for bit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ..kernels.cartpole import RESET_BOUNDS, closed_loop
from ..kernels.engine import TEACHER_RATE
from ..networks.build import Circuit, build, cartpole_teacher, teacher_seed
from ..params import Params, ParamsError
from .protocol import (
    PHASE_ID,
    Progress,
    Sim,
    make_recorder,
    n_validations,
    null_recorder,
    phase,
    recorded_series,
    shuffle_pairs,
    take_initial_snapshot,
    validates_after,
)
from .teacher_student import snapshot_fields, step_inputs

TEST_TIME = 200          # time units of one closed-loop test (the reference's T)
SUBSIMULATIONS = 10      # resets at regular intervals within a test
STEPS_PER_PLANT_STEP = 4  # network steps per plant step


@dataclass
class ClosedLoopTest:
    states: np.ndarray    # (n_plant, 4): x, x_dot, theta, theta_dot; row 0 the initial state
    forces: np.ndarray    # (n_plant - 1,)
    failed: np.ndarray    # (n_plant - 1,) bool

    @property
    def failures(self) -> int:
        """Failures of the test (the first entry, a reset artefact, is excluded as the notebook does)."""
        return int(self.failed[1:].sum())


@dataclass
class CartpoleStudent:
    seed: int
    circuit: Circuit
    net: object                       # the kernel network (weights after training)
    tests: list                       # one ClosedLoopTest after every epoch, then the final one
    untrained: ClosedLoopTest         # a copy of the network after settling, before any training
    val_mse: np.ndarray
    val_epochs: list
    snapshots: dict = field(default_factory=dict)


@dataclass
class CartpoleRun:
    params: Params
    seeds: list
    teacher_seed: int
    teacher: Circuit
    teacher_test: ClosedLoopTest
    students: list
    steps_simulated: int


class ResetStream:
    """The reference's global NumPy stream as a supply of reset states, consumed in order."""

    def __init__(self, rs: np.random.RandomState):
        self.rs = rs

    def copy(self) -> "ResetStream":
        return ResetStream(copy.deepcopy(self.rs))

    def test(self, sim: Sim, rec, record: bool, p: Params) -> ClosedLoopTest:
        n_plant = int(TEST_TIME / p.dt)
        subsim = int(n_plant / SUBSIMULATIONS)
        most = 1 + SUBSIMULATIONS + n_plant  # the initial state, regular resets, one per failure at most
        supply = (copy.deepcopy(self.rs).rand(most, 4) - 0.5) * RESET_BOUNDS
        states = np.zeros((n_plant, 4))
        forces = np.zeros(n_plant - 1)
        failed = np.zeros(n_plant - 1, dtype=np.bool_)
        used = closed_loop(sim.knet, sim.kst, rec, record, PHASE_ID["test"], supply, 0, n_plant, subsim,
                           STEPS_PER_PLANT_STEP, float(p.target_rescale_factor), float(p.dt), states, forces, failed)
        self.rs.rand(used, 4)  # advance the stream by what the test drew
        return ClosedLoopTest(states, forces, failed)


def steps_per_test(p: Params) -> int:
    return (int(TEST_TIME / p.dt) - 1) * STEPS_PER_PLANT_STEP


def total_steps(p: Params, n_seeds: int) -> int:
    ds, T, E = p.dataset_size, p.steps_per_sample, p.epochs
    per_student = p.settling_steps + (E + n_validations(E)) * ds * T + (E + 2) * steps_per_test(p)
    return n_seeds * per_student + p.settling_steps + 3 * ds * T + steps_per_test(p)


def run(p: Params, seeds=None, progress: bool = True) -> CartpoleRun:
    seeds = list(seeds if seeds is not None else (p.random_seed or []))
    if not seeds:
        raise ParamsError(p.source, "random_seed", None, "give at least one seed (in the file or with --seed)")
    if p.input_signal != "cartpole" or p.mc_model != "errormc" or p.layers[0] != 4 or p.layers[-1] != 1:
        raise ParamsError(p.source, "input_signal", p.input_signal,
                          "the cart-pole task needs input_signal 'cartpole', an errormc student, 4 inputs and 1 output")
    T, ds = p.steps_per_sample, p.dataset_size
    mutable: dict = {}
    students = [build(p, s, mutable=mutable) for s in seeds]
    ts = teacher_seed(p, seeds)
    teacher, stream = cartpole_teacher(p, ts)
    resets = ResetStream(stream)
    samples = step_inputs(p, ts)
    X = {k: np.repeat(v, T, axis=0) for k, v in samples.items()}
    bar = Progress(total_steps(p, len(seeds)), f"cart-pole {'-'.join(map(str, p.layers))}", progress)

    tsim = Sim.of(teacher)
    trec = null_recorder(tsim.net)
    phase(tsim, trec, X["train"][:p.settling_steps], record=False, name="settle")
    targets = {}
    for split in ("train", "validation", "test"):
        targets[split] = np.zeros((len(X[split]), 1))
        phase(tsim, trec, X[split], record=False, teacher_out=targets[split], teacher_kind=TEACHER_RATE)
    teacher_test = resets.test(tsim, trec, False, p)
    bar.advance(p.settling_steps + 3 * ds * T + steps_per_test(p))

    after_teacher = resets  # every student continues from the stream's state after the teacher's test
    runs = [train_student(p, c, X, targets, after_teacher.copy(), bar) for c in students]
    bar.close()
    return CartpoleRun(params=p, seeds=seeds, teacher_seed=ts, teacher=teacher, teacher_test=teacher_test,
                       students=runs, steps_simulated=total_steps(p, len(seeds)))


def train_student(p: Params, c: Circuit, X: dict, targets: dict, resets: ResetStream, bar: Progress):
    T, ds, L, E = p.steps_per_sample, p.dataset_size, p.n_areas, p.epochs
    sim = Sim.of(c)
    n_val = n_validations(E)
    recorded = p.settling_steps + (E + n_val) * ds * T + (E + 1) * steps_per_test(p)
    n_snap = recorded // p.rec_per_steps + 1
    rec = make_recorder(sim.net, n_snap, p.rec_per_steps, snapshot_fields(p, c.model, compare=False))
    take_initial_snapshot(sim, rec)
    learn = dict(synapse=True, learn_w=True, learn_lat=True)
    phase(sim, rec, X["train"][:p.settling_steps], name="settle")
    untrained = resets.copy().test(_copy_sim(sim), null_recorder(sim.net), False, p)
    bar.advance(p.settling_steps + steps_per_test(p))
    train_x, train_y = X["train"], targets["train"]
    val_x, val_y = X["validation"], targets["validation"]
    val_mse = np.zeros((n_val, ds * T))
    tests, val_epochs, v = [], [], 0
    for epoch in range(E):
        train_x, train_y, _ = shuffle_pairs(train_x, train_y, c.rng, T, L)
        phase(sim, rec, train_x, train_y, inject=True, name="train", **learn)
        if validates_after(epoch, E):
            run_x, run_y = val_x, val_y
            val_x, val_y, _ = shuffle_pairs(val_x, val_y, c.rng, T, L)
            phase(sim, rec, run_x, run_y, name="validation", mse_out=val_mse[v], **learn)
            val_epochs.append(epoch)
            v += 1
        tests.append(resets.test(sim, rec, True, p))
        bar.advance(ds * T * (2 if validates_after(epoch, E) else 1) + steps_per_test(p))
    tests.append(resets.test(sim, rec, True, p))  # test_model: the cart-pole again, no test split
    bar.advance(steps_per_test(p))
    snapshots = recorded_series(rec)
    return CartpoleStudent(seed=c.seed, circuit=c, net=sim.net, tests=tests, untrained=untrained, val_mse=val_mse,
                           val_epochs=val_epochs, snapshots=snapshots)


def _copy_sim(sim: Sim) -> Sim:
    """An independent copy of a network and its state (for the untrained baseline test)."""
    net = sim.net._replace(**{k: v.copy() for k, v in sim.net._asdict().items() if isinstance(v, np.ndarray)})
    st = sim.st._replace(**{k: v.copy() for k, v in sim.st._asdict().items()})
    return Sim(net, st)

