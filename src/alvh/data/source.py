"""Which market data a run uses, and over which span.

:func:`resolve_data_source` picks, in order: the ``--data-dir`` argument, else the environment
variable ``ALVH_DATA_DIR``, else the user data home (:func:`alvh.data.store.default_data_dir`
without the variable) when its store holds at least one import, else the embedded default
(:meth:`MarketData.default`). A folder named by the argument or the variable must hold a store:
asking for one that is not there is an error, never a silent fall-back to the embedded data.

:func:`resolve_span` turns ``start``/``end`` into the days the run covers: by default the span on
which every series the rules need has data (SPX and VIX always; VX futures when a layer trades
them and the data has a VX curve); a ``start`` or ``end`` outside that span is an error naming it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from alvh.data.market_data import MarketData
from alvh.data.store import DB_NAME, ENV_VAR, default_data_dir
from alvh.errors import DataError, InputError

Origin = Literal["--data-dir", "ALVH_DATA_DIR", "user data home", "embedded default"]


@dataclass(frozen=True)
class DataSource:
    """Where the market data comes from: ``origin`` and, for a store, its folder."""

    origin: Origin
    folder: Path | None

    @property
    def description(self) -> str:
        """One line for the user, e.g. ``store /home/me/.local/share/alvh/alvh.duckdb (user data home)``."""
        if self.folder is None:
            return "embedded default (SPX/VIX 2014-2018 from the arch package, model VX curve; nothing imported)"
        return f"store {self.folder / DB_NAME} ({self.origin})"

    def load(self, rate: float | pd.Series | None = None) -> MarketData:
        """The MarketData of this source."""
        if self.folder is None:
            return MarketData.default(rate=rate)
        return MarketData.from_store(self.folder, rate=rate)


def _has_imports(folder: Path) -> bool:
    # an empty store (created, nothing imported yet, or every import removed) holds no data to run on
    from alvh.data.store import Store

    with Store.open(folder, read_only=True) as store:
        return len(store.history()) > 0


def _home_without_env() -> Path:
    saved = os.environ.pop(ENV_VAR, None)
    try:
        return default_data_dir()
    finally:
        if saved is not None:
            os.environ[ENV_VAR] = saved


def resolve_data_source(data_dir: str | Path | None = None) -> DataSource:
    """The data a run uses (see the module docstring for the order).

    Raises
    ------
    DataError
        ``data_dir`` or ``ALVH_DATA_DIR`` names a folder without a store.
    """
    if data_dir is not None:
        folder, origin = Path(data_dir).expanduser(), "--data-dir"
    elif os.environ.get(ENV_VAR):
        folder, origin = Path(os.environ[ENV_VAR]).expanduser(), ENV_VAR
    else:
        home = _home_without_env()
        if (home / DB_NAME).is_file() and _has_imports(home):
            return DataSource("user data home", home)
        return DataSource("embedded default", None)
    if not (folder / DB_NAME).is_file():
        raise DataError(
            f"no market-data store in the folder given by {origin}",
            file=folder / DB_NAME,
            expected="a folder written by `alvh data import` (or leave it out for the embedded default)",
        )
    return DataSource(origin, folder)  # type: ignore[arg-type]


def needed_series(rules: Any, md: MarketData) -> list[str]:
    """Series the rules need data for: ``spx``, ``vix``, and ``vx`` when a layer trades VX futures
    (or the constant-maturity mode is on) and ``md`` has a VX curve (without one the engine prices VX
    from the model curve, which needs only VIX)."""
    out = ["spx", "vix"]
    trades_vx = any(layer.instrument == "vx_future" for layer in rules.layers) or rules.constant_maturity.enabled
    if trades_vx and md.vx is not None:
        out.append("vx")
    return out


def _spans(md: MarketData, names: list[str]) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    out = {"spx": md.span, "vix": md.span}
    if "vx" in names and md.vx is not None:
        listed = ~np.isnan(md.vx.settle).all(axis=1)
        if listed.any():
            i0 = int(np.argmax(listed))
            i1 = len(listed) - 1 - int(np.argmax(listed[::-1]))
            out["vx"] = (md.dates[i0], md.dates[i1])
    return {k: v for k, v in out.items() if k in names}


def resolve_span(
    md: MarketData, rules: Any, start: object = None, end: object = None
) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """The run's first and last day and a sentence saying how they were chosen.

    Default ``start``/``end``: the first/last day on which every :func:`needed_series` has data.
    A given ``start`` before, or ``end`` after, that span is an error naming the available span
    (the data would otherwise be clipped, or the VX layers would hold nothing, silently).

    Raises
    ------
    InputError
        ``start``/``end`` not dates, ``start > end``, or outside the available span.
    """
    names = needed_series(rules, md)
    spans = _spans(md, names)
    lo = max(s[0] for s in spans.values())
    hi = min(s[1] for s in spans.values())
    which = ", ".join(f"{k} {a.date()}..{b.date()}" for k, (a, b) in spans.items())
    avail = f"{lo.date()}..{hi.date()} (the days on which every series the rules need has data: {which})"
    if lo > hi:
        raise DataError(
            f"the series the rules need share no day ({which})",
            column=",".join(names),
            expected="overlapping SPX, VIX and VX histories",
        )

    def parse(v: object, arg: str) -> pd.Timestamp | None:
        if v is None:
            return None
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError):
            raise InputError(f"{v!r} is not a date", argument=arg, expected="a date YYYY-MM-DD") from None
        if ts is pd.NaT:
            raise InputError(f"{v!r} is not a date", argument=arg, expected="a date YYYY-MM-DD")
        return ts.normalize()

    s, e = parse(start, "start"), parse(end, "end")
    if s is not None and e is not None and s > e:
        raise InputError(f"start {s.date()} is after end {e.date()}", argument="start", expected="start <= end")
    if s is not None and s < lo:
        raise InputError(f"{s.date()} is before the data", argument="start", expected=f"a day within {avail}")
    if e is not None and e > hi:
        raise InputError(f"{e.date()} is after the data", argument="end", expected=f"a day within {avail}")
    if s is not None and s > hi:
        raise InputError(f"{s.date()} is after the data", argument="start", expected=f"a day within {avail}")
    if e is not None and e < lo:
        raise InputError(f"{e.date()} is before the data", argument="end", expected=f"a day within {avail}")
    first, last = (s if s is not None else lo), (e if e is not None else hi)
    how = []
    if s is None:
        how.append(f"start {first.date()} (first day with {', '.join(names)})")
    if e is None:
        how.append(f"end {last.date()} (last day with {', '.join(names)})")
    return first, last, ("; ".join(how) or f"span {first.date()}..{last.date()} as given")


__all__ = ["DataSource", "needed_series", "resolve_data_source", "resolve_span"]
