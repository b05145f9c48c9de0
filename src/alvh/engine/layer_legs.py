"""Quotes of a hedge layer's new position: a VX future, a VIX call or put, or a vertical spread of two options.

:func:`quote` ``(state, d, layer, contract, rate) -> Quote`` prices what a layer would enter in contract
``c`` at today's close: Black-76 (:func:`alvh.strategy.kernels.black_greeks`, i.e. ``alvh.pricing``) on the
VX future of that expiry at the smile vol of each strike (``MarketPaths.vix_option_vol.vol_at``, the upward
VIX skew of :class:`alvh.market.VixSmile`). A spread's sizing figures (price, delta, extrinsic value) are net
of its short leg. Nothing here trades.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alvh.config import Layer
from alvh.engine import fills
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy import kernels
from alvh.strategy.costs import VX_MULTIPLIER
from alvh.strategy.layers import extrinsic_value, option_strike, spread_short_strike

if TYPE_CHECKING:
    from alvh.engine.state import EngineState


@dataclass
class Leg:
    """One option leg of a quote, (P,) each: price (points), strike, Black-76 delta, vol (decimal)."""

    price: np.ndarray
    strike: np.ndarray
    delta: np.ndarray
    vol: np.ndarray


@dataclass
class Quote:
    """A layer's new position: its own slot's leg, the spread's short leg (or None), and net sizing figures."""

    main: Leg
    short: Leg | None
    net_price: np.ndarray  #: long minus short price, points (what one unit of the layer costs)
    net_delta: np.ndarray  #: long minus short delta (1 for futures)
    extrinsic: np.ndarray  #: net extrinsic value at entry, points (0 for futures)


def option_leg(st: EngineState, d: int, f: np.ndarray, k: np.ndarray, tau: float, rate: float, is_call: bool) -> Leg:
    """A VIX option with strike k on the future f (P,) at tau calendar days: smile vol and Black-76."""
    t = tau / DAYS_PER_YEAR
    dte = np.full(st.P, tau)
    vol = st.prep.paths.vix_option_vol.vol_at(d, dte, f, np.where(np.isfinite(k), k, f))
    vol = np.where(np.isfinite(k), vol, np.nan)
    g = kernels.black_greeks(f, k, t, vol, rate, is_call)
    return Leg(price=np.asarray(g.price), strike=k, delta=np.asarray(g.delta), vol=vol)


def quote(st: EngineState, d: int, la: Layer, c_new: int, rate: float) -> Quote:
    """What layer ``la`` enters in contract ``c_new`` on day d (module docstring); NaN price where it cannot."""
    f = st.prep.paths.vx_price[d, :, c_new]
    tau = float(st.exp_ord_vx[c_new] - st.d_ord[d])
    if not la.is_option:
        nan = np.full(st.P, np.nan)
        leg = Leg(price=f, strike=nan, delta=np.ones(st.P), vol=nan)
        return Quote(main=leg, short=None, net_price=f, net_delta=leg.delta, extrinsic=np.zeros(st.P))
    t = tau / DAYS_PER_YEAR
    vvol = st.prep.paths.vix_option_vol

    def vol_of(k: np.ndarray) -> np.ndarray:
        return vvol.vol_at(d, np.full(st.P, tau), f, k)

    k = option_strike(la, f, t, vol_of)
    main = option_leg(st, d, f, k, tau, rate, la.is_call)
    ext = extrinsic_value(main.price, f, k, rate, t, la.is_call)
    if not la.is_spread:
        return Quote(main=main, short=None, net_price=main.price, net_delta=main.delta, extrinsic=ext)
    k2 = spread_short_strike(la, f, t, vol_of, k)
    short = option_leg(st, d, f, k2, tau, rate, la.is_call)
    ext2 = extrinsic_value(short.price, f, k2, rate, t, la.is_call)
    return Quote(
        main=main,
        short=short,
        net_price=main.price - short.price,
        net_delta=main.delta - short.delta,
        extrinsic=ext - ext2,
    )


def held_net(st: EngineState, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Layer j's held (price, delta) per unit at the last marks, net of a spread's short leg."""
    s, s2 = 4 + j, int(st.spread_slot[j])
    if s2 < 0:
        return st.price_last[:, s], st.delta_last[:, s]
    return st.price_last[:, s] - st.price_last[:, s2], st.delta_last[:, s] - st.delta_last[:, s2]


def held_extrinsic(st: EngineState, j: int, la: Layer, rate: float) -> np.ndarray:
    """Layer j's extrinsic value at the last marks (a spread's net of its short leg), points per unit."""
    s = 4 + j
    ext = extrinsic_value(st.price_last[:, s], st.und_last[:, s], st.strike[:, s], rate, st.t_last[:, s], la.is_call)
    s2 = int(st.spread_slot[j])
    if s2 >= 0:
        ext = ext - extrinsic_value(
            st.price_last[:, s2], st.und_last[:, s2], st.strike[:, s2], rate, st.t_last[:, s2], la.is_call
        )
    return ext


def set_marks(
    st: EngineState,
    s: int,
    m: np.ndarray,
    price: np.ndarray | float,
    und: np.ndarray | float,
    vol: np.ndarray | float,
    t: float,
    rate: float,
    delta: np.ndarray | float,
) -> None:
    """A new position's entry marks become slot s's last marks where m."""
    st.price_last[:, s] = np.where(m, price, st.price_last[:, s])
    st.und_last[:, s] = np.where(m, und, st.und_last[:, s])
    st.vol_last[:, s] = np.where(m, vol, st.vol_last[:, s])
    st.t_last[:, s] = np.where(m, t, st.t_last[:, s])
    st.rate_last[:, s] = np.where(m, rate, st.rate_last[:, s])
    st.delta_last[:, s] = np.where(m, delta, st.delta_last[:, s])


def layer_cost(st: EngineState, la: Layer, dq: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Dollars to trade dq contracts of the layer's instrument (the cost model); a spread's legs are costed
    one by one (:func:`trade_layer`)."""
    return st.costs.vx(dq) if not la.is_option else st.costs.vix_option(dq, price)


def trade_layer(st: EngineState, d: int, j: int, dq: np.ndarray, reason: str) -> np.ndarray:
    """Trade dq units of layer j at its last marks: its own slot and, for a spread, -dq of the short leg; a
    conversion or reversal on it is trimmed to what the layer still holds (:func:`trim_structure`).
    Returns the cost paid (P,)."""
    la = st.prep.rules.layers[j]
    s, s2 = 4 + j, int(st.spread_slot[j])
    cost = layer_cost(st, la, dq, st.price_last[:, s])
    fills.trade(st, d, s, dq, st.price_last[:, s], cost, reason)
    st.qty[:, s] += dq
    if s2 >= 0:
        c2 = st.costs.vix_option(-dq, st.price_last[:, s2])
        fills.trade(st, d, s2, -dq, st.price_last[:, s2], c2, reason)
        st.qty[:, s2] -= dq
        cost = cost + c2
    return cost + trim_structure(st, d, j, reason)


def _leg_cost(st: EngineState, s: int, dq: np.ndarray) -> np.ndarray:
    return st.costs.vx(dq) if st.mult[s] == VX_MULTIPLIER else st.costs.vix_option(dq, st.price_last[:, s])


def trim_structure(st: EngineState, d: int, j: int, reason: str) -> np.ndarray:
    """Keep layer j's conversion / reversal legs within what the layer holds (in VX-future equivalents,
    ``|q| x multiplier / 1000``): a resize below them closes the excess at the last marks, whole futures
    unless ``general.contracts = "fractional"``. Returns the cost (P,)."""
    if not st.conv_slots or st.slot_comp[st.conv_slots[0]] != j + 1:
        return np.zeros(st.P)
    s, a = 4 + j, st.conv_slots[0]
    held_eq = np.abs(st.qty[:, s]) * st.mult[s] / VX_MULTIPLIER
    locked_eq = np.abs(st.qty[:, a]) * st.mult[a] / VX_MULTIPLIER
    over = locked_eq > held_eq * (1 + 1e-12)
    if not over.any():
        return np.zeros(st.P)
    keep = held_eq if st.prep.rules.general.contracts == "fractional" else np.floor(held_eq + 1e-9)
    ratio = np.where(over, keep / np.where(over, locked_eq, 1.0), 1.0)
    cost = np.zeros(st.P)
    for leg in st.conv_slots:
        dq = np.where(over, st.qty[:, leg] * ratio - st.qty[:, leg], 0.0)
        c = _leg_cost(st, leg, dq)
        fills.trade(st, d, leg, dq, st.price_last[:, leg], c, reason)
        st.qty[:, leg] = np.where(over, st.qty[:, leg] + dq, st.qty[:, leg])
        cost += np.where(dq != 0, c, 0.0)
    return cost


def rolldown_frac(st: EngineState, d: int, s: int) -> np.ndarray:
    """The held future's drop over the last day along yesterday's unchanged curve, a fraction of its price:
    ``(U_prev - U_rolldown) / U_prev`` from today's records row (known at the close, no look-ahead)."""
    u0, urd = st.rd_row[0][:, s], st.rd_row[1][:, s]  # today's records row (recording.write_row), every path
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u0 > 0, (u0 - urd) / np.where(u0 > 0, u0, 1.0), 0.0)


def layer_slots(st: EngineState, j: int) -> list[int]:
    """Every slot of layer j: its contract, a spread's short leg, the conversion / reversal legs."""
    return [i for i in (4 + j, *st.spread_slot[j : j + 1], *st.conv_slots) if i >= 0 and st.slot_comp[i] == j + 1]


def open_layer(
    st: EngineState,
    d: int,
    j: int,
    la: Layer,
    opening: np.ndarray,
    target: np.ndarray,
    qt: Quote,
    c_new: int,
    f_new: np.ndarray,
    tau: float,
    rate: float,
) -> None:
    """Open ``target`` units of layer j in contract c_new where ``opening`` (both legs of a spread)."""
    legs = [(4 + j, qt.main, 1.0)] + ([(int(st.spread_slot[j]), qt.short, -1.0)] if qt.short is not None else [])
    first = opening & ~st.ever_held[:, 4 + j]
    for s, leg, sign in legs:
        assert leg is not None
        st.contract[:, s] = np.where(opening, c_new, st.contract[:, s])
        st.strike[:, s] = np.where(opening, leg.strike, st.strike[:, s])
        st.exp_ord[:, s] = np.where(opening, st.exp_ord_vx[c_new], st.exp_ord[:, s])
        for reason, m in (("entry", first), ("roll", opening & ~first)):
            if m.any():
                dq = np.where(m, sign * target, 0.0)
                fills.trade(st, d, s, dq, leg.price, layer_cost(st, la, dq, leg.price), reason)
        st.qty[:, s] = np.where(opening, sign * target, st.qty[:, s])
        st.ever_held[:, s] |= opening
        st.settled[:, s] &= ~opening
        set_marks(st, s, opening, leg.price, f_new, leg.vol, tau / DAYS_PER_YEAR, rate, leg.delta)
    st.entry_extrinsic[:, 4 + j] = np.where(opening, qt.extrinsic, st.entry_extrinsic[:, 4 + j])
