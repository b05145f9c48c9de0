"""SPX implied-volatility surface consistent with VIX and SKEW, without an option chain.

The smile is a per-day tail-weight smile in total implied variance ``w(k, T) = sigma_imp(k, T)**2 * T``
with ``k = ln(K / F)``::

    w(k, T) = theta(T) * (1 + tail * H(z)),      z = k / sqrt(theta(T))

``theta(T)`` is the ATM total variance and ``H`` a fixed smooth convex shape (zero at the money,
decreasing, bounded on the call side, rising on the put side; :mod:`alvh.market._spx_kernel`, where
the one implementation of the formula lives). Two numbers per day and path: ``theta30`` (theta at
30 days) is solved so that Cboe's discretized VIX formula, evaluated on the model's out-of-the-money
option prices over a fixed strike grid at exactly 30 days, equals ``(VIX / 100)**2``; ``tail`` is
solved so that Cboe's SKEW formula on the same grid equals the SKEW index when it is given, else
:data:`DEFAULT_TAIL`. theta's shape in T follows the variance-swap term structure given by VIX9D /
VIX / VIX3M / VIX6M (medians of their real ratios when absent). Every formula and default is derived
in docs/model.md section 1.

The solve never loops over days or paths: the two 30-day sums (VIX and SKEW) are tabulated once on a
(theta, tail) grid with the exact discretized formulas (:mod:`alvh.market.cboe`) and inverted with
bicubic splines; two Newton steps on the exact sum ("polish") finish the cells where the tables alone
could miss VIX by more than about 5e-7 index points (SKEW given and VIX above :data:`POLISH_VIX_ABOVE`;
see :func:`solve_theta30`). The splines are fitted with scipy when the tables are built and memoized with
them (:func:`_disk_memo`); a memo load evaluates them with :mod:`alvh.market._splines` (bit-identical to
scipy's evaluation, tested), so a process that finds the memo never imports scipy.interpolate.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from alvh.errors import InputError
from alvh.market import _spx_kernel
from alvh.market._splines import PiecewiseCubic, TensorBSpline
from alvh.market._spx_kernel import total_variance
from alvh.pricing.units import DAYS_PER_YEAR, VOL_POINTS_PER_UNIT

if TYPE_CHECKING:
    from alvh.data import MarketData

#: Days of the Cboe VIX horizon; the model evaluates the VIX sum at exactly this
#: maturity (Cboe interpolates its near and next terms to 30 days; a model smile
#: is available at any maturity, so no interpolation is needed).
VIX_DAYS: Final[int] = 30
#: 30 days in years (ACT/365, docs/architecture.md).
T30: Final[float] = VIX_DAYS / DAYS_PER_YEAR

#: Strike grid of the Cboe sums in units of the forward, x = K / F: 0.20 .. 2.00
#: step 0.0025 (721 strikes, x = 1 exactly is a node so K0 = F and the
#: (F/K0 - 1)^2 correction vanishes). Cboe lists SPX strikes every 5 points near
#: the money (0.1-0.25% of spot) and truncates after two zero bids; this grid is
#: the model analogue, wide enough that the truncated wings carry < 1e-8 of the
#: sum for VIX <= 90.
X_GRID: Final[np.ndarray] = np.arange(80, 801, dtype=float) / 400.0
DX: Final[float] = 1.0 / 400.0

#: Tail weight when no SKEW is given: the tail at which the model's Cboe SKEW equals the median real
#: SKEW 1990-2026 (119.86) at the median real VIX (17.61); recomputed in tests/test_market_surface.py
#: from ../shared/data.
DEFAULT_TAIL: Final[float] = 0.4339
#: Bounds of the tail weight in the SKEW solve (SKEW outside the reachable range is clipped to it and
#: counted in :attr:`SpxSurface.skew_clipped`). 0 is a flat smile (SKEW about 100); at TAIL_MAX the
#: call wing's total variance is never below 1 + H(+inf) = 38% of ATM (IV 61% of ATM) and the model's
#: SKEW reaches 186-187 at VIX 8-16, 166 at VIX 50 (docs/model.md 1.3); above about 1.05 the butterfly
#: condition fails.
TAIL_MIN: Final[float] = 0.0
TAIL_MAX: Final[float] = 1.0

#: Term nodes (calendar days) of VIX9D, VIX, VIX3M, VIX6M (Cboe: 9 days, 30 days,
#: 3 months = 93 days, 6 months = 184 days... per each index's methodology).
TERM_DAYS: Final[tuple[int, int, int, int]] = (9, 30, 93, 184)
#: Default ratio index / VIX when an index is absent: medians over each index's
#: real history in ../shared/data/vix_index (VIX9D 2011-2026, 3,909 days;
#: VIX3M 2009-2026, 4,235 days; VIX6M 2008-2026, 4,607 days).
DEFAULT_TERM_RATIO: Final[dict[str, float]] = {"vix9d": 0.9420, "vix3m": 1.1303, "vix6m": 1.2191}

# ---------------------------------------------------------------- table ranges
_VIX_LO, _VIX_HI = 2.0, 250.0  # VIX range the tables cover (index points)
#: theta30 range of the tables as multiples of (VIX/100)^2 x T30: a heavy put tail holds much of the
#: VIX variance, so the ATM variance can be far below VIX^2 (0.25 x at TAIL_MAX and low VIX).
_TH_LO, _TH_HI = 0.05, 1.5
#: The default solve (``polish=None``) Newton-polishes only the cells with a SKEW and a VIX above this
#: (index points). Measured without polish (exact sums recomputed on the solved smiles; 200,000 random
#: cells, VIX log-uniform, SKEW uniform 95..200): the tables alone miss VIX by at most 4.4e-7 index points
#: below VIX 40 (relative error <= 2e-8), but by up to 1.0e-5 at VIX 200-250 (relative 4e-8: the
#: bicubic tail-weight inverse); with no SKEW (the 1-D column on 400 exact nodes) by at most 2.5e-8 over
#: the whole range [2, 250]. tests/test_market_surface.py checks the default solve to 1e-6 index points
#: on every real day and on simulated VIX in [2, 250].
POLISH_VIX_ABOVE: Final[float] = 40.0


def _otm_undiscounted(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Undiscounted out-of-the-money Black price per unit forward at strike ratio x (put below 1, call above)."""
    from alvh.pricing import black76_price

    t = 1.0  # total variance is passed as vol**2 * t with t = 1
    vol = np.sqrt(w)
    is_call = x >= 1.0
    price = black76_price(1.0, x, t, vol, 0.0, is_call, validate=False)
    # at x = 1 Cboe uses the average of the put and the call; they are equal at K = F
    return np.asarray(price, dtype=float)


def cboe_sums(theta30: np.ndarray, tail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cboe's 30-day VIX variance and SKEW index of the model smile, by the discretized formulas.

    Parameters
    ----------
    theta30 : ndarray
        ATM total variance at 30 days (decimal variance x years).
    tail : ndarray
        Tail weight, broadcasting with ``theta30``.

    Returns
    -------
    (variance, skew) : tuple of ndarray
        ``variance`` is ``sigma**2`` of the VIX white paper (compare with
        ``(VIX/100)**2``); ``skew`` is ``100 - 10 * S`` (SKEW white paper).

    Notes
    -----
    With the forward normalized to 1 (strikes ``x = K/F``), ``e^{RT} Q(K) = F * b(x)`` with ``b`` the
    undiscounted Black price per unit forward, so rates cancel: :func:`alvh.market.cboe.vix_variance`
    and :func:`alvh.market.cboe.skew_index` at ``F = K0 = 1``, ``r = 0`` on :data:`X_GRID` (which holds
    x = 1, so every epsilon correction of the SKEW paper is 0). Memory is ``theta30.size * 721``
    floats; call on chunks for large inputs.
    """
    from alvh.market import cboe

    th = np.asarray(theta30, dtype=float)[..., None]
    tl = np.asarray(tail, dtype=float)[..., None]
    b = _otm_undiscounted(X_GRID, total_variance(_LNX, th, tl))
    p1, p2, p3 = cboe.log_moment_strips(X_GRID, b, 1.0, 1.0, T30)
    return 2.0 * (-p1) / T30, 100.0 - 10.0 * cboe.skewness_from_strips(p1, p2, p3)


_LNX: Final[np.ndarray] = np.log(X_GRID)


def _chunked_sums(theta30: np.ndarray, tail: np.ndarray, chunk: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    th = np.ravel(theta30)
    tl = np.ravel(np.broadcast_to(tail, np.shape(theta30)))
    var = np.empty_like(th)
    skew = np.empty_like(th)
    for lo in range(0, th.size, chunk):  # chunks bound memory (chunk x 721 floats), not a loop over paths
        var[lo : lo + chunk], skew[lo : lo + chunk] = cboe_sums(th[lo : lo + chunk], tl[lo : lo + chunk])
    return var.reshape(np.shape(theta30)), skew.reshape(np.shape(theta30))


@dataclass(frozen=True)
class _Tables:
    """Inverse maps of the exact 30-day sums on a (theta, tail) grid."""

    log_theta_of: TensorBSpline  # (log variance, tail) -> log theta30
    tail_of: TensorBSpline  # (log var, u = relative SKEW position in the reachable range) -> tail
    log_var_range: tuple[float, float]
    log_theta_range: tuple[float, float]
    skew_min: np.ndarray = field(repr=False)  # reachable SKEW per log-var node
    skew_max: np.ndarray = field(repr=False)
    log_var_nodes: np.ndarray = field(repr=False)
    dlogvar_dlogtheta: TensorBSpline = field(repr=False)  # (log theta, tail) -> d log var / d log theta


#: Environment variable naming the folder of the table cache (default ``$XDG_CACHE_HOME/alvh`` or
#: ``~/.cache/alvh``); set it to an empty string to disable the cache.
CACHE_ENV: Final[str] = "ALVH_CACHE_DIR"


def _cache_file(tag: str, params: str) -> Path | None:
    """Where an exact-sum table is memoized, keyed by everything it depends on (inputs and code)."""
    env = os.environ.get(CACHE_ENV)
    if env == "":
        return None
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alvh"
    from alvh.market import cboe

    try:
        src = "".join(
            inspect.getsource(f)
            for f in (
                total_variance,
                cboe_sums,
                _otm_undiscounted,
                _chunked_sums,
                _tables_sums,
                _theta_inverse,
                _fit_tables,
                _fit_column,
                cboe.log_moment_strips,
                cboe.skewness_from_strips,
                cboe.strike_steps,
            )
        )
    except (OSError, TypeError):  # installed without sources: the code cannot be keyed, so no cache
        return None
    consts = repr(
        (_spx_kernel.TAIL_LAM, _spx_kernel.TAIL_FAR, _spx_kernel.TAIL_ZF, _spx_kernel.TAIL_LAMF, _spx_kernel.TAIL_DAMP)
    )
    import scipy  # the package root only (a few ms): its version keys the fitted spline coefficients

    key = hashlib.sha256(
        f"{tag}|{params}|{consts}|{X_GRID.tobytes().hex()}|{src}|{np.__version__}|{scipy.__version__}".encode()
    ).hexdigest()
    return base / f"tailsmile_{tag}_{key[:24]}.npz"


def _disk_memo(tag: str, params: str, build) -> dict[str, np.ndarray]:  # noqa: ANN001
    """``build()`` (a dict of float arrays), memoized on disk: bit-identical arrays, no recomputation.

    The exact sums behind the solve tables take 1-3 s per process (11 M Black prices); a missing,
    unreadable or non-finite file is rebuilt; a cache folder that cannot be written is skipped.
    """
    path = _cache_file(tag, params)
    if path is not None and path.is_file():
        try:
            with np.load(path) as z:
                out = {k: z[k] for k in z.files}
            if out and all(np.isfinite(v).all() for v in out.values()):
                return out
        except (OSError, ValueError, KeyError):
            pass  # rebuilt below
    out = build()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(tmp, **out)
            os.replace(tmp, path)  # atomic: concurrent processes never read a half-written file
        except OSError:
            pass  # read-only cache folder: no cache, same results
    return out


def _log_theta_nodes(n: int) -> np.ndarray:
    return np.linspace(
        np.log((_VIX_LO / VOL_POINTS_PER_UNIT) ** 2 * T30 * _TH_LO),
        np.log((_VIX_HI / VOL_POINTS_PER_UNIT) ** 2 * T30 * _TH_HI),
        n,
    )


def _tables_sums(log_th: np.ndarray, tail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two exact-sum tables: Cboe variance on the (theta, tail) grid, SKEW on the solved sub-grid."""
    n_th, n_tail = log_th.size, tail.size
    var, _skew = _chunked_sums(np.exp(log_th)[:, None] * np.ones((1, n_tail)), np.ones((n_th, 1)) * tail[None, :])
    lt_of, _lv_grid = _theta_inverse(np.log(var), log_th, tail)
    lv_sub_n = lt_of[::4].shape[0]
    _v, skew_sub = _chunked_sums(np.exp(lt_of[::4]), np.ones((lv_sub_n, 1)) * tail[None, :])
    return var, skew_sub


def _theta_inverse(log_var: np.ndarray, log_th: np.ndarray, tail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each tail column, log theta as a function of log var on a common 400-node grid."""
    from scipy.interpolate import CubicSpline  # fitting only: a table build, not a memo load

    lv_grid = np.linspace(log_var[0].max(), log_var[-1].min(), 400)
    lt_of = np.empty((lv_grid.size, tail.size))
    for j in range(tail.size):  # 70 table columns, built once
        lt_of[:, j] = CubicSpline(log_var[:, j], log_th)(lv_grid)
    return lt_of, lv_grid


def _fit_tables(var: np.ndarray, skew_sub: np.ndarray, log_th: np.ndarray, tail: np.ndarray) -> dict[str, np.ndarray]:
    """The solve's inverse splines fitted (scipy) on the exact-sum tables: knots and coefficients, memoized."""
    from scipy.interpolate import CubicSpline, RectBivariateSpline  # fitting only: a table build

    log_var = np.log(var)
    # inverse in theta: for each tail column, log theta as a function of log var on a common grid
    lt_of, lv_grid = _theta_inverse(log_var, log_th, tail)
    # inverse in tail at fixed VIX: on a sub-grid of log var, the SKEW each tail gives once theta is solved
    # for that var (exact sums at (theta(var, tail), tail): skew_sub from _tables_sums). SKEW rises with the
    # tail up to a peak (beyond it at extreme VIX the far tail leaves the strike grid): the rising branch is
    # tabulated against u = (SKEW - min) / (max - min) in [0, 1]
    lv_sub = lv_grid[::4]
    u_grid = np.linspace(0.0, 1.0, 300)
    tail_of = np.empty((lv_sub.size, u_grid.size))
    s_lo = np.empty(lv_sub.size)
    s_hi = np.empty(lv_sub.size)
    for i in range(lv_sub.size):  # table rows, built once
        row = skew_sub[i]
        top = int(np.argmax(row))
        rising = np.concatenate([[True], np.diff(row[: top + 1]) > 0]).all()
        if not rising or top < 3:
            raise RuntimeError(f"model SKEW not increasing in the tail weight at table row {i}")  # a model bug
        s_lo[i], s_hi[i] = row[0], row[top]
        u = (row[: top + 1] - s_lo[i]) / (s_hi[i] - s_lo[i])
        tail_of[i] = CubicSpline(u, tail[: top + 1])(u_grid)
    slope = np.gradient(log_var, log_th, axis=0)
    out = {
        "skew_min": s_lo,
        "skew_max": s_hi,
        "log_var_nodes": lv_sub,
        "log_var_range": np.array([lv_grid[0], lv_grid[-1]]),
        "log_theta_range": np.array([log_th[0], log_th[-1]]),
    }
    for name, spline in (
        ("log_theta_of", RectBivariateSpline(lv_grid, tail, lt_of, kx=3, ky=3)),
        ("tail_of", RectBivariateSpline(lv_sub, u_grid, tail_of, kx=3, ky=3)),
        ("dlogvar_dlogtheta", RectBivariateSpline(log_th, tail, slope, kx=3, ky=3)),
    ):
        tx, ty, c = spline.tck
        out[f"{name}.tx"], out[f"{name}.ty"], out[f"{name}.c"] = tx, ty, c
    return out


def _spline2(z: dict[str, np.ndarray], name: str) -> TensorBSpline:
    return TensorBSpline(z[f"{name}.tx"], z[f"{name}.ty"], z[f"{name}.c"], kx=3, ky=3)


@lru_cache(maxsize=1)  # a memo of a pure function: not state that changes results
def _tables() -> _Tables:
    n_th, n_tail = 120, 70
    log_th = _log_theta_nodes(n_th)
    tail = np.linspace(TAIL_MIN, TAIL_MAX, n_tail)

    def build() -> dict[str, np.ndarray]:
        var, skew_sub = _tables_sums(log_th, tail)
        return {"var": var, "skew_sub": skew_sub, **_fit_tables(var, skew_sub, log_th, tail)}

    # the exact sums and the splines fitted on them, memoized together: a memo load imports no scipy.interpolate
    z = _disk_memo("tables", f"{n_th}|{n_tail}|{TAIL_MIN!r}|{TAIL_MAX!r}|{_TH_LO!r}|{_TH_HI!r}", build)
    return _Tables(
        log_theta_of=_spline2(z, "log_theta_of"),
        tail_of=_spline2(z, "tail_of"),
        log_var_range=(float(z["log_var_range"][0]), float(z["log_var_range"][1])),
        log_theta_range=(float(z["log_theta_range"][0]), float(z["log_theta_range"][1])),
        skew_min=z["skew_min"],
        skew_max=z["skew_max"],
        log_var_nodes=z["log_var_nodes"],
        dlogvar_dlogtheta=_spline2(z, "dlogvar_dlogtheta"),
    )


def _fit_column(var: np.ndarray, log_th: np.ndarray) -> dict[str, np.ndarray]:
    """log theta30 as a cubic spline (scipy's CubicSpline, not-a-knot) in log variance: breakpoints, coefficients."""
    from scipy.interpolate import CubicSpline  # fitting only: a table build

    spline = CubicSpline(np.log(var), log_th)
    return {"x": spline.x, "c": spline.c}


@lru_cache(maxsize=8)  # pure function of its arguments
def _theta_column(tail: float) -> PiecewiseCubic:
    """log theta30 as a function of log variance at a fixed tail weight (exact sums on 400 theta nodes)."""
    log_th = _log_theta_nodes(400)

    def build() -> dict[str, np.ndarray]:
        var = _chunked_sums(np.exp(log_th), np.full(log_th.size, tail))[0]
        return {"var": var, **_fit_column(var, log_th)}

    z = _disk_memo("column", f"{float(tail)!r}|{_TH_LO!r}|{_TH_HI!r}", build)
    return PiecewiseCubic(z["x"], z["c"])


def as_cells(arr: np.ndarray | float, shape: tuple[int, ...], name: str) -> np.ndarray:
    """Broadcast a per-cell input to ``shape`` = (n_days, n_paths); a 1-D array of length n_days is per day.

    Raises
    ------
    InputError
        Naming ``name`` when the shapes do not broadcast.
    """
    a = np.asarray(arr, dtype=float)
    if a.ndim == 1 and len(shape) == 2 and a.shape[0] == shape[0] and shape[1] != shape[0]:
        a = a[:, None]
    try:
        return np.broadcast_to(a, shape)
    except ValueError:
        raise InputError(
            f"shape {a.shape} does not broadcast to {shape}",
            argument=name,
            expected="(n_days, n_paths), (n_days, 1), (n_days,) or a scalar",
        ) from None


def _check_positive(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr) | (arr <= 0.0)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"non-finite or non-positive value {arr[where]!r} at (day, path) = {where}",
            argument=name,
            expected="finite values > 0 in index points",
        )


def solve_theta30(
    vix: np.ndarray, skew: np.ndarray | None = None, *, polish: bool | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ATM 30-day total variance and tail weight so that the Cboe sums reproduce VIX (and SKEW).

    Parameters
    ----------
    vix : ndarray
        VIX in index points, any shape (e.g. (n_days, n_paths)); finite, in [2, 250].
    skew : ndarray, optional
        SKEW index (same shape); NaN cells use :data:`DEFAULT_TAIL`.
    polish : bool, optional
        ``True``: finish every cell with two Newton steps on the exact discretized sum (cost
        ``vix.size * 721`` Black prices per step). ``False``: the table inversion alone. Default
        (``None``): polish only the cells with a SKEW and VIX above :data:`POLISH_VIX_ABOVE`, where the
        bicubic inverse alone could miss VIX by up to 1e-5 index points; elsewhere the tables reproduce
        VIX to about 5e-7 index points (measured; see :data:`POLISH_VIX_ABOVE`). The choice is per cell:
        which cells are polished does not depend on how many are solved together (chunking, paths).

    Returns
    -------
    (theta30, tail, skew_clipped) : tuple of ndarray
        Same shape as ``vix``; ``skew_clipped`` flags cells whose SKEW was
        outside what the model reaches (clipped to the nearest reachable value:
        the tail weight sits at a bound of [TAIL_MIN, TAIL_MAX]).
    """
    v = np.asarray(vix, dtype=float)
    _check_positive("vix", v)
    if (v < _VIX_LO).any() or (v > _VIX_HI).any():
        where = tuple(int(i) for i in np.argwhere((v < _VIX_LO) | (v > _VIX_HI))[0])
        raise InputError(
            f"VIX {v[where]} at {where} outside the solvable range",
            argument="vix",
            expected=f"VIX in [{_VIX_LO}, {_VIX_HI}] index points",
        )
    tab = _tables()
    target = np.log((v / VOL_POINTS_PER_UNIT) ** 2)
    flat_t = target.ravel()
    tail = np.full(flat_t.shape, DEFAULT_TAIL)
    clipped = np.zeros(flat_t.shape, dtype=bool)
    if skew is not None:
        s = as_cells(skew, v.shape, "skew").ravel()
        given = np.isfinite(s)
        if (given & (s <= 0)).any():
            raise InputError("non-positive SKEW", argument="skew", expected="SKEW index values > 0 (or NaN)")
    else:
        s = np.full(flat_t.shape, np.nan)
        given = np.zeros(flat_t.shape, dtype=bool)
    # constant tail (no SKEW): one 1-D spline column is enough and ~10x faster than the 2-D spline
    log_theta = _theta_column(DEFAULT_TAIL)(flat_t)
    if given.any():
        sg = s[given]
        tg = flat_t[given]
        lo = np.interp(tg, tab.log_var_nodes, tab.skew_min)
        hi = np.interp(tg, tab.log_var_nodes, tab.skew_max)
        sc = np.clip(sg, lo, hi)
        tail[given] = np.clip(tab.tail_of.ev(tg, (sc - lo) / (hi - lo)), TAIL_MIN, TAIL_MAX)
        log_theta[given] = tab.log_theta_of.ev(tg, tail[given])
        clipped[given] = sc != sg
    if polish is None:  # per cell: where the bicubic inverse alone may miss VIX by more than ~5e-7 points
        cells = np.flatnonzero(given & (v.ravel() > POLISH_VIX_ABOVE))
        if cells.size:
            log_theta[cells] = _newton_polish(tab, log_theta[cells], tail[cells], flat_t[cells])
    elif polish:
        log_theta = _newton_polish(tab, log_theta, tail, flat_t)
    shape = v.shape
    return np.exp(log_theta).reshape(shape), tail.reshape(shape), clipped.reshape(shape)


def _newton_polish(tab: _Tables, log_theta: np.ndarray, tail: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Two Newton steps in log theta30 on the exact Cboe variance sum, per cell (1-D arrays)."""
    for _ in range(2):
        var, _s = _chunked_sums(np.exp(log_theta), tail)
        slope = tab.dlogvar_dlogtheta.ev(log_theta, tail)
        log_theta = log_theta + (target - np.log(var)) / slope
    return log_theta


def _term_ratio(
    vix: np.ndarray, vix9d: np.ndarray | None, vix3m: np.ndarray | None, vix6m: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Variance-swap total variance at the term nodes relative to 30 days, monotone, and a 'default used' mask.

    ``W(T_i) = (index_i / 100)^2 * T_i``; ratio ``R_i = W(T_i) / W(30d)``. A
    missing or NaN index uses :data:`DEFAULT_TERM_RATIO` x VIX. Total variance
    must not decrease in T (calendar arbitrage), so ``R`` is made
    non-decreasing by a running maximum (and ``R(9d) <= 1`` by a minimum).
    """
    shape = vix.shape
    out = np.empty(shape + (4,))
    used_default = np.zeros(shape + (3,), dtype=bool)
    for j, (name, arr, days) in enumerate((("vix9d", vix9d, 9), ("vix3m", vix3m, 93), ("vix6m", vix6m, 184))):
        ratio_default = DEFAULT_TERM_RATIO[name]
        if arr is None:
            level = np.full(shape, np.nan)
        else:
            level = as_cells(arr, shape, name)
            if (np.isfinite(level) & (level <= 0)).any():
                raise InputError(f"non-positive {name}", argument=name, expected="index points > 0 (or NaN)")
        miss = ~np.isfinite(level)
        level = np.where(miss, ratio_default * vix, level)
        used_default[..., j] = miss
        col = {0: 0, 1: 2, 2: 3}[j]
        out[..., col] = (level / vix) ** 2 * (days / VIX_DAYS)
    out[..., 1] = 1.0
    out[..., 0] = np.minimum(out[..., 0], 1.0)
    out = np.maximum.accumulate(out, axis=-1)
    return out, used_default


def _default_term_ratio(vix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_term_ratio` with no term index given (the default ratio x VIX at every node), the same
    numbers in a third of the time: no NaN levels to replace, the running maximum of four columns written
    out (the 30-day node is 1 and the 9-day one at most 1, so it is 1, then the larger of it and each later
    node); ``vix`` finite and positive (checked by :func:`solve_theta30`)."""
    out = np.empty(vix.shape + (4,))
    nodes = (("vix9d", 9), ("vix3m", 93), ("vix6m", 184))
    r9, r3, r6 = ((DEFAULT_TERM_RATIO[name] * vix / vix) ** 2 * (days / VIX_DAYS) for name, days in nodes)
    out[..., 0] = np.minimum(r9, 1.0)
    out[..., 1] = 1.0
    np.maximum(1.0, r3, out=r3)
    out[..., 2] = r3
    out[..., 3] = np.maximum(r3, r6)
    return out, np.ones(vix.shape + (3,), dtype=bool)


_TERM_T: Final[np.ndarray] = np.array(TERM_DAYS, dtype=float) / DAYS_PER_YEAR


def _interp_ratio(t: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Piecewise-linear total-variance ratio R(t): through (0, 0) and the nodes; beyond 184 days, flat variance rate."""
    # the node values are per cell (ratio[..., 4]); t broadcasts against ratio[..., 0]
    r0 = ratio[..., 0]
    if np.ndim(t) == 0:  # one t for every cell (a new condor's expiry): pick the segment once, same arithmetic
        tf = float(t)
        if tf <= _TERM_T[0]:
            return r0 * t / _TERM_T[0]
        for j in range(3):
            a, b = _TERM_T[j], _TERM_T[j + 1]
            if a < tf <= b:
                ra, rb = ratio[..., j], ratio[..., j + 1]
                return ra + (rb - ra) * (t - a) / (b - a)
        if tf > _TERM_T[-1]:
            return ratio[..., 3] * t / _TERM_T[-1]
        return np.zeros(r0.shape)  # NaN t: as the masked form below
    out = np.where(t <= _TERM_T[0], r0 * t / _TERM_T[0], 0.0)
    for j in range(3):  # 3 node intervals, not a loop over data
        a, b = _TERM_T[j], _TERM_T[j + 1]
        ra, rb = ratio[..., j], ratio[..., j + 1]
        inside = (t > a) & (t <= b)
        out = np.where(inside, ra + (rb - ra) * (t - a) / (b - a), out)
    out = np.where(t > _TERM_T[-1], ratio[..., 3] * t / _TERM_T[-1], out)
    return out


@dataclass(frozen=True)
class SpxSmileDay:
    """The surface on one day: parameter arrays of shape (n_paths,).

    ``iv(k, t)`` broadcasts ``k`` (log-moneyness ``ln(K/F)``) and ``t``
    (years) against ``(n_paths, m)``.
    """

    theta30: np.ndarray
    tail: np.ndarray
    term_ratio: np.ndarray  # (n_paths, 4)

    def atm_total_variance(self, t: np.ndarray | float) -> np.ndarray:
        """ATM total variance ``theta(t)`` (decimal variance x years); ``t`` broadcasts against (n_paths, m)."""
        # (n_paths, 1) so that k and t broadcast against (n_paths, m)
        return self.theta30[:, None] * _interp_ratio(np.asarray(t, dtype=float), self.term_ratio[:, None, :])

    def total_variance(self, k: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
        """Total implied variance ``w(k, t)``; ``k`` and ``t`` broadcast against (n_paths, m)."""
        return total_variance(np.asarray(k, dtype=float), self.atm_total_variance(t), self.tail[:, None])

    def iv(self, k: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
        """Implied volatility (decimal) at log-moneyness ``k`` and time ``t`` years (> 0).

        Raises
        ------
        InputError
            ``t`` not finite and > 0, or ``k`` not finite.
        """
        tt = np.asarray(t, dtype=float)
        kk = np.asarray(k, dtype=float)
        if not np.isfinite(tt).all() or (tt <= 0).any():
            raise InputError("time to expiry must be finite and > 0", argument="t", expected="years > 0")
        if not np.isfinite(kk).all():
            raise InputError("log-moneyness must be finite", argument="k", expected="finite ln(K/F)")
        return np.sqrt(self.total_variance(kk, tt) / tt)

    def iv_at(self, t: float) -> Callable[[np.ndarray], np.ndarray]:
        """``k -> iv(k, t)`` at one maturity ``t`` (years, > 0): theta(t) is computed once, so a caller that
        evaluates many ``k`` at one expiry (the engine's strike fixed point) repeats only the smile itself.
        The same numbers as :meth:`iv`; ``k`` must be finite (not checked per call).

        Raises
        ------
        InputError
            ``t`` not finite and > 0.
        """
        tt = np.asarray(t, dtype=float)
        if tt.ndim != 0 or not np.isfinite(tt) or tt <= 0:
            raise InputError("time to expiry must be one finite number > 0", argument="t", expected="years > 0")
        theta_t = self.atm_total_variance(tt)
        tail = self.tail[:, None]

        def iv(k: np.ndarray) -> np.ndarray:
            return np.sqrt(total_variance(np.asarray(k, dtype=float), theta_t, tail) / tt)

        return iv

    def iv_at_rows(self, t: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """:meth:`iv_at` with one maturity per row: ``t`` (n_paths,) years > 0, ``k`` (n_paths, m); the same
        numbers element by element (the engine's core entries of every day at once, one row per day and path).

        Raises
        ------
        InputError
            ``t`` not (n_paths,) finite and > 0.
        """
        tt = np.asarray(t, dtype=float)
        if tt.shape != self.theta30.shape or not np.isfinite(tt).all() or (tt <= 0).any():
            raise InputError("times to expiry must be finite and > 0, one per row", argument="t", expected="years > 0")
        tt = tt[:, None]
        theta_t = self.atm_total_variance(tt)
        tail = self.tail[:, None]

        def iv(k: np.ndarray) -> np.ndarray:
            return np.sqrt(total_variance(np.asarray(k, dtype=float), theta_t, tail) / tt)

        return iv


@dataclass(frozen=True)
class SpxSurface:
    """Tail-weight SPX surface per day and path, solved to reproduce VIX (and SKEW) with Cboe's formulas.

    Attributes
    ----------
    theta30 : ndarray, shape (n_days, n_paths)
        ATM total implied variance at 30 days (decimal variance x years).
    tail : ndarray, shape (n_days, n_paths)
        Tail weight (put wing up, call wing down); from SKEW when given, else :data:`DEFAULT_TAIL`.
    term_ratio : ndarray, shape (n_days, n_paths, 4)
        ATM total variance at 9, 30, 93, 184 days relative to 30 days.
    skew_clipped : ndarray of bool, shape (n_days, n_paths)
        SKEW outside the model's reachable range (clipped; tail at a bound).
    term_default : ndarray of bool, shape (n_days, n_paths, 3)
        VIX9D / VIX3M / VIX6M absent (median ratio used).
    """

    theta30: np.ndarray
    tail: np.ndarray
    term_ratio: np.ndarray
    skew_clipped: np.ndarray | None = None
    term_default: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(n_days, n_paths)."""
        return self.theta30.shape

    def day(self, i: int) -> SpxSmileDay:
        """The smile of day ``i`` for every path."""
        return SpxSmileDay(theta30=self.theta30[i], tail=self.tail[i], term_ratio=self.term_ratio[i])

    def vix_check(self) -> tuple[np.ndarray, np.ndarray]:
        """Cboe 30-day variance and SKEW recomputed from the solved smiles (exact sums, chunked)."""
        return _chunked_sums(self.theta30, self.tail)

    @classmethod
    def from_vix(
        cls,
        vix: np.ndarray,
        *,
        vix9d: np.ndarray | None = None,
        vix3m: np.ndarray | None = None,
        vix6m: np.ndarray | None = None,
        skew: np.ndarray | None = None,
        polish: bool | None = None,
    ) -> SpxSurface:
        """Surface from (simulated or historical) VIX of shape (n_days, n_paths).

        Optional term indices and SKEW broadcast against ``vix``; NaN cells
        use the documented defaults. A 1-D ``vix`` is taken as (n_days, 1).

        Raises
        ------
        InputError
            VIX not finite and positive, or outside [2, 250]; non-positive
            term index or SKEW.
        """
        v = np.asarray(vix, dtype=float)
        if v.ndim == 1:
            v = v[:, None]
            vix9d, vix3m, vix6m, skew = (
                None if a is None else np.asarray(a, dtype=float)[:, None] for a in (vix9d, vix3m, vix6m, skew)
            )
        if v.ndim != 2:
            raise InputError(f"shape {v.shape}", argument="vix", expected="an array of shape (n_days, n_paths)")
        theta30, tail, clipped = solve_theta30(v, skew, polish=polish)
        if vix9d is None and vix3m is None and vix6m is None:  # simulated VIX: every term index defaulted
            ratio, used = _default_term_ratio(v)
        else:
            ratio, used = _term_ratio(v, vix9d, vix3m, vix6m)
        return cls(theta30=theta30, tail=tail, term_ratio=ratio, skew_clipped=clipped, term_default=used)

    @classmethod
    def from_market(cls, market: MarketData, *, use_skew: bool = True) -> SpxSurface:
        """Historical surface (n_paths = 1) from MarketData's VIX close and any of VIX9D/3M/6M, SKEW."""
        idx = market.indices

        def get(name: str) -> np.ndarray | None:
            return idx[name].to_numpy(dtype=float) if name in idx.columns else None

        return cls.from_vix(
            market.vix["close"].to_numpy(dtype=float),
            vix9d=get("vix9d"),
            vix3m=get("vix3m"),
            vix6m=get("vix6m"),
            skew=get("skew") if use_skew else None,
        )
