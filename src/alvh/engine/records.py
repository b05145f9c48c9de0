"""Structured records the engine emits and the analytics consume.

The engine's day loop writes one row per (day, path, slot) into these arrays;
attribution and drag are then computed afterwards in one vectorized pass over
all days, paths and slots (no Python loop over positions), by revaluing each
position at intermediate states between the previous close and today's close.

A *slot* is one position line: a core leg (four per iron condor) or a hedge
layer's contract. Slots are fixed for the whole run; what a slot holds can
change on a roll (the record then shows the new contract from the day after the
trade; the trade itself is in the trades ledger with its cost).

Shapes: ``(n_days, n_paths, n_slots)`` unless stated. Day ``d`` describes the
holding period from the close of day ``d-1`` to the close of day ``d`` (or to
the settlement, if the position expires on day ``d``). Row 0 is all zero
quantity by construction. Units follow docs/architecture.md.

Fields of slots not held on a day are blank: kind NONE, quantity 0, strike and
vols NaN, every other float 0. ``rate_prev`` and ``div_prev`` are one number per
day (every held position was last marked at the previous close, at that day's
rate) and per slot kind, so the engine stores them as read-only
``numpy.broadcast_to`` views of shape ``(n_days, n_paths, n_slots)`` (no memory
on 10,000-path runs); treat every field as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class InstrumentKind(IntEnum):
    """What a slot holds on a given day."""

    NONE = 0  #: empty slot (quantity 0)
    SPX_OPTION = 1  #: SPX index option, priced with Black-Scholes-Merton on spot SPX
    VX_FUTURE = 2  #: VIX future; its "underlying" is its own settlement price
    VIX_OPTION = 3  #: VIX option, priced with Black-76 on the VX future of the same expiry


@dataclass(frozen=True)
class SlotInfo:
    """Static description of the slots, each of shape ``(n_slots,)``."""

    names: tuple[str, ...]  #: e.g. ("core.short_put", ..., "layer.short", ...)
    component: tuple[str, ...]  #: "core" or the hedge layer name it belongs to
    multiplier: np.ndarray  #: dollars per point per contract (100 SPX/VIX options, 1000 VX)


@dataclass(frozen=True)
class PositionRecords:
    """Per-day, per-path, per-slot state over each holding period.

    Every price-like field is in index points per unit; multiply by
    ``quantity * slots.multiplier`` for dollars. ``*_prev`` fields are at the
    previous close (the state the position was held from), ``*_now`` at today's
    close or settlement.
    """

    slots: SlotInfo
    kind: np.ndarray  #: int8, InstrumentKind
    quantity: np.ndarray  #: signed contracts held over the period (negative = short)
    is_call: np.ndarray  #: bool (options only)
    strike: np.ndarray  #: option strike in points (NaN for futures)
    t_prev: np.ndarray  #: years to expiry at the previous close (ACT/365)
    t_now: np.ndarray  #: years to expiry today (0 at settlement)
    underlying_prev: np.ndarray  #: SPX spot / VX future price at the previous close
    underlying_now: np.ndarray  #: same, today (settlement value on expiry day)
    underlying_rolldown: np.ndarray  #: VX: previous day's curve evaluated at today's DTE; else = underlying_prev
    vol_prev: np.ndarray  #: implied vol used for the previous mark (decimal; NaN for futures)
    vol_now: np.ndarray  #: implied vol used for today's mark
    rate_prev: np.ndarray  #: risk-free rate at the previous close (decimal, cont. comp.); may be a broadcast view
    div_prev: np.ndarray  #: dividend yield (SPX options; 0 otherwise); may be a read-only broadcast view
    price_prev: np.ndarray  #: mark at the previous close, points per unit
    price_now: np.ndarray  #: mark today (or settlement value), points per unit
