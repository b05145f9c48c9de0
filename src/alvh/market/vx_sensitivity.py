r"""dF/dVIX without look-ahead: an expanding regression by DTE bucket, the one estimate shared by the
engine (layer sizing, the normalized rebalance trigger, effective-vega greeks) and the analytics.

A VX future's sensitivity to spot VIX at ``tau`` calendar days to expiry, ``dF/dVIX(tau)``, is
estimated from daily changes (``alvh.market.vx.estimate_effective_vega`` fits the same regression on
a whole sample; here each day sees only the past):

For every contract listed on consecutive panel days ``e-1, e`` with ``dte_{e-1}`` in the bucket
``[lo, hi)`` and ``dte_e >= 1`` (the final-settlement day is excluded), one pair

.. math:: (x, y) = (VIX_e - VIX_{e-1},\; F_e - F_{e-1}).

The slope **known at the close of day d** is the OLS slope (with intercept) of ``y`` on ``x`` over all
pairs with ``e <= d``, pooled within the bucket, computed from running sums (no refit):

.. math:: \beta_d = \frac{S_{xy} - S_x S_y / n}{S_{xx} - S_x^2 / n}.

The slope used for a position **held from close d-1 to close d** is the one known at close ``d-1``
(``beta`` below); the engine, deciding at close ``d``, uses the one known at close ``d``
(``beta_close``): the same number the analytics then use for the holding day ``d -> d+1``.

Warm-up: a bucket is used once it holds ``min_obs`` pairs (default :data:`MIN_OBS` = 250, about a
year of one contract in the bucket); before that the bucket stands at the model's value
(:func:`alvh.market.vx.effective_vega_model`, or the ``model`` given) at its mid DTE. At any ``tau``
the estimate is the linear interpolation in DTE between the buckets' knots (a warm bucket at its
pairs' mean DTE and slope), flat outside them; on a day with no warm bucket it is the model itself. Runs without VX
settlements (the model curve, synthetic paths) use the model directly: there the model *is* the
curve the layers trade.

Tested against :func:`alvh.market.vx.estimate_effective_vega` refit from scratch on the panel cut at
each day (a slow per-day reference, tests/test_market_vx_sensitivity.py), and on synthetic futures
with a known slope. docs/model.md compares the model's dF/dVIX with history by bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from alvh.errors import InputError

__all__ = ["MIN_OBS", "SENSITIVITY_MAX_DTE", "ExpandingDfdvix", "expanding_dfdvix", "expanding_dfdvix_from_panel"]

#: Pairs a DTE bucket needs before its expanding slope is used (about one year of daily changes).
MIN_OBS = 250
#: Width (calendar days) of the engine's per-day dF/dVIX table; DTEs beyond are read at this DTE
#: (the estimate is flat beyond its last bucket's mean DTE, about 225 days for the default buckets).
SENSITIVITY_MAX_DTE = 400


def _interp_rows(xs: np.ndarray, ys: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``np.interp(d[i], xs[i], ys[i])`` for every row ``i`` at once (knots in any order, distinct).

    xs, ys: (R, k) knots; d: (R, m) queries. numpy's own rules and arithmetic, so the values are
    np.interp's bit for bit: flat beyond the end knots, a knot's value at the knot, else
    ``slope * (x - x_j) + y_j`` with ``slope = (y_{j+1} - y_j) / (x_{j+1} - x_j)`` (tests compare with
    np.interp row by row). One pass over every day instead of one np.interp call per day.
    """
    order = np.argsort(xs, axis=1)
    xp = np.take_along_axis(xs, order, axis=1)
    yp = np.take_along_axis(ys, order, axis=1)
    k = xp.shape[1]
    if k == 1:
        return np.broadcast_to(yp, d.shape).copy()
    j = (xp[:, None, :] <= d[:, :, None]).sum(axis=2) - 1  # last knot <= x (-1: left of every knot)
    jc = np.clip(j, 0, k - 2)
    x0, x1 = np.take_along_axis(xp, jc, axis=1), np.take_along_axis(xp, jc + 1, axis=1)
    y0, y1 = np.take_along_axis(yp, jc, axis=1), np.take_along_axis(yp, jc + 1, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (y1 - y0) / (x1 - x0)
        out = slope * (d - x0) + y0
        again = np.isnan(out)
        if again.any():  # numpy's fallback from the right knot, then a flat segment
            out = np.where(again, slope * (d - x1) + y1, out)
            out = np.where(np.isnan(out) & (y0 == y1), y0, out)
    out = np.where(d == x0, y0, out)
    out = np.where(j < 0, yp[:, :1], out)
    return np.where(j >= k - 1, yp[:, -1:], out)


def _interp_rows_on_grid(xs: np.ndarray, ys: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``np.interp(grid, xs[i], ys[i])`` for every row (day) ``i``: one query grid shared by all rows.

    A loop over days (rows) of numpy's own np.interp: the values are :func:`_interp_rows`' on the
    broadcast grid bit for bit (tested), about 7x faster on the engine's (n_days, 400) table, where
    :func:`_interp_rows` builds (rows, queries, knots) temporaries.
    """
    order = np.argsort(xs, axis=1)
    xp = np.take_along_axis(xs, order, axis=1)
    yp = np.take_along_axis(ys, order, axis=1)
    out = np.empty((xp.shape[0], grid.size))
    for i in range(xp.shape[0]):
        out[i] = np.interp(grid, xp[i], yp[i])
    return out


@dataclass(frozen=True)
class ExpandingDfdvix:
    """Expanding dF/dVIX by DTE bucket, per day, without look-ahead (module docstring).

    Attributes
    ----------
    dates : DatetimeIndex, length n_days
        The VX panel's days.
    buckets : tuple of (int, int)
        DTE buckets ``[lo, hi)`` (calendar days).
    beta, dte_mean, n_obs : ndarray, shape (n_days, n_buckets)
        Known at the **previous** close: row ``d`` from the pairs that ended on or before ``d-1``
        (for a position held over day ``d``). ``beta``, ``dte_mean`` NaN while the bucket holds fewer
        than ``min_obs`` pairs; ``n_obs`` the pairs behind each row.
    beta_close, dte_mean_close, n_obs_close : ndarray, shape (n_days, n_buckets)
        Known at the close of day ``d`` (pairs ending on or before ``d``): what a decision taken at
        that close may use. ``beta_close[d - 1] == beta[d]``.
    min_obs : int
    model : callable ``dte -> dF/dVIX`` or None
        Used on days with no warm bucket (default :func:`alvh.market.vx.effective_vega_model`).
    """

    dates: pd.DatetimeIndex
    buckets: tuple[tuple[int, int], ...]
    beta: np.ndarray
    dte_mean: np.ndarray
    n_obs: np.ndarray
    beta_close: np.ndarray
    dte_mean_close: np.ndarray
    n_obs_close: np.ndarray
    min_obs: int
    model: Callable[[np.ndarray], np.ndarray] | None = None

    def _fallback(self, fallback: Callable[[np.ndarray], np.ndarray] | None) -> Callable[[np.ndarray], np.ndarray]:
        from alvh.market.vx import effective_vega_model

        return fallback or self.model or effective_vega_model

    def _knots(
        self,
        beta: np.ndarray,
        dmean: np.ndarray,
        fb: Callable[[np.ndarray], np.ndarray],
        at_mids: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interpolation knots of days (rows of ``beta``, ``dmean``): a warm bucket at (its pairs' mean DTE,
        its slope), a bucket still warming up at (its mid DTE, the model there; ``at_mids`` = ``fb(mids)``
        when the caller evaluated it once for many days)."""
        mids = np.array([(lo + hi) / 2.0 for lo, hi in self.buckets])
        warm = np.isfinite(beta)
        cold = np.asarray(fb(mids), dtype=float) if at_mids is None else at_mids
        return np.where(warm, dmean, mids), np.where(warm, beta, cold)

    def _lookup(
        self,
        beta: np.ndarray,
        dmean: np.ndarray,
        day: np.ndarray,
        dte: np.ndarray,
        fallback: Callable[[np.ndarray], np.ndarray] | None,
    ) -> np.ndarray:
        fb = self._fallback(fallback)
        day = np.asarray(day, dtype=np.intp)
        d = np.asarray(dte, dtype=float)
        if day.shape != d.shape:
            day = np.broadcast_to(day, d.shape)
        if not np.isfinite(d).all() or (d < 0).any():
            raise InputError("days to expiry must be finite and >= 0", argument="dte", expected="calendar days >= 0")
        if day.size and ((day < 0).any() or (day >= len(self.dates)).any()):
            raise InputError(
                f"day index outside 0..{len(self.dates) - 1}",
                argument="day",
                expected="row indices into the estimate's days",
            )
        out = np.empty(d.shape)
        flat_day, flat_d, flat_out = day.ravel(), d.ravel(), out.reshape(-1)
        # every cell at once: its day's knots gathered beside it (the model at the buckets' mid DTEs
        # evaluated once); cells on days with no warm bucket read the model itself
        mids = np.array([(lo + hi) / 2.0 for lo, hi in self.buckets])
        at_mids = np.asarray(fb(mids), dtype=float)
        b, m = beta[flat_day], dmean[flat_day]
        warm = np.isfinite(b).any(axis=1)
        if (~warm).any():
            flat_out[~warm] = np.asarray(fb(flat_d[~warm]), dtype=float)
        if warm.any():
            xs, ys = self._knots(b[warm], m[warm], fb, at_mids)
            flat_out[warm] = _interp_rows(xs, ys, flat_d[warm][:, None])[:, 0]
        return out

    def at(
        self, day: np.ndarray, dte: np.ndarray, fallback: Callable[[np.ndarray], np.ndarray] | None = None
    ) -> np.ndarray:
        """dF/dVIX for positions held over day ``day`` (row index) with ``dte`` calendar days at the
        previous close: the estimate known at that close; the model on days with no warm bucket."""
        return self._lookup(self.beta, self.dte_mean, day, dte, fallback)

    def at_close(
        self, day: np.ndarray, dte: np.ndarray, fallback: Callable[[np.ndarray], np.ndarray] | None = None
    ) -> np.ndarray:
        """dF/dVIX known at the close of day ``day`` at ``dte`` calendar days (a decision at that close)."""
        return self._lookup(self.beta_close, self.dte_mean_close, day, dte, fallback)

    def close_table(self, width: int, fallback: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        """(n_days, width) table: row ``d``, column ``k`` = dF/dVIX known at close ``d`` at DTE ``k``."""
        if not isinstance(width, (int, np.integer)) or width < 1:
            raise InputError(f"width {width!r}", argument="width", expected="an integer >= 1")
        fb = self._fallback(fallback)
        grid = np.arange(int(width), dtype=float)
        cold = np.asarray(fb(grid), dtype=float)
        out = np.empty((len(self.dates), int(width)))
        warm = np.isfinite(self.beta_close).any(axis=1)
        out[~warm] = cold
        if warm.any():
            mids = np.array([(lo + hi) / 2.0 for lo, hi in self.buckets])
            xs, ys = self._knots(self.beta_close[warm], self.dte_mean_close[warm], fb, np.asarray(fb(mids), float))
            out[warm] = _interp_rows_on_grid(xs, ys, grid)
        return out

    def take(self, rows: np.ndarray) -> ExpandingDfdvix:
        """The estimate on a subset of its days (e.g. a run's dates inside a longer history): each
        row keeps what was known from the whole history before it."""
        r = np.asarray(rows, dtype=np.intp)
        if r.ndim != 1 or (r.size and ((r < 0).any() or (r >= len(self.dates)).any())):
            raise InputError(
                f"rows of shape {r.shape}",
                argument="rows",
                expected=f"row indices into the estimate's {len(self.dates)} days",
            )
        return replace(
            self,
            dates=self.dates[r],
            beta=self.beta[r],
            dte_mean=self.dte_mean[r],
            n_obs=self.n_obs[r],
            beta_close=self.beta_close[r],
            dte_mean_close=self.dte_mean_close[r],
            n_obs_close=self.n_obs_close[r],
        )

    def with_model(self, model: Callable[[np.ndarray], np.ndarray]) -> ExpandingDfdvix:
        """The same estimate with another warm-up model."""
        return replace(self, model=model)

    def summary_table(self) -> pd.DataFrame:
        """Per bucket: first warm day, and beta at the last close with its mean DTE and pairs."""
        rows = []
        for j, (lo, hi) in enumerate(self.buckets):
            warm = np.flatnonzero(np.isfinite(self.beta_close[:, j]))
            rows.append(
                {
                    "dte_lo": lo,
                    "dte_hi": hi,
                    "first_warm": self.dates[warm[0]].date() if warm.size else None,
                    "beta_last": float(self.beta_close[-1, j]) if len(self.dates) else np.nan,
                    "dte_mean_last": float(self.dte_mean_close[-1, j]) if len(self.dates) else np.nan,
                    "n_obs_last": int(self.n_obs_close[-1, j]) if len(self.dates) else 0,
                }
            )
        return pd.DataFrame(rows, index=[f"{lo}-{hi}" for lo, hi in self.buckets])


def expanding_dfdvix(
    settle: np.ndarray,
    dte: np.ndarray,
    vix: np.ndarray,
    dates: pd.DatetimeIndex,
    *,
    buckets: tuple[tuple[int, int], ...] | None = None,
    min_obs: int = MIN_OBS,
    model: Callable[[np.ndarray], np.ndarray] | None = None,
) -> ExpandingDfdvix:
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
        Default :data:`alvh.market.vx.DEFAULT_VEGA_BUCKETS`; ``0 <= lo < hi``, sorted, not overlapping.
    min_obs : int
        Warm-up: pairs a bucket needs before it is used (default :data:`MIN_OBS`).
    model : callable, optional
        dF/dVIX by DTE on days with no warm bucket (default :func:`alvh.market.vx.effective_vega_model`).

    Raises
    ------
    InputError
        Shapes that do not match, a non-finite VIX (naming the first date), bad buckets or ``min_obs``.
    """
    from alvh.market.vx import DEFAULT_VEGA_BUCKETS

    b = tuple((int(lo), int(hi)) for lo, hi in (buckets if buckets is not None else DEFAULT_VEGA_BUCKETS))
    if not b or any(lo < 0 or hi <= lo for lo, hi in b) or any(b[i][1] > b[i + 1][0] for i in range(len(b) - 1)):
        raise InputError(
            f"buckets {b}", argument="buckets", expected="sorted, non-overlapping [lo, hi) DTE ranges with 0 <= lo < hi"
        )
    if not isinstance(min_obs, (int, np.integer)) or min_obs < 3:
        raise InputError(f"min_obs {min_obs!r}", argument="min_obs", expected="an integer >= 3")
    s = np.asarray(settle, dtype=float)
    t = np.asarray(dte, dtype=float)
    v = np.asarray(vix, dtype=float)
    n = s.shape[0]
    if s.ndim != 2 or t.shape != s.shape or v.shape != (n,) or len(dates) != n:
        raise InputError(
            f"settle {s.shape}, dte {t.shape}, vix {v.shape}, {len(dates)} dates",
            argument="vix",
            expected="settle and dte (n_days, n_contracts), vix and dates (n_days,)",
        )
    if not np.isfinite(v).all():
        bad = int(np.flatnonzero(~np.isfinite(v))[0])
        raise InputError(
            f"non-finite VIX on {pd.DatetimeIndex(dates)[bad].date()}",
            argument="vix",
            expected="a finite spot VIX close on every panel day",
        )
    nb = len(b)
    # per pair-end day e and bucket: n, sum x, sum y, sum xy, sum xx, sum dte (row 0: no pair ends there)
    sums = np.zeros((6, n, nb))
    if n > 1:
        # the pairs only (a few per day among hundreds of contract columns), each tagged with its
        # (pair-end day, bucket) cell, summed per cell by bincount in day-then-contract order: the
        # row sums of the former per-bucket masks up to the order of adding at most a few numbers
        # (bit-identical on the 2004-2025 panel, <= 4 pairs per day and bucket), 25x faster
        dy = s[1:] - s[:-1]
        d0 = t[:-1]
        ok = np.isfinite(dy) & (t[1:] >= 1)
        lo_edges = np.array([lo for lo, _ in b], dtype=float)
        hi_edges = np.array([hi for _, hi in b], dtype=float)
        e, c = np.nonzero(ok)
        dte0 = d0[e, c]
        j = np.searchsorted(lo_edges, dte0, side="right") - 1  # the bucket with lo <= dte0 (buckets sorted)
        inside = (j >= 0) & (dte0 < hi_edges[np.maximum(j, 0)])
        e, c, j, dte0 = e[inside], c[inside], j[inside], dte0[inside]
        x = (v[1:] - v[:-1])[e]
        y = dy[e, c]
        cell = e * nb + j
        size = (n - 1) * nb
        for row, w in enumerate((None, x, y, x * y, x * x, dte0)):
            sums[row, 1:] = np.bincount(cell, weights=w, minlength=size).reshape(n - 1, nb)
    cum = np.cumsum(sums, axis=1)  # row d: the pairs that ended on or before d (known at close d)
    cnt, sx, sy, sxy, sxx, sd = cum
    with np.errstate(divide="ignore", invalid="ignore"):
        varx = sxx - sx * sx / cnt
        beta = (sxy - sx * sy / cnt) / varx
        dmean = sd / cnt
    warm = (cnt >= min_obs) & (varx > 0)
    beta_c = np.where(warm, beta, np.nan)
    dmean_c = np.where(warm, dmean, np.nan)
    n_c = cnt.astype(np.int64)

    def prev(a: np.ndarray, fill: float) -> np.ndarray:  # known at the previous close
        out = np.full_like(a, fill)
        out[1:] = a[:-1]
        return out

    return ExpandingDfdvix(
        dates=pd.DatetimeIndex(dates),
        buckets=b,
        beta=prev(beta_c, np.nan),
        dte_mean=prev(dmean_c, np.nan),
        n_obs=prev(n_c, 0),
        beta_close=beta_c,
        dte_mean_close=dmean_c,
        n_obs_close=n_c,
        min_obs=int(min_obs),
        model=model,
    )


def expanding_dfdvix_from_panel(panel, vix: np.ndarray | pd.Series, **kwargs) -> ExpandingDfdvix:  # noqa: ANN001
    """:func:`expanding_dfdvix` on a :class:`alvh.data.VXPanel` and the spot VIX close on its days."""
    return expanding_dfdvix(
        np.asarray(panel.settle, dtype=float),
        np.asarray(panel.dte, dtype=float),
        np.asarray(vix, dtype=float),
        panel.dates,
        **kwargs,
    )
