"""The committed session table (alvh/resources/exchange_sessions.csv) against pandas_market_calendars.

alvh.calendar reads the sessions from the table (building pandas_market_calendars' holiday rules cost
~0.4 s per exchange at start-up); here the installed pandas_market_calendars recomputes every session
of every supported year, and the two must agree day for day (plus alvh's documented CFE extra sessions).
Re-run scripts/build_exchange_sessions.py when a pandas_market_calendars release changes a holiday.
"""

from __future__ import annotations

import numpy as np
import pandas_market_calendars as pmc
import pytest

from alvh.calendar import sessions_between
from alvh.calendar.trading import _PMC_NAMES, CFE_EXTRA_SESSIONS, MAX_YEAR, MIN_YEAR


@pytest.mark.parametrize("exchange", sorted(_PMC_NAMES))
def test_table_equals_pandas_market_calendars(exchange):
    cal = pmc.get_calendar(_PMC_NAMES[exchange])
    want = np.asarray(
        cal.valid_days(f"{MIN_YEAR}-01-01", f"{MAX_YEAR}-12-31").tz_localize(None).values.astype("datetime64[D]")
    )
    if exchange == "CFE":
        want = np.union1d(want, np.array([d for d, _ in CFE_EXTRA_SESSIONS], dtype="datetime64[D]"))
    got = sessions_between(f"{MIN_YEAR}-01-01", f"{MAX_YEAR}-12-31", exchange)  # type: ignore[arg-type]
    assert got.size == want.size
    assert np.array_equal(got, want)


def test_known_days():
    # NYSE Saturday sessions (the last on 1952-05-24), Juneteenth from 2022, Carter's day of mourning (CFE open)
    nyse = sessions_between("1952-05-17", "1952-06-07", "NYSE")
    assert np.datetime64("1952-05-24") in nyse and np.datetime64("1952-06-07") not in nyse
    assert np.datetime64("2022-06-20") not in sessions_between("2022-06-17", "2022-06-21", "NYSE")
    assert np.datetime64("2021-06-18") in sessions_between("2021-06-18", "2021-06-18", "NYSE")
    assert np.datetime64("2025-01-09") in sessions_between("2025-01-08", "2025-01-10", "CFE")
    assert np.datetime64("2025-01-09") not in sessions_between("2025-01-08", "2025-01-10", "NYSE")
