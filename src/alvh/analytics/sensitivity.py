"""dF/dVIX without look-ahead: an expanding estimate by DTE bucket, known at each previous close.

The hedge cost's "response to spot VIX" term (docs/drag.md) multiplies each layer's effective
vega by the day's spot-VIX change. The effective vega needs dF/dVIX, the sensitivity of a VX
future to spot VIX at its days to expiry. Fitted on the whole run (as
:func:`alvh.market.vx.estimate_effective_vega` does) it would use the future to split the past;
here the estimate used for the holding day ``d-1 -> d`` comes only from daily changes that ended
on or before ``d-1``.

Estimator (per DTE bucket ``[lo, hi)``, the buckets of
:data:`alvh.market.vx.DEFAULT_VEGA_BUCKETS`): every contract listed on consecutive days
``e-1, e`` with ``dte_{e-1}`` in the bucket and ``dte_e >= 1`` gives one pair
``(x, y) = (VIX_e - VIX_{e-1}, F_e - F_{e-1})``; the slope for day ``d`` is the OLS slope (with
intercept) of ``y`` on ``x`` over all pairs with ``e <= d-1``, from running sums (no refit).

Warm-up: a bucket is used once it holds :data:`MIN_OBS` pairs (about one year of one
contract per bucket). A held contract's dF/dVIX is the linear interpolation in DTE between the
warm buckets' mean DTEs (flat outside them); on days with no warm bucket it is the model's
:func:`alvh.market.vx.effective_vega_model` (which holds no look-ahead beyond its fitted
parameters). Runs without VX settlements (the model curve, synthetic paths) use the model
directly: there the model *is* the curve the layers trade.

The helper "costs" is building the shared no-look-ahead estimator in ``alvh.market``; this
module is the single place the analytics read dF/dVIX from (:func:`records_sensitivity`), so it
can be pointed there in one edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError

#: Pairs a DTE bucket needs before its expanding slope is used (about one year of daily changes).
MIN_OBS = 250
#: Calendar days per year used to turn ``t_prev`` (years) into DTE (as :mod:`alvh.analytics.exposure`).
_DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class ExpandingDfdvix:
    """Expanding dF/dVIX by DTE bucket, each row known at the previous close.

    Attributes
    ----------
    dates : DatetimeIndex, length n_days
        The VX panel's days.
    buckets : tuple of (int, int)
        DTE buckets ``[lo, hi)`` (calendar days).
    beta : ndarray, shape (n_days, n_buckets)
        Row ``d``: the OLS slope from the pairs that ended on or before ``d-1``; NaN while the
        bucket holds fewer than ``min_obs`` pairs.
    dte_mean : ndarray, shape (n_days, n_buckets)
        Mean DTE (at ``e-1``) of those pairs (NaN where ``beta`` is NaN).
    n_obs : ndarray of int, shape (n_days, n_buckets)
        Pairs behind each row.
    min_obs : int
    """

    dates: pd.DatetimeIndex
    buckets: tuple[tuple[int, int], ...]
    beta: np.ndarray
    dte_mean: np.ndarray
    n_obs: np.ndarray
    min_obs: int

    def at(self, day: np.ndarray, dte: np.ndarray,
           fallback: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        """dF/dVIX for positions held over day ``day`` (row index) with ``dte`` calendar days at the
        previous close; the model (or ``fallback``) on days with no warm bucket."""
        from alvh.market.vx import effective_vega_model

        fb = fallback if fallback is not None else effective_vega_model
        day = np.asarray(day, dtype=np.intp)
        d = np.asarray(dte, dtype=float)
        if day.shape != d.shape:
            raise InputError(f"shapes {day.shape} and {d.shape}", argument="dte", expected="one DTE per day index")
        if not np.isfinite(d).all() or (d < 0).any():
            raise InputError("days to expiry must be finite and >= 0", argument="dte", expected="calendar days >= 0")
        out = np.empty(d.shape)
        for row in np.unique(day):  # a few thousand distinct days at most
            m = day == row
            ok = np.isfinite(self.beta[row])
            if not ok.any():
                out[m] = fb(d[m])
                continue
            x, y = self.dte_mean[row, ok], self.beta[row, ok]
            order = np.argsort(x)
            out[m] = np.interp(d[m], x[order], y[order])
        return out


def expanding_dfdvix(settle: np.ndarray, dte: np.ndarray, vix: np.ndarray, dates: pd.DatetimeIndex, *,
                     buckets: tuple[tuple[int, int], ...] | None = None, min_obs: int = MIN_OBS) -> ExpandingDfdvix:
    """The expanding, no-look-ahead dF/dVIX by DTE bucket (module docstring).

    Parameters
    ----------
    settle, dte : ndarray, shape (n_days, n_contracts)
        VX settlements (points, NaN where not listed) and calendar days to expiry
        (:class:`alvh.data.VXPanel`).
    vix : ndarray, shape (n_days,)
        Spot VIX close, finite on every day.
    dates : DatetimeIndex
    buckets : tuple of (lo, hi), optional
        Default :data:`alvh.market.vx.DEFAULT_VEGA_BUCKETS`.
    min_obs : int
        Warm-up: pairs a bucket needs before it is used (default :data:`MIN_OBS`).

    Notes
    -----
    Tested against :func:`alvh.market.vx.estimate_effective_vega` run on the panel cut at
    ``d-1`` (the same OLS, refit from scratch) on real data (tests/test_drag_hedge_cost.py).
    """
    from alvh.market.vx import DEFAULT_VEGA_BUCKETS

    b = tuple(buckets) if buckets is not None else DEFAULT_VEGA_BUCKETS
    if not isinstance(min_obs, (int, np.integer)) or min_obs < 3:
        raise InputError(f"min_obs {min_obs!r}", argument="min_obs", expected="an integer >= 3")
    s = np.asarray(settle, dtype=float)
    t = np.asarray(dte, dtype=float)
    v = np.asarray(vix, dtype=float)
    n = s.shape[0]
    if t.shape != s.shape or v.shape != (n,) or len(dates) != n:
        raise InputError(f"settle {s.shape}, dte {t.shape}, vix {v.shape}, {len(dates)} dates", argument="vix",
                         expected="settle and dte (n_days, n_contracts), vix and dates (n_days,)")
    if not np.isfinite(v).all():
        bad = int(np.flatnonzero(~np.isfinite(v))[0])
        raise InputError(f"non-finite VIX on {pd.DatetimeIndex(dates)[bad].date()}", argument="vix",
                         expected="a finite spot VIX close on every panel day")
    nb = len(b)
    # per pair-end day e (1..n-1) and bucket: n, sum x, sum y, sum xy, sum xx, sum dte
    sums = np.zeros((6, n, nb))
    dy = s[1:] - s[:-1]
    dx = np.broadcast_to((v[1:] - v[:-1])[:, None], dy.shape)
    d0 = t[:-1]
    ok = np.isfinite(dy) & (t[1:] >= 1)
    for j, (lo, hi) in enumerate(b):
        m = ok & (d0 >= lo) & (d0 < hi)
        w = m.astype(float)
        x = np.where(m, dx, 0.0)
        y = np.where(m, dy, 0.0)
        sums[0, 1:, j] = w.sum(axis=1)
        sums[1, 1:, j] = x.sum(axis=1)
        sums[2, 1:, j] = y.sum(axis=1)
        sums[3, 1:, j] = (x * y).sum(axis=1)
        sums[4, 1:, j] = (x * x).sum(axis=1)
        sums[5, 1:, j] = np.where(m, d0, 0.0).sum(axis=1)
    # row d uses the pairs that ended on or before d-1: cumulative sums shifted by one day
    cum = np.zeros_like(sums)
    np.cumsum(sums[:, :-1], axis=1, out=cum[:, 1:])
    cnt, sx, sy, sxy, sxx, sd = cum
    with np.errstate(divide="ignore", invalid="ignore"):
        varx = sxx - sx * sx / cnt
        beta = (sxy - sx * sy / cnt) / varx
        dmean = sd / cnt
    warm = (cnt >= min_obs) & (varx > 0)
    return ExpandingDfdvix(dates=pd.DatetimeIndex(dates), buckets=b, beta=np.where(warm, beta, np.nan),
                           dte_mean=np.where(warm, dmean, np.nan), n_obs=cnt.astype(np.int64), min_obs=int(min_obs))


def records_sensitivity(records: PositionRecords, *, estimate: ExpandingDfdvix | None = None,
                        rows: np.ndarray | None = None,
                        model: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """dF/dVIX of every held VIX product, shape ``(n_days, n_paths, n_slots)`` (0 elsewhere).

    The single function the analytics read dF/dVIX from. With ``estimate`` (real VX data) each
    day uses the expanding estimate known at its previous close (``rows`` maps the records'
    days to the estimate's rows); without it the model (``model``, default
    :func:`alvh.market.vx.effective_vega_model`). DTE = ``round(t_prev * 365)`` as in
    :func:`alvh.analytics.exposure.effective_vega`.
    """
    from alvh.market.vx import effective_vega_model

    fb = model if model is not None else effective_vega_model
    kind = np.asarray(records.kind)
    qty = np.asarray(records.quantity)
    held = ((kind == InstrumentKind.VX_FUTURE) | (kind == InstrumentKind.VIX_OPTION)) & (qty != 0)
    out = np.zeros(kind.shape)
    if not held.any():
        return out
    idx = np.nonzero(held)
    dte = np.rint(np.asarray(records.t_prev, dtype=float)[idx] * _DAYS_PER_YEAR)
    if not np.isfinite(dte).all():
        raise InputError("a held VIX product has no time to expiry", argument="records.t_prev",
                         expected="finite years to expiry on every held VIX product")
    dte = np.maximum(dte, 0.0)
    if estimate is None:
        out[idx] = np.asarray(fb(dte), dtype=float)
        return out
    r = np.asarray(rows if rows is not None else np.arange(kind.shape[0]), dtype=np.intp)
    if r.shape != (kind.shape[0],) or (r < 0).any() or (r >= len(estimate.dates)).any():
        raise InputError(f"rows of shape {r.shape}", argument="rows",
                         expected=f"{kind.shape[0]} row indices into the estimate's {len(estimate.dates)} days")
    out[idx] = estimate.at(r[idx[0]], dte, fb)
    return out
