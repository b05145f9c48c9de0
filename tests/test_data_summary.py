"""``alvh data info`` without pandas: :mod:`alvh.data.summary` against its references.

``market_overview`` (DuckDB + numpy) must give the figures of :meth:`MarketFrame.info` (the aligned
MarketData, the reference) and ``store_summary`` those of a per-series pandas read of the store (how
``Store.summary`` read it before); both on the real store, and on small stores without VX or without VIX.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alvh.data.frame import DEFAULT_MAX_GAP
from alvh.data.plausible import sessions_clipped
from alvh.data.store import Store
from alvh.data.summary import find_gaps, market_overview, store_summary


def _reference_summary(store: Store, max_gap: int) -> dict:
    """The store's spans and gaps read series by series into pandas (the summary before it used DuckDB only)."""
    out: dict = {"series": {}, "gaps": []}

    def gaps(name: str, days: np.ndarray, exchange: str) -> None:
        if days.size >= 2:
            ses = sessions_clipped(days[0], days[-1], exchange)
            out["gaps"] += [
                {"series": name, "after": str(a), "before": str(b), "missing_sessions": n}
                for a, b, n in find_gaps(days, ses, max_gap)
            ]

    for (nm,) in store.conn.execute("SELECT DISTINCT series FROM index_daily ORDER BY 1").fetchall():
        days = store.index_frame(nm).index.to_numpy().astype("datetime64[D]")
        out["series"][nm] = {"first": str(days[0]), "last": str(days[-1]), "rows": len(days)}
        gaps(nm, days, "NYSE")
    vx = store.vx_frame()
    if len(vx):
        days = np.unique(vx["trade_date"].to_numpy().astype("datetime64[D]"))
        out["series"]["vx"] = {
            "first": str(days[0]),
            "last": str(days[-1]),
            "rows": len(vx),
            "contracts": int(vx["contract"].nunique()),
            "days": len(days),
        }
        gaps("vx", days, "CFE")
    b = store.conn.execute("SELECT date FROM breadth ORDER BY 1").df()
    if len(b):
        days = b["date"].to_numpy().astype("datetime64[D]")
        out["series"]["breadth"] = {"first": str(days[0]), "last": str(days[-1]), "rows": len(days)}
        gaps("breadth", days, "NYSE")
    return out


def _check(folder: Path, max_gap: int = DEFAULT_MAX_GAP) -> None:
    with Store.open(folder, read_only=True) as store:
        fast = store_summary(store.conn, store.path, max_gap)
        ref = _reference_summary(store, max_gap)
        assert fast["gaps"] == ref["gaps"]
        for nm, row in ref["series"].items():
            assert fast["series"][nm] == row, nm
        info = store.market_frame().info(max_gap)
        over = market_overview(store.conn, store.path)
    for key in ("span", "trading_days", "vx", "contango_share_by_year"):
        assert over[key] == info[key], key


def test_the_real_store(real_store_dir: Path) -> None:
    _check(real_store_dir)
    _check(real_store_dir, max_gap=1)


@pytest.mark.parametrize("kinds", [("spx", "vix"), ("spx", "vix", "vx")])
def test_small_stores(tmp_path: Path, shared_data: Path, kinds: tuple[str, ...]) -> None:
    from conftest import REAL_IMPORTS

    with Store.open(tmp_path) as store:
        for kind, rel, label in REAL_IMPORTS:
            if kind in kinds:
                store.import_files(kind, [shared_data / rel], name=label)
    _check(tmp_path)


def test_no_vix_is_the_frames_error(tmp_path: Path, shared_data: Path) -> None:
    from conftest import REAL_IMPORTS

    with Store.open(tmp_path) as store:
        kind, rel, label = next(r for r in REAL_IMPORTS if r[0] == "spx")
        store.import_files(kind, [shared_data / rel], name=label)
    with Store.open(tmp_path, read_only=True) as store:
        with pytest.raises(Exception) as ref:
            store.market_frame()
        with pytest.raises(type(ref.value)) as fast:
            market_overview(store.conn, store.path)
    assert str(fast.value) == str(ref.value)


def test_data_info_imports_no_pandas_pyarrow_scipy_numba(real_store_dir: Path) -> None:
    code = (
        "import sys; from alvh.cli import run; rc = run(['data', 'info', '--data-dir', sys.argv[1]]); "
        "heavy = sorted({'pandas', 'pyarrow', 'scipy', 'numba'} & set(sys.modules)); "
        "print('HEAVY', heavy or 'none'); sys.exit(rc)"
    )
    r = subprocess.run([sys.executable, "-c", code, str(real_store_dir)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("HEAVY none"), r.stdout[-200:]
    assert "aligned trading days (SPX and VIX)" in r.stdout and "VX contango share" in r.stdout
