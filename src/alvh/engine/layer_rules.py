"""Stage "layer rules": hedge-layer rolls and adaptive resizes, and the constant-maturity mix (day steps 4b, 4d).

:func:`apply_layers` ``(state, d, rate, capital)`` rolls each layer into its bucket's contract
(:func:`alvh.strategy.layers.bucket_plan`, precomputed) when :func:`~alvh.strategy.layers.roll_mask` says
so, sizes it with :func:`~alvh.strategy.layers.sizing_unit` and
:func:`~alvh.strategy.layers.round_contracts`, and resizes held layers when the adaptive scale changes;
:func:`resize` is shared with the rebalance stage. :func:`apply_constant_maturity` re-sets the two-contract
mix every close. Trades go through :func:`alvh.engine.fills.trade`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from alvh.config import Layer
from alvh.engine import fills
from alvh.engine.layer_legs import (
    held_extrinsic,
    held_net,
    layer_slots,
    open_layer,
    quote,
    rolldown_frac,
    set_marks,
    trade_layer,
)
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy.costs import VX_MULTIPLIER
from alvh.strategy.layers import adaptive_total_weight, layer_scale, roll_reasons, round_contracts, sizing_unit
from alvh.strategy.legs import condor_vega

if TYPE_CHECKING:
    from alvh.engine.state import EngineState


def adaptive_scale(st: EngineState, d: int) -> np.ndarray:
    """Multiplier of every layer's base weight (1 without adaptive weights), from VIX, the front VX or the regime."""
    r, mp, prep = st.prep.rules, st.prep.paths, st.prep
    ad = r.adaptive
    if not ad.enabled:
        return np.ones(st.P)
    ax = st.ax  # the schedule's numbers and the base weight per path (alvh.strategy.axis)
    sched = {"upper": ax.schedule_upper, "weight": ax.schedule_weight}
    if ad.basis == "vix":
        total = adaptive_total_weight(ad, level=mp.vix_close[d], **sched)
    else:
        f = prep.front[d]
        front = mp.vx_price[d, :, f] if f >= 0 else np.full(st.P, np.nan)
        if ad.basis == "vx_front":
            total = adaptive_total_weight(ad, level=front, **sched)
        else:
            total = adaptive_total_weight(ad, contango=front > mp.vix_close[d], **sched)
    scale, _ = layer_scale(total, st.prev_scale, ax.weight_sum)
    st.event(d, "adaptive_level_missing", ~np.isfinite(total))  # per path: layer_scale's missing levels
    return scale


def update_core_vega(st: EngineState, d: int, q: float) -> None:
    """basis = "core_vega": the |core vega| ($/vol pt, legs held after today's core trades, at their last marks) the
    layers are sized to; where no condor is held the last one (the hedge stays on until the next condor)."""
    v = condor_vega(
        st.qty[:, :4],
        st.und_last[:, :4],
        st.strike[:, :4],
        st.t_last[:, :4],
        st.vol_last[:, :4],
        st.rate_last[:, :4],
        q,
    )
    st.sizing_vega = np.where(v > 0, v, st.sizing_vega)


def layer_target(
    st: EngineState,
    j: int,
    la: Layer,
    f: np.ndarray,
    price: np.ndarray,
    delta: np.ndarray,
    sens: np.ndarray,
    scale: np.ndarray,
    cap: np.ndarray,
) -> np.ndarray:
    """Layer j's target contracts (rounded by general.contracts), 0 where its unit is not positive.

    basis "capital": ``weight x scale x capital / sizing_unit``; basis "core_vega":
    ``fraction x |core vega| x (weight / sum of weights) x scale / (multiplier x delta x dF/dVIX)``.
    """
    r = st.prep.rules
    s = 4 + j
    if r.sizing.basis == "core_vega":
        unit = st.mult[s] * delta * sens  # effective vega per contract, $ per VIX point
        ws = st.ax.weight_sum
        # every weight 0 (a core-alone variant): no share, no contracts (not 0 / 0)
        share = np.where(ws > 0, st.ax.layer_weight[:, j] / np.where(ws > 0, ws, 1.0), 0.0)
        want = r.sizing.core_vega_fraction * st.sizing_vega * share * scale
    else:
        unit = sizing_unit(la, st.mult[s], f, price, delta, sens)
        want = st.ax.layer_weight[:, j] * scale * cap
    with np.errstate(divide="ignore", invalid="ignore"):
        target = np.where(np.isfinite(unit) & (unit > 0), want / np.where(unit > 0, unit, 1.0), 0.0)
    return round_contracts(target, r.general.contracts)


def apply_layers(st: EngineState, d: int, rate: float, cap: np.ndarray) -> None:
    """Rolls and adaptive resizes of every hedge layer on day d (and, basis "core_vega", the resize of held
    layers on a day the core opens a new condor)."""
    r = st.prep.rules
    ls = slice(4, 4 + st.L)
    if st.dk is not None:  # the same test as below, one compiled pass (engine.day_kernels)
        due, due_l = np.empty((st.P, st.L), dtype=bool), np.empty(st.L, dtype=bool)
        st.dk.due(st.qty, st.exp_ord, st.d_ord[d], st.min_dte_l, st.layer_live, due, due_l)
    else:
        held = st.qty[:, ls] != 0
        # a flat layer at weight 0 (a core-alone variant, the standalone core's paths) has nothing to roll into:
        # its target is 0 whatever the day (weight x scale, or a 0 share of the core's vega)
        due = (~held & st.layer_live) | (held & ((st.exp_ord[:, ls] - st.d_ord[d]) < st.min_dte_l))
        due_l = due.any(axis=0)
    vega_basis = r.sizing.basis == "core_vega"
    if vega_basis:
        update_core_vega(st, d, r.core.dividend_yield)
    if r.adaptive.enabled:
        scale = adaptive_scale(st, d)
        changed = np.isfinite(st.prev_scale) & (scale != st.prev_scale)
        any_changed = bool(changed.any())
    else:  # fixed weights: scale 1, never changes (no per-day arrays)
        scale = st.ones
        changed = st.no
        any_changed = False
    st.prev_scale = scale
    if vega_basis and st.core_opened.any():
        changed = changed | st.core_opened  # a new condor (set by core_rules): every held layer to its new target
        any_changed = True
    st.core_opened = st.no
    if not (any_changed or st.any_extrinsic or st.any_rolldown or due_l.any()):
        return
    for j, la in enumerate(r.layers):
        early = la.roll.extrinsic_below is not None or la.roll.rolldown_above is not None
        if not (any_changed or early or due_l[j]):
            continue  # nothing can happen to this layer today
        _layer(st, d, j, la, rate, cap, scale, changed)


def _layer(
    st: EngineState, d: int, j: int, la: Layer, rate: float, cap: np.ndarray, scale: np.ndarray, changed: np.ndarray
) -> None:
    prep = st.prep
    s = 4 + j
    held = st.qty[:, s] != 0
    dte_old = (st.exp_ord[:, s] - st.d_ord[d]).astype(float)
    ext = held_extrinsic(st, j, la, rate) if la.roll.extrinsic_below is not None else None
    rd = rolldown_frac(st, d, s) if la.roll.rolldown_above is not None and d > 0 else None
    code = roll_reasons(la, held, st.settled[:, s], dte_old, ext, st.entry_extrinsic[:, s], rd)
    roll = (code != 0) & (held | st.layer_live[:, j])  # as ``due`` in apply_layers: weight 0 and flat stays flat
    resize_m = held & ~roll & changed
    c_new = int(prep.plans[j].contract[d])
    if not (roll | resize_m).any():
        return
    if c_new < 0:
        st.event(d, f"layer_no_contract.{la.name}", roll)
        return
    if roll.any() and not prep.plans[j].in_bucket[d]:
        st.event(d, f"bucket_unfilled.{la.name}", roll)
    qt = quote(st, d, la, c_new, rate)
    bad = ~np.isfinite(qt.net_price)
    if (bad & roll).any():
        st.event(d, f"layer_no_price.{la.name}", bad & roll)
    tau = float(st.exp_ord_vx[c_new] - st.d_ord[d])
    f_new = prep.paths.vx_price[d, :, c_new]
    sens = np.full(st.P, float(st.sens(np.array(tau))))
    target = np.where(bad, 0.0, layer_target(st, j, la, f_new, qt.net_price, qt.net_delta, sens, scale, cap))
    act = roll & ~bad
    # a path's own weight (a sweep variant's, or 0 on the standalone core's paths): weight 0 sizes to 0 by design
    st.event(d, f"layer_size_zero.{la.name}", act & (target <= 0) & (st.ax.layer_weight[:, j] * scale > 0))
    st.roll_code = np.where(act, code, 0).astype(np.int8)
    # close the old contract (and every leg of the layer) where rolling into a different one (or re-struck)
    for s_leg in layer_slots(st, j):
        close = act & (st.qty[:, s_leg] != 0)
        if close.any():
            dq = np.where(close, -st.qty[:, s_leg], 0.0)
            px = st.price_last[:, s_leg]
            cost = st.costs.vx(dq) if st.mult[s_leg] == VX_MULTIPLIER else st.costs.vix_option(dq, px)
            fills.trade(st, d, s_leg, dq, px, cost, "roll")
            st.qty[:, s_leg] = np.where(close, 0.0, st.qty[:, s_leg])
    opening = act & (target > 0)
    if opening.any():
        open_layer(st, d, j, la, opening, target, qt, c_new, f_new, tau, rate)
    st.roll_code = np.zeros(st.P, dtype=np.int8)
    # resize in the held contract to the new adaptive weight
    if resize_m.any():
        resize(st, d, j, resize_m, scale, cap, "adaptive" if prep.rules.sizing.basis == "capital" else "resize")


def resize(
    st: EngineState,
    d: int,
    j: int,
    m: np.ndarray,
    scale: np.ndarray,
    cap: np.ndarray,
    reason: str,
    target: np.ndarray | None = None,
) -> np.ndarray:
    """Trade layer j's held contract to its target size where m (default: its weight at today's marks);
    returns the cost paid (P,)."""
    la = st.prep.rules.layers[j]
    s = 4 + j
    m = m & (st.qty[:, s] != 0)
    if not m.any():
        return np.zeros(st.P)
    if target is None:
        tau = (st.exp_ord[:, s] - st.d_ord[d]).astype(float)
        price, delta = held_net(st, j)
        target = layer_target(st, j, la, st.und_last[:, s], price, delta, st.sens(tau), scale, cap)
    dq = np.where(m, target - st.qty[:, s], 0.0)
    cost = trade_layer(st, d, j, dq, reason)
    return np.where(dq != 0, cost, 0.0)


def apply_constant_maturity(st: EngineState, d: int, nav_pre: np.ndarray) -> None:
    """Re-set the constant-maturity mix: ``contracts_i = weight x NAV x CRW_i / (1000 x sum_j CRW_j F_j)``."""
    prep, mp = st.prep, st.prep.paths
    cmr = prep.rules.constant_maturity
    pair, w = cast(np.ndarray, prep.cm_pair)[d], cast(np.ndarray, prep.cm_w)[d]  # set by prepare when enabled
    k = pair.size
    slots = tuple(range(st.S - k, st.S))
    if pair[0] < 0 or not np.isfinite(w).all():
        st.event(d, "cm_no_pair", st.ones)
        return
    f = mp.vx_price[d][:, pair]  # (P, k)
    if not np.isfinite(f).all():
        st.event(d, "cm_no_price", ~np.isfinite(f).all(axis=1))
        return
    notional = cmr.weight * nav_pre
    denom = (w[None, :] * f).sum(axis=1) * VX_MULTIPLIER
    units = notional / denom  # index units: contracts = units x CRW
    for i, s in enumerate(slots):
        target = units * w[i]
        c = int(pair[i])
        same = st.contract[:, s] == c
        # close a slot holding another contract, then open the target
        other = (st.qty[:, s] != 0) & ~same
        if other.any():
            dq = np.where(other, -st.qty[:, s], 0.0)
            fills.trade(st, d, s, dq, st.price_last[:, s], st.costs.vx(dq), "roll")
            st.qty[:, s] = np.where(other, 0.0, st.qty[:, s])
        st.contract[:, s] = c
        st.exp_ord[:, s] = st.exp_ord_vx[c]
        dq = target - st.qty[:, s]
        reason = (
            "resize" if st.ever_held[:, s].any() and same.all() else ("roll" if st.ever_held[:, s].any() else "entry")
        )
        fills.trade(st, d, s, dq, f[:, i], st.costs.vx(dq), reason)
        st.qty[:, s] = target
        st.ever_held[:, s] |= target != 0
        tau = float(st.exp_ord_vx[c] - st.d_ord[d]) / DAYS_PER_YEAR
        set_marks(st, s, np.ones(st.P, dtype=bool), f[:, i], f[:, i], np.nan, tau, st.rate(d), 1.0)
