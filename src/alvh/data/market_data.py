"""MarketData: a :class:`~alvh.data.frame.MarketFrame` with its two constructors.

:meth:`MarketData.default` (embedded data, no download; :mod:`alvh.data.default`)
and :meth:`MarketData.from_store` (what ``alvh data import`` put in the local
DuckDB store; :mod:`alvh.data.store`). Both modules build a plain
:class:`MarketFrame` and know nothing of this one, so the imports point one
way: ``frame`` <- ``default``, ``store`` <- ``market_data``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from alvh.data.default import build_default
from alvh.data.frame import DEFAULT_MAX_GAP, DEFAULT_RATE, INDEX_COLUMNS, MarketFrame, align_rate
from alvh.data.store import Store


@dataclass(frozen=True)
class MarketData(MarketFrame):
    """Daily, aligned, validated market data (see :class:`~alvh.data.frame.MarketFrame` for the fields)."""

    @classmethod
    def from_frame(cls, frame: MarketFrame) -> MarketData:
        """The same data as a MarketData (validated again on construction)."""
        if isinstance(frame, cls):
            return frame
        return cls(**{f.name: getattr(frame, f.name) for f in fields(MarketFrame)})

    @classmethod
    def default(cls, rate: float | pd.Series | None = None) -> MarketData:
        """The embedded default: SPX and VIX 2014-2018 from the ``arch`` package's datasets.

        No download. SPX OHLC (arch.data.sp500, Yahoo ^GSPC 1999-2018) and the
        VIX close (arch.data.vix, 2014-2018, FRED VIXCLS layout: holidays are
        rows with ``"."``) aligned on their common NYSE trading days. Each
        ``"."`` row must fall on an NYSE holiday, else it is an error; they
        are dropped and counted in :attr:`provenance`. No VX curve
        (``vx is None``), no breadth, shipped event calendars, constant rate.
        See :mod:`alvh.data.default`.
        """
        return cls.from_frame(build_default(rate=rate))

    @classmethod
    def from_store(
        cls,
        data_dir: str | Path | None = None,
        start: object = None,
        end: object = None,
        rate: float | pd.Series | None = None,
    ) -> MarketData:
        """Everything imported into the local store, aligned on common SPX/VIX days.

        Parameters
        ----------
        data_dir : str or Path, optional
            Store folder; default ``ALVH_DATA_DIR`` or the user data home
            (:func:`alvh.data.store.default_data_dir`).
        start, end : date-like, optional
            Inclusive span to load.
        rate : float or pandas.Series, optional
            Overrides the rate: default the stored series named ``rate`` if
            imported, else :data:`DEFAULT_RATE`.

        Raises
        ------
        DataError
            The store has no SPX or no VIX, or the span holds no common day.
        """
        with Store.open(data_dir, read_only=True) as store:
            return cls.from_frame(store.market_frame(start=start, end=end, rate=rate))


__all__ = ["DEFAULT_MAX_GAP", "DEFAULT_RATE", "INDEX_COLUMNS", "MarketData", "MarketFrame", "align_rate"]
