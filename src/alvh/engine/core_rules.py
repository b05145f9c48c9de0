"""Stage "core rules": the iron condor's exits, then its entry (docs/engine.md, day step 4a).

:func:`apply_core` ``(state, d, rate, q, capital)``: the rules themselves (exit triggers, the entry
expiry, strikes, validity, size) are :mod:`alvh.strategy.legs`; this stage prices the legs at today's
marks and books the trades (:func:`alvh.engine.fills.trade`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from alvh.config import Rules
from alvh.engine import fills
from alvh.market.surface import SpxSmileDay, SpxSurface
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy import kernels
from alvh.strategy.legs import (
    LEG_IS_CALL,
    LEG_SIGN,
    StrikeChoice,
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


#: Most (entry days x paths) rows, and paths, :func:`entry_table` computes at once (beyond, the entry is computed
#: per day): the table pays on a backtest's few path slots (per-call overhead); on a simulation's chunk of
#: 1,000 paths each day's entry is already one vectorized call, and the table measured slower there.
ENTRY_TABLE_MAX_ROWS = 20_000
ENTRY_TABLE_MAX_PATHS = 64


def _condor(
    r: Rules, spot: np.ndarray, t: float | np.ndarray, rate: float | np.ndarray, q: float, iv_t: Callable, deltas: Any
) -> tuple[StrikeChoice, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The condor an entry opens: strikes, vol, leg prices, credit, max loss, invalid; one row per path (one
    expiry ``t``), or per (day, path) row (``t``, ``rate`` per row: :func:`entry_table`)."""
    rates = np.full(len(spot), rate) if np.ndim(rate) == 0 else np.asarray(rate)
    choice = select_strikes(r.core, spot, t, rates, lambda k, tt: iv_t(k), deltas=deltas)
    fwd = spot * np.exp((rate - q) * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        kk = np.log(choice.strikes / fwd[:, None])
    ok_k = np.isfinite(kk)
    vol = np.where(ok_k, iv_t(np.where(ok_k, kk, 0.0)), np.nan)
    col = (lambda a: a) if np.ndim(t) == 0 else (lambda a: a[:, None])
    g = kernels.bsm_greeks(spot[:, None], choice.strikes, col(t), vol, col(rate), q, LEG_IS_CALL[None, :])
    credit = net_credit(g.price)
    ml = max_loss_per_condor(choice.strikes, credit)
    return choice, vol, g.price, credit, ml, invalid_condor(choice, credit, ml, vol)


def entry_table(st: EngineState) -> dict[int, tuple] | None:
    """The core entry of every possible entry day computed before the loop, vectorized over (day, path) rows:
    ``{d: (expiry, t, strikes, vol, leg prices, credit, max loss, invalid)}`` (days with no later expiry left out).
    Nothing of it reads the state (only which days enter does), and every step is elementwise (the 4-leg
    sums are sequential either way), so the same numbers as :func:`_entry` computing it on the day (tested:
    tests/test_day_kernels.py). None (computed per day) off the tail-weight surface, for ``strike_mode``
    "width" and beyond :data:`ENTRY_TABLE_MAX_ROWS` rows or :data:`ENTRY_TABLE_MAX_PATHS` paths."""
    r, mp = st.prep.rules, st.prep.paths
    surf, P = mp.surface, st.P
    cand = sorted(st.core_entry_days) if r.core.entry == "third_friday" else range(st.n)
    if (
        not isinstance(surf, SpxSurface)
        or r.core.strike_mode != "delta"
        or len(cand) * P > ENTRY_TABLE_MAX_ROWS
        or P > ENTRY_TABLE_MAX_PATHS
    ):
        return None
    days, exps = [], []
    for d in cand:
        e = entry_expiry(r.core, st.spx_exp_ord, st.d_ord[d])
        if e is not None:
            days.append(d)
            exps.append(e)
    if not days:
        return {}
    di = np.array(days)
    t_d = np.array([(e - st.d_ord[d]) / DAYS_PER_YEAR for d, e in zip(days, exps, strict=True)])
    rows = len(days) * P
    t, rate = np.repeat(t_d, P), np.repeat(st.rates[di], P)
    sd = SpxSmileDay(surf.theta30[di].reshape(rows), surf.tail[di].reshape(rows), surf.term_ratio[di].reshape(rows, 4))
    iv_t = sd.iv_at_rows(t)
    deltas = None if st.ax.core_deltas is None else np.tile(st.ax.core_deltas, (len(days), 1))
    q = r.core.dividend_yield
    choice, vol, price, credit, ml, bad = _condor(r, mp.spx_close[di].reshape(rows), t, rate, q, iv_t, deltas)
    out = (choice.strikes, vol, price, credit, ml, bad)
    per = [a.reshape((len(days), P) + a.shape[1:]) for a in out]
    return {d: (exps[i], t_d[i], *(a[i] for a in per)) for i, d in enumerate(days)}


def _entry(st: EngineState, d: int, rate: float, q: float, cap: np.ndarray, flat: np.ndarray) -> None:
    r, mp = st.prep.rules, st.prep.paths
    P = st.P
    today = st.d_ord[d]
    if r.core.entry == "third_friday" and d not in st.core_entry_days:
        return
    spot = mp.spx_close[d]
    if st.entry_tab is not None:  # computed before the loop (entry_table): the same numbers
        row = st.entry_tab.get(d)
        if row is None:
            st.event(d, "core_no_expiry", flat)
            return
        expiry, t, strikes, vol, price, credit, ml, bad = row
    else:
        exp_or_none = entry_expiry(r.core, st.spx_exp_ord, today)
        if exp_or_none is None:
            st.event(d, "core_no_expiry", flat)
            return
        expiry = exp_or_none
        t = (expiry - today) / DAYS_PER_YEAR
        sday = mp.surface.day(d)  # type: ignore[attr-defined]
        iv_t = sday.iv_at(t) if hasattr(sday, "iv_at") else lambda k: np.asarray(sday.iv(k, t))  # one expiry
        choice, vol, price, credit, ml, bad = _quote(st, d, t, rate, q, int(expiry), iv_t)
        strikes = choice.strikes
    go = flat & ~bad
    st.event(d, "core_no_valid_condor", flat & bad)
    n = condor_count(r.core, r.general.contracts, cap, ml, go)
    zero = go & (n <= 0)
    st.event(d, "core_size_zero", zero)
    go &= n > 0
    if not go.any():
        return
    if st.dk is not None:  # the loop below as two compiled passes around the four trades (engine.day_kernels)
        dq = np.empty((4, P))  # a row per leg: each leg's trade reads a contiguous row
        sl = (st.price_last, st.und_last, st.vol_last, st.t_last, st.rate_last)
        st.dk.enter_legs(go, strikes, expiry, n, LEG_SIGN, st.qty, st.strike, st.exp_ord, dq, price, spot,
                         vol, float(t), float(rate), *sl)  # fmt: skip
        px = np.ascontiguousarray(price.T)  # (4, P); the cost model is elementwise: one call for the 4 legs
        cost = st.costs.spx(dq, 4, px)
        for s in range(4):
            fills.trade(st, d, s, dq[s], px[s], cost[s], "entry")
    for s in range(4 if st.dk is None else 0):
        st.strike[:, s] = np.where(go, strikes[:, s], st.strike[:, s])
        st.exp_ord[:, s] = np.where(go, expiry, st.exp_ord[:, s])
        dq = np.where(go, LEG_SIGN[s] * n, 0.0)
        st.qty[:, s] += dq
        fills.trade(st, d, s, dq, price[:, s], st.costs.spx(dq, 4, price[:, s]), "entry")
        st.price_last[:, s] = np.where(go, price[:, s], st.price_last[:, s])
        st.und_last[:, s] = np.where(go, spot, st.und_last[:, s])
        st.vol_last[:, s] = np.where(go, vol[:, s], st.vol_last[:, s])
        st.t_last[:, s] = np.where(go, t, st.t_last[:, s])
        st.rate_last[:, s] = np.where(go, rate, st.rate_last[:, s])
    st.credit = np.where(go, credit, st.credit)
    st.core_strikes = np.where(go[:, None], strikes, st.core_strikes)
    st.core_opened = go  # read (and reset) by layer_rules.apply_layers: sizing.basis = "core_vega" resizes


def _quote(st: EngineState, d: int, t: float, rate: float, q: float, expiry: int, iv_t: Callable) -> tuple:
    """Day d's condor on every path (:func:`_condor`) computed on the day.

    It reads only the market, the core's rules and strike deltas: with :attr:`EngineState.entry_memo` (one
    dict shared by the books of one engine call on the same paths: the standalone core's NAV pass and the
    hedged book) the second book reuses the first book's quote of the day (the same arrays) when those
    inputs are the same objects and values, instead of computing it again."""
    r, mp = st.prep.rules, st.prep.paths
    memo, deltas = st.entry_memo, st.ax.core_deltas
    key = (t, rate, q, expiry)
    hit = memo.get(d) if memo is not None else None
    if hit is not None and hit[0] is mp and hit[1] == key and hit[2] == r.core:
        if (hit[3] is None and deltas is None) or (
            hit[3] is not None and deltas is not None and np.array_equal(hit[3], deltas)
        ):
            return hit[4]
    out = _condor(r, mp.spx_close[d], t, rate, q, iv_t, deltas)
    if memo is not None:  # the books only read these arrays (not made read-only: numba would compile again)
        memo[d] = (mp, key, r.core, None if deltas is None else np.array(deltas), out)
    return out
