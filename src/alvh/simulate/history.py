"""The historical series the calibration and the fit report read, from :class:`~alvh.data.MarketData`.

Per trading day: SPX close and open, spot VIX, the long curve factor ``L`` and the spot gap ``x`` (spot VIX
minus the curve's short factor: :func:`fit_curve_factors`, least squares of the model's curve on that day's
VX settlements given spot VIX; the gap's risk-neutral speed by :func:`fit_gap_speed`; on a span without VX
settlements the VIX3M/VIX6M or VIX-EWMA map, :func:`alvh.market.long_factor_from_indices`, and no gap), the
real curve's 30-day point (settlements interpolated linearly in DTE from spot VIX at 0, :meth:`VXCurve.from_panel`), and
the CPI/PPI/FOMC event-day masks (the store's calendars).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.data import MarketData
from alvh.errors import DataError
from alvh.market import VXCurve, VXModelParams, fit_long_factor, long_factor_from_indices
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.simulate.factors import loadings

#: Candidate risk-neutral half-lives of the spot gap (calendar days): the one whose curve best reproduces the
#: daily settlement changes is chosen (:func:`fit_gap_speed`).
GAP_HALF_LIVES = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
#: Fewest contracts on a day to fit both the long factor and the gap (else the gap is 0 that day).
MIN_GAP_CONTRACTS = 3


@dataclass(frozen=True)
class History:
    """Aligned daily arrays (n_days,) of one calibration span; ``vx`` is the real panel when there is one."""

    dates: pd.DatetimeIndex
    spx: np.ndarray
    spx_open: np.ndarray
    vix: np.ndarray
    long: np.ndarray
    f30: np.ndarray
    events: dict[str, np.ndarray]
    md: MarketData
    long_source: str
    gap: np.ndarray
    q_kappa_g: float

    @property
    def short(self) -> np.ndarray:
        """The curve's short factor ``V = spot - x``."""
        return self.vix - self.gap

    @property
    def span(self) -> str:
        return f"{self.dates[0].date()}..{self.dates[-1].date()}"


@dataclass(frozen=True)
class _Design:
    """What the daily least squares of :func:`fit_curve_factors` needs that does not depend on ``q_kappa_g``."""

    ok: np.ndarray
    tau: np.ndarray
    a: np.ndarray
    c: np.ndarray
    y: np.ndarray
    x1: np.ndarray
    s11: np.ndarray
    b1: np.ndarray
    one: np.ndarray
    vix: np.ndarray
    theta: float


def _design(settle: np.ndarray, dte: np.ndarray, vix: np.ndarray, vxp: VXModelParams) -> _Design:
    s = np.asarray(settle, dtype=float)
    d = np.asarray(dte, dtype=float)
    v = np.asarray(vix, dtype=float)
    ok = np.isfinite(s) & (d >= 1)
    tau = np.where(ok, d, 0.0) / DAYS_PER_YEAR
    a, c = loadings(vxp.kappa_s, vxp.kappa_l, tau)
    th = vxp.theta
    y = np.where(ok, s - th - (v[:, None] - th) * a, 0.0)
    x1 = np.where(ok, c, 0.0)
    one = fit_long_factor(s, d, v, vxp)
    return _Design(ok, tau, a, c, y, x1, (x1 * x1).sum(1), (x1 * y).sum(1), one, v, th)


def _solve(g: _Design, q_kappa_g: float) -> tuple[np.ndarray, np.ndarray]:
    x2 = np.where(g.ok, np.exp(-q_kappa_g * g.tau) - g.a, 0.0)
    s12, s22, b2 = (g.x1 * x2).sum(1), (x2 * x2).sum(1), (x2 * g.y).sum(1)
    det = g.s11 * s22 - s12 * s12
    two = (g.ok.sum(1) >= MIN_GAP_CONTRACTS) & (det > 1e-12 * np.maximum(g.s11 * s22, 1e-300))
    safe = np.where(two, det, 1.0)
    long = np.where(two, g.theta + (s22 * g.b1 - s12 * b2) / safe, g.one)
    # clipped to half of spot either way: a day whose quotes would put the short factor near zero is noise
    gap = np.clip(np.where(two, (g.s11 * b2 - s12 * g.b1) / safe, 0.0), -0.5 * g.vix, 0.5 * g.vix)
    return long, gap


def fit_curve_factors(
    settle: np.ndarray, dte: np.ndarray, vix: np.ndarray, vxp: VXModelParams, q_kappa_g: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per day ``(L, x)``: least squares of the model's curve on the settlements given spot VIX.

    The curve is ``F_i = theta + (spot - x - theta) a_i + (L - theta) c_i + x e_i`` with ``e_i =
    exp(-q_kappa_g tau_i)``, linear in ``(L, x)``: a 2x2 normal-equation solve per day over the contracts
    with ``dte >= 1``; a day with fewer than :data:`MIN_GAP_CONTRACTS` keeps ``x = 0`` and the one-factor
    solution (:func:`alvh.market.fit_long_factor`). NaN ``L`` where no contract is listed; ``x`` within
    half of spot VIX either way.
    """
    return _solve(_design(settle, dte, vix, vxp), q_kappa_g)


def fit_gap_speed(settle: np.ndarray, dte: np.ndarray, vix: np.ndarray, vxp: VXModelParams) -> float:
    """The gap's risk-neutral speed (per calendar year) on the :data:`GAP_HALF_LIVES` grid.

    For each candidate the daily ``(L, x)`` are fitted to the levels (:func:`fit_curve_factors`); the one
    chosen makes the model's day-to-day change of each listed contract closest to the real change (root
    mean square over contracts listed with ``dte >= 1`` on both days): the levels alone cannot tell how
    fast the curve prices a spot gap away, the daily responses to spot moves can. The part of the least
    squares that does not depend on the speed is built once for the whole grid.
    """
    s = np.asarray(settle, dtype=float)
    g = _design(s, dte, vix, vxp)
    both = g.ok[1:] & g.ok[:-1]
    real_change = (s[1:] - s[:-1])[both]
    th = vxp.theta
    base = th + (g.vix[:, None] - th) * g.a - th * g.c  # the terms without L or x
    best, best_err = 0.0, np.inf
    for hl in GAP_HALF_LIVES:
        kg = float(np.log(2.0) / (hl / DAYS_PER_YEAR))
        long, gap = _solve(g, kg)
        long = pd.Series(long).ffill().bfill().to_numpy()
        f = base + long[:, None] * g.c + gap[:, None] * (np.exp(-kg * g.tau) - g.a)
        err = float(np.sqrt(np.mean(((f[1:] - f[:-1])[both] - real_change) ** 2)))
        if err < best_err:
            best, best_err = kg, err
    return best


def load_history(md: MarketData, vxp: VXModelParams, q_kappa_g: float | None = None) -> History:
    """The calibration's daily series (module docstring); days without a VIX or SPX close are refused."""
    vix = md.vix["close"].to_numpy(dtype=float)
    spx = md.spx["close"].to_numpy(dtype=float)
    for name, a in (("vix.close", vix), ("spx.close", spx)):
        bad = ~(np.isfinite(a) & (a > 0))
        if bad.any():
            raise DataError(
                f"missing or non-positive on {md.dates[bad][0].date()}", column=name, expected="a close every day"
            )
    if len(md.dates) < 500:
        raise DataError(f"only {len(md.dates)} days", column="date", expected=">= 500 trading days to calibrate on")
    spx_open = md.spx["open"].to_numpy(dtype=float)
    if md.vx is not None:
        rows = md.vx.dates.get_indexer(md.dates)
        settle = np.full((len(md.dates), md.vx.settle.shape[1]), np.nan)
        dte = np.zeros(settle.shape)
        ok = rows >= 0
        settle[ok] = md.vx.settle[rows[ok]]
        dte[ok] = md.vx.dte[rows[ok]]
        kg = fit_gap_speed(settle, dte, vix, vxp) if q_kappa_g is None else float(q_kappa_g)
        long, gap = fit_curve_factors(settle, dte, vix, vxp, kg)
        panel_days = ok & np.isfinite(long)
        if panel_days.mean() < 0.9:
            raise DataError(
                f"VX settlements on only {100 * panel_days.mean():.0f}% of the days",
                column="vx.settle",
                expected="VX settlements on >= 90% of the calibration span (choose --start within the VX history)",
            )
        curve = VXCurve.from_panel(md.vx, md.vix["close"].reindex(md.vx.dates).ffill().to_numpy(float), vxp)
        f30_panel = curve.price(np.full((len(md.vx.dates), 1), 30.0))[:, 0]
        f30 = np.where(ok, f30_panel[np.maximum(rows, 0)], np.nan)
        # a day without a panel row (a holiday of one exchange) carries the previous day's factor
        long = pd.Series(long).ffill().bfill().to_numpy()
        gap = np.where(np.isfinite(gap), gap, 0.0)
        source = f"VX settlements ({int(panel_days.sum())} days)"
    else:
        idx = md.indices
        get = {n: idx[n].to_numpy(dtype=float) for n in ("vix3m", "vix6m") if idx is not None and n in idx}
        long, _src = long_factor_from_indices(vix, vxp, vix3m=get.get("vix3m"), vix6m=get.get("vix6m"))
        f30 = np.full(len(vix), np.nan)
        gap = np.zeros(len(vix))  # without settlements the gap cannot be told from the short factor
        kg = float(np.log(2.0) / (GAP_HALF_LIVES[3] / DAYS_PER_YEAR)) if q_kappa_g is None else float(q_kappa_g)
        source = "no VX settlements: VIX3M/VIX6M or the VIX-EWMA map (alvh.market.long_factor_from_indices)"
    events = {}
    for kind in ("cpi", "ppi", "fomc"):
        ev = md.events.get(kind)
        events[kind] = np.asarray(md.dates.isin(ev), dtype=bool) if ev is not None else np.zeros(len(vix), bool)
    return History(md.dates, spx, spx_open, vix, np.asarray(long, dtype=float), f30, events, md, source, gap, kg)
