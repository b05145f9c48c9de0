"""Expiry rules: VX futures final settlement and SPX standard monthly options.

Both rules are checked against real dates in the tests: the VX rule against all
258 monthly expiries in Cboe's VX files (2004-2026), the SPX rule against
Cboe's published expiration dates, including Good Friday and Juneteenth cases.
See docs/calendars.md for worked examples.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from alvh.calendar.trading import _to_day, is_session, previous_session
from alvh.errors import DataError, InputError

#: Futures month codes, January .. December (CME/Cboe convention).
MONTH_CODES: Final[str] = "FGHJKMNQUVXZ"
_CODE_RE: Final[re.Pattern[str]] = re.compile(r"([FGHJKMNQUVXZ])(\d{2})")
_ISO_RE: Final[re.Pattern[str]] = re.compile(r"\d{4}-\d{2}-\d{2}")

#: Years accepted by the expiry rules (the holiday calendars cover them).
MIN_RULE_YEAR: Final[int] = 1900
MAX_RULE_YEAR: Final[int] = 2199

#: Calendar whose holidays move expiries: Cboe Options (the VX rule says
#: "Cboe Options holiday"; SPX options are listed on Cboe Options).
_RULE_EXCHANGE: Final = "CBOE"

VX_RULE_TEXT: Final[str] = (
    "the Wednesday 30 days before the third Friday of the following month "
    "(30 days before the preceding business day when that Friday is a Cboe Options holiday), "
    "moved to the preceding business day when that day is a Cboe Options holiday"
)


def _check_year_month(year: object, month: object) -> tuple[int, int]:
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise InputError(f"got {year!r}", argument="year", expected="an integer year")
    if isinstance(month, bool) or not isinstance(month, (int, np.integer)):
        raise InputError(f"got {month!r}", argument="month", expected="an integer month 1..12")
    y, m = int(year), int(month)
    if not MIN_RULE_YEAR <= y <= MAX_RULE_YEAR:
        raise InputError(f"year {y} out of range", argument="year", expected=f"{MIN_RULE_YEAR}..{MAX_RULE_YEAR}")
    if not 1 <= m <= 12:
        raise InputError(f"month {m} out of range", argument="month", expected="1..12")
    return y, m


def third_friday(year: int, month: int) -> dt.date:
    """The third Friday of a calendar month (no holiday adjustment)."""
    y, m = _check_year_month(year, month)
    first = dt.date(y, m, 1)
    # weekday(): Monday=0 .. Friday=4
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)


#: Contracts whose real final settlement date differs from the current rule.
#: Evidence: Cboe's own legacy per-contract files (CFE_N04_VX.csv, CFE_V04_VX.csv):
#: the final-settlement row (zero OHLC, settle with 3 decimals = the SOQ) is on
#: these dates and the contract has no row after them, while the next contract
#: keeps trading. Both are the Wednesday before the third Friday of the contract
#: month; the current rule gives a week later (the next month's third Friday is
#: five weeks away). The months where the two readings differ in 2005 (J05, N05,
#: U05) were never listed; from Z05 on every expiry follows the current rule.
VX_SETTLEMENT_EXCEPTIONS: Final[dict[tuple[int, int], tuple[dt.date, str]]] = {
    (2004, 7): (dt.date(2004, 7, 14), "N04: Cboe legacy file settles 2004-07-14; rule gives 2004-07-21"),
    (2004, 10): (dt.date(2004, 10, 13), "V04: Cboe legacy file settles 2004-10-13; rule gives 2004-10-20"),
}


@lru_cache(maxsize=4096)
def _vx_rule(year: int, month: int) -> dt.date:
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    friday = third_friday(ny, nm)
    anchor = friday if is_session(friday, _RULE_EXCHANGE) else previous_session(friday, _RULE_EXCHANGE)
    day = anchor - dt.timedelta(days=30)
    if not is_session(day, _RULE_EXCHANGE):
        day = previous_session(day, _RULE_EXCHANGE)
    return day


def vx_final_settlement_rule(year: int, month: int) -> dt.date:
    """The VX final settlement date by the current Cboe rule alone (no exceptions).

    Equal to :func:`vx_final_settlement` except for the contracts in
    :data:`VX_SETTLEMENT_EXCEPTIONS` (N04, V04).
    """
    y, m = _check_year_month(year, month)
    return _vx_rule(y, m)


def vx_final_settlement(year: int, month: int) -> dt.date:
    """Final settlement date of the monthly VX future of ``year``/``month``.

    Cboe's rule (CFE Rulebook, VX contract specifications, "Final Settlement
    Date"): the Wednesday 30 days before the third Friday of the calendar
    month after the contract month. If that Friday is a Cboe Options holiday,
    30 days before the Cboe Options business day preceding that Friday. If the
    resulting day is a Cboe Options holiday, the business day before it.

    Parameters
    ----------
    year, month : int
        Contract month, e.g. ``(2004, 5)`` for ``K04``.

    Returns
    -------
    datetime.date
        The final settlement date (also the last trading day of the contract).

    Examples
    --------
    >>> vx_final_settlement(2004, 5)        # June 18, 2004 is the 3rd Friday
    datetime.date(2004, 5, 19)
    >>> vx_final_settlement(2008, 2)        # March 21, 2008 was Good Friday
    datetime.date(2008, 2, 19)
    >>> vx_final_settlement(2024, 6)        # June 19, 2024 was Juneteenth
    datetime.date(2024, 6, 18)

    Notes
    -----
    Two 2004 contracts settled a week earlier than the rule gives (N04 on
    2004-07-14, V04 on 2004-10-13); they are kept in
    :data:`VX_SETTLEMENT_EXCEPTIONS` with Cboe's files as evidence and returned
    here. :func:`vx_final_settlement_rule` gives the rule alone.
    Tested against all 258 monthly expiries in Cboe's VX files (K04 .. G26),
    including the six Tuesday expiries (G08, H14, H19, H22, M24, H25).
    """
    y, m = _check_year_month(year, month)
    exc = VX_SETTLEMENT_EXCEPTIONS.get((y, m))
    return exc[0] if exc is not None else _vx_rule(y, m)


def vx_contract_code(year: int, month: int) -> str:
    """Contract code of a VX month: ``vx_contract_code(2004, 5) == "K04"``.

    The two-digit year is the year modulo 100, so codes are unique only within a
    century; :func:`parse_vx_contract` reads them as 2000-2099.
    """
    y, m = _check_year_month(year, month)
    if not 2000 <= y <= 2099:
        raise InputError(
            f"year {y} has no two-digit VX code in alvh's convention", argument="year", expected="2000..2099"
        )
    return f"{MONTH_CODES[m - 1]}{y % 100:02d}"


def parse_vx_contract(code: str) -> tuple[int, int]:
    """``(year, month)`` of a VX contract code: ``parse_vx_contract("K04") == (2004, 5)``.

    Accepts exactly one month code letter (F G H J K M N Q U V X Z, upper case)
    followed by a two-digit year read as 2000-2099.

    Raises
    ------
    InputError
        Anything else (e.g. ``"K4"``, ``"A04"``, ``"k04"``, ``"VXK04"``).
    """
    if not isinstance(code, str):
        raise InputError(f"got {type(code).__name__}", argument="code", expected="a VX contract code such as 'K04'")
    m = _CODE_RE.fullmatch(code)
    if m is None:
        raise InputError(
            f"{code!r} is not a VX contract code",
            argument="code",
            expected="a month letter F G H J K M N Q U V X Z and a two-digit year, e.g. 'K04'",
        )
    return 2000 + int(m.group(2)), MONTH_CODES.index(m.group(1)) + 1


def vx_contract_for_expiry(expiry: object) -> str:
    """The VX monthly contract code whose final settlement date is ``expiry``.

    Raises
    ------
    InputError
        If no monthly VX contract settles on that date (e.g. a weekly expiry).
    """
    day = _to_day(expiry, "expiry").astype(dt.date)
    # The settlement falls 30-36 days before the 3rd Friday (15th-21st) of the
    # next month, so always in the contract month itself; neighbours are checked
    # only to be safe.
    for off in (0, 1, -1):
        mi = day.year * 12 + day.month - 1 + off
        y, m = divmod(mi, 12)
        if 2000 <= y <= 2099 and vx_final_settlement(y, m + 1) == day:
            return vx_contract_code(y, m + 1)
    raise InputError(
        f"{day} is not the final settlement date of any monthly VX contract",
        argument="expiry",
        expected="a date produced by the VX final settlement rule",
    )


def _parse_expiry_value(expiry: object, *, file: str | Path | None, row: int | None, column: str) -> dt.date:
    """Strictly parse one expiry cell: ISO ``YYYY-MM-DD`` text or a date object."""
    if isinstance(expiry, str):
        text = expiry.strip()
        if _ISO_RE.fullmatch(text) is None:
            raise DataError(
                f"expiry {expiry!r} is not a date", file=file, row=row, column=column, expected="an ISO date YYYY-MM-DD"
            )
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise DataError(
                f"expiry {expiry!r} is not a calendar date",
                file=file,
                row=row,
                column=column,
                expected="an ISO date YYYY-MM-DD",
            ) from None
    try:
        return _to_day(expiry, "expiry").astype(dt.date)
    except InputError as exc:
        raise DataError(
            f"expiry {expiry!r} is not a date ({exc})", file=file, row=row, column=column, expected="a date"
        ) from None


def check_vx_expiry(
    code: str,
    expiry: object,
    *,
    file: str | Path | None = None,
    row: int | None = None,
    column: str = "expiry",
    contract_column: str = "contract",
) -> dt.date:
    """Check that ``expiry`` is the Cboe final settlement date of VX contract ``code``.

    Parameters
    ----------
    code : str
        Contract code such as ``"K04"``.
    expiry : date-like
        The expiry given by the data (``datetime.date``, Timestamp, datetime64 or
        ISO ``YYYY-MM-DD`` text; ``"20268-03-18"`` is rejected).
    file, row, column, contract_column
        Where the values came from, echoed in the error (``row`` is the 1-based
        file line, header = line 1).

    Returns
    -------
    datetime.date
        The validated expiry.

    Raises
    ------
    DataError
        Unparseable code (names ``contract_column``), unparseable expiry, or an
        expiry different from the rule's date (``expected=`` gives the rule's date).
    """
    try:
        year, month = parse_vx_contract(code)
    except InputError:
        raise DataError(
            f"{code!r} is not a VX contract code",
            file=file,
            row=row,
            column=contract_column,
            expected="a month letter F G H J K M N Q U V X Z and a two-digit year, e.g. 'K04'",
        ) from None
    day = _parse_expiry_value(expiry, file=file, row=row, column=column)
    want = vx_final_settlement(year, month)
    if day != want:
        why = (
            VX_SETTLEMENT_EXCEPTIONS[(year, month)][1]
            if (year, month) in VX_SETTLEMENT_EXCEPTIONS
            else f"the Cboe rule: {VX_RULE_TEXT}"
        )
        raise DataError(
            f"expiry {day} does not match VX contract {code}",
            file=file,
            row=row,
            column=column,
            expected=f"{want.isoformat()} by {why}",
        )
    return day


def check_vx_expiries(
    codes: Sequence[str] | np.ndarray | pd.Series,
    expiries: Sequence[object] | np.ndarray | pd.Series,
    *,
    file: str | Path | None = None,
    rows: Sequence[int] | np.ndarray | None = None,
    column: str = "expiry",
    contract_column: str = "contract",
) -> np.ndarray:
    """Vectorized :func:`check_vx_expiry` over many rows; raises at the first bad row.

    ``rows[i]`` is the file line of element ``i`` (default: ``i + 2``, i.e. a
    header on line 1). Returns the expiries as ``datetime64[D]``. The rule is
    evaluated once per distinct contract, so 44k rows cost ~258 rule calls.
    """
    code_arr = np.asarray(codes, dtype=object)
    exp_arr = np.asarray(expiries, dtype=object) if not isinstance(expiries, np.ndarray) else expiries
    if code_arr.shape != np.shape(exp_arr) or code_arr.ndim != 1:
        raise InputError(
            f"codes has shape {code_arr.shape}, expiries {np.shape(exp_arr)}",
            argument="expiries",
            expected="two 1-d sequences of equal length",
        )
    n = code_arr.size
    row_arr = np.arange(2, n + 2) if rows is None else np.asarray(rows)
    if row_arr.shape != (n,):
        raise InputError(f"rows has shape {row_arr.shape}", argument="rows", expected=f"shape ({n},)")
    out = np.empty(n, dtype="datetime64[D]")
    # one check per distinct (code, expiry) pair; report the first offending line
    pairs: dict[tuple[object, object], int] = {}
    for i in range(n):
        key = (code_arr[i], exp_arr[i])
        j = pairs.get(key)
        if j is None:
            out[i] = np.datetime64(
                check_vx_expiry(
                    code_arr[i],
                    exp_arr[i],
                    file=file,
                    row=int(row_arr[i]),
                    column=column,
                    contract_column=contract_column,
                ),
                "D",
            )
            pairs[key] = i
        else:
            out[i] = out[j]
    return out


def spx_monthly_expiry(year: int, month: int) -> dt.date:
    """Expiration date of the standard (AM-settled) monthly SPX options.

    The third Friday of the month; if that Friday is a Cboe Options holiday,
    the preceding business day (the settlement value is then computed from
    that day's opening prices and the last trading day moves one business day
    earlier too).

    Examples
    --------
    >>> spx_monthly_expiry(2024, 6)
    datetime.date(2024, 6, 21)
    >>> spx_monthly_expiry(2008, 3)         # Good Friday 2008-03-21
    datetime.date(2008, 3, 20)
    >>> spx_monthly_expiry(2026, 6)         # Juneteenth falls on the 3rd Friday
    datetime.date(2026, 6, 18)
    """
    friday = third_friday(year, month)
    return friday if is_session(friday, _RULE_EXCHANGE) else previous_session(friday, _RULE_EXCHANGE)


def _months_between(lo: np.datetime64, hi: np.datetime64, pad: int) -> range:
    m0 = int(lo.astype("datetime64[M]").astype(np.int64)) - pad
    m1 = int(hi.astype("datetime64[M]").astype(np.int64)) + pad
    return range(m0, m1 + 1)


def _expiries_between(start: object, end: object, rule: Callable[[int, int], object], pad: int) -> np.ndarray:
    lo = _to_day(start, "start")
    hi = _to_day(end, "end")
    if lo > hi:
        raise InputError(f"start {lo} is after end {hi}", argument="start", expected="start <= end")
    days = []
    for mi in _months_between(lo, hi, pad):
        y, m = divmod(mi, 12)  # months since 1970-01
        days.append(rule(1970 + y, m + 1))
    arr = np.array(days, dtype="datetime64[D]")
    arr = arr[(arr >= lo) & (arr <= hi)]
    return np.unique(arr)


def vx_expiries_between(start: object, end: object) -> np.ndarray:
    """Final settlement dates of all monthly VX contracts in ``[start, end]``, ``datetime64[D]`` sorted."""
    return _expiries_between(start, end, vx_final_settlement, pad=1)


def spx_expiries_between(start: object, end: object) -> np.ndarray:
    """Standard monthly SPX expiration dates in ``[start, end]``, ``datetime64[D]`` sorted."""
    return _expiries_between(start, end, spx_monthly_expiry, pad=0)
