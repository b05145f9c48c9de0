"""Incremental rolling OLS beta of y on x (with intercept), vectorized over paths and layers.

The engine calls :meth:`RollingBeta.update` once per simulated day inside its day loop, so
the cost per day must not depend on the window length. The class keeps, per element of
``shape``, the window's count, means and centred co-moments, updated with Welford-style
add/remove steps (exact algebra, no large raw sums that cancel), and recomputes them from
the ring buffer by a two-pass pass every ``recompute_every`` updates to bound rounding drift.

Missing-data policy (documented in docs/analytics.md): an observation whose ``y`` or ``x``
is NaN (or +/-inf) is *excluded*: it occupies its slot in the window but does not enter the
sums. The beta is NaN while fewer than ``min_nobs`` valid observations are in the window, or
while the window's ``x`` has (numerically) zero variance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alvh.errors import InputError
from alvh.pricing.backend import resolve_backend

__all__ = ["BETA_TOL", "RollingBeta", "beta_ratio", "trigger"]

_EPS = np.finfo(np.float64).eps

#: Relative tolerance of :func:`beta_ratio`: a beta whose window correlation ``|beta| / (sd(y)/sd(x))``
#: is at most this is undefined (no signal; rounding residue sits near 1e-8 and below).
BETA_TOL = 1e-6


class RollingBeta:
    r"""Rolling OLS slope of ``y`` on ``x`` with intercept over the last ``window`` updates.

    .. math::

        \hat\beta_t = \frac{\sum_{s\in W_t} (x_s-\bar x)(y_s-\bar y)}{\sum_{s\in W_t} (x_s-\bar x)^2},
        \qquad W_t = \{t-\text{window}+1,\dots,t\}\ \text{restricted to valid observations}.

    Parameters
    ----------
    window : int
        Number of most recent updates (trading days) in the window, >= 2.
    min_nobs : int
        Minimum number of valid observations in the window for a beta; 2 <= min_nobs <= window.
    shape : tuple of int
        Shape of each day's ``y`` (e.g. ``(n_paths, n_layers)``).
    recompute_every : int, optional
        Recompute the moments from the buffer (two-pass) every this many updates; default
        ``window`` (amortized cost equal to one extra update).
    backend : {"numpy", "numba", "auto"}
        ``"numba"`` runs each update as one compiled pass (the engine's one-path day loop, where
        ~40 numpy calls on a handful of numbers cost more than the arithmetic); same results;
        ``"auto"``: numba when installed (:func:`alvh.pricing.backend.resolve_backend`).

    Notes
    -----
    Welford add step for a new valid pair (x, y), n -> n+1:
    ``dx = x - mx; mx += dx/n; my += (y-my)/n; Cxy += dx*(y-my); Mxx += dx*(x-mx)``
    (``my``, ``mx`` already updated on the right). Remove step, n -> n-1 (n-1 > 0):
    ``mx' = mx - (x-mx)/(n-1)``, ``Cxy' = Cxy - (x-mx)*(y-my')``, ``Mxx' = Mxx - (x-mx)*(x-mx')``.
    Both are exact identities; they never form ``sum x**2`` so SPX levels ~5000 with tiny
    moves keep full relative precision. Tested against numpy ``lstsq`` per window and
    statsmodels ``RollingOLS`` (tests/test_stats_rolling.py).

    Examples
    --------
    >>> rb = RollingBeta(window=3, min_nobs=2, shape=(1,))
    >>> _ = rb.update(np.array([1.0]), np.array([0.0]))
    >>> rb.update(np.array([3.0]), np.array([1.0]))
    array([2.])
    """

    def __init__(
        self,
        window: int,
        min_nobs: int,
        shape: tuple[int, ...],
        recompute_every: int | None = None,
        backend: str = "numpy",
    ) -> None:
        # "numba": one compiled pass per update (remove, add, beta) instead of ~40 numpy calls on tiny
        # arrays; same algebra in the same order (tests/test_stats_rolling.py asserts equal betas)
        self._kernel = _compiled_update() if resolve_backend(backend).compiled else None
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
            raise InputError(f"got {window!r}", argument="window", expected="an integer >= 2")
        if isinstance(min_nobs, bool) or not isinstance(min_nobs, (int, np.integer)) or not 2 <= min_nobs <= window:
            raise InputError(
                f"got {min_nobs!r} with window={window}",
                argument="min_nobs",
                expected="an integer with 2 <= min_nobs <= window",
            )
        try:
            shape = tuple(int(s) for s in shape)
        except TypeError as exc:
            raise InputError(f"got {shape!r}", argument="shape", expected="a tuple of ints") from exc
        if any(s < 0 for s in shape):
            raise InputError(f"got {shape!r}", argument="shape", expected="non-negative sizes")
        if recompute_every is None:
            recompute_every = int(window)
        if recompute_every < 1:
            raise InputError(f"got {recompute_every!r}", argument="recompute_every", expected="an integer >= 1")
        self.window = int(window)
        self.min_nobs = int(min_nobs)
        self.shape = shape
        self.recompute_every = int(recompute_every)
        self._x_buf = np.zeros((self.window, *shape))
        self._y_buf = np.zeros((self.window, *shape))
        self._valid_buf = np.zeros((self.window, *shape), dtype=bool)
        self._n = np.zeros(shape)
        self._mx = np.zeros(shape)
        self._my = np.zeros(shape)
        self._mxx = np.zeros(shape)
        self._cxy = np.zeros(shape)
        self._myy = np.zeros(shape)
        # valid pairs in the window whose y is not 0: when the last one leaves, y is identically 0 over the
        # window and its exact moments (my, cxy, myy) are 0; the running removals leave rounding residue there
        # instead (~1e-13 of the leavers' size), whose bits differ between backends (docs/analytics.md 1.2)
        self._nzy = np.zeros(shape)
        self._count = 0  # updates so far
        self._flat: tuple | None = None  # flat views of the state for the compiled update

    # ------------------------------------------------------------------ state
    @property
    def n_updates(self) -> int:
        """Number of :meth:`update` calls so far."""
        return self._count

    @property
    def nobs(self) -> NDArray[np.float64]:
        """Valid observations currently in the window, shape ``shape`` (float counts)."""
        return self._n.copy()

    def beta(self) -> NDArray[np.float64]:
        """Current slope, shape ``shape``; NaN below ``min_nobs`` or for zero variance of x."""
        ok = (self._n >= self.min_nobs) & (self._mxx > self._degenerate_floor())
        out = np.full(self.shape, np.nan)
        np.divide(self._cxy, self._mxx, out=out, where=ok)
        return out

    def scale(self) -> NDArray[np.float64]:
        r"""The data's own scale for the slope, :math:`sd(y)/sd(x) = \sqrt{M_{yy}/M_{xx}}`, shape ``shape``.

        ``|beta| / scale`` is the window's absolute correlation; :func:`beta_ratio` declares a beta
        undefined relative to this scale. NaN where :meth:`beta` is NaN.
        """
        ok = (self._n >= self.min_nobs) & (self._mxx > self._degenerate_floor())
        out = np.full(self.shape, np.nan)
        np.divide(self._myy, self._mxx, out=out, where=ok)
        return np.sqrt(out, out=out)

    def alpha(self) -> NDArray[np.float64]:
        """Current intercept ``mean(y) - beta * mean(x)`` (same NaN rule as :meth:`beta`)."""
        return self._my - self.beta() * self._mx

    def correlation(self) -> NDArray[np.float64]:
        """Current Pearson correlation of x and y in the window (NaN as :meth:`beta`, or var(y)=0)."""
        ok = (self._n >= self.min_nobs) & (self._mxx > self._degenerate_floor()) & (self._myy > 0)
        den = np.sqrt(np.where(ok, self._mxx * self._myy, 1.0))
        out = np.full(self.shape, np.nan)
        np.divide(self._cxy, den, out=out, where=ok)
        return out

    def _degenerate_floor(self) -> NDArray[np.float64]:
        # x is treated as constant when its sum of squared deviations is at the level of
        # rounding noise of its mean: (4 n eps |mean|)^2 per observation.
        return self._n * (4.0 * np.maximum(self._n, 1.0) * _EPS * np.abs(self._mx)) ** 2

    # ---------------------------------------------------------------- update
    def update(self, y: ArrayLike, x: ArrayLike) -> NDArray[np.float64]:
        """Add one day's observation, drop the one that left the window, return the beta.

        Parameters
        ----------
        y : array_like, shape ``shape``
            Dependent variable for this day (e.g. each layer's vega P&L in dollars, per path).
        x : array_like, broadcastable to ``shape``
            Regressor for this day (e.g. SPX daily return per path, shape ``(n_paths, 1)``).

        Returns
        -------
        ndarray, shape ``shape``
            Rolling beta after this update; NaN before ``min_nobs`` valid observations.
        """
        y_arr = np.asarray(y, dtype=np.float64)
        if y_arr.shape != self.shape:
            raise InputError(f"shape {y_arr.shape}", argument="y", expected=f"shape {self.shape}")
        if self._kernel is not None:
            return self._update_compiled(self._kernel, y_arr, x)
        try:
            x_arr = np.broadcast_to(np.asarray(x, dtype=np.float64), self.shape)
        except ValueError as exc:
            raise InputError(
                f"shape {np.shape(x)} does not broadcast to {self.shape}",
                argument="x",
                expected=f"an array broadcastable to {self.shape}",
            ) from exc
        slot = self._count % self.window
        if self._count >= self.window:
            self._remove(slot)
        valid = np.isfinite(y_arr) & np.isfinite(x_arr)
        self._x_buf[slot] = x_arr
        self._y_buf[slot] = y_arr
        self._valid_buf[slot] = valid
        self._add(x_arr, y_arr, valid)
        self._count += 1
        if self._count % self.recompute_every == 0:
            self.recompute()
        return self.beta()

    def update_with_scale(self, y: ArrayLike, x: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """:meth:`update`, then :meth:`scale`: ``(beta, scale)`` after adding the day (the same numbers; the
        compiled backend writes both in its one pass: the engine's rebalance reads both every day)."""
        if self._kernel is None:
            return self.update(y, x), self.scale()
        y_arr = np.asarray(y, dtype=np.float64)
        if y_arr.shape != self.shape:
            raise InputError(f"shape {y_arr.shape}", argument="y", expected=f"shape {self.shape}")
        scale = np.empty(self.shape)
        beta = self._update_compiled(self._kernel, y_arr, x, scale)
        if self._flat is None:  # the update ended in a recompute: the scale of the recomputed moments
            scale = self.scale()
        return beta, scale

    def _update_compiled(
        self, kernel: Callable[..., None], y: NDArray, x: ArrayLike, scale: NDArray | None = None
    ) -> NDArray[np.float64]:
        """:meth:`update` as one compiled pass on flat views of the state (which it updates in place);
        with ``scale`` (shape ``shape``) the pass also writes :meth:`scale` there."""
        xf = np.empty(self.shape)
        try:
            xf[...] = x  # broadcast by assignment (np.broadcast_to costs more than the update on one path)
        except ValueError as exc:
            raise InputError(
                f"shape {np.shape(x)} does not broadcast to {self.shape}",
                argument="x",
                expected=f"an array broadcastable to {self.shape}",
            ) from exc
        m = xf.size
        if self._flat is None:
            self._flat = tuple(
                a.reshape(m) for a in (self._n, self._mx, self._my, self._mxx, self._cxy, self._myy, self._nzy)
            ) + tuple(b.reshape(self.window, m) for b in (self._x_buf, self._y_buf, self._valid_buf))
        n, mx, my, mxx, cxy, myy, nzy, xb, yb, vb = self._flat
        out = np.empty(self.shape)
        kernel(
            xf.reshape(m),
            np.ascontiguousarray(y).reshape(m),
            xb,
            yb,
            vb,
            self._count % self.window,
            self._count >= self.window,
            n,
            mx,
            my,
            mxx,
            cxy,
            myy,
            nzy,
            float(self.min_nobs),
            _EPS,
            out.reshape(m),
            _NO_SCALE if scale is None else scale.reshape(m),
        )
        self._count += 1
        if self._count % self.recompute_every == 0:
            self.recompute()
            self._flat = None  # new state arrays
            return self.beta()
        return out

    def _add(self, x: NDArray, y: NDArray, valid: NDArray) -> None:
        self._nzy = self._nzy + (valid & (y != 0.0))
        if valid.all():  # fast path (no NaN today): same algebra without the masks
            self._n = self._n + 1.0
            inv_n = 1.0 / self._n
            dx = x - self._mx
            dy = y - self._my
            self._mx = self._mx + dx * inv_n
            self._my = self._my + dy * inv_n
            ry = y - self._my
            self._cxy = self._cxy + dx * ry
            self._mxx = self._mxx + dx * (x - self._mx)
            self._myy = self._myy + dy * ry
            return
        n_new = self._n + valid
        inv_n = np.divide(1.0, n_new, out=np.zeros(self.shape), where=valid)
        xv = np.where(valid, x, self._mx)  # invalid -> zero increments
        yv = np.where(valid, y, self._my)
        dx = xv - self._mx
        dy = yv - self._my
        self._mx = self._mx + dx * inv_n
        self._my = self._my + dy * inv_n
        self._cxy = self._cxy + dx * (yv - self._my)
        self._mxx = self._mxx + dx * (xv - self._mx)
        self._myy = self._myy + dy * (yv - self._my)
        self._n = n_new

    def _remove(self, slot: int) -> None:
        valid = self._valid_buf[slot]
        if valid.all() and (self._n > 1.0).all():  # fast path: a valid leaver, window stays non-empty
            x = self._x_buf[slot]
            y = self._y_buf[slot]
            self._n = self._n - 1.0
            inv = 1.0 / self._n
            dx = x - self._mx
            dy = y - self._my
            self._mx = self._mx - dx * inv
            self._my = self._my - dy * inv
            ry = y - self._my
            self._cxy = self._cxy - dx * ry
            self._mxx = np.maximum(self._mxx - dx * (x - self._mx), 0.0)
            self._myy = np.maximum(self._myy - dy * ry, 0.0)
            self._zero_flat_y(y != 0.0)
            return
        x = np.where(valid, self._x_buf[slot], self._mx)
        y = np.where(valid, self._y_buf[slot], self._my)
        n_new = self._n - valid
        keep = n_new > 0
        inv = np.divide(1.0, n_new, out=np.zeros(self.shape), where=valid & keep)
        dx = x - self._mx
        dy = y - self._my
        mx_new = self._mx - dx * inv
        my_new = self._my - dy * inv
        cxy = self._cxy - dx * (y - my_new)
        mxx = self._mxx - dx * (x - mx_new)
        myy = self._myy - dy * (y - my_new)
        empty = ~keep
        self._mx = np.where(empty, 0.0, mx_new)
        self._my = np.where(empty, 0.0, my_new)
        self._cxy = np.where(empty, 0.0, cxy)
        # rounding can leave a tiny negative sum of squares after a removal
        self._mxx = np.where(empty, 0.0, np.maximum(mxx, 0.0))
        self._myy = np.where(empty, 0.0, np.maximum(myy, 0.0))
        self._n = n_new
        self._zero_flat_y(valid & (self._y_buf[slot] != 0.0))

    def _zero_flat_y(self, left: NDArray) -> None:
        """Count the nonzero y that left; where none is left in the window, y's exact moments: 0."""
        self._nzy = self._nzy - left
        flat = left & (self._nzy == 0.0)
        if flat.any():
            self._my = np.where(flat, 0.0, self._my)
            self._cxy = np.where(flat, 0.0, self._cxy)
            self._myy = np.where(flat, 0.0, self._myy)

    def recompute(self) -> None:
        """Recompute count, means and co-moments from the ring buffer (two-pass, exact)."""
        filled = min(self._count, self.window)
        valid = self._valid_buf[:filled]
        xb = self._x_buf[:filled]
        yb = self._y_buf[:filled]
        if valid.all():  # common case: no masks, sums of products without temporaries
            n = np.full(self.shape, float(filled))
            mx = xb.sum(axis=0) / filled
            my = yb.sum(axis=0) / filled
            dx = xb - mx
            dy = yb - my
        else:
            xb = np.where(valid, xb, 0.0)
            yb = np.where(valid, yb, 0.0)
            n = valid.sum(axis=0).astype(np.float64)
            has = n > 0
            mx = np.divide(xb.sum(axis=0), n, out=np.zeros(self.shape), where=has)
            my = np.divide(yb.sum(axis=0), n, out=np.zeros(self.shape), where=has)
            dx = np.where(valid, xb - mx, 0.0)
            dy = np.where(valid, yb - my, 0.0)
        # contiguous arrays of their own: the compiled update writes into them in place
        self._n = np.ascontiguousarray(n, dtype=np.float64)
        self._mx = np.ascontiguousarray(mx)
        self._my = np.ascontiguousarray(my)
        self._mxx = np.ascontiguousarray(np.einsum("i...,i...->...", dx, dx))
        self._myy = np.ascontiguousarray(np.einsum("i...,i...->...", dy, dy))
        self._cxy = np.ascontiguousarray(np.einsum("i...,i...->...", dx, dy))
        self._nzy = np.ascontiguousarray((valid & (self._y_buf[:filled] != 0.0)).sum(axis=0), dtype=np.float64)


def _update_kernel(  # noqa: PLR0915 - one compiled pass: remove, add, beta, scale  # pragma: no cover
    x, y, xb, yb, vb, slot, remove, n, mx, my, mxx, cxy, myy, nzy, min_nobs, eps, out, sc
):
    """Compiled :meth:`RollingBeta.update` on flat arrays: remove the leaver in ``slot`` (when the window
    is full), store and add the new pair, write the beta. Per element exactly the numpy steps
    ``_remove``, ``_add``, ``beta`` and ``scale`` (an invalid pair changes nothing; the masked and fast
    numpy paths are the same arithmetic on valid elements). ``sc`` (the scale) has ``x.size`` elements, or 0
    (not written)."""
    for i in range(x.size):
        if remove and vb[slot, i]:
            xo = xb[slot, i]
            yo = yb[slot, i]
            nn = n[i] - 1.0
            if nn > 0.0:
                inv = 1.0 / nn
                dx = xo - mx[i]
                dy = yo - my[i]
                mx[i] = mx[i] - dx * inv
                my[i] = my[i] - dy * inv
                ry = yo - my[i]
                cxy[i] = cxy[i] - dx * ry
                mxx[i] = max(mxx[i] - dx * (xo - mx[i]), 0.0)
                myy[i] = max(myy[i] - dy * ry, 0.0)
                if yo != 0.0:
                    nzy[i] -= 1.0
                    if nzy[i] == 0.0:  # y identically 0 over the window: its exact moments
                        my[i] = 0.0
                        cxy[i] = 0.0
                        myy[i] = 0.0
            else:
                nzy[i] = 0.0
                mx[i] = 0.0
                my[i] = 0.0
                cxy[i] = 0.0
                mxx[i] = 0.0
                myy[i] = 0.0
            n[i] = nn
        xi = x[i]
        yi = y[i]
        valid = np.isfinite(xi) and np.isfinite(yi)
        xb[slot, i] = xi
        yb[slot, i] = yi
        vb[slot, i] = valid
        if valid:
            nn = n[i] + 1.0
            inv_n = 1.0 / nn
            dx = xi - mx[i]
            dy = yi - my[i]
            mx[i] = mx[i] + dx * inv_n
            my[i] = my[i] + dy * inv_n
            ry = yi - my[i]
            cxy[i] = cxy[i] + dx * ry
            mxx[i] = mxx[i] + dx * (xi - mx[i])
            myy[i] = myy[i] + dy * ry
            n[i] = nn
            if yi != 0.0:
                nzy[i] += 1.0
        floor = n[i] * (4.0 * max(n[i], 1.0) * eps * abs(mx[i])) ** 2
        ok = n[i] >= min_nobs and mxx[i] > floor
        out[i] = cxy[i] / mxx[i] if ok else np.nan
        if sc.size:
            sc[i] = np.sqrt(myy[i] / mxx[i]) if ok else np.nan


_COMPILED: list = []
_NO_SCALE = np.empty(0)  # the compiled update's scale output when not asked for


def _compiled_update():  # -> numba dispatcher
    """The compiled update (numba imported on first use only; cached on disk like alvh.pricing._numba)."""
    if not _COMPILED:
        try:
            import numba
        except ImportError as exc:  # pragma: no cover - numba is a declared dependency
            raise InputError("numba is not installed", argument="backend", expected='"numpy"') from exc
        _COMPILED.append(numba.njit(cache=True, nogil=True, error_model="numpy")(_update_kernel))
    return _COMPILED[0]


def beta_ratio(
    beta_short: ArrayLike,
    beta_long: ArrayLike,
    eps: float = 1e-12,
    *,
    scale_short: ArrayLike | None = None,
    scale_long: ArrayLike | None = None,
    tol: float = BETA_TOL,
) -> NDArray[np.float64]:
    r"""Trigger ratio :math:`|\beta_{short}| / |\beta_{long}|`, elementwise.

    Parameters
    ----------
    beta_short, beta_long : array_like (broadcastable)
        Rolling betas of the short- and long-maturity layers (same units, e.g. dollars of
        vega P&L per unit SPX return; or per unit effective vega notional when normalized).
    eps : float
        Without scales: the ratio is NaN where ``|beta_long| <= eps`` (an absolute floor, in the
        betas' units).
    scale_short, scale_long : array_like, optional
        Each beta's data scale :math:`s = sd(y)/sd(x)` over its window (:meth:`RollingBeta.scale`).
        Given both, a beta is **undefined** unless :math:`tol\,s < |\beta| \le (1 + tol)\,s`, and
        the ratio is NaN where either beta is undefined (``eps`` is then not used).
    tol : float
        Relative tolerance, default ``BETA_TOL`` = 1e-6.

    Returns
    -------
    ndarray
        The ratio; NaN where either beta is NaN or undefined.

    Notes
    -----
    :math:`|\beta| / s` is the window's absolute correlation of ``y`` and ``x``. Below ``tol`` the
    slope is no signal: it is rounding residue, e.g. ``y`` exactly 0 over the whole window (a layer
    that was flat) leaves :math:`C_{xy}` at about :math:`\varepsilon` times the moments of the data
    that left the window, a slope near 1e-11 whose sign and size depend on the last bits (the numpy
    and numba backends differ there; with an absolute ``eps`` of 1e-12 one of them fired a rebalance
    on such noise). Above ``1 + tol`` the Cauchy-Schwarz bound :math:`|C_{xy}| \le \sqrt{M_{xx}M_{yy}}`
    is violated, which exact moments cannot do: the moments are such residue too (:math:`M_{yy}`
    rounded to about 0 while :math:`C_{xy}` did not). A relative test scales with the data (dollars
    of a $10M book or per-unit normalized betas alike); an absolute one does not.

    Examples
    --------
    >>> float(beta_ratio(2.0, 1.0, scale_short=4.0, scale_long=2.0)[()])
    2.0
    >>> bool(np.isnan(beta_ratio(2e-11, 5e-12, scale_short=4e-13, scale_long=1e-2))[()])
    True
    """
    if not math.isfinite(eps) or eps < 0:
        raise InputError(f"got {eps!r}", argument="eps", expected="a finite number >= 0")
    if not math.isfinite(tol) or not 0 <= tol < 1:
        raise InputError(f"got {tol!r}", argument="tol", expected="a finite number with 0 <= tol < 1")
    if (scale_short is None) != (scale_long is None):
        raise InputError(
            "only one of scale_short, scale_long given", argument="scale_short", expected="both scales or neither"
        )
    return _ratio(beta_short, beta_long, eps, scale_short, scale_long, tol)


def _ratio(
    beta_short: ArrayLike,
    beta_long: ArrayLike,
    eps: float,
    scale_short: ArrayLike | None,
    scale_long: ArrayLike | None,
    tol: float,
) -> NDArray[np.float64]:
    """:func:`beta_ratio` on arguments already checked (the engine's rebalance checks its constants once)."""
    bs = np.abs(np.asarray(beta_short, dtype=np.float64))
    bl = np.abs(np.asarray(beta_long, dtype=np.float64))
    if scale_short is None or scale_long is None:
        if bs.shape != bl.shape:
            bs, bl = np.broadcast_arrays(bs, bl)
        ok = np.isfinite(bs) & np.isfinite(bl) & (bl > eps)
    else:
        ss = np.asarray(scale_short, dtype=np.float64)
        sl = np.asarray(scale_long, dtype=np.float64)
        # the comparisons broadcast (no np.broadcast_arrays copies: this runs every day of a run)
        with np.errstate(invalid="ignore"):  # NaN betas or scales compare False: undefined
            ok = (bs > tol * ss) & (bs <= (1.0 + tol) * ss) & (bl > tol * sl) & (bl <= (1.0 + tol) * sl)
    out = np.full(ok.shape, np.nan)  # ok broadcasts every argument (np.broadcast_shapes costs more, per day)
    np.divide(bs, bl, out=out, where=ok)
    return out


def trigger(ratio: ArrayLike, threshold: float = 1.4) -> NDArray[np.bool_]:
    """Rebalance trigger: ``ratio > threshold`` (strict); False where the ratio is NaN.

    The default 1.4 is the seed text's rule ("short-bucket beta > 1.4 x long-bucket beta");
    the rules file sets the real value.
    """
    if not np.isfinite(threshold) or threshold <= 0:
        raise InputError(f"got {threshold!r}", argument="threshold", expected="a finite number > 0")
    r = np.asarray(ratio, dtype=np.float64)
    return np.greater(r, threshold, where=np.isfinite(r), out=np.zeros(r.shape, dtype=bool))
