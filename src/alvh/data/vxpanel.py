"""VIX futures settlements as a (day x contract) panel, queryable as a curve on any day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.errors import DataError, InputError


@dataclass(frozen=True)
class VXPanel:
    """Daily VX settlements per monthly contract.

    Attributes
    ----------
    dates : pandas.DatetimeIndex
        Trading days (rows), sorted, unique.
    contracts : numpy.ndarray of str
        Contract codes (``"K04"``), one per column, ordered by expiry.
    expiries : numpy.ndarray of datetime64[D]
        Final settlement dates, strictly ascending.
    settle : numpy.ndarray of float, shape (n_days, n_contracts)
        Daily settlement in index points; NaN where the contract is not
        listed or not quoted that day. Read-only.
    dte : numpy.ndarray of int64, shape (n_days, n_contracts)
        Calendar days from the row's date to the column's expiry
        (``expiry - date``; negative after expiry). Read-only.
    source : str
        Where the settlements came from (file or store, or a model name).
    """

    dates: pd.DatetimeIndex
    contracts: np.ndarray
    expiries: np.ndarray
    settle: np.ndarray
    dte: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        n, m = len(self.dates), len(self.contracts)
        if self.settle.shape != (n, m) or self.dte.shape != (n, m) or self.expiries.shape != (m,):
            raise InputError(
                f"settle {self.settle.shape}, dte {self.dte.shape}, expiries {self.expiries.shape} "
                f"for {n} dates and {m} contracts",
                argument="settle",
                expected="settle and dte of shape (n_dates, n_contracts)",
            )
        if m > 1 and not (np.diff(self.expiries.astype("int64")) > 0).all():
            raise InputError(
                "expiries are not strictly ascending", argument="expiries", expected="one column per expiry, sorted"
            )
        for arr in (self.settle, self.dte, self.expiries, self.contracts):
            arr.setflags(write=False)

    @classmethod
    def from_long(cls, frame: pd.DataFrame, dates: pd.DatetimeIndex | None = None, *, source: str = "") -> VXPanel:
        """Pivot a long VX frame (``trade_date, contract, expiry, settle``) into a panel.

        Parameters
        ----------
        frame : pandas.DataFrame
            As returned by :func:`alvh.data.importers.read_vx_long` or the
            store; one row per (trade_date, contract).
        dates : pandas.DatetimeIndex, optional
            Row index of the panel (e.g. the MarketData trading days); rows of
            ``frame`` on other days are dropped. Default: the frame's trade
            dates.

        Notes
        -----
        Vectorized: one ``np.unique`` over expiries, one ``searchsorted`` over
        dates and a single fancy-index assignment; no Python loop over rows.
        Tested against a per-row reference in tests/test_data_vxpanel.py.
        """
        td = frame["trade_date"].to_numpy().astype("datetime64[D]")
        ex = frame["expiry"].to_numpy().astype("datetime64[D]")
        codes = frame["contract"].to_numpy(dtype=object)
        settle = frame["settle"].to_numpy(dtype=float)
        if dates is None:
            day_arr = np.unique(td)
        else:
            day_arr = dates.to_numpy().astype("datetime64[D]")
        expiries, first, col = np.unique(ex, return_index=True, return_inverse=True)
        contracts = codes[first].astype(str)
        # a code must map to a single expiry (and back), else the long frame was inconsistent
        n_pairs = len(pd.MultiIndex.from_arrays([frame["contract"], col]).unique())
        if frame["contract"].nunique() != expiries.size or n_pairs != expiries.size:
            raise DataError(
                "contract codes and expiries do not pair one-to-one",
                column="contract",
                expected="one expiry per contract code",
            )
        row = np.searchsorted(day_arr, td)
        inside = row < day_arr.size
        inside[inside] = day_arr[row[inside]] == td[inside]
        # drop contracts with no settlement in the window (e.g. after slicing), found from the rows before the
        # (days x contracts) arrays are made, so that they are built once at their final width; column-major,
        # the layout the boolean column selection of the full arrays gave (sums along an axis keep their order)
        listed = np.zeros(expiries.size, dtype=bool)
        listed[col[inside & ~np.isnan(settle)]] = True
        keep = inside & listed[col]
        panel = np.full((day_arr.size, int(listed.sum())), np.nan, order="F")
        panel[row[keep], (np.cumsum(listed) - 1)[col[keep]]] = settle[keep]
        dte = (expiries[listed][:, None] - day_arr[None, :]).astype("int64").T
        idx = pd.DatetimeIndex(day_arr.astype("datetime64[ns]"), name="date")
        return cls(
            dates=idx,
            contracts=contracts[listed],
            expiries=expiries[listed],
            settle=panel,
            dte=dte,
            source=source,
        )

    def _row(self, date: object) -> int:
        try:
            ts = pd.Timestamp(date)
        except (ValueError, TypeError):
            raise InputError(f"{date!r} is not a date", argument="date", expected="a date-like value") from None
        i = int(self.dates.searchsorted(ts))
        if i >= len(self.dates) or self.dates[i] != ts:
            raise InputError(
                f"{ts.date()} is not a day of the VX panel",
                argument="date",
                expected=f"a trading day in {self.dates[0].date()}..{self.dates[-1].date()}",
            )
        return i

    def curve(self, date: object) -> pd.DataFrame:
        """The futures curve on ``date``: listed contracts by expiry.

        Returns
        -------
        pandas.DataFrame
            Columns ``contract, expiry, dte, settle`` (dte in calendar days,
            settle in index points), one row per contract with a settlement
            that day and ``dte >= 0``, sorted by expiry.
        """
        i = self._row(date)
        s = self.settle[i]
        ok = ~np.isnan(s) & (self.dte[i] >= 0)
        return pd.DataFrame(
            {
                "contract": self.contracts[ok],
                "expiry": self.expiries[ok].astype("datetime64[ns]"),
                "dte": self.dte[i][ok],
                "settle": s[ok],
            }
        )

    def front(self, min_dte: int = 1) -> pd.DataFrame:
        """The nearest listed contract each day with ``dte >= min_dte``.

        Returns
        -------
        pandas.DataFrame
            Index ``dates``; columns ``contract``, ``dte``, ``settle`` (NaN/""
            where nothing is listed). ``min_dte=1`` skips a contract on its
            expiry day, whose settle is the final settlement (SOQ) rather than
            a futures price.
        """
        ok = ~np.isnan(self.settle) & (self.dte >= min_dte)
        has = ok.any(axis=1)
        j = np.argmax(ok, axis=1)  # first listed column = nearest expiry (columns sorted by expiry)
        rows = np.arange(len(self.dates))
        settle = np.where(has, self.settle[rows, j], np.nan)
        dte = np.where(has, self.dte[rows, j], -1)
        codes = np.where(has, self.contracts[j] if len(self.contracts) else "", "")
        return pd.DataFrame({"contract": codes, "dte": dte, "settle": settle}, index=self.dates)

    def slice(self, start: object = None, end: object = None) -> VXPanel:
        """Rows in ``[start, end]``; contracts with no settlement there are dropped."""
        lo = 0 if start is None else int(self.dates.searchsorted(pd.Timestamp(start), side="left"))
        hi = len(self.dates) if end is None else int(self.dates.searchsorted(pd.Timestamp(end), side="right"))
        s = self.settle[lo:hi]
        listed = ~np.isnan(s).all(axis=0) if hi > lo else np.zeros(len(self.contracts), dtype=bool)
        return VXPanel(
            dates=self.dates[lo:hi],
            contracts=self.contracts[listed],
            expiries=self.expiries[listed],
            settle=s[:, listed].copy(),
            dte=self.dte[lo:hi][:, listed].copy(),
            source=self.source,
        )

    def to_long(self) -> pd.DataFrame:
        """Back to one row per (date, listed contract): ``date, contract, expiry, dte, settle``."""
        r, c = np.nonzero(~np.isnan(self.settle))
        return pd.DataFrame(
            {
                "date": self.dates.to_numpy()[r],
                "contract": self.contracts[c],
                "expiry": self.expiries[c].astype("datetime64[ns]"),
                "dte": self.dte[r, c],
                "settle": self.settle[r, c],
            }
        )
