"""A matrix product on the calling thread only: :func:`one_thread_matmul`.

Why: the regime table's month-cluster bootstrap multiplies a (4000, months) matrix of draw counts by
the (months, rows) sums (:func:`alvh.analytics.hedge_cost.regime_cost_table`). That product is large
enough for OpenBLAS to wake its worker threads, which then busy-wait for new work long after it
returns: on the real 2006-2025 run they burnt about 0.15 s of CPU during the rest of ``analyze()``
(measured alternately in one process, benchmarks/bench_analysis.py) for a product that takes ~2 ms.
OpenBLAS 0.3.27+ has ``openblas_set_num_threads_local``, which sets the thread count of the calling
thread only and returns the previous one; numpy's bundled OpenBLAS exports it. With one thread the
product is the same dot products by the same kernel (the threaded product splits rows and columns
among threads, never the inner sum): summary.json of the real run is identical with and without.
Without that symbol (another BLAS, an older OpenBLAS) the product is plain ``a @ b``.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray


@functools.cache
def _set_threads_local() -> Any:
    """numpy's OpenBLAS ``openblas_set_num_threads_local`` (int -> previous int), or None."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("libscipy_openblas*")) if libs.is_dir() else []:
        try:
            fn = ctypes.CDLL(str(path)).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None


def one_thread_matmul(a: NDArray[Any], b: NDArray[Any]) -> NDArray[Any]:
    """``a @ b`` with the BLAS on the calling thread (its worker threads left asleep); the same values."""
    set_local = _set_threads_local()
    if set_local is None:
        return a @ b
    previous = set_local(1)
    try:
        return a @ b
    finally:
        set_local(previous)
