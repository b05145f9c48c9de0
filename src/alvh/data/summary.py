"""What the store holds, read with DuckDB and numpy only (``alvh data info`` imports no pandas).

:func:`store_summary` is :meth:`alvh.data.store.Store.summary` (spans, row counts and gaps of every
stored table, before any alignment). :func:`market_overview` is the part of
:meth:`alvh.data.frame.MarketFrame.info` that ``alvh data info`` prints (the aligned SPX/VIX days, the
VX contracts, the VX contango share per year) computed from the stored rows without building the
:class:`~alvh.data.market_data.MarketData`: the frame's own :meth:`~alvh.data.frame.MarketFrame.info`
is the reference, and tests/test_data_summary.py checks that both give the same figures on the real
store. Building the frame reads every series into pandas and aligns it (~0.4 s on the real store),
and importing pandas alone takes ~0.3 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np

from alvh.calendar.trading import MAX_YEAR, MIN_YEAR, sessions_between
from alvh.errors import DataError

#: ``provenance["vx"]`` of a store frame without VX rows in its span (``info()["vx"]`` adds ``"none: "``).
NO_VX: Final[str] = "no VX futures data in the store for this span (vx is None)"


def find_gaps(
    observed: np.ndarray, sessions: np.ndarray, max_gap: int
) -> list[tuple[np.datetime64, np.datetime64, int]]:
    """Runs of more than ``max_gap`` consecutive expected sessions missing from ``observed``.

    Parameters
    ----------
    observed : datetime64[D] array, sorted unique
        Days with data.
    sessions : datetime64[D] array, sorted unique
        The exchange's trading sessions over the same span.
    max_gap : int
        Largest tolerated run of missing sessions.

    Returns
    -------
    list of (last day before the gap, first day after it, missing sessions)
    """
    if observed.size < 2:
        return []
    # sessions strictly between consecutive observations (off-calendar days count 0)
    lo = np.searchsorted(sessions, observed[:-1], side="right")
    hi = np.searchsorted(sessions, observed[1:], side="left")
    missing = hi - lo
    idx = np.flatnonzero(missing > max_gap)
    return [(observed[k], observed[k + 1], int(missing[k])) for k in idx]


def clip_sessions(lo: np.datetime64, hi: np.datetime64, exchange: str = "NYSE") -> np.ndarray:
    """Sessions in ``[lo, hi]`` (``datetime64[D]``) clipped to the calendar's supported years (empty if none).

    Used by gap reports so that a stored row dated 1800 or 2300 (reported by ``data check``) does not make
    the whole report fail; :func:`alvh.data.plausible.sessions_clipped` takes any date-like.
    """
    a = max(np.datetime64(lo, "D"), np.datetime64(f"{MIN_YEAR}-01-01", "D"))  # type: ignore[call-overload]
    b = min(np.datetime64(hi, "D"), np.datetime64(f"{MAX_YEAR}-12-31", "D"))  # type: ignore[call-overload]
    if a > b:
        return np.array([], dtype="datetime64[D]")
    return sessions_between(a, b, exchange)  # type: ignore[arg-type]


def gap_rows(
    name: str, days: np.ndarray, exchange: str, max_gap: int, sessions: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """The gaps of one stored series (sorted unique ``datetime64[D]`` days) as report rows.

    ``sessions``: the exchange's sessions over a span covering ``days`` (computed here when not given); the
    days between the series' first and last are taken from it, so that several series share one call.
    """
    if days.size < 2:
        return []
    if sessions is None:
        sessions = clip_sessions(days[0], days[-1], exchange)
    else:
        sessions = sessions[np.searchsorted(sessions, days[0]) : np.searchsorted(sessions, days[-1], side="right")]
    return [
        {"series": name, "after": str(a), "before": str(b), "missing_sessions": n}
        for a, b, n in find_gaps(days, sessions, max_gap)
    ]


def no_index_error(path: Path, name: str) -> DataError:
    """The store holds no rows of index ``name`` (spx or vix) in the span asked for."""
    return DataError(
        f"the store has no {name.upper()} data in the span",
        file=path,
        column=name,
        expected=f"an import: alvh data import {name} PATH",
    )


def no_common_day_error(path: Path) -> DataError:
    """SPX and VIX have no day in common in the span asked for."""
    return DataError(
        "SPX and VIX share no trading day in the span", file=path, expected="overlapping SPX and VIX histories"
    )


def _days(conn: duckdb.DuckDBPyConnection, query: str, args: list[Any] | None = None) -> dict[str, np.ndarray]:
    """Columns of a query as numpy arrays, date columns as ``datetime64[D]``."""
    cols = conn.execute(query, args or []).fetchnumpy()
    return {
        k: (np.asarray(v).astype("datetime64[D]") if np.asarray(v).dtype.kind == "M" else np.asarray(v))
        for k, v in cols.items()
    }


def store_summary(conn: duckdb.DuckDBPyConnection, path: Path, max_gap: int) -> dict[str, Any]:
    """Spans, row counts and gaps of every stored table (before any alignment): ``Store.summary``."""
    out: dict[str, Any] = {"store": str(path), "series": {}, "max_gap": max_gap, "gaps": []}
    idx = _days(conn, "SELECT series, date FROM index_daily ORDER BY series, date")
    names, first = np.unique(idx["series"], return_index=True)
    bounds = [*first.tolist(), len(idx["date"])]
    # the NYSE sessions once over every index series' span (one calendar call instead of one per series)
    nyse = clip_sessions(idx["date"].min(), idx["date"].max(), "NYSE") if idx["date"].size else None
    for i, nm in enumerate(names.tolist()):
        days = idx["date"][bounds[i] : bounds[i + 1]]
        out["series"][nm] = {"first": str(days[0]), "last": str(days[-1]), "rows": int(days.size)}
        out["gaps"] += gap_rows(nm, days, "NYSE", max_gap, nyse)
    n_rows, n_contracts = conn.execute("SELECT count(*), count(DISTINCT contract) FROM vx_daily").fetchall()[0]
    if n_rows:
        days = _days(conn, "SELECT DISTINCT trade_date FROM vx_daily ORDER BY 1")["trade_date"]
        out["series"]["vx"] = {
            "first": str(days[0]),
            "last": str(days[-1]),
            "rows": int(n_rows),
            "contracts": int(n_contracts),
            "days": int(days.size),
        }
        out["gaps"] += gap_rows("vx", days, "CFE", max_gap)
    days = _days(conn, "SELECT date FROM breadth ORDER BY 1")["date"]
    if days.size:
        out["series"]["breadth"] = {"first": str(days[0]), "last": str(days[-1]), "rows": int(days.size)}
        out["gaps"] += gap_rows("breadth", days, "NYSE", max_gap)
    for table, col, label in (("series", "name", "series"), ("events", "kind", "events")):
        for nm, lo, hi, n in conn.execute(
            f"SELECT {col}, min(date), max(date), count(*) FROM {table} GROUP BY {col} ORDER BY {col}"
        ).fetchall():
            out["series"][f"{label}:{nm}"] = {"first": str(lo), "last": str(hi), "rows": int(n)}
    return out


def market_overview(conn: duckdb.DuckDBPyConnection, path: Path) -> dict[str, Any]:
    """``span``, ``trading_days``, ``vx`` and ``contango_share_by_year`` of ``MarketFrame.info()`` for the whole store.

    The aligned days are those with both an SPX and a VIX row; the VX rows are those on these days
    (the panel's rows); the front contract each day is the nearest expiry with a settlement and at least
    one calendar day to go (``VXPanel.front(min_dte=1)``), in contango where it settles above the VIX close.
    Raises the frame's :class:`~alvh.errors.DataError` when SPX or VIX is missing or they share no day.
    """
    spx = _days(conn, "SELECT date FROM index_daily WHERE series = 'spx' ORDER BY date")["date"]
    vix = _days(conn, "SELECT date, close FROM index_daily WHERE series = 'vix' ORDER BY date")
    for nm, d in (("spx", spx), ("vix", vix["date"])):
        if d.size == 0:
            raise no_index_error(path, nm)
    dates = np.intersect1d(spx, vix["date"], assume_unique=True)
    if dates.size == 0:
        raise no_common_day_error(path)
    vix_close = vix["close"].astype(float)[np.searchsorted(vix["date"], dates)]
    vx = _days(
        conn,
        "SELECT trade_date, expiry, settle FROM vx_daily WHERE trade_date >= ? AND trade_date <= ? "
        "ORDER BY trade_date, expiry",
        [dates[0].item(), dates[-1].item()],
    )
    out: dict[str, Any] = {"span": [str(dates[0]), str(dates[-1])], "trading_days": int(dates.size)}
    if vx["trade_date"].size == 0:
        out["vx"] = "none: " + NO_VX
        out["contango_share_by_year"] = {}
        return out
    settle = vx["settle"].astype(float)
    row = np.searchsorted(dates, vx["trade_date"])
    on = row < dates.size
    on[on] = dates[row[on]] == vx["trade_date"][on]  # rows on an aligned day (the panel's rows)
    listed = on & ~np.isnan(settle)
    out["vx"] = {"contracts": int(np.unique(vx["expiry"][listed]).size), "source": f"store {path}"}
    dte = (vx["expiry"] - vx["trade_date"]).astype(np.int64)
    ok = listed & (dte >= 1)
    r_ok = row[ok]
    first = np.r_[True, r_ok[1:] != r_ok[:-1]]  # rows are sorted by (day, expiry): the first is the nearest
    front_row, front_settle = r_ok[first], settle[ok][first]
    years = dates.astype("datetime64[Y]").astype(np.int64)[front_row] + 1970
    above = front_settle > vix_close[front_row]
    uniq, inv = np.unique(years, return_inverse=True)
    days = np.bincount(inv)
    contango = np.bincount(inv, weights=above.astype(float))
    out["contango_share_by_year"] = {
        int(y): {"days": int(n), "share": round(float(c / n), 4)}
        for y, n, c in zip(uniq.tolist(), days.tolist(), contango.tolist(), strict=True)
    }
    return out
