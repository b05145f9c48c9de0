"""Money-weighted return (IRR) of dated cash flows, vectorized over paths/layers.

Convention (docs/analytics.md, "Steward analytics"): flows are from the investor's side
(negative = paid into the layer: purchases, costs; positive = received: sales, settlements,
and the terminal mark of anything still held). Time is ACT/365 years from the first flow
date, as Excel's XIRR. The annualized rate ``r`` solves

    sum_i CF_i * (1 + r) ** (-t_i) = 0.

The solver works in ``g = ln(1 + r)`` (so ``r > -1`` always) with a bracketed Newton
iteration (a bisection step whenever Newton leaves the bracket).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from alvh.errors import InputError
from alvh.pricing.units import DAYS_PER_YEAR

__all__ = ["IRRResult", "irr"]

#: reasons reported beside a NaN rate
REASON_NO_SIGN_CHANGE = "cash flows do not change sign (no inflow or no outflow)"
REASON_NO_ROOT_IN_BRACKET = "NPV does not change sign between the bracket's lowest and highest rate"
REASON_NOT_CONVERGED = "solver did not converge within max_iter iterations"
REASON_OVERFLOW = "annualized rate exceeds float64 range (ln(1 + r) > 709)"
_LOG_MAX = 709.0


@dataclass(frozen=True)
class IRRResult:
    """Annualized IRR per series with the reason for every NaN.

    Attributes
    ----------
    rate : ndarray, shape ``batch``
        Annualized money-weighted return, decimal (0.05 = 5% a year); NaN where not defined.
    reason : ndarray of str, shape ``batch``
        ``""`` where ``rate`` is finite, else why it is NaN.
    sign_changes : ndarray of int, shape ``batch``
        Sign changes in the (non-zero) flow sequence: with exactly 1 the root is unique
        (Descartes' rule of signs in ``exp(-g)``); with more, the solver returns the root
        inside its bracket, which may not be the only one.
    """

    rate: NDArray[np.float64]
    reason: NDArray[np.str_]
    sign_changes: NDArray[np.int64]


def _times_in_years(dates: ArrayLike, n: int) -> NDArray[np.float64]:
    if isinstance(dates, (pd.DatetimeIndex, pd.Series)) or np.asarray(dates).dtype.kind in "MOU":
        try:
            d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
        except (ValueError, TypeError) as exc:
            raise InputError(
                "cannot be read as dates", argument="dates", expected="dates, or times in years (floats)"
            ) from exc
        if d.hasnans:
            raise InputError("contains NaT", argument="dates", expected="no missing dates")
        days = (d - d[0]).days.to_numpy(dtype=np.float64)
        t = days / DAYS_PER_YEAR
    else:
        t = np.asarray(dates, dtype=np.float64)
        if t.ndim != 1:
            raise InputError(f"shape {t.shape}", argument="dates", expected="a 1-d sequence")
        if not np.isfinite(t).all():
            raise InputError("contains NaN/inf", argument="dates", expected="finite times in years")
        t = t - t[0] if t.size else t
    if t.shape != (n,):
        raise InputError(
            f"{t.size} dates for {n} cash flows", argument="dates", expected=f"{n} dates (one per row of cash_flows)"
        )
    if n > 1 and np.any(np.diff(t) < 0):
        raise InputError("not sorted ascending", argument="dates", expected="non-decreasing dates")
    return t


def irr(  # noqa: PLR0915 - bracket, Newton, bisection per column
    cash_flows: ArrayLike,
    dates: ArrayLike,
    *,
    max_iter: int = 200,
    tol: float = 1e-12,
) -> IRRResult:
    r"""Annualized internal rate of return of each column of ``cash_flows``.

    Parameters
    ----------
    cash_flows : array_like, shape ``(n_flows, *batch)``
        Dollars; flow axis first (the day axis of the engine), then paths/layers.
        Zero rows are allowed (no flow that day). NaN/inf raises :class:`InputError`.
    dates : array_like, shape ``(n_flows,)``
        Dates of the flows (ACT/365 years from the first), or numbers = times in years.
    max_iter : int
        Iteration cap of the bracketed Newton solver.
    tol : float
        Stop when the bracket in ``g = ln(1+r)`` is narrower than ``tol`` (absolute).

    Returns
    -------
    IRRResult

    Notes
    -----
    The bracket in ``g`` is ``[-G, G]`` with ``G = 600 / t_max`` (so ``exp(-t g)`` stays below
    ``e^600``): e.g. for flows spanning 1 year, ``r`` in ``[e^-600 - 1, e^600 - 1]``. NPV is
    evaluated on flows scaled by their largest absolute value. Tested against scipy ``brentq``
    per series and against integer-period IRRs computed by hand (tests/test_stats_irr.py).

    Examples
    --------
    Pay 100, receive 110 one year later: 10% a year.

    >>> round(float(irr([-100.0, 110.0], [0.0, 1.0]).rate), 12)
    0.1
    """
    cf = np.asarray(cash_flows, dtype=np.float64)
    if cf.ndim == 0 or cf.shape[0] == 0:
        raise InputError(f"shape {cf.shape}", argument="cash_flows", expected="shape (n_flows, ...), n_flows >= 1")
    if not np.isfinite(cf).all():
        raise InputError("contains NaN/inf", argument="cash_flows", expected="finite dollars (0 for no flow)")
    n = cf.shape[0]
    t = _times_in_years(dates, n)
    batch = cf.shape[1:]
    tb = t.reshape((n,) + (1,) * len(batch))

    scale = np.abs(cf).max(axis=0)
    has_flow = scale > 0
    cfs = cf / np.where(has_flow, scale, 1.0)
    signs = np.sign(cf)
    has_pos = (signs > 0).any(axis=0)
    has_neg = (signs < 0).any(axis=0)
    # sign changes among the non-zero flows, in time order
    last = np.zeros(batch)
    changes = np.zeros(batch, dtype=np.int64)
    for i in range(n):  # loop over flows (days), vectorized over the batch
        s = signs[i]
        changes += (s != 0) & (last != 0) & (s != last)
        last = np.where(s != 0, s, last)

    t_max = float(t[-1]) if t[-1] > 0 else 1.0
    g_max = 600.0 / t_max

    def npv_and_slope(g: NDArray) -> tuple[NDArray, NDArray]:
        disc = np.exp(-tb * g)
        return (cfs * disc).sum(axis=0), (-tb * cfs * disc).sum(axis=0)

    lo = np.full(batch, -g_max)
    hi = np.full(batch, g_max)
    f_lo, _ = npv_and_slope(lo)
    f_hi, _ = npv_and_slope(hi)
    defined = has_pos & has_neg
    bracketed = defined & (np.sign(f_lo) * np.sign(f_hi) <= 0)
    # orient so that f(lo) <= 0 <= f(hi)
    flip = f_lo > 0
    lo, hi = np.where(flip, hi, lo), np.where(flip, lo, hi)
    g = np.zeros(batch)  # r = 0 is a natural first guess
    g = np.where((g - np.minimum(lo, hi)) * (np.maximum(lo, hi) - g) > 0, g, 0.5 * (lo + hi))
    active = bracketed.copy()
    width_prev = np.abs(hi - lo)
    for _ in range(max_iter):
        if not active.any():
            break
        f, df = npv_and_slope(g)
        neg = f < 0
        lo = np.where(active & neg, g, lo)
        hi = np.where(active & ~neg, g, hi)
        newton_ok = df != 0
        step = np.divide(f, df, out=np.zeros(batch), where=newton_ok)
        g_new = g - step
        # Newton only while it halves the bracket each step; else bisect (Newton crawls on the
        # exponential flank of the NPV, about 1/t_max per step)
        width = np.abs(hi - lo)
        fast = width <= 0.5 * width_prev
        width_prev = width
        inside = newton_ok & fast & ((g_new - np.minimum(lo, hi)) * (np.maximum(lo, hi) - g_new) > 0)
        g_new = np.where(inside, g_new, 0.5 * (lo + hi))
        exact = f == 0
        g_new = np.where(exact, g, g_new)
        done = exact | (np.abs(hi - lo) < tol) | (np.abs(g_new - g) < tol * np.maximum(1.0, np.abs(g)))
        g = np.where(active, g_new, g)
        active &= ~done
    converged = bracketed & ~active
    overflow = converged & (g > _LOG_MAX)
    good = converged & ~overflow
    rate = np.where(good, np.expm1(np.where(good, g, 0.0)), np.nan)
    reason = np.where(
        ~defined,
        REASON_NO_SIGN_CHANGE,
        np.where(
            ~bracketed,
            REASON_NO_ROOT_IN_BRACKET,
            np.where(active, REASON_NOT_CONVERGED, np.where(overflow, REASON_OVERFLOW, "")),
        ),
    )
    return IRRResult(rate=rate, reason=reason.astype(str), sign_changes=changes)
