"""The teacher-student task with step inputs (Fig. 3): settle, train with validation, test, and the replay
that compares every update with backprop.  docs/models.md §4-§6; the reference's runner.main and run_exp."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels.engine import TEACHER_RATE, TEACHER_VOLTAGE, replay
from ..kernels.structs import Network
from ..models import MODELS, Circuit, build, teacher_seed
from ..networks.layout import feedback_full, forward_full
from ..params import Params, ParamsError
from .protocol import (
    Progress,
    Sim,
    describe,
    make_recorder,
    n_validations,
    phase,
    recorded_series,
    shuffle_pairs,
    snapshot_fields,
    student_seeds,
    take_initial_snapshot,
    teacher_pass,
    train_epochs,
    uniform_inputs,
)


@dataclass
class StudentRun:
    """Everything one student (one seed) produced."""

    seed: int
    circuit: Circuit
    net: Network
    test_mse: np.ndarray
    val_mse: np.ndarray
    val_epochs: list
    snapshots: dict
    first_permutation: np.ndarray
    angles: np.ndarray | None = None
    angle_snapshot: np.ndarray | None = None
    weight_angles: np.ndarray | None = None
    final: dict = field(default_factory=dict)


@dataclass
class TeacherStudentRun:
    params: Params
    seeds: list
    teacher_seed: int
    teacher: Circuit
    inputs: dict
    teacher_targets: dict
    students: list
    compare: bool
    steps_simulated: int


def total_steps(p: Params, n_seeds: int, compare: bool) -> int:
    T, ds = p.steps_per_sample, p.dataset_size
    per_seed = p.settling_steps + (p.epochs + n_validations(p.epochs) + 1) * ds * T
    n_snap = per_seed // p.rec_per_steps
    first = int(p.settling_time / p.dt / p.rec_per_steps)
    replay_steps = max(0, n_snap - first) * ds * T if compare else 0
    return n_seeds * (per_seed + replay_steps) + p.settling_steps + 3 * ds * T


def check(p: Params) -> None:
    """What this task needs of a parameter set beyond the parameters' own checks."""
    if p.input_signal != "step":
        raise ParamsError(p.source, "input_signal", p.input_signal, "this task runs 'step' inputs")
    teacher = p.teacher_layers or p.layers
    if teacher[0] != p.layers[0] or teacher[-1] != p.layers[-1]:
        raise ParamsError(p.source, "teacher_layers", p.teacher_layers, "input and output sizes must match 'layers'")


def run(p: Params, seeds=None, compare: bool = False, progress: bool = True) -> TeacherStudentRun:
    """Run the teacher-student task for every seed of ``p`` (or ``seeds``), as ``runner.py --task fw_only``."""
    seeds = student_seeds(p, seeds)
    check(p)
    T, ds, _L = p.steps_per_sample, p.dataset_size, p.n_areas
    mutable: dict = {}
    students = [build(p, s, mutable=mutable) for s in seeds]
    ts = teacher_seed(seeds)
    teacher = build(p, ts, teacher=True, mutable=mutable)
    if teacher.layers[0] != p.layers[0] or teacher.layers[-1] != p.layers[-1]:
        raise ParamsError(p.source, "teacher_layers", p.teacher_layers, "input and output sizes must match 'layers'")
    samples = uniform_inputs(p, ts)
    X = {k: np.repeat(v, T, axis=0) for k, v in samples.items()}
    with Progress(total_steps(p, len(seeds), compare), f"{p.mc_model} {'-'.join(map(str, p.layers))}", progress) as bar:
        rate_target = students[0].rate_target
        targets = teacher_pass(Sim.of(teacher), X, p.settling_steps, TEACHER_RATE if rate_target else TEACHER_VOLTAGE)
        bar.advance(p.settling_steps + 3 * ds * T)
        runs = [train_student(p, c, X, targets, compare, bar) for c in students]
    return TeacherStudentRun(params=p, seeds=seeds, teacher_seed=ts, teacher=teacher, inputs=samples,
                             teacher_targets=targets, students=runs, compare=compare,
                             steps_simulated=total_steps(p, len(seeds), compare))


def train_student(p: Params, c: Circuit, X: dict, targets: dict, compare: bool, bar: Progress) -> StudentRun:
    T, ds, L, E = p.steps_per_sample, p.dataset_size, p.n_areas, p.epochs
    sim = Sim.of(c)
    net = sim.net
    n_val = n_validations(E)
    recorded = p.settling_steps + (E + n_val + 1) * ds * T
    n_snap = recorded // p.rec_per_steps + 1  # + the initial state
    rec = make_recorder(net, n_snap, p.rec_per_steps, snapshot_fields(p, c.model, compare))
    take_initial_snapshot(sim, rec)
    done = train_epochs(p, sim, rec, (X["train"], targets["train"]), (X["validation"], targets["validation"]), bar)
    train_x, train_y = done.train_x, done.train_y
    test_x, test_y, _ = shuffle_pairs(X["test"], targets["test"], c.rng, T, L)
    test_mse = np.zeros(ds * T)
    phase(sim, rec, test_x, test_y, name="test", mse_out=test_mse)
    bar.advance(ds * T)
    if rec.counter[1] != n_snap:
        raise AssertionError(f"expected {n_snap} snapshots, took {rec.counter[1]}")
    snapshots = recorded_series(rec, snapshot_fields(p, c.model, compare=False))  # what the rec_* flags ask for
    final = dict(W=net.W.copy(), B=net.B.copy(), WIP=net.WIP.copy(), BPI=net.BPI.copy())
    run = StudentRun(seed=c.seed, circuit=c, net=net, test_mse=test_mse, val_mse=done.val_mse,
                     val_epochs=done.val_epochs, snapshots=snapshots, first_permutation=done.first_permutation,
                     final=final)
    if compare:
        first = 1 + int(p.settling_time / p.dt / p.rec_per_steps)
        n_rows = max(0, n_snap - first) * ds
        angles = np.full((n_rows, L), np.nan)
        ones = np.ones_like(net.eta_fw)
        first_step = sim.view(eta_fw=ones, bw_live=net.bw_src >= 0)
        later_steps = sim.view(eta_fw=ones, bw_live=np.zeros_like(net.bw_live))
        train_x, train_y = np.ascontiguousarray(train_x), np.ascontiguousarray(train_y, dtype=float)
        # in chunks of snapshots, so the progress bar moves; the state carries over between calls, and every
        # snapshot's first step rebuilds its feedback as in one call: the same numbers
        chunk = max(1, (n_snap - first) // 100)
        for s0 in range(first, n_snap, chunk):
            s1 = min(n_snap, s0 + chunk)
            part = [a[s0:s1] if a.shape[0] else a for a in (rec.W, rec.B, rec.WIP, rec.BPI)]
            replay(first_step, later_steps, sim.kst, train_x, train_y, T, *part, 0, c.rate_target,
                   angles[(s0 - first) * ds:(s1 - first) * ds])
            bar.advance((s1 - s0) * ds * T)
        run.angles = angles
        run.angle_snapshot = np.repeat(np.arange(first, n_snap), ds)
        run.weight_angles = weight_alignment(p, c, net, rec.W, rec.B)
    return run


def deg(cos: np.ndarray) -> np.ndarray:
    """Angle in degrees; |1 - cos| < 1e-6 counts as exactly 0 (the reference's deg)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(1.0 - cos) < 1e-6, 0.0, np.degrees(np.arccos(cos)))


def cos_sim(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Frobenius cosine over the last two axes."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (A * B).sum(axis=(-2, -1)) / np.linalg.norm(A, axis=(-2, -1)) / np.linalg.norm(B, axis=(-2, -1))


def weight_alignment(p: Params, c: Circuit, net: Network, snap_W, snap_B):
    """Angle between W^T and the feedback weights for every snapshot (compare_weight_matrices of the
    reference): per hidden area for layered networks, over the whole error-unit matrix in errormc skip mode.
    None where the reference computes nothing (ann; errormc with error_layers != layers or mixed modes)."""
    fam = MODELS[c.model]
    if not fam.weight_alignment or snap_W.shape[0] == 0 or snap_B.shape[0] == 0:
        return None
    W = forward_full(net, snap_W)[..., :, p.layers[0]:]  # rep x rep (input columns dropped)
    B = feedback_full(net, snap_B)
    rep, L = net.rep_off, c.n_areas
    if fam.feedback_on_population:
        if tuple(c.pops) != tuple(c.layers[1:]) or p.fw_connection_mode != p.bw_connection_mode:
            return None
        if p.bw_connection_mode == "skip":
            return deg(cos_sim(np.swapaxes(W, -1, -2), B))[:, None]
    pairs = []
    for k in range(1, L):
        Wk = W[:, rep[k + 1]:rep[k + 2], rep[k]:rep[k + 1]]
        off = net.pop_off if fam.feedback_on_population else rep
        Bk = B[:, off[k]:off[k + 1], off[k + 1]:off[k + 2]]
        pairs.append(deg(cos_sim(np.swapaxes(Wk, -1, -2), Bk)))
    return np.stack(pairs, axis=1) if pairs else None


def describe_run(r: TeacherStudentRun) -> str:
    return ", ".join(describe(s.circuit) for s in r.students)
