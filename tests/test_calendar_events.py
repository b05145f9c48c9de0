"""Shipped event calendars cross-checked against third-party compilations; user files; event windows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.calendar import (
    EventCalendar,
    event_window_mask,
    load_event_calendar,
    read_event_dates,
    trading_days,
)
from alvh.errors import DataError, InputError

CAL = "calendars"


def _d(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


@pytest.fixture(scope="module")
def mp1(shared_data: Path) -> pd.DataFrame:
    df = pd.read_csv(shared_data / CAL / "fomc_dates_1990_2020_mp1.csv")
    df["Date"] = pd.to_datetime(df["Date"], format="%m/%d/%Y")
    return df


@pytest.fixture(scope="module")
def jai(shared_data: Path) -> set[pd.Timestamp]:
    df = pd.read_csv(shared_data / CAL / "fomc_dates_1978_2023.csv")
    return set(pd.to_datetime(df["Date"].astype(str), format="%Y%m%d"))


def test_fomc_shipped_matches_mp1_scheduled_from_1994(mp1: pd.DataFrame) -> None:
    ours = set(load_event_calendar("fomc").dates)
    lo, hi = _d("1994-01-01"), mp1["Date"].max()
    sched = set(mp1.loc[mp1["Unscheduled"] == 0, "Date"])
    unsched = set(mp1.loc[mp1["Unscheduled"] == 1, "Date"])
    ours_in = {d for d in ours if lo <= d <= hi}
    theirs_in = {d for d in sched if d >= lo}
    # Only mismatch: 2020-03-15, the unscheduled meeting that replaced the
    # cancelled scheduled 17-18 March 2020 meeting (shipped with scheduled=0);
    # mp1 flags it unscheduled and dates it at the next trading day, 2020-03-16.
    assert ours_in - theirs_in == {_d("2020-03-15")}
    assert _d("2020-03-16") in unsched
    assert theirs_in - ours_in == set()


def test_fomc_before_1994_is_mp1_shifted_one_trading_day(mp1: pd.DataFrame) -> None:
    # Before Feb 1994 decisions were not announced; the mp1 research file dates
    # each meeting at the next trading day (when markets could infer it).
    ours = load_event_calendar("fomc").dates
    early = ours[ours < _d("1994-01-01")]
    days = trading_days("1989-12-01", "1994-01-31", "NYSE")
    nxt = days[np.searchsorted(days, early, side="right")]
    sched = mp1.loc[(mp1["Unscheduled"] == 0) & (mp1["Date"] < _d("1994-01-01")), "Date"]
    # One exception: 1990-12-18, when a discount-rate cut was announced the same
    # day, so mp1 keeps the meeting day itself.
    shifted = {d for d in nxt if d != _d("1990-12-19")} | {_d("1990-12-18")}
    assert shifted == set(sched)
    assert len(early) == 32


def test_fomc_disagreements_with_jai_chau_are_all_explained(jai: set[pd.Timestamp], mp1: pd.DataFrame) -> None:
    ours = set(load_event_calendar("fomc").dates)
    sched = set(mp1.loc[mp1["Unscheduled"] == 0, "Date"])
    # 2012..2023-09-20 (end of that file): every difference listed and explained
    lo, hi = _d("2012-01-01"), _d("2023-09-20")
    extra = {d for d in jai - ours if lo <= d <= hi}
    missing = {d for d in ours - jai if lo <= d <= hi}
    explained_extra = {
        _d("2013-10-16"): "conference call (debt ceiling), not a scheduled meeting",
        _d("2014-03-04"): "conference call, not a scheduled meeting",
        _d("2019-10-04"): "unscheduled (mp1 Unscheduled=1)",
        _d("2020-03-01"): "the 3 March 2020 emergency cut, misdated; unscheduled",
        _d("2020-03-23"): "unscheduled (mp1 Unscheduled=1)",
        _d("2020-08-27"): "unscheduled (mp1 Unscheduled=1; framework review statement)",
        _d("2021-11-04"): "jai-chau is one day late: the 2-3 Nov 2021 meeting's statement was 2021-11-03",
    }
    assert extra == set(explained_extra)
    assert missing == {_d("2021-11-03")}
    # 1994..2011: jai-chau mixes unscheduled calls, misdates and (2010) omissions;
    # wherever it disagrees with alvh, the mp1 compilation sides with alvh.
    lo, hi = _d("1994-01-01"), _d("2011-12-31")
    for d in (x for x in jai - ours if lo <= x <= hi):
        assert d not in sched, d  # jai-only dates are not scheduled meetings per mp1
    for d in (x for x in ours - jai if lo <= x <= hi):
        assert d in sched, d  # alvh-only dates are scheduled meetings per mp1
    assert len([d for d in jai if d.year == 2010]) == 7  # SOURCE.md: only 7 dates for 2010
    assert len([d for d in ours if d.year == 2010]) == 8


def test_fomc_shape() -> None:
    cal = load_event_calendar("fomc")
    years = pd.Series(cal.dates.year).value_counts()
    assert set(years.index) == set(range(1990, 2027))
    assert (years == 8).all()  # eight scheduled meetings a year (2020-03-15 stands in for March 2020)
    assert cal.known_from == dt.date(1990, 1, 1) and cal.known_to == dt.date(2026, 12, 31)
    assert "Federal Reserve" in cal.provenance and "federalreserve.gov" in cal.provenance
    # statement days are trading days except the Sunday 2020-03-15 emergency meeting
    off = set(cal.dates) - set(trading_days("1990-01-01", "2026-12-31", "NYSE"))
    assert off == {_d("2020-03-15")}


def test_cpi_shipped_matches_shared_compilation(shared_data: Path) -> None:
    theirs = pd.read_csv(shared_data / CAL / "cpi_release_dates_2015_2026.csv", parse_dates=["release_date"])
    cal = load_event_calendar("cpi")
    assert set(cal.dates) == set(theirs["release_date"])
    assert len(cal.dates) == 138
    # the 2025 shutdown
    assert _d("2025-10-24") in cal.dates and _d("2025-12-18") in cal.dates
    assert not ((cal.dates > _d("2025-10-24")) & (cal.dates < _d("2025-12-18"))).any()
    assert _d("2015-02-26") in cal.dates and _d("2019-01-11") in cal.dates
    assert cal.known_from == dt.date(2015, 1, 1) and cal.known_to == dt.date(2026, 7, 14)
    assert "Bureau of Labor Statistics" in cal.provenance


def test_ppi_ships_empty_with_a_clear_message() -> None:
    cal = load_event_calendar("ppi")
    assert cal.is_empty and cal.known_from is None and cal.known_to is None
    assert "no dates shipped" in cal.provenance and "read_event_dates" in cal.provenance
    assert not cal.covers(dt.date(2020, 1, 1), dt.date(2020, 12, 31))


def test_load_unknown_kind() -> None:
    with pytest.raises(InputError, match="kind"):
        load_event_calendar("gdp")  # type: ignore[arg-type]


# ---------------------------------------------------------------- user files
def _write(tmp_path: Path, text: str, name: str = "ev.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_event_dates_and_merge(tmp_path: Path) -> None:
    p = _write(tmp_path, "# my CPI file\ndate,ref\n2014-01-15,2013-12\n2014-12-11,2014-11\n")
    user = read_event_dates(p, "cpi", known_to=dt.date(2014, 12, 31))
    assert list(user.dates) == [_d("2014-01-15"), _d("2014-12-11")]
    assert user.known_from == dt.date(2014, 1, 15) and str(p) in user.provenance
    merged = load_event_calendar("cpi").merge(user)
    assert merged.known_from == dt.date(2014, 1, 15) and len(merged.dates) == 140
    assert merged.dates.is_monotonic_increasing and merged.dates.is_unique
    with pytest.raises(InputError, match="other"):
        load_event_calendar("cpi").merge(read_event_dates(p, "ppi"))
    with pytest.raises(InputError, match="gap"):  # span ends 2014-12-11 by default
        load_event_calendar("cpi").merge(read_event_dates(p, "cpi"))
    with pytest.raises(InputError, match="known_to"):
        read_event_dates(p, "cpi", known_to=dt.date(2014, 12, 1))
    gap = _write(tmp_path, "date\n2010-01-15\n2010-02-15\n", "gap.csv")
    with pytest.raises(InputError, match="gap"):
        load_event_calendar("cpi").merge(read_event_dates(gap, "cpi"))
    ppi = load_event_calendar("ppi").merge(read_event_dates(gap, "ppi"))
    assert ppi.known_from == dt.date(2010, 1, 15) and len(ppi.dates) == 2


@pytest.mark.parametrize(
    ("text", "line", "column", "pattern"),
    [
        ("date\n2020-01-02\n2020-01-01\n", 3, "date", "ascending"),
        ("date\n2020-01-02\n2020-01-02\n", 3, "date", "duplicate"),
        ("date\n2020-01-02\n2020/01/03\n", 3, "date", "not a date"),
        ("date\n2020-01-02\n20268-03-18\n", 3, "date", "not a date"),
        ("date\n2020-02-30\n", 2, "date", "calendar date"),
        ("date,x\n2020-01-02,1\n,2\n", 3, "date", "empty date"),
        ("day\n2020-01-02\n", 1, "date", "no column"),
        ("date\n", 2, "date", "no data rows"),
        ("date,x\n2020-01-02,1\n2020-01-03\n", 3, None, "fields"),
    ],
)
def test_read_event_dates_rejects(tmp_path: Path, text: str, line: int, column: str | None, pattern: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(DataError, match=pattern) as ei:
        read_event_dates(p, "ppi")
    assert ei.value.file == str(p) and ei.value.row == line and ei.value.column == column


def test_read_event_dates_empty_and_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty file"):
        read_event_dates(_write(tmp_path, ""), "ppi")
    with pytest.raises(DataError, match="not found"):
        read_event_dates(tmp_path / "nope.csv", "ppi")


# ---------------------------------------------------------------- event windows
def _reference_window(days: pd.DatetimeIndex, events: pd.DatetimeIndex, before: int, after: int) -> np.ndarray:
    out = np.zeros(len(days), dtype=bool)
    for e in events:
        k = next((i for i, d in enumerate(days) if d >= e), None)  # event day or next trading day
        if k is None:
            continue
        for j in range(k - before, k + after + 1):
            if 0 <= j < len(days):
                out[j] = True
    return out


def test_event_window_mask_matches_reference() -> None:
    days = trading_days("2019-06-01", "2021-06-30", "NYSE")
    events = load_event_calendar("fomc").dates
    for before, after in [(0, 0), (1, 1), (2, 0), (0, 3), (5, 5)]:
        got = event_window_mask(days, events, before, after)
        assert np.array_equal(got, _reference_window(days, events, before, after)), (before, after)
    m = event_window_mask(days, pd.DatetimeIndex(["2020-03-15"]), 0, 0)  # Sunday -> Monday 16 March
    assert days[m].tolist() == [_d("2020-03-16")]
    m = event_window_mask(days, pd.DatetimeIndex(["2019-06-03"]), 3, 1)  # clipped at the start
    assert m.sum() == 2


def test_event_window_mask_bad_input() -> None:
    days = trading_days("2020-01-01", "2020-02-01")
    with pytest.raises(InputError, match="before"):
        event_window_mask(days, days[:1], -1, 0)
    with pytest.raises(InputError, match="after"):
        event_window_mask(days, days[:1], 0, 1.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="trading_days"):
        event_window_mask(days[::-1], days[:1], 0, 0)
    assert not event_window_mask(days, pd.DatetimeIndex([]), 1, 1).any()
    assert isinstance(EventCalendar, type)
