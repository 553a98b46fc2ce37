"""PAL's runner tasks, as ``runner.py --task bw_only|fw_bw [--compare BP]`` of the PAL code runs them.

* ``bw_only``: no teacher; the feedback and lateral weights learn, the forward weights do not.  The input is
  U(0, 1) vectors drawn with the first student's seed.
* ``fw_bw``: a teacher (its seed derived from the first student's, the same model type, always in the
  self-predicting state) runs one unshuffled epoch without learning; before each step it keeps its output's
  prospective potential, and each student takes, per sample, the value kept at the sample's last step as a
  constant target.  Everything learns.

Per student: a settling phase (no plasticity, no noise, no target) over the samples in order, then epochs,
each of which first shuffles the samples (shuffles compound: each permutes the previous epoch's order) with
the student's own generator, which then draws the noise, step by step and area by area (docs/pal.md §2).
Records are taken after every ``rec_per_steps``-th step of the run, settling included; the metrics of
``--compare BP`` are computed from them (:func:`alignment_angles`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ..kernels import mt19937
from ..models.pal import NO_NOISE, PalNet, Records, advance, build, pal_dphi, pal_phi, self_predicting_state, teacher_seed
from ..params_pal import PalParams
from .protocol import Progress

TASKS = ("bw_only", "fw_bw")
LEARNING = {"bw_only": (False, True, True), "fw_bw": (True, True, True)}  # forward, lateral, feedback
CHUNK = 1 << 16  # steps per kernel call: how often the progress bar moves
SMALL_NETWORK = 100  # networks with at most this many weights record every weight at every record


@dataclass
class PalStudent:
    seed: int
    input_seed: int
    net: PalNet
    initial: dict
    initial_voltages: dict
    records: Records | None = None
    angles: dict = field(default_factory=dict)
    update_angles: np.ndarray | None = None


@dataclass
class PalRun:
    params: PalParams
    task: str
    students: list
    samples: np.ndarray
    teacher_seed: int | None = None
    teacher: PalNet | None = None
    teacher_targets: np.ndarray | None = None  # per sample
    teacher_trace: np.ndarray | None = None  # per training step of the teacher
    compare: bool = False
    steps_simulated: int = 0


def snapshot(net: PalNet) -> tuple[dict, dict]:
    uP, uI = net.voltages()
    return ({k: net.blocks(k) for k in ("W", "B", "WIP", "BPI")}, {"uP": uP, "uI": uI})


def draw_samples(p: PalParams, seed: int) -> np.ndarray:
    """PAL's input: U(0, 1) vectors, one row per sample, from RandomState(seed)."""
    return np.random.RandomState(seed).uniform(0, 1, size=(p.dataset_size, p.layers[0]))


def train(p: PalParams, net: PalNet, samples: np.ndarray, targets: np.ndarray | None, learn, rec: Records,
          bar: Progress | None = None, epochs: int | None = None, trace: np.ndarray | None = None) -> int:
    """Settling, then ``epochs`` shuffled epochs (a teacher: one epoch in order, tracing its output).
    Returns the steps simulated."""
    T, S = p.steps_per_sample, p.settling_steps
    on_targets = targets if targets is not None else np.zeros((1, p.layers[-1]))
    settle = (np.arange(S) // T).astype(np.int64)
    advance(net, S, samples, settle, on_targets, False, NO_NOISE, (False, False, False), False, 0, rec)
    if bar:
        bar.advance(S)
    step = S
    order = np.arange(p.dataset_size, dtype=np.int64)
    noisy = net.model_type == "PAL" and learn[2]
    for _ in range(p.epochs if epochs is None else epochs):
        if trace is None:
            net.rng.shuffle(order)
        steps = np.repeat(order, T)
        noise = mt19937.state_of(net.rng) if noisy else NO_NOISE  # the kernel draws on from the shuffle's state
        for start in range(0, steps.size, CHUNK):
            chunk = steps[start:start + CHUNK]
            advance(net, chunk.size, samples, chunk, on_targets, targets is not None, noise, learn, False, step, rec,
                    None if trace is None else trace[start:start + chunk.size])
            step += chunk.size
            if bar:
                bar.advance(chunk.size)
        if noisy:
            mt19937.restore(net.rng, *noise)
    return step


def run_seed(p: PalParams) -> int:
    """The seed PAL's runner derives the shared input (bw_only) and the teacher (fw_bw) from: the first of the
    run's seeds, or ``shared_seed`` when a run's seeds are split over jobs."""
    return p.shared_seed if p.shared_seed is not None else p.random_seed[0]


def run_teacher(p: PalParams, seeds, samples: np.ndarray, bar: Progress | None = None):
    """The fw_bw teacher: its seed, the network after its run, its output before every step of its epoch and
    the per-sample targets (the value before each sample's last step)."""
    tseed = teacher_seed(seeds)
    teacher = build(p, tseed, teacher=True)
    T = p.steps_per_sample
    trace = np.zeros((p.dataset_size * T, p.layers[-1]))
    train(p, teacher, samples, None, (False, False, False), Records.none(teacher), bar, epochs=1, trace=trace)
    return tseed, teacher, trace, trace[T - 1::T].copy()


def run(p: PalParams, task: str, compare: bool = False, progress: bool = True) -> PalRun:
    """Every student of ``p`` through ``task`` (bw_only or fw_bw); with ``compare``, the alignment metrics of
    PAL's ``--compare BP`` and the angle between each update and backprop's (:func:`update_angles`)."""
    seeds = list(p.random_seed)
    T = p.steps_per_sample
    per_student = p.settling_steps + p.epochs * p.dataset_size * T
    teacher_steps = (p.settling_steps + p.dataset_size * T) if task == "fw_bw" else 0
    total = teacher_steps + len(seeds) * per_student
    learn = LEARNING[task]
    result = PalRun(params=p, task=task, students=[], samples=np.zeros(0), compare=compare)
    with Progress(total, f"PAL {task} {p.model_type} {'-'.join(map(str, p.layers))}", progress) as bar:
        if task == "fw_bw":
            first = [run_seed(p)]
            result.teacher_seed, result.teacher, result.teacher_trace, result.teacher_targets = run_teacher(
                p, first, draw_samples(p, teacher_seed(first)), bar)
            input_seed = result.teacher_seed
        else:
            input_seed = run_seed(p)
        samples = draw_samples(p, input_seed)
        result.samples = samples
        for seed in seeds:
            net = build(p, seed)
            initial, voltages = snapshot(net)
            lateral = net.W.size + net.B.size + net.WIP.size + net.BPI.size <= SMALL_NETWORK
            rec = Records.for_run(net, per_student, p.rec_per_steps, lateral)
            train(p, net, samples, result.teacher_targets, learn, rec, bar)
            student = PalStudent(seed=seed, input_seed=input_seed, net=net, initial=initial, initial_voltages=voltages,
                                 records=rec)
            student.angles = alignment_angles(p, net, rec)
            if not p.rec_MSE:
                rec.mse[:] = np.nan
            result.students.append(student)
    result.steps_simulated = total
    if compare:
        result.steps_simulated += len(seeds) * (p.epochs * p.dataset_size * T) + p.settling_steps + p.dataset_size * T
        for student in result.students:
            student.update_angles = update_angles(p, student, result, progress)
    return result


# ---------------------------------------------------------------------------------------------------------
# PAL's --compare BP metrics, from the records

def _cos(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """PAL's cos_sim over records: tr(A^T B) / |A| / |B| (Frobenius)."""
    dot = np.einsum("rij,rij->r", A, B)
    return dot / np.sqrt(np.einsum("rij,rij->r", A, A)) / np.sqrt(np.einsum("rij,rij->r", B, B))


def _deg(cos: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.arccos(cos) * 180 / np.pi  # NaN where rounding puts |cos| above 1, as in PAL


def alignment_angles(p: PalParams, net: PalNet, rec: Records) -> dict[str, np.ndarray]:
    """Per record and hidden area k: ∠(B_k, W_{k+1}ᵀ) (PAL's ``angle_WPPT_BPP``), ∠(B_k φ'_{k+1}, φ'_k W_{k+1}ᵀ)
    (``angle_jacobians_BP``) and ∠(B_k, φ'_k W_{k+1}ᵀ φ'_{k+1}) (``angle_BPP_RHS``), φ' at gbas/(gl+gbas+gapi)
    times the recorded basal potential (the output's too, as PAL computes it)."""
    n, N, R = net.sizes, net.n_areas, rec.steps.size
    acts = p.activations()
    coef = p.gbas / (p.gbas + p.gapi + p.gl)
    out = {k: np.zeros((R, N - 1)) for k in ("angle_WPPT_BPP", "angle_jacobians_BP", "angle_BPP_RHS")}
    for k in range(N - 1):
        Wn = rec.W[:, net.woff[k + 1]:net.woff[k + 2]].reshape(R, n[k + 2], n[k + 1])
        WT = Wn.transpose(0, 2, 1)
        Bk = rec.B[:, net.boff[k]:net.boff[k + 1]].reshape(R, n[k + 1], n[k + 2])
        d_lo = pal_dphi(acts[k], coef * rec.V[:, net.poff[k]:net.poff[k + 1]])
        d_hi = pal_dphi(acts[k + 1], coef * rec.V[:, net.poff[k + 1]:net.poff[k + 2]])
        out["angle_WPPT_BPP"][:, k] = _deg(_cos(WT, Bk))
        out["angle_jacobians_BP"][:, k] = _deg(_cos(Bk * d_hi[:, None, :], d_lo[:, :, None] * WT))
        out["angle_BPP_RHS"][:, k] = _deg(_cos(Bk, d_lo[:, :, None] * WT * d_hi[:, None, :]))
    return out


# ---------------------------------------------------------------------------------------------------------
# the angle of each update to backprop's (--compare BP)
#
# The angle between each forward-weight update of a trained PAL-runner circuit and backprop's: the metric of
# the PAL authors' stored ``data_angle_BP_lin.npy`` (their Fig. 3c), which PAL's runner computed in
# ``compare.compare_updates`` until that call was commented out.  Rebuilt here as that function worked:
#
# 1. the noise is switched off;
# 2. a teacher (the fw_bw teacher: seed from the first seed of the file, teacher ranges, self-predicting
#    state) runs settling and one epoch on the student's own input sequence, and its output's prospective
#    potential before each step becomes that step's target;
# 3. for one weight record per epoch (the first record after settling, then every records/epochs-th), the
#    student takes the recorded W and B, is put in the self-predicting state, and runs the whole sequence with
#    all plasticity off, from the state the previous replay left (the first starts from the end of training);
# 4. at the last step of every sample, the angle per area between the circuit's dW and the backprop update of
#    an ANN with the same W: voltages gbas/(gl+gbas+gapi) W r (the output's rescaled by
#    (gl+gbas+gapi)/(gl+gbas)), error = target - output voltage, propagated by φ'(v) Wᵀ.
#
# The student's input sequence is PAL's as it stands after training: in bw_only, the first epoch's shuffle
# permuted, in place, the first row of every sample's block of the shared input (docs/pal.md §5, quirk 3), so each
# block starts with another sample.  The replay keeps this, as the stored data did.

def replay_sequence(p: PalParams, run, student) -> np.ndarray:
    """Per step, the sample PAL's ``mc.input`` holds after training (bw_only: first rows permuted)."""
    T = p.steps_per_sample
    rows = np.repeat(np.arange(p.dataset_size), T)
    if run.task == "bw_only":
        first = np.arange(p.dataset_size)
        np.random.RandomState(student.seed).shuffle(first)  # the first epoch's shuffle, the generator's first use
        rows[::T] = first
    return rows


def teacher_trace(p: PalParams, inputs: np.ndarray) -> np.ndarray:
    """The comparison's teacher on the per-step ``inputs``: its output before every step of its epoch."""
    net = build(p, teacher_seed([run_seed(p)]), teacher=True)
    S, n = p.settling_steps, inputs.shape[0]
    none = Records.none(net)
    dummy = np.zeros((1, p.layers[-1]))
    advance(net, S, inputs, np.arange(S, dtype=np.int64), dummy, False, NO_NOISE, (False,) * 3, False, 0,
                 none)
    trace = np.zeros((n, p.layers[-1]))
    advance(net, n, inputs, np.arange(n, dtype=np.int64), dummy, False, NO_NOISE, (False,) * 3, False, S,
                 none, trace)
    return trace


def snapshot_records(p: PalParams, n_records: int) -> np.ndarray:
    """The records compare_updates replays: from the first after settling, every (records left / epochs)-th."""
    first = int(p.settling_time / p.dt / p.rec_per_steps)
    every = int((n_records - first) / p.epochs)
    if every < 1:
        raise ValueError("the comparison needs at least one record per epoch (rec_per_steps too large)")
    return np.arange(first, n_records, every)


def backprop_update(p: PalParams, net: PalNet, W: list, r0: np.ndarray, target: np.ndarray) -> list:
    """PAL's calc_dWPP_ANN(BP): the backprop update of an ANN with the circuit's forward weights."""
    acts = p.activations()
    coef = p.gbas / (p.gbas + p.gapi + p.gl)
    N = len(W)
    v = [None] * N
    r = [None] * N
    v[0] = coef * W[0] @ r0
    for i in range(N - 1):
        r[i] = pal_phi(acts[i], v[i])
        v[i + 1] = coef * W[i + 1] @ r[i]
    v[-1] = (p.gbas + p.gapi + p.gl) / (p.gbas + p.gl) * v[-1]
    error = target - v[-1]
    dW = [None] * N
    for i in range(N - 1, 0, -1):
        dW[i] = np.outer(error, r[i - 1])
        error = np.diag(pal_dphi(acts[i - 1], v[i - 1])) @ W[i].T @ error
    dW[0] = np.outer(error, r0)
    return dW


def _angle(A: np.ndarray, B: np.ndarray) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.arccos(np.trace(A.T @ B) / np.linalg.norm(A) / np.linalg.norm(B)) * 180 / np.pi)


def update_angles(p: PalParams, student, run, progress: bool = True) -> np.ndarray:
    """(snapshots x samples, areas) angles in degrees, in the order of the stored data."""
    net = copy.deepcopy(student.net)  # the replay goes on from the end of training; the student keeps its state
    rec = student.records
    T, D, N = p.steps_per_sample, p.dataset_size, net.n_areas
    rows = replay_sequence(p, run, student)
    inputs = run.samples[rows]
    targets = teacher_trace(p, inputs)
    snaps = snapshot_records(p, rec.steps.size)
    net.xi[:] = 0.0
    net.sigma[:] = 0.0
    out = np.zeros((snaps.size * D, N))
    n = net.sizes
    none, steps = Records.none(net), np.arange(D * T, dtype=np.int64)
    dW = [net.dW[net.woff[a]:net.woff[a + 1]].reshape(n[a + 1], n[a]) for a in range(N)]  # views: each step's dW
    with Progress(snaps.size * D * T, f"replay seed {student.seed}", progress) as bar:
        for j, idx in enumerate(snaps):
            net.W[:] = rec.W[idx]
            net.B[:] = rec.B[idx]
            W, B, WIP, BPI = net.blocks("W"), net.blocks("B"), net.blocks("WIP"), net.blocks("BPI")
            self_predicting_state(p, W, WIP, B, BPI)
            net.BPI[:] = np.concatenate([m.ravel() for m in BPI])
            net.WIP[:] = np.concatenate([m.ravel() for m in WIP])
            for s in range(D):
                advance(net, T, inputs, steps[s * T:(s + 1) * T], targets, True, NO_NOISE, (False,) * 3, True, 0, none)
                last = (s + 1) * T - 1
                bp = backprop_update(p, net, W, inputs[last], targets[last])
                out[j * D + s] = [_angle(dW[a], bp[a]) for a in range(N)]
                bar.advance(T)
    return out
