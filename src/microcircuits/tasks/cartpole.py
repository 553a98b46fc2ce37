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

from ..kernels.activations import KIND
from ..kernels.cartpole import RESET_BOUNDS, closed_loop
from ..kernels.engine import TEACHER_RATE
from ..models import MODELS, Circuit, build, errormc, teacher_seed
from ..models.base import (
    Sizes,
    circuit,
    conductances,
    initial_voltages,
    layered_eta,
    layered_forward,
    per_population,
    ranges,
)
from ..networks.init import uniform
from ..params import Params, ParamsError
from .protocol import (
    PHASE_ID,
    Progress,
    Sim,
    make_recorder,
    n_validations,
    null_recorder,
    recorded_series,
    snapshot_fields,
    student_seeds,
    take_initial_snapshot,
    teacher_pass,
    train_epochs,
    uniform_inputs,
)

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


def check(p: Params) -> None:
    """What this task needs of a parameter set beyond the parameters' own checks."""
    if p.input_signal != "cartpole" or not MODELS[p.mc_model].has_error_units or p.layers[0] != 4 or p.layers[-1] != 1:
        raise ParamsError(p.source, "input_signal", p.input_signal,
                          "the cart-pole task needs input_signal 'cartpole', an errormc student, 4 inputs and 1 output")


def run(p: Params, seeds=None, progress: bool = True) -> CartpoleRun:
    seeds = student_seeds(p, seeds)
    check(p)
    T, ds = p.steps_per_sample, p.dataset_size
    mutable: dict = {}
    students = [build(p, s, mutable=mutable) for s in seeds]
    ts = teacher_seed(seeds)
    teacher, stream = cartpole_teacher(p, ts)
    resets = ResetStream(stream)
    samples = uniform_inputs(p, ts)
    X = {k: np.repeat(v, T, axis=0) for k, v in samples.items()}
    with Progress(total_steps(p, len(seeds)), f"cart-pole {'-'.join(map(str, p.layers))}", progress) as bar:
        tsim = Sim.of(teacher)
        targets = teacher_pass(tsim, X, p.settling_steps, TEACHER_RATE)
        teacher_test = resets.test(tsim, null_recorder(tsim.net), False, p)
        bar.advance(p.settling_steps + 3 * ds * T + steps_per_test(p))

        after_teacher = resets  # every student continues from the stream's state after the teacher's test
        runs = [train_student(p, c, X, targets, after_teacher.copy(), bar) for c in students]
    return CartpoleRun(params=p, seeds=seeds, teacher_seed=ts, teacher=teacher, teacher_test=teacher_test,
                       students=runs, steps_simulated=total_steps(p, len(seeds)))


def train_student(p: Params, c: Circuit, X: dict, targets: dict, resets: ResetStream, bar: Progress):
    T, ds, E = p.steps_per_sample, p.dataset_size, p.epochs
    sim = Sim.of(c)
    n_val = n_validations(E)
    recorded = p.settling_steps + (E + n_val) * ds * T + (E + 1) * steps_per_test(p)
    n_snap = recorded // p.rec_per_steps + 1
    rec = make_recorder(sim.net, n_snap, p.rec_per_steps, snapshot_fields(p, c.model, compare=False))
    take_initial_snapshot(sim, rec)
    tests, untrained = [], []

    def untrained_test():  # a copy of the network right after settling, with its own copy of the stream
        untrained.append(resets.copy().test(sim.copy(), null_recorder(sim.net), False, p))
        bar.advance(steps_per_test(p))

    def closed_loop_test(epoch):
        tests.append(resets.test(sim, rec, True, p))
        bar.advance(steps_per_test(p))

    done = train_epochs(p, sim, rec, (X["train"], targets["train"]), (X["validation"], targets["validation"]), bar,
                        after_settling=untrained_test, after_epoch=closed_loop_test)
    tests.append(resets.test(sim, rec, True, p))  # test_model: the cart-pole again, no test split
    bar.advance(steps_per_test(p))
    snapshots = recorded_series(rec)
    return CartpoleStudent(seed=c.seed, circuit=c, net=sim.net, tests=tests, untrained=untrained[0], val_mse=done.val_mse,
                           val_epochs=done.val_epochs, snapshots=snapshots)


# ---------------------------------------------------------------------------------------------------------
# the teacher: hard-coded in the reference's init_MC for input_signal 'cartpole'

GAINS = (1.0, 4.2, 62.8, 16.3)  # F = 1 x + 4.2 x_dot + 62.8 theta + 16.3 theta_dot


def cartpole_teacher(p: Params, seed: int) -> tuple[Circuit, np.random.RandomState]:
    """A linear errormc 4-4-1 (the teacher is one by definition) whose first weights are I (gbas/(gbas+gapi+gl))^-2 (undoing the two-area
    attenuation) and whose output weights are the controller gains over ``target_rescale_factor``, so that its
    output rate times that factor is the force F = 1 x + 4.2 x_dot + 62.8 theta + 16.3 theta_dot.

    Returns the circuit and the NumPy stream its initialisation leaves behind: in the reference that global
    stream (seeded with the teacher seed) then draws the cart-pole's reset states.
    """
    layers, errs = (4, 4, 1), [4, 1]
    s = Sizes(seed=seed, teacher=True, layers=layers, error_layers=(0, 4, 1), fw_mode="layered", bw_mode="layered")
    u0, uI0 = initial_voltages(p, s, errs)
    rs = np.random.RandomState(seed)
    rg = ranges(p, teacher=True)
    layered_forward(rs, layers, rg["WPP"])  # drawn, then replaced below
    WIP, BPI = {}, {}
    for a in (1, 2):
        WIP[a] = uniform(rs, rg["WIP"], (errs[a - 1], layers[a])) + (np.eye(errs[a - 1], layers[a]) if p.init_WIP_identity else 0.0)
    for a in (1, 2):
        BPI[a] = uniform(rs, rg["BPI"], (layers[a], errs[a - 1])) + (np.eye(layers[a], errs[a - 1]) if p.init_BPI_identity else 0.0)
    uniform(rs, rg["BII"], (layers[1], layers[2]))  # feedback init, overwritten by BP
    gain = (p.gbas / (p.gbas + p.gapi + p.gl)) ** -(len(layers) - 1)
    forward = {(1, 0): np.eye(layers[0]) * gain,
               (2, 1): np.array(GAINS).reshape(layers[2], layers[1]) / p.target_rescale_factor}
    feedback = {(1, 2): (np.eye(1, 1) @ forward[(2, 1)] @ np.eye(4, 4)).T + 0.0}  # BP, no noise for a teacher
    noise = {(1, 2): np.zeros((4, 1))}
    ones = [np.ones(n) for n in layers[1:]]
    zeros = [np.zeros(n) for n in layers[1:]]
    c = circuit(errormc.MODEL.name, p, s, tuple(errs), forward, layered_eta(p, 2), feedback, noise, {(1, 2): False}, WIP, BPI,
                per_population(p.eta_IP, 2), per_population(p.eta_PI, 2), u0, uI0, [KIND["linear"]] * 2, ones, zeros,
                [KIND["linear"]] * 2, ones, zeros, conductances(p, gnI=0.0), True, np.random.RandomState(seed))
    c.varphi_transfer = p.varphi_transfer
    c.bp = True
    return c, rs
