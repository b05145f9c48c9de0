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
    from alvh.engine import carry_dfdvix, paths_from_market_data, run_engine

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
        paths = paths_from_market_data(md, start, end)
    else:
        from dataclasses import replace

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
    check_can_trade(r, paths)  # capital too small for one contract on every day: refused before the day loop
    result = carry_dfdvix(run_engine(r, paths, core_alone=core_alone), paths)
    check_traded(result, r)  # the backstop: the engine's own count of trades
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


def check_can_trade(rules, paths) -> None:  # noqa: ANN001
    """Refuse, before the engine's day loop, rules that cannot open one contract on any day of the span.

    A bound, not a simulation: while nothing has traded the sizing capital is at most ``general.capital``
    grown by the interest on cash (positive rates only). With that capital

    * the core opens no condor on a day where ``core.max_loss_fraction x capital < max loss x 100`` for the
      condor the rules would open that day (its strikes, smile vols and credit priced as the engine's
      entry does: :mod:`alvh.strategy.legs`); the days scanned are the core's entry days, stopping at the
      first one on which a condor fits;
    * a layer sized on notional (``sizing = "notional"``, ``sizing.basis = "capital"``) opens no contract
      while ``weight x (largest adaptive scale) x capital / (multiplier x cheapest VX price of the span)``
      rounds to 0 (``general.contracts``).

    Anything else (premium or effective-vega sizing, core-vega basis, constant maturity, fractional
    contracts) may trade and is left to the engine; :func:`check_traded` is the backstop after the run.
    Raises :class:`~alvh.errors.ConfigError` naming ``general.capital`` and the capital each part needs.
    """
    import numpy as np

    from alvh.errors import ConfigError
    from alvh.pricing.units import DAYS_PER_YEAR

    g = rules.general
    weights = [la for la in rules.layers if la.weight > 0]
    if g.contracts == "fractional" or rules.constant_maturity.enabled or not (rules.core.enabled or weights):
        return
    if weights and (rules.sizing.basis != "capital" or any(la.sizing != "notional" for la in weights)):
        return
    n = len(paths.dates)
    d_ord = paths.dates.values.astype("datetime64[D]").astype(np.int64)
    rates = np.asarray(paths.rate, float) if g.rate_source == "data" else np.full(n, float(g.constant_rate))
    growth = np.ones(n)  # the most the sizing capital can have grown by each day while nothing traded
    if g.interest_on_cash and g.sizing_capital == "nav" and n > 1:
        growth[1:] = np.exp(np.cumsum(np.maximum(rates[:-1], 0.0) * np.diff(d_ord) / DAYS_PER_YEAR))
    growth *= 1.0 + 1e-9  # a hair above: the engine's NAV sums in another order
    needs: list[str] = []  # the initial capital each part needs for one contract (what the error tells)
    for part in (_core_need, _layers_need):
        need = part(rules, paths, weights, rates, growth, d_ord)
        if need is None:
            return  # this part can open a contract (or the capital is not what stops it)
        if need:
            needs.append(need)
    span = f"{paths.dates[0].date()}..{paths.dates[-1].date()}"
    raise ConfigError(
        f"the rules cannot open one contract on any day of {span}: capital ${g.capital:,.0f} is too small for one "
        f"contract; {'; '.join(needs)}",
        key="general.capital",
        expected="a larger general.capital, larger core.max_loss_fraction or layers.weight, "
        "or general.contracts = 'fractional'",
    )


def _layers_need(rules, paths, weights, rates, growth, d_ord) -> str | None:  # noqa: ANN001
    """'' without layers; None if a notional-sized layer can open a contract; else what each one needs."""
    import numpy as np

    from alvh.strategy.costs import VIX_OPTION_MULTIPLIER, VX_MULTIPLIER

    if not weights:
        return ""
    vx = np.asarray(paths.vx_price, float)
    vx = vx[np.isfinite(vx) & (vx > 0)]
    if vx.size == 0:
        return None  # no VX price at all: the engine says why nothing traded
    one = 1.0 if rules.general.contracts == "whole" else 0.5  # the target that rounds to one contract
    ad = rules.adaptive
    total = sum(la.weight for la in rules.layers)
    scale = max(1.0, max(s.weight for s in ad.schedule) / total) if ad.enabled and ad.schedule else 1.0
    parts = []
    for la in weights:
        mult = VX_MULTIPLIER if la.instrument == "vx_future" else VIX_OPTION_MULTIPLIER
        need = one * mult * float(vx.min()) / (la.weight * scale * float(growth.max()))
        if need <= rules.general.capital:
            return None
        parts.append(f"{la.name!r} (weight {la.weight:g}) ${need:,.0f}")
    return (
        f"the layers need {', '.join(parts)} ({one:g} contract at the span's cheapest VX price "
        f"{vx.min():.2f}{', at the largest adaptive scale' if scale > 1 else ''})"
    )


def _core_need(rules, paths, weights, rates, growth, d_ord) -> str | None:  # noqa: ANN001
    """'' without a core; None if a condor fits on an entry day (or none is valid); else what it needs."""
    import datetime as dt

    import numpy as np

    from alvh.calendar import spx_expiries_between
    from alvh.pricing.units import DAYS_PER_YEAR
    from alvh.strategy import kernels
    from alvh.strategy.costs import SPX_MULTIPLIER
    from alvh.strategy.legs import (
        LEG_IS_CALL,
        entry_expiry,
        invalid_condor,
        max_loss_per_condor,
        net_credit,
        select_strikes,
    )

    core = rules.core
    if not core.enabled:
        return ""
    n = len(paths.dates)
    # the SPX monthly expiries (the engine's prepare: spx_expiries_between) far enough ahead for every entry
    # (the next one, or the one nearest target_dte), and the trading day each settles on: the third-Friday
    # entry days (the engine's core_entry_days)
    exp = spx_expiries_between(paths.dates[0], paths.dates[-1] + dt.timedelta(days=core.target_dte + 70))
    exp_ord = exp.astype(np.int64)
    settle_day = np.searchsorted(d_ord, exp_ord, side="left")
    days = np.unique(settle_day[settle_day < n]) if core.entry == "third_friday" else np.arange(n)
    best: tuple[float, int] | None = None
    q = core.dividend_yield
    for d in days.tolist():  # a loop over days, as core_rules._entry prices its entry, until a condor fits
        expiry = entry_expiry(core, exp_ord, int(d_ord[d]))
        if expiry is None:
            continue
        t = (expiry - int(d_ord[d])) / DAYS_PER_YEAR
        spot = np.asarray(paths.spx_close[d, :1], float)
        sday = paths.surface.day(d)
        choice = select_strikes(core, spot, t, np.full(1, rates[d]), lambda k, tt: np.asarray(sday.iv(k, tt)))  # noqa: B023
        with np.errstate(divide="ignore", invalid="ignore"):
            kk = np.log(choice.strikes / (spot * np.exp((rates[d] - q) * t))[:, None])
        ok_k = np.isfinite(kk)
        vol = np.where(ok_k, np.asarray(sday.iv(np.where(ok_k, kk, 0.0), t)), np.nan)
        px = kernels.bsm_greeks(spot[:, None], choice.strikes, t, vol, rates[d], q, LEG_IS_CALL[None, :]).price
        credit = net_credit(px)
        ml = max_loss_per_condor(choice.strikes, credit)
        if invalid_condor(choice, credit, ml, vol)[0]:
            continue
        need = float(ml[0]) * SPX_MULTIPLIER / core.max_loss_fraction / growth[d]
        if need <= rules.general.capital:
            return None
        if best is None or need < best[0]:
            best = (need, d)
    if best is None:
        return None  # no valid condor on any entry day: not a capital question (the engine's events say why)
    return (
        f"the core needs ${best[0]:,.0f} (one condor's max loss x {SPX_MULTIPLIER:g} / core.max_loss_fraction "
        f"{core.max_loss_fraction:g} on its cheapest entry day, {paths.dates[best[1]].date()})"
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
