"""Compiled P&L of a short iron condor at many spots (the break-even search's ``backend="numba"``).

:func:`alvh.analytics.steward.break_even_expansion` evaluates the condor's P&L
``C + P(K_lp) - P(K_sp) - C(K_sc) + C(K_lc)`` a few hundred times per case (the spot grid, the
golden-section refinement of the peak, the regula-falsi brackets). The numpy reference prices the
four legs with four :func:`alvh.pricing.bsm_price` calls per evaluation, each with its own
broadcasting and temporaries; this kernel does one pass over (case, spot) with the scalar
closed form of :mod:`alvh.pricing._scalar` (inlined: the one source of the formula), the same
expiry (``t == 0``: intrinsic) and invalid-input (NaN) rules as ``bsm_price``, and the numpy
path's order of the sum. What depends on the case only (the legs' validity, the time factors
``sqrt t``, ``e^{-qt}``, ``e^{-rt}``) is computed once per case, not per spot and leg: the
per-spot cost is then the four ``ln(S/K)`` and eight normal CDFs (~40 ns a leg), and the values
are the bits of a per-leg evaluation. The kernel and the numpy reference agree to a few ulp
(``scipy.special.ndtr`` against the C library's ``erfc``; tests/test_steward.py), so the roots,
solved to 1e-12 relative, agree to that.
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


def _condor_pnl(spot, par, out):  # pragma: no cover - compiled
    """``out[i, j]`` = P&L per condor of case ``i`` (row of ``par``) at ``spot[i, j]`` (index points).

    What depends on the case only is computed once per row, not once per spot and leg: the legs'
    validity (``bsm_price``'s rule: strike, vol, t, rate and dividend finite, strike and vol > 0, t >= 0; the
    spot is checked per spot) and the time factors :func:`gbs_factors` of ``(t, r, b)``, which are the same
    values a per-leg evaluation computes, so the P&L has the same bits."""
    for i in range(spot.shape[0]):
        lp, sp, sc, lc = par[i, 0], par[i, 1], par[i, 2], par[i, 3]
        t, r, q, credit = par[i, 4], par[i, 9], par[i, 10], par[i, 11]
        v_lp, v_sp, v_sc, v_lc = par[i, 5], par[i, 6], par[i, 7], par[i, 8]
        case_ok = (
            t >= 0.0
            and math.isfinite(t)
            and math.isfinite(r)
            and math.isfinite(q)
            and _strike_vol_ok(lp, v_lp)
            and _strike_vol_ok(sp, v_sp)
            and _strike_vol_ok(sc, v_sc)
            and _strike_vol_ok(lc, v_lc)
        )
        m = spot.shape[1]
        if not case_ok:
            for j in range(m):
                out[i, j] = np.nan
            continue
        b = r - q
        if t == 0.0:
            for j in range(m):
                s = spot[i, j]
                if not (s > 0.0 and math.isfinite(s)):
                    out[i, j] = np.nan
                    continue
                value = ((intrinsic(s, lp, -1.0) - intrinsic(s, sp, -1.0)) - intrinsic(s, sc, 1.0)) + intrinsic(
                    s, lc, 1.0
                )
                out[i, j] = credit + value
            continue
        sqrt_t, carry_df, df = gbs_factors(t, r, b)
        for j in range(m):
            s = spot[i, j]
            if not (s > 0.0 and math.isfinite(s)):
                out[i, j] = np.nan
                continue
            p_lp = gbs_price(s, lp, t, v_lp, b, -1.0, math.log(s / lp), sqrt_t, carry_df, df)
            p_sp = gbs_price(s, sp, t, v_sp, b, -1.0, math.log(s / sp), sqrt_t, carry_df, df)
            c_sc = gbs_price(s, sc, t, v_sc, b, 1.0, math.log(s / sc), sqrt_t, carry_df, df)
            c_lc = gbs_price(s, lc, t, v_lc, b, 1.0, math.log(s / lc), sqrt_t, carry_df, df)
            out[i, j] = credit + (((p_lp - p_sp) - c_sc) + c_lc)


def _strike_vol_ok(k: float, vol: float) -> bool:
    return k > 0.0 and vol > 0.0 and math.isfinite(k) and math.isfinite(vol)


condor_pnl_kernel: Any
if AVAILABLE:
    import numba as _nb

    _strike_vol_ok = _nb.njit(inline="always", cache=True)(_strike_vol_ok)
    condor_pnl_kernel = _nb.njit(cache=True, nogil=True)(_condor_pnl)
else:  # pragma: no cover
    condor_pnl_kernel = None


def condor_pnl(spot: np.ndarray, par: np.ndarray) -> np.ndarray:
    """P&L at ``spot`` of shape ``(n_cases,)`` or ``(n_cases, n)`` for the cases of ``par`` (n_cases, 12)."""
    s2 = np.ascontiguousarray(spot, dtype=np.float64).reshape(par.shape[0], -1)
    out = np.empty_like(s2)
    if s2.size:
        condor_pnl_kernel(s2, par, out)
    return out.reshape(np.shape(spot))
