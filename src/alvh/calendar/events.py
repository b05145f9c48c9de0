"""Event calendars (FOMC meetings, CPI and PPI releases) and event windows.

alvh ships the dates it can vouch for in its own small CSV format under
``alvh/resources`` (a ``#`` header naming the publisher, the publisher's
schedule URL, the span known and the last-verified date, then
``date,kind,scheduled,reference_period,note``). Where the history is not known
(PPI entirely, CPI before 2015) nothing is invented: the calendar says so
through ``known_from``/``known_to`` and users supply their own file
(:func:`read_event_dates`, merged with :meth:`EventCalendar.merge`).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from alvh.errors import DataError, InputError, check_readable

EventKind = Literal["fomc", "cpi", "ppi"]

_RESOURCE_FILES: Final[dict[str, str]] = {
    "fomc": "fomc_meetings.csv",
    "cpi": "cpi_releases.csv",
    "ppi": "ppi_releases.csv",
}
_COLUMNS: Final[list[str]] = ["date", "kind", "scheduled", "reference_period", "note"]
_ISO_RE: Final[re.Pattern[str]] = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL_RE: Final[re.Pattern[str]] = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e]")


@dataclass(frozen=True)
class EventCalendar:
    """Dates of one kind of scheduled event, with where they came from.

    Attributes
    ----------
    kind : str
        ``"fomc"``, ``"cpi"``, ``"ppi"`` or a user label.
    dates : pandas.DatetimeIndex
        Sorted, unique, tz-naive event dates (FOMC: the statement day;
        CPI/PPI: the release day, 08:30 ET).
    provenance : str
        Publisher, source URL and last-verified date (or the user file).
    known_from, known_to : datetime.date or None
        The span over which the dates are complete. ``None`` when nothing is
        known (PPI as shipped). Outside the span, an absent date means
        "unknown", not "no event".
    """

    kind: str
    dates: pd.DatetimeIndex
    provenance: str
    known_from: dt.date | None
    known_to: dt.date | None

    @property
    def is_empty(self) -> bool:
        """True when no dates are known."""
        return len(self.dates) == 0

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """Whether ``[start, end]`` lies inside the known span."""
        if self.known_from is None or self.known_to is None:
            return False
        return self.known_from <= start and end <= self.known_to

    def merge(self, other: EventCalendar) -> EventCalendar:
        """Union of two calendars of the same kind (e.g. shipped + user file).

        Dates are united and de-duplicated; the known span becomes the smallest
        span containing both (so a user file for CPI 2005-2014 extends the
        shipped 2015-2026 span to 2005-2026). Raises :class:`InputError` for
        different kinds or if the two spans leave a gap between them, since the
        union would then claim knowledge of the gap.
        """
        if other.kind != self.kind:
            raise InputError(
                f"cannot merge {other.kind!r} into {self.kind!r}",
                argument="other",
                expected=f"an EventCalendar of kind {self.kind!r}",
            )
        spans = [
            (a, b)
            for a, b in ((self.known_from, self.known_to), (other.known_from, other.known_to))
            if a is not None and b is not None
        ]
        if len(spans) == 2:
            (a0, a1), (b0, b1) = sorted(spans)
            if b0 > a1 + dt.timedelta(days=1):
                raise InputError(
                    f"spans {a0}..{a1} and {b0}..{b1} leave a gap",
                    argument="other",
                    expected="a calendar whose known span touches or overlaps this one",
                )
        known_from = min((s[0] for s in spans), default=None)
        known_to = max((s[1] for s in spans), default=None)
        dates = self.dates.union(other.dates).sort_values()
        return EventCalendar(
            kind=self.kind,
            dates=pd.DatetimeIndex(dates, name="date"),
            provenance=f"{self.provenance} + {other.provenance}",
            known_from=known_from,
            known_to=known_to,
        )


def _read_header(lines: list[str]) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for line in lines:
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        if ":" in body:
            key, value = body.split(":", 1)
            meta.setdefault(key.strip(), []).append(value.strip())
    return meta


def _opt_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def load_event_calendar(kind: EventKind) -> EventCalendar:
    """The event calendar shipped with alvh.

    Parameters
    ----------
    kind : {"fomc", "cpi", "ppi"}
        FOMC scheduled meetings 1990-2026 (Federal Reserve Board), CPI release
        dates 2015 - Jul 2026 (U.S. Bureau of Labor Statistics), PPI: empty
        (no verified source; ``known_from is None``).

    Returns
    -------
    EventCalendar

    Notes
    -----
    Tested against third-party compilations in ../shared/data/calendars
    (tests/test_calendar_events.py); every mismatch is explained in
    docs/calendars.md.
    """
    if kind not in _RESOURCE_FILES:
        raise InputError(f"unknown event kind {kind!r}", argument="kind", expected="one of 'fomc', 'cpi', 'ppi'")
    name = _RESOURCE_FILES[kind]
    text = resources.files("alvh").joinpath("resources", name).read_text(encoding="utf-8")
    label = f"alvh/resources/{name}"
    cal = _parse_calendar_text(text, label=label, kind=kind)
    return cal


def _parse_calendar_text(text: str, *, label: str, kind: str) -> EventCalendar:
    lines = text.splitlines()
    meta = _read_header(lines)
    n_header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    body = lines[n_header:]
    if not body or body[0].split(",") != _COLUMNS:
        raise DataError("bad header", file=label, row=n_header + 1, expected=",".join(_COLUMNS))
    days = _strict_dates(
        [row.split(",", 1)[0] for row in body[1:]], file=label, first_line=n_header + 2, column="date", iso_only=True
    )
    publisher = meta.get("publisher", ["?"])[0]
    source = meta.get("source", ["?"])[0]
    verified = meta.get("last_verified", ["?"])[0]
    notes = meta.get("note", [])
    provenance = f"{publisher}, {source} (last verified {verified})"
    if not days.size:
        provenance += "; no dates shipped: " + " ".join(notes)
    return EventCalendar(
        kind=kind,
        dates=pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date"),
        provenance=provenance,
        known_from=_opt_date(meta.get("known_from", [""])[0]),
        known_to=_opt_date(meta.get("known_to", [""])[0]),
    )


#: Date layouts an event file may use (one per file): ISO, compact YYYYMMDD and US M/D/YYYY (the FOMC
#: compilations in ../shared/data/calendars use the last two).
DATE_LAYOUTS: Final[tuple[tuple[re.Pattern[str], str, str], ...]] = (
    (_ISO_RE, "%Y-%m-%d", "YYYY-MM-DD"),
    (re.compile(r"\d{8}"), "%Y%m%d", "YYYYMMDD"),
    (re.compile(r"\d{1,2}/\d{1,2}/\d{4}"), "%m/%d/%Y", "M/D/YYYY"),
)


def _layout(values: list[str], *, file: str, first_line: int, column: str) -> tuple[re.Pattern[str], str, str]:
    """The one date layout of a file, chosen from its first non-empty value."""
    first = next((v.strip() for v in values if v.strip()), "")
    for pat, fmt, shown in DATE_LAYOUTS:
        if pat.fullmatch(first):
            return pat, fmt, shown
    i = next((k for k, v in enumerate(values) if v.strip()), 0)
    raise DataError(
        f"{first!r} is not a date",
        file=file,
        row=first_line + i,
        column=column,
        expected="dates as YYYY-MM-DD, YYYYMMDD or M/D/YYYY",
    )


def _strict_dates(
    values: list[str],
    *,
    file: str,
    first_line: int,
    column: str,
    iso_only: bool = False,
    same_day_ok: list[bool] | None = None,
) -> np.ndarray:
    """Parse dates in one layout (ISO, YYYYMMDD or M/D/YYYY); reject blanks, bad dates, unsorted, duplicates."""
    out = np.empty(len(values), dtype="datetime64[D]")
    pat, fmt, shown = (
        DATE_LAYOUTS[0] if iso_only or not values else _layout(values, file=file, first_line=first_line, column=column)
    )
    expected = f"a date {shown} (one layout per file)"
    for i, raw in enumerate(values):
        text = raw.strip()
        line = first_line + i
        if not text:
            raise DataError("empty date", file=file, row=line, column=column, expected=expected)
        if pat.fullmatch(text) is None:
            raise DataError(f"{raw!r} is not a date", file=file, row=line, column=column, expected=expected)
        try:
            out[i] = np.datetime64(dt.datetime.strptime(text, fmt).date(), "D")
        except ValueError:
            raise DataError(
                f"{raw!r} is not a calendar date", file=file, row=line, column=column, expected=expected
            ) from None
        if i and out[i] == out[i - 1] and not (same_day_ok is not None and same_day_ok[i]):
            raise DataError(f"duplicate date {text}", file=file, row=line, column=column, expected="each date once")
        if i and out[i] < out[i - 1]:
            raise DataError(
                f"date {text} is before the previous row's {out[i - 1]}",
                file=file,
                row=line,
                column=column,
                expected="dates in ascending order",
            )
    return out


def read_event_dates(
    path: str | Path,
    kind: str,
    *,
    column: str = "date",
    known_from: dt.date | None = None,
    known_to: dt.date | None = None,
) -> EventCalendar:
    """Read a user-supplied event-date CSV strictly.

    Parameters
    ----------
    path : str or Path
        A CSV with a header row containing ``column`` (other columns are
        ignored); ``#`` comment lines before the header are allowed.
    kind : str
        Label of the events, e.g. ``"ppi"``.
    column : str
        Name of the date column: ISO ``YYYY-MM-DD``, ``YYYYMMDD`` or
        ``M/D/YYYY`` (one layout per file, :data:`DATE_LAYOUTS`).
    known_from, known_to : datetime.date, optional
        The span over which the file is complete; default the first and last
        date in the file. Must contain every date of the file.

    Returns
    -------
    EventCalendar

    Raises
    ------
    DataError
        Missing or empty file, missing column, an empty/unparseable/duplicate or
        out-of-order date, or a row with a different number of fields; the
        message names the file, the 1-based line and the column.
    """
    p = check_readable(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=p, expected="a UTF-8 CSV file"
        ) from None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _CONTROL_RE.search(line)
        if m:
            raise DataError(
                f"line holds the control character U+{ord(m.group()):04X} at position {m.start() + 1}",
                file=p,
                row=i + 1,
                expected="printable text (no terminal escapes or NUL)",
            )
    skip = 0
    while skip < len(lines) and lines[skip].startswith("#"):
        skip += 1
    if skip >= len(lines) or not lines[skip].strip():
        raise DataError("empty file (no header row)", file=p, row=skip + 1, expected=f"a header with {column!r}")
    rows = list(csv.reader(lines[skip:]))
    header = [h.strip() for h in rows[0]]
    if column not in header:
        raise DataError(
            f"no column {column!r} in header {header}",
            file=p,
            row=skip + 1,
            column=column,
            expected=f"a header containing {column!r}",
        )
    if len(rows) == 1:
        raise DataError("no data rows", file=p, row=skip + 2, column=column, expected="at least one date")
    j = header.index(column)
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise DataError(
                f"{len(row)} fields, header has {len(header)}",
                file=p,
                row=skip + 2 + i,
                expected=f"{len(header)} comma-separated fields",
            )
    body = rows[1:]
    # several events on one day (the FOMC actions file lists a statement and minutes on 1994-02-04) are
    # distinct rows: allowed and collapsed; a row repeated as a whole is still a duplicate
    distinct = [i > 0 and body[i] != body[i - 1] for i in range(len(body))]
    days = _strict_dates(
        [row[j] for row in body], file=str(p), first_line=skip + 2, column=column, same_day_ok=distinct
    )
    days = np.unique(days)
    first, last = days[0].astype(dt.date), days[-1].astype(dt.date)
    span_from = first if known_from is None else known_from
    span_to = last if known_to is None else known_to
    if span_from > first:
        raise InputError(
            f"{span_from} is after the file's first date {first}", argument="known_from", expected=f"a date <= {first}"
        )
    if span_to < last:
        raise InputError(
            f"{span_to} is before the file's last date {last}", argument="known_to", expected=f"a date >= {last}"
        )
    return EventCalendar(
        kind=kind,
        dates=pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date"),
        provenance=f"user file {p}",
        known_from=span_from,
        known_to=span_to,
    )


def event_window_mask(
    trading_days: pd.DatetimeIndex | np.ndarray, event_dates: pd.DatetimeIndex | np.ndarray, before: int, after: int
) -> np.ndarray:
    """Boolean mask of trading days within ``[-before, +after]`` trading days of an event.

    Parameters
    ----------
    trading_days : DatetimeIndex or datetime64 array
        Sorted, unique trading days (the analysis index).
    event_dates : DatetimeIndex or datetime64 array
        Event dates (any order). An event on a non-trading day (e.g. a
        Sunday unscheduled meeting) counts from the next trading day, which is
        the first day prices can react.
    before, after : int
        Window in trading days, both >= 0. ``before=1, after=1`` marks the
        day before, the event day and the day after.

    Returns
    -------
    numpy.ndarray of bool, shape ``(len(trading_days),)``
    """
    for name, value in (("before", before), ("after", after)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InputError(f"got {value!r}", argument=name, expected="an integer >= 0")
    days = np.asarray(trading_days, dtype="datetime64[D]")
    if days.ndim != 1:
        raise InputError(f"shape {days.shape}", argument="trading_days", expected="a 1-d array")
    if days.size > 1 and not np.all(days[1:] > days[:-1]):
        raise InputError("not strictly increasing", argument="trading_days", expected="sorted unique trading days")
    ev = np.asarray(event_dates, dtype="datetime64[D]").ravel()
    if np.isnat(ev).any():
        raise InputError("contains NaT", argument="event_dates", expected="dates")
    n = days.size
    mask = np.zeros(n, dtype=bool)
    if n == 0 or ev.size == 0:
        return mask
    pos = np.searchsorted(days, ev, side="left")  # index of the event day or the next trading day
    pos = pos[pos < n]
    # difference array: +1 at window start, -1 after window end, cumsum > 0 inside
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, np.maximum(pos - before, 0), 1)
    np.add.at(marks, np.minimum(pos + after + 1, n), -1)
    mask[:] = np.cumsum(marks[:n]) > 0
    return mask


#: Label of a day outside an event calendar's known span: the calendar cannot say whether there was an event.
UNKNOWN_LABEL: Final[str] = "n/a"


def event_window_labels(
    trading_days: pd.DatetimeIndex | np.ndarray,
    event_dates: pd.DatetimeIndex | np.ndarray,
    before: int,
    after: int,
    *,
    known_from: dt.date | None = None,
    known_to: dt.date | None = None,
    known: bool = True,
) -> np.ndarray:
    """``"event"``, ``"none"`` or ``"n/a"`` per trading day.

    ``"event"`` within ``[-before, +after]`` trading days of an event (:func:`event_window_mask`);
    ``"n/a"`` on days outside the calendar's known span ``[known_from, known_to]`` (e.g. 2006-2014
    for the shipped CPI calendar, which is known from 2015) and on every day when ``known`` is
    False (the shipped PPI calendar, which has no dates): an absent date there means "unknown",
    not "no event". ``known_from``/``known_to`` of ``None`` leave that side open.

    >>> days = pd.bdate_range("2014-12-29", "2015-01-21")
    >>> lab = event_window_labels(days, pd.DatetimeIndex(["2015-01-16"]), 0, 0,
    ...                           known_from=dt.date(2015, 1, 1))
    >>> list(lab[:4]), lab[days.get_loc("2015-01-16")], lab[-1]
    (['n/a', 'n/a', 'n/a', 'none'], 'event', 'none')
    """
    days = np.asarray(trading_days, dtype="datetime64[D]")
    mask = event_window_mask(trading_days, event_dates, before, after)
    out = np.where(mask, "event", "none").astype(object)
    if not known:
        out[:] = UNKNOWN_LABEL
        return out
    outside = np.zeros(days.size, dtype=bool)
    if known_from is not None:
        outside |= days < np.datetime64(known_from, "D")
    if known_to is not None:
        outside |= days > np.datetime64(known_to, "D")
    out[outside & ~mask] = UNKNOWN_LABEL
    return out
