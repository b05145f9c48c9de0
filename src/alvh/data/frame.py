"""MarketFrame: every daily series alvh uses, aligned on one trading-day index.

The validated container that the embedded default (:mod:`alvh.data.default`)
and the store (:meth:`alvh.data.store.Store.market_frame`) build, and that
:class:`alvh.data.market_data.MarketData` extends with its two constructors
(:meth:`~alvh.data.market_data.MarketData.default`,
:meth:`~alvh.data.market_data.MarketData.from_store`). This module imports
neither of them, so the import graph has no cycle: ``frame`` <- ``default``,
``store`` <- ``market_data``. It validates on construction; a frozen instance can be
trusted: sorted unique trading days, SPX and VIX closes present on every day,
every other series either aligned to the same days (NaN outside its
coverage, reported by :meth:`MarketFrame.coverage`) or kept on its own dates
(exogenous series, event dates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Final, Self

import numpy as np
import pandas as pd

from alvh.data._db import DEFAULT_MAX_GAP, RATE_MAX_GAP_DAYS
from alvh.data.plausible import sessions_clipped
from alvh.data.summary import find_gaps
from alvh.data.vxpanel import VXPanel
from alvh.errors import DataError, InputError

#: Constant risk-free rate used when no rate series is supplied: decimal per
#: year, continuously compounded. An assumption, not market data: supply a
#: ``date,value`` series (``alvh data import series PATH --name rate``) for
#: anything rate-sensitive.
DEFAULT_RATE: Final[float] = 0.02

#: Index columns MarketData.indices may hold (closes only).
INDEX_COLUMNS: Final[tuple[str, ...]] = ("vix9d", "vix3m", "vix6m", "vvix", "skew")

#: ``RATE_MAX_GAP_DAYS`` (longest run of calendar days between two rate observations) and
#: ``DEFAULT_MAX_GAP`` (largest tolerated run of missing sessions before a gap is reported) live in
#: :mod:`alvh.data._db`, which the CLI reads without pandas; re-exported here.
__all__ = [
    "DEFAULT_MAX_GAP",
    "DEFAULT_RATE",
    "INDEX_COLUMNS",
    "RATE_MAX_GAP_DAYS",
    "MarketFrame",
    "align_rate",
    "rate_age",
]

_OHLC: Final[list[str]] = ["open", "high", "low", "close"]


def _to_ts(value: object, argument: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(f"{value!r} is not a date", argument=argument, expected="a date-like value") from None
    if ts is pd.NaT:
        raise InputError("NaT is not a date", argument=argument, expected="a date-like value")
    return ts.normalize()


@dataclass(frozen=True)
class MarketFrame:
    """Daily, aligned, validated market data on a trading-day index.

    Attributes
    ----------
    dates : pandas.DatetimeIndex
        Trading days (NYSE), sorted, unique; days on which both SPX and VIX
        have a close.
    spx : pandas.DataFrame
        SPX index, columns ``open, high, low, close`` (index points), index
        ``dates``; ``close`` never NaN.
    vix : pandas.DataFrame
        VIX index, columns ``open, high, low, close``; ``close`` never NaN.
        ``open/high/low`` are NaN where the source has none (the embedded
        default): use :meth:`vix_open` for the open with the documented
        fallback to the close.
    indices : pandas.DataFrame
        Closes of any of ``vix9d, vix3m, vix6m, vvix, skew`` on ``dates``; NaN
        outside each series' coverage (see :meth:`coverage`).
    vx : VXPanel or None
        VX futures settlements on ``dates``; ``None`` when no VX data was
        loaded (the embedded default has none: :attr:`provenance` says so).
    rate : pandas.Series
        Risk-free rate on ``dates``, decimal per year, continuously compounded.
    events : dict of str to pandas.DatetimeIndex
        Event dates by kind (``fomc``, ``cpi``, ``ppi`` and user kinds); not
        restricted to trading days (an FOMC statement day is one, a CPI
        release may precede the open).
    breadth : pandas.DataFrame or None
        ``advancing, declining, unchanged`` issue counts on ``dates`` (NaN
        where missing).
    exog : dict of str to pandas.Series
        User-named exogenous series on their own dates (e.g. monthly
        fundamentals), restricted to the span.
    provenance : dict of str to str
        For each component, where it came from and what was done to it.
    event_known : dict of str to (date, date) or None
        Per event kind, the span over which its dates are complete (``None``: nothing known, e.g.
        the shipped PPI calendar). Outside it an event-window label is ``"n/a"``, not ``"none"``
        (:func:`alvh.calendar.event_window_labels`). A kind missing here is taken as complete.
    rate_age : pandas.Series or None
        Calendar days from each trading day back to the rate series' last observation on or before
        it (0 on observed days); None for a constant rate. The engine input refuses a run day whose
        rate is older than its limit (:func:`alvh.engine.paths_from_market_data`).
    """

    dates: pd.DatetimeIndex
    spx: pd.DataFrame
    vix: pd.DataFrame
    indices: pd.DataFrame
    vx: VXPanel | None
    rate: pd.Series
    events: dict[str, pd.DatetimeIndex] = field(default_factory=dict)
    breadth: pd.DataFrame | None = None
    exog: dict[str, pd.Series] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    event_known: dict[str, tuple[dt.date | None, dt.date | None] | None] = field(default_factory=dict)
    rate_age: pd.Series | None = None

    def __post_init__(self) -> None:
        d = self.dates
        if not isinstance(d, pd.DatetimeIndex) or len(d) == 0:
            raise DataError("no trading days", column="dates", expected="a non-empty DatetimeIndex")
        if not d.is_monotonic_increasing or not d.is_unique:
            raise DataError("dates are not sorted and unique", column="dates", expected="ascending unique days")
        for name, frame, cols in (("spx", self.spx, _OHLC), ("vix", self.vix, _OHLC)):
            if list(frame.columns) != cols:
                raise DataError(f"{name} has columns {list(frame.columns)}", column=name, expected=",".join(cols))
            if not frame.index.equals(d):
                raise DataError(
                    f"{name} is not on the trading-day index", column=name, expected="the same index as dates"
                )
            nan = frame["close"].isna().to_numpy()
            if nan.any():
                raise DataError(
                    f"{name} close missing on {d[int(np.argmax(nan))].date()}",
                    column=f"{name}.close",
                    expected="a close on every trading day",
                )
        extra = [c for c in self.indices.columns if c not in INDEX_COLUMNS]
        if extra or not self.indices.index.equals(d):
            raise DataError(
                f"indices has columns {list(self.indices.columns)}",
                column="indices",
                expected=f"a subset of {INDEX_COLUMNS} on the trading-day index",
            )
        if not self.rate.index.equals(d) or self.rate.isna().any():
            raise DataError(
                "rate is not a complete series on the trading-day index",
                column="rate",
                expected="a rate on every trading day",
            )
        if self.vx is not None and not self.vx.dates.equals(d):
            raise DataError("VX panel is not on the trading-day index", column="vx", expected="vx.dates == dates")
        if self.breadth is not None and not self.breadth.index.equals(d):
            raise DataError(
                "breadth is not on the trading-day index", column="breadth", expected="the same index as dates"
            )

    # ------------------------------------------------------------ queries

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last trading day."""
        return self.dates[0], self.dates[-1]

    def vix_open(self) -> tuple[pd.Series, np.ndarray]:
        """VIX open for each day, falling back to the close where the source has no open.

        Returns
        -------
        (pandas.Series, numpy.ndarray of bool)
            The open (index points) and a mask of the days where the close
            stood in for it. The engine uses this as its proxy for the VIX
            special opening quotation (SOQ) that settles VX and VIX options; on
            the embedded default every day is a fallback, which
            :attr:`provenance` states.
        """
        fallback = self.vix["open"].isna().to_numpy()
        return self.vix["open"].where(~fallback, self.vix["close"]).rename("vix_open"), fallback

    def coverage(self) -> pd.DataFrame:
        """Per series: first and last day with data, observations and missing days inside that span.

        Returns
        -------
        pandas.DataFrame
            Index series name; columns ``first, last, n_obs, n_missing``.
        """
        rows: dict[str, dict[str, Any]] = {}

        def add(name: str, s: pd.Series) -> None:
            ok = s.notna().to_numpy()
            if not ok.any():
                rows[name] = {"first": pd.NaT, "last": pd.NaT, "n_obs": 0, "n_missing": 0}
                return
            i0 = int(np.argmax(ok))
            i1 = len(ok) - 1 - int(np.argmax(ok[::-1]))
            rows[name] = {
                "first": s.index[i0],
                "last": s.index[i1],
                "n_obs": int(ok.sum()),
                "n_missing": int((~ok[i0 : i1 + 1]).sum()),
            }

        add("spx", self.spx["close"])
        add("vix", self.vix["close"])
        for c in self.indices.columns:
            add(c, self.indices[c])
        if self.vx is not None:
            add("vx", pd.Series(np.where(np.isnan(self.vx.settle).all(axis=1), np.nan, 1.0), index=self.dates))
        if self.breadth is not None:
            add("breadth", self.breadth["advancing"])
        for k, s in self.exog.items():
            add(f"exog:{k}", s)
        return pd.DataFrame.from_dict(rows, orient="index")[["first", "last", "n_obs", "n_missing"]]

    def gaps(self, max_gap: int = DEFAULT_MAX_GAP) -> list[dict[str, Any]]:
        """Runs of more than ``max_gap`` NYSE sessions without data, per aligned series.

        Measured against :func:`alvh.calendar.sessions_between` (NYSE) inside
        each series' own coverage, so a series that starts later is not a gap.
        """
        if max_gap < 0:
            raise InputError(f"max_gap {max_gap}", argument="max_gap", expected="an integer >= 0")
        sessions = sessions_clipped(self.dates[0], self.dates[-1], "NYSE")
        out: list[dict[str, Any]] = []
        series: dict[str, pd.Series] = {"dates": pd.Series(1.0, index=self.dates)}
        for c in self.indices.columns:
            series[c] = self.indices[c]
        if self.vx is not None:
            series["vx"] = pd.Series(np.where(np.isnan(self.vx.settle).all(axis=1), np.nan, 1.0), index=self.dates)
        if self.breadth is not None:
            series["breadth"] = self.breadth["advancing"]
        for name, s in series.items():
            obs = s.index[s.notna().to_numpy()].to_numpy().astype("datetime64[D]")
            for a, b, n in find_gaps(obs, sessions, max_gap):
                out.append({"series": name, "after": str(a), "before": str(b), "missing_sessions": n})
        return out

    def contango_share(self) -> pd.DataFrame:
        """Share of days per year on which the front VX future settled above the VIX close.

        The front contract is the nearest listed one with at least one
        calendar day to expiry (:meth:`VXPanel.front`). Returns columns
        ``days, contango_days, share`` by year; empty when ``vx is None``.
        """
        if self.vx is None:
            return pd.DataFrame(columns=["days", "contango_days", "share"])
        front = self.vx.front(min_dte=1)["settle"].to_numpy()
        vix = self.vix["close"].to_numpy()
        ok = ~np.isnan(front)
        years = self.dates.year.to_numpy()[ok]
        above = (front[ok] > vix[ok]).astype(int)
        g = pd.DataFrame({"year": years, "above": above}).groupby("year")["above"].agg(["size", "sum"])
        g.columns = ["days", "contango_days"]
        g["share"] = g["contango_days"] / g["days"]
        return g

    def slice(self, start: object = None, end: object = None) -> Self:
        """The same data restricted to ``[start, end]`` (inclusive)."""
        lo, hi = _to_ts(start, "start"), _to_ts(end, "end")
        if lo is not None and hi is not None and lo > hi:
            raise InputError(f"start {lo.date()} is after end {hi.date()}", argument="start", expected="start <= end")
        i0 = 0 if lo is None else int(self.dates.searchsorted(lo, side="left"))
        i1 = len(self.dates) if hi is None else int(self.dates.searchsorted(hi, side="right"))
        if i1 <= i0:
            raise InputError(
                f"no trading day in {lo}..{hi}",
                argument="start",
                expected=f"a span overlapping {self.dates[0].date()}..{self.dates[-1].date()}",
            )
        d = self.dates[i0:i1]
        first, last = d[0], d[-1]
        exog = {k: s.loc[(s.index >= first) & (s.index <= last)] for k, s in self.exog.items()}
        return replace(
            self,
            dates=d,
            spx=self.spx.iloc[i0:i1],
            vix=self.vix.iloc[i0:i1],
            indices=self.indices.iloc[i0:i1],
            vx=None if self.vx is None else _vx_rows(self.vx, i0, i1),
            rate=self.rate.iloc[i0:i1],
            rate_age=None if self.rate_age is None else self.rate_age.iloc[i0:i1],
            breadth=None if self.breadth is None else self.breadth.iloc[i0:i1],
            exog=exog,
            provenance={**self.provenance, "slice": f"{first.date()}..{last.date()}"},
        )

    def info(self, max_gap: int = DEFAULT_MAX_GAP) -> dict[str, Any]:
        """A JSON-ready summary: span, per-series coverage, gaps, VX contango share, provenance."""
        cov = self.coverage()
        series = {
            name: {
                "first": None if pd.isna(r["first"]) else str(r["first"].date()),
                "last": None if pd.isna(r["last"]) else str(r["last"].date()),
                "rows": int(r["n_obs"]),
                "missing_inside_span": int(r["n_missing"]),
            }
            for name, r in cov.iterrows()
        }
        cs = self.contango_share()
        return {
            "span": [str(self.dates[0].date()), str(self.dates[-1].date())],
            "trading_days": len(self.dates),
            "series": series,
            "vx": ("none: " + self.provenance.get("vx", "no VX futures data loaded"))
            if self.vx is None
            else {"contracts": len(self.vx.contracts), "source": self.vx.source},
            "contango_share_by_year": {
                int(y): {"days": int(r["days"]), "share": round(float(r["share"]), 4)} for y, r in cs.iterrows()
            },
            "events": {k: len(v) for k, v in self.events.items()},
            "gaps": self.gaps(max_gap),
            "max_gap": max_gap,
            "provenance": dict(self.provenance),
        }


def _vx_rows(vx: VXPanel, i0: int, i1: int) -> VXPanel:
    """Rows i0:i1 of a panel, keeping only contracts listed there (dates stay aligned)."""
    return vx.slice(vx.dates[i0], vx.dates[i1 - 1])


def align_rate(rate: float | pd.Series | None, dates: pd.DatetimeIndex) -> tuple[pd.Series, str]:
    """The rate on ``dates`` and a provenance sentence.

    A float is held constant. A series is carried forward from its last
    observation (rates are published on business days that need not match
    NYSE sessions); days before its first observation are an error.
    """
    if rate is None:
        return pd.Series(DEFAULT_RATE, index=dates, name="rate"), (
            f"constant {DEFAULT_RATE} (alvh.data.DEFAULT_RATE, an assumption, not market data)"
        )
    if isinstance(rate, (int, float)) and not isinstance(rate, bool):
        if not np.isfinite(rate) or not -0.05 <= float(rate) <= 0.25:
            raise InputError(f"rate {rate}", argument="rate", expected="a decimal rate in [-0.05, 0.25]")
        return pd.Series(float(rate), index=dates, name="rate"), f"constant {float(rate)} (user supplied)"
    if not isinstance(rate, pd.Series):
        raise InputError(f"got {type(rate).__name__}", argument="rate", expected="a float or a pandas Series")
    s = rate.dropna().sort_index()
    if s.empty or s.index[0] > dates[0]:
        raise DataError(
            f"rate series starts {None if s.empty else s.index[0].date()}, after the first "
            f"trading day {dates[0].date()}",
            column="rate",
            expected="a rate observation on or before the first day (or slice the data)",
        )
    aligned = s.reindex(s.index.union(dates)).ffill().reindex(dates)
    carried = int((~dates.isin(s.index)).sum())
    return aligned.rename("rate"), f"series {rate.name!r}, carried forward over {carried} day(s) without a value"


def rate_age(rate: float | pd.Series | None, dates: pd.DatetimeIndex) -> pd.Series | None:
    """Calendar days from each of ``dates`` back to the last observation of a rate series (None for a constant)."""
    if not isinstance(rate, pd.Series):
        return None
    obs = rate.dropna().sort_index().index.to_numpy().astype("datetime64[D]")
    d = dates.to_numpy().astype("datetime64[D]")
    i = np.searchsorted(obs, d, side="right") - 1
    age = (d - obs[np.maximum(i, 0)]).astype(np.int64)
    return pd.Series(np.where(i >= 0, age, np.iinfo(np.int64).max), index=dates, name="rate_age")
