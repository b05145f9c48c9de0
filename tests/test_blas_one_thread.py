"""alvh.analytics._blas.one_thread_matmul: the same product as ``a @ b``, the caller's BLAS threads restored."""

from __future__ import annotations

import numpy as np

from alvh.analytics._blas import _set_threads_local, one_thread_matmul


def _threads_now() -> int | None:
    f = _set_threads_local()
    if f is None:
        return None
    previous = f(1)
    f(previous)
    return int(previous)


def test_one_thread_matmul_equals_the_threaded_product_and_restores_the_thread_count():
    rng = np.random.default_rng(3)
    n_m = 234  # the bootstrap's shape: (4000 draws, months) @ (months, rows)
    draws = rng.integers(0, n_m, size=(4000, n_m))
    w = np.bincount((np.arange(4000)[:, None] * n_m + draws).ravel(), minlength=4000 * n_m)
    w = w.reshape(4000, n_m).astype(float)
    s = rng.normal(size=(n_m, 40))
    before = _threads_now()
    got = one_thread_matmul(w, s)
    assert _threads_now() == before
    assert np.array_equal(got, w @ s)  # the same bits: rows and columns split among threads, never the inner sum
    assert np.array_equal(one_thread_matmul(w, s[:, 0]), w @ s[:, 0])
