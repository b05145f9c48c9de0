"""One-call public API: ``alvh.run(rules, market, start, end)`` -> a BacktestResult with its analysis.

Sits above analytics and results in the data flow (it only calls them), so nothing below imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported for the annotations only: ``import alvh`` and the CLI stay light
    import pandas as pd

    from alvh.market import VXModelParams


def run(rules=None, market=None, start: object = None, end: object = None, *,  # noqa: ANN001, ANN201
        analysis: bool = True, exog: Sequence[str] | pd.DataFrame | None = None,
        vx_params: VXModelParams | None = None):
    """Run the rules on market data and attach :func:`alvh.analytics.analyze`'s :class:`HedgeAnalysis`.

    Parameters
    ----------
    rules : alvh.config.Rules, optional
        Default: the shipped 4/4/2 rules (:func:`alvh.config.default_rules`).
    market : alvh.data.MarketData, optional
        Default: the embedded default data (:meth:`MarketData.default`).
    start, end : date-like, optional
        Inclusive span of the backtest (the analysis may read the market history before ``start``
        to warm up its regime indicators).
    analysis : bool
        Attach the analysis (default); False returns the engine's result only.
    exog : sequence of str or DataFrame, optional
        Extra regressors of the rolling betas (see :func:`alvh.analytics.analyze`).
    vx_params : alvh.market.VXModelParams, optional
        VX curve model parameters, e.g. ``VXModelParams.load(path)`` of a file written by
        ``alvh market fit-vx``: the model VX curve (when the data has no VX settlements), the
        VIX-option vol and dF/dVIX. Default: the shipped fit (``VXModelParams.default()``).

    Returns
    -------
    BacktestResult
        ``result.analysis`` holds the :class:`~alvh.analytics.HedgeAnalysis`; ``result.summary_dict()``
        carries its figures under ``"analysis"``.

    Examples
    --------
    >>> import alvh
    >>> res = alvh.run(start="2016-01-01", end="2017-06-30")          # doctest: +SKIP
    >>> res.summary_dict()["analysis"]["drag"]["total_drag_bp_per_month"]  # doctest: +SKIP
    """
    from alvh.analytics import analyze
    from alvh.config import default_rules
    from alvh.data import MarketData
    from alvh.engine import run_backtest

    r = rules if rules is not None else default_rules()
    md = market if market is not None else MarketData.default()
    if vx_params is None:
        result = run_backtest(r, md, start, end)
    else:
        from dataclasses import replace

        from alvh.engine import paths_from_market_data, run_engine

        paths = paths_from_market_data(md, start, end, params=vx_params)
        src = vx_params.provenance.get("data_span", "no data span recorded")
        paths = replace(paths, provenance={**paths.provenance, "vx_model": (
            f"VXModelParams given by the caller (kappa_s {vx_params.kappa_s:.4f}, kappa_l {vx_params.kappa_l:.4f}, "
            f"theta {vx_params.theta:.3f}; fitted on {src})")})
        result = run_engine(r, paths)
    if not analysis:
        return result
    return result.with_analysis(analyze(result, md, r, exog=exog))
