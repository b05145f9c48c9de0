"""Stage "fills and ledger": every trade at the day's mark plus its cost, booked into cash, costs and the ledger.

:func:`trade` is the only place cash moves for a position (financing aside): buying ``dq`` at ``price``
pays ``dq x multiplier x price + cost``, so trading changes NAV only by its cost (the cash identity,
docs/engine.md). :func:`settle_expiries` closes positions expiring today at their settlement value, no cost.
The ledger keeps trades as arrays appended per day (no object per trade).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from alvh.engine.state import EngineState

#: Trade reasons, in the order of their int8 code in the ledger.
REASONS: tuple[str, ...] = ("entry", "roll", "rebalance", "exit", "expiry", "adaptive", "resize")
_R = {r: i for i, r in enumerate(REASONS)}
#: Ledger columns, in the order of :meth:`Ledger.arrays`.
LEDGER_FIELDS: tuple[str, ...] = (
    "day",
    "path",
    "slot",
    "quantity",
    "price",
    "cost",
    "reason",
    "contract",
    "strike",
    "expiry",
    "roll_reason",
)


class Ledger:
    """Trades as arrays appended per day (no object per trade)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        day: int,
        paths: np.ndarray,
        slot: int,
        qty: np.ndarray,
        price: np.ndarray,
        cost: np.ndarray,
        reason: str,
        contract: np.ndarray,
        strike: np.ndarray,
        expiry: np.ndarray,
        roll_reason: np.ndarray | None = None,
    ) -> None:
        m = qty != 0
        if not m.any():
            return
        k = int(m.sum())
        self.parts.append(
            (
                np.full(k, day, np.int32),
                paths[m].astype(np.int32),
                np.full(k, slot, np.int16),
                qty[m].astype(float),
                price[m].astype(float),
                cost[m].astype(float),
                np.full(k, _R[reason], np.int8),
                contract[m].astype(np.int32),
                strike[m].astype(float),
                expiry[m].astype(np.int64),
                np.zeros(k, np.int8) if roll_reason is None else roll_reason[m].astype(np.int8),
            )
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """Every trade of the run: one array per :data:`LEDGER_FIELDS` name, in booking order."""
        if not self.parts:
            return {k: np.empty(0) for k in LEDGER_FIELDS}
        return {k: np.concatenate([p[i] for p in self.parts]) for i, k in enumerate(LEDGER_FIELDS)}


def _c(a: np.ndarray) -> np.ndarray:
    """``a`` as a C-contiguous writeable float array (a copy where a view is strided or read-only): the compiled
    trade kernel then has one signature, so one cached overload to load per process (not three)."""
    return a if a.flags.c_contiguous and a.flags.writeable else np.array(a, dtype=np.float64)


def trade(st: EngineState, d: int, s: int, dq: np.ndarray, price: np.ndarray, cost: np.ndarray, reason: str) -> None:
    """Buy dq (P,) of slot s at price (P,) paying cost (P,): cash and cost books, ledger row."""
    if st.dk is not None:  # the same steps, one compiled pass (engine.day_kernels)
        why = st.roll_code if reason == "roll" and s >= 4 else None
        part = st.dk.trade(
            d, s, _R[reason], _c(dq), _c(price), _c(cost), st.mult[s], bool(st.fut_slot[s]), int(st.slot_comp[s]),
            st.cash, st.acct, st.cost[d], st.contract[:, s], st.strike[:, s], st.exp_ord[:, s],
            st.roll_code, why is not None,
        )  # fmt: skip
        if len(part[0]):
            st.ledger.parts.append(part)
        return
    dq = np.where(np.isfinite(dq), dq, 0.0)
    traded = dq != 0
    if not traded.any():
        return
    px = np.where(traded, price, 0.0)
    c = np.where(traded, cost, 0.0)
    paid = dq * st.mult[s] * px + c
    st.cash -= paid
    # the component's cash: a future's price is not paid (only its variation margin, engine.recording)
    st.acct[:, st.slot_comp[s]] -= c if st.fut_slot[s] else paid
    st.cost[d, :, st.slot_comp[s]] += c
    why = st.roll_code if reason == "roll" and s >= 4 else None  # a hedge layer's roll: its trigger (layer_rules)
    st.ledger.add(d, st.arP, s, dq, px, c, reason, st.contract[:, s], st.strike[:, s], st.exp_ord[:, s], why)


def settle_expiries(st: EngineState, d: int, settle: np.ndarray) -> None:
    """Close every slot expiring today (``settle`` (P, S)) at its settlement mark, no cost (reason ``expiry``)."""
    for s in np.nonzero(settle.any(axis=0))[0] if settle.any() else ():
        m = settle[:, s]
        if m.any():
            dq = np.where(m, -st.qty[:, s], 0.0)
            trade(st, d, int(s), dq, st.price_last[:, s], np.zeros(st.P), "expiry")
            st.qty[:, s] = np.where(m, 0.0, st.qty[:, s])
            st.settled[:, s] |= m  # a layer's next roll is then "expired" (strategy.layers.roll_reasons)
