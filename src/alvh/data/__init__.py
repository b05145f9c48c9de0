"""Market data: strict importers, the local DuckDB store, and :class:`MarketData`.

``MarketData.default()`` needs no download (datasets bundled in ``arch``);
``MarketData.from_store()`` reads what ``alvh data import`` stored. See
docs/data.md for every source format and validation.
"""

from alvh.data.frame import DEFAULT_MAX_GAP, DEFAULT_RATE, INDEX_COLUMNS, MarketFrame, align_rate
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
from alvh.data.market_data import MarketData
from alvh.data.store import KINDS, Conflict, ImportReport, Store, default_data_dir
from alvh.data.vxpanel import VXPanel

__all__ = [
    "DEFAULT_MAX_GAP",
    "DEFAULT_RATE",
    "INDEX_COLUMNS",
    "INDEX_NAMES",
    "KINDS",
    "KNOWN_BAD_SETTLES",
    "PUBLISHED_EXCEPTIONS",
    "VX_FRAME_COLUMNS",
    "VX_RESCALE_DATE",
    "Conflict",
    "ImportReport",
    "MarketData",
    "MarketFrame",
    "Store",
    "VXPanel",
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
