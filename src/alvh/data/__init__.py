"""Market data: strict importers, the local DuckDB store, and :class:`MarketData`.

``MarketData.default()`` needs no download (datasets bundled in ``arch``);
``MarketData.from_store()`` reads what ``alvh data import`` stored. See
docs/data.md for every source format and validation.

The names below are imported from their modules on first use (PEP 562): ``alvh.data._db`` and
``alvh.data.summary`` (what ``alvh data info`` needs) import no pandas, and importing them must not
import the rest of the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alvh.data.frame import (
        DEFAULT_MAX_GAP,
        DEFAULT_RATE,
        INDEX_COLUMNS,
        MarketFrame,
        align_rate,
    )
    from alvh.data.importers import (
        INDEX_NAMES,
        KNOWN_BAD_SETTLES,
        PUBLISHED_EXCEPTIONS,
        VX_FRAME_COLUMNS,
        VX_RESCALE_DATE,
        read_breadth,
        read_events,
        read_index_csv,
        read_rate,
        read_series,
        read_spx_csv,
        read_vx,
        read_vx_cboe,
        read_vx_cfe_legacy,
        read_vx_long,
    )
    from alvh.data.market_data import (
        MarketData,
    )
    from alvh.data.store import (
        KINDS,
        Conflict,
        ImportReport,
        Store,
        default_data_dir,
    )
    from alvh.data.vxpanel import (
        VXPanel,
    )

#: public name -> the module that defines it
_WHERE: dict[str, str] = {
    "DEFAULT_MAX_GAP": "alvh.data.frame",
    "DEFAULT_RATE": "alvh.data.frame",
    "INDEX_COLUMNS": "alvh.data.frame",
    "MarketFrame": "alvh.data.frame",
    "align_rate": "alvh.data.frame",
    "INDEX_NAMES": "alvh.data.importers",
    "KNOWN_BAD_SETTLES": "alvh.data.importers",
    "PUBLISHED_EXCEPTIONS": "alvh.data.importers",
    "VX_FRAME_COLUMNS": "alvh.data.importers",
    "VX_RESCALE_DATE": "alvh.data.importers",
    "read_breadth": "alvh.data.importers",
    "read_events": "alvh.data.importers",
    "read_index_csv": "alvh.data.importers",
    "read_rate": "alvh.data.importers",
    "read_series": "alvh.data.importers",
    "read_spx_csv": "alvh.data.importers",
    "read_vx": "alvh.data.importers",
    "read_vx_cboe": "alvh.data.importers",
    "read_vx_cfe_legacy": "alvh.data.importers",
    "read_vx_long": "alvh.data.importers",
    "MarketData": "alvh.data.market_data",
    "KINDS": "alvh.data.store",
    "Conflict": "alvh.data.store",
    "ImportReport": "alvh.data.store",
    "Store": "alvh.data.store",
    "default_data_dir": "alvh.data.store",
    "VXPanel": "alvh.data.vxpanel",
}

__all__ = [
    "Conflict",
    "DEFAULT_MAX_GAP",
    "DEFAULT_RATE",
    "INDEX_COLUMNS",
    "INDEX_NAMES",
    "ImportReport",
    "KINDS",
    "KNOWN_BAD_SETTLES",
    "MarketData",
    "MarketFrame",
    "PUBLISHED_EXCEPTIONS",
    "Store",
    "VXPanel",
    "VX_FRAME_COLUMNS",
    "VX_RESCALE_DATE",
    "align_rate",
    "default_data_dir",
    "read_breadth",
    "read_events",
    "read_index_csv",
    "read_rate",
    "read_series",
    "read_spx_csv",
    "read_vx",
    "read_vx_cboe",
    "read_vx_cfe_legacy",
    "read_vx_long",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'alvh.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
