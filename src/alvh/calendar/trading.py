"""Trading-day calendars: NYSE (SPX), CFE (VX futures) and Cboe Options (expiry rules).

The holiday rules come from ``pandas_market_calendars`` (an established,
maintained calendar library), read from a table generated from it
(``alvh/resources/exchange_sessions.csv``, written by scripts/build_exchange_sessions.py and
compared with the installed pandas_market_calendars over every supported year by
tests/test_calendar_table.py): building its holiday rules back to 1885 cost ~0.4 s per
exchange at every process start. alvh adds one documented correction for the CFE:
three days on which ``pandas_market_calendars`` (5.x) lists the CFE as closed but
Cboe's own VX settlement files show a real session with volume and new
settlement prices (see :data:`CFE_EXTRA_SESSIONS` and docs/calendars.md).

Sessions are computed per (exchange, calendar year) and cached with
``functools.lru_cache`` on a pure function that returns a read-only array, so
the cache cannot be mutated by a caller and there is no other global state.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Final, Literal

import numpy as np

from alvh.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

Exchange = Literal["NYSE", "CFE", "CBOE"]

#: alvh exchange name -> pandas_market_calendars calendar name.
#: ``"CBOE"`` is the Cboe Options exchange (SPX/VIX options); its business days
#: decide the VX final-settlement and SPX expiry holiday rules.
_PMC_NAMES: Final[dict[str, str]] = {
    "NYSE": "NYSE",
    "CFE": "CFE",
    "CBOE": "CBOE_Index_Options",
}

#: Days the CFE was open although pandas_market_calendars 5.x marks them closed.
#: Evidence: Cboe's per-contract VX files (../shared/data/vix_futures) carry a
#: session with volume and a settlement different from the previous day's.
CFE_EXTRA_SESSIONS: Final[tuple[tuple[dt.date, str], ...]] = (
    (
        dt.date(2015, 4, 3),
        "Good Friday 2015: CFE open (shortened session, US jobs report day); NYSE and Cboe Options closed",
    ),
    (dt.date(2018, 12, 5), "National Day of Mourning (G. H. W. Bush): CFE open; NYSE and Cboe Options closed"),
    (dt.date(2025, 1, 9), "National Day of Mourning (J. Carter): CFE open; NYSE and Cboe Options closed"),
)

#: Years for which sessions can be computed. pandas_market_calendars' NYSE rules
#: start in 1885; later years run past any published exchange schedule.
MIN_YEAR: Final[int] = 1885
MAX_YEAR: Final[int] = 2200


def _check_exchange(exchange: str) -> str:
    if exchange not in _PMC_NAMES:
        raise InputError(
            f"unknown exchange {exchange!r}",
            argument="exchange",
            expected="one of " + ", ".join(repr(k) for k in _PMC_NAMES),
        )
    return exchange


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """exchange -> (week mask per year (n_years, 7) bool, closed days, extra open days), from the table."""
    text = resources.files("alvh.resources").joinpath("exchange_sessions.csv").read_text(encoding="utf-8")
    masks: dict[str, list[list[bool]]] = {k: [] for k in _PMC_NAMES}
    closed: dict[str, list[str]] = {k: [] for k in _PMC_NAMES}
    opened: dict[str, list[str]] = {k: [] for k in _PMC_NAMES}
    for line in text.splitlines()[3:]:  # two comment lines and the header
        exchange, year, mask, shut, extra = line.split(",")
        if int(year) != MIN_YEAR + len(masks[exchange]):
            raise AssertionError(f"exchange_sessions.csv: {exchange} {year} out of order")  # a corrupt resource
        masks[exchange].append([c == "1" for c in mask])
        closed[exchange] += [f"{year}-{d[:2]}-{d[2:]}" for d in shut.split()]
        opened[exchange] += [f"{year}-{d[:2]}-{d[2:]}" for d in extra.split()]
    return {
        k: (
            np.array(masks[k], dtype=bool),
            np.array(closed[k], dtype="datetime64[D]"),
            np.array(opened[k], dtype="datetime64[D]"),
        )
        for k in _PMC_NAMES
    }


def _sessions(exchange: str, y0: int, y1: int) -> np.ndarray:
    """Sorted, read-only ``datetime64[D]`` sessions of ``exchange`` in the calendar years ``y0..y1``."""
    masks, closed, opened = _table()[exchange]
    days = np.arange(np.datetime64(f"{y0}-01-01", "D"), np.datetime64(f"{y1 + 1}-01-01", "D"))
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970 - MIN_YEAR
    keep = masks[year, weekday]
    keep &= ~np.isin(days, closed)
    keep |= np.isin(days, opened)
    out = days[keep]
    if exchange == "CFE":
        extra = np.array([d for d, _ in CFE_EXTRA_SESSIONS if y0 <= d.year <= y1], dtype="datetime64[D]")
        out = np.union1d(out, extra)  # union1d sorts and de-duplicates
    out = np.ascontiguousarray(out, dtype="datetime64[D]")
    out.setflags(write=False)
    return out


@lru_cache(maxsize=1024)
def _year_sessions(exchange: str, year: int) -> np.ndarray:
    """Sorted, read-only ``datetime64[D]`` sessions of ``exchange`` in ``year``."""
    return _sessions(exchange, year, year)


@lru_cache(maxsize=64)
def _span_sessions(exchange: str, y0: int, y1: int) -> np.ndarray:
    """Sessions of the calendar years ``y0..y1``: the same days as :func:`_year_sessions` year by year."""
    return _sessions(exchange, y0, y1)


def _to_day(value: object, argument: str) -> np.datetime64:
    """Parse a date-like argument to ``datetime64[D]`` or raise :class:`InputError`."""
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InputError("is NaT", argument=argument, expected="a date")
        return value.astype("datetime64[D]")
    import pandas as pd  # here, not at the top: sessions_between on datetime64 days needs no pandas (alvh data info)

    if isinstance(value, (dt.date, pd.Timestamp)):
        ts = pd.Timestamp(value)
    elif isinstance(value, str):
        try:
            ts = pd.Timestamp(dt.date.fromisoformat(value.strip()))
        except ValueError:
            raise InputError(
                f"cannot parse {value!r} as a date", argument=argument, expected="an ISO date YYYY-MM-DD"
            ) from None
    else:
        raise InputError(
            f"got {type(value).__name__}",
            argument=argument,
            expected="a date, pandas Timestamp, numpy datetime64 or ISO string",
        )
    if pd.isna(ts):
        raise InputError("is NaT", argument=argument, expected="a date")
    return np.datetime64(ts.date(), "D")


def sessions_between(start: object, end: object, exchange: Exchange = "NYSE") -> np.ndarray:
    """Trading sessions in ``[start, end]`` as a read-only sorted ``datetime64[D]`` array.

    Same days as :func:`trading_days`; the array form suits vectorized code.
    """
    _check_exchange(exchange)
    lo = _to_day(start, "start")
    hi = _to_day(end, "end")
    if lo > hi:
        raise InputError(f"start {lo} is after end {hi}", argument="start", expected="start <= end")
    y0 = int(str(lo)[:4])
    y1 = int(str(hi)[:4])
    if y0 < MIN_YEAR or y1 > MAX_YEAR:
        raise InputError(
            f"span {lo}..{hi} is outside the supported years",
            argument="start",
            expected=f"dates within {MIN_YEAR}..{MAX_YEAR}",
        )
    days = _year_sessions(exchange, y0) if y0 == y1 else _span_sessions(exchange, y0, y1)
    i0 = int(np.searchsorted(days, lo, side="left"))
    i1 = int(np.searchsorted(days, hi, side="right"))
    out = days[i0:i1]
    out.setflags(write=False)  # callers cannot alter the cached sessions
    return out


def trading_days(start: object, end: object, exchange: Exchange = "NYSE") -> pd.DatetimeIndex:
    """Trading days of an exchange between two dates, both ends inclusive.

    Parameters
    ----------
    start, end : date-like
        ``datetime.date``, ``pandas.Timestamp``, ``numpy.datetime64`` or an ISO
        ``YYYY-MM-DD`` string. ``start <= end``.
    exchange : {"NYSE", "CFE", "CBOE"}
        ``"NYSE"`` for SPX and the VIX index, ``"CFE"`` for VX futures,
        ``"CBOE"`` for Cboe Options (SPX/VIX options; the expiry holiday rules).

    Returns
    -------
    pandas.DatetimeIndex
        Tz-naive midnight timestamps, sorted, unique, named ``"date"``.

    Raises
    ------
    InputError
        Unknown exchange, unparseable date, ``start > end`` or years outside
        ``MIN_YEAR..MAX_YEAR``.

    Notes
    -----
    Holidays from pandas_market_calendars (e.g. Good Friday, Juneteenth from
    2022, the Ford funeral 2007-01-02, Hurricane Sandy 2012-10-29/30, national
    days of mourning 2018-12-05 and 2025-01-09). CFE additionally has the
    sessions in :data:`CFE_EXTRA_SESSIONS`. Tested against every trade date in
    Cboe's VX files (2004-2025).
    """
    import pandas as pd

    days = sessions_between(start, end, exchange)
    return pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date")


def is_session(day: object, exchange: Exchange = "NYSE") -> bool:
    """Whether ``day`` is a trading session of ``exchange``."""
    _check_exchange(exchange)
    d = _to_day(day, "day")
    year = int(str(d)[:4])
    if year < MIN_YEAR or year > MAX_YEAR:
        raise InputError(
            f"{d} is outside the supported years", argument="day", expected=f"a date within {MIN_YEAR}..{MAX_YEAR}"
        )
    days = _year_sessions(exchange, year)
    i = int(np.searchsorted(days, d))
    return bool(i < days.size and days[i] == d)


def previous_session(day: object, exchange: Exchange = "NYSE") -> dt.date:
    """The last session strictly before ``day``."""
    _check_exchange(exchange)
    d = _to_day(day, "day")
    year = int(str(d)[:4])
    for y in (year, year - 1):
        if y < MIN_YEAR:
            break
        days = _year_sessions(exchange, y)
        i = int(np.searchsorted(days, d, side="left"))
        if i > 0:
            return days[i - 1].astype(dt.date)
    raise InputError(f"no session before {d}", argument="day", expected=f"a date after {MIN_YEAR}-01-10")
