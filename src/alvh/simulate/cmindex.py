"""S&P 500 VIX Short-Term and Mid-Term Futures Indices, rebuilt on any VX curve (history or simulated paths).

Methodology (S&P Dow Jones Indices, "S&P 500 VIX Futures Indices Methodology"): a roll period runs from
one VX settlement date (included) to the next (excluded); ``dt`` is its number of business days and ``dr``
the business days left after today. The short-term index holds the 1st and 2nd month contracts with
weights ``dr/dt`` and ``(dt - dr)/dt``; the mid-term index holds the 4th month (``dr/dt``), the 5th and 6th
(1 each) and the 7th (``(dt - dr)/dt``). The daily excess return is ``sum_i w_{i,t-1} F_{i,t} /
sum_i w_{i,t-1} F_{i,t-1} - 1`` on yesterday's weights and contracts.

Statistics compared with S&P's published figures (spvixviews.com, "Contango and roll cost", 2011-12-10:
since inception the short-term index's curve was in contango on 77% of days, 0.18% of the portfolio
value lost daily by rolling; the mid-term 64% and 0.07%; betas of daily returns to VIX 0.43 and 0.21):

* contango: the 2nd month above the 1st (short-term), the 7th above the 4th (mid-term);
* daily roll cost: the price gap of the roll over the price of the leg sold, spread over the roll period,
  ``(F_far / F_near - 1) / dt``. This reading reproduces both published figures on real settlements over
  S&P's span (0.195% and 0.076% a day against 0.18% and 0.07%); the share of the whole portfolio moved,
  ``(F_far - F_near) / (dt * sum_i w_i F_i)``, equals it for the short-term index (one unit held) but is a
  third of it for the mid-term index (three units held: 0.023% a day), which S&P's 0.07% is not;
* beta: OLS slope of the index's daily return on the daily percentage change of spot VIX.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.data import VXPanel
from alvh.market import VXCurve

#: Published figures (short-term, mid-term).
PUBLISHED = {"contango share": (0.77, 0.64), "daily roll cost": (0.0018, 0.0007), "beta to VIX": (0.43, 0.21)}
#: The months each index holds (1 = the front month of the roll period), rolling leg first and last.
MONTHS = {"short-term": (1, 2), "mid-term": (4, 5, 6, 7)}


@dataclass(frozen=True)
class IndexStats:
    """Per path: contango share, mean daily roll cost, beta to VIX (arrays of n_paths)."""

    contango: np.ndarray
    roll_cost: np.ndarray
    beta: np.ndarray


def roll_schedule(dates: pd.DatetimeIndex, expiries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: index ``k`` of the next settlement strictly after today, ``dt`` and ``dr`` (business days)."""
    d = dates.values.astype("datetime64[D]")
    e = np.asarray(expiries).astype("datetime64[D]")
    k = np.searchsorted(e, d, side="right")  # e[k] is the next settlement after today
    pos_next = np.searchsorted(d, e[np.minimum(k, len(e) - 1)], side="left")
    pos_prev = np.searchsorted(d, e[np.maximum(k - 1, 0)], side="left")
    dt = np.maximum(pos_next - pos_prev, 1)
    dr = pos_next - np.arange(len(d)) - 1
    return k, dt, np.clip(dr, 0, None)


def index_stats(
    dates: pd.DatetimeIndex,
    expiries: np.ndarray,
    vix: np.ndarray,
    price: Callable[[np.ndarray, np.ndarray], np.ndarray],
    which: str,
) -> IndexStats:
    """The index ``which`` (``"short-term"``/``"mid-term"``) on the curve ``price(day_idx, expiry_idx)``.

    ``price`` returns (n, n_paths, m) prices of contracts ``expiry_idx`` (n, m) on days ``day_idx`` (n,);
    ``vix`` is (n_days, n_paths). Days whose contracts are not all priced (NaN) are skipped.
    """
    months = MONTHS[which]
    k, dt, dr = roll_schedule(dates, expiries)
    first = k[:-1]  # the front month of yesterday's roll period
    cols = first[:, None] + np.array(months)[None, :] - 1
    ok_c = (cols[:, -1] < len(expiries)) & (first >= 1)  # the roll period's start settlement is known
    cols = np.minimum(cols, len(expiries) - 1)
    w = np.ones(cols.shape)
    w[:, 0] = dr[:-1] / dt[:-1]
    w[:, -1] = (dt[:-1] - dr[:-1]) / dt[:-1]
    days = np.arange(len(dates) - 1)
    f_prev = price(days, cols)
    f_now = price(days + 1, cols)
    value_prev = (w[:, None, :] * f_prev).sum(-1)
    ret = (w[:, None, :] * f_now).sum(-1) / value_prev - 1.0
    near, far = f_prev[..., 0], f_prev[..., -1]
    cost = (far / near - 1.0) / dt[:-1, None]
    ok = ok_c[:, None] & np.isfinite(ret) & np.isfinite(cost)
    dv = vix[1:] / vix[:-1] - 1.0
    n = ok.sum(0)
    contango = np.where(ok, far > near, False).sum(0) / n
    roll = np.where(ok, cost, 0.0).sum(0) / n
    x = np.where(ok, dv, 0.0)
    y = np.where(ok, ret, 0.0)
    xm, ym = x.sum(0) / n, y.sum(0) / n
    beta = (np.where(ok, (x - xm) * (y - ym), 0.0)).sum(0) / (np.where(ok, (x - xm) ** 2, 0.0)).sum(0)
    return IndexStats(contango, roll, beta)


def panel_price(settle: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``price`` over a real settlement panel (n_days, n_contracts), one path."""

    def price(day: np.ndarray, col: np.ndarray) -> np.ndarray:
        return settle[day[:, None], col][:, None, :]

    return price


def filled_settlements(panel: VXPanel, vix: np.ndarray) -> np.ndarray:
    """(n_days, n_contracts) settlements with the months not yet listed filled from the day's real curve.

    Until 2008 CFE listed two serial months and the February quarterly cycle, so the 3rd-7th monthly
    contracts S&P's indices hold were often not traded; S&P's published history covers those days. A
    missing contract between the listed ones (``1 <= dte <=`` the longest listed) takes the real curve's
    price at its days to expiry (:meth:`alvh.market.VXCurve.from_panel`: linear in dte between the
    listed settlements, spot VIX at 0); beyond the longest listed contract it stays missing.
    """
    d = panel.dates.values.astype("datetime64[D]")
    dte = (np.asarray(panel.expiries).astype("datetime64[D]")[None, :] - d[:, None]).astype(float)
    listed = np.isfinite(panel.settle)
    longest = np.where(listed, panel.dte, -np.inf).max(axis=1)
    fill = ~listed & (dte >= 1) & (dte <= longest[:, None])
    out = panel.settle.copy()
    rows = np.flatnonzero(fill.any(axis=1))  # the curve only where a month is missing (mostly 2006-2008)
    if rows.size:
        sub = dataclasses.replace(panel, dates=panel.dates[rows], settle=panel.settle[rows], dte=panel.dte[rows])
        interp = VXCurve.from_panel(sub, np.asarray(vix, dtype=float)[rows]).price(np.clip(dte[rows], 0.0, None))
        out[rows] = np.where(fill[rows], interp, out[rows])
    return out
