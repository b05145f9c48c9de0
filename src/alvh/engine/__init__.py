"""The backtest engine: prepare -> simulate (one loop over days, arrays over paths and slots) -> records.

``run_backtest(rules, market_data)`` for history; ``run_engine(rules, paths)`` for any
:class:`MarketPaths` (a historical backtest is the one-path case).
"""

from alvh.engine.inputs import MarketPaths, paths_from_market_data, synthetic_paths
from alvh.engine.records import InstrumentKind, PositionRecords, SlotInfo
from alvh.engine.simulate import prepare, run_engine


def run_backtest(rules, market_data, start=None, end=None):  # noqa: ANN001, ANN201
    """Run ``rules`` (:class:`alvh.config.Rules`) on :class:`alvh.data.MarketData`; returns a BacktestResult."""
    return run_engine(rules, paths_from_market_data(market_data, start, end))


__all__ = ["InstrumentKind", "MarketPaths", "PositionRecords", "SlotInfo", "paths_from_market_data", "prepare",
           "run_backtest", "run_engine", "synthetic_paths"]
