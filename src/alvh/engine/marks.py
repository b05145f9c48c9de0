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
from alvh.market._spx_kernel import spx_marks
from alvh.market.surface import _TERM_T, SpxSurface
from alvh.pricing.units import DAYS_PER_YEAR
from alvh.strategy import kernels
from alvh.strategy.costs import SPX_MULTIPLIER
from alvh.strategy.legs import LEG_IS_CALL

if TYPE_CHECKING:
    from alvh.engine.state import EngineState

#: days x paths x contracts per VX table block (4 MB per float table, ~10 temporaries)
VX_BLOCK_CELLS = 1 << 19


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


# day-block tables of every contract's mark, roll-down and dF/dVIX: they depend on the day and the
# contract only (a held VX slot's DTE is its contract's DTE), not on today's decisions, so they are
# computed for a block of days at once and the loop only gathers. Worth it when the cost per day is
# numpy's per-call overhead (few paths); on many paths it would compute every listed contract
# (23 on the model calendar) instead of the 3-5 held slots, so the day's held slots are marked
# directly (vx_px, rolldown: the same arithmetic, tested equal). EngineState.VX_TABLE_MAX_CELLS decides.
def vx_day(st: EngineState, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mark, roll-down, dF/dVIX) of every contract on day d: (P, C), (P, C), (C,)."""
    if not st.vx_block[0] <= d < st.vx_block[1]:
        C = st.prep.paths.vx_price.shape[2]
        # a sweep's shared market (every path the same, EngineState.shared_market): one path's tables,
        # broadcast over the paths (the same numbers as the one-path run, computed once)
        Pm = 1 if st.shared_market else st.P
        B = max(1, VX_BLOCK_CELLS // max(Pm * C, 1))
        d1 = min(st.n, d + B)
        mark, rd, sens = _vx_block(st, d, d1, slice(0, 1) if st.shared_market else slice(None))
        if st.shared_market:
            mark, rd = (np.broadcast_to(a, (a.shape[0], st.P, C)) for a in (mark, rd))
        st.vx_block = (d, d1, mark, rd, sens)
    i = d - st.vx_block[0]
    return st.vx_block[2][i], st.vx_block[3][i], st.vx_block[4][i]


def _vx_block(st: EngineState, d0: int, d1: int, ps: slice = slice(None)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables of days d0..d1-1 (B, P, C) for the paths ``ps``: the VX price of each contract, its settlement
    value on its settlement day (Prepared.vx_settle_px: the SOQ, or the VIX open without it; NaN where not
    listed); the roll-down: yesterday's curve (VIX close at DTE 0, listed VX)
    linearly interpolated at the contract's DTE today (day 0: unused); dF/dVIX at its DTE (B, C)."""
    mp, prep = st.prep.paths, st.prep
    days = np.arange(d0, d1)
    C = mp.vx_price.shape[2]
    vx_price, vix_close = mp.vx_price[:, ps], mp.vix_close[:, ps]
    tau_now = (st.exp_ord_vx[None, :] - st.d_ord[d0:d1][:, None]).astype(float)  # (B, C)
    sens = st.sens(tau_now, days[:, None])
    if st.nb is not None:
        # the same steps element by element in one compiled pass (alvh.pricing._numba.vx_block): on 1,000
        # paths x 23 contracts the numpy temporaries below were ~20% of the engine's day loop
        shape = (d1 - d0, vx_price.shape[1], C)
        mark_nb, rd_nb = np.empty(shape), np.empty(shape)
        st.nb.vx_block(
            d0, vx_price, vix_close, prep.vx_settle_day, prep.vx_settle_px[ps], prep.vx_dte, tau_now, mark_nb, rd_nb
        )
        return mark_nb, rd_nb, sens
    mark = np.where(
        (prep.vx_settle_day[None, :] == days[:, None])[:, None, :], prep.vx_settle_px[ps][None], vx_price[d0:d1]
    )
    prev = np.maximum(days - 1, 0)
    cc = np.arange(C)
    lo = np.maximum(cc - 1, 0)
    f_c = vx_price[prev]  # (B, P, C)
    t_c = prep.vx_dte[prev].astype(float)[:, None, :]
    f_lo = f_c[:, :, lo]
    t_lo = prep.vx_dte[prev][:, lo].astype(float)[:, None, :]
    tn = tau_now[:, None, :]
    use_lo = (cc >= 1) & np.isfinite(f_lo) & (t_lo > 0) & (t_lo <= tn)
    f0 = np.where(use_lo, f_lo, vix_close[prev][:, :, None])
    t0 = np.where(use_lo, t_lo, 0.0)
    span = np.where(t_c > t0, t_c - t0, 1.0)
    w = np.clip((tn - t0) / span, 0.0, 1.0)
    out = f0 + (f_c - f0) * w
    rd = np.where(np.isfinite(out), out, f_c)
    return mark, rd, sens


def vx_px(st: EngineState, d: int, c: np.ndarray) -> np.ndarray:
    """VX price of contract c (P,) or (P, k) on day d; its settlement value (Prepared.vx_settle_px) on its
    settlement day; NaN where none."""
    mp = st.prep.paths
    cc = np.maximum(c, 0)
    ar = st.arP[:, None] if c.ndim == 2 else st.arP
    px = mp.vx_price[d, ar, cc]
    settling = st.prep.vx_settle_day[cc] == d
    px = np.where(settling, st.prep.vx_settle_px[ar, cc], px)
    return np.where(c >= 0, px, np.nan)


def rolldown(st: EngineState, d: int, c: np.ndarray, tau_now: np.ndarray) -> np.ndarray:
    """Yesterday's curve (VIX close at DTE 0, listed VX) linearly interpolated at today's DTE."""
    mp, prep = st.prep.paths, st.prep
    cc = np.maximum(c, 0)
    ar, col = (st.arP[:, None], (slice(None), None)) if c.ndim == 2 else (st.arP, slice(None))
    lo = np.maximum(cc - 1, 0)
    f_c = mp.vx_price[d - 1, ar, cc]
    t_c = prep.vx_dte[d - 1, cc].astype(float)
    f_lo = mp.vx_price[d - 1, ar, lo]
    t_lo = prep.vx_dte[d - 1, lo].astype(float)
    use_lo = (cc >= 1) & np.isfinite(f_lo) & (t_lo > 0) & (t_lo <= tau_now)
    f0 = np.where(use_lo, f_lo, mp.vix_close[d - 1][col])
    t0 = np.where(use_lo, t_lo, 0.0)
    span = np.where(t_c > t0, t_c - t0, 1.0)
    w = np.clip((tau_now - t0) / span, 0.0, 1.0)
    out = f0 + (f_c - f0) * w
    return np.where(np.isfinite(out), out, f_c)
