"""Numba kernels: arrays and scalars in, arrays out; no I/O, no Python objects in the loops.

Numba's on-disk cache does not notice edits to a jitted function that lives in another file (the engine
compiles the model steps into its loops).  So the cache of this package lives in a directory named after a
hash of all kernel sources and the Numba version: an edit means a new directory, never a stale kernel.
The base directory is ``$MICROCIRCUITS_CACHE_DIR``, else ``$XDG_CACHE_HOME/microcircuits`` (``~/.cache``).
"""

import hashlib
import os
from pathlib import Path

import numba
from numba.core import config as _numba_config


def source_hash() -> str:
    """Hash of the kernel sources and the Numba version (also recorded in outputs as provenance)."""
    h = hashlib.sha256(numba.__version__.encode())
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> str:
    base = os.environ.get("MICROCIRCUITS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "microcircuits")
    return os.path.join(base, f"numba-{source_hash()}")


_numba_config.CACHE_DIR = cache_dir()
