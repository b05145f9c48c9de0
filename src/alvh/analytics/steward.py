"""Steward analytics: per-layer IRR, regressions on SPX returns and the variance risk premium,
and the core iron condor's break-even points as implied volatility rises.

Definitions, defaults and their sources: docs/analytics.md, section "Steward analytics".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from alvh.errors import InputError
from alvh.pricing import bsm_price
from alvh.pricing.backend import resolve_backend
from alvh.pricing.units import VOL_POINTS_PER_UNIT
from alvh.stats.irr import irr

__all__ = [
    "BreakEvenResult",
    "break_even_expansion",
    "profit_zone",
    "layer_irr",
    "realized_variance",
    "steward_regression",
    "variance_risk_premium",
]

TRADING_DAYS_PER_YEAR = 252


def _dated(s: pd.Series, name: str) -> pd.Series:
    if not isinstance(s, pd.Series) or not isinstance(s.index, pd.DatetimeIndex):
        raise InputError(f"got {type(s).__name__}", argument=name, expected="a pandas Series indexed by dates")
    if s.index.has_duplicates or not s.index.is_monotonic_increasing:
        raise InputError("dates unsorted or repeated", argument=name, expected="sorted unique trading days")
    return s.astype(np.float64)


# ------------------------------------------------------------------------------ IRR
def layer_irr(cash_flows: pd.DataFrame) -> pd.DataFrame:
    """Annualized money-weighted return (IRR) of each layer's dated cash flows.

    Parameters
    ----------
    cash_flows : DataFrame
        Index: dates (ACT/365 times from the first row); one column per layer; dollars from the
        trader's side (negative = paid: purchases, costs, margin posted; positive = received:
        sales, settlements) and the last row must include the mark of positions still held.

    Returns
    -------
    DataFrame indexed by layer: ``irr`` (decimal per year), ``reason`` ("" or why NaN),
    ``sign_changes``, ``paid`` and ``received`` (dollar totals).
    """
    if not isinstance(cash_flows, pd.DataFrame) or not isinstance(cash_flows.index, pd.DatetimeIndex):
        raise InputError(
            "not a DataFrame with a DatetimeIndex",
            argument="cash_flows",
            expected="dates x layers DataFrame of dollars",
        )
    values = cash_flows.to_numpy(dtype=np.float64)
    res = irr(values, cash_flows.index)
    return pd.DataFrame(
        {
            "irr": res.rate,
            "reason": res.reason,
            "sign_changes": res.sign_changes,
            "paid": np.where(values < 0, values, 0.0).sum(axis=0),
            "received": np.where(values > 0, values, 0.0).sum(axis=0),
        },
        index=pd.Index([str(c) for c in cash_flows.columns], name="layer"),
    )


# ---------------------------------------------------------------------------- VRP
def realized_variance(spx_close: pd.Series, window: int = 21) -> pd.Series:
    r"""Trailing annualized realized variance of SPX log returns.

    :math:`RV_t = \frac{252}{w} \sum_{s=t-w+1}^{t} r_s^2`, :math:`r_s = \ln(S_s / S_{s-1})`
    (no mean subtracted, the convention of variance swaps and of Carr & Wu 2009). Uses closes up
    to and including day t only. NaN for the first ``window`` rows; a missing close raises.
    """
    s = _dated(spx_close, "spx_close")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
        raise InputError(f"got {window!r}", argument="window", expected="an integer >= 2")
    if len(s) <= window:
        raise InputError(
            f"{len(s)} closes for a {window}-day window", argument="spx_close", expected=f"more than {window} closes"
        )
    x = s.to_numpy()
    if not (np.isfinite(x) & (x > 0)).all():
        bad = s.index[int(np.flatnonzero(~(np.isfinite(x) & (x > 0)))[0])]
        raise InputError(
            f"missing or non-positive close on {bad.date()}",
            argument="spx_close",
            expected="a positive close on every trading day",
        )
    r = np.r_[np.nan, np.diff(np.log(x))]
    rv = pd.Series(r * r, index=s.index).rolling(window, min_periods=window).sum() * (TRADING_DAYS_PER_YEAR / window)
    return rv.rename(f"rv{window}")


def variance_risk_premium(vix: pd.Series, spx_close: pd.Series, window: int = 21) -> pd.Series:
    r"""Variance risk premium :math:`VRP_t = (VIX_t/100)^2 - RV_t` (annualized variance, decimal^2).

    Both terms are known at the close of day t (VIX close, trailing realized variance), so the
    series has no look-ahead. Note the horizons differ: VIX^2 prices the next 30 calendar days,
    RV is the past ``window`` trading days (the "backward" VRP proxy; Bollerslev, Tauchen & Zhou
    2009 use the same construction with high-frequency RV).
    """
    v = _dated(vix, "vix")
    rv = realized_variance(spx_close, window)
    if not v.index.equals(rv.index):
        raise InputError("index differs from spx_close's", argument="vix", expected="the same trading days")
    return ((v / VOL_POINTS_PER_UNIT) ** 2 - rv).rename("vrp")


def _ols(
    y: NDArray[np.float64], design: NDArray[np.float64], *, hac_lags: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """OLS coefficients, standard errors and R^2: statsmodels' ``OLS(y, X).fit()`` in plain numpy.

    The same operations in the same order as statsmodels 0.14/0.15 (``method="pinv"``): the SVD
    pseudo-inverse ``P`` of ``X`` (singular values below ``1e-15 * max`` dropped), ``b = P y``,
    the normalized covariance ``P P'``; classical errors ``P P' * ssr / (n - rank)``, or Newey-West
    HAC with Bartlett weights ``1 - l/(L+1)`` and no small-sample correction (statsmodels'
    ``cov_type="HAC"`` default): ``(P P') S (P P')'`` with ``S = sum_l w_l (G_l + G_l')`` of the
    scores ``x_t u_t``. R^2 is ``1 - ssr / centered tss`` (``X`` holds a constant).
    Tested equal to statsmodels in tests/test_steward.py (statsmodels is no longer imported here:
    its import alone cost a backtest process about 1.8 s).
    """
    u, sv, vt = np.linalg.svd(design, False)
    cutoff = 1e-15 * np.maximum.reduce(sv)
    inv = np.where(sv > cutoff, 1.0 / np.where(sv > cutoff, sv, 1.0), 0.0)
    pinv = np.dot(np.transpose(vt), np.multiply(inv[:, np.newaxis], np.transpose(u)))
    norm_cov = np.dot(pinv, np.transpose(pinv))
    params = np.dot(pinv, y)
    resid = y - np.dot(design, params)
    ssr = float(np.dot(resid, resid))
    if hac_lags is None:
        rank = int(np.linalg.matrix_rank(np.diag(sv)))
        cov = norm_cov * (ssr / (design.shape[0] - rank))
    else:
        xu = design * resid[:, None]
        s_hac = 1.0 * np.dot(xu.T, xu)
        for lag in range(1, hac_lags + 1):
            g = np.dot(xu[lag:].T, xu[:-lag])
            s_hac += (1 - lag / (hac_lags + 1.0)) * (g + g.T)
        cov = np.dot(np.dot(norm_cov, s_hac), norm_cov.T)
    centered = y - y.mean()
    return params, np.sqrt(np.diag(cov)), 1 - ssr / float(np.dot(centered, centered))


def steward_regression(
    layer_returns: pd.DataFrame,
    spx_close: pd.Series,
    vix: pd.Series,
    *,
    rv_window: int = 21,
    vrp_lag: int = 1,
    cov_type: Literal["nonrobust", "HAC"] = "nonrobust",
    hac_maxlags: int | None = None,
    missing: Literal["raise", "drop"] = "raise",
    risk_free: pd.Series | None = None,
) -> pd.DataFrame:
    r"""Per-layer OLS: :math:`y_t = \alpha + \beta_{spx} r^{spx}_t + \beta_{vrp} VRP_{t-L} + \varepsilon_t`.

    Parameters
    ----------
    layer_returns : DataFrame
        Dates x layers: each layer's daily return (e.g. P&L in dollars / capital, decimal).
    spx_close, vix : Series
        On the same dates. :math:`r^{spx}_t = S_t/S_{t-1} - 1` (simple daily return).
    rv_window : int
        Trailing window of the realized variance in the VRP (21 trading days ~ one month).
    vrp_lag : int
        ``L``: 1 (default) uses the VRP at the previous close, known before the day's return
        (a conditioning state, no look-ahead); 0 regresses on the same day's VRP.
    cov_type : {"nonrobust", "HAC"}
        Classical OLS standard errors or Newey-West HAC (as statsmodels computes them) with ``hac_maxlags``
        (default ``floor(4 (n/100)^{2/9})``, Newey & West 1994's rule of thumb).
    missing : {"raise", "drop"}
        A NaN in a layer's returns or a regressor on a used day raises (naming layer and date),
        or with "drop" the day is left out of that layer's regression.
    risk_free : Series, optional
        The risk-free return of each day's holding period (decimal, on the same dates; e.g.
        ``exp(r_{t-1} days/365) - 1`` from a T-bill series). Given, both ``y_t`` and ``r^{spx}_t`` are
        excess returns over it (CAPM's definition) and the result's ``excess`` column is True.

    Returns
    -------
    DataFrame indexed by layer: ``alpha`` (per day), ``alpha_annual`` (x252), ``beta_spx``,
    ``beta_vrp``, ``se_*`` and ``t_*`` for the three, ``r2``, ``nobs``, ``cov_type``.
    """
    if not isinstance(layer_returns, pd.DataFrame):
        raise InputError(
            f"got {type(layer_returns).__name__}", argument="layer_returns", expected="a dates x layers DataFrame"
        )
    if cov_type not in ("nonrobust", "HAC"):
        raise InputError(f"got {cov_type!r}", argument="cov_type", expected="'nonrobust' or 'HAC'")
    if missing not in ("raise", "drop"):
        raise InputError(f"got {missing!r}", argument="missing", expected="'raise' or 'drop'")
    if isinstance(vrp_lag, bool) or not isinstance(vrp_lag, (int, np.integer)) or vrp_lag < 0:
        raise InputError(f"got {vrp_lag!r}", argument="vrp_lag", expected="an integer >= 0")
    s = _dated(spx_close, "spx_close")
    if not layer_returns.index.equals(s.index):
        raise InputError(
            "index differs from spx_close's",
            argument="layer_returns",
            expected="the same trading days as spx_close and vix",
        )
    vrp = variance_risk_premium(vix, s, rv_window).shift(vrp_lag)
    spx_ret = s.pct_change()
    rf = None
    if risk_free is not None:
        rf = _dated(risk_free, "risk_free")
        if not rf.index.equals(s.index) or not np.isfinite(rf.to_numpy()[1:]).all():
            raise InputError(
                "index differs from spx_close's or a value is missing",
                argument="risk_free",
                expected="a finite risk-free return on each of spx_close's days",
            )
        spx_ret = spx_ret - rf
    regs = pd.DataFrame({"spx_ret": spx_ret, "vrp": vrp})
    usable = regs.notna().all(axis=1)  # warm-up rows of RV and the lag are dropped explicitly
    first_usable = int(np.argmax(usable.to_numpy())) if usable.any() else len(s)
    gap = ~usable.iloc[first_usable:]
    if gap.any():
        raise InputError(
            f"regressor missing on {gap.index[gap.to_numpy()][0].date()} after the warm-up",
            argument="spx_close",
            expected="SPX and VIX on every trading day",
        )
    rows = []
    for layer in layer_returns.columns:
        y = layer_returns[layer].astype(np.float64)
        y = (y if rf is None else y - rf).iloc[first_usable:]
        x = regs.iloc[first_usable:]
        bad = ~np.isfinite(y.to_numpy())
        if bad.any():
            if missing == "raise":
                raise InputError(
                    f"layer {layer!r} has no return on {y.index[bad][0].date()}",
                    argument="layer_returns",
                    expected="a return every day, or missing='drop'",
                )
            y, x = y[~bad], x[~bad]
        n = len(y)
        if n > 3 and np.ptp(y.to_numpy()) == 0.0:
            # a constant series (a layer never held) has no variance to explain: R^2 would be 0/0
            raise InputError(
                f"layer {layer!r} has a constant return ({float(y.iloc[0])!r}) on every used day",
                argument="layer_returns",
                expected="a return series that varies (drop unheld layers)",
            )
        if n <= 3:
            raise InputError(
                f"layer {layer!r} has {n} usable days",
                argument="layer_returns",
                expected="more than 3 days after the realized-variance warm-up",
            )
        xc = x.to_numpy()
        design = np.column_stack([np.ones(xc.shape[0]), xc])  # statsmodels' add_constant(has_constant="add")
        lags = None
        if cov_type == "HAC":
            lags = hac_maxlags if hac_maxlags is not None else int(np.floor(4 * (n / 100.0) ** (2.0 / 9.0)))
        p, se, r2 = _ols(y.to_numpy(), design, hac_lags=lags)
        t = p / se
        rows.append(
            {
                "layer": str(layer),
                "alpha": p[0],
                "alpha_annual": p[0] * TRADING_DAYS_PER_YEAR,
                "beta_spx": p[1],
                "beta_vrp": p[2],
                "se_alpha": se[0],
                "se_spx": se[1],
                "se_vrp": se[2],
                "t_alpha": t[0],
                "t_spx": t[1],
                "t_vrp": t[2],
                "r2": r2,
                "nobs": n,
                "cov_type": cov_type,
                "excess": rf is not None,
            }
        )
    return pd.DataFrame(rows).set_index("layer")


# ---------------------------------------------------------------------- break-even
#: Spot grid of the profit-zone search at the current mark, per case: points in [K_lp/4, K_lp),
#: [K_lp, K_lc], (K_lc, 4 K_lc], log-spaced. The inner 25 points are 1.1% of spot apart for
#: K_lc/K_lp = 1.3 (a 20/5-delta condor); the maximum is refined between grid points and the roots
#: are bracketed from it, so a zone narrower than the spacing is still found. The grid only has to
#: land in the peak's basin: on the 13,950 real 2006-2025 cases these 33 points give the roots of the
#: former 61 (6 + 49 + 6) to 1.0e-12 relative (the root tolerance), the same zones, at ~half the pricing.
_GRID_OUTER, _GRID_INNER = 4, 25


@dataclass(frozen=True)
class BreakEvenResult:
    """Break-even spots of a short iron condor (index points), broadcast over the inputs.

    Attributes
    ----------
    lower, upper : ndarray
        Spot levels at which the mark-to-model P&L (credit received + position value) is zero on
        the put side and on the call side, the roots adjacent to the P&L's maximum. NaN where there is
        no profit zone (the P&L is <= 0 at every spot); ``-inf`` / ``+inf`` where the P&L stays
        positive however far the spot moves on that side (the credit exceeds that wing's loss).
    width : ndarray
        ``upper - lower`` (points): the profit zone (``inf`` when one-sided, NaN when none).
    peak_spot, peak_pnl : ndarray
        Spot at which the P&L is highest, and that P&L (points per condor).
    credit : ndarray
        Entry credit per condor (index points).
    expiry_lower, expiry_upper : ndarray
        The same roots of the P&L at expiry (intrinsic values): ``short_put - credit`` and
        ``short_call + credit`` while the credit is below the wing's width, else -inf / +inf.
    reason : ndarray of str
        "" or why a break-even is not a finite spot.
    """

    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    width: NDArray[np.float64]
    peak_spot: NDArray[np.float64]
    peak_pnl: NDArray[np.float64]
    credit: NDArray[np.float64]
    expiry_lower: NDArray[np.float64]
    expiry_upper: NDArray[np.float64]
    reason: NDArray[np.str_]


def _condor_value(spot, strikes, t, vols, rate, div):
    lp, sp, sc, lc = strikes
    vlp, vsp, vsc, vlc = vols
    return (
        bsm_price(spot, lp, t, vlp, rate, div, False, validate=False)
        - bsm_price(spot, sp, t, vsp, rate, div, False, validate=False)
        - bsm_price(spot, sc, t, vsc, rate, div, True, validate=False)
        + bsm_price(spot, lc, t, vlc, rate, div, True, validate=False)
    )


def _spot_grid(lp: NDArray, lc: NDArray) -> NDArray:
    """(..., n) log-spaced spots: coarse below K_lp and above K_lc, finer between the wings."""
    u = np.linspace(0.0, 1.0, _GRID_OUTER, endpoint=False)
    v = np.linspace(0.0, 1.0, _GRID_INNER)
    llp, llc = np.log(lp)[..., None], np.log(lc)[..., None]
    lo = llp - np.log(4.0) * (1.0 - u)
    mid = llp + (llc - llp) * v
    hi = llc + np.log(4.0) * (1.0 - u[::-1])
    return np.exp(np.concatenate([lo, mid, hi], axis=-1))


def _knot_grid(strikes: Sequence[NDArray]) -> NDArray:
    """(..., 6) spots at which the expiry P&L (piecewise linear, kinks at the strikes) can turn:
    ``K_lp/4, K_lp, K_sp, K_sc, K_lc, 4 K_lc``."""
    lp, sp, sc, lc = strikes
    return np.stack([lp / 4.0, lp, sp, sc, lc, 4.0 * lc], axis=-1)


def _chord(pnl: Callable[[NDArray], NDArray], a: NDArray, b: NDArray) -> NDArray:
    fa, fb = pnl(a), pnl(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = a - fa * (b - a) / (fb - fa)
    return np.where(np.isfinite(x), x, a)


def _on_rows(pnl: Callable[[NDArray], NDArray], x: NDArray, want: NDArray, fill: NDArray) -> NDArray:
    """``pnl(x)`` where ``want``, ``fill`` elsewhere: only the wanted cases are priced when ``pnl`` can price
    a subset (a ``rows(spot, flat_case_index)`` method, :class:`_CasePnl`), else every case is."""
    rows = getattr(pnl, "rows", None)
    if rows is None:
        return pnl(x)
    out = np.array(fill, dtype=np.float64, copy=True)
    idx = np.flatnonzero(want)
    if idx.size:
        out.flat[idx] = rows(x.ravel()[idx], idx)
    return out


def _illinois(pnl: Callable[[NDArray], NDArray], a: NDArray, b: NDArray, valid: NDArray, max_iter: int) -> NDArray:
    """Root of ``pnl`` in ``[a, b]`` where ``valid`` (a sign change), vectorized: regula falsi with the
    Illinois modification (superlinear; the bracket always holds the root), until the bracket is
    1e-12 relative wide (or the P&L is exactly 0). Cases not ``valid`` are not iterated (their result
    is meaningless). A case's root is frozen once it is done, so only the cases still iterating are
    priced (most are done after 7 of the ~15 steps on the real run: 3x fewer condor evaluations); the
    other cases' brackets are left stale, which no result reads."""
    valid = np.asarray(valid, dtype=bool)
    zero = np.zeros(np.shape(a))
    fa, fb = _on_rows(pnl, a, valid, zero), _on_rows(pnl, b, valid, zero)
    x = 0.5 * (a + b)
    side = np.zeros(a.shape, dtype=np.int8)  # which end was kept last: halve its value if kept twice
    done = ~valid
    for _ in range(max_iter):
        if np.all(done):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = (a * fb - b * fa) / (fb - fa)
        xn = np.where(np.isfinite(xn) & (xn >= np.minimum(a, b)) & (xn <= np.maximum(a, b)), xn, 0.5 * (a + b))
        # converged only when the bracket is closed (or the P&L is exactly 0): a secant step that repeats the
        # previous point says nothing while one end is stuck (it stopped 4 of 9,268 real-data roots up to
        # 1.2 points off before the halving could move that end)
        x = np.where(done, x, xn)
        fx = _on_rows(pnl, x, ~done, fa)
        same_a = np.sign(fx) == np.sign(fa)
        a, fa = np.where(same_a, x, a), np.where(same_a, fx, fa)
        b, fb = np.where(same_a, b, x), np.where(same_a, fb, fx)
        fb = np.where(same_a & (side == 1), 0.5 * fb, fb)  # a moved again: b kept twice
        fa = np.where(~same_a & (side == -1), 0.5 * fa, fa)  # b moved again: a kept twice
        side = np.where(same_a, 1, -1).astype(np.int8)
        done |= (fx == 0) | (np.abs(b - a) <= 1e-12 * np.maximum(1.0, np.abs(x)))
    return x


class _CasePnl:
    """The condor P&L of every case at a spot per case (``__call__``), or of some cases (``rows``).

    ``price(spot, rows)`` prices the flat cases ``rows`` (all when None) at ``spot`` (shaped like them,
    with a trailing grid axis or not); the numpy reference and the compiled kernel both price each case
    on its own, so a subset gives the values the full call gives there.
    """

    def __init__(self, price: Callable[[NDArray, NDArray | None], NDArray]) -> None:
        self.price = price

    def __call__(self, spot: NDArray) -> NDArray:
        return self.price(spot, None)

    def rows(self, spot: NDArray, idx: NDArray) -> NDArray:
        return self.price(spot, idx)


def profit_zone(
    pnl: Callable[[NDArray], NDArray], grid: NDArray, *, refine: bool = True, max_iter: int = 200
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    r"""Lower and upper roots of ``pnl(S)`` around its maximum, vectorized over cases.

    ``pnl`` maps spots of the cases' shape (or with a trailing grid axis) to P&L; ``grid`` is
    ``(..., n)`` ascending spots per case. Steps: evaluate ``pnl`` on the grid; with ``refine``,
    refine the grid's maximum by golden-section search between its two neighbours (so a peak between
    grid points is found); the lower break-even is bracketed by the last grid point below the peak
    with ``pnl <= 0`` and the next grid point or the peak, whichever is nearer; the upper one alike
    above the peak; each bracket is solved by regula falsi with the Illinois modification to 1e-12
    relative (without ``refine``, the grid being the kinks of a piecewise-linear P&L, by the linear
    interpolation in the bracket, which is then exact). A root not bracketed because
    ``pnl > 0`` down to the grid's first point is ``-inf`` (``+inf`` beyond its last); no zone
    (``max pnl <= 0``) is NaN on both sides.

    Returns
    -------
    lower, upper, peak_spot, peak_pnl : ndarray (cases' shape)
    """
    f = pnl(grid)
    f = np.where(np.isfinite(f), f, -np.inf)
    n = grid.shape[-1]
    im = np.argmax(f, axis=-1)
    take = lambda a, i: np.take_along_axis(a, np.clip(i, 0, n - 1)[..., None], axis=-1)[..., 0]  # noqa: E731
    peak_s, peak_f = take(grid, im), take(f, im)
    if refine:  # golden-section refinement of the maximum between the grid neighbours
        a, b = take(grid, im - 1), take(grid, im + 1)
        g = (np.sqrt(5.0) - 1.0) / 2.0
        x1, x2 = b - g * (b - a), a + g * (b - a)
        f1, f2 = pnl(x1), pnl(x2)
        # a case stops once its own bracket is 1e-5 relative narrow (the peak only needs P&L > 0 to bracket
        # the roots), and only the cases still narrowing are priced: the widest bracket (a peak on the coarse
        # outer grid) no longer sets every case's number of steps
        done = b - a <= 1e-5 * b
        for _ in range(60):
            if np.all(done):
                break
            left = f1 >= f2
            go_l, go_r = ~done & left, ~done & ~left  # keep [a, x2] / keep [x1, b]
            b, a = np.where(go_l, x2, b), np.where(go_r, x1, a)
            x2n = np.where(go_l, x1, np.where(go_r, a + g * (b - a), x2))
            x1n = np.where(go_l, b - g * (b - a), np.where(go_r, x2, x1))
            fn = _on_rows(pnl, np.where(left, x1n, x2n), ~done, f1)
            f1, f2 = np.where(go_l, fn, np.where(go_r, f2, f1)), np.where(go_l, f1, np.where(go_r, fn, f2))
            x1, x2 = x1n, x2n
            done |= b - a <= 1e-5 * b
        xm = 0.5 * (a + b)
        fm = pnl(xm)
        better = fm > peak_f
        peak_s, peak_f = np.where(better, xm, peak_s), np.where(better, fm, peak_f)
    nonpos = f <= 0
    below = nonpos & (grid < peak_s[..., None])
    above = nonpos & (grid > peak_s[..., None])
    j = np.where(below.any(axis=-1), n - 1 - np.argmax(below[..., ::-1], axis=-1), -1)  # last <= 0 below the peak
    k = np.where(above.any(axis=-1), np.argmax(above, axis=-1), n)  # first <= 0 above it

    # brackets: every grid point strictly between grid[j] and the peak is > 0 (j is the last <= 0 below it),
    # as is the peak when there is a zone, so pnl(grid[j]) <= 0 < pnl(min(grid[j+1], peak)); alike above
    lo_a, lo_b = take(grid, j), np.minimum(take(grid, j + 1), peak_s)
    up_a, up_b = np.maximum(take(grid, k - 1), peak_s), take(grid, k)
    zone = peak_f > 0
    if refine:
        lower = _illinois(pnl, lo_a, lo_b, zone & (j >= 0), max_iter)
        upper = _illinois(pnl, up_a, up_b, zone & (k < n), max_iter)
    else:  # grid = the kinks of a piecewise-linear P&L: the root is the linear interpolation in its bracket
        lower, upper = _chord(pnl, lo_a, lo_b), _chord(pnl, up_a, up_b)
    lower = np.where(zone, np.where(j >= 0, lower, -np.inf), np.nan)
    upper = np.where(zone, np.where(k < n, upper, np.inf), np.nan)
    return lower, upper, peak_s, peak_f


def _case_pnl(shape, k_b, t, v_b, r_b, q_b, cr_b, *, compiled: bool) -> _CasePnl:  # noqa: ANN001
    """The condor P&L of the broadcast cases at ``t`` years left: one compiled pass, or four bsm_price calls."""
    if compiled:
        from alvh.analytics._condor_kernel import condor_pnl

        cols = [*k_b[:4], t, *v_b, r_b, q_b, cr_b]
        par = np.ascontiguousarray(np.stack([np.broadcast_to(c, shape).ravel() for c in cols], axis=1))
        return _CasePnl(lambda spot, rows: condor_pnl(spot, par if rows is None else par[rows]))

    flat: dict[int, list[NDArray]] = {}  # the broadcast inputs as flat cases, made on the first subset call

    def pnl(spot: NDArray, rows: NDArray | None) -> NDArray:
        if rows is not None:
            if not flat:
                flat[0] = [np.broadcast_to(a, shape).ravel() for a in (cr_b, *k_b, t, *v_b, r_b, q_b)]
            c, k1, k2, k3, k4, tt, w1, w2, w3, w4, rr, qq = (a[rows] for a in flat[0])
            return c + _condor_value(spot, [k1, k2, k3, k4], tt, [w1, w2, w3, w4], rr, qq)
        ax = (lambda a: a[..., None]) if spot.ndim > len(shape) else (lambda a: a)
        return ax(cr_b) + _condor_value(spot, [ax(k) for k in k_b], ax(t), [ax(v) for v in v_b], ax(r_b), ax(q_b))

    return _CasePnl(pnl)


def _mark_zone(shape, k_b, t_b, v_b, r_b, q_b, cr_b, compiled: bool, method: str, max_iter: int):  # noqa: ANN001, ANN202
    """``(lower, upper, peak_spot, peak_pnl)`` at the current mark: the compiled Newton search
    (:func:`alvh.analytics._condor_kernel.condor_zone`) or the whole-grid :func:`profit_zone`."""
    if method not in ("auto", "grid", "newton"):
        raise InputError(f"unknown method {method!r}", argument="method", expected='"auto", "grid" or "newton"')
    if method == "newton" and not compiled:
        raise InputError("method 'newton' with backend 'numpy'", argument="method", expected="the compiled backend")
    if compiled and method != "grid":
        from alvh.analytics._condor_kernel import condor_zone

        par = np.stack([np.broadcast_to(c, shape).ravel() for c in (*k_b[:4], t_b, *v_b, r_b, q_b, cr_b)], axis=1)
        zone = condor_zone(par, (_GRID_OUTER, _GRID_INNER), max_iter).reshape(*shape, 4)
        return tuple(zone[..., c] for c in range(4))
    pnl = _case_pnl(shape, k_b, t_b, v_b, r_b, q_b, cr_b, compiled=compiled)
    return profit_zone(pnl, _spot_grid(k_b[0], k_b[3]), max_iter=max_iter)


def break_even_expansion(
    *,
    long_put: ArrayLike,
    short_put: ArrayLike,
    short_call: ArrayLike,
    long_call: ArrayLike,
    t_remaining: ArrayLike,
    iv: ArrayLike | Sequence[ArrayLike],
    iv_shift: ArrayLike = 0.0,
    rate: ArrayLike = 0.0,
    div: ArrayLike = 0.0,
    credit: ArrayLike | None = None,
    spot_entry: ArrayLike | None = None,
    t_entry: ArrayLike | None = None,
    max_iter: int = 200,
    backend: str = "auto",
    method: str = "auto",
) -> BreakEvenResult:
    r"""Break-even points of the core short iron condor, at the current mark and at expiry.

    The position (strikes and entry credit ``C``, index points per condor) is fixed. At a horizon
    with ``t_remaining`` years to expiry and every leg's implied vol raised by ``iv_shift``
    (decimal, 0.05 = +5 vol points), the mark-to-model P&L at spot ``S`` is

    .. math:: PnL(S) = C + P(S,K_{lp}) - P(S,K_{sp}) - C(S,K_{sc}) + C(S,K_{lc})

    (Black-Scholes-Merton, :func:`alvh.pricing.bsm_price`, each leg at its own vol: sticky strike).
    The break-evens are the roots of ``PnL`` on either side of its maximum over ``S``, found by
    :func:`profit_zone` (a spot grid, golden-section refinement of the maximum, Illinois regula falsi
    in each bracket to 1e-12 relative). The same search on the P&L at expiry (intrinsic values) gives
    ``expiry_lower``/``expiry_upper``, which equal ``short_put - C`` and ``short_call + C`` while
    ``C`` is below the wing's width (tested). A rise in IV moves both toward the peak: the profit
    zone shrinks (the "break-even expansion" of the losing region).

    Parameters
    ----------
    long_put, short_put, short_call, long_call : array_like
        Strikes in index points, ``long_put < short_put <= short_call < long_call``.
    t_remaining : array_like
        Years (ACT/365) to expiry at the horizon, >= 0.
    iv : array_like or 4-sequence of array_like
        Decimal implied vol before the shift: one for all legs, or per leg
        ``(long_put, short_put, short_call, long_call)`` (keeps the skew).
    iv_shift : array_like
        Decimal vol added to every leg (broadcasts, e.g. a grid ``np.linspace(0, 0.2, 21)``).
    rate, div : array_like
        Decimal per year, continuously compounded.
    credit : array_like, optional
        Entry credit per condor (points). If None, priced at ``spot_entry``, ``t_entry`` and the
        unshifted ``iv``.
    max_iter : int
        Bisection steps (each halves the bracket; 200 reaches machine precision).
    backend : {"auto", "numpy", "numba"}
        How the P&L is evaluated during the search: four :func:`alvh.pricing.bsm_price` calls
        (numpy, the reference) or one compiled pass per evaluation (:mod:`alvh.analytics._condor_kernel`;
        the same closed form, equal to a few ulp). "auto" = numba when installed.
    method : {"auto", "grid", "newton"}
        The search at the current mark. "grid": :func:`profit_zone` (the whole grid priced, golden
        section, Illinois; the reference, either backend). "newton" (compiled only,
        :func:`alvh.analytics._condor_kernel.condor_zone`): per case, a climb to the grid's peak from the
        short strikes' centre, Newton steps with the analytic delta and gamma, and only the grid points
        between the peak and the break-evens priced; the same brackets, so the same roots (to the 1e-12
        tolerance) where the P&L has one peak, as a condor's has (tested on every real case).
        "auto" = "newton" with the compiled backend, else "grid".

    Returns
    -------
    BreakEvenResult

    Notes
    -----
    Tested against hand-computed expiry break-evens, scipy ``brentq`` on a ``math.erf``
    Black-Scholes written in the test, and a QuantLib (``AnalyticEuropeanEngine``) revaluation of
    the four legs on a grid of spots.
    """
    strikes = [np.asarray(k, dtype=np.float64) for k in (long_put, short_put, short_call, long_call)]
    lp, sp, sc, lc = strikes
    if not (np.all(lp > 0) and np.all(lp < sp) and np.all(sp <= sc) and np.all(sc < lc)):
        raise InputError(
            "strikes not ordered", argument="short_put", expected="0 < long_put < short_put <= short_call < long_call"
        )
    t_rem = np.asarray(t_remaining, dtype=np.float64)
    if not np.all(np.isfinite(t_rem) & (t_rem >= 0)):
        raise InputError("negative or non-finite", argument="t_remaining", expected="years >= 0")
    if isinstance(iv, (list, tuple)):
        if len(iv) != 4:
            raise InputError(f"{len(iv)} vols", argument="iv", expected="one vol or 4 (one per leg)")
        base = [np.asarray(v, dtype=np.float64) for v in iv]
    else:
        base = [np.asarray(iv, dtype=np.float64)] * 4
    shift = np.asarray(iv_shift, dtype=np.float64)
    vols = [b + shift for b in base]
    for v in vols:
        if not np.all(np.isfinite(v) & (v > 0)):
            raise InputError("iv + iv_shift not positive", argument="iv_shift", expected="iv + iv_shift > 0")
    if credit is None:
        if spot_entry is None or t_entry is None:
            raise InputError(
                "neither credit nor (spot_entry, t_entry) given",
                argument="credit",
                expected="the entry credit, or spot_entry and t_entry to price it",
            )
        cr = -_condor_value(np.asarray(spot_entry, float), strikes, np.asarray(t_entry, float), base, rate, div)
    else:
        cr = np.asarray(credit, dtype=np.float64)
    if not np.all(np.isfinite(cr) & (cr > 0)):
        raise InputError("credit not positive", argument="credit", expected="a positive credit (points)")
    shape = np.broadcast_shapes(
        cr.shape,
        t_rem.shape,
        shift.shape,
        *(k.shape for k in strikes),
        *(b.shape for b in base),
        np.shape(rate),
        np.shape(div),
    )
    bc = lambda a: np.broadcast_to(np.asarray(a, dtype=np.float64), shape)  # noqa: E731
    k_b = [bc(k) for k in strikes]
    v_b = [bc(v) for v in vols]
    cr_b, t_b, r_b, q_b = bc(cr), bc(t_rem), bc(rate), bc(div)

    compiled = resolve_backend(backend).compiled
    lower, upper, peak_s, peak_f = _mark_zone(shape, k_b, t_b, v_b, r_b, q_b, cr_b, compiled, method, max_iter)
    # at expiry the P&L is piecewise linear with kinks at the strikes: those knots bracket it exactly
    e_lo, e_hi, e_peak_s, e_peak_f = profit_zone(
        _case_pnl(shape, k_b, np.zeros(shape), v_b, r_b, q_b, cr_b, compiled=compiled),
        _knot_grid(k_b),
        refine=False,
        max_iter=max_iter,
    )
    at_expiry = t_b == 0  # the current mark is the expiry payoff: its knots give the exact answer
    lower, upper = np.where(at_expiry, e_lo, lower), np.where(at_expiry, e_hi, upper)
    peak_s, peak_f = np.where(at_expiry, e_peak_s, peak_s), np.where(at_expiry, e_peak_f, peak_f)
    reason = np.where(
        ~(peak_f > 0),
        "P&L <= 0 at every spot: no profit zone",
        np.where(
            np.isinf(lower) | np.isinf(upper),
            "P&L > 0 however far the spot moves on one side (credit above that wing's loss)",
            "",
        ),
    )
    return BreakEvenResult(
        lower=lower,
        upper=upper,
        width=upper - lower,
        peak_spot=peak_s,
        peak_pnl=peak_f,
        credit=cr_b.copy(),
        expiry_lower=e_lo,
        expiry_upper=e_hi,
        reason=reason.astype(str),
    )
