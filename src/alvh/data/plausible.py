"""Plausibility checks: value ranges, exchange sessions, date windows, wrong kinds, names, jumps.

The importers call these on every file (an error is raised as a
:class:`~alvh.errors.DataError` naming file, line and column) and
``alvh data check`` runs the same functions on the stored rows (a finding
names the series, the date and the import id). Each check returns a list of
:class:`Finding`; ``level="error"`` refuses a file, ``level="warning"`` is
reported with the row and does not.

Bounds, and where they come from (observed extremes in ../shared/data, whose
SOURCE.md files name the publishers):

========  ===============  ==========================================================
series    bounds           evidence
========  ===============  ==========================================================
vix       [5, 200]         Cboe VIX 1990-2026: low 8.56 (2017-11-24), high 89.53
                           (2008-10-24); VIX9D high 111.68 (2020-03); VIX3M 10.06..86.61
vix9d     [3, 250]         Cboe VIX9D 2011-2026: 6.69 .. 111.68
vix3m     [5, 200]         Cboe VIX3M/VXV 2006-2026: 10.06 .. 86.61
vix6m     [5, 200]         Cboe VIX6M 2008-2026: 13.53 .. 67.18
vvix      [10, 400]        Cboe VVIX 2006-2026: 15.71 (a known 2006 publisher anomaly,
                           SOURCE.md) .. 207.59
skew      [50, 300]        Cboe SKEW 1990-2026: 101.23 .. 183.12; SKEW = 100 - 10 S can
                           fall below 100 only for positive risk-neutral skewness
spx       [1, 100000]      S&P 500 1927-2026: 4.40 (1932) .. 7816.70; and from a year on,
                           at least the floor below (never broken since)
vx        [5, 150]         VX settles 2004-2025: 8.75 .. 72.63 (post-2007 units)
rate      [-0.05, 0.25]    decimal per year; DTB3 1990-2026 -0.05% .. 7.99%
breadth   [0, 10000]       NYSE issues 1991-2026: at most 3,152 declining
========  ===============  ==========================================================

SPX floors (the lowest close from that year on, S&P DJI via ../shared/data/spx):
1980: 95 (98.22 in 1980), 1991: 290 (311.49), 1996: 590 (598.48), 2009: 660
(676.53), 2013: 1400 (1457.15), 2020: 2200 (2237.40). They make a VIX or VIX-option
file imported as ``spx`` fail loudly instead of reading as a 97% crash.

Earliest possible dates (:data:`FIRST_DAY`): the first day each publisher has
data for (Cboe's back-calculated histories, CFE's VX launch on 2004-03-26, the
first row of Yahoo's ^GSPC). The latest is today (UTC): a future row is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import pandas as pd

from alvh.calendar import sessions_between
from alvh.calendar.trading import MAX_YEAR, MIN_YEAR

#: (low, high) plausible values per series (see the module docstring for the evidence).
BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "vix": (5.0, 200.0),
    "vix9d": (3.0, 250.0),
    "vix3m": (5.0, 200.0),
    "vix6m": (5.0, 200.0),
    "vvix": (10.0, 400.0),
    "skew": (50.0, 300.0),
    "spx": (1.0, 100_000.0),
    "vx": (5.0, 150.0),
    "rate": (-0.05, 0.25),
    "breadth": (0.0, 10_000.0),
}

#: From the year given, SPX has never closed below the floor (see the module docstring).
SPX_FLOORS: Final[tuple[tuple[int, float], ...]] = (
    (1980, 95.0),
    (1991, 290.0),
    (1996, 590.0),
    (2009, 660.0),
    (2013, 1400.0),
    (2020, 2200.0),
)

#: First day each series can have data.
FIRST_DAY: Final[dict[str, dt.date]] = {
    "spx": dt.date(1927, 12, 30),  # first row of Yahoo's ^GSPC (S&P 90 back-calculation)
    "vix": dt.date(1990, 1, 2),  # Cboe's back-calculated VIX history starts here
    "vix9d": dt.date(2011, 1, 3),  # Cboe VIX9D history
    "vix3m": dt.date(2006, 7, 17),  # Cboe VXV (VIX3M) history as published by Yahoo
    "vix6m": dt.date(2008, 1, 2),  # Cboe VIX6M (VXMT) history
    "vvix": dt.date(2006, 3, 6),  # Cboe VVIX history
    "skew": dt.date(1990, 1, 2),  # Cboe SKEW history
    "vx": dt.date(2004, 3, 26),  # CFE launched VX futures
    "breadth": dt.date(1900, 1, 2),
    "rate": dt.date(1900, 1, 2),
    "events": dt.date(1900, 1, 2),
    "series": dt.date(1900, 1, 2),
}

#: Largest plausible one-day |log change| before a row is reported as a suspicious jump (a warning).
#: SPX: 0.25 (its largest is -0.229 on 1987-10-19); volatility indices: ln 4 (VIX9D's largest real move is
#: +1.146 on 2018-02-05).
JUMP_LOG: Final[dict[str, float]] = {"spx": 0.25, "vx": float(np.log(4.0))}
_VOL_JUMP: Final[float] = float(np.log(4.0))

VOL_INDICES: Final[tuple[str, ...]] = ("vix", "vix9d", "vix3m", "vix6m", "vvix", "skew")

_CONTROL_RE: Final[re.Pattern[str]] = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e]")
_NAME_RE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Finding:
    """One implausible value or row.

    ``index`` is the 0-based position in the checked arrays (the importer maps it to the file line).
    """

    level: Literal["error", "warning"]
    series: str
    index: int
    date: str | None
    column: str
    message: str
    expected: str

    def __str__(self) -> str:
        on = f" on {self.date}" if self.date else ""
        return f"{self.series}{on}, column {self.column!r}: {self.message} (expected {self.expected})"


def today() -> np.datetime64:
    """Today's date (UTC) as datetime64[D]: the latest day a row may carry."""
    return np.datetime64(dt.datetime.now(dt.UTC).date(), "D")


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def sessions_clipped(lo: object, hi: object, exchange: str = "NYSE") -> np.ndarray:
    """Exchange sessions in ``[lo, hi]`` clipped to the calendar's supported years (empty if none).

    Used by gap reports so that a stored row dated 1800 or 2300 (reported by :func:`check_window`)
    does not make the whole report fail.
    """
    from alvh.data.summary import clip_sessions

    return clip_sessions(
        np.datetime64(pd.Timestamp(lo).date(), "D"), np.datetime64(pd.Timestamp(hi).date(), "D"), exchange
    )


def check_printable(text: str, *, what: str) -> str | None:
    """A message if ``text`` holds control characters (terminal escapes, NUL, bidi overrides), else None."""
    m = _CONTROL_RE.search(text)
    if m is None:
        return None
    return f"{what} {text!r} holds the control character U+{ord(m.group()):04X} at position {m.start()}"


def check_name(label: str) -> str | None:
    """A message if ``label`` is not a usable name (letters, digits, ``_ . -``, starting with a letter)."""
    bad = check_printable(label, what="name")
    if bad is not None:
        return bad
    if _NAME_RE.fullmatch(label) is None:
        return f"name {label!r} is not letters, digits, '_', '.' or '-' starting with a letter (at most 64)"
    return None


def check_window(series: str, days: np.ndarray, column: str, *, kind: str | None = None) -> list[Finding]:
    """Rows dated before the series could exist or after today; a date outside the calendar's years."""
    key = kind or series
    first = np.datetime64(FIRST_DAY.get(key, dt.date(1900, 1, 2)), "D")
    last = today()
    out: list[Finding] = []
    early = days < first
    if early.any():
        i = _first(early)
        out.append(
            Finding(
                "error",
                series,
                i,
                str(days[i]),
                column,
                f"date {days[i]} is before {series} could have data",
                f"dates from {first} on (the first day the publisher has)",
            )
        )
    late = days > last
    if late.any():
        i = _first(late)
        out.append(
            Finding(
                "error",
                series,
                i,
                str(days[i]),
                column,
                f"date {days[i]} is in the future",
                f"dates up to today ({last})",
            )
        )
    return out


@lru_cache(maxsize=4)
def _holiday_names(exchange: str, y0: int, y1: int) -> dict[np.datetime64, str]:
    # the holidays' names come from pandas_market_calendars' rules (only on the error path: building
    # them costs ~0.4 s; the sessions themselves come from alvh.calendar's table)
    import pandas_market_calendars as pmc

    cal = pmc.get_calendar("NYSE" if exchange == "NYSE" else "CFE")
    names: dict[np.datetime64, str] = {}
    rules = getattr(cal.regular_holidays, "rules", []) or []
    for rule in rules:
        for d in rule.dates(f"{y0}-01-01", f"{y1}-12-31"):
            names[np.datetime64(pd.Timestamp(d).date(), "D")] = str(rule.name)
    for d in getattr(cal, "adhoc_holidays", []) or []:
        day = np.datetime64(pd.Timestamp(d).date(), "D")
        names.setdefault(day, "a special closure")
    return names


def closed_reason(day: np.datetime64, exchange: str = "NYSE") -> str:
    """Why ``exchange`` had no session on ``day``: the weekday for a weekend, else the holiday's name."""
    ts = pd.Timestamp(day)
    if ts.day_of_week >= 5:
        return f"a {ts.day_name()}"
    y = ts.year
    name = _holiday_names(exchange, y, y).get(np.datetime64(ts.date(), "D"))
    if name == "a special closure":
        return f"an {exchange} special closure"
    return f"an {exchange} holiday ({name})" if name else f"a day without an {exchange} session"


def check_sessions(
    series: str, days: np.ndarray, column: str, exchange: str = "NYSE"
) -> tuple[list[Finding], np.ndarray]:
    """Rows that are not sessions of ``exchange``.

    Returns the findings and the mask of off-session rows. For the Cboe volatility indices a
    weekday NYSE holiday is not an error: Cboe publishes values on some of them (2004-06-11 and NYSE
    holidays since 2022-05-30 in VIX_History.csv); the caller drops those rows and counts them.
    Weekends are always an error.
    """
    if days.size == 0:
        return [], np.zeros(0, dtype=bool)
    lo, hi = days.min(), days.max()
    y0, y1 = pd.Timestamp(lo).year, pd.Timestamp(hi).year
    if y0 < MIN_YEAR or y1 > MAX_YEAR:
        return [], np.zeros(days.size, dtype=bool)  # check_window reports these rows
    sessions = sessions_between(lo, hi, exchange)  # type: ignore[arg-type]
    off = ~np.isin(days, sessions)
    if not off.any():
        return [], off
    weekend = pd.DatetimeIndex(days.astype("datetime64[ns]")).day_of_week.to_numpy() >= 5
    out: list[Finding] = []
    hard = off & (weekend if series in VOL_INDICES else np.ones(days.size, dtype=bool))
    if hard.any():
        i = _first(hard)
        out.append(
            Finding(
                "error",
                series,
                i,
                str(days[i]),
                column,
                f"{days[i]} is {closed_reason(days[i], exchange)}, not an {exchange} session",
                f"rows only on {exchange} trading days",
            )
        )
    return out, off


def check_range(
    series: str,
    days: np.ndarray,
    values: np.ndarray,
    column: str,
    *,
    bounds: tuple[float, float] | None = None,
    upper_only: bool = False,
    floors: bool = True,
) -> list[Finding]:
    """Values outside the series' bounds (NaN ignored); for SPX also the per-era floors.

    ``floors`` applies :data:`SPX_FLOORS` (to closes: intraday lows went below them).
    A value far outside the bounds is worded as a likely wrong kind (an SPX file imported as a
    volatility index, a VIX file as SPX).
    """
    lo, hi = bounds if bounds is not None else BOUNDS[series]
    v = values
    out: list[Finding] = []
    too_high = v > hi
    too_low = (v < lo) & ~upper_only
    floor = np.full(v.shape, -np.inf)
    if series == "spx" and floors and days.size:
        years = days.astype("datetime64[Y]").astype(int) + 1970
        for y, f in SPX_FLOORS:
            floor = np.where(years >= y, f, floor)
        too_low |= v < floor
    bad = too_high | too_low
    if not bad.any():
        return out
    i = _first(bad)
    x = float(v[i])
    want = f"{series} within [{lo:g}, {hi:g}]"
    if series == "spx" and np.isfinite(floor[i]) and x < floor[i]:
        want = f"SPX >= {floor[i]:g} in {str(days[i])[:4]} (its lowest close since then is above that)"
    hint = ""
    if series in VOL_INDICES and x > hi and np.nanmedian(v) > 200:
        hint = ": the values look like an equity index (an SPX file imported as a volatility index?)"
    elif (
        series == "spx"
        and too_low[i]
        and np.nanmedian(v) < 100
        and days.size
        and days[0] >= np.datetime64("1990-01-01")
    ):
        hint = ": the values look like a volatility index (a VIX file imported as spx?)"
    elif series == "rate" and 0.25 < abs(x) <= 25:
        hint = ": this looks like percent (1.5 meaning 1.5%); import with --percent"
    out.append(
        Finding("error", series, i, str(days[i]) if days.size else None, column, f"implausible value {x:g}{hint}", want)
    )
    return out


def check_jumps(series: str, days: np.ndarray, values: np.ndarray, column: str) -> list[Finding]:
    """One-day moves larger than :data:`JUMP_LOG` (|log change|): warnings naming the row."""
    limit = JUMP_LOG.get(series, _VOL_JUMP)
    ok = np.isfinite(values) & (values > 0)
    idx = np.flatnonzero(ok)
    if idx.size < 2:
        return []
    lv = np.log(values[idx])
    jump = np.abs(np.diff(lv)) > limit
    out = []
    for k in np.flatnonzero(jump)[:20]:
        i, j = int(idx[k]), int(idx[k + 1])
        out.append(
            Finding(
                "warning",
                series,
                j,
                str(days[j]),
                column,
                f"suspicious one-day move {values[i]:g} -> {values[j]:g} ({np.exp(lv[k + 1] - lv[k]):.2f}x)",
                f"a one-day |log change| <= {limit:.3g}",
            )
        )
    return out


def check_counts(series: str, days: np.ndarray, values: np.ndarray, column: str) -> list[Finding]:
    """Counts (volume, open interest, issues): whole, >= 0 (NaN allowed)."""
    bad = np.isfinite(values) & ((values < 0) | (values != np.round(values)))
    if not bad.any():
        return []
    i = _first(bad)
    what = "negative" if values[i] < 0 else "fractional"
    return [
        Finding(
            "error",
            series,
            i,
            str(days[i]) if days.size else None,
            column,
            f"{what} count {values[i]:g}",
            "a whole number >= 0",
        )
    ]


def check_index_rows(
    series: str, days: np.ndarray, cols: dict[str, np.ndarray], names: dict[str, str]
) -> tuple[list[Finding], np.ndarray]:
    """Every check for an index (OHLC) series; returns findings and the off-session mask.

    ``cols`` maps ``open/high/low/close`` (and optionally ``volume``) to arrays; ``names`` maps the same keys
    to the file's column names (used in the findings).
    """
    out = check_window(series, days, names["date"])
    ses, off = check_sessions(series, days, names["date"], "NYSE")
    out += ses
    for key in ("close", "high", "low", "open"):
        if key in cols:
            out += check_range(series, days, cols[key], names[key], upper_only=key == "open", floors=key == "close")
    if "volume" in cols:
        out += check_counts(series, days, cols["volume"], names["volume"])
    on = ~off
    out += [
        replace_index(f, np.flatnonzero(on)) for f in check_jumps(series, days[on], cols["close"][on], names["close"])
    ]
    return out, off


def replace_index(f: Finding, positions: np.ndarray) -> Finding:
    """A finding computed on a subset, re-indexed to the full arrays."""
    return Finding(f.level, f.series, int(positions[f.index]), f.date, f.column, f.message, f.expected)


def errors(findings: list[Finding]) -> list[Finding]:
    """The error-level findings, in row order."""
    return sorted((f for f in findings if f.level == "error"), key=lambda f: f.index)


def warnings(findings: list[Finding]) -> list[Finding]:
    """The warning-level findings, in row order."""
    return sorted((f for f in findings if f.level == "warning"), key=lambda f: f.index)


__all__ = [
    "BOUNDS",
    "FIRST_DAY",
    "JUMP_LOG",
    "SPX_FLOORS",
    "VOL_INDICES",
    "Finding",
    "check_counts",
    "check_index_rows",
    "check_jumps",
    "check_name",
    "check_printable",
    "check_range",
    "check_sessions",
    "check_window",
    "closed_reason",
    "sessions_clipped",
    "errors",
    "replace_index",
    "today",
    "warnings",
]
