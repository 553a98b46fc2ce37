"""Chaos: a smoke-scale workflow killed with SIGKILL at a seeded random moment (Snakemake itself, or one of its
simulation jobs) resumes with the same command, and what it then holds equals a clean run's, bit for bit.
CI runs one cycle; MICROCIRCUITS_FULL_HARDENING=1 runs six (three of each kind)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from microcircuits.processes import snakemake_processes_in

from .test_hardening import FULL, counted
from .workflow_support import SMOKE, snakemake, workflow_copy

# eight simulation jobs of Fig. 3's smoke scale (about 25 s on 2 cores with a warm Numba cache)
TARGETS = [str(SMOKE / "fig3" / "runs" / "4-2-1" / m / v / "group0.nc")
           for m in ("ann", "errormc", "dPC", "sacramento2018") for v in ("trained", "untrained")]
COMMAND = ["--cores", "2", *TARGETS, "--config", "scale=smoke"]
RNG = random.Random(20261202)
# when to kill: once `done` of the eight outputs exist, then `after` seconds more (seeded)
CYCLES = [(kind, RNG.randrange(0, 6), round(RNG.uniform(0.0, 2.0), 2)) for kind in ("snakemake", "job") * (3 if FULL else 1)]
if not FULL:
    CYCLES = [RNG.choice(CYCLES)]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    repo = workflow_copy(tmp_path_factory.mktemp("clean"))
    snakemake(repo, *COMMAND)
    return repo


def job_pids(repo: Path) -> list[int]:
    """Running simulation jobs of the run in ``repo`` (their script is .snakemake/scripts/tmp*.simulate.py)."""
    return [pid for pid in snakemake_processes_in(repo)
            if b"simulate.py" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def outputs_done(repo: Path) -> int:
    return sum((repo / t).exists() for t in TARGETS)


def kill_at(proc: subprocess.Popen, repo: Path, kind: str, done: int, after: float) -> str | None:
    """SIGKILL Snakemake, or a running simulation job, once ``done`` outputs exist and ``after`` seconds more
    have passed; say what was killed (None: the run ended first)."""
    while proc.poll() is None and outputs_done(repo) < done:
        time.sleep(0.05)
    time.sleep(after)
    while proc.poll() is None:
        if kind == "snakemake":
            os.kill(proc.pid, signal.SIGKILL)
            return f"snakemake with {outputs_done(repo)} of {len(TARGETS)} outputs done"
        pids = job_pids(repo)
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            return f"a simulation job with {outputs_done(repo)} of {len(TARGETS)} outputs done"
        time.sleep(0.05)
    return None


def wait_until_quiet(repo: Path, seconds: float = 30) -> None:
    """The jobs of a killed Snakemake stop by themselves (workflow/scripts/simulate.py watches its parent)."""
    deadline = time.monotonic() + seconds
    while snakemake_processes_in(repo) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not snakemake_processes_in(repo), "orphaned jobs of the killed run are still running"


@pytest.mark.parametrize("kind,done,after", CYCLES, ids=[f"{k}-after{d}+{a}s" for k, d, a in CYCLES])
def test_a_killed_run_resumes_with_the_same_command(clean, tmp_path, kind, done, after):
    repo = workflow_copy(tmp_path)
    with counted(f"chaos: kill -9 of {kind}"):
        proc = subprocess.Popen([sys.executable, "-m", "snakemake", *COMMAND], cwd=repo,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed = kill_at(proc, repo, kind, done, after)
        proc.wait(timeout=300)
        assert killed, "the run ended before the kill"
        wait_until_quiet(repo)
        assert outputs_done(repo) < len(TARGETS), f"killed {killed}, yet every output was made"
        r = snakemake(repo, *COMMAND, check=False)  # the one resume command: the same command
        assert r.returncode == 0, f"killed {killed}; resume failed:\n{r.stderr[-3000:]}"
        assert not list((repo / "results").rglob("*.tmp-*")), "a temporary output was left behind"
        assert not list((repo / ".snakemake" / "scripts").glob("tmp*")), "temporary job scripts accumulate"
        for target in TARGETS:
            with xr.open_dataset(repo / target) as got, xr.open_dataset(clean / target) as want:
                assert got.equals(want), f"{target} differs from a clean run's (killed {killed})"


def test_a_lock_is_removed_only_when_no_process_of_its_run_is_alive(tmp_path):
    """The lock and job scripts a killed run left are removed by the next run; while any process of another
    run is alive in the folder (here a stand-in whose command line names Snakemake), the lock stays."""
    from microcircuits.processes import clear_stale_run_state

    state = tmp_path / ".snakemake"
    (state / "locks").mkdir(parents=True)
    (state / "scripts").mkdir()
    lock, script = state / "locks" / "0.input.lock", state / "scripts" / "tmpabc.simulate.py"
    lock.write_text("x")
    script.write_text("x")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "snakemake"], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 10
        while not snakemake_processes_in(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        said = clear_stale_run_state(state)
        assert lock.exists() and script.exists() and said and f"pids {alive.pid}" in said
    finally:
        alive.kill()
        alive.wait()
    assert clear_stale_run_state(state) == "Removed the lock left by a Snakemake run that is no longer alive."
    assert not lock.exists() and not script.exists()
