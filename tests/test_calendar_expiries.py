"""Trading days and expiry rules, checked against real Cboe data and an independent calendar library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.calendar import (
    CFE_EXTRA_SESSIONS,
    VX_SETTLEMENT_EXCEPTIONS,
    check_vx_expiries,
    check_vx_expiry,
    is_session,
    parse_vx_contract,
    spx_expiries_between,
    spx_monthly_expiry,
    third_friday,
    trading_days,
    vx_contract_code,
    vx_contract_for_expiry,
    vx_expiries_between,
    vx_final_settlement,
    vx_final_settlement_rule,
)
from alvh.errors import DataError, InputError

VX_FILE = "vix_futures/vx_contracts_daily_2004_2025.csv.gz"


@pytest.fixture(scope="module")
def vx_rows(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / VX_FILE, usecols=["trade_date", "contract", "expiry"])


@pytest.fixture(scope="module")
def vx_expiries(vx_rows: pd.DataFrame) -> dict[str, dt.date]:
    pairs = vx_rows[["contract", "expiry"]].drop_duplicates()
    assert pairs["contract"].is_unique  # one expiry per contract in Cboe's data
    return {c: dt.date.fromisoformat(e) for c, e in zip(pairs["contract"], pairs["expiry"], strict=True)}


# ---------------------------------------------------------------- slow references
def _reference_third_friday(year: int, month: int) -> dt.date:
    fridays = [dt.date(year, month, d) for d in range(1, 22) if dt.date(year, month, d).weekday() == 4]
    return fridays[2]


def _reference_vx_rule_brief(year: int, month: int) -> dt.date:
    """The rule as worded in Cboe's current contract specs: Wednesday = third
    Friday of the next month - 30 days; if that Wednesday or that Friday is a
    Cboe holiday, the business day immediately preceding that Wednesday."""
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    friday = _reference_third_friday(ny, nm)
    wed = friday - dt.timedelta(days=30)
    if is_session(friday, "CBOE") and is_session(wed, "CBOE"):
        return wed
    day = wed - dt.timedelta(days=1)
    while not is_session(day, "CBOE"):
        day -= dt.timedelta(days=1)
    return day


# ---------------------------------------------------------------- trading days
def test_nyse_days_equal_exchange_calendars_xnys() -> None:
    # exchange_calendars is a separate project with its own holiday tables.
    import exchange_calendars as xc

    xnys = xc.get_calendar("XNYS", start="1990-01-02", end="2026-12-31")
    theirs = pd.DatetimeIndex(xnys.sessions_in_range("1990-01-02", "2026-12-31")).tz_localize(None)
    ours = trading_days("1990-01-02", "2026-12-31", "NYSE")
    assert ours.equals(pd.DatetimeIndex(theirs.values.astype("datetime64[ns]"), name="date"))


@pytest.mark.parametrize(
    "day",
    [
        "2007-01-02",
        "2012-10-29",
        "2012-10-30",
        "2018-12-05",
        "2025-01-09",
        "2024-06-19",
        "2008-03-21",
        "2015-04-03",
        "2004-06-11",
        "2022-06-20",
    ],
)
def test_known_nyse_closures(day: str) -> None:
    # Ford funeral, Sandy x2, Bush and Carter mourning days, Juneteenth 2024 and
    # its first observance 2022, Good Fridays, Reagan funeral 2004.
    assert not is_session(day, "NYSE")
    assert day not in trading_days(day, day, "NYSE")


def test_cfe_days_equal_cboe_vx_trade_dates(vx_rows: pd.DataFrame) -> None:
    traded = pd.DatetimeIndex(pd.to_datetime(vx_rows["trade_date"].unique())).sort_values()
    ours = trading_days(traded[0], traded[-1], "CFE")
    assert ours.equals(pd.DatetimeIndex(traded.values.astype("datetime64[ns]"), name="date"))


def test_cfe_extra_sessions_are_real_and_not_nyse(vx_rows: pd.DataFrame) -> None:
    traded = set(vx_rows["trade_date"])
    for day, _why in CFE_EXTRA_SESSIONS:
        assert day.isoformat() in traded
        assert is_session(day, "CFE") and not is_session(day, "NYSE") and not is_session(day, "CBOE")


def test_trading_days_bad_input() -> None:
    with pytest.raises(InputError, match="exchange"):
        trading_days("2020-01-01", "2020-02-01", "LSE")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="start"):
        trading_days("2020-02-01", "2020-01-01")
    with pytest.raises(InputError, match="end"):
        trading_days("2020-01-01", "2020-13-01")
    with pytest.raises(InputError, match="start"):
        trading_days(20200101, "2020-02-01")


def test_trading_days_cached_result_cannot_be_mutated() -> None:
    from alvh.calendar import sessions_between

    a = sessions_between("2020-01-01", "2020-12-31", "NYSE")
    with pytest.raises(ValueError):
        a[0] = np.datetime64("1999-01-01")
    assert sessions_between("2020-01-01", "2020-12-31", "NYSE")[0] == np.datetime64("2020-01-02")


# ---------------------------------------------------------------- VX rule
@pytest.mark.parametrize("exchange", ["NYSE", "CFE", "CBOE"])
def test_multi_year_spans_equal_the_year_by_year_sessions(exchange) -> None:
    """sessions_between over many years (one valid_days call) == the per-year sessions joined."""
    from alvh.calendar import trading

    y0, y1 = 1885, 2200
    joined = np.concatenate([trading._year_sessions(exchange, y) for y in range(y0, y1 + 1)])
    np.testing.assert_array_equal(trading.sessions_between(f"{y0}-01-01", f"{y1}-12-31", exchange), joined)
    for lo, hi in (("1927-12-30", "2026-07-22"), ("2014-12-31", "2015-01-02"), ("2004-03-26", "2025-06-18")):
        got = trading.sessions_between(lo, hi, exchange)
        want = joined[(joined >= np.datetime64(lo)) & (joined <= np.datetime64(hi))]
        np.testing.assert_array_equal(got, want)


def test_all_258_vx_expiries_reproduced(vx_expiries: dict[str, dt.date]) -> None:
    assert len(vx_expiries) == 258
    wrong = {
        c: (e, vx_final_settlement(*parse_vx_contract(c)))
        for c, e in vx_expiries.items()
        if vx_final_settlement(*parse_vx_contract(c)) != e
    }
    assert wrong == {}


def test_rule_without_exceptions_misses_exactly_the_documented_two(vx_expiries: dict[str, dt.date]) -> None:
    misses = {
        parse_vx_contract(c) for c, e in vx_expiries.items() if vx_final_settlement_rule(*parse_vx_contract(c)) != e
    }
    assert misses == set(VX_SETTLEMENT_EXCEPTIONS) == {(2004, 7), (2004, 10)}
    for (y, m), (day, _why) in VX_SETTLEMENT_EXCEPTIONS.items():
        # both settled on the Wednesday before the contract month's 3rd Friday
        assert day == third_friday(y, m) - dt.timedelta(days=2)
        assert vx_final_settlement_rule(y, m) == day + dt.timedelta(days=7)


def test_rule_equals_the_reworded_rule_everywhere() -> None:
    # Two wordings of Cboe's holiday clause agree on every month 2004-2035.
    for y in range(2004, 2036):
        for m in range(1, 13):
            assert vx_final_settlement_rule(y, m) == _reference_vx_rule_brief(y, m), (y, m)


@pytest.mark.parametrize(
    ("code", "expiry", "why"),
    [
        ("G08", dt.date(2008, 2, 19), "Good Friday 2008-03-21"),
        ("H14", dt.date(2014, 3, 18), "Good Friday 2014-04-18"),
        ("H19", dt.date(2019, 3, 19), "Good Friday 2019-04-19"),
        ("H22", dt.date(2022, 3, 15), "Good Friday 2022-04-15"),
        ("H25", dt.date(2025, 3, 18), "Good Friday 2025-04-18"),
        ("M24", dt.date(2024, 6, 18), "Juneteenth on the Wednesday 2024-06-19"),
    ],
)
def test_tuesday_expiries(code: str, expiry: dt.date, why: str, vx_expiries: dict[str, dt.date]) -> None:
    assert vx_expiries[code] == expiry, why  # the real data
    assert vx_final_settlement(*parse_vx_contract(code)) == expiry, why
    assert expiry.weekday() == 1


def test_tuesday_expiries_are_all_holiday_cases(vx_expiries: dict[str, dt.date]) -> None:
    non_wed = sorted(c for c, e in vx_expiries.items() if e.weekday() != 2)
    assert non_wed == ["G08", "H14", "H19", "H22", "H25", "M24"]


def test_vx_after_data_end_juneteenth_friday_2026() -> None:
    # Juneteenth 2026 is the 3rd Friday of June -> 30 days before Thu 2026-06-18.
    assert vx_final_settlement(2026, 5) == dt.date(2026, 5, 19)


def test_vx_settlement_is_30_days_before_spx_expiry(vx_expiries: dict[str, dt.date]) -> None:
    # Cboe: VX settles 30 days before the next month's SPX expiration (Good Friday
    # cases included), unless that day itself is a holiday (M24) or an exception.
    for c, e in vx_expiries.items():
        y, m = parse_vx_contract(c)
        if (y, m) in VX_SETTLEMENT_EXCEPTIONS or c == "M24":
            continue
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        assert spx_monthly_expiry(ny, nm) - dt.timedelta(days=30) == e, c


def test_contract_codes_round_trip() -> None:
    assert parse_vx_contract("K04") == (2004, 5)
    assert parse_vx_contract("F26") == (2026, 1)
    assert parse_vx_contract("Z99") == (2099, 12)
    for m in range(1, 13):
        assert parse_vx_contract(vx_contract_code(2015, m)) == (2015, m)
    assert vx_contract_code(2004, 5) == "K04"


@pytest.mark.parametrize("code", ["K4", "A04", "k04", "VXK04", "K004", "", " K04", "K0A"])
def test_parse_vx_contract_rejects(code: str) -> None:
    with pytest.raises(InputError, match="code"):
        parse_vx_contract(code)


def test_parse_and_code_reject_non_str_and_bad_months() -> None:
    with pytest.raises(InputError):
        parse_vx_contract(504)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="month"):
        vx_contract_code(2004, 13)
    with pytest.raises(InputError, match="year"):
        vx_contract_code(1999, 1)
    with pytest.raises(InputError, match="year"):
        vx_final_settlement(2004.0, 5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="month"):
        vx_final_settlement(2004, True)  # type: ignore[arg-type]


def test_contract_for_expiry(vx_expiries: dict[str, dt.date]) -> None:
    for c, e in vx_expiries.items():
        assert vx_contract_for_expiry(e) == c
    assert vx_contract_for_expiry("2024-06-18") == "M24"
    with pytest.raises(InputError, match="expiry"):
        vx_contract_for_expiry("2024-06-19")  # a holiday, not a settlement date
    with pytest.raises(InputError, match="expiry"):
        vx_contract_for_expiry(dt.date(2024, 6, 26))  # a weekly-style date


def test_check_vx_expiry_messages() -> None:
    assert check_vx_expiry("K04", "2004-05-19") == dt.date(2004, 5, 19)
    assert check_vx_expiry("K04", pd.Timestamp("2004-05-19")) == dt.date(2004, 5, 19)
    assert check_vx_expiry("K04", np.datetime64("2004-05-19")) == dt.date(2004, 5, 19)
    with pytest.raises(DataError) as ei:
        check_vx_expiry("H26", "20268-03-18", file="vx.csv", row=7)
    assert (ei.value.file, ei.value.row, ei.value.column) == ("vx.csv", 7, "expiry")
    with pytest.raises(DataError) as ei:
        check_vx_expiry("J26", "2026-03-18", file="vx.csv", row=8, column="Futures")
    assert ei.value.column == "Futures" and ei.value.expected is not None
    assert ei.value.expected.startswith("2026-04-15")
    with pytest.raises(DataError) as ei:
        check_vx_expiry("N04", "2004-07-21", file="vx.csv", row=9)
    assert ei.value.expected is not None and ei.value.expected.startswith("2004-07-14")
    with pytest.raises(DataError) as ei:
        check_vx_expiry("Q4", "2004-08-18", file="vx.csv", row=10, contract_column="Symbol")
    assert ei.value.column == "Symbol"
    for bad in ["2026-02-30", "18/03/2026", "", "nan"]:
        with pytest.raises(DataError, match="not a"):
            check_vx_expiry("H26", bad, file="vx.csv", row=11)
    with pytest.raises(DataError):
        check_vx_expiry("H26", float("nan"), file="vx.csv", row=12)
    with pytest.raises(DataError):
        check_vx_expiry("H26", pd.NaT, file="vx.csv", row=12)


def test_check_vx_expiries_vectorized_on_the_full_file(vx_rows: pd.DataFrame) -> None:
    got = check_vx_expiries(vx_rows["contract"], vx_rows["expiry"], file=VX_FILE)
    assert got.dtype == np.dtype("datetime64[D]")
    assert (got == vx_rows["expiry"].to_numpy().astype("datetime64[D]")).all()
    bad = vx_rows["expiry"].to_numpy(copy=True)
    bad[1000] = "2004-01-01"
    with pytest.raises(DataError) as ei:
        check_vx_expiries(vx_rows["contract"], bad, file=VX_FILE)
    assert ei.value.row == 1002 and ei.value.file == VX_FILE


def test_vx_expiries_between(vx_expiries: dict[str, dt.date]) -> None:
    got = vx_expiries_between("2004-05-01", "2026-02-28")
    assert got.dtype == np.dtype("datetime64[D]") and np.all(np.diff(got) > np.timedelta64(0, "D"))
    # Cboe's data lacks the never-listed months; everything it has is produced
    assert set(np.array(list(vx_expiries.values()), dtype="datetime64[D]")) <= set(got)
    assert got.size == 12 * 22 - 4 + 2  # May-2004 .. Feb-2026
    assert vx_expiries_between("2024-06-18", "2024-06-18").tolist() == [dt.date(2024, 6, 18)]
    assert vx_expiries_between("2024-06-19", "2024-07-16").size == 0


# ---------------------------------------------------------------- SPX
@pytest.mark.parametrize(
    ("year", "month", "expiry"),
    [
        (2024, 6, dt.date(2024, 6, 21)),
        (2020, 3, dt.date(2020, 3, 20)),
        (2015, 4, dt.date(2015, 4, 17)),
        (2008, 3, dt.date(2008, 3, 20)),  # Good Friday 2008-03-21
        (2014, 4, dt.date(2014, 4, 17)),  # Good Friday 2014-04-18
        (2019, 4, dt.date(2019, 4, 18)),  # Good Friday 2019-04-19
        (2022, 4, dt.date(2022, 4, 14)),  # Good Friday 2022-04-15
        (2025, 4, dt.date(2025, 4, 17)),  # Good Friday 2025-04-18
        (2026, 6, dt.date(2026, 6, 18)),  # Juneteenth 2026-06-19
    ],
)
def test_spx_monthly_expiry_known_dates(year: int, month: int, expiry: dt.date) -> None:
    assert spx_monthly_expiry(year, month) == expiry


def test_spx_expiries_between_matches_scalar_rule() -> None:
    got = spx_expiries_between("2000-01-01", "2030-12-31")
    want = [spx_monthly_expiry(y, m) for y in range(2000, 2031) for m in range(1, 13)]
    assert got.tolist() == want
    for y in range(2000, 2031):
        for m in range(1, 13):
            assert third_friday(y, m) == _reference_third_friday(y, m)
    with pytest.raises(InputError, match="start"):
        spx_expiries_between("2020-02-01", "2020-01-01")


# ---------------------------------------------------------------- properties over the whole rule range
def test_every_vx_settlement_2004_2099_is_a_session_and_round_trips() -> None:
    for y in range(2004, 2100):
        for m in range(1, 13):
            d = vx_final_settlement(y, m)
            assert d.weekday() in (1, 2), (y, m, d)  # Wednesday, or Tuesday after a holiday
            assert is_session(d, "CBOE") and is_session(d, "CFE"), (y, m, d)
            assert (d.year, d.month) == (y, m)  # settles inside its contract month
            assert vx_contract_for_expiry(d) == vx_contract_code(y, m)
            s = spx_monthly_expiry(y, m)
            assert s.weekday() in (3, 4) and is_session(s, "CBOE"), (y, m, s)
            assert 15 <= third_friday(y, m).day <= 21


def test_docstring_examples() -> None:
    import doctest

    import alvh.calendar.expiries as mod

    result = doctest.testmod(mod)
    assert result.attempted >= 6 and result.failed == 0
