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

from alvh._display import concise_repr, html_view


class InstrumentKind(IntEnum):
    """What a slot holds on a given day."""

    NONE = 0  #: empty slot (quantity 0)
    SPX_OPTION = 1  #: SPX index option, priced with Black-Scholes-Merton on spot SPX
    VX_FUTURE = 2  #: VIX future; its "underlying" is its own settlement price
    VIX_OPTION = 3  #: VIX option, priced with Black-76 on the VX future of the same expiry


#: Fields of the (n_days, n_paths, n_slots) records arrays the engine writes each day (engine.state), the
#: per-day fields of :class:`PositionRecords` (rate_prev and div_prev are built from the run's rates instead).
RECORD_FIELDS: tuple[str, ...] = (
    "quantity",
    "strike",
    "t_prev",
    "t_now",
    "underlying_prev",
    "underlying_now",
    "underlying_rolldown",
    "vol_prev",
    "vol_now",
    "price_prev",
    "price_now",
)


@dataclass(frozen=True)
class SlotInfo:
    """Static description of the slots, each of shape ``(n_slots,)``."""

    names: tuple[str, ...]  #: e.g. ("core.short_put", ..., "layer.short", ...)
    component: tuple[str, ...]  #: "core" or the hedge layer name it belongs to
    multiplier: np.ndarray  #: dollars per point per contract (100 SPX/VIX options, 1000 VX)


@dataclass(frozen=True, repr=False)
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

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_days, n_paths, n_slots)``."""
        n, p, k = np.shape(self.quantity)
        return int(n), int(p), int(k)

    def _slot_table(self) -> dict[str, dict[str, object]]:
        held = np.asarray(self.quantity) != 0
        share = held.mean(axis=(0, 1)) if held.size else np.zeros(len(self.slots.names))
        return {
            name: {"component": comp, "multiplier": float(m), "held_share": float(sh)}
            for name, comp, m, sh in zip(
                self.slots.names, self.slots.component, self.slots.multiplier, share, strict=True
            )
        }

    def summary_dict(self) -> dict[str, object]:
        """JSON-ready description: shape, per slot its component, multiplier and the share of (day, path) cells
        holding a position, and the memory the records own (broadcast views count nothing)."""
        arrays = [np.asarray(getattr(self, f)) for f in self.__dataclass_fields__ if f != "slots"]
        owned = sum(a.nbytes for a in arrays if a.flags.owndata)
        n, p, k = self.shape
        return {
            "n_days": n,
            "n_paths": p,
            "n_slots": k,
            "slots": self._slot_table(),
            "megabytes": round(owned / 1e6, 1),
        }

    def to_dict(self) -> dict[str, object]:
        """Same as :meth:`summary_dict`."""
        return self.summary_dict()

    def summary(self) -> str:
        """Plain text: shape and, per slot, component, multiplier and held share."""
        s = self.summary_dict()
        lines = [
            f"PositionRecords: {s['n_days']} days x {s['n_paths']} path(s) x {s['n_slots']} slots, {s['megabytes']} MB"
        ]
        for name, v in self._slot_table().items():
            lines.append(f"  {name:<22} {v['component']:<8} x{v['multiplier']:>6g}  held {v['held_share']:.0%}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        n, p, k = self.shape
        return concise_repr("PositionRecords", {"days": n, "paths": p, "slots": self.slots.names})

    def _repr_html_(self) -> str:
        n, p, k = self.shape
        return html_view(
            "alvh PositionRecords", {"days": n, "paths": p, "slots": ", ".join(self.slots.names)}, self.summary()
        )
