"""The local market-data store: one embedded DuckDB database in a data directory.

Location: ``--data-dir`` / the ``data_dir`` argument, else the environment
variable ``ALVH_DATA_DIR``, else the platform's user data home
(:func:`default_data_dir`: ``$XDG_DATA_HOME/alvh`` or ``~/.local/share/alvh``
on Linux, ``~/Library/Application Support/alvh`` on macOS,
``%LOCALAPPDATA%\\alvh`` on Windows). The database file is ``alvh.duckdb``.

Imports are all-or-nothing: every file of one ``import`` call is parsed and
validated first, then written in one transaction. A row whose key (date,
series / contract) already exists with the same values is skipped, so
importing the same file twice changes nothing. A row whose key exists with
different values is a *conflict*: by default the whole import is refused and
every conflict is reported (date, contract or series, column, stored value,
new value); ``on_conflict="keep"`` keeps the stored values and
``"replace"`` takes the new ones, and both still report every conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import numpy as np
import pandas as pd

from alvh.calendar import check_vx_expiry, load_event_calendar, sessions_between
from alvh.data import importers as imp
from alvh.data._csv import find_gaps
from alvh.data.frame import DEFAULT_MAX_GAP, INDEX_COLUMNS, MarketFrame, align_rate
from alvh.data.vxpanel import VXPanel
from alvh.errors import DataError, InputError

DB_NAME: Final[str] = "alvh.duckdb"
SCHEMA_VERSION: Final[str] = "1"
ENV_VAR: Final[str] = "ALVH_DATA_DIR"

#: ``alvh data import KIND``: every kind the store accepts.
KINDS: Final[tuple[str, ...]] = (*imp.INDEX_NAMES, "vx", "breadth", "events", "series")

OnConflict = Literal["error", "keep", "replace"]

_SCHEMA: Final[list[str]] = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS index_daily (series VARCHAR, date DATE, open DOUBLE, high DOUBLE, low DOUBLE,
       close DOUBLE, PRIMARY KEY (series, date))""",
    """CREATE TABLE IF NOT EXISTS vx_daily (trade_date DATE, contract VARCHAR, expiry DATE, open DOUBLE,
       high DOUBLE, low DOUBLE, close DOUBLE, settle DOUBLE, volume DOUBLE, open_interest DOUBLE,
       PRIMARY KEY (trade_date, contract))""",
    """CREATE TABLE IF NOT EXISTS breadth (date DATE PRIMARY KEY, advancing DOUBLE, declining DOUBLE,
       unchanged DOUBLE)""",
    "CREATE TABLE IF NOT EXISTS events (kind VARCHAR, date DATE, PRIMARY KEY (kind, date))",
    "CREATE TABLE IF NOT EXISTS series (name VARCHAR, date DATE, value DOUBLE, PRIMARY KEY (name, date))",
    """CREATE TABLE IF NOT EXISTS imports (id INTEGER PRIMARY KEY, kind VARCHAR, name VARCHAR, path VARCHAR,
       sha256 VARCHAR, rows_in BIGINT, rows_new BIGINT, rows_same BIGINT, rows_conflict BIGINT,
       on_conflict VARCHAR, notes VARCHAR, imported_at TIMESTAMP)""",
]


@dataclass(frozen=True)
class _Table:
    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    text_values: tuple[str, ...] = ()


_TABLES: Final[dict[str, _Table]] = {
    "index": _Table("index_daily", ("series", "date"), ("open", "high", "low", "close")),
    "vx": _Table("vx_daily", ("trade_date", "contract"),
                 ("expiry", "open", "high", "low", "close", "settle", "volume", "open_interest"),
                 text_values=("expiry",)),
    "breadth": _Table("breadth", ("date",), ("advancing", "declining", "unchanged")),
    "events": _Table("events", ("kind", "date"), ()),
    "series": _Table("series", ("name", "date"), ("value",)),
}


def default_data_dir() -> Path:
    """The store folder: ``ALVH_DATA_DIR`` if set, else the platform's user data home + ``alvh``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        base = Path(xdg) if xdg else home / ".local" / "share"
    return base / "alvh"


@dataclass(frozen=True)
class Conflict:
    """One (key, column) whose stored and new values differ."""

    table: str
    key: dict[str, str]
    column: str
    stored: Any
    new: Any
    file: str

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.key.items())
        return f"{where}: {self.column} stored {self.stored!r}, new {self.new!r} ({self.file})"


@dataclass
class ImportReport:
    """What one ``import`` did: rows read, new, already present, conflicts, notes."""

    kind: str
    files: list[str]
    rows_in: int = 0
    rows_new: int = 0
    rows_same: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    on_conflict: str = "error"
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the store was modified."""
        return self.rows_new > 0 or (self.on_conflict == "replace" and bool(self.conflicts))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "files": self.files, "rows_in": self.rows_in, "rows_new": self.rows_new,
                "rows_same": self.rows_same, "conflicts": [str(c) for c in self.conflicts],
                "on_conflict": self.on_conflict, "changed": self.changed, "notes": self.notes}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_for_kind(kind: str, path: str | Path, *, name: str | None = None) -> pd.DataFrame:
    """Parse one file for ``kind`` into the store's row layout (validated; raises DataError)."""
    p = Path(path)
    if kind in imp.INDEX_NAMES:
        f = imp.read_index_csv(p, kind)
        out = f.reset_index()
        out.insert(0, "series", kind)
    elif kind == "vx":
        out = imp.read_vx(p)
        f = out
    elif kind == "breadth":
        f = imp.read_breadth(p)
        out = f.reset_index()
    elif kind == "events":
        if not name:
            raise InputError("events need a kind label", argument="name", expected="e.g. --name fomc / cpi / ppi")
        cal = imp.read_events(p, name)
        out = pd.DataFrame({"kind": name, "date": cal.dates.to_numpy()})
        out.attrs["notes"] = [f"events {name}: {len(cal.dates)} dates, known {cal.known_from}..{cal.known_to}"]
        return out
    elif kind == "series":
        s = imp.read_series(p, name)
        out = pd.DataFrame({"name": s.name, "date": s.index.to_numpy(), "value": s.to_numpy()})
        out.attrs["notes"] = []
        return out
    else:
        raise InputError(f"unknown kind {kind!r}", argument="kind", expected="one of " + ", ".join(KINDS))
    out.attrs["notes"] = list(f.attrs.get("notes", []))
    return out


class Store:
    """A DuckDB market-data store (use :meth:`open`, ideally as a context manager)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, data_dir: str | Path | None = None, *, read_only: bool = False) -> Store:
        """Open (creating when writable) the store in ``data_dir`` (default :func:`default_data_dir`).

        Raises
        ------
        DataError
            ``read_only`` and no store exists there yet, or the file is not an
            alvh store.
        """
        folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
        db = folder / DB_NAME
        if read_only and not db.is_file():
            raise DataError("no market-data store here yet", file=db,
                            expected="an import first: alvh data import KIND PATH")
        if not read_only:
            folder.mkdir(parents=True, exist_ok=True)
        try:
            conn = duckdb.connect(str(db), read_only=read_only)
        except duckdb.Error as exc:
            raise DataError(f"cannot open the store ({exc})", file=db, expected="an alvh DuckDB store") from None
        store = cls(conn, db, read_only)
        if not read_only:
            for stmt in _SCHEMA:
                conn.execute(stmt)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        else:
            try:
                ver = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            except duckdb.Error:
                ver = None
            if ver is None or ver[0] != SCHEMA_VERSION:
                conn.close()
                raise DataError(f"not an alvh store of schema {SCHEMA_VERSION}", file=db,
                                expected="a store written by this alvh version")
        return store

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ import

    def import_files(self, kind: str, paths: list[str | Path], *, name: str | None = None,
                     on_conflict: OnConflict = "error") -> ImportReport:
        """Validate ``paths`` as ``kind`` and write them in one transaction.

        Parameters
        ----------
        kind : str
            One of :data:`KINDS`.
        paths : list of path
            Files to import; all are parsed before anything is written.
        name : str, optional
            The label for ``events`` (``fomc``/``cpi``/``ppi``/...) and the
            series name for ``series`` (default its value column).
        on_conflict : {"error", "keep", "replace"}
            What to do when a stored row differs (see the module docstring).

        Returns
        -------
        ImportReport

        Raises
        ------
        DataError
            Any invalid file (nothing written), or conflicts with
            ``on_conflict="error"`` (nothing written; every conflict listed).
        """
        if self.read_only:
            raise InputError("store opened read-only", argument="read_only", expected="a writable store")
        if kind not in KINDS:
            raise InputError(f"unknown kind {kind!r}", argument="kind", expected="one of " + ", ".join(KINDS))
        if on_conflict not in ("error", "keep", "replace"):
            raise InputError(f"{on_conflict!r}", argument="on_conflict", expected="'error', 'keep' or 'replace'")
        if not paths:
            raise InputError("no files", argument="paths", expected="at least one file")
        frames = []
        report = ImportReport(kind=kind, files=[str(Path(p)) for p in paths], on_conflict=on_conflict)
        for p in paths:
            f = parse_for_kind(kind, p, name=name)
            f["_file"] = str(Path(p))
            report.notes += [f"{Path(p).name}: {n}" for n in f.attrs.get("notes", [])]
            frames.append(f)
        table = _TABLES["index" if kind in imp.INDEX_NAMES else kind]
        incoming = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if kind == "vx":
            incoming = incoming[["trade_date", "contract", *table.values, "_file"]]
        report.rows_in = len(incoming)
        incoming = self._dedupe_batch(incoming, table, report)
        self.conn.execute("BEGIN TRANSACTION")
        try:
            self._write(incoming, table, kind, report, [Path(p) for p in paths], name)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return report

    def _dedupe_batch(self, incoming: pd.DataFrame, table: _Table, report: ImportReport) -> pd.DataFrame:
        """Rows repeated across the files of one import: identical ones collapse, different ones conflict.

        Vectorized: the later occurrences are merged on the key with the first one and compared column
        by column; Python only touches the conflicting rows, to word the report.
        """
        keys = list(table.keys)
        dup = incoming.duplicated(keys, keep=False).to_numpy()
        if not dup.any():
            return incoming
        d = incoming[dup]
        is_first = ~d.duplicated(keys, keep="first").to_numpy()
        m = d[~is_first].merge(d[is_first], on=keys, suffixes=("", "_ref"))
        for col in table.values:
            a, b = m[f"{col}_ref"], m[col]
            if col in table.text_values:
                differ = (a != b).to_numpy()
            else:
                av, bv = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
                both_nan = np.isnan(av) & np.isnan(bv)
                close = np.abs(av - bv) <= 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(av)))
                differ = ~(both_nan | close)
            for row in m[differ].to_dict("records"):
                report.conflicts.append(Conflict(table.name, {k: _fmt(row[k]) for k in keys}, col,
                                                 _plain(row[f"{col}_ref"]), _plain(row[col]),
                                                 f"{row['_file_ref']} vs {row['_file']}"))
        if report.conflicts and report.on_conflict == "error":
            raise _conflict_error(report)
        keep = "last" if report.on_conflict == "replace" else "first"
        return incoming.drop_duplicates(keys, keep=keep).reset_index(drop=True)

    def _write(self, incoming: pd.DataFrame, table: _Table, kind: str, report: ImportReport, paths: list[Path],
               name: str | None) -> None:
        con = self.conn
        cols = [*table.keys, *table.values]
        data = incoming[cols + ["_file"]].copy()
        for c in data.columns:
            if c in ("date", "trade_date", "expiry"):
                data[c] = pd.to_datetime(data[c]).dt.date
        con.register("incoming_df", data)
        try:
            join = " AND ".join(f"t.{k} = i.{k}" for k in table.keys)
            exists = con.execute(f"SELECT count(*) FROM incoming_df i JOIN {table.name} t ON {join}").fetchone()[0]
            for col in table.values:
                if col in table.text_values:
                    differ = f"t.{col} IS DISTINCT FROM i.{col}"
                else:
                    differ = (f"NOT ((t.{col} IS NULL AND i.{col} IS NULL) OR "
                              f"abs(t.{col} - i.{col}) <= 1e-9 * greatest(1.0, abs(t.{col})))")
                rows = con.execute(f"SELECT {', '.join('i.' + k for k in table.keys)}, t.{col}, i.{col}, i._file "
                                   f"FROM incoming_df i JOIN {table.name} t ON {join} WHERE {differ} "
                                   f"ORDER BY {', '.join('i.' + k for k in table.keys)}").fetchall()
                for r in rows:
                    nk = len(table.keys)
                    report.conflicts.append(Conflict(table.name, {k: _fmt(v) for k, v in zip(table.keys, r[:nk], strict=True)},
                                                     col, _plain(r[nk]), _plain(r[nk + 1]), str(r[nk + 2])))
            if report.conflicts and report.on_conflict == "error":
                raise _conflict_error(report)
            n_conf_keys = len({tuple(c.key.items()) for c in report.conflicts if c.table == table.name})
            con.execute(f"INSERT INTO {table.name} SELECT {', '.join('i.' + c for c in cols)} FROM incoming_df i "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} t WHERE {join})")
            report.rows_new = len(data) - int(exists)
            report.rows_same = int(exists) - n_conf_keys
            if report.on_conflict == "replace" and report.conflicts and table.values:
                sets = ", ".join(f"{c} = i.{c}" for c in table.values)
                con.execute(f"UPDATE {table.name} t SET {sets} FROM incoming_df i WHERE {join}")
            if report.changed:
                next_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM imports").fetchone()[0]
                label = name or (kind if kind in imp.INDEX_NAMES else None)
                for p in paths:
                    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [next_id, kind, label, str(p.resolve()), _sha256(p), report.rows_in,
                                 report.rows_new, report.rows_same, len(report.conflicts), report.on_conflict,
                                 json.dumps(report.notes), dt.datetime.now(dt.UTC).replace(tzinfo=None)])
                    next_id += 1
        finally:
            con.unregister("incoming_df")

    # ------------------------------------------------------------ reading

    def index_frame(self, series: str, start: object = None, end: object = None) -> pd.DataFrame:
        """OHLC of one stored index, index ``date`` (empty frame if never imported)."""
        q = "SELECT date, open, high, low, close FROM index_daily WHERE series = ?"
        args: list[Any] = [series]
        q, args = _span_sql(q, args, "date", start, end)
        df = self.conn.execute(q + " ORDER BY date", args).df()
        df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
        return df.set_index("date")

    def vx_frame(self, start: object = None, end: object = None) -> pd.DataFrame:
        """The stored VX long table (:data:`alvh.data.importers.VX_FRAME_COLUMNS`)."""
        q = f"SELECT {', '.join(imp.VX_FRAME_COLUMNS)} FROM vx_daily WHERE true"
        q, args = _span_sql(q, [], "trade_date", start, end)
        df = self.conn.execute(q + " ORDER BY trade_date, expiry", args).df()
        for c in ("trade_date", "expiry"):
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        return df

    def series_names(self) -> list[str]:
        """Names of the stored generic series."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT name FROM series ORDER BY name").fetchall()]

    def series(self, name: str, start: object = None, end: object = None) -> pd.Series:
        """One stored generic series."""
        q, args = _span_sql("SELECT date, value FROM series WHERE name = ?", [name], "date", start, end)
        df = self.conn.execute(q + " ORDER BY date", args).df()
        idx = pd.DatetimeIndex(pd.to_datetime(df["date"]).astype("datetime64[ns]"), name="date")
        return pd.Series(df["value"].to_numpy(dtype=float), index=idx, name=name)

    def imports(self) -> pd.DataFrame:
        """The import log (one row per file and import)."""
        return self.conn.execute("SELECT * FROM imports ORDER BY id").df()

    def market_frame(self, start: object = None, end: object = None,
                    rate: float | pd.Series | None = None) -> MarketFrame:
        """Build a :class:`MarketFrame` from the store (see :meth:`MarketData.from_store`)."""
        spx = self.index_frame("spx", start, end)
        vix = self.index_frame("vix", start, end)
        for nm, f in (("spx", spx), ("vix", vix)):
            if f.empty:
                raise DataError(f"the store has no {nm.upper()} data in the span", file=self.path, column=nm,
                                expected=f"an import: alvh data import {nm} PATH")
        dates = spx.index.intersection(vix.index)
        if len(dates) == 0:
            raise DataError("SPX and VIX share no trading day in the span", file=self.path,
                            expected="overlapping SPX and VIX histories")
        dates = pd.DatetimeIndex(dates, name="date")
        prov: dict[str, str] = {"source": f"store {self.path}"}
        log = self.imports()
        for nm in ("spx", "vix", *INDEX_COLUMNS, "vx", "breadth"):
            rows = log[log["kind"] == nm]
            if len(rows):
                prov[nm] = "; ".join(f"{r.path} (sha256 {r.sha256[:12]}, imported {r.imported_at:%Y-%m-%d})"
                                     for r in rows.itertuples())
        prov["alignment"] = (f"days with both SPX and VIX: {dates[0].date()}..{dates[-1].date()}; "
                             f"{len(spx) - len(dates)} SPX-only and {len(vix) - len(dates)} VIX-only day(s) "
                             "not used")
        indices = pd.DataFrame(index=dates)
        for nm in INDEX_COLUMNS:
            f = self.index_frame(nm, start, end)
            if not f.empty:
                indices[nm] = f["close"].reindex(dates)
        vx_long = self.vx_frame(dates[0], dates[-1])
        vx: VXPanel | None = None
        if len(vx_long):
            vx = VXPanel.from_long(vx_long, dates, source=f"store {self.path}")
            off = int((~vx_long["trade_date"].isin(dates)).sum())
            prov["vx"] = prov.get("vx", "") + (f"; {off} VX row(s) on CFE sessions that are not common SPX/VIX "
                                               "days (e.g. Good Friday 2015) are not in the panel" if off else "")
        else:
            prov["vx"] = "no VX futures data in the store for this span (vx is None)"
        b = self.conn.execute("SELECT * FROM breadth ORDER BY date").df()
        breadth = None
        if len(b):
            b["date"] = pd.to_datetime(b["date"]).astype("datetime64[ns]")
            breadth = b.set_index("date")[["advancing", "declining", "unchanged"]].reindex(dates)
        events: dict[str, pd.DatetimeIndex] = {}
        ev_notes = []
        for kind in ("fomc", "cpi", "ppi"):
            cal = load_event_calendar(kind)  # type: ignore[arg-type]
            events[kind] = cal.dates
            ev_notes.append(f"{kind}: shipped ({cal.provenance})")
        ev = self.conn.execute("SELECT kind, date FROM events ORDER BY kind, date").df()
        for kind, g in ev.groupby("kind"):
            user = pd.DatetimeIndex(pd.to_datetime(g["date"]).astype("datetime64[ns]"), name="date")
            events[str(kind)] = events.get(str(kind), pd.DatetimeIndex([], name="date")).union(user)
            ev_notes.append(f"{kind}: {len(user)} imported date(s) merged")
        prov["events"] = " | ".join(ev_notes)
        exog: dict[str, pd.Series] = {}
        rate_series = None
        for nm in self.series_names():
            s = self.series(nm, start, end)
            if nm == "rate":
                rate_series = self.series(nm, None, end)
            else:
                exog[nm] = s
        if rate is None and rate_series is not None:
            rate = rate_series
        rate_s, prov["rate"] = align_rate(rate, dates)
        return MarketFrame(dates=dates, spx=spx.loc[dates, ["open", "high", "low", "close"]],
                          vix=vix.loc[dates, ["open", "high", "low", "close"]], indices=indices, vx=vx,
                          rate=rate_s, events=events, breadth=breadth, exog=exog, provenance=prov)

    # ------------------------------------------------------------ info and check

    def summary(self, max_gap: int = DEFAULT_MAX_GAP) -> dict[str, Any]:
        """Spans, row counts and gaps of every stored table (before any alignment)."""
        out: dict[str, Any] = {"store": str(self.path), "series": {}, "max_gap": max_gap, "gaps": []}
        rows = self.conn.execute("SELECT series, min(date), max(date), count(*) FROM index_daily "
                                 "GROUP BY series ORDER BY series").fetchall()
        for nm, lo, hi, n in rows:
            out["series"][nm] = {"first": str(lo), "last": str(hi), "rows": int(n)}
            days = self.index_frame(nm).index.to_numpy().astype("datetime64[D]")
            out["gaps"] += _gaps(nm, days, "NYSE", max_gap)
        r = self.conn.execute("SELECT min(trade_date), max(trade_date), count(*), count(DISTINCT contract), "
                              "count(DISTINCT trade_date) FROM vx_daily").fetchone()
        if r[2]:
            out["series"]["vx"] = {"first": str(r[0]), "last": str(r[1]), "rows": int(r[2]),
                                   "contracts": int(r[3]), "days": int(r[4])}
            days = np.array(self.conn.execute("SELECT DISTINCT trade_date FROM vx_daily ORDER BY 1").df()
                            .iloc[:, 0].to_numpy(), dtype="datetime64[D]")
            out["gaps"] += _gaps("vx", days, "CFE", max_gap)
        r = self.conn.execute("SELECT min(date), max(date), count(*) FROM breadth").fetchone()
        if r[2]:
            out["series"]["breadth"] = {"first": str(r[0]), "last": str(r[1]), "rows": int(r[2])}
            days = np.array(self.conn.execute("SELECT date FROM breadth ORDER BY 1").df().iloc[:, 0].to_numpy(),
                            dtype="datetime64[D]")
            out["gaps"] += _gaps("breadth", days, "NYSE", max_gap)
        for nm, lo, hi, n in self.conn.execute("SELECT name, min(date), max(date), count(*) FROM series "
                                               "GROUP BY name ORDER BY name").fetchall():
            out["series"][f"series:{nm}"] = {"first": str(lo), "last": str(hi), "rows": int(n)}
        for kind, lo, hi, n in self.conn.execute("SELECT kind, min(date), max(date), count(*) FROM events "
                                                 "GROUP BY kind ORDER BY kind").fetchall():
            out["series"][f"events:{kind}"] = {"first": str(lo), "last": str(hi), "rows": int(n)}
        return out

    def check(self, max_gap: int = DEFAULT_MAX_GAP) -> dict[str, list[str]]:
        """Re-run every validation on the stored rows.

        Returns
        -------
        dict
            ``{"failures": [...], "warnings": [...]}``: failures are broken
            rules (missing/non-positive closes, OHLC order outside the
            documented exceptions, VX expiries off the Cboe rule, VX trade dates
            after expiry or off the CFE calendar, a MarketData that cannot be
            built); warnings are gaps longer than ``max_gap`` sessions.
        """
        failures: list[str] = []
        warnings: list[str] = []
        for nm in [r[0] for r in self.conn.execute("SELECT DISTINCT series FROM index_daily").fetchall()]:
            f = self.index_frame(nm)
            c = f["close"].to_numpy()
            if np.isnan(c).any() or (c <= 0).any():
                failures.append(f"{nm}: missing or non-positive close")
            full = f.dropna(subset=["high", "low"])
            days = full.index.to_numpy().astype("datetime64[D]")
            vals = {k: full[k].to_numpy() for k in ("open", "high", "low", "close")}
            exempt = imp._exempt_mask(nm, days, vals)
            bad = ~exempt & ((vals["low"] > vals["high"]) | (vals["close"] < vals["low"])
                             | (vals["close"] > vals["high"]))
            if bad.any():
                failures.append(f"{nm}: OHLC order broken on {int(bad.sum())} day(s), first {days[bad][0]}")
        vx = self.vx_frame()
        if len(vx):
            pairs = vx.drop_duplicates("contract")
            for code, exp in zip(pairs["contract"], pairs["expiry"], strict=True):
                try:
                    check_vx_expiry(str(code), exp.date(), file=self.path, column="expiry")
                except DataError as exc:
                    failures.append(f"vx: {exc}")
            if (vx["trade_date"] > vx["expiry"]).any():
                failures.append("vx: trade dates after expiry")
            if (vx["settle"].isna() | (vx["settle"] <= 0)).any():
                failures.append("vx: missing or non-positive settle")
            td = vx["trade_date"].to_numpy().astype("datetime64[D]")
            sessions = sessions_between(td.min(), td.max(), "CFE")
            if (~np.isin(td, sessions)).any():
                failures.append("vx: trade dates that are not CFE sessions")
        try:
            md = self.market_frame()
        except DataError as exc:
            warnings.append(f"MarketData: {exc}")
        else:
            if md.vx is not None:
                listed = ~np.isnan(md.vx.settle)
                if (md.vx.dte[listed] < 0).any():
                    failures.append("vx panel: settlement after expiry")
        warnings += [f"gap in {g['series']}: {g['missing_sessions']} session(s) missing between {g['after']} and "
                     f"{g['before']}" for g in self.summary(max_gap)["gaps"]]
        return {"failures": failures, "warnings": warnings}


def _gaps(name: str, days: np.ndarray, exchange: str, max_gap: int) -> list[dict[str, Any]]:
    if days.size < 2:
        return []
    sessions = sessions_between(days[0], days[-1], exchange)  # type: ignore[arg-type]
    return [{"series": name, "after": str(a), "before": str(b), "missing_sessions": n}
            for a, b, n in find_gaps(days, sessions, max_gap)]


def _span_sql(q: str, args: list[Any], col: str, start: object, end: object) -> tuple[str, list[Any]]:
    if start is not None:
        q += f" AND {col} >= ?"
        args.append(pd.Timestamp(start).date())
    if end is not None:
        q += f" AND {col} <= ?"
        args.append(pd.Timestamp(end).date())
    return q, args


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        fa, fb = float(a), float(b)
        if np.isnan(fa) and np.isnan(fb):
            return True
        return bool(abs(fa - fb) <= 1e-9 * max(1.0, abs(fa)))
    return bool(a == b)


def _fmt(v: Any) -> str:
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return str(v.date())
    return str(v)


def _plain(v: Any) -> Any:
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return str(v.date())
    if isinstance(v, dt.date):
        return str(v)
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    return v


def _conflict_error(report: ImportReport) -> DataError:
    first = report.conflicts[0]
    listing = "; ".join(str(c) for c in report.conflicts[:20])
    more = f" ... and {len(report.conflicts) - 20} more" if len(report.conflicts) > 20 else ""
    return DataError(f"{len(report.conflicts)} conflict(s) with stored data, nothing written: {listing}{more}",
                     file=first.file, column=first.column,
                     expected="the same values as stored (or --on-conflict keep/replace to choose)")
