"""Stage "core rules": the iron condor's exits, then its entry (docs/engine.md, day step 4a).

:func:`apply_core` ``(state, d, rate, q, capital)``: the rules themselves (exit triggers, the entry
expiry, strikes, validity, size) are :mod:`alvh.strategy.legs`; this stage prices the legs at today's
marks and books the trades (:func:`alvh.engine.fills.trade`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alvh.engine import fills
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy import kernels
from alvh.strategy.legs import (
    LEG_IS_CALL,
    LEG_SIGN,
    condor_count,
    entry_expiry,
    exit_mask,
    has_exit_rule,
    invalid_condor,
    max_loss_per_condor,
    net_credit,
    select_strikes,
)

if TYPE_CHECKING:
    from alvh.engine.state import EngineState


def apply_core(st: EngineState, d: int, rate: float, q: float, cap: np.ndarray) -> None:
    """Core exits at today's marks, then (where flat) the entry on the rules' expiry."""
    _exits(st, d)
    if st.prep.rules.core.entry == "third_friday" and d not in st.core_entry_days:
        return  # not an entry day (_entry's first test, before any array work)
    flat = st.qty[:, 1] == 0
    if flat.any():
        _entry(st, d, rate, q, cap, flat)


def _exits(st: EngineState, d: int) -> None:
    ex = st.prep.rules.core.exits
    if not has_exit_rule(ex):  # (no array work on a run without exit rules)
        return
    on = st.qty[:, 1] != 0
    if not on.any():
        return
    buyback = net_credit(st.price_last[:, :4])  # points per condor
    dte = (st.exp_ord[:, 1] - st.d_ord[d]).astype(float)
    hit = exit_mask(ex, buyback, st.credit, dte, on)
    if hit.any():
        for s in range(4):
            dq = np.where(hit, -st.qty[:, s], 0.0)
            fills.trade(st, d, s, dq, st.price_last[:, s], st.costs.spx(dq, 4, st.price_last[:, s]), "exit")
            st.qty[:, s] = np.where(hit, 0.0, st.qty[:, s])
        st.credit = np.where(hit, 0.0, st.credit)
        st.core_strikes[hit] = np.nan


def _entry(st: EngineState, d: int, rate: float, q: float, cap: np.ndarray, flat: np.ndarray) -> None:
    r, mp = st.prep.rules, st.prep.paths
    P = st.P
    today = st.d_ord[d]
    if r.core.entry == "third_friday" and d not in st.core_entry_days:
        return
    expiry = entry_expiry(r.core, st.spx_exp_ord, today)
    if expiry is None:
        st.event(d, "core_no_expiry", flat)
        return
    t = (expiry - today) / DAYS_PER_YEAR
    spot = mp.spx_close[d]
    choice, vol, g, credit, ml, bad = _quote(st, d, t, rate, q, int(expiry))
    go = flat & ~bad
    st.event(d, "core_no_valid_condor", flat & bad)
    n = condor_count(r.core, r.general.contracts, cap, ml, go)
    zero = go & (n <= 0)
    st.event(d, "core_size_zero", zero)
    go &= n > 0
    if not go.any():
        return
    if st.dk is not None:  # the loop below as two compiled passes around the four trades (engine.day_kernels)
        dq = np.empty((P, 4))
        st.dk.enter_legs(go, choice.strikes, expiry, n, LEG_SIGN, st.qty, st.strike, st.exp_ord, dq)
        for s in range(4):
            fills.trade(st, d, s, dq[:, s], g.price[:, s], st.costs.spx(dq[:, s], 4, g.price[:, s]), "entry")
        sl = (st.price_last, st.und_last, st.vol_last, st.t_last, st.rate_last)
        st.dk.entry_marks(go, g.price, spot, vol, float(t), float(rate), *sl)
    for s in range(4 if st.dk is None else 0):
        st.strike[:, s] = np.where(go, choice.strikes[:, s], st.strike[:, s])
        st.exp_ord[:, s] = np.where(go, expiry, st.exp_ord[:, s])
        dq = np.where(go, LEG_SIGN[s] * n, 0.0)
        st.qty[:, s] += dq
        fills.trade(st, d, s, dq, g.price[:, s], st.costs.spx(dq, 4, g.price[:, s]), "entry")
        st.price_last[:, s] = np.where(go, g.price[:, s], st.price_last[:, s])
        st.und_last[:, s] = np.where(go, spot, st.und_last[:, s])
        st.vol_last[:, s] = np.where(go, vol[:, s], st.vol_last[:, s])
        st.t_last[:, s] = np.where(go, t, st.t_last[:, s])
        st.rate_last[:, s] = np.where(go, rate, st.rate_last[:, s])
    st.credit = np.where(go, credit, st.credit)
    st.core_strikes = np.where(go[:, None], choice.strikes, st.core_strikes)
    st.core_opened = go  # read (and reset) by layer_rules.apply_layers: sizing.basis = "core_vega" resizes


def _quote(st: EngineState, d: int, t: float, rate: float, q: float, expiry: int) -> tuple:
    """Day d's condor on every path: strikes, smile vols, BSM marks, credit, max loss, invalid.

    They read only the market, the core's rules and strike deltas: with :attr:`EngineState.entry_memo` (one
    dict shared by the books of one engine call on the same paths: the standalone core's NAV pass and the
    hedged book) the second book reuses the first book's quote of the day (the same arrays) when those
    inputs are the same objects and values, instead of computing it again."""
    r, mp = st.prep.rules, st.prep.paths
    memo = st.entry_memo
    key = (t, rate, q, expiry)
    hit = memo.get(d) if memo is not None else None
    if hit is not None and hit[0] is mp and hit[1] == key and hit[2] == r.core:
        if np.array_equal(hit[3], st.ax.core_deltas):
            return hit[4]
    spot = mp.spx_close[d]
    rates = np.full(st.P, rate)
    sday = mp.surface.day(d)  # type: ignore[attr-defined]
    iv_t = sday.iv_at(t) if hasattr(sday, "iv_at") else lambda k: np.asarray(sday.iv(k, t))  # one expiry
    choice = select_strikes(r.core, spot, t, rates, lambda k, tt: iv_t(k), deltas=st.ax.core_deltas)
    fwd = spot * np.exp((rate - q) * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        kk = np.log(choice.strikes / fwd[:, None])
    ok_k = np.isfinite(kk)
    vol = np.where(ok_k, iv_t(np.where(ok_k, kk, 0.0)), np.nan)
    g = kernels.bsm_greeks(spot[:, None], choice.strikes, t, vol, rate, q, LEG_IS_CALL[None, :])
    credit = net_credit(g.price)
    ml = max_loss_per_condor(choice.strikes, credit)
    out = (choice, vol, g, credit, ml, invalid_condor(choice, credit, ml, vol))
    if memo is not None:  # the books only read these arrays (not made read-only: numba would compile again)
        memo[d] = (mp, key, r.core, st.ax.core_deltas.copy(), out)
    return out
