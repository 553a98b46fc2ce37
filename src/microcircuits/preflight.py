"""Everything a run is checked for before its first step, by `microcircuits check` and `simulate` alike:
the parameters (already validated by Params), the task's own needs, and whether the run fits this machine,
in memory and in steps."""

from __future__ import annotations

import os

from .params import InputError, Params, ParamsError
from .params_pal import PalParams
from .tasks import TASKS
from .tasks.pal import SMALL_NETWORK, TASKS as PAL_TASKS, snapshot_records
from .tasks.protocol import n_validations, student_seeds

MAX_STEPS = 10**11  # a hundred billion steps: about a year of one core at the fastest step here


def preflight(p: Params, compare: bool = False) -> dict:
    """Check ``p`` for a run (its seeds, the task, the comparison, the memory and the length) and return the
    estimates: steps and bytes.  Raises InputError (one line) for anything the run would fail on."""
    seeds = student_seeds(p)
    TASKS[p.input_signal].check(p)
    if compare and p.input_signal != "step":
        raise ParamsError(p.source, "--compare", "bp",
                          f"the comparison with backprop is for the teacher-student task, not input_signal '{p.input_signal}'")
    steps = total_steps(p, len(seeds), compare)
    if steps > MAX_STEPS:
        raise InputError(f"{p.source}: epochs {p.epochs}, dataset_size {p.dataset_size} and Tpres/dt {p.Tpres}/{p.dt} make "
                         f"{steps:.3g} steps; at most {MAX_STEPS:.0e} are run")
    need = memory_estimate(p, len(seeds), compare)
    have = available_memory()
    if have is not None and need > have:
        raise InputError(f"{p.source}: layers {list(p.layers)}, dataset_size {p.dataset_size}, Tpres/dt {p.Tpres}/{p.dt}, "
                         f"epochs {p.epochs}, rec_per_steps {p.rec_per_steps} and {len(seeds)} seeds need about "
                         f"{_gib(need)} of memory; {_gib(have)} is available")
    return {"steps": steps, "bytes": need, "output_bytes": output_estimate(p, len(seeds), compare)}


def total_steps(p: Params, n_seeds: int, compare: bool) -> int:
    """Steps the run takes (the tasks' own counts, from the parameters alone)."""
    T = p.steps_per_sample
    per_pass = (10 if p.input_signal == "genMNIST" else p.dataset_size) * T
    per_seed = p.settling_steps + (p.epochs + n_validations_bound(p.epochs) + 1) * per_pass
    return n_seeds * per_seed * (2 if compare else 1) + 3 * per_pass


def n_validations_bound(epochs: int) -> int:
    return n_validations(epochs) if epochs < 10**7 else 10  # the schedule validates at most 10 times (or each epoch if 1)


def memory_estimate(p: Params, n_seeds: int, compare: bool) -> int:
    """Bytes of the largest arrays a run allocates: weights and their updates, inputs and targets of every
    split, per-step error records and weight snapshots, for every seed (students are kept to the end)."""
    sizes = list(p.layers)
    n = sum(sizes)
    if p.fw_connection_mode == "skip":
        weights = sum(a * b for i, a in enumerate(sizes) for b in sizes[:i])
    else:
        weights = sum(a * b for a, b in zip(sizes[1:], sizes[:-1]))
    errors = list(p.error_layers or sizes)
    lateral = sum(a * b for a, b in zip(sizes[1:], errors[1:]))
    per_network = 8 * (6 * weights + 4 * lateral + 30 * n)
    per_pass, records, snapshots = _records(p)
    data = 8 * 3 * per_pass * (sizes[0] + 2 * sizes[-1])
    snapshot_size = (weights + 2 * lateral if (compare or p.rec_WPP) else 0) + 3 * n
    per_seed = per_network + records + 8 * snapshots * snapshot_size
    return int(data + per_network + n_seeds * per_seed)


def output_estimate(p: Params, n_seeds: int, compare: bool) -> int:
    """Bytes of the output file at most (before compression): per seed the per-step error records and the
    snapshots, whose weight variables hold every area's block in one padded matrix, and every snapshot's
    phase name and step."""
    sizes = list(p.layers)
    rep, pop = sum(sizes[1:]), sum(list(p.error_layers or sizes)[1:])
    _, records, snapshots = _records(p)
    weights = rep * sum(sizes) + pop * pop + 2 * pop * rep if (compare or p.rec_WPP) else 0
    per_snapshot = 8 * (weights + 8 * sum(sizes)) + 48
    return int(n_seeds * (records + snapshots * per_snapshot))


def _records(p: Params) -> tuple[int, int, int]:
    """Steps of one pass over a split, bytes of a seed's per-step error records, and its snapshots."""
    per_pass = (10 if p.input_signal == "genMNIST" else p.dataset_size) * p.steps_per_sample
    records = 8 * per_pass * (n_validations_bound(p.epochs) + 2)
    recorded = p.settling_steps + (p.epochs + n_validations_bound(p.epochs) + 1) * per_pass
    return per_pass, records, recorded // p.rec_per_steps + 1


def available_memory() -> int | None:
    """MemAvailable of /proc/meminfo (Linux), or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gib(n: int) -> str:
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def pal_preflight(p: PalParams, task: str, compare: bool) -> dict:
    """Steps, memory and output size of a run, from the parameters alone (before its first step)."""
    if task not in PAL_TASKS:
        raise InputError(f"--task {task}: expected one of {', '.join(PAL_TASKS)}")
    n = list(p.layers)
    N, seeds, T = len(n) - 1, len(p.random_seed), p.steps_per_sample
    per_student = p.settling_steps + p.epochs * p.dataset_size * T
    replay = (p.epochs * p.dataset_size * T) if compare else 0
    steps = seeds * (per_student + replay) + (p.settling_steps + p.dataset_size * T) * (task == "fw_bw" or compare)
    if steps > MAX_STEPS:
        raise InputError(f"{p.source}: {steps:.3g} steps; at most {MAX_STEPS:.0e} are run")
    weights = sum(n[i] * n[i + 1] for i in range(N)) + 3 * sum(n[i] * n[i + 1] for i in range(1, N))
    records = per_student // p.rec_per_steps
    small = weights <= SMALL_NETWORK
    per_record = 8 * (weights + sum(n[1:]) + 1)  # W, B (and the lateral blocks), basal potentials, MSE
    memory = records * per_record + 8 * p.dataset_size * T * (1 + n[0] + n[-1])  # records, one epoch's order, trace
    output = seeds * (records * 8 * (3 * (N - 1) + 1 + (weights if small else 0)) + 16 * weights) \
        + (seeds * p.epochs * p.dataset_size * N * 8 if compare else 0)
    have = available_memory()
    if have is not None and memory > have:
        raise InputError(f"{p.source}: layers {n}, epochs {p.epochs} and rec_per_steps {p.rec_per_steps} need about "
                         f"{_gib(memory)} of memory; {_gib(have)} is available")
    if compare:
        try:
            snapshot_records(p, records)
        except ValueError as err:
            raise InputError(f"{p.source}: --compare: {err}") from None
    return {"steps": steps, "bytes": memory, "output_bytes": output}
