"""Compiled one-pass fills of the diagnostic drag and the hedge cost (``backend="numba"``).

The numpy paths of :func:`alvh.analytics.drag.compute_drag` and
:func:`alvh.analytics.hedge_cost.hedge_cost` are the reference. They run a dozen whole-array
passes over (n_days, n_paths, n_layers) views (about 60 MB each at 10,000 paths): most of their
time is memory traffic. The kernels here read each input cell once and write every output in the
same (day, path, layer) pass, with the *same scalar operations in the same order* as the numpy
expressions, so the results are bit-identical (no fastmath, no reassociation; checked in
tests/test_analytics_fused.py on a multi-path engine run).

Call them through the two public functions with ``backend="auto"`` (numba from
:data:`AUTO_CELLS` (day, path, layer) cells on) or ``backend="numba"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: (day, path, layer) cells from which backend="auto" uses the compiled fills (below, numpy's
#: per-call cost is lower; the real-data run, ~5,000 days x 1 path x 3 layers, stays on numpy).
AUTO_CELLS = 200_000


def _drag_fill(  # pragma: no cover - compiled
    pnl,
    notional,
    capital,
    dcore,
    ev,
    has_ev,
    layer_idx,
    move_idx,
    i_theta,
    i_carry,
    i_costs,
    i_fin,
    i_int,
    bp,
    daily,
    counterfactual,
    maturity,
    decorrelation,
):
    """Fill ``daily`` (4, d, p, l), ``counterfactual``, ``maturity``, ``decorrelation`` (d, p, l).

    Scalar for scalar the numpy path of compute_drag: ``to_bp = bp / capital``, ``neg = -to_bp``,
    ``move = ((t0 + t1) + t2) + ...``, ``daily0 = (theta + carry) * neg``,
    ``daily1 = (notional * dc - move) * to_bp``, ``daily2 = costs * neg``, ``daily3 = (fin + interest) * neg``,
    ``maturity = ((notional - ev) * dc) * to_bp``, ``decorrelation = (ev * dc - move) * to_bp``.
    """
    n_days = capital.shape[0]
    n_paths = capital.shape[1]
    n_layers = layer_idx.shape[0]
    n_move = move_idx.shape[0]
    for d in _prange(n_days):
        for p in range(n_paths):
            to_bp = bp / capital[d, p]
            neg = -to_bp
            dc = dcore[d, p]
            for j in range(n_layers):
                g = layer_idx[j]
                move = pnl[move_idx[0], d, p, g] + pnl[move_idx[1], d, p, g]
                for k in range(2, n_move):
                    move = move + pnl[move_idx[k], d, p, g]
                cf = notional[d, p, g] * dc
                counterfactual[d, p, j] = cf
                daily[0, d, p, j] = (pnl[i_theta, d, p, g] + pnl[i_carry, d, p, g]) * neg
                daily[1, d, p, j] = (cf - move) * to_bp
                daily[2, d, p, j] = pnl[i_costs, d, p, g] * neg
                daily[3, d, p, j] = (pnl[i_fin, d, p, g] + pnl[i_int, d, p, g]) * neg
                if has_ev:
                    e = ev[d, p, g]
                    maturity[d, p, j] = ((notional[d, p, g] - e) * dc) * to_bp
                    decorrelation[d, p, j] = (e * dc - move) * to_bp


def _hedge_fill(  # pragma: no cover - compiled
    pnl,
    total,
    ev,
    dvix,
    layer_idx,
    i_theta,
    i_carry,
    i_vov,
    i_costs,
    i_fin,
    i_int,
    out,
):
    """Fill ``out`` (6, d, p, l) with hedge_cost's terms, as its numpy path:
    carry = theta + carry, spot_vix = ev * dvix, option_vol, costs copied, financing = financing + interest, and
    curve = ((((total - carry) - spot_vix) - option_vol) - costs) - financing."""
    n_days = dvix.shape[0]
    n_paths = dvix.shape[1]
    n_layers = layer_idx.shape[0]
    for d in _prange(n_days):
        for p in range(n_paths):
            dv = dvix[d, p]
            for j in range(n_layers):
                g = layer_idx[j]
                c0 = pnl[i_theta, d, p, g] + pnl[i_carry, d, p, g]
                c1 = ev[d, p, g] * dv
                c3 = pnl[i_vov, d, p, g]
                c4 = pnl[i_costs, d, p, g]
                c5 = pnl[i_fin, d, p, g] + pnl[i_int, d, p, g]
                out[0, d, p, j] = c0
                out[1, d, p, j] = c1
                out[3, d, p, j] = c3
                out[4, d, p, j] = c4
                out[5, d, p, j] = c5
                out[2, d, p, j] = ((((total[d, p, g] - c0) - c1) - c3) - c4) - c5


_prange: Any
drag_fill: Any
hedge_fill: Any
try:  # numba is a declared dependency; the numpy paths cover its absence
    import numba as _nb

    _prange = _nb.prange
    drag_fill = _nb.njit(parallel=True, cache=True, nogil=True)(_drag_fill)
    hedge_fill = _nb.njit(parallel=True, cache=True, nogil=True)(_hedge_fill)
except ImportError:  # pragma: no cover
    _prange = range
    drag_fill = None
    hedge_fill = None


def index_array(idx: list[int] | slice, n: int) -> np.ndarray:
    """Group indices (a list or a contiguous slice over ``n`` groups) as an intp array for the kernels."""
    if isinstance(idx, slice):
        return np.arange(n, dtype=np.intp)[idx]
    return np.asarray(idx, dtype=np.intp)
