"""The store's names and its connection, without pandas: what ``alvh data info`` needs to open it.

:mod:`alvh.data.store` (the store proper: imports, reads into pandas, checks) builds on this module;
:mod:`alvh.data.summary` reads the store's spans and gaps with DuckDB and numpy only. Importing pandas
costs ~0.3 s of a process's start (docs/cli.md, "Start-up and whole-process time").
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import duckdb

from alvh.errors import DataError

DB_NAME: Final[str] = "alvh.duckdb"
SCHEMA_VERSION: Final[str] = "2"
ENV_VAR: Final[str] = "ALVH_DATA_DIR"

#: Index series the store holds in ``index_daily`` (``alvh data import KIND`` for each).
INDEX_NAMES: Final[tuple[str, ...]] = ("spx", "vix", "vix9d", "vix3m", "vix6m", "vvix", "skew")

#: ``alvh data import KIND``: every kind the store accepts.
KINDS: Final[tuple[str, ...]] = (*INDEX_NAMES, "vx", "breadth", "events", "series", "rate")

#: Seconds :meth:`Store.open` waits for a store locked by another process (``--lock-timeout``).
DEFAULT_LOCK_TIMEOUT: Final[float] = 30.0

#: Default largest tolerated run of missing NYSE sessions before a gap is reported.
DEFAULT_MAX_GAP: Final[int] = 5

#: Longest run of calendar days between two rate observations accepted by :func:`read_rate` (and carried
#: forward to a run day by :func:`alvh.engine.paths_from_market_data`). DTB3 1990-2026 never goes more than
#: 4 days without a value (Friday to Tuesday over a Monday holiday; the 2001-09-11/12 closure is 3), so a
#: week without one is a hole in the file, not a holiday. ``alvh data import rate --max-gap-days N``.
RATE_MAX_GAP_DAYS: Final[int] = 7


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


def open_db(
    data_dir: str | Path | None,
    *,
    read_only: bool,
    lock_timeout: float,
    on_wait: Callable[[str], None] | None,
    schema: Sequence[str] = (),
) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """Connect to the store in ``data_dir`` (see :meth:`alvh.data.store.Store.open`): (connection, database path).

    Writable: creates the folder and runs ``schema`` (``CREATE TABLE IF NOT EXISTS ...``); read-only: the
    database must exist and carry this :data:`SCHEMA_VERSION`.
    """
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    db = folder / DB_NAME
    if folder.exists() and not folder.is_dir():
        raise DataError("the store folder is a file", file=folder, expected="a folder for the store")
    if read_only and not db.is_file():
        raise DataError(
            "no market-data store here yet", file=db, expected="an import first: alvh data import KIND PATH"
        )
    if not read_only:
        folder.mkdir(parents=True, exist_ok=True)
    conn = _connect(db, read_only, lock_timeout, on_wait)
    try:
        ver = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except duckdb.Error:
        ver = None
    if ver is not None and ver[0] != SCHEMA_VERSION:
        conn.close()
        raise DataError(
            f"a store of schema {ver[0]}; this alvh reads schema {SCHEMA_VERSION} (import ids)",
            file=db,
            expected="a store written by this alvh version: move the file aside and re-import your files",
        )
    if not read_only:
        for stmt in schema:
            conn.execute(stmt)
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    elif ver is None:
        conn.close()
        raise DataError(
            f"not an alvh store of schema {SCHEMA_VERSION}",
            file=db,
            expected="a store written by this alvh version",
        )
    return conn, db


def _connect(
    db: Path, read_only: bool, lock_timeout: float, on_wait: Callable[[str], None] | None
) -> duckdb.DuckDBPyConnection:
    """Connect, waiting up to ``lock_timeout`` s (polling every 0.2 s) while another process holds the lock."""
    deadline = time.monotonic() + max(0.0, lock_timeout)
    told = False
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as exc:
            locked = "lock" in str(exc).lower()
            if not locked:
                raise DataError(f"cannot open the store ({exc})", file=db, expected="an alvh DuckDB store") from None
            if time.monotonic() >= deadline:
                raise DataError(
                    f"the store is locked by another process and was not released within {lock_timeout:g} s",
                    file=db,
                    expected="the other alvh command to finish (or a larger --lock-timeout)",
                ) from None
            if not told and on_wait is not None:
                on_wait(
                    f"store {db} is in use by another process; waiting up to {lock_timeout:g} s (--lock-timeout) ..."
                )
                told = True
            time.sleep(0.2)
        except duckdb.Error as exc:
            raise DataError(f"cannot open the store ({exc})", file=db, expected="an alvh DuckDB store") from None
