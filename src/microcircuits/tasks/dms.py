"""Fig. 2b: delayed match-to-sample (the reference's DMS_task.py).

A trial is 250 steps of fixation (input 0), 250 steps of a first stimulus s1 = +-1, a delay of 50-249
steps (input 0), and 250 steps of a second stimulus s2 = +-1; the target is +1 for a match and -1 for a
non-match.  The representation units take their rates from their potentials (no look-ahead: the membrane
time constant is the memory), the error units stay prospective.  Every trial starts from reset potentials
(u and u_breve, as the reference resets them).  Training injects the target during the whole trial and
applies one plasticity step at its end; validation (before each epoch) and test passes inject nothing and
record the squared error of one extra step at the end of each trial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import Circuit, build
from ..params import Params, ParamsError
from .protocol import Progress, Sim, make_recorder, null_recorder, phase, student_seeds

FIXATION, STIMULUS = 250, 250
DELAY_RANGE = (50, 250)
TRIAL_SEEDS = {"train": 42, "validation": 123456, "test": 44}
EXAMPLES = {"match": (+1, +1, 0), "non-match": (+1, -1, 1)}  # (s1, s2, generator seed) of the example trials


@dataclass
class Trials:
    inputs: list          # one array of input values per trial
    targets: np.ndarray   # +1 match, -1 non-match


def make_trials(n: int, seed: int, first: int | None = None, second: int | None = None) -> Trials:
    """The reference's trial generator (numpy default_rng(seed), the same calls in the same order)."""
    rng = np.random.default_rng(seed)
    inputs, targets = [], []
    for _ in range(n):
        delay = rng.integers(*DELAY_RANGE)
        x = np.zeros(FIXATION + STIMULUS + delay + STIMULUS)
        s1 = rng.choice([-1, 1]) if first is None else first
        x[FIXATION:FIXATION + STIMULUS] = s1
        s2 = rng.choice([-1, 1]) if second is None else second
        x[FIXATION + STIMULUS + delay:] = s2
        inputs.append(x)
        targets.append(abs(s1 + s2) - 1)
    return Trials(inputs, np.asarray(targets, dtype=float))


@dataclass
class DMSStudent:
    seed: int
    circuit: Circuit
    val_mse: np.ndarray      # (epochs, trials): before each training epoch
    test_mse: np.ndarray     # (trials,)
    examples: dict           # name -> dict(input, rate, target) of a trained network


@dataclass
class DMSRun:
    params: Params
    seeds: list
    trials: dict
    students: list
    steps_simulated: int


def total_steps(p: Params, trials: dict, n_seeds: int) -> int:
    steps = lambda t: sum(len(x) + 1 for x in t.inputs)  # noqa: E731
    return n_seeds * (p.epochs * (steps(trials["validation"]) + steps(trials["train"])) + steps(trials["test"]))


def check(p: Params) -> None:
    """What this task needs of a parameter set beyond the parameters' own checks."""
    if p.input_signal != "dms" or p.layers[0] != 1 or p.layers[-1] != 1:
        raise ParamsError(p.source, "input_signal", p.input_signal, "the DMS task needs input_signal 'dms', 1 input and 1 output")


def run(p: Params, seeds=None, progress: bool = True) -> DMSRun:
    seeds = student_seeds(p, seeds)
    check(p)
    trials = {k: make_trials(p.dataset_size, s) for k, s in TRIAL_SEEDS.items()}
    with Progress(total_steps(p, trials, len(seeds)), f"DMS {'-'.join(map(str, p.layers))}", progress) as bar:
        students = [train_student(p, build(p, s), trials, bar) for s in seeds]
    return DMSRun(params=p, seeds=seeds, trials=trials, students=students,
                  steps_simulated=total_steps(p, trials, len(seeds)))


def reset(sim: Sim) -> None:
    """Start a trial: u and u_breve back to their initial values (u_prev and the error units carry on)."""
    u0 = np.concatenate(sim.circuit.u0)
    sim.st.u[:] = u0
    sim.st.u_breve[:] = u0


def trial(sim: Sim, rec, x: np.ndarray, target: float, train: bool, mse_out=None) -> None:
    """One trial, then the extra step: plasticity (training) or the recorded error (validation, test)."""
    X = x[:, None]
    Y = np.full((len(x), 1), target)
    last_x, last_y = X[-1:], Y[-1:]
    reset(sim)
    if train:
        phase(sim, rec, X, Y, inject=True, synapse=True, learn_w=False, learn_lat=True, name="train")
        phase(sim, rec, last_x, last_y, inject=True, synapse=True, learn_w=True, learn_lat=True, name="train")
    else:
        phase(sim, rec, X, None, synapse=True, learn_w=False, learn_lat=True, name="validation")
        phase(sim, rec, last_x, last_y, synapse=True, learn_w=False, learn_lat=True, name="validation",
              mse_out=mse_out)


def train_student(p: Params, c: Circuit, trials: dict, bar: Progress) -> DMSStudent:
    sim = Sim.of(c)
    rec = null_recorder(sim.net)
    n_val, n_test = len(trials["validation"].inputs), len(trials["test"].inputs)
    val_mse = np.zeros((p.epochs, n_val))
    test_mse = np.zeros(n_test)
    for epoch in range(p.epochs):
        for i, (x, t) in enumerate(zip(trials["validation"].inputs, trials["validation"].targets)):
            trial(sim, rec, x, t, train=False, mse_out=val_mse[epoch, i:i + 1])
        for x, t in zip(trials["train"].inputs, trials["train"].targets):
            trial(sim, rec, x, t, train=True)
        bar.advance(sum(len(x) + 1 for x in trials["validation"].inputs) + sum(len(x) + 1 for x in trials["train"].inputs))
    for i, (x, t) in enumerate(zip(trials["test"].inputs, trials["test"].targets)):
        trial(sim, rec, x, t, train=False, mse_out=test_mse[i:i + 1])
    bar.advance(sum(len(x) + 1 for x in trials["test"].inputs))
    return DMSStudent(seed=c.seed, circuit=c, val_mse=val_mse, test_mse=test_mse, examples=examples(sim))


def examples(sim: Sim) -> dict:
    """A match and a non-match trial of the trained network (no target, no weight change), every step."""
    out = {}
    for name, (s1, s2, seed) in EXAMPLES.items():
        t = make_trials(1, seed, first=s1, second=s2)
        x = t.inputs[0]
        rec = make_recorder(sim.net, len(x), 1, {"r"})
        reset(sim)
        phase(sim, rec, x[:, None], None, synapse=True, learn_w=False, learn_lat=True, name="test")
        out[name] = dict(input=x, rate=rec.r.copy(), target=float(t.targets[0]))
    return out
