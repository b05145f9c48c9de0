"""Stage "records": the day's holding-period row, slot P&L, NAV, greeks and the core's snapshot.

:func:`write_row` writes row d of :class:`~alvh.engine.records.PositionRecords` (the holding period from
the previous close to today's mark) and the per-component mark-to-market P&L; :func:`roll_marks` makes
today's marks the state's last marks; :func:`close_day` records NAV = cash + positions' value - debt,
the component values and greeks and the core snapshot after the day's trades; :func:`finish` runs once
after the loop (blank the rows of slots not held, break-evens and collateral for all days at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from alvh.engine.records import InstrumentKind
from alvh.strategy.costs import SPX_MULTIPLIER
from alvh.strategy.legs import break_evens, collateral

if TYPE_CHECKING:
    from alvh.engine.marks import DayMarks
    from alvh.engine.state import EngineState


#: the records fields write_row copies, in the order of its compiled kernel's arguments
_ROW_FIELDS = (
    "quantity", "strike", "t_prev", "t_now", "underlying_prev", "underlying_now", "underlying_rolldown",
    "vol_prev", "vol_now", "price_prev", "price_now",
)  # fmt: skip


def write_row(st: EngineState, d: int, m: DayMarks) -> None:
    """Records row d (holding period d-1 -> d) and the components' P&L ``q x mult x (price_now - price_prev)``."""
    rec = st.rec
    o = st.P_own  # the records hold the run's own paths (not the standalone core's: EngineState._outputs)
    if st.dk is not None:  # the same steps as below, one compiled pass (engine.day_kernels)
        if not st.rec_row:
            st.rec_row = tuple(rec[k] for k in _ROW_FIELDS)
        st.dk.write_row(
            d, o, *st.rec_row, rec["kind"], rec["is_call"], st.slot_kind, st.slot_is_call,
            st.qty, st.strike, st.t_last, m.t_now, st.und_last, m.und_now, m.und_rd, st.vol_last, m.vol_now,
            st.price_last, m.price_now, st.mult, st.fut_slot, st.fut_onehot is not None, st.comp_perm,
            st.comp_start, st.pnl[d], st.acct,
        )  # fmt: skip
        if st.any_rolldown:
            st.rd_row = (st.und_last.copy(), m.und_rd.copy())
        return
    # raw copies; slots not held are blanked once after the loop (finish)
    rec["quantity"][d] = st.qty[:o]  # (kind and is_call are per slot: written before the loop)
    rec["strike"][d] = st.strike[:o]
    rec["t_prev"][d] = st.t_last[:o]
    rec["t_now"][d] = m.t_now[:o]
    rec["underlying_prev"][d] = st.und_last[:o]
    rec["underlying_now"][d] = m.und_now[:o]
    rec["underlying_rolldown"][d] = m.und_rd[:o]
    rec["vol_prev"][d] = st.vol_last[:o]
    rec["vol_now"][d] = m.vol_now[:o]
    rec["price_prev"][d] = st.price_last[:o]
    rec["price_now"][d] = m.price_now[:o]
    if st.any_rolldown:  # the roll-down rule reads this row on every path, the standalone core's too
        st.rd_row = (st.und_last.copy(), m.und_rd.copy())
    slot_pnl = st.qty * st.mult[None, :] * (m.price_now - st.price_last)
    st.pnl[d] = st.by_component(slot_pnl)
    if st.fut_slot.any():  # the futures' P&L is variation margin: it moves their component's cash
        st.acct[:, :-1] += st.by_component(np.where(st.fut_slot[None, :], slot_pnl, 0.0))


def roll_marks(st: EngineState, m: DayMarks, rate: float) -> None:
    """Today's marks become the last marks (the *_now arrays already carry the old values where nothing is
    held; t and delta of empty slots are never read before an entry sets them)."""
    st.price_last = m.price_now
    st.und_last = m.und_now
    st.vol_last = m.vol_now
    st.t_last = m.t_now
    st.rate_last.fill(rate)
    st.delta_last = m.delta_now


def nav_before_trades(st: EngineState) -> np.ndarray:
    """NAV at today's marks after settlement, before the rules trade (the sizing base), (P,)."""
    if st.dk is not None:
        out = np.empty(st.P)
        st.dk.nav_before_trades(st.qty, st.mult, st.price_last, st.cash, float(st.debt), out)
        return out
    return st.cash + (st.qty * st.mult[None, :] * st.price_last).sum(axis=1) - st.debt


def close_day(st: EngineState, d: int, m: DayMarks) -> None:
    """NAV and per-component values/greeks after the day's trades; the core's strikes, credit and size."""
    if st.dk is not None:
        st.dk.close_day(
            d, st.qty, st.mult, st.price_last, st.cash, float(st.debt), st.comp_perm, st.comp_start, m.greeks,
            st.core_strikes, st.credit, st.value, st.nav, st.cash_hist, st.greeks, st.snap_strikes,
            st.snap_credit, st.snap_condors,
        )  # fmt: skip
        return
    mv = st.qty * st.mult[None, :] * st.price_last
    st.value[d] = st.by_component(mv)
    st.nav[d] = st.cash + mv.sum(axis=1) - st.debt
    st.cash_hist[d] = st.cash
    st.greeks[d] = m.greeks
    # core snapshot; break-evens and collateral are computed for all days at once after the loop
    st.snap_strikes[d] = st.core_strikes
    st.snap_credit[d] = st.credit
    st.snap_condors[d] = np.abs(st.qty[:, 1])


def finish(st: EngineState) -> None:
    """After the loop: blank the record fields of slots not held (in place: no second copy of the big arrays;
    the compiled records row wrote them blank already); the core's break-evens and collateral on every day
    (not in a NAV-only pass, whose result is its NAV)."""
    if st.dk is None:
        blank_empty(st.rec, st.slot_kind, st.slot_is_call)
    if st.prep.nav_only:
        return
    on = st.snap_condors != 0
    strikes = st.snap_strikes.reshape(-1, 4)
    credit = st.snap_credit.reshape(-1)
    lo, hi = break_evens(strikes, credit)
    st.be[..., 0] = np.where(on, lo.reshape(on.shape), np.nan)
    st.be[..., 1] = np.where(on, hi.reshape(on.shape), np.nan)
    st.coll = collateral(strikes, credit, st.snap_condors.reshape(-1), SPX_MULTIPLIER).reshape(on.shape)


def blank_empty(rec: dict[str, np.ndarray], slot_kind: np.ndarray, slot_is_call: np.ndarray) -> None:
    """Each slot's kind and call flag on every row, then the fields of slots not held blank (kind NONE,
    strike and vols NaN, every other float 0): the reference of the compiled records row's blanking."""
    rec["kind"][:] = slot_kind
    rec["is_call"][:] = slot_is_call
    empty = rec["quantity"] == 0
    rec["kind"][empty] = InstrumentKind.NONE
    rec["is_call"][empty] = False
    for k in ("strike", "vol_prev", "vol_now"):
        rec[k][empty] = np.nan
    for k in ("t_prev", "t_now", "underlying_prev", "underlying_now", "underlying_rolldown", "price_prev", "price_now"):
        rec[k][empty] = 0.0
