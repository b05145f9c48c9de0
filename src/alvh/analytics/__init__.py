"""Analytics on the engine's output, split by job (docs/analytics.md, docs/drag.md).

Attribution (exact daily P&L per layer): ``attribution`` (the result and its driver), its kernels
``_attribution_kernels`` (closed forms, the fused numba pass) and its input checks ``_attribution_checks``.
Other kernels (per day, path, slot): ``exposure`` (effective vega, decay curves), ``sensitivity`` (dF/dVIX without
look-ahead). Results: ``hedge_cost`` (the headline cost, its decomposition, what the hedge buys,
the intervals), ``drag`` (the labelled spot-VIX diagnostic), ``regimes``, ``steward``.
Wiring: ``analysis`` (:func:`analyze` -> :class:`HedgeAnalysis`, from a backtest result). The
analysis' text rendering lives in :mod:`alvh.analytics.text`; documents built from results
(the terminal screen, next the HTML report) in :mod:`alvh.report`.
"""

from alvh.analytics.analysis import HedgeAnalysis, analyze

__all__ = ["HedgeAnalysis", "analyze"]
