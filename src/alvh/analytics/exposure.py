"""Effective vega exposure of the hedge layers and their decay curves.

The seed's "weighted vega exposure" is, for each slot held over a day,

    E = quantity * multiplier * dV/dF * dF/dVIX      [dollars per spot-VIX point]

where ``dV/dF`` is 1 for a VX future and the Black-76 delta for a VIX option
(at the previous close, the state the position is held from), and ``dF/dVIX``
is the sensitivity of that contract's future to spot VIX at its days to expiry
(from :mod:`alvh.market`; passed in as an array or a callable of DTE).

The decay curve of a layer is ``E`` against the trading days the contract has
been held (0 on the first day after the roll), averaged over every roll cycle
(and path), plus the same curve relative to each cycle's first day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.analytics.attribution import slot_groups
from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError

Sensitivity = np.ndarray | Callable[[np.ndarray], np.ndarray]
#: Tolerance on "t_prev today equals t_now yesterday" (years): the same contract kept.
_SAME_CONTRACT_T = 1e-9


@dataclass(frozen=True)
class EffectiveVega:
    """Effective vega per slot and per group.

    Attributes
    ----------
    groups : tuple of str
        As in the attribution ("core" first if present, then layers).
    per_slot : ndarray, shape (n_days, n_paths, n_slots)
        Dollars per spot-VIX point held over each day (0 for SPX options and empty slots).
    per_group : ndarray, shape (n_days, n_paths, n_groups)
        Sum of ``per_slot`` over each group's slots.
    per_contract : ndarray, shape (n_days, n_paths, n_slots)
        ``dV/dF * dF/dVIX`` per unit (points of price per spot-VIX point), NaN where not held.
    """

    groups: tuple[str, ...]
    per_slot: np.ndarray
    per_group: np.ndarray
    per_contract: np.ndarray


def _sensitivity_array(sensitivity: Sensitivity, dte: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if callable(sensitivity):
        sens = np.asarray(sensitivity(dte), dtype=float)
    else:
        sens = np.asarray(sensitivity, dtype=float)
    if sens.shape != shape:
        raise InputError(f"shape {sens.shape}", argument="sensitivity",
                         expected=f"dF/dVIX of shape {shape} (days, paths, slots), or a callable of DTE")
    return sens


def effective_vega(records: PositionRecords, sensitivity: Sensitivity) -> EffectiveVega:
    """Each slot's and group's effective vega in dollars per spot-VIX point.

    Parameters
    ----------
    records : PositionRecords
    sensitivity : ndarray of shape (n_days, n_paths, n_slots), or callable
        ``dF/dVIX`` of the VX future underlying each slot, at its DTE at the
        previous close; a callable receives the DTE in calendar days
        (``round(t_prev * 365)``) of the held VIX products as a 1-D array and
        returns one sensitivity per entry.

    Returns
    -------
    EffectiveVega

    Raises
    ------
    InputError
        When a held VIX product has a non-finite sensitivity.
    """
    from alvh import pricing  # analytics sits right of pricing in the layering

    kind = np.asarray(records.kind)
    shape = kind.shape
    qm = np.asarray(records.quantity, dtype=float) * np.asarray(records.slots.multiplier, dtype=float)
    # work on the held VIX products only, as flat 1-D arrays
    idx = np.flatnonzero((qm != 0) & ((kind == InstrumentKind.VX_FUTURE) | (kind == InstrumentKind.VIX_OPTION)))

    def flat(name: str) -> np.ndarray:
        return np.asarray(getattr(records, name)).reshape(-1)[idx]

    t_prev = flat("t_prev").astype(float)
    if callable(sensitivity):
        dte = np.where(np.isfinite(t_prev), np.rint(np.nan_to_num(t_prev) * 365.0), 0.0)
        sens = np.asarray(sensitivity(dte), dtype=float)
        if sens.shape != dte.shape:
            raise InputError(f"the callable returned shape {sens.shape} for {dte.shape} DTEs", argument="sensitivity",
                             expected="one dF/dVIX per DTE")
    else:
        sens = _sensitivity_array(sensitivity, None, shape).reshape(-1)[idx]
    if not np.isfinite(sens).all():
        where = np.unravel_index(idx[np.flatnonzero(~np.isfinite(sens))[0]], shape)
        raise InputError(f"non-finite sensitivity for a held VIX product at (day, path, slot) = "
                         f"{tuple(int(w) for w in where)}", argument="sensitivity",
                         expected="finite dF/dVIX for every held VX future or VIX option")
    dv_df = np.ones(idx.size)
    opt = np.flatnonzero(flat("kind") == InstrumentKind.VIX_OPTION)
    if opt.size:
        sub = idx[opt]

        def fo(name: str) -> np.ndarray:
            return np.asarray(getattr(records, name)).reshape(-1)[sub]

        g = pricing.black76_greeks(fo("underlying_prev").astype(float), fo("strike").astype(float), t_prev[opt],
                                   fo("vol_prev").astype(float), fo("rate_prev").astype(float),
                                   fo("is_call").astype(bool), validate=False)
        dv_df[opt] = np.asarray(g.delta)
        if not np.isfinite(dv_df[opt]).all():
            where = np.unravel_index(sub[np.flatnonzero(~np.isfinite(dv_df[opt]))[0]], shape)
            raise InputError(f"no Black-76 delta for a held VIX option at (day, path, slot) = "
                             f"{tuple(int(w) for w in where)}", argument="records",
                             expected="t_prev > 0, vol_prev > 0 and finite inputs for held options")
    per_contract = np.full(shape, np.nan)
    per_contract.reshape(-1)[idx] = dv_df * sens
    per_slot = np.zeros(shape)
    per_slot.reshape(-1)[idx] = qm.reshape(-1)[idx] * dv_df * sens
    groups, group_of_slot = slot_groups(records)
    onehot = np.zeros((shape[2], len(groups)))
    onehot[np.arange(shape[2]), group_of_slot] = 1.0
    return EffectiveVega(groups=groups, per_slot=per_slot, per_group=per_slot @ onehot, per_contract=per_contract)


def days_since_roll(records: PositionRecords, slots: Sequence[int] | None = None) -> np.ndarray:
    """Trading days each slot's current contract has been held (0 on its first day), -1 where empty.

    ``slots`` restricts the computation to those slot columns (in that order).

    A new cycle starts on a day when the slot holds a position and did not the
    day before, holds another kind, another strike, or a contract whose time to
    expiry at the previous close differs from yesterday's ``t_now`` (a roll: the
    record shows the new contract from the day after the trade).
    """
    cols = slice(None) if slots is None else list(slots)
    kind = np.asarray(records.kind)[..., cols]
    held = (np.asarray(records.quantity)[..., cols] != 0) & (kind != InstrumentKind.NONE)
    n_days = kind.shape[0]
    t_prev = np.asarray(records.t_prev, float)[..., cols]
    t_now = np.asarray(records.t_now, float)[..., cols]
    strike = np.asarray(records.strike, float)[..., cols]
    start = held.copy()
    if n_days > 1:
        same_contract = (held[1:] & held[:-1] & (kind[1:] == kind[:-1])
                         & (np.abs(t_prev[1:] - t_now[:-1]) <= _SAME_CONTRACT_T)
                         & ((strike[1:] == strike[:-1]) | (np.isnan(strike[1:]) & np.isnan(strike[:-1]))))
        start[1:] &= ~same_contract
    day = np.arange(n_days).reshape((n_days,) + (1,) * (kind.ndim - 1))
    last_start = np.maximum.accumulate(np.where(start, day, -1), axis=0)
    return np.where(held & (last_start >= 0), day - last_start, -1)


def decay_curve(records: PositionRecords, exposure: EffectiveVega, layer: str, *,
                max_days: int | None = None) -> pd.DataFrame:
    """A layer's effective vega against days held, averaged over roll cycles and paths.

    Parameters
    ----------
    records : PositionRecords
    exposure : EffectiveVega
        From :func:`effective_vega` on the same records.
    layer : str
        The group name.
    max_days : int, optional
        Drop days held beyond this.

    Returns
    -------
    DataFrame indexed by days_held (trading days) with columns
        n_obs (slot-days averaged), effective_vega (mean dollars per VIX point of
        the slot), per_contract (mean dV/dF * dF/dVIX per unit) and relative
        (mean of E / E on the cycle's first day, where that is non-zero).
    """
    if layer not in exposure.groups:
        raise InputError(f"unknown layer {layer!r}", argument="layer", expected=f"one of {exposure.groups}")
    cols = [i for i, c in enumerate(records.slots.component) if c == layer]
    held_days = days_since_roll(records, cols)
    ev = exposure.per_slot[..., cols]
    unit = exposure.per_contract[..., cols]
    n_days = held_days.shape[0]
    # each cycle's first-day value, gathered along the day axis
    day = np.arange(n_days).reshape(n_days, 1, 1)
    first_idx = np.clip(day - held_days, 0, n_days - 1)
    ev_first = np.take_along_axis(ev, first_idx, axis=0)
    valid = (held_days >= 0) & np.isfinite(unit)
    if max_days is not None:
        valid &= held_days <= max_days
    h = held_days[valid]
    if h.size == 0:
        return pd.DataFrame(columns=["n_obs", "effective_vega", "per_contract", "relative"],
                            index=pd.Index([], name="days_held"))
    n_bins = int(h.max()) + 1
    count = np.bincount(h, minlength=n_bins).astype(float)
    sum_ev = np.bincount(h, weights=ev[valid], minlength=n_bins)
    sum_unit = np.bincount(h, weights=unit[valid], minlength=n_bins)
    rel_ok = valid & (ev_first != 0)
    h_rel = held_days[rel_ok]
    rel = ev[rel_ok] / ev_first[rel_ok]
    count_rel = np.bincount(h_rel, minlength=n_bins).astype(float)
    sum_rel = np.bincount(h_rel, weights=rel, minlength=n_bins)
    present = count > 0
    index = pd.Index(np.flatnonzero(present), name="days_held")
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(count_rel > 0, sum_rel / np.where(count_rel > 0, count_rel, 1.0), np.nan)
    return pd.DataFrame({
        "n_obs": count[present].astype(int),
        "effective_vega": sum_ev[present] / count[present],
        "per_contract": sum_unit[present] / count[present],
        "relative": relative[present],
    }, index=index)
