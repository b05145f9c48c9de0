"""Conversion and reversal: the rebalance actions that lock a fraction of the short layer (docs/rules.md, [rebalance]).

A **conversion** is long the underlying, long a put and short a call at one strike and expiry; a
**reversal** the opposite (short underlying, short put, long call). By put-call parity on Black-76,
``C - P = exp(-r t) (F - K)``, so either structure is worth ``+-(F + exp(-r t)(K - F))`` today and exactly
``+-K`` at expiry whatever the settlement (``S + max(K - S, 0) - max(S - K, 0) = K``): it has no delta,
no vega and no extrinsic value left. The layer's own held leg is one of the three:

* a long VX-futures layer converts with a bought put and a sold call (10 options per future: the VIX option
  multiplier is 100, the VX future's 1000) at the listed strike nearest its future;
* a long VIX-put layer converts with a bought future and a sold call at its put's strike;
* a long VIX-call layer reverses with a sold future and a sold put at its call's strike.

:func:`convert` trades the two new legs for ``conversion_fraction`` of the layer's not yet locked contracts,
in whole futures (``general.contracts`` rounds them), into the layer's two extra slots
(:func:`alvh.engine.slots.slot_table`). The legs are marked daily like any position (Black-76 at the smile
vol, the future at its settlement), settle with the layer's contract, and are closed with it when the
layer rolls (:func:`alvh.engine.layer_legs.layer_slots`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alvh.engine import fills
from alvh.engine.layer_legs import set_marks
from alvh.engine.records import InstrumentKind
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy import kernels
from alvh.strategy.costs import VIX_OPTION_MULTIPLIER, VX_MULTIPLIER
from alvh.strategy.layers import round_contracts

if TYPE_CHECKING:
    from alvh.engine.state import EngineState

#: VIX options per VX future of the same exposure (multipliers 1000 / 100).
OPTIONS_PER_FUTURE = VX_MULTIPLIER / VIX_OPTION_MULTIPLIER


def structure_strike(st: EngineState, j: int) -> np.ndarray:
    """The structure's strike on layer j: its option's strike, or (futures) the listed strike nearest the future
    (``call_strike_increment`` apart); an earlier structure in the same contract keeps its strike."""
    la = st.prep.rules.layers[j]
    s = 4 + j
    if la.is_option:
        k = st.strike[:, s]
    else:
        inc = la.call_strike_increment
        k = np.maximum(np.round(st.und_last[:, s] / inc) * inc, inc)
    opt = next(i for i in st.conv_slots if st.slot_kind[i] == InstrumentKind.VIX_OPTION)
    return np.where(st.qty[:, opt] != 0, st.strike[:, opt], k)


def convert(st: EngineState, d: int, j: int, fire: np.ndarray, rate: float) -> np.ndarray:
    """Lock ``rebalance.conversion_fraction`` of layer j's unlocked contracts where ``fire``; returns the cost (P,)."""
    r = st.prep.rules
    s = 4 + j
    held = fire & (st.qty[:, s] != 0)
    cost = np.zeros(st.P)
    if not held.any():
        return cost
    # the layer's exposure in futures-equivalents, and what earlier structures already locked
    per_unit = 1.0 if st.slot_kind[s] == InstrumentKind.VX_FUTURE else 1.0 / OPTIONS_PER_FUTURE
    a, b = st.conv_slots
    locked = np.abs(st.qty[:, a]) * (1.0 if st.slot_kind[a] == InstrumentKind.VX_FUTURE else 1.0 / OPTIONS_PER_FUTURE)
    free = np.maximum(np.abs(st.qty[:, s]) * per_unit - locked, 0.0)
    units = np.where(held, round_contracts(r.rebalance.conversion_fraction * free, r.general.contracts), 0.0)
    units = np.minimum(units, free)  # never lock more than the layer holds
    go = units > 0
    if not go.any():
        return cost
    k = structure_strike(st, j)
    f = st.und_last[:, s]  # the layer's VX future at today's close
    tau = (st.exp_ord[:, s] - st.d_ord[d]).astype(float)  # the layer's contract, per path
    for (_, kind, is_call, sign), slot in zip(st.conv_legs, st.conv_slots, strict=True):
        if kind == InstrumentKind.VX_FUTURE:
            dq = np.where(go, sign * units, 0.0)
            price, vol, delta, c = f, np.full(st.P, np.nan), np.ones(st.P), st.costs.vx(dq)
        else:
            dq = np.where(go, sign * units * OPTIONS_PER_FUTURE, 0.0)
            price, vol, delta = _option(st, d, f, k, tau, rate, is_call)
            c = st.costs.vix_option(dq, price)
        st.contract[:, slot] = np.where(go, st.contract[:, s], st.contract[:, slot])
        st.exp_ord[:, slot] = np.where(go, st.exp_ord[:, s], st.exp_ord[:, slot])
        if kind == InstrumentKind.VIX_OPTION:
            st.strike[:, slot] = np.where(go, k, st.strike[:, slot])
        fills.trade(st, d, slot, dq, price, c, "rebalance")
        # today's marks (a leg already held in the same contract and strike has the same marks)
        set_marks(st, slot, go, price, f, vol, tau / DAYS_PER_YEAR, rate, delta)
        st.qty[:, slot] += dq
        st.ever_held[:, slot] |= go
        cost += np.where(dq != 0, c, 0.0)
    return cost


def _option(
    st: EngineState, d: int, f: np.ndarray, k: np.ndarray, tau: np.ndarray, rate: float, is_call: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Price, vol and delta of a VIX option (P,) at the smile vol of its strike (as the day's marks)."""
    vol = st.prep.paths.vix_option_vol.vol_at(d, np.maximum(tau, 1.0), f, np.where(np.isfinite(k), k, f))
    g = kernels.black_greeks(f, k, tau / DAYS_PER_YEAR, vol, rate, is_call)
    return np.asarray(g.price), vol, np.asarray(g.delta)
