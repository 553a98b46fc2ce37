"""What every output records about how it was made: code version, package versions, parameters, time."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

PACKAGES = ("numpy", "numba", "llvmlite", "xarray", "netCDF4", "scipy")


@lru_cache(maxsize=1)
def git_revision() -> str:
    """``git describe --always --dirty`` of the source tree the package was imported from, else the version."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "describe", "--always", "--dirty", "--abbrev=12"],
                             capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown (not a git checkout)"


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance_attrs(params_json: str | None, command: str | None = None, inputs=()) -> dict:
    """Global attributes for a NetCDF file: title-independent provenance (code and package versions, time,
    host) and the CF ``history``, a line per step that made the file, newest first: this step's command, then
    the history of every dataset in ``inputs`` that it was made from (lines already present once)."""
    from .. import __version__
    from ..kernels import source_hash
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    versions = package_versions()
    cmd = command if command is not None else " ".join(sys.argv)
    history = [f"{now}: {cmd}"]
    for ds in inputs:
        for line in str(ds.attrs.get("history", "")).splitlines():
            if line and line not in history:
                history.append(line)
    attrs = {
        "source": f"microcircuits {__version__} (git {git_revision()})",
        "history": "\n".join(history),
        "microcircuits_version": __version__,
        "git_revision": git_revision(),
        "kernel_source_hash": source_hash(),
        "software_versions": json.dumps(versions, sort_keys=True),
        **{f"{k}_version": v for k, v in versions.items()},
        "created": now,
        "host": platform.node(),
    }
    if params_json is not None:
        attrs["params_json"] = params_json
    return attrs


def to_attr(value):
    """NetCDF-safe attribute value: bools as 0/1, None/dicts/nested lists as JSON strings."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if value is None or isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) and len(value) > 1:
            return np.asarray(value)
        return json.dumps(value)
    return value
