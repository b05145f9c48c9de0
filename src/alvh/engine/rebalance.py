"""Stage "rebalance": the layers' vega P&L, the rolling betas on SPX, the beta-ratio rule (day step 4c).

:func:`layer_vega_pnl` ``(state, marks) -> (P, 2)`` is read from the holding period's marks (before the
marks roll forward); :func:`apply_rebalance` updates :class:`alvh.stats.RollingBeta` with it and the SPX
return, and where :func:`alvh.strategy.rebalance.fire_mask` fires trades the layers back to their target
weights (``restore_weights``), shifts notional from the short to the long layer (``shift``), via
:func:`alvh.engine.layer_rules.resize`, or locks a fraction of the short layer in a conversion or reversal
(:func:`alvh.engine.structures.convert`). Every firing is logged (BacktestResult.rebalance_log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alvh.engine import layer_rules, structures
from alvh.engine.records import InstrumentKind
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.stats.rolling_beta import BETA_TOL, _ratio
from alvh.strategy.rebalance import fire_mask, shift_targets

if TYPE_CHECKING:
    from alvh.engine.marks import DayMarks
    from alvh.engine.state import EngineState


def layer_vega_pnl(st: EngineState, m: DayMarks) -> np.ndarray:
    """The compared layers' vega P&L over the holding period, (P, 2): ``q x mult x delta x (F_now - F_rolldown)``
    (``raw``), or per unit of effective vega notional (``normalized``); NaN on day 0 is set by the caller."""
    r = st.prep.rules
    hs = st.hedge_slots  # every slot of every layer (a spread's short leg, conversion legs): the layer's net exposure
    if st.dk is not None and st.all_futures and r.rebalance.basis == "raw":  # one compiled pass, the same sums
        out = np.empty((st.P, 2))
        lp, ls = st.layer_perm, st.layer_start
        st.dk.vega_pnl(m.held, st.qty, st.mult, m.und_now, m.und_rd, hs, lp, ls, st.reb_cols, out)
        return out
    h = m.held[:, hs]
    qmd = st.qty[:, hs] * st.mult[hs]
    if not st.all_futures:  # (a future's delta is 1: multiplying by 1.0 changes nothing)
        qmd = qmd * np.where(st.slot_kind[hs] == InstrumentKind.VX_FUTURE, 1.0, st.delta_last[:, hs])
    v = st.by_layer(np.where(h, qmd * (m.und_now[:, hs] - m.und_rd[:, hs]), 0.0))  # (P, L)
    held = st.layer_any(h)
    if r.rebalance.basis == "raw":
        y = np.where(held, v, 0.0)
    else:  # per unit of the layer's net effective vega notional
        sens = st.sens(st.t_last[:, hs] * DAYS_PER_YEAR, max(st.today - 1, 0))
        ev = np.abs(st.by_layer(np.where(h, qmd * sens, 0.0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(held & (ev > 0), v / np.where(ev > 0, ev, 1.0), np.nan)
    return y[:, st.reb_cols]


def apply_rebalance(st: EngineState, d: int, y: np.ndarray, cap: np.ndarray) -> None:
    """Update the rolling betas with today's (y, SPX return) and apply the rule where it fires."""
    rbeta = st.rb
    if rbeta is None:
        return
    if d == 0:
        y = np.full_like(y, np.nan)
    # a beta is undefined relative to its data's scale sd(y)/sd(x) (docs/analytics.md 1.2), not an absolute eps
    beta, scale = rbeta.update_with_scale(y, st.spx_ret[d])
    if st.dk is not None:  # ratio, trigger and cooldown as _fire, one compiled pass (engine.day_kernels)
        fire = np.empty(st.P, dtype=bool)
        js, jl = st.reb_idx
        thr, rr, rbt = st.ax.threshold, st.reb_ratio[d], st.reb_beta[d]
        if not st.dk.ratio_fire(beta, scale, BETA_TOL, st.qty, 4 + js, 4 + jl, st.cooldown, thr, rr, rbt, fire):
            return
    else:
        fire = _fire(st, d, beta, scale)
        if not fire.any():
            return
    _fired(st, d, fire, cap)


def _fire(st: EngineState, d: int, beta: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The beta ratio (recorded), the trigger; the cooldown counts down a day."""
    rb = st.prep.rules.rebalance
    ratio = _ratio(beta[:, 0], beta[:, 1], 0.0, scale[:, 0], scale[:, 1], BETA_TOL)  # = stats.beta_ratio
    st.reb_beta[d] = beta
    st.reb_ratio[d] = ratio
    js, jl = st.reb_idx
    both = (st.qty[:, 4 + js] != 0) & (st.qty[:, 4 + jl] != 0)
    fire = fire_mask(rb, ratio, st.cooldown, both, st.ax.threshold)  # = stats.trigger (False where NaN)
    st.cooldown -= 1
    return fire


def _fired(st: EngineState, d: int, fire: np.ndarray, cap: np.ndarray) -> None:
    """The rule's trades where it fired, logged."""
    rb = st.prep.rules.rebalance
    js, jl = st.reb_idx
    ax = st.ax  # the rule's numbers per path (alvh.strategy.axis)
    st.cooldown = np.where(fire, ax.cooldown_days, st.cooldown)
    cost = np.zeros(st.P)
    before = st.qty.copy()
    scale = st.prev_scale if np.isfinite(st.prev_scale).all() else np.ones(st.P)
    if rb.action == "restore_weights":
        for j in range(st.L):
            cost += layer_rules.resize(st, d, j, fire, scale, cap, "rebalance")
    elif rb.action in ("conversion", "reversal"):
        cost += structures.convert(st, d, js, fire, st.rate(d))
    else:
        ss, sl = 4 + js, 4 + jl
        new_s, new_l = shift_targets(
            rb,
            st.prep.rules.general.contracts,
            st.qty[:, ss],
            st.qty[:, sl],
            st.mult[ss],
            st.mult[sl],
            st.und_last[:, ss],
            st.und_last[:, sl],
            st.delta_last[:, ss],
            st.delta_last[:, sl],
            st.ax.shift_fraction,
        )
        cost += layer_rules.resize(st, d, js, fire, scale, cap, "rebalance", target=new_s)
        cost += layer_rules.resize(st, d, jl, fire, scale, cap, "rebalance", target=new_l)
    st.reb_fired[d] = fire
    st.reb_cost[d] = cost
    st.reb_trades[d] = np.abs(st.qty - before).sum(axis=1)
