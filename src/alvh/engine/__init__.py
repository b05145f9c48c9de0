"""The backtest engine: prepare -> the day loop (named stages, arrays over paths and slots) -> construct.

``run_backtest(rules, market_data)`` for history; ``run_engine(rules, paths)`` for any
:class:`MarketPaths` (a historical backtest is the one-path case; simulated paths come from
:mod:`alvh.simulate`). Stages and the order of a day: :mod:`alvh.engine.simulate`, docs/engine.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alvh.engine.inputs import MarketPaths, paths_from_market_data
from alvh.engine.records import InstrumentKind, PositionRecords, SlotInfo
from alvh.engine.simulate import prepare, run_engine

if TYPE_CHECKING:
    from alvh.config import Rules
    from alvh.data import MarketData
    from alvh.results import BacktestResult


def run_backtest(
    rules: Rules, market_data: MarketData, start: object = None, end: object = None, *, core_alone: bool = False
) -> BacktestResult:
    """Run ``rules`` (:class:`alvh.config.Rules`) on :class:`alvh.data.MarketData`; returns a BacktestResult.

    ``core_alone``: also run the core alone as its own book in the same engine call (``run_engine``).
    """
    return run_engine(rules, paths_from_market_data(market_data, start, end), core_alone=core_alone)


__all__ = [
    "InstrumentKind",
    "MarketPaths",
    "PositionRecords",
    "SlotInfo",
    "paths_from_market_data",
    "prepare",
    "run_backtest",
    "run_engine",
]
