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
    paths = paths_from_market_data(market_data, start, end)
    return carry_dfdvix(run_engine(rules, paths, core_alone=core_alone), paths)


def carry_dfdvix(result: BacktestResult, paths: MarketPaths) -> BacktestResult:
    """``result`` with the paths' expanding dF/dVIX estimate (real VX data) as ``result.dfdvix``, so the
    analysis reads the engine's estimate instead of fitting it again (unchanged on the model curve). The
    estimate is carried without its warm-up model (a closure over the run's VX parameters, which would
    stop a result from pickling); the analysis uses its own fallback
    (:func:`alvh.analytics.sensitivity.records_sensitivity`)."""
    from dataclasses import replace

    from alvh.market.vx_sensitivity import ExpandingDfdvix

    est = paths.sensitivity
    if not isinstance(est, ExpandingDfdvix):
        return result
    return replace(
        result, dfdvix=replace(est, model=None)
    )  # no closure: a result pickles  # no closure: results pickle


__all__ = [
    "InstrumentKind",
    "carry_dfdvix",
    "MarketPaths",
    "PositionRecords",
    "SlotInfo",
    "paths_from_market_data",
    "prepare",
    "run_backtest",
    "run_engine",
]
