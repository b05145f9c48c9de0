"""Analytics on the engine's output: attribution, drag, exposure, regimes, steward figures.

:func:`analyze` is the one entry point from a backtest result to everything issue 5 reports
(:class:`HedgeAnalysis`); the modules hold the parts (docs/drag.md, docs/analytics.md).
"""

from alvh.analytics.report import HedgeAnalysis, analyze

__all__ = ["HedgeAnalysis", "analyze"]
