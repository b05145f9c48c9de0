"""VX futures marks for the day loop: every contract's price (its settlement value on its settlement day),
its roll-down (yesterday's curve at today's DTE) and dF/dVIX, as day-block tables or per held slot.

Used by :mod:`alvh.engine.marks` (the "market marks" stage, docs/engine.md day step 2) for the VX futures
and the VIX options' underlying; nothing here trades or changes the state's positions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from alvh.engine.state import EngineState

#: days x paths x contracts per VX table block (4 MB per float table, ~10 temporaries)
VX_BLOCK_CELLS = 1 << 19


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
