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

from alvh.pricing._scalar import INV_SQRT_2PI, gbs_d1_d2, gbs_factors, gbs_price, intrinsic, ncdf

AVAILABLE: bool = importlib.util.find_spec("numba") is not None
_LN4 = math.log(4.0)

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


def _leg3(s, k, t, vol, b, omega, sqrt_t, carry_df, df, need_gamma):  # pragma: no cover - compiled
    """One leg's ``(price, delta, gamma)`` at ``t > 0``: the price is :func:`gbs_price`'s expression (its
    bits), delta ``omega e^{(b-r)t} N(omega d1)``, gamma ``e^{(b-r)t} n(d1) / (S sigma sqrt t)`` (0 unless
    ``need_gamma``)."""
    d1, d2, sig_rt = gbs_d1_d2(math.log(s / k), t, vol, b, sqrt_t)
    n1 = ncdf(omega * d1)
    price = omega * (s * carry_df * n1 - k * df * ncdf(omega * d2))
    gamma = carry_df * INV_SQRT_2PI * math.exp(-0.5 * d1 * d1) / (s * sig_rt) if need_gamma else 0.0
    return price, omega * carry_df * n1, gamma


def _pnl3(s, p, sqrt_t, carry_df, df, need_gamma):  # pragma: no cover - compiled
    """The condor's P&L at ``s`` (the bits of :func:`_condor_pnl`) with its first and second derivative in S."""
    t, b = p[4], p[9] - p[10]
    f_lp, d_lp, g_lp = _leg3(s, p[0], t, p[5], b, -1.0, sqrt_t, carry_df, df, need_gamma)
    f_sp, d_sp, g_sp = _leg3(s, p[1], t, p[6], b, -1.0, sqrt_t, carry_df, df, need_gamma)
    f_sc, d_sc, g_sc = _leg3(s, p[2], t, p[7], b, 1.0, sqrt_t, carry_df, df, need_gamma)
    f_lc, d_lc, g_lc = _leg3(s, p[3], t, p[8], b, 1.0, sqrt_t, carry_df, df, need_gamma)
    f = p[11] + (((f_lp - f_sp) - f_sc) + f_lc)
    return f, ((d_lp - d_sp) - d_sc) + d_lc, ((g_lp - g_sp) - g_sc) + g_lc


def _grid_spot(i, llp, llc, n_outer, n_inner):  # pragma: no cover - compiled
    """Spot ``i`` of :func:`alvh.analytics.steward._spot_grid`'s grid (log-spaced: ``n_outer`` points in
    ``[K_lp/4, K_lp)``, ``n_inner`` in ``[K_lp, K_lc]``, ``n_outer`` in ``(K_lc, 4 K_lc]``), computed alone."""
    if i < n_outer:
        return math.exp(llp - _LN4 * (1.0 - i * (1.0 / n_outer)))
    i -= n_outer
    if i < n_inner:
        v = 1.0 if i == n_inner - 1 else i * (1.0 / (n_inner - 1))
        return math.exp(llp + (llc - llp) * v)
    i -= n_inner
    return math.exp(llc + _LN4 * (1.0 - (n_outer - 1 - i) * (1.0 / n_outer)))


def _grid_f(i, row, s, p, sqrt_t, carry_df, df):  # pragma: no cover - compiled
    """The P&L at grid point ``i`` (memoised in ``row``; NaN = not priced yet; a non-finite P&L is -inf)."""
    v = row[i]
    if v != v:
        v = _pnl3(s[i], p, sqrt_t, carry_df, df, False)[0]
        if not math.isfinite(v):
            v = -math.inf
        row[i] = v
    return v


def _newton_root(a, fa, b, fb, p, sqrt_t, carry_df, df, max_iter):  # pragma: no cover - compiled
    """Root of the P&L in ``[a, b]`` (``fa`` and ``fb`` of opposite signs): Newton steps with the analytic
    delta, kept inside the bracket (a step that leaves it, or a flat P&L, bisects), from the chord's point.
    Done when the step's predicted error ``|f''/(2 f')| dx^2`` (Newton's quadratic convergence; gamma is
    analytic) is below 1e-15 relative with the step itself below 1e-6 relative (so a cubic term cannot
    matter), or the bracket is 1e-12 relative wide, or the P&L is exactly 0."""
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    x = a - fa * (b - a) / (fb - fa)
    if not (math.isfinite(x) and min(a, b) < x < max(a, b)):
        x = 0.5 * (a + b)
    neg_a = fa < 0.0
    for _ in range(max_iter):
        f, d, g = _pnl3(x, p, sqrt_t, carry_df, df, True)
        if f == 0.0:
            return x
        if (f < 0.0) == neg_a:
            a = x
        else:
            b = x
        dx = -f / d
        xn = x + dx
        lo, hi = min(a, b), max(a, b)
        scale = max(1.0, abs(x))
        if not (math.isfinite(xn) and lo < xn < hi):
            xn = 0.5 * (a + b)
        elif abs(dx) <= 1e-6 * scale and abs(0.5 * g / d) * dx * dx <= 1e-15 * scale:
            return xn
        if hi - lo <= 1e-12 * max(1.0, abs(xn)):
            return xn
        x = xn
    return x


def _case_ok(p):  # pragma: no cover - compiled
    """``bsm_price``'s validity rule for the case's legs at ``t > 0`` (``t == 0``: the expiry search's)."""
    return (
        p[4] > 0.0
        and math.isfinite(p[4])
        and math.isfinite(p[9])
        and math.isfinite(p[10])
        and _strike_vol_ok(p[0], p[5])
        and _strike_vol_ok(p[1], p[6])
        and _strike_vol_ok(p[2], p[7])
        and _strike_vol_ok(p[3], p[8])
    )


def _climb(im, row, s, p, sqrt_t, carry_df, df):  # pragma: no cover - compiled
    """The grid's argmax from ``im``: uphill to a local maximum (ties to the lower index, as argmax's first
    maximum); where a grid end is as high (a plateau beyond a wing narrower than the credit above the
    body's peak), the whole grid's argmax."""
    n = s.shape[0]
    fm = _grid_f(im, row, s, p, sqrt_t, carry_df, df)
    while True:
        if im > 0 and _grid_f(im - 1, row, s, p, sqrt_t, carry_df, df) >= fm:
            im -= 1
        elif im < n - 1 and _grid_f(im + 1, row, s, p, sqrt_t, carry_df, df) > fm:
            im += 1
        else:
            break
        fm = row[im]
    if _grid_f(0, row, s, p, sqrt_t, carry_df, df) >= fm or _grid_f(n - 1, row, s, p, sqrt_t, carry_df, df) > fm:
        for m in range(n):
            _grid_f(m, row, s, p, sqrt_t, carry_df, df)
        im = int(np.argmax(row))
    return im


def _refine_peak(im, row, s, p, sqrt_t, carry_df, df):  # pragma: no cover - compiled
    """``(peak_spot, peak_pnl)``: Newton steps on the delta (the analytic gamma) between the grid neighbours
    of ``im``, from the vertex of the parabola through the three grid values, bisecting on the delta's sign
    when a step leaves the bracket or the P&L is not concave; done when a step is below 1e-7 relative (the
    P&L is then off its maximum by gamma x step^2 / 2) or the bracket is 1e-8 relative wide. The highest
    P&L priced (the grid point included) is the peak."""
    n = s.shape[0]
    peak_s, peak_f = s[im], row[im]
    a, b = s[max(im - 1, 0)], s[min(im + 1, n - 1)]
    x = peak_s
    if 0 < im < n - 1:
        fa, fc = row[im - 1], row[im + 1]
        u, w = (peak_s - a) * (peak_f - fc), (peak_s - b) * (peak_f - fa)
        xv = peak_s - 0.5 * ((peak_s - a) * u - (peak_s - b) * w) / (u - w)
        if math.isfinite(xv) and a < xv < b:
            x = xv
    for _ in range(100):
        f, d, g = _pnl3(x, p, sqrt_t, carry_df, df, True)
        if f > peak_f:
            peak_s, peak_f = x, f
        if d > 0.0:
            a = x
        elif d < 0.0:
            b = x
        else:
            break
        xn = x - d / g
        if not (g < 0.0 and math.isfinite(xn) and a < xn < b):
            xn = 0.5 * (a + b)
        elif abs(xn - x) <= 1e-7 * x:
            break
        if b - a <= 1e-8 * b:
            break
        x = xn
    return peak_s, peak_f


def _condor_zone(grid_shape, par, max_iter, out):  # pragma: no cover - compiled
    """Per case ``i`` (row of ``par``): ``out[i] = (lower, upper, peak_spot, peak_pnl)`` of the P&L at the
    current mark (``t > 0``; other rows are left NaN), on the grid ``grid_shape = (n_outer, n_inner)`` of
    :func:`alvh.analytics.steward._spot_grid` (its points computed when needed, :func:`_grid_spot`).

    The grid's peak (:func:`_climb` from the inner grid point nearest the short strikes' geometric mean),
    refined (:func:`_refine_peak`); the brackets are the profit-zone search's
    (:func:`alvh.analytics.steward.profit_zone`): the last grid point <= 0 below the peak and the next grid
    point or the peak, alike above, found by walking out from the peak, so only the grid points between
    the peak and the break-evens are priced; each root by :func:`_newton_root`."""
    n_outer, n_inner = grid_shape
    n = 2 * n_outer + n_inner
    row = np.empty(n)
    s = np.empty(n)
    for i in range(par.shape[0]):
        p = par[i]
        out[i, 0] = out[i, 1] = out[i, 2] = out[i, 3] = np.nan
        if not _case_ok(p):
            continue
        llp, llc = math.log(p[0]), math.log(p[3])
        for m in range(n):
            s[m] = _grid_spot(m, llp, llc, n_outer, n_inner)
        sqrt_t, carry_df, df = gbs_factors(p[4], p[9], p[9] - p[10])
        row[:] = np.nan
        v_mid = (0.5 * (math.log(p[1]) + math.log(p[2])) - llp) / (llc - llp)
        im = _climb(min(max(n_outer + round(v_mid * (n_inner - 1)), 0), n - 1), row, s, p, sqrt_t, carry_df, df)
        peak_s, peak_f = _refine_peak(im, row, s, p, sqrt_t, carry_df, df)
        out[i, 2], out[i, 3] = peak_s, peak_f
        if not peak_f > 0.0:
            continue  # no zone: both NaN
        # the last grid point <= 0 below the peak / the first above it, walking out from the peak
        j = min(im + 1, n - 1)
        while j >= 0 and not s[j] < peak_s:
            j -= 1
        while j >= 0 and _grid_f(j, row, s, p, sqrt_t, carry_df, df) > 0.0:
            j -= 1
        k = max(im - 1, 0)
        while k < n and not s[k] > peak_s:
            k += 1
        while k < n and _grid_f(k, row, s, p, sqrt_t, carry_df, df) > 0.0:
            k += 1
        if j < 0:
            out[i, 0] = -math.inf
        else:
            hi, f_hi = (s[j + 1], row[j + 1]) if s[j + 1] < peak_s else (peak_s, peak_f)
            out[i, 0] = _newton_root(s[j], row[j], hi, f_hi, p, sqrt_t, carry_df, df, max_iter)
        if k >= n:
            out[i, 1] = math.inf
        else:
            lo, f_lo = (s[k - 1], row[k - 1]) if s[k - 1] > peak_s else (peak_s, peak_f)
            out[i, 1] = _newton_root(lo, f_lo, s[k], row[k], p, sqrt_t, carry_df, df, max_iter)


condor_pnl_kernel: Any
condor_zone_kernel: Any
if AVAILABLE:
    import numba as _nb

    _strike_vol_ok = _nb.njit(inline="always", cache=True)(_strike_vol_ok)
    condor_pnl_kernel = _nb.njit(cache=True, nogil=True)(_condor_pnl)
    _leg3 = _nb.njit(inline="always", cache=True)(_leg3)
    _pnl3 = _nb.njit(inline="always", cache=True)(_pnl3)
    _grid_spot = _nb.njit(inline="always", cache=True)(_grid_spot)
    _grid_f = _nb.njit(cache=True)(_grid_f)
    _newton_root = _nb.njit(cache=True)(_newton_root)
    _case_ok = _nb.njit(inline="always", cache=True)(_case_ok)
    _climb = _nb.njit(cache=True)(_climb)
    _refine_peak = _nb.njit(cache=True)(_refine_peak)
    condor_zone_kernel = _nb.njit(cache=True, nogil=True)(_condor_zone)
else:  # pragma: no cover
    condor_pnl_kernel = condor_zone_kernel = None


def condor_pnl(spot: np.ndarray, par: np.ndarray) -> np.ndarray:
    """P&L at ``spot`` of shape ``(n_cases,)`` or ``(n_cases, n)`` for the cases of ``par`` (n_cases, 12)."""
    s2 = np.ascontiguousarray(spot, dtype=np.float64).reshape(par.shape[0], -1)
    out = np.empty_like(s2)
    if s2.size:
        condor_pnl_kernel(s2, par, out)
    return out.reshape(np.shape(spot))


def condor_zone(par: np.ndarray, grid_shape: tuple[int, int], max_iter: int = 200) -> np.ndarray:
    """``(n_cases, 4)``: lower, upper, peak spot, peak P&L of each case of ``par`` (n_cases, 12) searched on
    the grid ``grid_shape = (n_outer, n_inner)``; rows with ``t == 0`` or invalid inputs are NaN."""
    out = np.empty((par.shape[0], 4))
    if par.shape[0]:
        condor_zone_kernel((int(grid_shape[0]), int(grid_shape[1])), np.ascontiguousarray(par), max_iter, out)
    return out
