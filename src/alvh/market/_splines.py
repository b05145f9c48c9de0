"""Evaluation of the surface solve's fitted splines in plain numpy, without importing scipy.interpolate.

The SPX surface solve (:mod:`alvh.market.surface`) inverts its tables with a 1-D cubic spline
(``scipy.interpolate.CubicSpline``, a piecewise polynomial) and three bicubic tensor-product B-splines
(``scipy.interpolate.RectBivariateSpline``, FITPACK). The splines are *fitted* with scipy once, when the
tables are built, and their coefficients memoized on disk with the tables; a process that finds the
memo only *evaluates* them, which is what this module does, so that ``import scipy.interpolate``
(0.3-0.5 s of every ``alvh backtest``) is paid only when a table is built.

Both evaluators repeat scipy's own arithmetic, operation by operation, so they return the same bits:

* :class:`PiecewiseCubic` is ``PPoly.__call__`` (scipy/interpolate/_ppoly.pyx ``find_interval`` and
  ``evaluate_poly1``): the interval ``x[i] <= v < x[i + 1]`` (the last one closed; extrapolation with the
  first / last polynomial, NaN for NaN), then ``((0 + c3) + c2 s) + c1 s**2 + c0 s**3`` with the powers
  built by repeated multiplication, ``s = v - x[i]``.
* :class:`TensorBSpline` is ``RectBivariateSpline.ev`` (FITPACK ``bispeu`` -> ``fpbisp`` ->
  ``fpbspl``): each argument clamped to the spline's domain, the knot interval found as fpbisp does,
  the de Boor-Cox basis values, then ``sp = sum_i sum_j (c_ij * wx_i) * wy_j`` in FITPACK's order.

tests/test_market_splines.py asserts equality to the last bit with scipy (the slow reference) on random
and edge points (nodes, domain ends, outside the domain, NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class PiecewiseCubic:
    """A cubic piecewise polynomial in scipy's PPoly layout: breakpoints ``x`` (n,), coefficients ``c`` (4, n-1).

    ``c[m, i]`` multiplies ``(v - x[i]) ** (3 - m)`` on interval ``i``; the object a
    ``scipy.interpolate.CubicSpline`` holds as ``.x`` and ``.c`` (1-D values, extrapolation on).
    """

    x: np.ndarray
    c: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        if self.c.ndim != 2 or self.c.shape[0] != 4 or self.c.shape[1] != self.x.size - 1:
            raise ValueError(f"coefficients of shape {self.c.shape} do not fit {self.x.size} breakpoints")

    def __call__(self, v: np.ndarray | float) -> np.ndarray:
        """Values at ``v`` (any shape), bit-identical to ``CubicSpline(x, y)(v)``."""
        arr = np.asarray(v, dtype=float)
        flat = arr.ravel()
        x = self.x
        i = np.clip(np.searchsorted(x, flat, side="right") - 1, 0, x.size - 2)
        s = flat - x[i]
        c = self.c
        z = s
        res = 0.0 + c[3, i]
        res = res + c[2, i] * z
        z = z * s
        res = res + c[1, i] * z
        z = z * s
        res = res + c[0, i] * z
        res = np.where(np.isnan(flat), np.nan, res)
        return res.reshape(arr.shape)


def _basis(t: np.ndarray, k: int, arg: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """FITPACK ``fpbspl``: the k+1 non-zero B-spline values at ``arg`` on knot interval ``ell`` (0-based)."""
    h = np.zeros((arg.size, k + 1))
    h[:, 0] = 1.0
    for j in range(1, k + 1):
        hh = h[:, :j].copy()
        h[:, 0] = 0.0
        for i in range(1, j + 1):
            tli = t[ell + i]
            tlj = t[ell + i - j]
            same = tli == tlj
            f = hh[:, i - 1] / np.where(same, 1.0, tli - tlj)
            h[:, i - 1] = np.where(same, h[:, i - 1], h[:, i - 1] + f * (tli - arg))
            h[:, i] = np.where(same, 0.0, f * (arg - tlj))
    return h


def _interval(t: np.ndarray, k: int, arg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``fpbisp``'s clamp to [t[k], t[n-k-1]] and knot interval ``ell`` with t[ell] <= arg (ell in [k, n-k-2])."""
    n = t.size
    a = np.minimum(np.maximum(arg, t[k]), t[n - k - 1])  # FITPACK: if (arg < tb) arg = tb; if (arg > te) arg = te
    ell = np.clip(np.searchsorted(t, a, side="right") - 1, k, n - k - 2)
    return a, ell


@dataclass(frozen=True)
class TensorBSpline:
    """A bivariate tensor-product B-spline (FITPACK's ``tck``): knots ``tx``, ``ty``, coefficients ``c``, degrees.

    The object a ``scipy.interpolate.RectBivariateSpline`` holds as ``.tck`` and ``.degrees``.
    """

    tx: np.ndarray
    ty: np.ndarray
    c: np.ndarray = field(repr=False)
    kx: int = 3
    ky: int = 3

    def __post_init__(self) -> None:
        want = (self.tx.size - self.kx - 1) * (self.ty.size - self.ky - 1)
        if self.c.ndim != 1 or self.c.size != want:
            raise ValueError(f"{self.c.size} coefficients where the knots need {want}")

    def ev(self, xi: np.ndarray | float, yi: np.ndarray | float) -> np.ndarray:
        """Values at the points ``(xi[m], yi[m])`` (broadcast), bit-identical to ``RectBivariateSpline.ev``.

        NaN arguments give NaN (FITPACK's clamp leaves NaN in place and its interval search stops at the
        last interval; scipy returns NaN for them too, which the tests check).
        """
        x, y = np.broadcast_arrays(np.asarray(xi, dtype=float), np.asarray(yi, dtype=float))
        shape = x.shape
        x, y = x.ravel(), y.ravel()
        kx, ky = self.kx, self.ky
        ax, lx = _interval(self.tx, kx, x)
        ay, ly = _interval(self.ty, ky, y)
        wx = _basis(self.tx, kx, ax, lx)
        wy = _basis(self.ty, ky, ay, ly)
        nky1 = self.ty.size - ky - 1
        base = (lx - kx) * nky1 + (ly - ky)
        c = self.c
        sp = np.zeros(x.size)
        for i1 in range(kx + 1):  # FITPACK's summation order: sp = sp + c(l2) * h(i1) * wy(j, j1)
            hx = wx[:, i1]
            row = base + i1 * nky1
            for j1 in range(ky + 1):
                sp = sp + c[row + j1] * hx * wy[:, j1]
        return sp.reshape(shape)
