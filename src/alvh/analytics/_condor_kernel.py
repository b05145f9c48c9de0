"""Compiled P&L of a short iron condor at many spots (the break-even search's ``backend="numba"``).

:func:`alvh.analytics.steward.break_even_expansion` evaluates the condor's P&L
``C + P(K_lp) - P(K_sp) - C(K_sc) + C(K_lc)`` a few hundred times per case (the spot grid, the
golden-section refinement of the peak, the regula-falsi brackets). The numpy reference prices the
four legs with four :func:`alvh.pricing.bsm_price` calls per evaluation, each with its own
broadcasting and temporaries; this kernel does one pass over (case, spot) with the scalar
closed form of :mod:`alvh.pricing._scalar` (inlined: the one source of the formula), the same
expiry (``t == 0``: intrinsic) and invalid-input (NaN) rules as ``bsm_price``, and the numpy
path's order of the sum. The two agree to a few ulp (``scipy.special.ndtr`` against the C
library's ``erfc``; tests/test_steward.py), so the roots, solved to 1e-12 relative, agree to that.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np

from alvh.pricing._scalar import gbs_factors, gbs_price, intrinsic

AVAILABLE: bool = importlib.util.find_spec("numba") is not None

#: columns of the per-case parameter table ``par`` (n_cases, 12)
PARAMS = ("lp", "sp", "sc", "lc", "t", "v_lp", "v_sp", "v_sc", "v_lc", "rate", "div", "credit")


def _leg(s: float, k: float, t: float, vol: float, r: float, q: float, omega: float) -> float:
    valid = (
        s > 0.0
        and k > 0.0
        and vol > 0.0
        and t >= 0.0
        and math.isfinite(s)
        and math.isfinite(k)
        and math.isfinite(vol)
        and math.isfinite(t)
        and math.isfinite(r)
        and math.isfinite(q)
    )
    if not valid:
        return np.nan
    if t == 0.0:
        return intrinsic(s, k, omega)
    b = r - q
    sqrt_t, carry_df, df = gbs_factors(t, r, b)
    return gbs_price(s, k, t, vol, b, omega, math.log(s / k), sqrt_t, carry_df, df)


def _condor_pnl(spot, par, out):  # pragma: no cover - compiled
    """``out[i, j]`` = P&L per condor of case ``i`` (row of ``par``) at ``spot[i, j]`` (index points)."""
    for i in range(spot.shape[0]):
        lp, sp, sc, lc = par[i, 0], par[i, 1], par[i, 2], par[i, 3]
        t, r, q, credit = par[i, 4], par[i, 9], par[i, 10], par[i, 11]
        for j in range(spot.shape[1]):
            s = spot[i, j]
            value = (
                (leg(s, lp, t, par[i, 5], r, q, -1.0) - leg(s, sp, t, par[i, 6], r, q, -1.0))
                - leg(s, sc, t, par[i, 7], r, q, 1.0)
            ) + leg(s, lc, t, par[i, 8], r, q, 1.0)
            out[i, j] = credit + value


leg: Any
condor_pnl_kernel: Any
if AVAILABLE:
    import numba as _nb

    leg = _nb.njit(inline="always", cache=True)(_leg)
    condor_pnl_kernel = _nb.njit(cache=True, nogil=True)(_condor_pnl)
else:  # pragma: no cover
    leg = _leg
    condor_pnl_kernel = None


def condor_pnl(spot: np.ndarray, par: np.ndarray) -> np.ndarray:
    """P&L at ``spot`` of shape ``(n_cases,)`` or ``(n_cases, n)`` for the cases of ``par`` (n_cases, 12)."""
    s2 = np.ascontiguousarray(spot, dtype=np.float64).reshape(par.shape[0], -1)
    out = np.empty_like(s2)
    if s2.size:
        condor_pnl_kernel(s2, par, out)
    return out.reshape(np.shape(spot))
