"""The engine's day loop: prepare -> (each trading day) the stages below, in this order -> construct.

All state is arrays with a leading path axis (:class:`~alvh.engine.state.EngineState`); positions are
arrays per slot (four core legs, one slot per hedge layer, two for the constant-maturity mix). Each
trading day ``d``, at the close (docs/engine.md, "One trading day"):

1. **interest and financing** for the period (T-bill interest on each component's
   cash, the debt's interest, the hedge's private financing)                  -- :mod:`alvh.engine.financing`
2. **market marks** of every held slot, settlement values for those expiring  -- :mod:`alvh.engine.marks`
   then the **records** row and the slot P&L                                   -- :mod:`alvh.engine.recording`
3. **settle** expiries (cash = quantity x multiplier x settlement, no cost)     -- :mod:`alvh.engine.fills`
4. **rules**: core exits and entry                                             -- :mod:`alvh.engine.core_rules`
   layer rolls and resizes                                                     -- :mod:`alvh.engine.layer_rules`
   the beta-ratio rebalance                                                    -- :mod:`alvh.engine.rebalance`
   the constant-maturity mix                                                   -- :mod:`alvh.engine.layer_rules`
   every trade at today's mark plus the cost model                             -- :mod:`alvh.engine.fills`
5. **NAV** = cash + sum(quantity x multiplier x mark) - debt, greeks, snapshot  -- :mod:`alvh.engine.recording`

The rules themselves (when to exit, roll, resize, fire) are functions in :mod:`alvh.strategy`; the stages
apply them to the day's arrays. Trading at the mark moves cash and position value by equal amounts, so the
daily NAV change is exactly the positions' mark-to-market P&L minus costs plus interest and financing (tested
to 1e-9).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import numpy as np

from alvh.config import Rules
from alvh.engine import core_rules, fills, financing, layer_rules, marks, rebalance, recording
from alvh.engine.construct import build_result
from alvh.engine.inputs import MarketPaths
from alvh.engine.prepare import Prepared, prepare
from alvh.engine.state import EngineState
from alvh.pricing.backend import resolve_backend
from alvh.results import BacktestResult
from alvh.strategy.costs import CostModel

__all__ = ["Prepared", "day", "prepare", "run_days", "run_engine", "standalone_core_possible"]


def run_engine(
    rules: Rules,
    paths: MarketPaths,
    cost_model: CostModel | None = None,
    *,
    seed: int | None = None,
    backend: str = "auto",
    variants: Sequence[Rules] | None = None,
    core_alone: bool = False,
) -> BacktestResult:
    """Run the rules on the market paths; return a :class:`~alvh.results.BacktestResult`.

    One loop over trading days; every operation inside is vectorized over paths (and slots).
    ``backend``: ``"numpy"``, ``"numba"`` (fused compiled kernels for the SPX leg marks, the VX-futures
    marks and the rolling beta; same numbers to floating rounding, tested) or ``"auto"`` (numba when
    installed), resolved by :func:`alvh.pricing.backend.resolve_backend`. ``variants``: one rules variant
    per path slot, differing from ``rules`` only in numbers (:mod:`alvh.strategy.axis`; a sweep's batch,
    :func:`alvh.sweep.batch.run_batch`); each path's results are those of its variant run alone.

    ``core_alone``: also run each path's core alone as its own book, in the same call: one more path slot
    per path (:meth:`MarketPaths.twice`) running :func:`alvh.strategy.axis.core_alone_rules` (every
    layer at weight 0, the core sized on its own NAV). The result is the run's own paths, bit-identical
    to a run without it, and carries the standalone core's NAV as ``core_alone_nav`` (bit-identical to
    a run of the core-alone rules; tests/test_core_alone.py). Refused with ``variants``, without a hedge
    layer and with a constant-maturity mix (not a layer weight: its standalone core would still hold it).
    """
    if core_alone:
        from alvh.errors import ConfigError

        why = (
            "variants are given (a sweep runs the core alone as a variant of its own)"
            if variants is not None
            else "the rules hold no hedge layer"
            if not rules.layers
            else "a constant-maturity mix is enabled (its weight is not a layer weight)"
            if rules.constant_maturity.enabled
            else None
        )
        if why is not None:
            raise ConfigError(
                f"cannot run the standalone core: {why}",
                key="core_alone",
                expected="core_alone=False, or hedge layers without variants or constant_maturity",
            )
        prep = prepare(rules, paths.twice(), standalone_core=True)
    else:
        prep = prepare(rules, paths, variants)
    st = run_days(prep, cost_model or CostModel(rules.costs), backend=backend)
    return build_result(prep, st, seed=rules.general.seed if seed is None else seed)


def standalone_core_possible(rules: Rules) -> bool:
    """True when :func:`run_engine` can run the rules' core alone in the same call (``core_alone=True``):
    hedge layers to remove, and no constant-maturity mix (its weight is not a layer weight)."""
    return bool(rules.layers) and not rules.constant_maturity.enabled


def _kernels(backend: str) -> ModuleType | None:
    """The compiled day kernels (alvh.pricing._numba) for ``backend``, or None for the numpy path."""
    if not resolve_backend(backend).compiled:
        return None  # "numpy" without importing numba (~0.3 s and ~60 MB of resident memory)
    from alvh.pricing import _numba

    return _numba


def run_days(prep: Prepared, costs: CostModel, backend: str = "auto") -> EngineState:
    """The day loop over a prepared run; returns the final state (records blanked, break-evens computed)."""
    st = EngineState(prep, costs, _kernels(backend))
    if st.nb is not None:  # the fused day kernels where they reproduce numpy's sums (engine.day_kernels)
        from alvh.engine import day_kernels as dk

        st.dk = dk if dk.usable(st.S, len(st.components), st.comp_start, st.layer_start) else None
    for d in range(st.n):
        day(st, d)
    recording.finish(st)
    return st


def day(st: EngineState, d: int) -> None:
    """One trading day d, at the close, in the order of docs/engine.md."""
    st.today = d  # the row of a per-day dF/dVIX table (EngineState.sens)
    r = st.prep.rules
    rate = st.rate(d)
    q = r.core.dividend_yield
    # 1. interest and financing over the period (d-1, d]
    financing.accrue(st, d)
    # 2. marks of held positions; the records row (holding period d-1 -> d) and the slot P&L
    m = marks.mark_day(st, d, rate, q)
    recording.write_row(st, d, m)
    y = rebalance.layer_vega_pnl(st, m) if st.rb is not None else None  # holding-period vega P&L
    recording.roll_marks(st, m, rate)
    # 3. settle expiries
    fills.settle_expiries(st, d, m.settle)
    nav_pre = recording.nav_before_trades(st)
    cap = nav_pre + st.debt if r.general.sizing_capital == "nav" else np.full(st.P, r.general.capital + st.debt)
    # 4. rules: core exits and entry, layers, rebalance, constant maturity
    if r.core.enabled:
        core_rules.apply_core(st, d, rate, q, cap)
    if st.L:
        layer_rules.apply_layers(st, d, rate, cap)
    if y is not None:
        rebalance.apply_rebalance(st, d, y, cap)
    if st.cm:
        layer_rules.apply_constant_maturity(st, d, nav_pre)
    # 5. NAV and per-component values/greeks; the core's snapshot
    recording.close_day(st, d, m)
