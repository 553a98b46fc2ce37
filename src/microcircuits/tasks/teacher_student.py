"""The teacher-student task with step inputs (Fig. 3): settle, train with validation, test, and the replay
that compares every update with backprop.  spec/models.md §4-§6; runner.main + run_exp of the reference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels.engine import TEACHER_RATE, TEACHER_VOLTAGE, replay
from ..kernels.structs import Network, kernel_network
from ..networks.build import Circuit, build, teacher_seed
from ..networks.layout import feedback_full, forward_full
from ..params import Params, ParamsError
from .protocol import (
    Progress,
    Sim,
    describe,
    make_recorder,
    n_validations,
    null_recorder,
    phase,
    recorded_series,
    shuffle_pairs,
    take_initial_snapshot,
    validates_after,
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


def snapshot_fields(p: Params, model: str, compare: bool) -> set[str]:
    """Which snapshot series to keep: the rec_* flags of the file, plus the weights the replay needs."""
    fields = set()
    flags = dict(W=p.rec_WPP, B=p.rec_BII if model == "errormc" else p.rec_BPP, WIP=p.rec_WIP, BPI=p.rec_BPI,
                 u=p.rec_uP, u_breve=p.rec_uP_breve, r=p.rec_rP_breve, uI=p.rec_uI, uI_breve=p.rec_uI_breve,
                 rI=p.rec_rI_breve, vbas=p.rec_vbas, vapi=p.rec_vapi)
    fields = {k for k, on in flags.items() if on}
    if compare:
        fields |= {"W", "B", "WIP", "BPI"}
    return fields


def step_inputs(p: Params, seed: int):
    """init_r0: 3*dataset_size vectors from RandomState(seed), split into train / validation / test."""
    rs = np.random.RandomState(seed)
    lo, hi = (0.0, 1.0) if p.input_signal == "step" else (-1.5, 1.5)
    X = rs.uniform(lo, hi, size=(3 * p.dataset_size, p.layers[0]))
    return dict(zip(("train", "validation", "test"), np.split(X, 3, axis=0)))


def total_steps(p: Params, n_seeds: int, compare: bool) -> int:
    T, ds = p.steps_per_sample, p.dataset_size
    per_seed = p.settling_steps + (p.epochs + n_validations(p.epochs) + 1) * ds * T
    n_snap = per_seed // p.rec_per_steps
    first = int(p.settling_time / p.dt / p.rec_per_steps)
    replay_steps = max(0, n_snap - first) * ds * T if compare else 0
    return n_seeds * (per_seed + replay_steps) + p.settling_steps + 3 * ds * T


def run(p: Params, seeds=None, compare: bool = False, progress: bool = True) -> TeacherStudentRun:
    """Run the teacher-student task for every seed of ``p`` (or ``seeds``), as ``runner.py --task fw_only``."""
    seeds = list(seeds if seeds is not None else (p.random_seed or []))
    if not seeds:
        raise ParamsError(p.source, "random_seed", None, "give at least one seed (in the file or with --seed)")
    if p.input_signal != "step":
        raise ParamsError(p.source, "input_signal", p.input_signal, "this task runs 'step' inputs")
    T, ds, _L = p.steps_per_sample, p.dataset_size, p.n_areas
    mutable: dict = {}
    students = [build(p, s, mutable=mutable) for s in seeds]
    ts = teacher_seed(p, seeds)
    teacher = build(p, ts, teacher=True, mutable=mutable)
    if teacher.layers[0] != p.layers[0] or teacher.layers[-1] != p.layers[-1]:
        raise ParamsError(p.source, "teacher_layers", p.teacher_layers, "input and output sizes must match 'layers'")
    samples = step_inputs(p, ts)
    X = {k: np.repeat(v, T, axis=0) for k, v in samples.items()}
    bar = Progress(total_steps(p, len(seeds), compare), f"{p.mc_model} {'-'.join(map(str, p.layers))}", progress)

    rate_target = students[0].rate_target
    targets = teach(teacher, X, p.settling_steps, TEACHER_RATE if rate_target else TEACHER_VOLTAGE)
    bar.advance(p.settling_steps + 3 * ds * T)
    runs = [train_student(p, c, X, targets, compare, bar) for c in students]
    bar.close()
    return TeacherStudentRun(params=p, seeds=seeds, teacher_seed=ts, teacher=teacher, inputs=samples,
                             teacher_targets=targets, students=runs, compare=compare,
                             steps_simulated=total_steps(p, len(seeds), compare))


def teach(teacher: Circuit, X: dict, settle: int, kind: int) -> dict:
    """Teacher pass: settle, then record its output before every step of train, validation and test."""
    sim = Sim.of(teacher)
    rec = null_recorder(sim.net)
    phase(sim, rec, X["train"][:settle], record=False, name="settle")
    out = {}
    for split in ("train", "validation", "test"):
        out[split] = np.zeros((len(X[split]), sim.n_out))
        phase(sim, rec, X[split], record=False, teacher_out=out[split], teacher_kind=kind)
    return out


def train_student(p: Params, c: Circuit, X: dict, targets: dict, compare: bool, bar: Progress) -> StudentRun:
    T, ds, L, E = p.steps_per_sample, p.dataset_size, p.n_areas, p.epochs
    sim = Sim.of(c)
    net = sim.net
    n_val = n_validations(E)
    recorded = p.settling_steps + (E + n_val + 1) * ds * T
    n_snap = recorded // p.rec_per_steps + 1  # + the initial state
    rec = make_recorder(net, n_snap, p.rec_per_steps, snapshot_fields(p, c.model, compare))
    take_initial_snapshot(sim, rec)
    learn = dict(synapse=True, learn_w=True, learn_lat=True)

    phase(sim, rec, X["train"][:p.settling_steps], name="settle")
    bar.advance(p.settling_steps)
    train_x, train_y = X["train"], targets["train"]
    val_x, val_y = X["validation"], targets["validation"]
    val_mse = np.zeros((n_val, ds * T))
    val_epochs, first_perm, v = [], None, 0
    for epoch in range(E):
        train_x, train_y, perm = shuffle_pairs(train_x, train_y, c.rng, T, L)
        first_perm = perm if first_perm is None else first_perm
        phase(sim, rec, train_x, train_y, inject=True, name="train", **learn)
        bar.advance(ds * T)
        if validates_after(epoch, E):
            run_x, run_y = val_x, val_y  # the pass uses the arrays from before its own shuffle (quirk 8)
            val_x, val_y, _ = shuffle_pairs(val_x, val_y, c.rng, T, L)
            phase(sim, rec, run_x, run_y, name="validation", mse_out=val_mse[v], **learn)
            val_epochs.append(epoch)
            v += 1
            bar.advance(ds * T)
    test_x, test_y, _ = shuffle_pairs(X["test"], targets["test"], c.rng, T, L)
    test_mse = np.zeros(ds * T)
    phase(sim, rec, test_x, test_y, name="test", mse_out=test_mse)
    bar.advance(ds * T)
    if rec.counter[1] != n_snap:
        raise AssertionError(f"expected {n_snap} snapshots, took {rec.counter[1]}")
    snapshots = recorded_series(rec)
    final = dict(W=net.W.copy(), B=net.B.copy(), WIP=net.WIP.copy(), BPI=net.BPI.copy())
    run = StudentRun(seed=c.seed, circuit=c, net=net, test_mse=test_mse, val_mse=val_mse, val_epochs=val_epochs,
                     snapshots=snapshots, first_permutation=first_perm, final=final)
    if compare:
        first = 1 + int(p.settling_time / p.dt / p.rec_per_steps)
        n_rows = max(0, n_snap - first) * ds
        angles = np.full((n_rows, L), np.nan)
        ones = np.ones_like(net.eta_fw)
        first_step = kernel_network(net, eta_fw=ones, bw_live=net.bw_src >= 0)
        later_steps = kernel_network(net, eta_fw=ones, bw_live=np.zeros_like(net.bw_live))
        replay(first_step, later_steps, sim.kst, np.ascontiguousarray(train_x),
               np.ascontiguousarray(train_y, dtype=float), T, rec.W, rec.B, rec.WIP, rec.BPI, first,
               c.rate_target, angles)
        run.angles = angles
        run.angle_snapshot = np.repeat(np.arange(first, n_snap), ds)
        run.weight_angles = weight_alignment(p, c, net, rec.W, rec.B)
        bar.advance(n_rows * T)
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
    if c.model == "ann" or snap_W.shape[0] == 0 or snap_B.shape[0] == 0:
        return None
    W = forward_full(net, snap_W)[..., :, p.layers[0]:]  # rep x rep (input columns dropped)
    B = feedback_full(net, snap_B)
    rep, L = net.rep_off, c.n_areas
    if c.model == "errormc":
        if tuple(c.pops) != tuple(c.layers[1:]) or p.fw_connection_mode != p.bw_connection_mode:
            return None
        if p.bw_connection_mode == "skip":
            return deg(cos_sim(np.swapaxes(W, -1, -2), B))[:, None]
    pairs = []
    for k in range(1, L):
        Wk = W[:, rep[k + 1]:rep[k + 2], rep[k]:rep[k + 1]]
        Bk = B[:, rep[k]:rep[k + 1], rep[k + 1]:rep[k + 2]] if c.model != "errormc" else \
            B[:, net.pop_off[k]:net.pop_off[k + 1], net.pop_off[k + 1]:net.pop_off[k + 2]]
        pairs.append(deg(cos_sim(np.swapaxes(Wk, -1, -2), Bk)))
    return np.stack(pairs, axis=1) if pairs else None


def describe_run(r: TeacherStudentRun) -> str:
    return ", ".join(describe(s.circuit) for s in r.students)
