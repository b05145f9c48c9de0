"""Strict importer of SPX end-of-day option chains.

Format (CSV, optionally ``.gz``), one row per (date, expiry, strike, type)::

    date,expiry,strike,type,bid,ask[,iv][,underlying]

- ``date``, ``expiry``: ``YYYY-MM-DD``; ``expiry >= date``; rows sorted by ``date``.
- ``strike``: index points > 0.  ``type``: ``C``/``P`` (or ``call``/``put``, any case).
- ``bid >= 0``, ``ask > 0``, ``ask >= bid`` (index points per option, as quoted).
- ``iv`` (optional column, cells may be empty): decimal implied volatility in (0, 5].
- ``underlying`` (optional column, cells may be empty): SPX level > 0, one value per date.

Columns may come in any order; an unknown or missing column, and any bad cell, raise
:class:`~alvh.errors.DataError` naming the file, the line (the header is line 1) and the column.
No public SPX chain is shipped (../shared/data/spx_options/SOURCE.md); the tests build realistic
fixture chains from the model surface.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from alvh.data._csv import parse_dates, parse_numbers, read_raw
from alvh.errors import DataError

CHAIN_REQUIRED: Final[tuple[str, ...]] = ("date", "expiry", "strike", "type", "bid", "ask")
CHAIN_OPTIONAL: Final[tuple[str, ...]] = ("iv", "underlying")
#: Columns of the returned frame.
CHAIN_COLUMNS: Final[tuple[str, ...]] = (
    "date",
    "expiry",
    "strike",
    "is_call",
    "bid",
    "ask",
    "mid",
    "iv",
    "underlying",
    "line",
)
_TYPES: Final[dict[str, bool]] = {"C": True, "CALL": True, "P": False, "PUT": False}
#: Largest accepted implied vol (decimal): 500%. Larger values are almost surely percent units.
MAX_IV: Final[float] = 5.0


def read_spx_chain(path: str | Path) -> pd.DataFrame:
    """Read and validate an SPX end-of-day chain file.

    Parameters
    ----------
    path : str or Path
        CSV in the format of the module docstring.

    Returns
    -------
    pandas.DataFrame
        Columns ``date, expiry`` (datetime64), ``strike, bid, ask, mid`` (float, index points),
        ``is_call`` (bool), ``iv`` (float, NaN where not given), ``underlying`` (float, NaN where not
        given), ``line`` (file line of the row). Same row order as the file.

    Raises
    ------
    DataError
        Names file, line and column: missing/unknown column, unparseable date or number, expiry before
        date, non-positive strike, unknown type, negative bid, ask below bid, iv outside (0, 5],
        underlying not positive or changing within a date, dates out of order, duplicate rows.
    """
    raw = read_raw(path)
    header = list(raw.frame.columns)
    for col in header:
        if col not in CHAIN_REQUIRED and col not in CHAIN_OPTIONAL:
            raise DataError(
                f"unknown column {col!r} in the chain header",
                file=raw.path,
                row=raw.header_line,
                column=col,
                expected=f"columns {','.join(CHAIN_REQUIRED)} plus optional {','.join(CHAIN_OPTIONAL)}",
            )
    for col in CHAIN_REQUIRED:
        if col not in header:
            raise DataError(
                f"missing column {col!r} in the chain header",
                file=raw.path,
                row=raw.header_line,
                column=col,
                expected=f"columns {','.join(CHAIN_REQUIRED)}",
            )
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise DataError(
            f"column {dup!r} appears twice", file=raw.path, row=raw.header_line, column=dup, expected="each column once"
        )

    def fail(mask: np.ndarray, column: str, message: str, expected: str) -> None:
        if mask.any():
            i = int(np.argmax(mask))
            raise DataError(
                message.format(value=raw.frame[column].iloc[i]),
                file=raw.path,
                row=raw.line(i),
                column=column,
                expected=expected,
            )

    date = parse_dates(raw, "date", "%Y-%m-%d", shown="YYYY-MM-DD")
    expiry = parse_dates(raw, "expiry", "%Y-%m-%d", shown="YYYY-MM-DD")
    fail(expiry < date, "expiry", "expiry {value} is before the trade date", "expiry on or after date")
    step = np.diff(date.astype("int64"))
    if (step < 0).any():
        i = int(np.argmax(step < 0)) + 1
        raise DataError(
            f"date {date[i]} is earlier than {date[i - 1]} on the previous line",
            file=raw.path,
            row=raw.line(i),
            column="date",
            expected="rows sorted by date",
        )
    strike = parse_numbers(raw, "strike", what="a strike in index points")
    fail(strike <= 0, "strike", "strike {value} is not positive", "a strike > 0")
    kind = raw.frame["type"].str.strip().str.upper()
    known = kind.isin(list(_TYPES)).to_numpy()
    fail(~known, "type", "option type {value!r} is not C or P", "C, P, call or put")
    is_call = kind.map(_TYPES).to_numpy(dtype=bool)
    bid = parse_numbers(raw, "bid", what="a bid in index points")
    ask = parse_numbers(raw, "ask", what="an ask in index points")
    fail(bid < 0, "bid", "bid {value} is negative", "bid >= 0")
    fail(ask <= 0, "ask", "ask {value} is not positive", "ask > 0")
    fail(ask < bid, "ask", "ask {value} is below the bid", "ask >= bid")
    n = len(raw.frame)
    iv = np.full(n, np.nan)
    if "iv" in header:
        iv = parse_numbers(raw, "iv", required=False, what="a decimal implied vol (0.2 = 20%) or empty")
        fail(
            np.isfinite(iv) & ((iv <= 0) | (iv > MAX_IV)),
            "iv",
            "implied vol {value} outside (0, 5]",
            "a decimal implied vol in (0, 5] (0.2 = 20%, not percent)",
        )
    under = np.full(n, np.nan)
    if "underlying" in header:
        under = parse_numbers(raw, "underlying", required=False, what="the SPX level or empty")
        fail(np.isfinite(under) & (under <= 0), "underlying", "underlying {value} is not positive", "SPX level > 0")
        frame_u = pd.DataFrame({"d": date, "u": under})
        first = frame_u.groupby("d")["u"].transform("first").to_numpy()
        differs = np.isfinite(under) & np.isfinite(first) & (np.abs(under - first) > 1e-9 * np.abs(first))
        fail(
            differs,
            "underlying",
            "underlying {value} differs from the first value of the same date",
            "one underlying level per date",
        )
    keys = pd.DataFrame({"d": date, "e": expiry, "k": strike, "c": is_call})
    dup = keys.duplicated().to_numpy()
    fail(
        dup,
        "strike",
        "duplicate row for strike {value} (same date, expiry and type as an earlier line)",
        "each (date, expiry, strike, type) once",
    )
    out = pd.DataFrame(
        {
            "date": date.astype("datetime64[ns]"),
            "expiry": expiry.astype("datetime64[ns]"),
            "strike": strike,
            "is_call": is_call,
            "bid": bid,
            "ask": ask,
            "mid": 0.5 * (bid + ask),
            "iv": iv,
            "underlying": under,
            "line": raw.lines.astype(np.int64),
        }
    )
    out.attrs["source"] = str(raw.path)
    return out
