"""The embedded default market data, built from datasets bundled in the ``arch`` package.

No download is needed: ``arch`` (a dependency) ships

* ``arch/data/sp500/sp500.csv.gz``: S&P 500 index (Yahoo ^GSPC) daily
  ``Date,Open,High,Low,Close,Adj Close,Volume``, 1999-01-04 .. 2018-12-31,
  M/D/YYYY dates, prices with float32 noise (``1228.099976``);
* ``arch/data/vix/vix.csv.gz``: VIX close ``Date,vix``, 2014-01-03 ..
  2018-12-31 in FRED's VIXCLS layout, where a non-trading weekday is a row
  whose value is ``"."``.

The raw files are read here (not through ``arch.data.*.load()``, which would
turn ``"."`` into NaN) so that every ``"."`` row is checked: it must fall on a
day the NYSE was closed (alvh.calendar, pandas_market_calendars), and is then
dropped and counted in the provenance; a ``"."`` on an NYSE session is an
error. SPX prices are rounded to 2 decimals (the index is published to 2
decimals; the extra digits are float32 noise). The two series are aligned on
their common days, 2014-01-03 .. 2018-12-31.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.calendar import load_event_calendar, sessions_between
from alvh.data._csv import (
    check_columns,
    check_ohlc,
    check_positive,
    check_sorted_unique,
    parse_dates,
    parse_numbers,
    read_raw,
)
from alvh.data.frame import MarketFrame, align_rate, rate_age
from alvh.errors import DataError


def arch_dataset_path(name: str) -> Path:
    """Path of ``arch/data/<name>/<name>.csv.gz`` inside the installed ``arch`` package.

    Located with ``importlib.util.find_spec`` so that ``arch`` itself (which
    imports statsmodels and takes seconds) is not imported.
    """
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the arch package is not installed",
            file=f"arch/data/{name}/{name}.csv.gz",
            expected="arch installed (a dependency of alvh)",
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / name / f"{name}.csv.gz"
    if not path.is_file():
        raise DataError("arch's bundled dataset is missing", file=path, expected="arch >= 7 with its datasets")
    return path


def read_arch_sp500(path: Path | None = None) -> pd.DataFrame:
    """SPX OHLC from arch's ``sp500.csv.gz``, validated, rounded to 0.01 index points."""
    p = path or arch_dataset_path("sp500")
    raw = read_raw(p)
    check_columns(raw, [["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]], what="arch sp500")
    days = parse_dates(raw, "Date", "%m/%d/%Y", shown="M/D/YYYY")
    check_sorted_unique(days, raw, "Date")
    cols = {}
    for src in ("Open", "High", "Low", "Close"):
        v = np.round(parse_numbers(raw, src, what="a price"), 2)
        check_positive(v, raw, src)
        cols[src.lower()] = v
    parse_numbers(raw, "Adj Close", what="a price")
    parse_numbers(raw, "Volume", what="a number")
    check_ohlc(cols["open"], cols["high"], cols["low"], cols["close"], raw, ("Open", "High", "Low", "Close"))
    return pd.DataFrame(cols, index=pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date"))


def read_arch_vix(path: Path | None = None) -> tuple[pd.Series, list[str]]:
    """VIX close from arch's ``vix.csv.gz``; ``"."`` rows checked against the NYSE calendar and dropped.

    Returns
    -------
    (pandas.Series, list of str)
        The close on trading days, and the ISO dates of the dropped ``"."``
        rows (each an NYSE holiday).

    Raises
    ------
    DataError
        A ``"."`` (or any non-number) on an NYSE trading session, a bad date,
        unsorted/duplicate dates, a non-positive value.
    """
    p = path or arch_dataset_path("vix")
    raw = read_raw(p)
    check_columns(raw, [["Date", "vix"]], what="arch vix")
    days = parse_dates(raw, "Date", "%m/%d/%Y", shown="M/D/YYYY")
    check_sorted_unique(days, raw, "Date")
    text = raw.frame["vix"].str.strip().to_numpy(dtype=object)
    dot = text == "."
    sessions = sessions_between(days.min(), days.max(), "NYSE")
    on_session = np.isin(days, sessions)
    bad = dot & on_session
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"'.' on {days[i]}, an NYSE trading session",
            file=p,
            row=raw.line(i),
            column="vix",
            expected="a VIX close on every NYSE session ('.' only on holidays)",
        )
    # every other row must be a number; "." rows are replaced by "nan" text only after the check above
    values = pd.to_numeric(pd.Series(np.where(dot, "nan", text)), errors="coerce").to_numpy(dtype=float)
    junk = ~dot & ~np.isfinite(values)
    if junk.any():
        i = int(np.argmax(junk))
        raise DataError(
            f"{text[i]!r} is not a number",
            file=p,
            row=raw.line(i),
            column="vix",
            expected="a VIX close, or '.' on an NYSE holiday",
        )
    keep = ~dot
    check_positive(values[keep], raw, "vix")
    off = keep & ~on_session
    if off.any():
        i = int(np.argmax(off))
        raise DataError(
            f"value on {days[i]}, which is not an NYSE session",
            file=p,
            row=raw.line(i),
            column="Date",
            expected="NYSE trading days",
        )
    s = pd.Series(values[keep], index=pd.DatetimeIndex(days[keep].astype("datetime64[ns]"), name="date"), name="vix")
    return s, [str(d) for d in days[dot]]


def build_default(rate: float | pd.Series | None = None) -> MarketFrame:
    """Assemble :meth:`MarketData.default` (see the module docstring)."""
    spx_all = read_arch_sp500()
    vix_close, holidays = read_arch_vix()
    dates = spx_all.index.intersection(vix_close.index)
    # the two must agree on trading days over the common span; a day in one but not the other is reported
    lo = max(vix_close.index[0], spx_all.index[0])
    hi = min(vix_close.index[-1], spx_all.index[-1])
    spx_only = spx_all.index[(spx_all.index >= lo) & (spx_all.index <= hi)].difference(vix_close.index)
    vix_in = vix_close.index[(vix_close.index >= lo) & (vix_close.index <= hi)]
    vix_only = vix_in.difference(spx_all.index)
    if len(spx_only) or len(vix_only):
        raise DataError(
            f"SPX and VIX disagree on trading days: SPX only {list(spx_only.date[:3])}, "
            f"VIX only {list(vix_only.date[:3])}",
            file=arch_dataset_path("vix"),
            expected="the same NYSE sessions in both arch datasets",
        )
    spx = spx_all.loc[dates]
    nan = np.full(len(dates), np.nan)
    vix = pd.DataFrame(
        {"open": nan, "high": nan.copy(), "low": nan.copy(), "close": vix_close.loc[dates].to_numpy()}, index=dates
    )
    rate_s, rate_note = align_rate(rate, dates)
    events = {}
    event_known: dict[str, tuple[dt.date | None, dt.date | None] | None] = {}
    ev_notes = []
    for kind in ("fomc", "cpi", "ppi"):
        cal = load_event_calendar(kind)
        events[kind] = cal.dates
        event_known[kind] = (cal.known_from, cal.known_to) if cal.known_from is not None else None
        ev_notes.append(f"{kind}: {cal.provenance}; known {cal.known_from}..{cal.known_to}")
    provenance = {
        "source": "embedded default (arch package datasets, no download)",
        "spx": (
            f"arch {_arch_version()} data/sp500/sp500.csv.gz (Yahoo ^GSPC, S&P Dow Jones Indices), "
            f"rows {spx_all.index[0].date()}..{spx_all.index[-1].date()}; kept the "
            f"{len(dates)} days shared with VIX; prices rounded to 0.01"
        ),
        "alignment": (
            f"common NYSE days {dates[0].date()}..{dates[-1].date()}; SPX rows outside VIX's span and "
            f"{len(vix_close.index[vix_close.index > hi])} VIX row(s) after SPX's last day are not used"
        ),
        "vix": (
            f"arch {_arch_version()} data/vix/vix.csv.gz (Cboe VIX close, FRED VIXCLS layout); "
            f"{len(holidays)} rows coded '.' dropped, each checked to be an NYSE holiday "
            f"(first {holidays[0] if holidays else '-'}, last {holidays[-1] if holidays else '-'}); "
            "no open/high/low in the source: vix.open/high/low are NaN"
        ),
        "vix_open": (
            "no VIX open in the source: MarketData.vix_open() uses the close as the open and as the "
            "proxy for the VX/VIX-option settlement quote (SOQ) on every day"
        ),
        "vx": (
            "no VX futures data in the embedded default (vx is None); import Cboe VX files with "
            "`alvh data import vx PATH`, or use the model-implied curve from alvh.market"
        ),
        "indices": "none in the embedded default (VIX9D/VIX3M/VIX6M/VVIX/SKEW need an import)",
        "rate": rate_note,
        "events": "shipped calendars: " + " | ".join(ev_notes),
        "breadth": "none in the embedded default",
    }
    return MarketFrame(
        dates=dates,
        spx=spx[["open", "high", "low", "close"]],
        vix=vix,
        indices=pd.DataFrame(index=dates, columns=[], dtype=float),
        vx=None,
        rate=rate_s,
        rate_age=rate_age(rate, dates),
        events=events,
        breadth=None,
        exog={},
        provenance=provenance,
        event_known=event_known,
    )


def _arch_version() -> str:
    return metadata.version("arch")


__all__ = ["arch_dataset_path", "build_default", "read_arch_sp500", "read_arch_vix"]
