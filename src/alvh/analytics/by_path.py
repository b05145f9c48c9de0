"""The hedge cost and what it bought, per path: for a sweep's batch (one rule variant per path slot).

:func:`analyze` reports one historical path; a sweep runs many variants of the rules on one history in
one engine call (:mod:`alvh.strategy.axis`) and needs the same figures for each path. This module wires
the same steps as :func:`alvh.analytics.analyze` (attribution with the engine's costs and financing,
dF/dVIX without look-ahead, effective vega, :func:`alvh.analytics.hedge_cost.hedge_cost`) on a
multi-path result, and returns what :func:`alvh.analytics.hedge_cost.what_it_buys` computes as one
value per path instead of the mean over paths (the same formulas: monthly returns in % of the initial
capital, the 95% expected shortfall of monthly returns, the maximum drawdown, the core's worst months).

The kernels are fixed to ``backend="numba"`` (the attribution's compiled pass and the effective vega) so
a path's figures do not depend on how many paths share its call (``"auto"`` switches on the batch size).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from alvh.analytics.analysis import _by_group, _group_costs, _nav_prev, _run_rows, _sensitivity
from alvh.analytics.attribution import attribute, slot_groups
from alvh.analytics.drag import layer_instruments
from alvh.analytics.exposure import effective_vega
from alvh.analytics.hedge_cost import (
    N_WORST,
    TERMS,
    HedgeCost,
    _max_drawdown_pct,
    _monthly_returns,
    core_and_hedged_usd,
    expected_shortfall,
    hedge_cost,
    month_bounds,
)

__all__ = ["protection_by_path", "result_hedge_cost", "take_path"]

#: Trading days a month needs to count among the core's worst months (as what_it_buys: full months only).
MIN_FULL_MONTH_DAYS = 15


def result_hedge_cost(  # noqa: ANN201
    result,  # noqa: ANN001
    market,  # noqa: ANN001
    *,
    basis: str = "initial",
    backend: str = "numba",
    core_alone_nav: np.ndarray | None = None,
) -> HedgeCost:
    """The :class:`HedgeCost` of every path of ``result`` (run on ``market``'s history), as analyze() builds it;
    ``core_alone_nav`` (n_days, n_paths): each path's standalone core (else ``result.core_alone_nav``, else
    none: the core inside each path's book)."""
    rows = _run_rows(result, market)
    vix = market.vix["close"].to_numpy(dtype=float)[rows]
    sens, _ = _sensitivity(result, market, rows, [])
    groups, _ = slot_groups(result.records)
    nav_prev = _nav_prev(result)
    att = attribute(
        result.records,
        capital=nav_prev,
        cost_pnl=_group_costs(result, groups),
        financing_pnl=result.financing,
        interest_pnl=_by_group(result, "interest", groups),
        group_financing_pnl=_by_group(result, "hedge_financing", groups),
        trust_marks=True,
        backend=backend,
    )
    layers = [g for g in att.groups if g in result.components[1:]]
    ev = effective_vega(result.records, sens, backend=backend)
    return hedge_cost(
        att,
        ev.per_group,
        dates=result.dates,
        vix=vix,
        capital=float(result.capital),
        basis=basis,
        nav_prev=nav_prev,
        instruments=layer_instruments(result.records, layers),
        backend=backend,
        core_alone_nav=core_alone_nav if core_alone_nav is not None else result.core_alone_nav,
    )


def take_path(hc: HedgeCost, p: int) -> HedgeCost:
    """Path ``p`` of ``hc`` alone, as contiguous one-path arrays.

    numpy sums a one-column array pairwise and a many-column one row by row, so reductions over days
    of a path read from a wide batch could differ in the last bit from the same path run alone; scored
    one path at a time, a variant's figures do not depend on the variants sharing its engine call.
    """
    day_path = ("basis_usd", "dvix", "core_vega", "core_vol_pnl", "core_total_usd", "other_usd")
    kw: dict[str, Any] = {k: np.ascontiguousarray(getattr(hc, k)[:, p : p + 1]) for k in day_path}
    kw["total_usd"] = np.ascontiguousarray(hc.total_usd[:, p : p + 1])
    kw["effective_vega"] = np.ascontiguousarray(hc.effective_vega[:, p : p + 1])
    kw["pnl_usd"] = np.ascontiguousarray(hc.pnl_usd[:, :, p : p + 1])
    if hc.core_alone_usd is not None:  # the standalone core's daily P&L, when the run has one
        kw["core_alone_usd"] = np.ascontiguousarray(hc.core_alone_usd[:, p : p + 1])
    return replace(hc, **kw)


def protection_by_path(hc: HedgeCost) -> dict[str, np.ndarray]:
    """Per path (arrays of shape (n_paths,)): the hedge cost in bp of the basis per month (total and each
    term of :data:`TERMS` and each layer), the core alone and core + layers (monthly vol, worst month,
    95% ES, maximum drawdown, in % of the initial capital), their reductions, and the core's and the
    layers' bp in the core's ten worst full months. The core alone is the standalone core (its own book,
    :attr:`HedgeCost.core_alone_usd`) when it was run, else the core inside the hedged book, as
    :func:`alvh.analytics.hedge_cost.what_it_buys` (:func:`~alvh.analytics.hedge_cost.core_and_hedged_usd`)."""
    cap = hc.initial_capital
    core, hedged = core_and_hedged_usd(hc)
    months, _, counts = month_bounds(hc.dates)
    n_m = len(months)
    terms, total = hc.path_sums_bp()
    m_eq = hc.month_equivalents  # per month = run total / (trading days / 21), as the backtest's headline
    out: dict[str, np.ndarray] = {"hedge_cost_bp_per_month": total.sum(axis=-1) / m_eq}
    for i, t in enumerate(TERMS):
        out[f"hedge_cost_{t}_bp_per_month"] = terms[i].sum(axis=-1) / m_eq
    for j, layer in enumerate(hc.layers):
        out[f"hedge_cost_{layer}_bp_per_month"] = total[:, j] / m_eq
    for name, daily in (("core", core), ("hedged", hedged)):
        m = _monthly_returns(daily, hc.dates, cap)
        out[f"{name}_monthly_vol_pct"] = np.std(m, axis=0, ddof=1) if n_m > 1 else np.full(hc.n_paths, np.nan)
        out[f"{name}_worst_month_pct"] = m.min(axis=0)
        out[f"{name}_es95_monthly_pct"] = expected_shortfall(m)
        out[f"{name}_max_drawdown_pct"] = _max_drawdown_pct(daily, cap)
    # drawdowns and ES are negative: a positive reduction means the layers made them smaller
    out["max_drawdown_reduction_pp"] = out["hedged_max_drawdown_pct"] - out["core_max_drawdown_pct"]
    out["es95_reduction_pp"] = out["hedged_es95_monthly_pct"] - out["core_es95_monthly_pct"]
    core_m = _monthly_returns(core, hc.dates, cap) * 100.0  # bp
    lay_m = _monthly_returns(hc.total_usd.sum(axis=-1), hc.dates, cap) * 100.0
    full = np.flatnonzero(counts >= MIN_FULL_MONTH_DAYS)
    order = np.argsort(core_m[full], axis=0, kind="stable")[:N_WORST]  # (k, n_paths)
    worst = full[order]
    cols = np.arange(hc.n_paths)[None, :]
    out["core_bp_in_core_worst_months"] = core_m[worst, cols].sum(axis=0)
    out["layers_bp_in_core_worst_months"] = lay_m[worst, cols].sum(axis=0)
    out["n_months"] = np.full(hc.n_paths, n_m)
    return out
