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
from alvh.engine.slots import slot_table
from alvh.engine.state import EngineState
from alvh.pricing.backend import resolve_backend
from alvh.results import BacktestResult
from alvh.strategy.axis import core_alone_rules
from alvh.strategy.costs import CostModel

__all__ = [
    "SEQUENTIAL_SUM_SLOTS",
    "Prepared",
    "core_alone_nav",
    "core_only_rules",
    "day",
    "prepare",
    "run_days",
    "run_engine",
    "standalone_core_possible",
]


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

    ``core_alone``: also run each path's core alone as its own book (:func:`alvh.strategy.axis.core_alone_rules`:
    every layer at weight 0, the core sized on its own NAV). The result is the run's own paths, bit-identical
    to a run without it, and carries the standalone core's NAV as ``core_alone_nav`` (bit-identical to a run
    of the core-alone rules; tests/test_core_alone.py). On a one-path market (a backtest, Python-bound) in
    the same call, one more path slot (:meth:`MarketPaths.twice`); on several paths (array-bound) in a
    core-only pass of its own before the run (:func:`core_alone_nav`: no layer slots, no VX marks, no
    rebalance, no records). Refused with ``variants``, without a hedge layer and with a constant-maturity
    mix (not a layer weight: its standalone core would still hold it).
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
    costs = cost_model or CostModel(rules.costs)
    run_seed = rules.general.seed if seed is None else seed
    if core_alone and paths.n_paths == 1:  # one more path slot (views of the one path) costs 1-6% here
        prep = prepare(rules, paths.twice(), standalone_core=True)
        return build_result(prep, run_days(prep, costs, backend=backend), seed=run_seed)
    memo: dict[int, tuple] = {}  # the core's entry quotes, computed once for both books (core_rules._quote)
    alone = core_alone_nav(rules, paths, costs, backend=backend, entry_memo=memo) if core_alone else None
    prep = prepare(rules, paths, variants)
    st = run_days(prep, costs, backend=backend, entry_memo=memo if core_alone else None)
    return build_result(prep, st, seed=run_seed, core_alone_nav=alone)


#: Slots up to which numpy adds a row left to right (its pairwise summation starts at 8 numbers): up to this
#: many slots in the hedged book, the core-only book's NAV (4 legs) adds up exactly as the hedged layout's with
#: every layer's slots at 0.0 (tests/test_core_alone.py checks numpy does).
SEQUENTIAL_SUM_SLOTS = 7


def core_only_rules(rules: Rules) -> Rules:
    """``rules`` without its hedge layers (so without the rebalance between them): the core alone.

    The engine runs it as :func:`alvh.strategy.axis.core_alone_rules` (every layer at weight 0) to the bit
    while the rules hold at most :data:`SEQUENTIAL_SUM_SLOTS` slots: a layer at weight 0 never trades, so
    its slots add 0.0 to every sum the core's book reads (NAV, cash, interest), and nothing of the core reads
    a layer. A copy, not re-validated.
    """
    return rules.model_copy(update={"layers": []})


def core_alone_nav(
    rules: Rules, paths: MarketPaths, costs: CostModel, *, backend: str = "auto", entry_memo: dict | None = None
) -> np.ndarray:
    """The NAV (n_days, n_paths) of each path's core run alone as its own book, bit-identical to
    :func:`run_engine` of :func:`alvh.strategy.axis.core_alone_rules`, in a pass that keeps no records
    (:attr:`Prepared.nav_only`): of :func:`core_only_rules` (four SPX legs per path, no VX marks, no
    rebalance; about half the hedged book's time) when the rules hold at most :data:`SEQUENTIAL_SUM_SLOTS`
    slots, else of the core-alone rules themselves (the layers' slots at weight 0: the same sums)."""
    few = len(slot_table(rules)[0]) <= SEQUENTIAL_SUM_SLOTS
    book = core_only_rules(rules) if few else core_alone_rules(rules)
    prep = prepare(book, paths, nav_only=True)
    return run_days(prep, costs, backend=backend, entry_memo=entry_memo).nav


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


def run_days(prep: Prepared, costs: CostModel, backend: str = "auto", entry_memo: dict | None = None) -> EngineState:
    """The day loop over a prepared run; returns the final state (records blanked, break-evens computed).
    ``entry_memo``: a dict shared with another book of the same call (:func:`alvh.engine.core_rules._quote`)."""
    st = EngineState(prep, costs, _kernels(backend))
    st.entry_memo = entry_memo
    if st.nb is not None:  # the fused day kernels where they reproduce numpy's sums (engine.day_kernels)
        from alvh.engine import day_kernels as dk

        st.dk = dk if dk.usable(st.S, len(st.components), st.comp_start, st.layer_start) else None
        st.entry_tab = core_rules.entry_table(st) if st.dk is not None else None
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
