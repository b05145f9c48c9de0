"""The run's slot layout: which position lines exist and what each holds (issue 10: spreads and conversions).

:func:`slot_table` ``(rules) -> (names, components, kinds, is_call, spread_slot, conversion legs, their slots)``,
read by :class:`alvh.engine.state.EngineState`. Order: 4 core legs, one slot per layer (its contract; a spread's
long leg), the extra legs (a spread's short leg; the two legs the rebalance's conversion or reversal adds to its
short layer, :mod:`alvh.engine.structures`), then the constant-maturity slots.
"""

from __future__ import annotations

import numpy as np

from alvh.config import Rules
from alvh.engine.records import InstrumentKind
from alvh.strategy.layers import CM_SLOTS
from alvh.strategy.legs import LEG_IS_CALL, LEG_NAMES

#: Slot names of the constant-maturity mix (two for the short-term schedules, four for the mid-term one).
CM_SLOT_NAMES: tuple[str, ...] = ("cm.first", "cm.second", "cm.third", "cm.fourth")


def slot_table(r: Rules) -> tuple[list[str], list[str], list[InstrumentKind], list[bool], np.ndarray, tuple, tuple]:
    """The run's slots: names, components, kinds and call flags; each layer's spread short-leg slot (-1: none);
    the conversion / reversal legs ``(leg, kind, is_call, sign)`` and their slots (empty without those actions).

    Order: 4 core legs, one per layer (its contract; a spread's long leg), the extra legs (a spread's short
    leg; the two legs the rebalance's conversion or reversal adds to its short layer), then the cm mix's
    contracts (CM_SLOTS of its schedule).
    """
    fut, opt = InstrumentKind.VX_FUTURE, InstrumentKind.VIX_OPTION
    names = [f"core.{n}" for n in LEG_NAMES] + [f"{la.name}.contract" for la in r.layers]
    comp = ["core"] * 4 + [la.name for la in r.layers]
    kind = [InstrumentKind.SPX_OPTION] * 4 + [opt if la.is_option else fut for la in r.layers]
    call = [bool(c) for c in LEG_IS_CALL] + [la.is_call for la in r.layers]
    spread_slot = np.full(len(r.layers), -1, dtype=np.int64)

    def add(name: str, component: str, k: InstrumentKind, c: bool) -> int:
        names.append(name)
        comp.append(component)
        kind.append(k)
        call.append(c)
        return len(names) - 1

    for j, la in enumerate(r.layers):
        if la.is_spread:
            spread_slot[j] = add(f"{la.name}.short_leg", la.name, opt, la.is_call)
    legs: tuple[tuple[str, InstrumentKind, bool, float], ...] = ()
    rb = r.rebalance
    if rb.enabled and rb.action in ("conversion", "reversal") and len(r.layers) >= 2:
        la = next(x for x in r.layers if x.name == rb.short_layer)
        if rb.action == "reversal":  # held long call + short future + short put
            legs = (("rev_future", fut, False, -1.0), ("rev_put", opt, False, -1.0))
        elif la.instrument == "vix_put":  # held long put + long future + short call
            legs = (("conv_future", fut, False, 1.0), ("conv_call", opt, True, -1.0))
        else:  # held long future + long put + short call
            legs = (("conv_put", opt, False, 1.0), ("conv_call", opt, True, -1.0))
    conv_slots = tuple(add(f"{la.name}.{leg}", la.name, k, c) for leg, k, c, _ in legs)
    if r.constant_maturity.enabled:
        for nm in CM_SLOT_NAMES[: CM_SLOTS[r.constant_maturity.schedule]]:
            add(nm, "cm", fut, False)
    return names, comp, kind, call, spread_slot, legs, conv_slots
