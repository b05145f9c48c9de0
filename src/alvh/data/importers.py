"""Strict importers for the market-data formats users actually have.

Each importer reads one file, validates it with vectorized masks and returns
a normalized :class:`pandas.DataFrame`, or raises
:class:`alvh.errors.DataError` naming the file, the first offending line
(header = line 1), the column and what was expected. Nothing is filled,
reordered or dropped silently: every row an importer drops or alters is
counted in ``frame.attrs["notes"]`` (a list of plain sentences) and, in the
store, in the import record.

Formats (see docs/data.md for examples of each):

* Cboe volatility-index history: ``DATE,OPEN,HIGH,LOW,CLOSE`` (MM/DD/YYYY) and
  the two-column ``DATE,VVIX`` / ``DATE,SKEW`` forms; Yahoo and plain OHLC
  layouts with ISO dates (:func:`read_index_csv`, :func:`read_spx_csv`).
* VX futures: the consolidated long table (:func:`read_vx_long`), Cboe's
  legacy per-contract ``CFE_<M><YY>_VX.csv`` files (:func:`read_vx_cfe_legacy`)
  and Cboe's current per-expiry ``VX_<YYYY-MM-DD>.csv`` files
  (:func:`read_vx_cboe`).
* Breadth ``Date,Advancing,Declining,Unchanged`` (:func:`read_breadth`),
  event dates (:func:`read_events`), generic ``date,value`` series
  (:func:`read_series`) and a rate series (:func:`read_rate`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from alvh.calendar import (
    MONTH_CODES,
    check_vx_expiry,
    parse_vx_contract,
    read_event_dates,
    sessions_between,
    vx_contract_code,
    vx_contract_for_expiry,
    vx_final_settlement,
)
from alvh.calendar.events import EventCalendar
from alvh.data import _db
from alvh.data import plausible as pl
from alvh.data._csv import (
    RawTable,
    check_columns,
    check_ohlc,
    check_positive,
    check_sorted_unique,
    parse_dates,
    parse_numbers,
    read_raw,
)
from alvh.data.frame import RATE_MAX_GAP_DAYS
from alvh.errors import DataError, InputError, check_readable

#: First trade date on which CFE quoted VX in today's units. Before it, Cboe's
#: files show prices 10x larger (the contract was on 10x VIX with a $100
#: multiplier; on 2007-03-26 it became 1x VIX with $1000). Source: CFE
#: regulatory circular RG07-012 / ../shared/data/vix_futures/SOURCE.md.
VX_RESCALE_DATE: Final[np.datetime64] = np.datetime64("2007-03-26", "D")

#: Index names the store knows (``alvh data import KIND``).
INDEX_NAMES: Final[tuple[str, ...]] = _db.INDEX_NAMES  # alvh.data._db: the CLI's help reads it without pandas

OHLC: Final[list[str]] = ["open", "high", "low", "close"]

#: Rows of published files that break an OHLC rule and are kept as published,
#: keyed by (series, ISO date[, contract]) with the exact offending values, so
#: a different bad value on the same day is still rejected. Each is explained
#: in docs/data.md.
PUBLISHED_EXCEPTIONS: Final[dict[tuple[str, ...], tuple[dict[str, float], str]]] = {
    ("vix6m", "2019-07-05"): (
        {"high": 15.87, "low": 16.5},
        "Cboe's VIX6M_History.csv has low 16.50 above high 15.87 on 2019-07-05",
    ),
    ("vx", "2015-04-03", "Z15"): (
        {"low": 19.7, "close": 19.65},
        "Cboe's Z15 file has close 19.65 below low 19.70 on Good Friday 2015 (a shortened CFE session)",
    ),
}

#: Settlements in Cboe's files that are publisher errors, keyed by (ISO trade date, contract) with the
#: exact published value: such a row is dropped (counted in the notes), never used. Evidence: on
#: 2008-04-21 the legacy files give F09 (its first listed day, no trade) and G09 a settle of 1.00
#: while G09 traded at 22.67 that day; F09 settled 23.70 the next day, G09 23.55 before and 23.48 after.
KNOWN_BAD_SETTLES: Final[dict[tuple[str, str], tuple[float, str]]] = {
    ("2008-04-21", "F09"): (1.0, "settle 1.00 on F09's first listed day; 23.70 the next day"),
    ("2008-04-21", "G09"): (1.0, "settle 1.00 on a day G09 traded at 22.67; 23.55 before, 23.48 after"),
}

#: Plausible range of a VX settlement in VIX points after the 2007 rescale. VIX has never closed
#: below 9 or above 83 (Cboe VIX history 1990-2026); a value outside [5, 150] means wrong units
#: (e.g. a pre-2007 file already divided by 10, or a 10x price left unscaled).
VX_PLAUSIBLE: Final[tuple[float, float]] = (5.0, 150.0)

_CBOE_OHLC: Final[list[str]] = ["DATE", "OPEN", "HIGH", "LOW", "CLOSE"]
_PLAIN_OHLC: Final[list[str]] = ["Date", "Open", "High", "Low", "Close"]
_OHLC_LAYOUTS: Final[list[tuple[list[str], str, str]]] = [
    (_CBOE_OHLC, "%m/%d/%Y", "MM/DD/YYYY"),
    (_PLAIN_OHLC, "%Y-%m-%d", "YYYY-MM-DD"),
    (_PLAIN_OHLC + ["Volume"], "%Y-%m-%d", "YYYY-MM-DD"),
    (_PLAIN_OHLC + ["Adj Close", "Volume"], "%Y-%m-%d", "YYYY-MM-DD"),
    (_PLAIN_OHLC + ["Volume", "Adj Close"], "%Y-%m-%d", "YYYY-MM-DD"),
]
_CFE_COLUMNS: Final[list[str]] = [
    "Trade Date",
    "Futures",
    "Open",
    "High",
    "Low",
    "Close",
    "Settle",
    "Change",
    "Total Volume",
    "EFP",
    "Open Interest",
]
_VX_LONG_COLUMNS: Final[list[str]] = [
    "trade_date",
    "contract",
    "expiry",
    "open",
    "high",
    "low",
    "close",
    "settle",
    "change",
    "volume",
    "efp",
    "open_interest",
    "source",
    "rescaled_div10",
    "dte_cal",
]
#: Columns of the normalized VX long frame every VX importer returns.
VX_FRAME_COLUMNS: Final[list[str]] = [
    "trade_date",
    "contract",
    "expiry",
    "open",
    "high",
    "low",
    "close",
    "settle",
    "volume",
    "open_interest",
]
_MONTH_ABBR: Final[list[str]] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_FUTURES_LABEL_RE: Final[re.Pattern[str]] = re.compile(r"([FGHJKMNQUVXZ]) \(([A-Z][a-z]{2}) (\d{2}|\d{4})\)")


def _exempt_mask(
    series: str, days: np.ndarray, values: dict[str, np.ndarray], contracts: np.ndarray | None = None
) -> np.ndarray:
    """Rows matching a documented published exception (same day, contract and values)."""
    out = np.zeros(days.size, dtype=bool)
    for key, (vals, _why) in PUBLISHED_EXCEPTIONS.items():
        if key[0] != series:
            continue
        m = days == np.datetime64(key[1], "D")
        if len(key) > 2 and contracts is not None:
            m &= contracts == key[2]
        for col, v in vals.items():
            m &= np.isclose(values[col], v, rtol=0, atol=1e-9)
        out |= m
    return out


def raise_findings(raw: RawTable, findings: list[pl.Finding], notes: list[str]) -> None:
    """Raise the first error-level finding as a DataError naming the file line; warnings go to ``notes``."""
    errs = pl.errors(findings)
    if errs:
        f = errs[0]
        raise DataError(
            f.message + (f" on {f.date}" if f.date and f.date not in f.message else ""),
            file=raw.path,
            row=raw.line(f.index),
            column=f.column,
            expected=f.expected,
        )
    for f in pl.warnings(findings):
        notes.append(f"warning: line {raw.line(f.index)}, {f}")


def _drop_rows(
    days: np.ndarray, cols: dict[str, np.ndarray], off: np.ndarray, raw: RawTable, name: str, notes: list[str]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Drop weekday NYSE-holiday rows of a Cboe volatility index (counted in the notes)."""
    if not off.any():
        return days, cols
    first = int(np.argmax(off))
    notes.append(
        f"{name}: {int(off.sum())} row(s) on weekdays without an NYSE session dropped (Cboe publishes "
        f"values on some NYSE holidays; they are not SPX trading days), first {days[first]} "
        f"({pl.closed_reason(days[first])}) on line {raw.line(first)}"
    )
    keep = ~off
    return days[keep], {k: v[keep] for k, v in cols.items()}


def _index_frame(days: np.ndarray, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    idx = pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date")
    return pd.DataFrame(cols, index=idx)


def read_index_csv(path: str | Path, name: str) -> pd.DataFrame:
    """Read a daily index history (VIX family, VVIX, SKEW, SPX) strictly.

    Parameters
    ----------
    path : str or Path
        Cboe ``DATE,OPEN,HIGH,LOW,CLOSE`` (MM/DD/YYYY), Cboe two-column
        ``DATE,<NAME>`` (e.g. ``DATE,VVIX``), or ISO-dated ``Date,Open,High,
        Low,Close`` optionally with ``Volume`` and/or ``Adj Close`` (Yahoo).
    name : str
        The series name (``"vix"``, ``"vvix"``, ``"spx"`` ...); in the
        two-column form the value column must be ``name.upper()``.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (DatetimeIndex, sorted, unique), float columns
        ``open, high, low, close`` in index points; ``open/high/low`` are NaN
        for two-column files. ``attrs["notes"]`` lists anything notable.

    Raises
    ------
    DataError
        Unknown/missing columns, bad/unsorted/duplicate dates, a missing,
        ``"."`` or non-finite value, a non-positive value, low > high or close
        outside [low, high] (except :data:`PUBLISHED_EXCEPTIONS`).

    Notes
    -----
    The open is not checked against [low, high]: Cboe's VIX history has 47
    days (1992-2006) whose back-calculated open lies outside the day's range;
    they are counted in the notes.
    """
    raw = read_raw(path)
    header = list(raw.frame.columns)
    notes: list[str] = []
    two_col = ["DATE", name.upper()]
    if header == two_col:
        days = parse_dates(raw, "DATE", "%m/%d/%Y", shown="MM/DD/YYYY")
        check_sorted_unique(days, raw, "DATE")
        close = parse_numbers(raw, two_col[1], what=f"the {name.upper()} level")
        check_positive(close, raw, two_col[1])
        findings, off = pl.check_index_rows(name, days, {"close": close}, {"date": "DATE", "close": two_col[1]})
        raise_findings(raw, findings, notes)
        days, kept = _drop_rows(days, {"close": close}, off, raw, name, notes)
        close = kept["close"]
        nan = np.full(days.size, np.nan)
        frame = _index_frame(days, {"open": nan, "high": nan.copy(), "low": nan.copy(), "close": close})
        notes.append(f"{name}: close only (no open/high/low in the source)")
        frame.attrs["notes"] = notes
        return frame
    layouts = [lay for lay, _, _ in _OHLC_LAYOUTS] + [two_col]
    header = check_columns(raw, layouts, what=f"{name} index")
    _, fmt, shown = next(x for x in _OHLC_LAYOUTS if x[0] == header)
    d_col, o_col, h_col, l_col, c_col = header[:5]
    days = parse_dates(raw, d_col, fmt, shown=shown)
    check_sorted_unique(days, raw, d_col)
    o = parse_numbers(raw, o_col, what="a price")
    h = parse_numbers(raw, h_col, what="a price")
    lo = parse_numbers(raw, l_col, what="a price")
    c = parse_numbers(raw, c_col, what="a price")
    for v, col in ((o, o_col), (h, h_col), (lo, l_col), (c, c_col)):
        check_positive(v, raw, col)
    extras = {extra: parse_numbers(raw, extra, what="a number") for extra in header[5:]}  # Volume / Adj Close
    cols = {"open": o, "high": h, "low": lo, "close": c}
    names = {"date": d_col, "open": o_col, "high": h_col, "low": l_col, "close": c_col}
    if "Volume" in extras:
        cols["volume"], names["volume"] = extras["Volume"], "Volume"
    findings, off = pl.check_index_rows(name, days, cols, names)
    raise_findings(raw, findings, notes)
    cols.pop("volume", None)
    days, cols = _drop_rows(days, cols, off, raw, name, notes)
    if off.any():
        raw = RawTable(raw.path, raw.frame[~off].reset_index(drop=True), raw.lines[~off], raw.header_line)
    o, h, lo, c = cols["open"], cols["high"], cols["low"], cols["close"]
    exempt = _exempt_mask(name, days, {"open": o, "high": h, "low": lo, "close": c})
    check_ohlc(None, h, lo, c, raw, (o_col, h_col, l_col, c_col), exempt=exempt)
    if exempt.any():
        notes.append(
            f"{name}: {int(exempt.sum())} row(s) kept as published despite an OHLC rule (see PUBLISHED_EXCEPTIONS)"
        )
    open_out = int(((o < lo) | (o > h)).sum())
    if open_out:
        notes.append(f"{name}: open outside [low, high] on {open_out} day(s) as published; open not used there")
    frame = _index_frame(days, {"open": o, "high": h, "low": lo, "close": c})
    frame.attrs["notes"] = notes
    return frame


def read_spx_csv(path: str | Path) -> pd.DataFrame:
    """Read SPX daily OHLC: plain ``Date,Open,High,Low,Close[,Volume]`` or Yahoo with ``Adj Close``.

    Same checks and return value as :func:`read_index_csv` with ``name="spx"``;
    volume and adjusted close are validated as numbers and not kept (an index
    has no dividends to adjust for; Yahoo's index volume is not comparable
    across years).
    """
    return read_index_csv(path, "spx")


# ---------------------------------------------------------------- VX futures


def _validate_vx_rows(
    raw: RawTable,
    *,
    days: np.ndarray,
    contracts: np.ndarray,
    expiries: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    settle: np.ndarray,
    volume: np.ndarray,
    oi: np.ndarray,
    names: dict[str, str],
) -> tuple[np.ndarray, list[str]]:
    """Checks shared by every VX layout; returns the mask of rows to keep and notes."""
    notes: list[str] = []
    raise_findings(raw, pl.check_window("vx", days, names["date"]), notes)
    # trade dates are CFE sessions (alvh.calendar, pandas_market_calendars + Cboe's extra sessions)
    sessions = sessions_between(days.min(), days.max(), "CFE")
    off = ~np.isin(days, sessions)
    if off.any():
        i = int(np.argmax(off))
        raise DataError(
            f"{days[i]} is {pl.closed_reason(days[i], 'CFE')}, not a CFE trading session",
            file=raw.path,
            row=raw.line(i),
            column=names["date"],
            expected="a CFE trading day",
        )
    after = days > expiries
    if after.any():
        i = int(np.argmax(after))
        raise DataError(
            f"trade date {days[i]} is after the expiry {expiries[i]} of {contracts[i]}",
            file=raw.path,
            row=raw.line(i),
            column=names["date"],
            expected="trade dates up to the final settlement date",
        )
    for v, key in ((o, "open"), (h, "high"), (lo, "low"), (c, "close"), (settle, "settle")):
        neg = v < 0
        if neg.any():
            i = int(np.argmax(neg))
            raise DataError(
                f"negative price {v[i]:g}",
                file=raw.path,
                row=raw.line(i),
                column=names[key],
                expected="a price >= 0 (0 marks no trade)",
            )
    for v, key in ((volume, "volume"), (oi, "open_interest")):
        bad = (v < 0) | (v != np.round(v))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{v[i]:g} is not a non-negative whole number",
                file=raw.path,
                row=raw.line(i),
                column=names[key],
                expected="a count >= 0",
            )
    # Cboe's convention: a contract listed but not traded shows O=H=L=C=0 (or
    # partial zeros with indicative high/low); its settle is still valid. Only
    # complete quotes (all four > 0) are checked for consistency.
    complete = (o > 0) & (h > 0) & (lo > 0) & (c > 0)
    exempt = _exempt_mask("vx", days, {"open": o, "high": h, "low": lo, "close": c}, contracts)
    check_ohlc(
        None, h, lo, c, raw, (names["open"], names["high"], names["low"], names["close"]), mask=complete, exempt=exempt
    )
    n_incomplete = int((~complete).sum())
    if n_incomplete:
        notes.append(
            f"vx: {n_incomplete} row(s) with zero/missing OHLC (Cboe's no-trade convention) kept; "
            "their settle is used, their OHLC is not"
        )
    if exempt.any():
        notes.append(
            f"vx: {int(exempt.sum())} row(s) kept as published despite an OHLC rule (see PUBLISHED_EXCEPTIONS)"
        )
    zero_settle = settle == 0
    if zero_settle.any():
        notes.append(
            f"vx: {int(zero_settle.sum())} row(s) with settle = 0 dropped (contract listed but not "
            f"quoted), first on line {raw.line(int(np.argmax(zero_settle)))}"
        )
    known_bad = np.zeros(days.size, dtype=bool)
    for (day, code), (value, why) in KNOWN_BAD_SETTLES.items():
        m = (days == np.datetime64(day, "D")) & (contracts == code) & np.isclose(settle, value, rtol=0, atol=1e-9)
        if m.any():
            known_bad |= m
            notes.append(f"vx: {code} {day} dropped: known publisher error ({why})")
    lo_ok, hi_ok = VX_PLAUSIBLE
    odd = ~zero_settle & ~known_bad & ((settle < lo_ok) | (settle > hi_ok))
    if odd.any():
        i = int(np.argmax(odd))
        raise DataError(
            f"implausible VX settle {settle[i]:g} for {contracts[i]} on {days[i]}",
            file=raw.path,
            row=raw.line(i),
            column=names["settle"],
            expected=f"a settle in VIX points within [{lo_ok:g}, {hi_ok:g}] (prices before "
            f"{VX_RESCALE_DATE} are 10x in Cboe's per-contract files; check the units)",
        )
    return ~zero_settle & ~known_bad, notes


def _vx_frame(
    days: np.ndarray,
    contracts: np.ndarray,
    expiries: np.ndarray,
    cols: dict[str, np.ndarray],
    keep: np.ndarray,
    notes: list[str],
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "trade_date": days[keep].astype("datetime64[ns]"),
            "contract": pd.array(contracts[keep], dtype="str"),
            "expiry": expiries[keep].astype("datetime64[ns]"),
            **{k: v[keep] for k, v in cols.items()},
        }
    )
    frame = frame.sort_values(["trade_date", "expiry"], kind="stable").reset_index(drop=True)
    frame.attrs["notes"] = notes
    return frame


def _check_expiries(
    raw: RawTable,
    contracts: np.ndarray,
    expiries_text: np.ndarray | None,
    expiries: np.ndarray | None,
    *,
    code_col: str,
    exp_col: str,
) -> np.ndarray:
    """Validate each distinct (contract, expiry) pair once against the Cboe rule; first bad line wins.

    ``pd.factorize`` numbers the pairs in order of first appearance, so checking them in that order
    reports the first offending line of the file; 44k rows hold 258 pairs.
    """
    values = expiries_text if expiries_text is not None else expiries
    key = pd.Series(contracts, dtype="str") + "|" + pd.Series(values).astype("str")
    codes, uniques = pd.factorize(key)
    first = np.unique(codes, return_index=True)[1]
    out_unique = np.empty(len(uniques), dtype="datetime64[D]")
    for j, i in enumerate(first):
        value = values[i]  # type: ignore[index]
        out_unique[j] = np.datetime64(
            check_vx_expiry(
                str(contracts[i]), value, file=raw.path, row=raw.line(int(i)), column=exp_col, contract_column=code_col
            ),
            "D",
        )
    return out_unique[codes]


def read_vx_long(path: str | Path) -> pd.DataFrame:
    """Read the consolidated VX long table (one row per trade date and monthly contract).

    Parameters
    ----------
    path : str or Path
        CSV (optionally ``.gz``) with columns ``trade_date, contract, expiry,
        open, high, low, close, settle, change, volume, efp, open_interest,
        source, rescaled_div10, dte_cal`` as in
        ../shared/data/vix_futures/vx_contracts_daily_2004_2025.csv.gz; prices
        already in post-2007 units.

    Returns
    -------
    pandas.DataFrame
        :data:`VX_FRAME_COLUMNS`: ``trade_date`` and ``expiry`` datetime64,
        ``contract`` code (``"K04"``), prices in index points, ``volume`` and
        ``open_interest`` as floats holding whole numbers. Sorted by
        (trade_date, expiry).

    Raises
    ------
    DataError
        Bad header, a bad/unsorted/duplicate (trade_date, contract), a
        contract code or expiry that does not match the Cboe rule (e.g. the
        mislabelled ``20268-03-18``), ``dte_cal`` different from expiry minus
        trade date, ``rescaled_div10`` inconsistent with the 2007-03-26
        rescale, missing/``"."``/negative settle, low > high or close outside
        [low, high] on a complete quote, a trade date that is not a CFE session.
    """
    raw = read_raw(path)
    check_columns(raw, [_VX_LONG_COLUMNS], what="VX long table")
    days = parse_dates(raw, "trade_date", "%Y-%m-%d", shown="YYYY-MM-DD")
    contracts = raw.frame["contract"].str.strip().to_numpy(dtype=object)
    exp_text = raw.frame["expiry"].str.strip().to_numpy(dtype=object)
    expiries = _check_expiries(raw, contracts, exp_text, None, code_col="contract", exp_col="expiry")
    # sorted by trade date, and by expiry within a day; (trade_date, contract) unique
    t = days.astype("int64")
    e = expiries.astype("int64")
    if days.size > 1:
        back = t[1:] < t[:-1]
        same = t[1:] == t[:-1]
        dup = same & (e[1:] == e[:-1])
        unordered = same & (e[1:] < e[:-1])
        for mask, msg, exp in (
            (back, "trade date is before the previous line's", "rows sorted by trade_date"),
            (dup, "duplicate (trade_date, contract)", "each contract once per trade date"),
            (
                unordered,
                "contract listed before a nearer expiry on the same day",
                "rows sorted by expiry within a trade date",
            ),
        ):
            if mask.any():
                i = int(np.argmax(mask)) + 1
                raise DataError(
                    f"{msg} ({days[i]}, {contracts[i]})",
                    file=raw.path,
                    row=raw.line(i),
                    column="trade_date",
                    expected=exp,
                )
    settle = parse_numbers(raw, "settle", what="a settlement price")
    o = parse_numbers(raw, "open", required=False, what="a price or empty")
    h = parse_numbers(raw, "high", required=False, what="a price or empty")
    lo = parse_numbers(raw, "low", required=False, what="a price or empty")
    c = parse_numbers(raw, "close", required=False, what="a price or empty")
    parse_numbers(raw, "change", required=False, what="a number or empty")
    volume = parse_numbers(raw, "volume", what="a count")
    parse_numbers(raw, "efp", what="a count")
    oi = parse_numbers(raw, "open_interest", what="a count")
    dte = parse_numbers(raw, "dte_cal", what="calendar days to expiry")
    want_dte = (expiries - days).astype("int64")
    bad = dte != want_dte
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"dte_cal {dte[i]:g} but expiry - trade_date = {want_dte[i]}",
            file=raw.path,
            row=raw.line(i),
            column="dte_cal",
            expected="expiry minus trade_date in calendar days",
        )
    div = parse_numbers(raw, "rescaled_div10", what="0 or 1")
    want_div = (days < VX_RESCALE_DATE).astype(float)
    bad = div != want_div
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"rescaled_div10 is {div[i]:g} on {days[i]}",
            file=raw.path,
            row=raw.line(i),
            column="rescaled_div10",
            expected=f"1 before {VX_RESCALE_DATE} (prices divided by 10) and 0 from then on",
        )
    names = {
        "date": "trade_date",
        "open": "open",
        "high": "high",
        "low": "low",
        "close": "close",
        "settle": "settle",
        "volume": "volume",
        "open_interest": "open_interest",
    }
    keep, notes = _validate_vx_rows(
        raw,
        days=days,
        contracts=contracts,
        expiries=expiries,
        o=o,
        h=h,
        lo=lo,
        c=c,
        settle=settle,
        volume=volume,
        oi=oi,
        names=names,
    )
    n_div = int(want_div.sum())
    if n_div:
        notes.append(f"vx: {n_div} row(s) before {VX_RESCALE_DATE} were already divided by 10 in the source")
    return _vx_frame(
        days,
        contracts,
        expiries,
        {"open": o, "high": h, "low": lo, "close": c, "settle": settle, "volume": volume, "open_interest": oi},
        keep,
        notes,
    )


def _parse_futures_label(raw: RawTable, labels: np.ndarray, code: str | None) -> str:
    """Contract code from Cboe's ``Futures`` column (``"K (May 04)"``), consistent on every row."""
    uniq, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    found: str | None = code
    for j in order:
        label = str(uniq[j])
        i = int(first[j])
        m = _FUTURES_LABEL_RE.fullmatch(label)
        if m is None:
            raise DataError(
                f"{label!r} is not a VX contract label",
                file=raw.path,
                row=raw.line(i),
                column="Futures",
                expected="a label like 'K (May 04)'",
            )
        letter, mon, yy = m.groups()
        month = MONTH_CODES.index(letter) + 1
        if _MONTH_ABBR[month - 1] != mon:
            raise DataError(
                f"label {label!r}: month code {letter} is not {mon}",
                file=raw.path,
                row=raw.line(i),
                column="Futures",
                expected=f"'{letter} ({_MONTH_ABBR[month - 1]} ..)'",
            )
        year = int(yy) if len(yy) == 4 else 2000 + int(yy)
        this = vx_contract_code(year, month)
        if found is not None and this != found:
            raise DataError(
                f"label {label!r} is contract {this}, not {found}",
                file=raw.path,
                row=raw.line(i),
                column="Futures",
                expected=f"every row of contract {found}",
            )
        found = this
    if found is None:  # pragma: no cover - labels is never empty (read_raw rejects empty files)
        raise DataError("no contract label", file=raw.path, column="Futures", expected="a VX contract label")
    return found


def _read_cfe_common(raw: RawTable, date_fmt: str, shown: str) -> dict[str, np.ndarray]:
    check_columns(raw, [_CFE_COLUMNS], what="Cboe VX")
    days = parse_dates(raw, "Trade Date", date_fmt, shown=shown)
    check_sorted_unique(days, raw, "Trade Date")
    out = {"days": days, "settle": parse_numbers(raw, "Settle", what="a settlement price")}
    for src, dst in (("Open", "open"), ("High", "high"), ("Low", "low"), ("Close", "close")):
        out[dst] = parse_numbers(raw, src, required=False, what="a price or empty")
    parse_numbers(raw, "Change", required=False, what="a number or empty")
    out["volume"] = parse_numbers(raw, "Total Volume", what="a count")
    parse_numbers(raw, "EFP", what="a count")
    out["oi"] = parse_numbers(raw, "Open Interest", what="a count")
    return out


_CFE_NAMES: Final[dict[str, str]] = {
    "date": "Trade Date",
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "settle": "Settle",
    "volume": "Total Volume",
    "open_interest": "Open Interest",
}


def _rescale_before_2007(cols: dict[str, np.ndarray], days: np.ndarray, notes: list[str]) -> None:
    old = days < VX_RESCALE_DATE
    if old.any():
        for k in ("open", "high", "low", "close", "settle"):
            cols[k] = np.where(old, cols[k] / 10.0, cols[k])
        notes.append(
            f"vx: {int(old.sum())} row(s) before {VX_RESCALE_DATE} divided by 10 (CFE's pre-2007 price display)"
        )


def read_vx_cfe_legacy(path: str | Path) -> pd.DataFrame:
    """Read one legacy Cboe per-contract file ``CFE_<M><YY>_VX.csv``.

    Layout: an optional disclaimer line, then ``Trade Date,Futures,Open,High,
    Low,Close,Settle,Change,Total Volume,EFP,Open Interest`` with M/D/YYYY
    dates and ``Futures`` labels like ``K (May 04)``. The contract code comes
    from the file name and must agree with every label; its expiry comes from
    the Cboe rule (:func:`alvh.calendar.vx_final_settlement`) and no trade
    date may follow it. Prices before 2007-03-26 are divided by 10; rows with
    settle = 0 are dropped and counted; zero-OHLC no-trade rows are kept.

    Returns
    -------
    pandas.DataFrame
        :data:`VX_FRAME_COLUMNS`, as :func:`read_vx_long`.
    """
    p = Path(path)
    m = re.fullmatch(r"CFE_([FGHJKMNQUVXZ]\d{2})_VX\.csv(\.gz)?", p.name)
    if m is None:
        raise DataError(f"file name {p.name!r} does not name a contract", file=p, expected="a name like CFE_K04_VX.csv")
    code = m.group(1)
    first_line = _first_line(p)
    preamble = 0 if first_line.startswith("Trade Date") else 1
    raw = read_raw(p, preamble=preamble)
    cols = _read_cfe_common(raw, "%m/%d/%Y", "M/D/YYYY")
    labels = raw.frame["Futures"].str.strip().to_numpy(dtype=object)
    _parse_futures_label(raw, labels, code)
    year, month = parse_vx_contract(code)
    expiry = np.datetime64(vx_final_settlement(year, month), "D")
    return _one_contract_frame(raw, cols, code, expiry)


def read_vx_cboe(path: str | Path) -> pd.DataFrame:
    """Read one current Cboe per-expiry VX file (``VX_<YYYY-MM-DD>.csv``).

    Layout: ``Trade Date,Futures,Open,High,Low,Close,Settle,Change,Total
    Volume,EFP,Open Interest`` with ISO trade dates. ``Futures`` is a label
    like ``F (Jan 2015)`` / ``F (Jan 15)`` or the expiry date itself. The
    expiry comes from the file name when it has one, else from an ISO
    ``Futures`` value; the contract code from the label or, failing that, from
    the expiry. Both must agree with each other and with the Cboe rule
    (weekly contracts are rejected). Same price handling as
    :func:`read_vx_cfe_legacy`.
    """
    p = Path(path)
    raw = read_raw(p)
    cols = _read_cfe_common(raw, "%Y-%m-%d", "YYYY-MM-DD")
    labels = raw.frame["Futures"].str.strip().to_numpy(dtype=object)
    m = re.fullmatch(r"VX_(.+)\.csv(\.gz)?", p.name)
    name_expiry = m.group(1) if m else None
    iso = pd.to_datetime(pd.Series(labels), format="%Y-%m-%d", errors="coerce")
    code: str | None = None
    if iso.notna().all():
        uniq = np.unique(labels)
        if uniq.size != 1:
            i = int(np.argmax(labels != labels[0]))
            raise DataError(
                f"expiry {labels[i]!r} differs from {labels[0]!r} on the first row",
                file=p,
                row=raw.line(i),
                column="Futures",
                expected="one contract per file",
            )
        label_expiry: str | None = str(uniq[0])
    else:
        label_expiry = None
        code = _parse_futures_label(raw, labels, None)
    if name_expiry is not None and label_expiry is not None and name_expiry != label_expiry:
        raise DataError(
            f"file name says expiry {name_expiry}, the Futures column says {label_expiry}",
            file=p,
            row=raw.header_line + 1,
            column="Futures",
            expected="the same expiry",
        )
    expiry_text = name_expiry or label_expiry
    if code is None:
        if expiry_text is None:
            raise DataError(
                "no expiry in the file name or the Futures column",
                file=p,
                column="Futures",
                expected="a name VX_YYYY-MM-DD.csv or ISO expiries in Futures",
            )
        try:
            code = vx_contract_for_expiry(expiry_text)
        except InputError as exc:
            raise DataError(
                f"expiry {expiry_text!r} is not a monthly VX expiry ({exc})",
                file=p,
                row=raw.header_line + 1,
                column="Futures",
                expected="the final settlement date of a monthly VX contract",
            ) from None
    if expiry_text is not None:
        expiry_day = check_vx_expiry(
            code, expiry_text, file=p, row=raw.header_line + 1, column="Futures", contract_column="Futures"
        )
    else:
        y, mth = parse_vx_contract(code)
        expiry_day = vx_final_settlement(y, mth)
    return _one_contract_frame(raw, cols, code, np.datetime64(expiry_day, "D"))


def _one_contract_frame(raw: RawTable, cols: dict[str, np.ndarray], code: str, expiry: np.datetime64) -> pd.DataFrame:
    """Rows of one per-contract CFE file (either layout): rescale pre-2007 prices, validate, normalize."""
    days = cols["days"]
    n = days.size
    contracts = np.full(n, code, dtype=object)
    expiries = np.full(n, expiry)
    notes: list[str] = []
    _rescale_before_2007(cols, days, notes)
    keep, more = _validate_vx_rows(
        raw,
        days=days,
        contracts=contracts,
        expiries=expiries,
        o=cols["open"],
        h=cols["high"],
        lo=cols["low"],
        c=cols["close"],
        settle=cols["settle"],
        volume=cols["volume"],
        oi=cols["oi"],
        names=_CFE_NAMES,
    )
    prices = {
        "open": cols["open"],
        "high": cols["high"],
        "low": cols["low"],
        "close": cols["close"],
        "settle": cols["settle"],
        "volume": cols["volume"],
        "open_interest": cols["oi"],
    }
    return _vx_frame(days, contracts, expiries, prices, keep, notes + more)


def _first_line(p: Path) -> str:
    import gzip

    check_readable(p)
    opener = gzip.open if p.name.endswith(".gz") else open
    try:
        with opener(p, "rt", encoding="utf-8-sig") as fh:
            return fh.readline()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read ({exc})", file=p, expected="a readable CSV file") from None


def read_vx(path: str | Path) -> pd.DataFrame:
    """Read any VX layout, chosen from the file name and header (long table, legacy CFE, current Cboe)."""
    p = Path(path)
    if re.fullmatch(r"CFE_[A-Z]\d{2}_VX\.csv(\.gz)?", p.name):
        return read_vx_cfe_legacy(p)
    first = _first_line(p).strip().lstrip("\ufeff")
    if first.startswith("Trade Date"):
        return read_vx_cboe(p)
    if first.startswith("trade_date,tenor_monthly"):
        raise DataError(
            "a constant-tenor table (one settle per trade date and tenor, contracts unnamed), not "
            "per-contract settlements",
            file=p,
            row=1,
            column="tenor_monthly",
            expected="per-contract VX files (the consolidated long table, Cboe's CFE_<M><YY>_VX.csv "
            "or VX_<YYYY-MM-DD>.csv); the tenor table in ../shared/data mixes in weekly "
            "contracts and has 10x settles on 2007-03-26 (its SOURCE.md)",
        )
    return read_vx_long(p)
    return read_vx_long(p)


# ---------------------------------------------------------------- other series


def read_breadth(path: str | Path) -> pd.DataFrame:
    """Read daily breadth ``Date,Advancing,Declining,Unchanged`` (ISO dates, issue counts).

    Returns
    -------
    pandas.DataFrame
        Index ``date``; float columns ``advancing, declining, unchanged``
        holding whole numbers >= 0. An *empty* cell is a missing count (the
        shared NYSE file has such cells in 1991-1994) and stays NaN, counted in
        ``attrs["notes"]``; ``"."``, text, negative or fractional counts are
        errors.
    """
    raw = read_raw(path)
    check_columns(raw, [["Date", "Advancing", "Declining", "Unchanged"]], what="breadth")
    days = parse_dates(raw, "Date", "%Y-%m-%d", shown="YYYY-MM-DD")
    check_sorted_unique(days, raw, "Date")
    cols = {}
    notes: list[str] = []
    findings = pl.check_window("breadth", days, "Date") + pl.check_sessions("breadth", days, "Date", "NYSE")[0]
    raise_findings(raw, findings, notes)
    for src in ("Advancing", "Declining", "Unchanged"):
        v = parse_numbers(raw, src, required=False, what="an issue count or empty")
        bad = ~np.isnan(v) & ((v < 0) | (v != np.round(v)))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"{v[i]:g} is not an issue count",
                file=raw.path,
                row=raw.line(i),
                column=src,
                expected="a whole number >= 0",
            )
        raise_findings(raw, pl.check_range("breadth", days, v, src), notes)
        n_missing = int(np.isnan(v).sum())
        if n_missing:
            notes.append(f"breadth: {n_missing} missing {src} value(s) left as NaN")
        cols[src.lower()] = v
    frame = _index_frame(days, cols)
    frame.attrs["notes"] = notes
    return frame


_DATE_HEADERS: Final[dict[str, tuple[str, str]]] = {
    "date": ("%Y-%m-%d", "YYYY-MM-DD"),
    "Date": ("%Y-%m-%d", "YYYY-MM-DD"),
    "DATE": ("%m/%d/%Y", "MM/DD/YYYY"),
    "observation_date": ("%Y-%m-%d", "YYYY-MM-DD"),  # FRED's CSV download
}

#: FRED Treasury-bill series quoted on a bank-discount basis (percent, actual/360) and their term in days.
#: Source: FRED series notes (H.15 Selected Interest Rates); ../shared/data/rates/SOURCE.md for DTB3.
FRED_DISCOUNT_SERIES: Final[dict[str, int]] = {"DTB4WK": 28, "DTB3": 91, "DTB6": 182, "DTB1YR": 364}


def _read_date_value(path: str | Path) -> tuple[RawTable, np.ndarray, np.ndarray, list[str]]:
    """A two-column ``date,value`` file; FRED's empty cells (market closed) dropped and counted."""
    raw = read_raw(path)
    header = list(raw.frame.columns)
    if len(header) != 2 or header[0] not in _DATE_HEADERS:
        bad = header[0] if header and header[0] not in _DATE_HEADERS else (header[2] if len(header) > 2 else header[0])
        raise DataError(
            f"header {header} is not date,value",
            file=raw.path,
            row=raw.header_line,
            column=bad,
            expected="two columns: date (or FRED's observation_date),<value name>",
        )
    fmt, shown = _DATE_HEADERS[header[0]]
    days = parse_dates(raw, header[0], fmt, shown=shown)
    check_sorted_unique(days, raw, header[0])
    notes: list[str] = []
    fred = header[0] == "observation_date"
    if fred:  # FRED leaves the value empty (or '.') on days without an observation
        text = raw.frame[header[1]].str.strip()
        empty = ((text == "") | (text == ".")).to_numpy()
        if empty.all():
            raise DataError(
                "no values (every cell is empty)",
                file=raw.path,
                row=raw.header_line + 1,
                column=header[1],
                expected="at least one observation",
            )
        if empty.any():
            notes.append(
                f"{header[1]}: {int(empty.sum())} empty FRED value(s) (no observation that day) "
                f"dropped, first on line {raw.line(int(np.argmax(empty)))}"
            )
            raw = RawTable(raw.path, raw.frame[~empty].reset_index(drop=True), raw.lines[~empty], raw.header_line)
            days = days[~empty]
    values = parse_numbers(raw, header[1], what="a number")
    raise_findings(raw, pl.check_window("series", days, header[0]), notes)
    return raw, days, values, notes


def read_series(path: str | Path, name: str | None = None) -> pd.Series:
    """Read a generic ``date,value`` series (exchange rate, rate differential, fundamentals ...).

    Parameters
    ----------
    path : str or Path
        Two columns: a date column named ``date`` or ``Date`` (ISO), ``DATE``
        (MM/DD/YYYY) or FRED's ``observation_date`` (ISO; FRED's empty cells
        are days without an observation: dropped and counted), and one value
        column (any name).
    name : str, optional
        The series name; default the value column's header.

    Returns
    -------
    pandas.Series
        Float values (all finite: a missing value is an error), index ``date``.
    """
    first = _first_line(Path(path)).strip().lstrip("\ufeff").split(",")
    if [c.strip() for c in first[:5]] == _PLAIN_OHLC:
        return _series_from_ohlc(path, name)
    raw, days, values, notes = _read_date_value(path)
    label = name or str(raw.frame.columns[1])
    problem = pl.check_name(label)
    if problem is not None:
        raise InputError(problem, argument="name", expected="a printable series name like 'eurusd'")
    s = pd.Series(values, index=pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date"), name=label)
    s.attrs["notes"] = notes
    return s


def _series_from_ohlc(path: str | Path, name: str | None) -> pd.Series:
    """The close of a Yahoo-style ``Date,Open,High,Low,Close[,Volume][,Adj Close]`` file (e.g. VXX) as a series."""
    if not name:
        raise InputError("an OHLC file needs a series name", argument="--name", expected="e.g. --name vxx")
    raw = read_raw(path)
    header = check_columns(raw, [lay for lay, _, _ in _OHLC_LAYOUTS[1:]], what="OHLC series")
    days = parse_dates(raw, "Date", "%Y-%m-%d", shown="YYYY-MM-DD")
    check_sorted_unique(days, raw, "Date")
    vals = {c: parse_numbers(raw, c, what="a number") for c in header[1:]}
    for c in ("Open", "High", "Low", "Close"):
        check_positive(vals[c], raw, c)
    check_ohlc(None, vals["High"], vals["Low"], vals["Close"], raw, ("Open", "High", "Low", "Close"))
    notes: list[str] = []
    findings = pl.check_window("series", days, "Date") + pl.check_sessions("series", days, "Date")[0]
    if "Volume" in vals:
        findings += pl.check_counts(name, days, vals["Volume"], "Volume")
    findings += pl.check_jumps(name, days, vals["Close"], "Close")
    raise_findings(raw, findings, notes)
    notes.append(
        f"{name}: the Close column of an OHLC file"
        + ("; Adj Close (split/dividend adjusted by the publisher) not used" if "Adj Close" in vals else "")
    )
    s = pd.Series(vals["Close"], index=pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date"), name=name)
    s.attrs["notes"] = notes
    return s


def discount_to_cc(d_percent: np.ndarray, days: int) -> np.ndarray:
    """Continuously compounded decimal rate from a T-bill discount rate in percent.

    With d = quote/100 and t = ``days``, the price per 1 face is P = 1 - d t / 360 and the
    continuously compounded rate is r = -ln(P) 365 / t (../shared/data/rates/SOURCE.md).

    A 5.25% discount quote over 91 days: P = 0.98672917, r = 5.3586% (the bond-equivalent
    yield (1/P - 1) 365/91 = 5.39% of SOURCE.md is the simple-interest form of the same price):

    >>> round(float(discount_to_cc(np.array([5.25]), 91)[0]), 6)
    0.053586
    """
    p = 1.0 - d_percent / 100.0 * days / 360.0
    return -np.log(p) * 365.0 / days


def read_rate(path: str | Path, *, percent: bool = False, max_gap_days: int = RATE_MAX_GAP_DAYS) -> pd.Series:
    """Read a risk-free rate series; returns a continuously compounded decimal rate per year.

    Parameters
    ----------
    path : str or Path
        Either FRED's download of a T-bill discount series (``observation_date,DTB3``; also DTB4WK,
        DTB6, DTB1YR): percent on a bank-discount basis, converted with :func:`discount_to_cc`
        (``-ln(1 - d t/360) 365/t``, t = 91 days for DTB3); or a plain ``date,value`` file holding a
        continuously compounded rate, decimal (0.05 = 5%) or, with ``percent=True``, percent.
    percent : bool
        The plain file is in percent (5.0 = 5%); ignored for FRED discount series (always percent).
    max_gap_days : int
        Most calendar days allowed between two observations (FRED's empty holiday cells are not
        observations); default :data:`RATE_MAX_GAP_DAYS`.

    Raises
    ------
    DataError
        A value outside [-0.05, 0.25] after conversion: in a plain decimal file a value like 1.5 is
        refused as "looks like percent" (import with ``percent=True`` / ``--percent``), never used
        as 150%. Two observations more than ``max_gap_days`` apart: the row after the gap is named.
    """
    if isinstance(max_gap_days, bool) or not isinstance(max_gap_days, int) or max_gap_days < 1:
        raise InputError(f"{max_gap_days!r}", argument="--max-gap-days", expected="a whole number of days >= 1")
    raw, days, values, notes = _read_date_value(path)
    gap = np.diff(days.astype("datetime64[D]").astype(np.int64))
    if (gap > max_gap_days).any():
        i = int(np.argmax(gap > max_gap_days)) + 1
        raise DataError(
            f"{int(gap[i - 1])} calendar days without a rate between {days[i - 1]} and {days[i]}",
            file=raw.path,
            row=raw.line(i),
            column=str(raw.frame.columns[0]),
            expected=f"observations at most {max_gap_days} calendar days apart (a longer gap is a hole in the "
            "file; --max-gap-days N accepts it)",
        )
    col = str(raw.frame.columns[1])
    if raw.frame.columns[0] == "observation_date" and col in FRED_DISCOUNT_SERIES:
        t = FRED_DISCOUNT_SERIES[col]
        low = values < -5.0
        if low.any() or (values > 30).any():
            i = int(np.argmax(low | (values > 30)))
            raise DataError(
                f"{values[i]:g} is not a T-bill discount rate in percent",
                file=raw.path,
                row=raw.line(i),
                column=col,
                expected="percent within [-5, 30]",
            )
        rate = discount_to_cc(values, t)
        notes.append(
            f"rate: FRED {col} (bank-discount basis, percent) converted to a continuously compounded "
            f"decimal rate, r = -ln(1 - d*{t}/360)*365/{t}"
        )
    elif percent:
        rate = values / 100.0
        notes.append("rate: percent divided by 100")
    else:
        rate = values
    raise_findings(raw, pl.check_range("rate", days, rate, col), notes)
    s = pd.Series(rate, index=pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date"), name="rate")
    s.attrs["notes"] = notes
    return s


def read_events(path: str | Path, kind: str) -> EventCalendar:
    """Read an event-date CSV (FOMC, CPI, PPI or a user label) strictly.

    The date column is ``date`` or, as in the BLS-derived CPI file in
    ../shared/data/calendars, ``release_date``; ISO dates, sorted, unique.
    Delegates to :func:`alvh.calendar.read_event_dates`.
    """
    p = Path(path)
    first = ""
    if p.is_file():
        with open(p, encoding="utf-8-sig") as fh:
            for line in fh:
                if not line.startswith("#"):
                    first = line
                    break
    header = [h.strip() for h in first.strip().split(",")]
    column = next((c for c in ("date", "release_date", "Date") if c in header), "date")
    return read_event_dates(p, kind, column=column)
