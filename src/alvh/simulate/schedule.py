"""Which simulated days are CPI/PPI release days, FOMC days, and correlation re-estimation days.

A simulated run has calendar dates (``trading_days`` from its start), so event days come from the shipped
calendars (:func:`alvh.calendar.load_event_calendar`). Beyond a calendar's known span (CPI is known to
mid-2026, FOMC to 2026) the dates are projected by whole multiples of 364 days (52 weeks: the same weekday,
and within a few days of the same date a year earlier, which is how BLS and the Fed schedule), each moved
to the next trading day of the run. A calendar with no known dates (PPI as shipped) has no event days.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from alvh.calendar import load_event_calendar

#: One projection step: 52 weeks keeps the weekday.
_STEP = pd.Timedelta(days=364)


def event_mask(dates: pd.DatetimeIndex, kind: str, known: pd.DatetimeIndex | None = None) -> np.ndarray:
    """(n_days,) bool: the run's days that are ``kind`` event days (known dates, then 52-week projections).

    ``known`` overrides the shipped calendar (e.g. a store's imported dates); empty -> all False.
    """
    ev = pd.DatetimeIndex(known) if known is not None else _shipped_dates(kind)
    out = np.zeros(len(dates), dtype=bool)
    if len(ev) == 0 or len(dates) == 0:
        return out
    ev = ev.sort_values()
    lo, hi = ev[0], ev[-1]
    parts = [ev]
    last_year, first_year = ev[ev > hi - _STEP], ev[ev < lo + _STEP]
    k = 1
    while hi + (k - 1) * _STEP < dates[-1]:  # forward: the last known year, 52 weeks at a time
        parts.append(last_year + k * _STEP)
        k += 1
    k = 1
    while lo - (k - 1) * _STEP > dates[0]:  # backward: the first known year
        parts.append(first_year - k * _STEP)
        k += 1
    allv = pd.DatetimeIndex(np.concatenate([p.values for p in parts]))
    allv = allv[(allv <= hi) & (allv >= lo) & allv.isin(ev) | (allv > hi) | (allv < lo)].unique()
    allv = allv[(allv >= dates[0]) & (allv <= dates[-1])]
    pos = np.searchsorted(dates.values, allv.values)  # next trading day on or after the date
    pos = pos[pos < len(dates)]
    out[pos] = True
    return out


@functools.cache  # the shipped calendar parsed once per process (it was 5 ms a kind on every block of paths)
def _shipped_dates(kind: str) -> pd.DatetimeIndex:
    return load_event_calendar(kind).dates  # type: ignore[arg-type]


def reestimation_mask(dates: pd.DatetimeIndex, fomc: np.ndarray) -> np.ndarray:
    """(n_days,) bool: the first trading day of each week, and FOMC days (when correlations are re-estimated)."""
    week = dates.to_period("W-SUN").asi8 if len(dates) else np.array([], dtype=np.int64)
    first = np.ones(len(dates), dtype=bool)
    first[1:] = week[1:] != week[:-1]
    return first | fomc
