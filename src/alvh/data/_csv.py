"""Strict CSV reading and vectorized validation shared by every importer.

Every check runs as one numpy mask over the whole column and reports the
*first* offending line as a text editor numbers it (the header is line 1; a
preamble line such as Cboe's legacy disclaimer shifts everything by one). A
file is read with every cell as text, so ``"."``, ``"NaN"`` or an empty cell
are seen for what they are instead of being turned into NaN by the parser.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from alvh.errors import DataError, check_readable

_PARSER_LINE_RE = re.compile(r"line (\d+)")


@dataclass(frozen=True)
class RawTable:
    """A CSV read as text: ``frame`` has str cells; ``lines[i]`` is row i's file line."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray
    header_line: int

    def line(self, i: int) -> int:
        """File line (1-based) of data row ``i`` (0-based)."""
        return int(self.lines[i])


def read_raw(path: str | Path, *, preamble: int = 0) -> RawTable:
    """Read ``path`` (plain or ``.gz``) with every cell as text.

    Parameters
    ----------
    path : str or Path
        The CSV file. ``.gz`` is decompressed; a truncated or corrupt gzip
        stream is an error, never a silently shorter table.
    preamble : int
        Number of lines before the header (e.g. 1 for Cboe's legacy
        disclaimer line).

    Raises
    ------
    DataError
        Missing, empty, truncated or unparseable file; a blank line inside the
        data; a row with more fields than the header.
    """
    p = check_readable(path, expected="a readable CSV file")
    if p.stat().st_size == 0:
        raise DataError("empty file", file=p, row=1, expected="a header line and data rows")
    try:
        frame = pd.read_csv(
            p,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            skiprows=preamble,
            compression="infer",
        )
    except pd.errors.EmptyDataError:
        raise DataError("empty file", file=p, row=preamble + 1, expected="a header line and data rows") from None
    except pd.errors.ParserError as exc:
        m = _PARSER_LINE_RE.search(str(exc))
        row = int(m.group(1)) + preamble if m else None
        raise DataError(
            f"malformed CSV ({str(exc).strip()})",
            file=p,
            row=row,
            expected="the same number of fields on every line as in the header",
        ) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"truncated or corrupt gzip file ({exc})", file=p, expected="a complete gzip stream") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=p, expected="a UTF-8 CSV file"
        ) from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    _check_text(p, frame, preamble + 1)
    header_line = preamble + 1
    n = len(frame)
    lines = np.arange(header_line + 1, header_line + 1 + n)
    if n:
        blank = (frame == "").to_numpy().all(axis=1)
        # trailing blank lines (Cboe's legacy files end with one) are not data
        keep = n
        while keep and blank[keep - 1]:
            keep -= 1
        if keep < n:
            frame = frame.iloc[:keep]
            lines = lines[:keep]
            blank = blank[:keep]
        if blank.any():
            i = int(np.argmax(blank))
            raise DataError("blank line inside the data", file=p, row=int(lines[i]), expected="one data row per line")
    if len(frame) == 0:
        raise DataError("no data rows", file=p, row=header_line + 1, expected="at least one data row")
    return RawTable(path=p, frame=frame.reset_index(drop=True), lines=lines, header_line=header_line)


#: Characters no data cell may hold: C0/C1 controls (terminal escapes, NUL, a stray CR inside a
#: field), zero-width and bidirectional overrides. Tabs are not data either. CRLF line ends are
#: handled by the CSV reader and never reach a cell.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def _check_text(p: Path, frame: pd.DataFrame, header_line: int) -> None:
    """Refuse control characters in the header or any cell, naming line and column."""
    for j, c in enumerate(frame.columns):
        m = _CONTROL_RE.search(str(c))
        if m:
            raise DataError(
                f"header field {j + 1} holds the control character U+{ord(m.group()):04X}",
                file=p,
                row=header_line,
                column=str(c).encode("unicode_escape").decode(),
                expected="printable text",
            )
    for c in frame.columns:
        col = frame[c]
        hit = col.str.contains(_CONTROL_RE, regex=True).to_numpy(dtype=bool)
        if hit.any():
            i = int(np.argmax(hit))
            ch = _CONTROL_RE.search(col.iloc[i])
            code = f"U+{ord(ch.group()):04X}" if ch else "a control character"
            raise DataError(
                f"{col.iloc[i].encode('unicode_escape').decode()!r} holds the control character {code}",
                file=p,
                row=header_line + 1 + i,
                column=str(c),
                expected="printable text",
            )


def check_columns(raw: RawTable, allowed: list[list[str]], *, what: str) -> list[str]:
    """Return the header if it equals one of ``allowed`` layouts, else raise naming the odd column."""
    header = list(raw.frame.columns)
    for layout in allowed:
        if header == layout:
            return header
    best = min(allowed, key=lambda lay: len(set(header) ^ set(lay)))
    unknown = [c for c in header if c not in best]
    missing = [c for c in best if c not in header]
    if unknown:
        msg, col = f"unknown column {unknown[0]!r} in the {what} header", unknown[0]
    elif missing:
        msg, col = f"missing column {missing[0]!r} in the {what} header", missing[0]
    else:
        msg, col = f"columns out of order in the {what} header", header[0]
    expected = " or ".join(",".join(lay) for lay in allowed)
    raise DataError(msg, file=raw.path, row=raw.header_line, column=col, expected=f"a header {expected}")


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def parse_dates(raw: RawTable, column: str, fmt: str, *, shown: str) -> np.ndarray:
    """Parse a date column strictly with ``fmt``; returns ``datetime64[D]``.

    ``shown`` is the human form of the format used in the message (e.g.
    ``"YYYY-MM-DD"``). A value like ``"20268-03-18"`` does not parse and is
    reported with its line.
    """
    text = raw.frame[column].str.strip()
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = _first(bad)
        val = raw.frame[column].iloc[i]
        what = "missing date" if val.strip() == "" else f"{val!r} is not a date"
        raise DataError(what, file=raw.path, row=raw.line(i), column=column, expected=f"a date {shown}")
    return parsed.to_numpy().astype("datetime64[D]")


def check_sorted_unique(days: np.ndarray, raw: RawTable, column: str, *, within: np.ndarray | None = None) -> None:
    """Dates strictly increasing (optionally within groups given by ``within`` codes)."""
    if days.size < 2:
        return
    step = np.diff(days.astype("int64"))
    same_group = np.ones(step.size, dtype=bool) if within is None else within[1:] == within[:-1]
    dup = (step == 0) & same_group
    back = (step < 0) & same_group
    bad = dup | back
    if bad.any():
        i = _first(bad) + 1
        if dup[i - 1]:
            raise DataError(
                f"duplicate date {days[i]}", file=raw.path, row=raw.line(i), column=column, expected="each date once"
            )
        raise DataError(
            f"date {days[i]} is earlier than {days[i - 1]} on the previous line",
            file=raw.path,
            row=raw.line(i),
            column=column,
            expected="dates in ascending order",
        )


def parse_numbers(
    raw: RawTable, column: str, *, required: bool = True, what: str = "a number", rows: np.ndarray | None = None
) -> np.ndarray:
    """Parse a numeric column; blank, ``"."``, ``NaN`` or ``inf`` are errors when ``required``.

    With ``required=False`` an empty cell becomes NaN (an optional value) but
    ``"."``, ``NaN``-text and garbage are still errors. ``rows`` restricts the
    requirement to a boolean mask of rows.
    """
    text = raw.frame[column]
    try:  # fast path: Arrow's C parser (empty cells -> null -> NaN); any odd cell falls back below
        arr = pa.array(text)  # zero-copy for pandas' Arrow-backed str dtype
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        arr = arr.cast(pa.string())
        arr = pc.if_else(pc.equal(pc.utf8_length(arr), 0), pa.scalar(None, pa.string()), arr)
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        values = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if not required:
        empty = (text.str.strip() == "").to_numpy()
        bad &= ~empty
    elif rows is not None:
        empty = (text.str.strip() == "").to_numpy()
        bad &= rows | ~empty
    if bad.any():
        i = _first(bad)
        val = text.iloc[i]
        if val.strip() == "":
            hint = " (last line: truncated file?)" if i == len(text) - 1 else ""
            msg = f"missing value{hint}"
        else:
            msg = f"{val!r} is not a finite number"
        raise DataError(msg, file=raw.path, row=raw.line(i), column=column, expected=what)
    return values


def check_positive(values: np.ndarray, raw: RawTable, column: str, *, mask: np.ndarray | None = None) -> None:
    """Every (masked, non-NaN) value > 0."""
    bad = values <= 0
    if mask is not None:
        bad &= mask
    if bad.any():
        i = _first(bad)
        raise DataError(
            f"non-positive price {values[i]:g}", file=raw.path, row=raw.line(i), column=column, expected="a price > 0"
        )


def check_ohlc(
    o: np.ndarray | None,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    raw: RawTable,
    names: tuple[str, str, str, str],
    *,
    mask: np.ndarray | None = None,
    exempt: np.ndarray | None = None,
) -> None:
    """Low <= High and Open, Close within [Low, High] on rows in ``mask`` (all rows by default).

    ``exempt`` marks rows documented as published exceptions (skipped).
    """
    on = np.ones(h.size, dtype=bool) if mask is None else mask.copy()
    if exempt is not None:
        on &= ~exempt
    n_o, n_h, n_l, n_c = names
    bad = on & (lo > h)
    if bad.any():
        i = _first(bad)
        raise DataError(
            f"low {lo[i]:g} is above high {h[i]:g}",
            file=raw.path,
            row=raw.line(i),
            column=n_l,
            expected=f"{n_l} <= {n_h}",
        )
    bad = on & ((c < lo) | (c > h))
    if bad.any():
        i = _first(bad)
        raise DataError(
            f"close {c[i]:g} is outside [low {lo[i]:g}, high {h[i]:g}]",
            file=raw.path,
            row=raw.line(i),
            column=n_c,
            expected=f"{n_l} <= {n_c} <= {n_h}",
        )
    if o is not None:
        bad = on & ((o < lo) | (o > h))
        if bad.any():
            i = _first(bad)
            raise DataError(
                f"open {o[i]:g} is outside [low {lo[i]:g}, high {h[i]:g}]",
                file=raw.path,
                row=raw.line(i),
                column=n_o,
                expected=f"{n_l} <= {n_o} <= {n_h}",
            )
