"""The kernels' on-disk cache, kept apart from Numba's configuration.

Numba's own cache does not notice edits to a jitted function that lives in another file (the engine compiles
the model steps into its loops).  So this package's kernels cache in a directory named after a hash of all
kernel sources and the Numba version: an edit means a new directory, never a stale kernel.  The base is
``$MICROCIRCUITS_CACHE_DIR``, else ``$XDG_CACHE_HOME/microcircuits`` (``~/.cache``).

Only functions decorated with :func:`kernel_jit` use it; they carry a cache object of their own, so importing
the package changes nothing in Numba's configuration and nothing for anyone else's jitted code.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numba
from numba import njit
from numba.core.caching import (
    CompileResultCacheImpl,
    FunctionCache,
    UserProvidedCacheLocator,
)

KERNEL_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def source_hash() -> str:
    """Hash of the kernel sources and the Numba version (also recorded in outputs as provenance)."""
    h = hashlib.sha256(numba.__version__.encode())
    for f in sorted(KERNEL_DIR.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> str:
    base = os.environ.get("MICROCIRCUITS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "microcircuits")
    return os.path.join(base, f"numba-{source_hash()}")


class _KernelLocator(UserProvidedCacheLocator):
    """Numba's locator for a user-given directory, pointed at :func:`cache_dir` instead of its config."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(cache_dir(), self.get_suitable_cache_subpath(py_file))

    @classmethod
    def from_function(cls, py_func, py_file):
        # skip UserProvidedCacheLocator's check of numba.config.CACHE_DIR: ours is never unset
        return super(UserProvidedCacheLocator, cls).from_function(py_func, py_file)


class _KernelCacheImpl(CompileResultCacheImpl):
    _locator_classes = [_KernelLocator]


class _KernelCache(FunctionCache):
    _impl_class = _KernelCacheImpl


def kernel_jit(**options):
    """``numba.njit(**options)`` whose compiled code is cached in :func:`cache_dir`."""
    def decorate(fn):
        dispatcher = njit(**options)(fn)
        dispatcher._cache = _KernelCache(dispatcher.py_func)
        return dispatcher
    return decorate
