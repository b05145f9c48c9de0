"""Batch rolling OLS (with intercept) from windowed running sums, vectorized over extra axes.

Same contract as statsmodels ``RollingOLS`` (window, ``min_nobs``, ``expanding``, a missing-data
policy, NaN before the first full window) but computed from cumulative sums restarted every
``window`` rows around a local centre, so the cost is O(n k^2) and the cancellation of raw sums
of squares never occurs (SPX levels ~5000 with tiny moves keep full precision). Formulas and
defaults are in docs/analytics.md, section "Rolling regression and trigger".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh.errors import InputError

__all__ = ["RollingOLSResult", "rolling_ols"]

MissingPolicy = Literal["raise", "drop", "skip"]


@dataclass(frozen=True)
class RollingOLSResult:
    """Per-window estimates; row ``t`` uses the window ending at row ``t`` (inclusive).

    Attributes
    ----------
    params, bse, tvalues : ndarray, shape ``(n, *batch, p)``
        Coefficients (``const`` first when an intercept is fitted), their classical
        (non-robust) standard errors ``sqrt(diag(s^2 (X'X)^-1))``, ``s^2 = SSR/(nobs-p)``,
        and t-values ``params / bse``. NaN where the window is not estimable.
    rsquared : ndarray, shape ``(n, *batch)``
        Centred R^2 with an intercept (uncentred without), as statsmodels.
    nobs : ndarray of int, shape ``(n, *batch)``
        Valid observations in each window.
    param_names : tuple of str
    index : pandas.Index or None
        The input's index when ``y`` was a pandas object.
    """

    params: NDArray[np.float64]
    bse: NDArray[np.float64]
    tvalues: NDArray[np.float64]
    rsquared: NDArray[np.float64]
    nobs: NDArray[np.int64]
    param_names: tuple[str, ...]
    index: pd.Index | None

    def to_frame(self) -> pd.DataFrame:
        """One row per date: ``<name>``, ``bse_<name>``, ``t_<name>`` per parameter, ``rsquared``, ``nobs``.

        Only for a single series (no batch axes).
        """
        if self.params.ndim != 2:
            raise InputError(
                f"result has batch shape {self.params.shape[1:-1]}",
                argument="self",
                expected="a single-series result (y of shape (n,))",
            )
        cols: dict[str, NDArray] = {}
        for j, name in enumerate(self.param_names):
            cols[name] = self.params[:, j]
        for j, name in enumerate(self.param_names):
            cols[f"bse_{name}"] = self.bse[:, j]
        for j, name in enumerate(self.param_names):
            cols[f"t_{name}"] = self.tvalues[:, j]
        cols["rsquared"] = self.rsquared
        cols["nobs"] = self.nobs
        index = self.index if self.index is not None else pd.RangeIndex(self.params.shape[0])
        return pd.DataFrame(cols, index=index)


def _as_inputs(y: object, X: object) -> tuple[NDArray, NDArray, list[str], str, pd.Index | None]:
    index = None
    y_name = "y"
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise InputError(
                f"a DataFrame with {y.shape[1]} columns",
                argument="y",
                expected="a Series, a one-column DataFrame or an ndarray",
            )
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        index = y.index
        y_name = str(y.name) if y.name is not None else "y"
        y_arr = y.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        y_arr = np.asarray(y, dtype=np.float64)
    if isinstance(X, pd.Series):
        x_index = X.index
        names = [str(X.name) if X.name is not None else "x1"]
        x_arr = X.to_numpy(dtype=np.float64, na_value=np.nan)[:, None]
    elif isinstance(X, pd.DataFrame):
        x_index = X.index
        names = [str(c) for c in X.columns]
        x_arr = X.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        x_index = None
        x_arr = np.asarray(X, dtype=np.float64)
        if x_arr.ndim == 1:
            x_arr = x_arr[:, None]
        names = [f"x{j + 1}" for j in range(x_arr.shape[-1])]
    if index is not None and x_index is not None and not index.equals(x_index):
        raise InputError(
            "index of X differs from the index of y",
            argument="X",
            expected="the same index as y (align the series explicitly first)",
        )
    if index is None and x_index is not None:
        index = x_index
    if index is not None:
        if index.has_duplicates:
            raise InputError("duplicate index labels", argument="y", expected="unique dates")
        if not index.is_monotonic_increasing:
            raise InputError("index is not sorted ascending", argument="y", expected="dates sorted ascending")
    if y_arr.ndim < 1 or y_arr.shape[0] == 0:
        raise InputError(f"shape {y_arr.shape}", argument="y", expected="at least one observation on axis 0")
    n = y_arr.shape[0]
    if x_arr.shape[0] != n:
        raise InputError(f"{x_arr.shape[0]} rows but y has {n}", argument="X", expected=f"{n} rows")
    batch = y_arr.shape[1:]
    if x_arr.ndim == 2:
        x_arr = np.broadcast_to(
            x_arr.reshape((n,) + (1,) * len(batch) + (x_arr.shape[1],)), (n, *batch, x_arr.shape[1])
        )
    elif x_arr.shape[:-1] != y_arr.shape:
        raise InputError(
            f"shape {x_arr.shape} with y of shape {y_arr.shape}",
            argument="X",
            expected="shape (n, k) or (n, *y.shape[1:], k)",
        )
    return y_arr, x_arr, names, y_name, index


def _window_sums(a: NDArray, *, hi0: int, hi1: int, first_block: bool) -> NDArray:
    """Sums of ``a`` over the windows ending at segment offsets ``hi0..hi1-1`` (running-sum differences).

    In the first block every window starts at row 0, so the sums are the cumulative sums themselves; later,
    the window ending at offset ``e`` starts at ``e - (hi0 - 1)`` and the cumulative sum before it is subtracted.
    """
    cum = np.cumsum(a, axis=0)
    if first_block:
        return cum[hi0 - 1 : hi1 - 1]
    out = cum[hi0 - 1 : hi1 - 1].copy()
    out[:] -= np.concatenate([np.zeros((1, *a.shape[1:])), cum[: hi1 - hi0 - 1]])
    return out


def rolling_ols(  # noqa: PLR0915 - running sums, block by block
    y: object,
    X: object,
    window: int,
    min_nobs: int | None = None,
    expanding: bool = False,
    missing: MissingPolicy = "raise",
    add_constant: bool = True,
) -> RollingOLSResult:
    r"""Rolling OLS of ``y`` on ``X`` (plus an intercept) over the last ``window`` rows.

    Parameters
    ----------
    y : pandas.Series or ndarray, shape ``(n,)`` or ``(n, *batch)``
        Dependent variable, rows ordered in time (e.g. a layer's daily vega P&L in dollars).
    X : pandas.Series, DataFrame or ndarray, shape ``(n,)``, ``(n, k)`` or ``(n, *batch, k)``
        Regressors (e.g. SPX daily return and exogenous series). Do not include a constant
        column when ``add_constant=True`` (it would make the design singular -> NaN).
    window : int
        Rows per window (trading days); windows are by position, valid or not.
    min_nobs : int, optional
        Minimum valid rows for an estimate; default ``p`` (number of parameters), as statsmodels.
    expanding : bool
        If True, rows before the first full window use all rows so far (once ``min_nobs`` is met).
    missing : {"raise", "drop", "skip"}
        ``"raise"`` (default): any NaN/inf in ``y`` or ``X`` raises :class:`InputError` naming the
        series and the first bad row. ``"drop"``: rows with a NaN are excluded from their windows,
        which then count fewer ``nobs``. ``"skip"``: a window containing any NaN row gives NaN.
    add_constant : bool
        Fit an intercept (named ``const``, first parameter).

    Returns
    -------
    RollingOLSResult

    Notes
    -----
    Window sums :math:`n, \sum z, \sum z z^\top` of :math:`z = (x, y) - c` come from cumulative
    sums restarted for every block of ``window`` end rows, centred at the block's mean ``c``.
    With an intercept, the slopes solve :math:`M_{xx} b = M_{xy}` with :math:`M = \sum z z^\top
    - (\sum z)(\sum z)^\top / n` (co-moments about the window mean), ``const = ybar - xbar'b``,
    :math:`SSR = M_{yy} - b^\top M_{xy}`, :math:`\operatorname{Var}(b) = s^2 M_{xx}^{-1}`,
    :math:`\operatorname{Var}(const) = s^2 (1/n + \bar x^\top M_{xx}^{-1} \bar x)`.
    A window whose design is singular (scaled smallest eigenvalue < 1e-12) gives NaN.
    Tested window by window against statsmodels ``RollingOLS`` and numpy ``lstsq``.
    """
    if missing not in ("raise", "drop", "skip"):
        raise InputError(f"got {missing!r}", argument="missing", expected="'raise', 'drop' or 'skip'")
    y_arr, x_arr, names, y_name, index = _as_inputs(y, X)
    n = y_arr.shape[0]
    batch = y_arr.shape[1:]
    k = x_arr.shape[-1]
    p = k + int(bool(add_constant))
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise InputError(f"got {window!r}", argument="window", expected="a positive integer")
    window = int(window)
    if window > n and not expanding:
        raise InputError(
            f"window of {window} rows is longer than the {n} rows of data",
            argument="window",
            expected=f"window <= {n}, or expanding=True",
        )
    if min_nobs is None:
        min_nobs = p
    if isinstance(min_nobs, bool) or not isinstance(min_nobs, (int, np.integer)) or not p <= min_nobs <= window:
        raise InputError(
            f"got {min_nobs!r} with {p} parameters and window={window}",
            argument="min_nobs",
            expected=f"an integer with {p} <= min_nobs <= window",
        )
    param_names = (("const",) if add_constant else ()) + tuple(names)

    z = np.concatenate([x_arr, y_arr[..., None]], axis=-1)  # (n, *batch, k+1)
    finite = np.isfinite(z)
    valid = finite.all(axis=-1)  # (n, *batch)
    if missing == "raise" and not valid.all():
        bad = np.argwhere(~finite)[0]
        row, col = int(bad[0]), int(bad[-1])
        series = y_name if col == k else names[col]
        where = f"row {row}" + (f" ({index[row]})" if index is not None else "")
        raise InputError(
            f"series {series!r} has a missing or non-finite value at {where}",
            argument="y" if col == k else "X",
            expected="no NaN/inf (fill the gap, or pass missing='drop' or 'skip')",
        )

    m = k + 1
    all_valid = bool(valid.all())
    s_n = np.zeros((n, *batch))
    s_1 = np.zeros((n, *batch, m))
    iu = np.triu_indices(m)
    s_tri = np.zeros((n, *batch, len(iu[0])))  # window sums of z z', upper triangle
    n_bad = np.zeros((n, *batch))
    centre = np.zeros((n, *batch, m))
    for b0 in range(0, n, window):  # loop over blocks of `window` end rows (n / window steps)
        b1 = min(b0 + window, n)
        seg0 = max(0, b0 - window + 1)
        v = valid[seg0:b1]
        zs = z[seg0:b1] if all_valid else np.where(v[..., None], z[seg0:b1], 0.0)
        cnt = v.sum(axis=0)
        c = np.divide(zs.sum(axis=0), cnt[..., None], out=np.zeros(zs.shape[1:]), where=cnt[..., None] > 0)
        zc = zs - c if all_valid else np.where(v[..., None], zs - c, 0.0)
        # upper triangle of z z' only (symmetric)
        zz = zc[..., iu[0]] * zc[..., iu[1]]
        # window ending at row e covers rows max(e-window+1, 0)..e; as offsets into the segment
        # the ends are the contiguous range hi0..hi1 and the starts lo0..lo1 (all 0 in block 0)
        hi0, hi1 = b0 - seg0 + 1, b1 - seg0 + 1
        wsum = functools.partial(_window_sums, hi0=hi0, hi1=hi1, first_block=b0 == 0)
        s_n[b0:b1] = wsum(v.astype(np.float64))
        s_1[b0:b1] = wsum(zc)
        s_tri[b0:b1] = wsum(zz)
        if not all_valid:
            n_bad[b0:b1] = wsum((~v).astype(np.float64))
        centre[b0:b1] = c

    nobs = np.rint(s_n).astype(np.int64)
    est = nobs >= min_nobs
    if not expanding:
        est[: window - 1] = False
    if missing == "skip":
        est &= n_bad == 0
    if k == 1 and add_constant:
        return _finish_one_regressor(s_n, s_1, s_tri, centre, est, nobs, param_names, index)
    s_2 = np.zeros((n, *batch, m, m))
    s_2[..., iu[0], iu[1]] = s_tri
    s_2[..., iu[1], iu[0]] = s_tri
    del s_tri
    n_safe = np.where(est, s_n, 1.0)[..., None]
    mean_c = s_1 / n_safe  # window mean minus centre
    if add_constant:
        mom = s_2 - s_1[..., :, None] * s_1[..., None, :] / n_safe[..., None]
    else:
        # raw moments sum (z)(z)' = sum (zc + c)(zc + c)'
        mom = (
            s_2
            + centre[..., :, None] * s_1[..., None, :]
            + s_1[..., :, None] * centre[..., None, :]
            + n_safe[..., None] * centre[..., :, None] * centre[..., None, :]
        )
    a = mom[..., :k, :k]
    rhs = mom[..., :k, k]
    syy = mom[..., k, k]
    if k == 1:  # one regressor: scalar algebra, no batched linalg
        a00 = a[..., 0, 0]
        ok = est & (a00 > 0)
        inv00 = np.divide(1.0, a00, out=np.zeros(a00.shape), where=ok)
        a_inv = inv00[..., None, None]
        slopes = rhs * inv00[..., None]
    else:
        diag = np.diagonal(a, axis1=-2, axis2=-1)
        scale_ok = np.all(diag > 0, axis=-1) & est
        d = np.sqrt(np.where(scale_ok[..., None], diag, 1.0))
        a_scaled = a / (d[..., :, None] * d[..., None, :])
        eye = np.eye(k)
        a_scaled = np.where(scale_ok[..., None, None], a_scaled, eye)
        eig = np.linalg.eigvalsh(a_scaled)
        ok = scale_ok & (eig[..., 0] > 1e-12 * eig[..., -1])
        a_scaled = np.where(ok[..., None, None], a_scaled, eye)
        a_inv = np.linalg.inv(a_scaled) / (d[..., :, None] * d[..., None, :])
        slopes = np.einsum("...ij,...j->...i", a_inv, rhs)
    ssr = np.maximum(syy - np.einsum("...i,...i->...", slopes, rhs), 0.0)
    df = s_n - p
    has_df = ok & (df > 0)
    sigma2 = np.divide(ssr, df, out=np.full(ssr.shape, np.nan), where=has_df)
    var_slopes = sigma2[..., None] * np.diagonal(a_inv, axis1=-2, axis2=-1)
    if add_constant:
        xbar = centre[..., :k] + mean_c[..., :k]
        ybar = centre[..., k] + mean_c[..., k]
        const = ybar - np.einsum("...i,...i->...", xbar, slopes)
        var_const = sigma2 * (1.0 / n_safe[..., 0] + np.einsum("...i,...ij,...j->...", xbar, a_inv, xbar))
        params = np.concatenate([const[..., None], slopes], axis=-1)
        var = np.concatenate([var_const[..., None], var_slopes], axis=-1)
    else:
        params = slopes
        var = var_slopes
    params = np.where(ok[..., None], params, np.nan)
    bse = np.sqrt(np.where(has_df[..., None] & (var >= 0), var, np.nan))
    tvalues = np.divide(params, bse, out=np.full(params.shape, np.nan), where=has_df[..., None] & (bse > 0))
    rsq = np.full(ssr.shape, np.nan)
    np.divide(ssr, syy, out=rsq, where=ok & (syy > 0))
    rsq = np.where(ok & (syy > 0), 1.0 - rsq, np.nan)
    return RollingOLSResult(
        params=params,
        bse=bse,
        tvalues=tvalues,
        rsquared=rsq,
        nobs=np.where(est | (nobs > 0), nobs, 0),
        param_names=param_names,
        index=index,
    )


def _finish_one_regressor(
    s_n: NDArray,
    s_1: NDArray,
    s_tri: NDArray,
    centre: NDArray,
    est: NDArray,
    nobs: NDArray,
    param_names: tuple[str, ...],
    index: pd.Index | None,
) -> RollingOLSResult:
    """The general formulas of :func:`rolling_ols` written out for y = const + b x (no batched linalg)."""
    nn = np.where(est, s_n, 1.0)
    sx, sy = s_1[..., 0], s_1[..., 1]
    a = s_tri[..., 0] - sx * sx / nn  # Mxx
    rhs = s_tri[..., 1] - sx * sy / nn  # Mxy
    syy = s_tri[..., 2] - sy * sy / nn  # Myy
    ok = est & (a > 0)
    inv = np.divide(1.0, a, out=np.zeros(a.shape), where=ok)
    slope = rhs * inv
    ssr = np.maximum(syy - slope * rhs, 0.0)
    df = s_n - 2.0
    has_df = ok & (df > 0)
    sigma2 = np.divide(ssr, df, out=np.full(ssr.shape, np.nan), where=has_df)
    xbar = centre[..., 0] + sx / nn
    ybar = centre[..., 1] + sy / nn
    const = ybar - xbar * slope
    params = np.stack([const, slope], axis=-1)
    params[~ok] = np.nan
    var = np.stack([sigma2 * (1.0 / nn + xbar * xbar * inv), sigma2 * inv], axis=-1)
    bse = np.sqrt(np.where(has_df[..., None] & (var >= 0), var, np.nan))
    tvalues = np.divide(params, bse, out=np.full(params.shape, np.nan), where=has_df[..., None] & (bse > 0))
    good = ok & (syy > 0)
    rsq = np.full(ssr.shape, np.nan)
    np.divide(ssr, syy, out=rsq, where=good)
    rsq = np.where(good, 1.0 - rsq, np.nan)
    return RollingOLSResult(
        params=params,
        bse=bse,
        tvalues=tvalues,
        rsquared=rsq,
        nobs=np.where(est | (nobs > 0), nobs, 0),
        param_names=param_names,
        index=index,
    )
