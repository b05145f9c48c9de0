"""Shared test fixtures.

Real market data is read at run time from ``../shared/data`` beside the
checkout (CI lays it there too); ``ALVH_SHARED_DATA`` overrides the location.
It is never copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, private alvh data directory (the DuckDB store lives here)."""
    path = tmp_path / "alvh-data"
    monkeypatch.setenv("ALVH_DATA_DIR", str(path))
    return path
