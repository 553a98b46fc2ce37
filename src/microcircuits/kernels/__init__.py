"""Numba kernels: arrays and scalars in, arrays out; no I/O, no Python objects in the loops.

The public face of the package for the layers above: the records (:class:`Network`, :class:`State`), their
kernel views (:func:`kernel_network`, :func:`kernel_state`, :func:`kernel_name`), the phase loop and the replay
(``engine``), and the cache provenance (:func:`source_hash`).  The records' borrowing machinery stays inside.
"""

from .cache import cache_dir, source_hash

__all__ = ["cache_dir", "source_hash"]
