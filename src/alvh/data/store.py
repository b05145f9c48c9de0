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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import duckdb
import numpy as np
import pandas as pd

from alvh.calendar import EventCalendar, check_vx_expiry, load_event_calendar
from alvh.data import importers as imp
from alvh.data import plausible as pl
from alvh.data._db import DB_NAME as DB_NAME  # re-exported: the names of the store live in alvh.data._db
from alvh.data._db import DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_GAP, KINDS, open_db
from alvh.data._db import ENV_VAR as ENV_VAR
from alvh.data._db import SCHEMA_VERSION as SCHEMA_VERSION
from alvh.data._db import default_data_dir as default_data_dir
from alvh.data.frame import INDEX_COLUMNS, MarketFrame, align_rate, rate_age
from alvh.data.summary import NO_VX, no_common_day_error, no_index_error, store_summary
from alvh.data.vxpanel import VXPanel
from alvh.errors import DataError, InputError

OnConflict = Literal["error", "keep", "replace"]

_DATA_TABLES: Final[dict[str, str]] = {
    "index_daily": """series VARCHAR, date DATE, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE""",
    "vx_daily": """trade_date DATE, contract VARCHAR, expiry DATE, open DOUBLE, high DOUBLE, low DOUBLE,
       close DOUBLE, settle DOUBLE, volume DOUBLE, open_interest DOUBLE""",
    "breadth": "date DATE, advancing DOUBLE, declining DOUBLE, unchanged DOUBLE",
    "events": "kind VARCHAR, date DATE",
    "series": "name VARCHAR, date DATE, value DOUBLE",
}
_KEYS: Final[dict[str, str]] = {
    "index_daily": "series, date",
    "vx_daily": "trade_date, contract",
    "breadth": "date",
    "events": "kind, date",
    "series": "name, date",
}

# Every data row carries the id of the import that wrote it; a row an import replaced is kept in
# <table>_replaced with the id of the import that replaced it, so that removing that import restores it.
_SCHEMA: Final[list[str]] = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    *(
        f"CREATE TABLE IF NOT EXISTS {t} ({cols}, import_id INTEGER, PRIMARY KEY ({_KEYS[t]}))"
        for t, cols in _DATA_TABLES.items()
    ),
    *(
        f"CREATE TABLE IF NOT EXISTS {t}_replaced ({cols}, import_id INTEGER, replaced_by INTEGER)"
        for t, cols in _DATA_TABLES.items()
    ),
    """CREATE TABLE IF NOT EXISTS imports (id INTEGER PRIMARY KEY, kind VARCHAR, name VARCHAR, paths VARCHAR,
       sha256 VARCHAR, rows_in BIGINT, rows_new BIGINT, rows_same BIGINT, rows_conflict BIGINT,
       rows_replaced BIGINT, on_conflict VARCHAR, notes VARCHAR, imported_at TIMESTAMP)""",
]


@dataclass(frozen=True)
class _Table:
    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    text_values: tuple[str, ...] = ()


_TABLES: Final[dict[str, _Table]] = {
    "index": _Table("index_daily", ("series", "date"), ("open", "high", "low", "close")),
    "vx": _Table(
        "vx_daily",
        ("trade_date", "contract"),
        ("expiry", "open", "high", "low", "close", "settle", "volume", "open_interest"),
        text_values=("expiry",),
    ),
    "breadth": _Table("breadth", ("date",), ("advancing", "declining", "unchanged")),
    "events": _Table("events", ("kind", "date"), ()),
    "series": _Table("series", ("name", "date"), ("value",)),
    "rate": _Table("series", ("name", "date"), ("value",)),
}


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
    import_id: int | None = None

    @property
    def changed(self) -> bool:
        """Whether the store was modified."""
        return self.rows_new > 0 or (self.on_conflict == "replace" and bool(self.conflicts))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "files": self.files,
            "rows_in": self.rows_in,
            "rows_new": self.rows_new,
            "rows_same": self.rows_same,
            "conflicts": [str(c) for c in self.conflicts],
            "on_conflict": self.on_conflict,
            "changed": self.changed,
            "notes": self.notes,
            "import_id": self.import_id,
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_for_kind(
    kind: str,
    path: str | Path,
    *,
    name: str | None = None,
    percent: bool = False,
    max_gap_days: int = imp.RATE_MAX_GAP_DAYS,
) -> pd.DataFrame:
    """Parse one file for ``kind`` into the store's row layout (validated; raises DataError).

    ``percent`` and ``max_gap_days`` are for ``rate``: a plain ``date,value`` file in percent (FRED discount
    series are always percent and converted) and the longest gap between observations accepted (see
    :func:`alvh.data.importers.read_rate`).
    """
    p = Path(path)
    if name is not None:
        problem = pl.check_name(name)
        if problem is not None:
            raise InputError(problem, argument="--name", expected="a printable label like 'fomc' or 'eurusd'")
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
    elif kind == "rate":
        if name not in (None, "rate"):
            raise InputError(
                f"a rate is stored as 'rate', not {name!r}",
                argument="--name",
                expected="no --name (or 'rate') for kind rate; use kind series for other names",
            )
        s = imp.read_rate(p, percent=percent, max_gap_days=max_gap_days)
        out = pd.DataFrame({"name": "rate", "date": s.index.to_numpy(), "value": s.to_numpy()})
        out.attrs["notes"] = list(s.attrs.get("notes", []))
        return out
    elif kind == "series":
        s = imp.read_series(p, name)
        out = pd.DataFrame({"name": s.name, "date": s.index.to_numpy(), "value": s.to_numpy()})
        out.attrs["notes"] = list(s.attrs.get("notes", []))
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
    def open(
        cls,
        data_dir: str | Path | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        on_wait: Callable[[str], None] | None = None,
    ) -> Store:
        """Open (creating when writable) the store in ``data_dir`` (default :func:`default_data_dir`).

        Parameters
        ----------
        lock_timeout : float
            Seconds to wait while another process holds the store's lock (DuckDB allows one writer,
            or any number of readers); ``0`` fails at once.
        on_wait : callable, optional
            Called once with a message when the store is locked and the wait begins (the CLI prints it).

        Raises
        ------
        DataError
            ``read_only`` and no store exists there yet, the file is not an alvh store of this
            schema, or the lock was not released within ``lock_timeout`` seconds.
        """
        conn, db = open_db(data_dir, read_only=read_only, lock_timeout=lock_timeout, on_wait=on_wait, schema=_SCHEMA)
        return cls(conn, db, read_only)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ import

    def import_files(
        self,
        kind: str,
        paths: list[str | Path],
        *,
        name: str | None = None,
        on_conflict: OnConflict = "error",
        percent: bool = False,
        max_gap_days: int = imp.RATE_MAX_GAP_DAYS,
    ) -> ImportReport:
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
        percent : bool
            ``rate`` only: a plain ``date,value`` file holds percent.
        max_gap_days : int
            ``rate`` only: most calendar days allowed between two observations.

        Returns
        -------
        ImportReport
            With ``import_id`` set when the store changed (:meth:`remove` undoes it).

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
            f = parse_for_kind(kind, p, name=name, percent=percent, max_gap_days=max_gap_days)
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
                report.conflicts.append(
                    Conflict(
                        table.name,
                        {k: _fmt(row[k]) for k in keys},
                        col,
                        _plain(row[f"{col}_ref"]),
                        _plain(row[col]),
                        f"{row['_file_ref']} vs {row['_file']}",
                    )
                )
        if report.conflicts and report.on_conflict == "error":
            raise _conflict_error(report, self.path.parent)
        keep = "last" if report.on_conflict == "replace" else "first"
        return incoming.drop_duplicates(keys, keep=keep).reset_index(drop=True)

    def _write(
        self,
        incoming: pd.DataFrame,
        table: _Table,
        kind: str,
        report: ImportReport,
        paths: list[Path],
        name: str | None,
    ) -> None:
        con = self.conn
        cols = [*table.keys, *table.values]
        data = incoming[cols + ["_file"]].copy()
        for c in data.columns:
            if c in ("date", "trade_date", "expiry"):
                data[c] = pd.to_datetime(data[c]).dt.date
        import_id = int(_one(con.execute("SELECT coalesce(max(id), 0) + 1 FROM imports"))[0])
        con.register("incoming_df", data)
        try:
            join = " AND ".join(f"t.{k} = i.{k}" for k in table.keys)
            exists = int(_one(con.execute(f"SELECT count(*) FROM incoming_df i JOIN {table.name} t ON {join}"))[0])
            for col in table.values:
                if col in table.text_values:
                    differ = f"t.{col} IS DISTINCT FROM i.{col}"
                else:
                    differ = (
                        f"NOT ((t.{col} IS NULL AND i.{col} IS NULL) OR "
                        f"abs(t.{col} - i.{col}) <= 1e-9 * greatest(1.0, abs(t.{col})))"
                    )
                rows = con.execute(
                    f"SELECT {', '.join('i.' + k for k in table.keys)}, t.{col}, i.{col}, i._file "
                    f"FROM incoming_df i JOIN {table.name} t ON {join} WHERE {differ} "
                    f"ORDER BY {', '.join('i.' + k for k in table.keys)}"
                ).fetchall()
                nk = len(table.keys)
                for r in rows:
                    report.conflicts.append(
                        Conflict(
                            table.name,
                            {k: _fmt(v) for k, v in zip(table.keys, r[:nk], strict=True)},
                            col,
                            _plain(r[nk]),
                            _plain(r[nk + 1]),
                            str(r[nk + 2]),
                        )
                    )
            if report.conflicts and report.on_conflict == "error":
                raise _conflict_error(report, self.path.parent)
            conflict_keys = {tuple(c.key.items()) for c in report.conflicts if c.table == table.name}
            con.execute(
                f"INSERT INTO {table.name} SELECT {', '.join('i.' + c for c in cols)}, {import_id} "
                f"FROM incoming_df i WHERE NOT EXISTS (SELECT 1 FROM {table.name} t WHERE {join})"
            )
            report.rows_new = len(data) - exists
            report.rows_same = exists - len(conflict_keys)
            n_replaced = 0
            if report.on_conflict == "replace" and report.conflicts and table.values:
                # keep what is overwritten, so that removing this import restores it
                differ_any = " OR ".join(
                    f"t.{c} IS DISTINCT FROM i.{c}"
                    if c in table.text_values
                    else f"NOT ((t.{c} IS NULL AND i.{c} IS NULL) OR "
                    f"abs(t.{c} - i.{c}) <= 1e-9 * greatest(1.0, abs(t.{c})))"
                    for c in table.values
                )
                all_cols = ", ".join(f"t.{c}" for c in [*cols, "import_id"])
                con.execute(
                    f"INSERT INTO {table.name}_replaced SELECT {all_cols}, {import_id} FROM {table.name} t "
                    f"JOIN incoming_df i ON {join} WHERE {differ_any}"
                )
                n_replaced = int(
                    _one(con.execute(f"SELECT count(*) FROM {table.name}_replaced WHERE replaced_by = {import_id}"))[0]
                )
                sets = ", ".join(f"{c} = i.{c}" for c in table.values)
                con.execute(
                    f"UPDATE {table.name} t SET {sets}, import_id = {import_id} FROM incoming_df i "
                    f"WHERE {join} AND ({differ_any})"
                )
            if report.changed:
                label = name or (kind if kind in imp.INDEX_NAMES or kind == "rate" else None)
                con.execute(
                    "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        import_id,
                        kind,
                        label,
                        json.dumps([str(p.resolve()) for p in paths]),
                        json.dumps([_sha256(p) for p in paths]),
                        report.rows_in,
                        report.rows_new,
                        report.rows_same,
                        len(report.conflicts),
                        n_replaced,
                        report.on_conflict,
                        json.dumps(report.notes),
                        dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    ],
                )
                report.import_id = import_id
        finally:
            con.unregister("incoming_df")

    # ------------------------------------------------------------ history and undo

    def history(self) -> list[dict[str, Any]]:
        """Every import still in the store, oldest first: id, kind, name, files, row counts, when."""
        out = []
        for r in self.conn.execute(
            "SELECT id, kind, name, paths, sha256, rows_in, rows_new, rows_same, "
            "rows_conflict, rows_replaced, on_conflict, imported_at FROM imports "
            "ORDER BY id"
        ).fetchall():
            out.append(
                {
                    "id": int(r[0]),
                    "kind": r[1],
                    "name": r[2],
                    "files": json.loads(r[3]),
                    "sha256": json.loads(r[4]),
                    "rows_in": int(r[5]),
                    "rows_new": int(r[6]),
                    "rows_same": int(r[7]),
                    "rows_conflict": int(r[8]),
                    "rows_replaced": int(r[9]),
                    "on_conflict": r[10],
                    "imported_at": str(r[11])[:19],
                    "rows_now": self._rows_owned(int(r[0])),
                }
            )
        return out

    def _rows_owned(self, import_id: int) -> int:
        return sum(
            int(_one(self.conn.execute(f"SELECT count(*) FROM {t} WHERE import_id = ?", [import_id]))[0])
            for t in _DATA_TABLES
        )

    def remove(self, import_id: int) -> dict[str, int]:
        """Undo one import: delete the rows it wrote and restore the rows it replaced.

        Rows that the import found already stored (identical) belong to the earlier import and stay.
        Rows it replaced come back with their earlier import id. A row it wrote that a later import
        replaced is gone with it (the later import's value stays); the copy the later import kept of it
        is dropped, since restoring it would bring back the removed import.

        Returns
        -------
        dict
            ``{"removed": rows deleted, "restored": rows restored}``.

        Raises
        ------
        DataError
            No import with that id.
        """
        if self.read_only:
            raise InputError("store opened read-only", argument="read_only", expected="a writable store")
        known = [int(r[0]) for r in self.conn.execute("SELECT id FROM imports ORDER BY id").fetchall()]
        if import_id not in known:
            raise DataError(
                f"no import with id {import_id}",
                file=self.path,
                column="id",
                expected=f"one of {known} (alvh data history)" if known else "an import id (the store has none)",
            )
        removed = restored = 0
        self.conn.execute("BEGIN TRANSACTION")
        try:
            for t, cols in _DATA_TABLES.items():
                names = ", ".join(c.split()[0] for c in cols.replace("\n", " ").split(",")) + ", import_id"
                removed += int(_one(self.conn.execute(f"SELECT count(*) FROM {t} WHERE import_id = ?", [import_id]))[0])
                self.conn.execute(f"DELETE FROM {t} WHERE import_id = ?", [import_id])
                restored += int(
                    _one(self.conn.execute(f"SELECT count(*) FROM {t}_replaced WHERE replaced_by = ?", [import_id]))[0]
                )
                self.conn.execute(
                    f"INSERT INTO {t} SELECT {names} FROM {t}_replaced WHERE replaced_by = ?", [import_id]
                )
                self.conn.execute(
                    f"DELETE FROM {t}_replaced WHERE replaced_by = ? OR import_id = ?", [import_id, import_id]
                )
            self.conn.execute("DELETE FROM imports WHERE id = ?", [import_id])
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return {"removed": removed, "restored": restored}

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

    def market_frame(
        self, start: object = None, end: object = None, rate: float | pd.Series | None = None
    ) -> MarketFrame:
        """Build a :class:`MarketFrame` from the store (see :meth:`MarketData.from_store`)."""
        spx = self.index_frame("spx", start, end)
        vix = self.index_frame("vix", start, end)
        for nm, f in (("spx", spx), ("vix", vix)):
            if f.empty:
                raise no_index_error(self.path, nm)
        dates = spx.index.intersection(vix.index)
        if len(dates) == 0:
            raise no_common_day_error(self.path)
        dates = pd.DatetimeIndex(dates, name="date")
        prov: dict[str, str] = {"source": f"store {self.path}"}
        log = self.imports()
        for nm in ("spx", "vix", *INDEX_COLUMNS, "vx", "breadth"):
            rows = log[log["kind"] == nm]
            if len(rows):
                prov[nm] = "; ".join(
                    f"import {r.id}: {path} (sha256 {sha[:12]}, imported {r.imported_at:%Y-%m-%d})"
                    for r in rows.itertuples()
                    for path, sha in zip(json.loads(r.paths), json.loads(r.sha256), strict=True)
                )
        prov["alignment"] = (
            f"days with both SPX and VIX: {dates[0].date()}..{dates[-1].date()}; "
            f"{len(spx) - len(dates)} SPX-only and {len(vix) - len(dates)} VIX-only day(s) "
            "not used"
        )
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
            prov["vx"] = prov.get("vx", "") + (
                f"; {off} VX row(s) on CFE sessions that are not common SPX/VIX "
                "days (e.g. Good Friday 2015) are not in the panel"
                if off
                else ""
            )
        else:
            prov["vx"] = NO_VX
        b = self.conn.execute("SELECT * FROM breadth ORDER BY date").df()
        breadth = None
        if len(b):
            b["date"] = pd.to_datetime(b["date"]).astype("datetime64[ns]")
            breadth = b.set_index("date")[["advancing", "declining", "unchanged"]].reindex(dates)
        events, known, ev_notes = self._events()
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
        return MarketFrame(
            dates=dates,
            spx=spx.loc[dates, ["open", "high", "low", "close"]],
            vix=vix.loc[dates, ["open", "high", "low", "close"]],
            indices=indices,
            vx=vx,
            rate=rate_s,
            rate_age=rate_age(rate, dates),
            events=events,
            breadth=breadth,
            exog=exog,
            provenance=prov,
            event_known=known,
        )

    def _events(
        self,
    ) -> tuple[dict[str, pd.DatetimeIndex], dict[str, tuple[dt.date | None, dt.date | None] | None], list[str]]:
        """Shipped calendars merged with imported dates: dates, known spans, provenance notes."""
        events: dict[str, pd.DatetimeIndex] = {}
        ev_notes: list[str] = []
        known: dict[str, tuple[dt.date | None, dt.date | None] | None] = {}
        cals: dict[str, EventCalendar] = {}
        for kind in ("fomc", "cpi", "ppi"):
            cal = load_event_calendar(kind)
            cals[kind] = cal
            ev_notes.append(f"{kind}: shipped ({cal.provenance})")
        ev = self.conn.execute("SELECT kind, date FROM events ORDER BY kind, date").df()
        for kind, g in ev.groupby("kind"):
            user = pd.DatetimeIndex(pd.to_datetime(g["date"]).astype("datetime64[ns]"), name="date")
            k = str(kind)
            mine = EventCalendar(k, user, "imported", user[0].date(), user[-1].date())
            if k in cals and not cals[k].is_empty:
                try:
                    cals[k] = cals[k].merge(mine)
                except InputError:  # spans with a gap: keep the dates, claim only the shipped span
                    cals[k] = EventCalendar(
                        k, cals[k].dates.union(user), cals[k].provenance, cals[k].known_from, cals[k].known_to
                    )
                    ev_notes.append(
                        f"{k}: imported dates leave a gap with the shipped span; known span kept "
                        f"{cals[k].known_from}..{cals[k].known_to}"
                    )
            else:
                cals[k] = mine
            ev_notes.append(f"{kind}: {len(user)} imported date(s) merged")
        for k, cal in cals.items():
            events[k] = cal.dates
            known[k] = (cal.known_from, cal.known_to) if cal.known_from is not None else None
        return events, known, ev_notes

    # ------------------------------------------------------------ info and check

    def summary(self, max_gap: int = DEFAULT_MAX_GAP) -> dict[str, Any]:
        """Spans, row counts and gaps of every stored table, before any alignment (:mod:`alvh.data.summary`)."""
        return store_summary(self.conn, self.path, max_gap)

    def check(self, max_gap: int = DEFAULT_MAX_GAP) -> dict[str, list[str]]:
        """Re-run every validation on the stored rows, naming each offending row and its import.

        Returns
        -------
        dict
            ``{"failures": [...], "warnings": [...]}``. Failures: the importers' plausibility checks
            (:mod:`alvh.data.plausible`: ranges, sessions, date windows, counts) on every stored
            series, missing/non-positive closes, OHLC order outside the documented exceptions, VX
            expiries off the Cboe rule, VX trade dates after expiry or off the CFE calendar, a
            MarketFrame that cannot be built. Warnings: suspicious one-day jumps and gaps longer than
            ``max_gap`` sessions. Each names the series, the date and ``import N``
            (``alvh data remove N`` undoes it).
        """
        failures: list[str] = []
        warnings: list[str] = []

        def add(findings: list[pl.Finding], ids: np.ndarray) -> None:
            for f in findings:
                text = f"{f} [import {int(ids[f.index])}]" if ids.size else str(f)
                (failures if f.level == "error" else warnings).append(text)

        for nm in [r[0] for r in self.conn.execute("SELECT DISTINCT series FROM index_daily ORDER BY 1").fetchall()]:
            self._check_index(nm, failures, add)
        self._check_vx(failures, add)
        b = self._table_rows("breadth", "true", [], "date")
        if len(b):
            days = b["date"].to_numpy().astype("datetime64[D]")
            ids = b["import_id"].to_numpy()
            findings = pl.check_window("breadth", days, "date") + pl.check_sessions("breadth", days, "date")[0]
            for col in ("advancing", "declining", "unchanged"):
                v = b[col].to_numpy(dtype=float)
                findings += pl.check_range("breadth", days, v, col) + pl.check_counts("breadth", days, v, col)
            add(findings, ids)
        for nm in self.series_names():
            sr = self._table_rows("series", "name = ?", [nm], "date")
            days = sr["date"].to_numpy().astype("datetime64[D]")
            findings = pl.check_window("series", days, "date")
            if nm == "rate":
                findings += pl.check_range("rate", days, sr["value"].to_numpy(dtype=float), "value")
            add(
                [
                    pl.Finding(f.level, f"series:{nm}", f.index, f.date, f.column, f.message, f.expected)
                    for f in findings
                ],
                sr["import_id"].to_numpy(),
            )
        ev = self._table_rows("events", "true", [], "kind, date")
        for kind, g in ev.groupby("kind"):
            days = g["date"].to_numpy().astype("datetime64[D]")
            bad_name = pl.check_name(str(kind))
            if bad_name:
                failures.append(f"events: {bad_name} [import {int(g['import_id'].iloc[0])}]")
            add(
                [
                    pl.Finding(f.level, f"events:{kind}", f.index, f.date, f.column, f.message, f.expected)
                    for f in pl.check_window("events", days, "date")
                ],
                g["import_id"].to_numpy(),
            )
        try:
            md = self.market_frame()
        except (DataError, InputError) as exc:
            warnings.append(f"MarketFrame: {exc}")
        else:
            if md.vx is not None:
                listed = ~np.isnan(md.vx.settle)
                if (md.vx.dte[listed] < 0).any():
                    failures.append("vx panel: settlement after expiry")
        warnings += [
            f"gap in {g['series']}: {g['missing_sessions']} session(s) missing between {g['after']} and {g['before']}"
            for g in self.summary(max_gap)["gaps"]
        ]
        return {"failures": failures, "warnings": warnings}

    def _check_index(self, nm: str, failures: list[str], add: Callable[[list[pl.Finding], np.ndarray], None]) -> None:
        f = self._table_rows("index_daily", "series = ?", [nm], "date")
        days = f["date"].to_numpy().astype("datetime64[D]")
        ids = f["import_id"].to_numpy()
        cols = {k: f[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close")}
        findings = pl.check_window(nm, days, "date")
        for key in ("close", "high", "low", "open"):
            findings += pl.check_range(nm, days, cols[key], key, upper_only=key == "open", floors=key == "close")
        ses, _off = pl.check_sessions(nm, days, "date", "NYSE")
        findings += ses
        findings += pl.check_jumps(nm, days, cols["close"], "close")
        add(findings, ids)
        c = cols["close"]
        if np.isnan(c).any() or (c <= 0).any():
            i = int(np.argmax(np.isnan(c) | (c <= 0)))
            failures.append(f"{nm} on {days[i]}: missing or non-positive close [import {int(ids[i])}]")
        full = ~np.isnan(cols["high"]) & ~np.isnan(cols["low"])
        exempt = imp._exempt_mask(nm, days, cols)
        bad = full & ~exempt & ((cols["low"] > cols["high"]) | (c < cols["low"]) | (c > cols["high"]))
        if bad.any():
            i = int(np.argmax(bad))
            failures.append(
                f"{nm}: OHLC order broken on {int(bad.sum())} day(s), first {days[i]} [import {int(ids[i])}]"
            )

    def _table_rows(self, table: str, where: str, args: list[Any], order: str) -> pd.DataFrame:
        df = self.conn.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY {order}", args).df()
        for c in ("date", "trade_date", "expiry"):
            if c in df.columns:
                df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
        return df

    def _check_vx(self, failures: list[str], add: Callable[[list[pl.Finding], np.ndarray], None]) -> None:
        vx = self._table_rows("vx_daily", "true", [], "trade_date, expiry")
        if not len(vx):
            return
        td = vx["trade_date"].to_numpy().astype("datetime64[D]")
        ids = vx["import_id"].to_numpy()
        settle = vx["settle"].to_numpy(dtype=float)
        findings = pl.check_window("vx", td, "trade_date") + pl.check_range("vx", td, settle, "settle")
        for col in ("volume", "open_interest"):
            findings += pl.check_counts("vx", td, vx[col].to_numpy(dtype=float), col)
        add(findings, ids)
        pairs = vx.drop_duplicates("contract")
        for code, exp in zip(pairs["contract"], pairs["expiry"], strict=True):
            try:
                check_vx_expiry(str(code), exp.date(), file=self.path, column="expiry")
            except DataError as exc:
                failures.append(f"vx: {exc}")
        after = (vx["trade_date"] > vx["expiry"]).to_numpy()
        if after.any():
            i = int(np.argmax(after))
            failures.append(f"vx: trade date {td[i]} after the expiry of {vx['contract'].iloc[i]} [import {ids[i]}]")
        bad = np.isnan(settle) | (settle <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            failures.append(f"vx on {td[i]}: missing or non-positive settle [import {ids[i]}]")
        sessions = pl.sessions_clipped(td.min(), td.max(), "CFE")
        off = ~np.isin(td, sessions)
        if off.any():
            i = int(np.argmax(off))
            failures.append(f"vx on {td[i]}: {pl.closed_reason(td[i], 'CFE')}, not a CFE session [import {ids[i]}]")


def _span_sql(q: str, args: list[Any], col: str, start: object, end: object) -> tuple[str, list[Any]]:
    if start is not None:
        q += f" AND {col} >= ?"
        args.append(pd.Timestamp(start).date())
    if end is not None:
        q += f" AND {col} <= ?"
        args.append(pd.Timestamp(end).date())
    return q, args


def _one(cur: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    rows = cur.fetchall()  # fetch to the end: DuckDB refuses other work on a half-read result
    if not rows:  # pragma: no cover - aggregate queries always return a row
        raise DataError("the store returned no row for an aggregate query", expected="a DuckDB result row")
    return tuple(rows[0])


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


#: Conflicts shown in a message or on screen; the rest go to a CSV (:func:`write_conflicts_csv`).
CONFLICTS_SHOWN: Final[int] = 10


def format_conflicts(conflicts: list[Conflict], limit: int = CONFLICTS_SHOWN) -> str:
    """The first ``limit`` conflicts as an aligned text table (key columns, column, stored, new, file)."""
    shown = conflicts[:limit]
    keys = list(shown[0].key) if shown else []
    header = [*keys, "column", "stored", "new", "file"]
    rows = [
        [*(c.key[k] for k in keys), c.column, _cell(c.stored), _cell(c.new), Path(c.file.split(" vs ")[-1]).name]
        for c in shown
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    return "\n".join("  " + ln for ln in lines)


def _cell(v: Any) -> str:
    return "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))


def write_conflicts_csv(conflicts: list[Conflict], folder: Path) -> Path:
    """Every conflict as CSV in ``folder/conflicts/conflicts-<UTC time>.csv``; returns the path."""
    out = folder / "conflicts"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = out / f"conflicts-{stamp}.csv"
    rows = [
        {
            "table": c.table,
            **{f"key_{k}": v for k, v in c.key.items()},
            "column": c.column,
            "stored": c.stored,
            "new": c.new,
            "file": c.file,
        }
        for c in conflicts
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _conflict_error(report: ImportReport, folder: Path | None = None) -> DataError:
    first = report.conflicts[0]
    n = len(report.conflicts)
    table = format_conflicts(report.conflicts)
    more = ""
    if n > CONFLICTS_SHOWN:
        more = f"\n  ... and {n - CONFLICTS_SHOWN} more"
        if folder is not None:
            more += f"; all {n} in {write_conflicts_csv(report.conflicts, folder)}"
    # the error's one column only when every conflict is in it: "column 'open': 4 conflict(s)" for
    # open/high/low/close read as four conflicts in open
    columns = list(dict.fromkeys(c.column for c in report.conflicts))
    where = f" in columns {', '.join(columns)}" if len(columns) > 1 else ""
    return DataError(
        f"{n} conflict(s){where} with stored data, nothing written:\n{table}{more}\n",
        file=first.file,
        column=first.column if len(columns) == 1 else None,
        expected="the same values as stored (or --on-conflict keep/replace to choose)",
    )
