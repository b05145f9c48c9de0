"""The hedge analysis of a many-path run, path by path: what each path's hedge cost and what it bought.

:func:`alvh.analytics.analyze` reads one market history (regimes, betas, steward regressions) and so
takes a one-path backtest; a simulated run needs the per-path figures instead, reduced later over paths
(:mod:`alvh.montecarlo`). :func:`path_analysis` gives, for every path of an engine result:

* the hedge cost (minus the layers' total P&L, docs/drag.md) per layer and in total, with its exact
  decomposition (carry, spot_vix, curve, option_vol, costs, financing), run totals in bp of the
  **initial capital (fixed)** per calendar month spanned;
* the hedge cost of every calendar month per layer (bp of the initial capital);
* the cumulative hedge cost of all layers at each day's close (bp of the initial capital);
* what the hedge bought: the core alone (the standalone core's own NAV, ``result.core_alone_nav``, when
  the engine ran it; else the core's P&L inside the hedged book) against core + layers, in % of the
  initial capital: worst calendar month, 95% expected shortfall of monthly returns, maximum drawdown,
  monthly volatility (the formulas of :func:`alvh.analytics.hedge_cost.what_it_buys`, per path instead
  of their mean);
* trigger firings: the beta-ratio rebalance and every trade reason, counted per path.

Every figure of a path is computed from that path's arrays alone (no operation mixes paths), so a
path's numbers do not depend on which other paths were run with it (tests/test_montecarlo.py).
The spot-VIX shortfall diagnostic and its per-day arrays are not computed here, nor the core's attribution
(the core book comes from the engine's ledger): only the layers' slots are attributed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.analytics.attribution import attribute, slot_groups
from alvh.analytics.drag import layer_instruments
from alvh.analytics.exposure import effective_vega
from alvh.analytics.hedge_cost import (
    ES_LEVEL,
    TERMS,
    _max_drawdown_pct,
    hedge_cost,
    month_bounds,
    month_equivalents,
)
from alvh.engine.records import PositionRecords, SlotInfo
from alvh.errors import InputError
from alvh.pricing.units import BP_PER_UNIT
from alvh.results import BacktestResult

#: Trade reasons counted per path (the engine's ledger reasons, alvh.engine.fills.REASONS).
TRADE_REASONS: tuple[str, ...] = ("entry", "roll", "rebalance", "exit", "expiry", "adaptive", "resize")
#: The two books compared by "what it bought".
BOOKS: tuple[str, ...] = ("core", "hedged")
#: Per-book statistics (% of the initial capital).
BOOK_STATS: tuple[str, ...] = ("worst_month_pct", "es95_monthly_pct", "max_drawdown_pct", "monthly_vol_pct")


@dataclass(frozen=True)
class PathAnalysis:
    """Per-path hedge analysis of one engine result (module docstring).

    Attributes
    ----------
    layers : tuple of str
        The hedge layers; ``"all"`` is their sum in every per-layer figure.
    instruments : dict of str to str
    dates : DatetimeIndex (n_days); months : PeriodIndex (n_months); month_days : (n_months,) int
    capital : float
        The initial capital: every bp here is of it (fixed basis).
    columns : dict of str to ndarray (n_paths,)
        Per-path figures, names in :func:`column_names`.
    monthly_bp : ndarray (n_paths, n_months, n_layers + 1)
        Hedge cost of each calendar month, bp of the initial capital (last layer "all").
    cumulative_bp : ndarray (n_paths, n_days)
        Cumulative hedge cost of all layers at each close, bp of the initial capital.
    book_monthly_pct : ndarray (n_paths, n_months, 2)
        Each calendar month's return of the core alone (0) and of core + layers (1), % of the initial
        capital: pooled over paths for the run's expected shortfall (alvh.montecarlo.summary.PooledTail).
    """

    layers: tuple[str, ...]
    instruments: dict[str, str]
    dates: pd.DatetimeIndex
    months: pd.PeriodIndex
    month_days: np.ndarray
    capital: float
    columns: dict[str, np.ndarray]
    monthly_bp: np.ndarray
    cumulative_bp: np.ndarray
    book_monthly_pct: np.ndarray

    @property
    def n_paths(self) -> int:
        return int(self.cumulative_bp.shape[0])


def column_names(layers: tuple[str, ...]) -> tuple[str, ...]:
    """Names of :attr:`PathAnalysis.columns`, in their order."""
    names = []
    for layer in layers + ("all",):
        names.append(f"cost_{layer}_bp_per_month")
        names += [f"cost_{layer}_{t}_bp_per_month" for t in TERMS]
    for book in BOOKS:
        names += [f"{book}_{s}" for s in BOOK_STATS]
    names += ["final_nav", "rebalance_firings"] + [f"trades_{r}" for r in TRADE_REASONS]
    return tuple(names)


def hedge_records(records: PositionRecords) -> PositionRecords:
    """The records restricted to the hedge layers' slots (every slot whose component is not the core)."""
    keep = [i for i, c in enumerate(records.slots.component) if c != "core"]
    if not keep:
        raise InputError(
            "the run holds no hedge layer: there is no hedge to cost",
            argument="rules.layers",
            expected="at least one hedge layer",
        )
    sel: slice | list[int] = slice(keep[0], keep[-1] + 1) if keep == list(range(keep[0], keep[-1] + 1)) else keep
    slots = SlotInfo(
        names=tuple(records.slots.names[i] for i in keep),
        component=tuple(records.slots.component[i] for i in keep),
        multiplier=np.asarray(records.slots.multiplier)[keep],
    )
    fields = {
        f.name: _slots_of(getattr(records, f.name), sel) for f in dataclasses.fields(records) if f.name != "slots"
    }
    return PositionRecords(slots=slots, **fields)


def _slots_of(field: np.ndarray, sel: slice | list[int]) -> np.ndarray:
    """The slots ``sel`` of a records field: a view when ``sel`` is a range of slots (the compiled passes read
    any strides; a C-contiguous copy of every field cost more CPU than the strided reads it saved: 0.42 vs
    0.54 s of analysis CPU per 1,000 paths x 252 days, benchmarks/bench_simulate.py), a copy otherwise."""
    return np.asarray(field)[..., sel]


def _month_sums(daily: np.ndarray, month_of_day: np.ndarray, n_months: int) -> np.ndarray:
    """Sums of ``daily`` (days first) by calendar month, day by day in order.

    A loop over days of elementwise adds: every path's sum is the same sequence of operations whatever
    the number of paths (numpy's axis reductions switch to pairwise summation when the other axes
    collapse to one element, which would make a one-path chunk differ in the last bit).
    """
    out = np.zeros((n_months,) + daily.shape[1:])
    for d in range(daily.shape[0]):
        out[month_of_day[d]] += daily[d]
    return out


def _rows_sum(x: np.ndarray) -> np.ndarray:
    """Sum over axis 0, row by row in order (see :func:`_month_sums`)."""
    out = np.zeros(x.shape[1:])
    for row in x:
        out += row
    return out


def _book_stats(
    daily_usd: np.ndarray, month_of_day: np.ndarray, n_months: int, capital: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per path: worst calendar month, 95% expected shortfall of monthly returns, maximum drawdown and
    monthly volatility, % of the capital (the formulas of :func:`alvh.analytics.hedge_cost.what_it_buys`);
    and the monthly returns themselves (n_months, n_paths).

    The ES of one path averages its worst ``ceil(0.05 n_months)`` months: one month up to 20 months, so on
    a one-year path it is the worst month (the run's pooled ES over every path-month is
    :class:`alvh.montecarlo.summary.PooledTail`)."""
    m = _month_sums(daily_usd, month_of_day, n_months) / capital * 100.0  # (n_months, n_paths), % of capital
    k = max(1, math.ceil(ES_LEVEL * n_months - 1e-12))
    es = _rows_sum(np.sort(m, axis=0)[:k]) / k
    if n_months > 1:
        mean = _rows_sum(m) / n_months
        vol = np.sqrt(_rows_sum((m - mean) ** 2) / (n_months - 1))
    else:
        vol = np.full(m.shape[1], np.nan)
    return {
        "worst_month_pct": m.min(axis=0),
        "es95_monthly_pct": es,
        "max_drawdown_pct": _max_drawdown_pct(daily_usd, capital),
        "monthly_vol_pct": vol,
    }, m


def _counts(frame: pd.DataFrame, n_paths: int, mask: np.ndarray | None = None) -> np.ndarray:
    if not len(frame):
        return np.zeros(n_paths, dtype=np.int64)
    p = frame["path"].to_numpy(dtype=np.int64)
    if mask is not None:
        p = p[mask]
    return np.bincount(p, minlength=n_paths).astype(np.int64)


def path_analysis(
    result: BacktestResult,
    *,
    vix: np.ndarray,
    sensitivity: Callable[[np.ndarray], np.ndarray],
    backend: str = "numba",
) -> PathAnalysis:
    """Per-path hedge cost, its decomposition, what the hedge bought and trigger firings (module docstring).

    Parameters
    ----------
    result : BacktestResult
        An engine result with any number of paths and at least one hedge layer.
    vix : ndarray (n_days, n_paths)
        The paths' spot VIX close (points).
    sensitivity : callable
        dF/dVIX by days to expiry of the paths' VX curve model (``MarketPaths.sensitivity``).
    backend : {"numba", "numpy", "auto"}
        Passed to the attribution, effective vega and hedge cost. "numba" (default) evaluates each cell
        with scalar code, so a path's figures are bit-identical whatever the other paths; "auto" picks by
        size, so it may not be.

    Raises
    ------
    InputError
        A run without hedge layers (there is no hedge to cost), a VIX array of the wrong shape.
    """
    n_days, n_paths = result.nav.shape
    if np.shape(vix) != (n_days, n_paths):
        raise InputError(f"shape {np.shape(vix)}", argument="vix", expected=f"({n_days}, {n_paths})")
    capital = float(result.capital)
    index = {c: k for k, c in enumerate(result.components)}
    if "core" not in index:
        raise InputError("no core component", argument="result", expected="a run of the core and its hedge layers")
    rec = hedge_records(result.records)
    groups, _ = slot_groups(rec)
    cost_pnl = np.stack([-result.costs[..., index[g]] for g in groups], axis=-1)
    cash = {  # the engine's interest on each component's cash and the hedge's private financing (or None)
        name: None
        if getattr(result, name, None) is None
        else np.stack([getattr(result, name)[..., index[g]] for g in groups], axis=-1)
        for name in ("interest", "hedge_financing")
    }
    att = attribute(
        rec,
        capital=capital,
        cost_pnl=cost_pnl,
        financing_pnl=result.financing,
        interest_pnl=cash["interest"],
        group_financing_pnl=cash["hedge_financing"],
        backend=backend,
    )
    ev = effective_vega(rec, sensitivity, backend=backend)
    layers = groups
    hc = hedge_cost(
        att,
        ev.per_group,
        dates=result.dates,
        vix=vix,
        capital=capital,
        basis="initial",
        instruments=layer_instruments(rec, layers),
        backend=backend,
    )
    del att, ev
    months, starts, counts = month_bounds(hc.dates)
    n_m = len(months)
    month_of_day = np.repeat(np.arange(n_m), counts)
    # month sums of dollars (terms, then the total), then one scale: bp of the fixed initial capital; the
    # terms and the total summed apart (the same additions per element as one joined array, without a copy)
    by_month = np.concatenate(
        [
            _month_sums(np.moveaxis(hc.pnl_usd, 1, 0), month_of_day, n_m),
            _month_sums(hc.total_usd, month_of_day, n_m)[:, None],
        ],
        axis=1,
    ) * (-BP_PER_UNIT / capital)  # (n_months, n_terms + 1, n_paths, n_layers)
    by_month = np.concatenate([by_month, _rows_sum(np.moveaxis(by_month, -1, 0))[..., None]], axis=-1)
    sums = np.moveaxis(by_month, 0, 1)  # (n_terms + 1, n_months, n_paths, n_layers + 1)
    # bp per month: run total / month-equivalents (trading days / 21), as the backtest's headline
    run = _rows_sum(np.moveaxis(sums, 1, 0)) / month_equivalents(len(hc.dates))  # (n_terms + 1, n_paths, n_layers + 1)
    cols: dict[str, np.ndarray] = {}
    for j, layer in enumerate(hc.layers + ("all",)):
        cols[f"cost_{layer}_bp_per_month"] = run[-1, :, j]
        for k, t in enumerate(TERMS):
            cols[f"cost_{layer}_{t}_bp_per_month"] = run[k, :, j]
    layers_usd = hc.total_usd.sum(axis=-1)
    # the books from the NAV (the ledger: marks' P&L - costs + interest + financing of everything held):
    # core + layers is the NAV change; the core alone (with the debt's interest) is that minus the layers'
    # total. Not the engine's per-component P&L: a matrix product whose last bit can depend on how many
    # paths ran together
    nav = np.asarray(result.nav, dtype=float)
    hedged = np.diff(nav, axis=0, prepend=np.full((1, n_paths), capital))
    # the core alone: the standalone core's own NAV when the engine ran it (result.core_alone_nav), else
    # the core's P&L inside the hedged book (hedge_cost.CORE_BOOKS)
    alone = result.core_alone_nav
    core = hedged - layers_usd if alone is None else np.diff(alone, axis=0, prepend=np.full((1, n_paths), capital))
    book_months = []
    for book, daily in (("core", core), ("hedged", hedged)):
        stats, m = _book_stats(daily, month_of_day, n_m, capital)
        book_months.append(m.T)
        for s, v in stats.items():
            cols[f"{book}_{s}"] = v
    cols["final_nav"] = np.asarray(result.nav[-1], dtype=float)
    cols["rebalance_firings"] = _counts(result.rebalance_log, n_paths)
    # each reason's trades from one factorization (not an object array compared once per reason)
    codes, uniques = pd.factorize(result.trades["reason"]) if len(result.trades) else (np.zeros(0, np.intp), [])
    code_of = {str(u): k for k, u in enumerate(uniques)}
    for r in TRADE_REASONS:
        cols[f"trades_{r}"] = _counts(result.trades, n_paths, codes == code_of.get(r, -2))
    cumulative = np.cumsum(layers_usd, axis=0) * (-BP_PER_UNIT / capital)
    return PathAnalysis(
        layers=hc.layers,
        instruments=dict(hc.instruments),
        dates=hc.dates,
        months=months,
        month_days=np.asarray(counts),
        capital=capital,
        columns={k: cols[k] for k in column_names(hc.layers)},
        monthly_bp=np.ascontiguousarray(np.moveaxis(sums[-1], 1, 0)),
        cumulative_bp=np.ascontiguousarray(cumulative.T),
        book_monthly_pct=np.stack(book_months, axis=-1),
    )
