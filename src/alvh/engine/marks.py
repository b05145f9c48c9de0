"""Stage "market marks": every held slot valued at today's close, or at its settlement if it expires today.

:func:`mark_day` ``(state, d, rate, q) -> DayMarks`` (docs/engine.md, day step 2): SPX legs by
Black-Scholes-Merton on the SPX close with the surface's smile (:func:`mark_spx_legs`: one call, numpy
or the compiled kernel); VX futures at the day's settlement; VIX options (calls and puts) by Black-76 on
the VX of the same expiry at the smile vol of their strike and tenor; positions expiring today at their
settlement (SPX options: the SPX open; VX and VIX options: Cboe's final settlement value, the SOQ, from the VX
data, else the VIX open). It also gives the VX roll-down (yesterday's curve at today's DTE) and the day's
greeks. Nothing here trades or changes the state's positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alvh.engine.records import InstrumentKind
from alvh.engine.vx_marks import rolldown, vx_day, vx_px
from alvh.market._spx_kernel import spx_marks
from alvh.market.surface import _TERM_T, SpxSurface
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy import kernels
from alvh.strategy.costs import SPX_MULTIPLIER
from alvh.strategy.legs import LEG_IS_CALL

if TYPE_CHECKING:
    from alvh.engine.state import EngineState


@dataclass
class DayMarks:
    """Today's marks of every slot, (P, S) unless stated; slots not held carry their last values."""

    held: np.ndarray  #: bool, quantity != 0 at the start of the day
    t_now: np.ndarray  #: years to expiry (0 at settlement)
    price_now: np.ndarray  #: mark (or settlement value), points per unit
    und_now: np.ndarray  #: SPX spot / VX price used for the mark
    und_rd: np.ndarray  #: VX roll-down: yesterday's curve at today's DTE (= last underlying elsewhere)
    vol_now: np.ndarray  #: implied vol of the mark (decimal; NaN for futures)
    delta_now: np.ndarray  #: dPrice/dUnderlying of the VIX products (1 for futures; 0 for SPX legs)
    greeks: np.ndarray  #: (P, n_components, 4) dollars: delta, gamma, vega, theta
    settle: np.ndarray  #: bool, expiring today (settled in stage "fills")


def mark_day(st: EngineState, d: int, rate: float, q: float) -> DayMarks:
    """Mark every held slot on day d (the state's positions are read, not changed)."""
    P, S = st.P, st.S
    if st.dk is not None:  # the same starting arrays, one compiled pass (engine.day_kernels)
        h, t, pn = np.empty((P, S), dtype=bool), np.empty((P, S)), np.empty((P, S))
        un, ur, vn = np.empty((P, S)), np.empty((P, S)), np.empty((P, S))
        spx, vix = st.dk.day_marks(
            st.qty, st.exp_ord, st.d_ord[d], st.price_last, st.und_last, st.vol_last, h, t, pn, un, ur, vn
        )
        m = DayMarks(
            h, t, pn, un, ur, vn, np.zeros((P, S)), np.zeros((P, len(st.components), 4)), np.zeros((P, S), dtype=bool)
        )
        if spx:
            mark_spx_legs(st, d, m, rate, q)
        if S > 4 and vix:
            _mark_vix_products(st, d, m, rate)
        return m
    m = DayMarks(
        held=st.qty != 0,
        t_now=np.maximum((st.exp_ord - st.d_ord[d]) / DAYS_PER_YEAR, 0.0),
        price_now=st.price_last.copy(),
        und_now=st.und_last.copy(),
        und_rd=st.und_last.copy(),
        vol_now=st.vol_last.copy(),
        delta_now=np.zeros((P, S)),
        greeks=np.zeros((P, len(st.components), 4)),
        settle=np.zeros((P, S), dtype=bool),
    )
    if m.held[:, :4].any():
        mark_spx_legs(st, d, m, rate, q)
    if S > 4 and m.held[:, 4:].any():
        _mark_vix_products(st, d, m, rate)
    return m


def mark_spx_legs(st: EngineState, d: int, m: DayMarks, rate: float, q: float) -> None:
    """The 4 SPX legs: smile vol, BSM price and greeks (one compiled pass, or the same formulas in numpy)."""
    mp = st.prep.paths
    spx_c = mp.spx_close[d]
    surf = mp.surface
    if st.nb is not None and isinstance(surf, SpxSurface):
        spx_marks(
            spx_c,
            mp.spx_open[d],
            st.strike[:, :4],
            m.t_now[:, :4],
            surf.theta30[d],
            surf.tail[d],
            surf.term_ratio[d],
            _TERM_T,
            float(rate),
            float(q),
            LEG_IS_CALL,
            st.qty[:, :4],
            SPX_MULTIPLIER,
            st.vol_last[:, :4],
            st.price_last[:, :4],
            st.und_last[:, :4],
            m.price_now[:, :4],
            m.und_now[:, :4],
            m.vol_now[:, :4],
            m.settle[:, :4],
            m.greeks[:, 0, :],
        )
        return
    tl = m.t_now[:, :4]
    expiring = tl <= 0
    und = np.where(expiring, mp.spx_open[d][:, None], spx_c[:, None])
    fwd = spx_c[:, None] * np.exp((rate - q) * tl)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.log(st.strike[:, :4] / fwd)
    k = np.where(h0 := np.isfinite(k), k, 0.0)  # empty legs: any finite point (their vol is unused)
    vol = np.asarray(surf.day(d).iv(k, np.maximum(tl, 1e-9)))  # type: ignore[attr-defined]
    vol = np.where(h0, vol, np.nan)
    vol = np.where(expiring, st.vol_last[:, :4], vol)
    g = kernels.bsm_greeks(
        und, st.strike[:, :4], tl, np.where(np.isfinite(vol), vol, 0.2), rate, q, LEG_IS_CALL[None, :]
    )
    h = m.held[:, :4]
    m.price_now[:, :4] = np.where(h, g.price, st.price_last[:, :4])
    m.und_now[:, :4] = np.where(h, und, st.und_last[:, :4])
    m.und_rd[:, :4] = st.und_last[:, :4]
    m.vol_now[:, :4] = np.where(h, vol, st.vol_last[:, :4])
    m.settle[:, :4] = h & expiring
    qm = st.qty[:, :4] * SPX_MULTIPLIER
    live = h & ~expiring
    for gi, arr in enumerate((g.delta, g.gamma, g.vega, g.theta)):
        m.greeks[:, 0, gi] = np.where(live, qm * arr, 0.0).sum(axis=1)


def _mark_vix_products(st: EngineState, d: int, m: DayMarks, rate: float) -> None:
    """Every VX / VIX-option slot at once, (P, n_vix) blocks."""
    prep, mp = st.prep, st.prep.paths
    vs = slice(4, st.S)
    if st.nb is not None and st.all_futures and st.vx_tables:
        # one compiled pass over the futures slots (same steps as the numpy block below)
        mark_d, rd_d, sens_d = vx_day(st, d)
        stale = st.nb.vx_futures_marks(
            d,
            mark_d,
            rd_d,
            sens_d,
            prep.vx_settle_day,
            st.contract[:, vs],
            st.qty[:, vs],
            st.mult[vs],
            st.slot_comp[vs],
            st.price_last[:, vs],
            st.und_last[:, vs],
            m.price_now[:, vs],
            m.und_now[:, vs],
            m.und_rd[:, vs],
            m.delta_now[:, vs],
            m.settle[:, vs],
            m.greeks[:, :, 2],
        )
        st.event(d, "stale_vx_mark", stale)  # an int over all paths: the standalone core's hold no VX
        return
    h = m.held[:, vs]
    c = np.maximum(st.contract[:, vs], 0)  # empty slots (-1) read any contract: masked by h below
    tau = (st.exp_ord[:, vs] - st.d_ord[d]).astype(float)
    if st.vx_tables:
        mark_d, rd_d, sens_d = vx_day(st, d)
        f = mark_d[st.arP[:, None], c]
    else:
        f = vx_px(st, d, c)
    stale = h & ~np.isfinite(f)
    if stale.any():
        st.event(d, "stale_vx_mark", stale)
    f = np.where(np.isfinite(f), f, st.und_last[:, vs])
    if d == 0:
        rd = f
    else:
        rd = rd_d[st.arP[:, None], c] if st.vx_tables else rolldown(st, d, c, tau)
    rd = np.where(np.isfinite(rd), rd, st.und_last[:, vs])
    settling = h & (prep.vx_settle_day[c] <= d)
    m.settle[:, vs] = settling
    sens = sens_d[c] if st.vx_tables else st.sens(tau)
    fut = st.slot_kind[vs] == InstrumentKind.VX_FUTURE
    px = f
    dl = np.ones_like(f)
    vega_unit = np.where(fut, sens, 0.0)
    if not fut.all():
        # a settling option keeps its last vol (unused: the settlement is intrinsic), as do futures slots;
        # the smile vol at each option's strike (alvh.market.VixSmile); futures slots read any finite strike
        k = np.where(fut, f, st.strike[:, vs])
        smile = mp.vix_option_vol.vol_at(d, np.maximum(tau, 1.0), f, k)
        vv = np.where(settling | fut | ~h, st.vol_last[:, vs], smile)
        # empty slots (t = 0 from a blank expiry) priced at a stand-in time: their values are masked by h below,
        # and with every entry live the kernel skips its settlement pass on most days
        t_opt = np.where(h, m.t_now[:, vs], 1.0)
        g_px, g_dl, g_th = _black_pdt(st, f, st.strike[:, vs], t_opt, vv, rate, st.slot_is_call[vs])
        px = np.where(fut, f, g_px)
        dl = np.where(fut, 1.0, g_dl)
        m.vol_now[:, vs] = np.where(h & ~fut, vv, st.vol_last[:, vs])
        vega_unit = np.where(fut, sens, g_dl * sens)
        theta = np.where(h & ~settling & ~fut, st.qty[:, vs] * st.mult[vs] * g_th, 0.0)
        m.greeks[:, :, 3] += st.by_component(theta, 4)
    m.price_now[:, vs] = np.where(h, px, st.price_last[:, vs])
    m.delta_now[:, vs] = dl
    m.greeks[:, :, 2] += st.by_component(np.where(h & ~settling, st.qty[:, vs] * st.mult[vs] * vega_unit, 0.0), 4)
    m.und_now[:, vs] = np.where(h, f, st.und_last[:, vs])
    m.und_rd[:, vs] = np.where(h, rd, st.und_last[:, vs])


def _black_pdt(
    st: EngineState, f: np.ndarray, k: np.ndarray, t: np.ndarray, vol: np.ndarray, rate: float, calls: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Black-76 price, delta, theta of a (P, m) block: one compiled pass (``alvh.pricing._numba.black76_pdt``, the
    same scalar formulas; agrees to rounding, tested) or :func:`alvh.strategy.kernels.black_greeks`."""
    if st.nb is not None:
        out = tuple(np.empty_like(f) for _ in range(3))
        st.nb.black76_pdt(np.ascontiguousarray(f), np.ascontiguousarray(k), t, vol, float(rate), calls, *out)
        return out  # type: ignore[return-value]
    gb = kernels.black_greeks(f, k, t, vol, rate, calls)
    return gb.price, gb.delta, gb.theta
