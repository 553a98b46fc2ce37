"""Which processes work for Snakemake in a folder (Linux /proc): what lets a crashed workflow resume with the
same command (its stale lock is removed only when no process of it is alive) and lets a job stop when the
Snakemake that started it died."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def parent_of(pid: int) -> int | None:
    try:
        return int((PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def ancestors(pid: int) -> set[int]:
    out = set()
    while pid and pid > 1 and pid not in out:
        out.add(pid)
        pid = parent_of(pid)
    return out


def snakemake_processes_in(folder: Path) -> list[int]:
    """Pids of processes, other than this one and its ancestors, whose command line names Snakemake (a run, a
    job step, a job script under .snakemake/scripts/) and whose working folder is ``folder``."""
    here, mine = folder.resolve(), ancestors(os.getpid())
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            if b"snakemake" in (entry / "cmdline").read_bytes() and Path(os.readlink(entry / "cwd")).resolve() == here:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def snakemake_ancestor() -> int | None:
    """The nearest ancestor of this process whose command line names Snakemake (the run that started a job)."""
    for pid in sorted(ancestors(os.getppid()), key=lambda p: -len(ancestors(p))):  # nearest first
        try:
            if b"snakemake" in (PROC / str(pid) / "cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


def alive(pid: int) -> bool:
    return (PROC / str(pid)).exists()


def clear_stale_run_state(state: Path) -> str | None:
    """Remove the lock and temporary scripts a killed Snakemake left in ``state`` (.snakemake) if no process of
    another run is alive in its folder; say what was done (None: nothing to do)."""
    if not PROC.exists():
        return None
    stale = sorted((state / "locks").glob("*.lock")) + sorted((state / "scripts").glob("tmp*"))
    if not stale:
        return None
    live = snakemake_processes_in(state.resolve().parent)
    has_lock = any(f.suffix == ".lock" for f in stale)
    if live:
        return f"A Snakemake run is active in this folder (pids {', '.join(map(str, live[:5]))}): its lock stays." if has_lock else None
    for f in stale:
        f.unlink(missing_ok=True)
    return "Removed the lock left by a Snakemake run that is no longer alive." if has_lock else None
