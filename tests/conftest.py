"""Shared test fixtures.

Real market data is read at run time from ``../shared/data`` beside the
checkout (CI lays it there too); ``ALVH_SHARED_DATA`` overrides the location.
It is never copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a CI failure can be replayed, and a green
# run stays green); HYPOTHESIS_PROFILE=explore draws fresh random examples when hunting for bugs.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("ALVH_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the real public market data (../shared/data)."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"real market data not found at {path}; set ALVH_SHARED_DATA")
    return path


@pytest.fixture(autouse=True)
def _private_user_data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user data home ($XDG_DATA_HOME/alvh): a store there would become
    every later run's default data (alvh.data.source). Tests that want a store set ALVH_DATA_DIR."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data-home")))
    monkeypatch.delenv("ALVH_DATA_DIR", raising=False)


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, private alvh data directory (the DuckDB store lives here)."""
    path = tmp_path / "alvh-data"
    monkeypatch.setenv("ALVH_DATA_DIR", str(path))
    return path


#: Real shared files imported by ``real_store_dir`` (kind, path under ../shared/data, events label).
REAL_IMPORTS: tuple[tuple[str, str, str | None], ...] = (
    ("spx", "spx/SPX_daily.csv", None),
    ("vix", "vix_index/VIX_History.csv", None),
    ("vix9d", "vix_index/VIX9D_History.csv", None),
    ("vix3m", "vix_index/VIX3M_History.csv", None),
    ("vix6m", "vix_index/VIX6M_History.csv", None),
    ("vvix", "vix_index/VVIX_History.csv", None),
    ("skew", "vix_index/SKEW_History.csv", None),
    ("vx", "vix_futures/vx_contracts_daily_2004_2025.csv.gz", None),
    ("breadth", "breadth/nyse_adv_decl_unch_daily.csv", None),
    ("events", "calendars/cpi_release_dates_2015_2026.csv", "cpi"),
)


@pytest.fixture(scope="session")
def real_store_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private alvh store holding every real shared series (imported once per session, ~4 s).

    SPX 1927-2026, VIX 1990-2026, VIX9D/3M/6M, VVIX, SKEW, VX 2004-2025 (44k rows),
    NYSE breadth and the shared CPI release dates. Treat it as read-only.
    """
    from alvh.data.store import Store

    path = tmp_path_factory.mktemp("alvh-real-store")
    with Store.open(path) as store:
        for kind, rel, label in REAL_IMPORTS:
            store.import_files(kind, [shared_data / rel], name=label)
    return path


@pytest.fixture(scope="session")
def real_market_data(real_store_dir: Path):  # -> alvh.data.MarketData
    """``MarketData.from_store`` over the real shared data (1990-2026, VX 2004-2025); read-only, shared."""
    from alvh.data import MarketData

    return MarketData.from_store(real_store_dir)
