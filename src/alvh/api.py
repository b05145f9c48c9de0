"""One-call public API: ``alvh.run(rules, market, start, end)`` -> a BacktestResult with its analysis.

Sits above analytics and results in the data flow (it only calls them), so nothing below imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported for the annotations only: ``import alvh`` and the CLI stay light
    import pandas as pd

    from alvh.market import VXModelParams


def run(  # noqa: ANN201
    rules=None,  # noqa: ANN001
    market=None,  # noqa: ANN001
    start: object = None,
    end: object = None,
    *,
    analysis: bool = True,
    exog: Sequence[str] | pd.DataFrame | None = None,
    vx_params: VXModelParams | None = None,
    regime_exog: Sequence[str] | None = None,
    core_alone: bool | None = None,
):
    """Run the rules on market data and attach :func:`alvh.analytics.analyze`'s :class:`HedgeAnalysis`.

    Parameters
    ----------
    rules : alvh.config.Rules, optional
        Default: the shipped 4/4/2 rules (:func:`alvh.config.default_rules`).
    market : alvh.data.MarketData, optional
        Default: :func:`alvh.data.source.resolve_data_source` (``ALVH_DATA_DIR``, else the user data
        home when it holds a store, else the embedded default :meth:`MarketData.default`).
    start, end : date-like, optional
        Inclusive span of the backtest (the analysis may read the market history before ``start``
        to warm up its regime indicators).
    analysis : bool
        Attach the analysis (default); False returns the engine's result only.
    exog : sequence of str or DataFrame, optional
        Extra regressors of the rolling betas (see :func:`alvh.analytics.analyze`); default the rules'
        ``[analysis] exog`` names (series in ``market.exog``).
    regime_exog : sequence of str, optional
        Series in ``market.exog`` used as regime inputs (regime ``exog_NAME``, high / low against its
        trailing 252-day median); default the rules' ``[analysis] regime_exog``.
    vx_params : alvh.market.VXModelParams, optional
        VX curve model parameters, e.g. ``VXModelParams.load(path)`` of a file written by
        ``alvh market fit-vx``: the model VX curve (when the data has no VX settlements), the
        VIX-option vol and dF/dVIX. Default: the shipped fit (``VXModelParams.default()``).
    core_alone : bool, optional
        Run the core alone as its own book in the same engine call (one more path slot: every layer at
        weight 0, the core sized on its own NAV; ``result.core_alone_nav``), the book "what the hedge
        bought" compares core + layers with (docs/drag.md). Default: whenever the rules allow it (hedge
        layers, no constant-maturity mix); False measures against the core's P&L inside the hedged book.

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
    from alvh.data.source import resolve_data_source
    from alvh.engine import run_backtest

    r = rules if rules is not None else default_rules()
    md = market if market is not None else resolve_data_source().load()
    if exog is None and r.analysis.exog:
        exog = list(r.analysis.exog)  # the rules file's [analysis] exog
    if regime_exog is None:
        regime_exog = list(r.analysis.regime_exog)
    if analysis:
        check_series(md, exog, regime_exog)  # a misspelled name fails before the engine runs
    if core_alone is None:
        from alvh.engine.simulate import standalone_core_possible

        core_alone = standalone_core_possible(r)
    if vx_params is None:
        result = run_backtest(r, md, start, end, core_alone=core_alone)
    else:
        from dataclasses import replace

        from alvh.engine import paths_from_market_data, run_engine

        paths = paths_from_market_data(md, start, end, params=vx_params)
        src = vx_params.provenance.get("data_span", "no data span recorded")
        paths = replace(
            paths,
            provenance={
                **paths.provenance,
                "vx_model": (
                    f"VXModelParams given by the caller (kappa_s {vx_params.kappa_s:.4f}, "
                    f"kappa_l {vx_params.kappa_l:.4f}, "
                    f"theta {vx_params.theta:.3f}; fitted on {src})"
                ),
            },
        )
        result = run_engine(r, paths, core_alone=core_alone)
    check_traded(result, r)
    if not analysis:
        return result
    return result.with_analysis(analyze(result, md, r, exog=exog, regime_exog=regime_exog))


def check_series(market, exog, regime_exog) -> None:  # noqa: ANN001
    """Refuse, before any computation, exogenous series names the market data does not hold."""
    from alvh.errors import InputError

    have = sorted(getattr(market, "exog", {}) or {})
    for key, names in (("analysis.exog", exog), ("analysis.regime_exog", regime_exog)):
        if names is None or hasattr(names, "columns"):  # a DataFrame of regressors is checked by analyze
            continue
        unknown = [n for n in names if n not in have]
        if unknown:
            raise InputError(
                f"no exogenous series {unknown} in the market data",
                argument=key,
                expected=f"names of series imported with 'alvh data import series FILE --name NAME': {have}",
            )


def check_traded(result, rules) -> None:  # noqa: ANN001
    """Refuse a run in which the rules could not trade at all (e.g. capital too small for one contract).

    Checked on the engine's records before any analysis: zero trades while the core or a layer is
    enabled. The message counts the days on which each sized to zero contracts (the engine's
    ``core_size_zero`` / ``layer_size_zero.*`` events) and names ``general.capital``.
    """
    from alvh.errors import ConfigError

    if len(result.trades) or not (rules.core.enabled or rules.layers):
        return
    log = result.event_log
    counts = log.groupby("event")["count"].sum() if len(log) else {}
    zero = {k: int(v) for k, v in dict(counts).items() if "size_zero" in str(k)}
    span = f"{result.dates[0].date()}..{result.dates[-1].date()}" if len(result.dates) else "the span"
    detail = ", ".join(f"{k} on {v} day(s)" for k, v in sorted(zero.items())) or "no entry signal"
    raise ConfigError(
        f"the rules never traded in {span} ({detail}): capital ${rules.general.capital:,.0f} is too "
        "small for one contract",
        key="general.capital",
        expected="enough capital for one condor / one contract per layer (or general.contracts = 'fractional')",
    )
