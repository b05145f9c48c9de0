"""SPX implied-volatility surface consistent with VIX, without an option chain.

The smile is SSVI (Gatheral & Jacquier 2014, "Arbitrage-free SVI volatility
surfaces", Quantitative Finance 14(1)) in total implied variance
``w(k, T) = sigma_imp(k, T)**2 * T`` with ``k = ln(K / F)``::

    w(k, T) = theta(T) / 2 * (1 + rho*phi*k + sqrt((phi*k + rho)**2 + 1 - rho**2))
    phi(theta) = eta / (theta**gamma * (1 + theta)**(1 - gamma))      (power law, GJ Remark 4.4)

``theta(T)`` is the ATM total variance. Its level at 30 days is solved per day
and per path so that Cboe's discretized VIX formula, evaluated on the model's
out-of-the-money option prices over a fixed strike grid at exactly 30 days,
equals ``(VIX / 100)**2``. Its shape in T follows the variance-swap term
structure given by VIX9D / VIX / VIX3M / VIX6M (medians of their real ratios
when absent). ``rho`` is solved so that Cboe's SKEW formula on the same grid
equals the SKEW index when it is given, else :data:`DEFAULT_RHO`.
Every formula and default is derived in docs/model.md.

The solve never loops over days or paths: the two 30-day sums (VIX and SKEW)
are tabulated once on a (theta, rho) grid with the exact discretized formulas
and inverted with bicubic splines; a final Newton step on the exact sum
("polish") is applied when the problem is small enough (see :func:`solve_theta30`).
"""

from __future__ import annotations

import hashlib
import inspect
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
from scipy.interpolate import CubicSpline, RectBivariateSpline

from alvh.errors import InputError

if TYPE_CHECKING:
    from alvh.data import MarketData

#: Days of the Cboe VIX horizon; the model evaluates the VIX sum at exactly this
#: maturity (Cboe interpolates its near and next terms to 30 days; a model smile
#: is available at any maturity, so no interpolation is needed).
VIX_DAYS: Final[int] = 30
#: 30 days in years (ACT/365, docs/architecture.md).
T30: Final[float] = VIX_DAYS / 365.0

#: Strike grid of the Cboe sums in units of the forward, x = K / F: 0.20 .. 2.00
#: step 0.0025 (721 strikes, x = 1 exactly is a node so K0 = F and the
#: (F/K0 - 1)^2 correction vanishes). Cboe lists SPX strikes every 5 points near
#: the money (0.1-0.25% of spot) and truncates after two zero bids; this grid is
#: the model analogue, wide enough that the truncated wings carry < 1e-8 of the
#: sum for VIX <= 90.
X_GRID: Final[np.ndarray] = np.arange(80, 801, dtype=float) / 400.0
DX: Final[float] = 1.0 / 400.0

#: SSVI power-law exponent. 0.5 makes the ATM skew d(sigma)/dk proportional to
#: T**-0.5 for small theta, the usual empirical SPX skew term structure, and is
#: inside GJ's (0, 1/2] range for Remark 4.4.
DEFAULT_GAMMA: Final[float] = 0.5
#: SSVI eta. GJ Remark 4.4: the power law is free of static arbitrage when
#: eta * (1 + |rho|) <= 2; eta = 1 is the largest value that satisfies it for
#: every rho in [-1, 1], so any rho the SKEW solve returns stays arbitrage-free.
DEFAULT_ETA: Final[float] = 1.0
#: rho when no SKEW is given: the rho at which the model's Cboe SKEW equals the
#: median real SKEW 1990-2026 (119.86) at the median real VIX (17.61); recomputed
#: in tests/test_market_surface.py from ../shared/data.
DEFAULT_RHO: Final[float] = -0.5363
#: Bounds of rho in the SKEW solve (SKEW outside the reachable range is clipped
#: and counted in :attr:`SpxSurface.skew_clipped`).
RHO_MIN: Final[float] = -0.99
RHO_MAX: Final[float] = 0.30

#: Term nodes (calendar days) of VIX9D, VIX, VIX3M, VIX6M (Cboe: 9 days, 30 days,
#: 3 months = 93 days, 6 months = 184 days... per each index's methodology).
TERM_DAYS: Final[tuple[int, int, int, int]] = (9, 30, 93, 184)
#: Default ratio index / VIX when an index is absent: medians over each index's
#: real history in ../shared/data/vix_index (VIX9D 2011-2026, 3,909 days;
#: VIX3M 2009-2026, 4,235 days; VIX6M 2008-2026, 4,607 days).
DEFAULT_TERM_RATIO: Final[dict[str, float]] = {"vix9d": 0.9420, "vix3m": 1.1303, "vix6m": 1.2191}

# ---------------------------------------------------------------- table ranges
_VIX_LO, _VIX_HI = 2.0, 250.0  # VIX range the tables cover (index points)


def _phi(theta: np.ndarray, eta: float, gamma: float) -> np.ndarray:
    return eta / (np.power(theta, gamma) * np.power(1.0 + theta, 1.0 - gamma))


def ssvi_total_variance(k: np.ndarray, theta: np.ndarray, rho: np.ndarray, eta: float = DEFAULT_ETA,
                        gamma: float = DEFAULT_GAMMA) -> np.ndarray:
    """SSVI total implied variance ``w(k)`` (decimal variance x years) for ATM total variance ``theta``.

    Parameters
    ----------
    k : ndarray
        Log-moneyness ``ln(K / F)``.
    theta : ndarray
        ATM total variance (> 0), broadcasting with ``k``.
    rho : ndarray
        SSVI correlation in (-1, 1), broadcasting with ``k``.
    eta, gamma : float
        Power-law parameters of ``phi``.
    """
    phi = _phi(theta, eta, gamma)
    pk = phi * k
    return 0.5 * theta * (1.0 + rho * pk + np.sqrt((pk + rho) ** 2 + 1.0 - rho * rho))


def _otm_undiscounted(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Undiscounted out-of-the-money Black price per unit forward at strike ratio x (put below 1, call above)."""
    from alvh.pricing import black76_price

    t = 1.0  # total variance is passed as vol**2 * t with t = 1
    vol = np.sqrt(w)
    is_call = x >= 1.0
    price = black76_price(1.0, x, t, vol, 0.0, is_call, validate=False)
    # at x = 1 Cboe uses the average of the put and the call; they are equal at K = F
    return np.asarray(price, dtype=float)


def cboe_sums(theta30: np.ndarray, rho: np.ndarray, eta: float = DEFAULT_ETA,
              gamma: float = DEFAULT_GAMMA) -> tuple[np.ndarray, np.ndarray]:
    """Cboe's 30-day VIX variance and SKEW index of the model smile, by the discretized formulas.

    Parameters
    ----------
    theta30 : ndarray
        ATM total variance at 30 days (decimal variance x years).
    rho : ndarray
        SSVI rho, broadcasting with ``theta30``.

    Returns
    -------
    (variance, skew) : tuple of ndarray
        ``variance`` is ``sigma**2`` of the VIX white paper (compare with
        ``(VIX/100)**2``); ``skew`` is ``100 - 10 * S``.

    Notes
    -----
    With the forward normalized to 1 (strikes ``x = K/F``), Q(K) the OTM
    price, ``e^{RT} Q(K) = F * b(x)`` with ``b`` the undiscounted Black price
    per unit forward, so rates cancel. On the grid :data:`X_GRID` (which holds
    x = 1, so K0 = F and every epsilon correction of the SKEW paper is 0)::

        sigma^2 = (2/T) * sum_i dx / x_i^2 * b_i - (1/T) * (F/K0 - 1)^2     (VIX white paper)
        P1 = -sum dx/x^2 b,  P2 = sum 2/x^2 (1 - ln x) dx b,  P3 = sum 3/x^2 (2 ln x - ln^2 x) dx b
        S  = (P3 - 3 P1 P2 + 2 P1^3) / (P2 - P1^2)^{3/2},  SKEW = 100 - 10 S  (SKEW white paper)

    Memory is ``theta30.size * 721`` floats; call on chunks for large inputs.
    """
    th = np.asarray(theta30, dtype=float)[..., None]
    rh = np.asarray(rho, dtype=float)[..., None]
    x = X_GRID
    lnx = np.log(x)
    w = ssvi_total_variance(lnx, th, rh, eta, gamma)
    b = _otm_undiscounted(x, w)
    wx = DX / (x * x)
    p1 = -(b * wx).sum(axis=-1)
    p2 = (b * (wx * 2.0 * (1.0 - lnx))).sum(axis=-1)
    p3 = (b * (wx * 3.0 * (2.0 * lnx - lnx * lnx))).sum(axis=-1)
    var = 2.0 * (-p1) / T30
    denom = np.maximum(p2 - p1 * p1, 1e-300)
    s = (p3 - 3.0 * p1 * p2 + 2.0 * p1 ** 3) / denom ** 1.5
    return var, 100.0 - 10.0 * s


def _chunked_sums(theta30: np.ndarray, rho: np.ndarray, eta: float, gamma: float,
                  chunk: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    th = np.ravel(theta30)
    rh = np.ravel(np.broadcast_to(rho, np.shape(theta30)))
    var = np.empty_like(th)
    skew = np.empty_like(th)
    for lo in range(0, th.size, chunk):  # chunks bound memory (chunk x 721 floats), not a loop over paths
        var[lo:lo + chunk], skew[lo:lo + chunk] = cboe_sums(th[lo:lo + chunk], rh[lo:lo + chunk], eta, gamma)
    return var.reshape(np.shape(theta30)), skew.reshape(np.shape(theta30))


@dataclass(frozen=True)
class _Tables:
    """Inverse maps of the exact 30-day sums on a (theta, rho) grid."""

    log_theta_of: RectBivariateSpline  # (log variance, rho) -> log theta30
    rho_of: RectBivariateSpline  # (log var, u = relative SKEW position in the reachable range) -> rho
    log_var_range: tuple[float, float]
    log_theta_range: tuple[float, float]
    skew_min: np.ndarray = field(repr=False)  # reachable SKEW per log-var node
    skew_max: np.ndarray = field(repr=False)
    log_var_nodes: np.ndarray = field(repr=False)
    dlogvar_dlogtheta: RectBivariateSpline = field(repr=False)  # (log theta, rho) -> d log var / d log theta


#: Environment variable naming the folder of the table cache (default ``$XDG_CACHE_HOME/alvh`` or
#: ``~/.cache/alvh``); set it to an empty string to disable the cache.
CACHE_ENV: Final[str] = "ALVH_CACHE_DIR"


def _cache_file(tag: str, params: str) -> Path | None:
    """Where an exact-sum table is memoized, keyed by everything it depends on (inputs and code)."""
    env = os.environ.get(CACHE_ENV)
    if env == "":
        return None
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alvh"
    try:
        src = "".join(inspect.getsource(f) for f in (ssvi_total_variance, _phi, cboe_sums, _otm_undiscounted,
                                                     _chunked_sums, _tables_sums, _theta_inverse))
    except (OSError, TypeError):  # installed without sources: the code cannot be keyed, so no cache
        return None
    key = hashlib.sha256(f"{tag}|{params}|{X_GRID.tobytes().hex()}|{src}|{np.__version__}".encode()).hexdigest()
    return base / f"ssvi_{tag}_{key[:24]}.npz"


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


def _tables_sums(eta: float, gamma: float, log_th: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two exact-sum tables: Cboe variance on the (theta, rho) grid, SKEW on the solved sub-grid."""
    n_th, n_rho = log_th.size, rho.size
    var, _skew = _chunked_sums(np.exp(log_th)[:, None] * np.ones((1, n_rho)), np.ones((n_th, 1)) * rho[None, :],
                               eta, gamma)
    lt_of, _lv_grid = _theta_inverse(np.log(var), log_th, rho)
    lv_sub_n = lt_of[::4].shape[0]
    _v, skew_sub = _chunked_sums(np.exp(lt_of[::4]), np.ones((lv_sub_n, 1)) * rho[None, :], eta, gamma)
    return var, skew_sub


def _theta_inverse(log_var: np.ndarray, log_th: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each rho column, log theta as a function of log var on a common 400-node grid."""
    lv_grid = np.linspace(log_var[0].max(), log_var[-1].min(), 400)
    lt_of = np.empty((lv_grid.size, rho.size))
    for j in range(rho.size):  # 70 table columns, built once per (eta, gamma)
        lt_of[:, j] = CubicSpline(log_var[:, j], log_th)(lv_grid)
    return lt_of, lv_grid


@lru_cache(maxsize=4)  # a memo of a pure function of (eta, gamma): not state that changes results
def _tables(eta: float, gamma: float) -> _Tables:
    n_th, n_rho = 120, 70
    log_th = np.linspace(np.log((_VIX_LO / 100.0) ** 2 * T30 * 0.5), np.log((_VIX_HI / 100.0) ** 2 * T30 * 1.5), n_th)
    rho = np.linspace(RHO_MIN, RHO_MAX, n_rho)
    z = _disk_memo("tables", f"{float(eta)!r}|{float(gamma)!r}|{n_th}|{n_rho}",
                   lambda: dict(zip(("var", "skew_sub"), _tables_sums(eta, gamma, log_th, rho), strict=True)))
    var, skew_sub = z["var"], z["skew_sub"]
    log_var = np.log(var)
    # inverse in theta: for each rho column, log theta as a function of log var on a common grid
    lt_of, lv_grid = _theta_inverse(log_var, log_th, rho)
    lv_lo, lv_hi = lv_grid[0], lv_grid[-1]
    # inverse in rho at fixed VIX: on a sub-grid of log var, the SKEW each rho gives once theta is solved
    # for that var (exact sums at (theta(var, rho), rho): skew_sub from _tables_sums); SKEW decreases as rho
    # increases, and the reachable range depends on var, so rho is tabulated against
    # u = (SKEW - min) / (max - min) in [0, 1]
    lv_sub = lv_grid[::4]
    s_lo = skew_sub.min(axis=1)
    s_hi = skew_sub.max(axis=1)
    u_grid = np.linspace(0.0, 1.0, 300)
    rho_of = np.empty((lv_sub.size, u_grid.size))
    for i in range(lv_sub.size):  # table rows, built once per (eta, gamma)
        order = np.argsort(skew_sub[i])
        u = (skew_sub[i][order] - s_lo[i]) / (s_hi[i] - s_lo[i])
        rho_of[i] = CubicSpline(u, rho[order])(u_grid)
    slope = np.gradient(log_var, log_th, axis=0)
    return _Tables(log_theta_of=RectBivariateSpline(lv_grid, rho, lt_of, kx=3, ky=3),
                   rho_of=RectBivariateSpline(lv_sub, u_grid, rho_of, kx=3, ky=3),
                   log_var_range=(float(lv_lo), float(lv_hi)), log_theta_range=(float(log_th[0]), float(log_th[-1])),
                   skew_min=s_lo, skew_max=s_hi, log_var_nodes=lv_sub,
                   dlogvar_dlogtheta=RectBivariateSpline(log_th, rho, slope, kx=3, ky=3))


@lru_cache(maxsize=8)  # pure function of its arguments
def _theta_column(eta: float, gamma: float, rho: float) -> CubicSpline:
    """log theta30 as a function of log variance at a fixed rho (exact sums on 400 theta nodes)."""
    log_th = np.linspace(np.log((_VIX_LO / 100.0) ** 2 * T30 * 0.5), np.log((_VIX_HI / 100.0) ** 2 * T30 * 1.5), 400)
    z = _disk_memo("column", f"{float(eta)!r}|{float(gamma)!r}|{float(rho)!r}",
                   lambda: {"var": _chunked_sums(np.exp(log_th), np.full(log_th.size, rho), eta, gamma)[0]})
    return CubicSpline(np.log(z["var"]), log_th)


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
        raise InputError(f"shape {a.shape} does not broadcast to {shape}", argument=name,
                         expected="(n_days, n_paths), (n_days, 1), (n_days,) or a scalar") from None


def _check_positive(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr) | (arr <= 0.0)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"non-finite or non-positive value {arr[where]!r} at (day, path) = {where}",
                         argument=name, expected="finite values > 0 in index points")


def solve_theta30(vix: np.ndarray, skew: np.ndarray | None = None, *, eta: float = DEFAULT_ETA,
                  gamma: float = DEFAULT_GAMMA, polish: bool | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ATM 30-day total variance and rho so that the Cboe sums reproduce VIX (and SKEW).

    Parameters
    ----------
    vix : ndarray
        VIX in index points, any shape (e.g. (n_days, n_paths)); finite, in [2, 250].
    skew : ndarray, optional
        SKEW index (same shape); NaN cells use :data:`DEFAULT_RHO`.
    polish : bool, optional
        Finish with two Newton steps on the exact discretized sum (cost
        ``vix.size * 721`` Black prices per step). Default: only when
        ``vix.size <= 5_000`` (the table inversion alone is accurate to
        ~1e-9 in variance; the tests check both against the exact sum).

    Returns
    -------
    (theta30, rho, skew_clipped) : tuple of ndarray
        Same shape as ``vix``; ``skew_clipped`` flags cells whose SKEW was
        outside what the model reaches (clipped to the nearest reachable value).
    """
    v = np.asarray(vix, dtype=float)
    _check_positive("vix", v)
    if (v < _VIX_LO).any() or (v > _VIX_HI).any():
        where = tuple(int(i) for i in np.argwhere((v < _VIX_LO) | (v > _VIX_HI))[0])
        raise InputError(f"VIX {v[where]} at {where} outside the solvable range", argument="vix",
                         expected=f"VIX in [{_VIX_LO}, {_VIX_HI}] index points")
    tab = _tables(float(eta), float(gamma))
    target = np.log((v / 100.0) ** 2)
    flat_t = target.ravel()
    rho = np.full(flat_t.shape, DEFAULT_RHO)
    clipped = np.zeros(flat_t.shape, dtype=bool)
    if skew is not None:
        s = as_cells(skew, v.shape, "skew").ravel()
        given = np.isfinite(s)
        if (given & (s <= 0)).any():
            raise InputError("non-positive SKEW", argument="skew", expected="SKEW index values > 0 (or NaN)")
    else:
        s = None
        given = np.zeros(flat_t.shape, dtype=bool)
    # constant rho (no SKEW): one 1-D spline column is enough and ~10x faster than the 2-D spline
    log_theta = _theta_column(eta, gamma, DEFAULT_RHO)(flat_t)
    if given.any():
        sg = s[given]
        tg = flat_t[given]
        lo = np.interp(tg, tab.log_var_nodes, tab.skew_min)
        hi = np.interp(tg, tab.log_var_nodes, tab.skew_max)
        sc = np.clip(sg, lo, hi)
        rho[given] = np.clip(tab.rho_of.ev(tg, (sc - lo) / (hi - lo)), RHO_MIN, RHO_MAX)
        log_theta[given] = tab.log_theta_of.ev(tg, rho[given])
        clipped[given] = sc != sg
    if polish is None:
        polish = v.size <= 5_000
    if polish:
        for _ in range(2):
            var, _s = _chunked_sums(np.exp(log_theta), rho, eta, gamma)
            slope = tab.dlogvar_dlogtheta.ev(log_theta, rho)
            log_theta = log_theta + (flat_t - np.log(var)) / slope
    shape = v.shape
    return np.exp(log_theta).reshape(shape), rho.reshape(shape), clipped.reshape(shape)


def _term_ratio(vix: np.ndarray, vix9d: np.ndarray | None, vix3m: np.ndarray | None,
                vix6m: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
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


_TERM_T: Final[np.ndarray] = np.array(TERM_DAYS, dtype=float) / 365.0


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
    rho: np.ndarray
    term_ratio: np.ndarray  # (n_paths, 4)
    eta: float
    gamma: float

    def _params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # (n_paths, 1) so that k and t broadcast against (n_paths, m)
        return self.theta30[:, None], self.rho[:, None], self.term_ratio[:, None, :]

    def atm_total_variance(self, t: np.ndarray | float) -> np.ndarray:
        """ATM total variance ``theta(t)`` (decimal variance x years); ``t`` broadcasts against (n_paths, m)."""
        th, _rho, ratio = self._params()
        return th * _interp_ratio(np.asarray(t, dtype=float), ratio)

    def total_variance(self, k: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
        """Total implied variance ``w(k, t)``; ``k`` and ``t`` broadcast against (n_paths, m)."""
        _th, rho, _ratio = self._params()
        return ssvi_total_variance(np.asarray(k, dtype=float), self.atm_total_variance(t), rho, self.eta,
                                   self.gamma)

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


@dataclass(frozen=True)
class SpxSurface:
    """SSVI SPX surface per day and path, solved to reproduce VIX (and SKEW) with Cboe's formulas.

    Attributes
    ----------
    theta30 : ndarray, shape (n_days, n_paths)
        ATM total implied variance at 30 days (decimal variance x years).
    rho : ndarray, shape (n_days, n_paths)
        SSVI rho (skew); from SKEW when given, else :data:`DEFAULT_RHO`.
    term_ratio : ndarray, shape (n_days, n_paths, 4)
        ATM total variance at 9, 30, 93, 184 days relative to 30 days.
    eta, gamma : float
        SSVI power-law parameters.
    skew_clipped : ndarray of bool, shape (n_days, n_paths)
        SKEW outside the model's reachable range (clipped).
    term_default : ndarray of bool, shape (n_days, n_paths, 3)
        VIX9D / VIX3M / VIX6M absent (median ratio used).
    """

    theta30: np.ndarray
    rho: np.ndarray
    term_ratio: np.ndarray
    eta: float = DEFAULT_ETA
    gamma: float = DEFAULT_GAMMA
    skew_clipped: np.ndarray | None = None
    term_default: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(n_days, n_paths)."""
        return self.theta30.shape  # type: ignore[return-value]

    def day(self, i: int) -> SpxSmileDay:
        """The smile of day ``i`` for every path."""
        return SpxSmileDay(theta30=self.theta30[i], rho=self.rho[i], term_ratio=self.term_ratio[i],
                           eta=self.eta, gamma=self.gamma)

    def vix_check(self) -> tuple[np.ndarray, np.ndarray]:
        """Cboe 30-day variance and SKEW recomputed from the solved smiles (exact sums, chunked)."""
        return _chunked_sums(self.theta30, self.rho, self.eta, self.gamma)

    @classmethod
    def from_vix(cls, vix: np.ndarray, *, vix9d: np.ndarray | None = None, vix3m: np.ndarray | None = None,
                 vix6m: np.ndarray | None = None, skew: np.ndarray | None = None, eta: float = DEFAULT_ETA,
                 gamma: float = DEFAULT_GAMMA, polish: bool | None = None) -> SpxSurface:
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
            vix9d, vix3m, vix6m, skew = (None if a is None else np.asarray(a, dtype=float)[:, None]
                                         for a in (vix9d, vix3m, vix6m, skew))
        if v.ndim != 2:
            raise InputError(f"shape {v.shape}", argument="vix", expected="an array of shape (n_days, n_paths)")
        theta30, rho, clipped = solve_theta30(v, skew, eta=eta, gamma=gamma, polish=polish)
        ratio, used = _term_ratio(v, vix9d, vix3m, vix6m)
        return cls(theta30=theta30, rho=rho, term_ratio=ratio, eta=eta, gamma=gamma, skew_clipped=clipped,
                   term_default=used)

    @classmethod
    def from_market(cls, market: MarketData, *, use_skew: bool = True, eta: float = DEFAULT_ETA,
                    gamma: float = DEFAULT_GAMMA) -> SpxSurface:
        """Historical surface (n_paths = 1) from MarketData's VIX close and any of VIX9D/3M/6M, SKEW."""
        idx = market.indices
        get = (lambda name: idx[name].to_numpy(dtype=float) if name in idx.columns else None)
        return cls.from_vix(market.vix["close"].to_numpy(dtype=float), vix9d=get("vix9d"), vix3m=get("vix3m"),
                            vix6m=get("vix6m"), skew=get("skew") if use_skew else None, eta=eta, gamma=gamma)
