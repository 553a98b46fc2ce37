"""What the workflow tests share: a copy of the repository to run Snakemake in (a user's results/ is never
touched), Snakemake as a subprocess, and the checks of a made figure."""

from __future__ import annotations

import json
import shutil
import subprocess
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPY = ["Snakefile", "workflow", "config", "notebooks", "profiles", "envs", "src"]


def workflow_copy(dest: Path) -> Path:
    for name in COPY:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    (dest / "slurm").symlink_to("profiles/slurm")
    return dest


def snakemake(cwd: Path, *args, check=True) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a (dry) run."""
    table = output.split("Job stats:")[-1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m.group(1) != "total"}


SMOKE = Path("results") / "smoke"  # outputs of scale smoke (config/scales/smoke.yaml)


def assert_figure_made(repo: Path, fig: str) -> None:
    """The figure's files exist and its notebook executed without an error."""
    out = repo / SMOKE / fig
    for f in (f"{fig}.pdf", f"{fig}.png", f"{fig}.html", f"{fig}.nc"):
        assert (out / f).stat().st_size > 1000, f
    nb = json.loads((out / f"{fig}.ipynb").read_text())
    assert not nb["metadata"]["papermill"].get("exception")
    page = (out / f"{fig}.html").read_text()
    assert "data:image/png;base64," in page  # the rendered page shows the figure ...
    assert page.index("data:image/png;base64,") < page.index("<table")  # ... first, then the numbers behind it
    assert page.count('<details class="report-code">') >= 3  # and its code folded away
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
