"""The historical series the calibration and the fit report read, from :class:`~alvh.data.MarketData`.

Per trading day: SPX close and open, spot VIX, the long curve factor ``L`` (the least-squares solution of the
two-factor model on that day's VX settlements, :func:`alvh.market.fit_long_factor`; on a span without VX
settlements the VIX3M/VIX6M or VIX-EWMA map, :func:`alvh.market.long_factor_from_indices`), the real curve's
30-day point (settlements interpolated linearly in DTE from spot VIX at 0, :meth:`VXCurve.from_panel`), and
the CPI/PPI/FOMC event-day masks (the store's calendars).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.data import MarketData
from alvh.errors import DataError
from alvh.market import VXCurve, VXModelParams, fit_long_factor, long_factor_from_indices


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

    @property
    def span(self) -> str:
        return f"{self.dates[0].date()}..{self.dates[-1].date()}"


def load_history(md: MarketData, vxp: VXModelParams) -> History:
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
        long = fit_long_factor(settle, dte, vix, vxp)
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
        source = f"VX settlements ({int(panel_days.sum())} days)"
    else:
        idx = md.indices
        get = {n: idx[n].to_numpy(dtype=float) for n in ("vix3m", "vix6m") if idx is not None and n in idx}
        long, _src = long_factor_from_indices(vix, vxp, vix3m=get.get("vix3m"), vix6m=get.get("vix6m"))
        f30 = np.full(len(vix), np.nan)
        source = "no VX settlements: VIX3M/VIX6M or the VIX-EWMA map (alvh.market.long_factor_from_indices)"
    events = {}
    for kind in ("cpi", "ppi", "fomc"):
        ev = md.events.get(kind)
        events[kind] = np.asarray(md.dates.isin(ev), dtype=bool) if ev is not None else np.zeros(len(vix), bool)
    return History(md.dates, spx, spx_open, vix, np.asarray(long, dtype=float), f30, events, md, source)
