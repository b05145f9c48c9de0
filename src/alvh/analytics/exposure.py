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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alvh.analytics.attribution import slot_groups
from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError
from alvh.pricing import _scalar as _sc
from alvh.pricing.backend import resolve_backend
from alvh.pricing.units import DAYS_PER_YEAR

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
    days_held : ndarray or None, shape (n_days, n_paths, len(days_held_slots))
        :func:`days_since_roll` of the slots that hold a VIX product on some day, computed in
        the same pass (read by :func:`decay_curve`; None when not computed).
    days_held_slots : tuple of int
        The slot columns of ``days_held``.
    """

    groups: tuple[str, ...]
    per_slot: np.ndarray
    per_group: np.ndarray
    per_contract: np.ndarray
    days_held: np.ndarray | None = field(default=None, repr=False, compare=False)
    days_held_slots: tuple[int, ...] = ()


def _sensitivity_array(sensitivity: Sensitivity, dte: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if callable(sensitivity):
        if dte is None:
            raise InputError(
                "a callable sensitivity needs days to expiry",
                argument="dte",
                expected="the held contracts' days to expiry",
            )
        sens = np.asarray(sensitivity(dte), dtype=float)
    else:
        sens = np.asarray(sensitivity, dtype=float)
    if sens.shape != shape:
        raise InputError(
            f"shape {sens.shape}",
            argument="sensitivity",
            expected=f"dF/dVIX of shape {shape} (days, paths, slots), or a callable of DTE",
        )
    return sens


#: The VIX products (whose exposure is to the VIX factor).
_VIX_KINDS = (int(InstrumentKind.VX_FUTURE), int(InstrumentKind.VIX_OPTION))
#: (day, path, slot) cells from which backend="auto" uses the compiled pass.
_NUMBA_AUTO_CELLS = 200_000
#: Paths per parallel work item of the compiled pass.
_PATH_BLOCK = 128
#: Largest DTE (calendar days) for which a sensitivity callable is evaluated once per distinct DTE.
_DISTINCT_DTE_MAX = 100_000


def _call_on_distinct(sensitivity: Callable[[np.ndarray], np.ndarray], dte: np.ndarray) -> np.ndarray:
    """``sensitivity(dte)`` evaluated once per distinct DTE (a function of DTE alone) and spread back."""
    if dte.size and dte.min() >= 0 and dte.max() <= _DISTINCT_DTE_MAX:
        days = dte.astype(np.int64)
        distinct = np.flatnonzero(np.bincount(days))
        values = np.asarray(sensitivity(distinct.astype(float)), dtype=float)
        if values.shape != distinct.shape:
            raise InputError(
                f"the callable returned shape {values.shape} for {distinct.shape} DTEs",
                argument="sensitivity",
                expected="one dF/dVIX per DTE",
            )
        table = np.empty(distinct[-1] + 1)
        table[distinct] = values
        return table[days]
    values = np.asarray(sensitivity(dte), dtype=float)
    if values.shape != dte.shape:
        raise InputError(
            f"the callable returned shape {values.shape} for {dte.shape} DTEs",
            argument="sensitivity",
            expected="one dF/dVIX per DTE",
        )
    return values


def effective_vega(records: PositionRecords, sensitivity: Sensitivity, *, backend: str = "auto") -> EffectiveVega:
    """Each slot's and group's effective vega in dollars per spot-VIX point.

    Parameters
    ----------
    records : PositionRecords
    sensitivity : ndarray of shape (n_days, n_paths, n_slots), or callable
        ``dF/dVIX`` of the VX future underlying each slot, at its DTE at the
        previous close; a callable receives DTEs in calendar days
        (``round(t_prev * 365)`` of the held VIX products) as a 1-D array and
        returns one sensitivity per entry. It must be a function of the DTE
        alone: it is called once on the distinct DTEs held.
    backend : {"auto", "numpy", "numba"}
        "numba": one compiled pass over (day, path, slot), parallel over blocks of paths, that
        also computes the days held (:func:`days_since_roll`) of the VIX-product slots;
        "numpy": array operations on the held VIX products; "auto": numba when installed and the
        records hold at least 200,000 cells. Both give the same numbers (tested).

    Returns
    -------
    EffectiveVega

    Raises
    ------
    InputError
        When a held VIX product has a non-finite sensitivity.
    """
    from alvh import pricing  # analytics sits right of pricing in the layering

    resolve_backend(backend)  # an unknown name or a missing numba errors before any work
    kind = np.asarray(records.kind)
    shape = kind.shape
    mult = np.asarray(records.slots.multiplier, dtype=float)
    qty = np.asarray(records.quantity)
    # only the slot columns that ever hold a VIX product are worked on (the layers; never the core)
    cols = np.flatnonzero(((kind == _VIX_KINDS[0]) | (kind == _VIX_KINDS[1])).any(axis=(0, 1)))
    if resolve_backend(backend, size=kind.size, auto_min_size=_NUMBA_AUTO_CELLS).compiled:
        out = _effective_vega_numba(records, sensitivity, cols)
        if out is not None:
            return out
    vix_kind = (kind == InstrumentKind.VX_FUTURE) | (kind == InstrumentKind.VIX_OPTION)
    if cols.size and cols[-1] - cols[0] + 1 == cols.size:
        sub: slice | np.ndarray = slice(int(cols[0]), int(cols[-1]) + 1)  # contiguous columns: views
    else:
        sub = cols
    held = vix_kind[..., sub] & (qty[..., sub] != 0)
    # flat (day, path, slot) indices of the held VIX products, in C order
    in_sub = np.flatnonzero(held)
    n_sub = cols.size
    idx = (in_sub // n_sub) * shape[2] + cols[in_sub % n_sub] if n_sub else in_sub

    def where(i: int) -> tuple[int, ...]:
        return tuple(int(w) for w in np.unravel_index(int(idx[i]), shape))

    def flat(name: str, positions: np.ndarray = idx) -> np.ndarray:
        arr = np.asarray(getattr(records, name))
        if arr.flags.c_contiguous:
            return arr.reshape(-1)[positions]
        return arr[np.unravel_index(positions, shape)]  # e.g. a broadcast view: no full-size copy

    t_prev = flat("t_prev").astype(float)
    if callable(sensitivity):
        dte = np.where(np.isfinite(t_prev), np.rint(np.nan_to_num(t_prev) * DAYS_PER_YEAR), 0.0)
        sens = _call_on_distinct(sensitivity, dte)
    else:
        sens = _sensitivity_array(sensitivity, None, shape).reshape(-1)[idx]
    if not np.isfinite(sens).all():
        raise InputError(
            f"non-finite sensitivity for a held VIX product at (day, path, slot) = "
            f"{where(np.flatnonzero(~np.isfinite(sens))[0])}",
            argument="sensitivity",
            expected="finite dF/dVIX for every held VX future or VIX option",
        )
    kind_h = flat("kind")
    dv_df = np.ones(idx.size)
    opt = np.flatnonzero(kind_h == InstrumentKind.VIX_OPTION)
    if opt.size:
        sub_idx = idx[opt]

        def fo(name: str) -> np.ndarray:
            return flat(name, sub_idx)

        g = pricing.black76_greeks(
            fo("underlying_prev").astype(float),
            fo("strike").astype(float),
            t_prev[opt],
            fo("vol_prev").astype(float),
            fo("rate_prev").astype(float),
            fo("is_call").astype(bool),
            validate=False,
        )
        dv_df[opt] = np.asarray(g.delta)
        if not np.isfinite(dv_df[opt]).all():
            raise InputError(
                f"no Black-76 delta for a held VIX option at (day, path, slot) = "
                f"{where(opt[np.flatnonzero(~np.isfinite(dv_df[opt]))[0]])}",
                argument="records",
                expected="t_prev > 0, vol_prev > 0 and finite inputs for held options",
            )
    unit = dv_df * sens
    per_contract = np.full(shape, np.nan)
    per_contract.reshape(-1)[idx] = unit
    per_slot = np.zeros(shape)
    per_slot.reshape(-1)[idx] = flat("quantity").astype(float) * mult[idx % shape[2]] * unit
    groups, group_of_slot = slot_groups(records)
    per_group = np.zeros(shape[:2] + (len(groups),))
    for s in cols:  # SPX options carry no VIX exposure: only the VIX-product columns add anything
        per_group[..., group_of_slot[s]] += per_slot[..., s]
    return EffectiveVega(
        groups=groups,
        per_slot=per_slot,
        per_group=per_group,
        per_contract=per_contract,
        days_held=days_since_roll(records, cols) if cols.size else None,
        days_held_slots=tuple(int(c) for c in cols),
    )


def days_since_roll(records: PositionRecords, slots: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """Trading days each slot's current contract has been held (0 on its first day), -1 where empty.

    ``slots`` restricts the computation to those slot columns (in that order).

    A new cycle starts on a day when the slot holds a position and did not the
    day before, holds another kind, another strike, or a contract whose time to
    expiry at the previous close differs from yesterday's ``t_now`` (a roll: the
    record shows the new contract from the day after the trade).
    """
    if slots is None:
        cols: slice | list[int] = slice(None)
    else:
        cols = [int(c) for c in slots]
        if cols and cols == list(range(cols[0], cols[-1] + 1)):
            cols = slice(cols[0], cols[-1] + 1)  # contiguous columns: views, no gathers
    kind = np.asarray(records.kind)[..., cols]
    held = (np.asarray(records.quantity)[..., cols] != 0) & (kind != InstrumentKind.NONE)
    n_days = kind.shape[0]
    t_prev = np.asarray(records.t_prev, float)[..., cols]
    t_now = np.asarray(records.t_now, float)[..., cols]
    strike = np.asarray(records.strike, float)[..., cols]
    start = held.copy()
    if n_days > 1:
        same_contract = (
            held[1:]
            & held[:-1]
            & (kind[1:] == kind[:-1])
            & (np.abs(t_prev[1:] - t_now[:-1]) <= _SAME_CONTRACT_T)
            & ((strike[1:] == strike[:-1]) | (np.isnan(strike[1:]) & np.isnan(strike[:-1])))
        )
        start[1:] &= ~same_contract
    day = np.arange(n_days).reshape((n_days,) + (1,) * (kind.ndim - 1))
    last_start = np.maximum.accumulate(np.where(start, day, -1), axis=0)
    return np.where(held & (last_start >= 0), day - last_start, -1)


def decay_curve(
    records: PositionRecords, exposure: EffectiveVega, layer: str, *, max_days: int | None = None, backend: str = "auto"
) -> pd.DataFrame:
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
    backend : {"auto", "numpy", "numba"}
        "numba": one compiled serial pass summing by days held (the same terms as the numpy
        ``bincount``s, equal to rounding); "auto": numba when installed and the layer spans at
        least 200,000 cells.

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
    resolve_backend(backend)  # an unknown name or a missing numba errors before any work
    cached = {c: j for j, c in enumerate(exposure.days_held_slots)}
    if exposure.days_held is not None and all(c in cached for c in cols):
        all_held, held_cols = exposure.days_held, [cached[c] for c in cols]  # computed with the exposure
    else:
        all_held, held_cols = days_since_roll(records, cols), list(range(len(cols)))
    n_cells = all_held.shape[0] * all_held.shape[1] * len(cols)
    if resolve_backend(backend, size=n_cells, auto_min_size=_NUMBA_AUTO_CELLS).compiled:
        n_days = all_held.shape[0]
        sums = np.zeros((5, n_days))  # count, sum E, sum per-contract, count relative, sum relative
        _decay_sums_compiled(
            all_held,
            np.asarray(held_cols, dtype=np.int64),
            np.asarray(cols, dtype=np.int64),
            exposure.per_slot,
            exposure.per_contract,
            n_days - 1 if max_days is None else int(max_days),
            sums,
        )
        return _decay_frame(*sums)
    held_days = all_held[..., held_cols]
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
        return pd.DataFrame(
            columns=["n_obs", "effective_vega", "per_contract", "relative"], index=pd.Index([], name="days_held")
        )
    n_bins = int(h.max()) + 1
    count = np.bincount(h, minlength=n_bins).astype(float)
    sum_ev = np.bincount(h, weights=ev[valid], minlength=n_bins)
    sum_unit = np.bincount(h, weights=unit[valid], minlength=n_bins)
    rel_ok = valid & (ev_first != 0)
    h_rel = held_days[rel_ok]
    rel = ev[rel_ok] / ev_first[rel_ok]
    count_rel = np.bincount(h_rel, minlength=n_bins).astype(float)
    sum_rel = np.bincount(h_rel, weights=rel, minlength=n_bins)
    return _decay_frame(count, sum_ev, sum_unit, count_rel, sum_rel)


def _decay_frame(
    count: np.ndarray, sum_ev: np.ndarray, sum_unit: np.ndarray, count_rel: np.ndarray, sum_rel: np.ndarray
) -> pd.DataFrame:
    """The decay table from sums by days held (rows with no observation dropped)."""
    present = count > 0
    if not present.any():
        return pd.DataFrame(
            columns=["n_obs", "effective_vega", "per_contract", "relative"], index=pd.Index([], name="days_held")
        )
    index = pd.Index(np.flatnonzero(present), name="days_held")
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(count_rel > 0, sum_rel / np.where(count_rel > 0, count_rel, 1.0), np.nan)
    return pd.DataFrame(
        {
            "n_obs": count[present].astype(int),
            "effective_vega": sum_ev[present] / count[present],
            "per_contract": sum_unit[present] / count[present],
            "relative": relative[present],
        },
        index=index,
    )


# ---------------------------------------------------------------------------------------------
# Compiled path (``backend="numba"``): effective vega and days held in one pass, parallel over
# blocks of paths (each block owns its paths' cells: no write races). Same formulas as above:
# the Black-76 delta of alvh.pricing._scalar (NaN for invalid inputs, the step at t = 0),
# days held as in days_since_roll. tests/test_exposure.py asserts equality with the numpy path.
#: DTEs above this (or negative) send the run to the numpy path (the compiled one tabulates by DTE).
_DTE_TABLE_MAX = 8192


def _held_dtes(kind, qty, t_prev, col_of_slot, path_block, present, out_of_range):  # pragma: no cover - compiled
    """Mark in ``present[block, dte]`` each DTE (``rint(t_prev * 365)``, 0 if not finite) held by a VIX product."""
    n_days, n_paths, n_slots = qty.shape
    cap = present.shape[1] - 1
    for blk in _prange(present.shape[0]):
        for d in range(n_days):
            for p in range(blk * path_block, min((blk + 1) * path_block, n_paths)):
                for s in range(n_slots):
                    if col_of_slot[s] < 0:
                        continue
                    kd = kind[d, p, s]
                    if qty[d, p, s] == 0.0 or (kd != 2 and kd != 3):
                        continue
                    t = t_prev[d, p, s]
                    dte = np.rint(t * DAYS_PER_YEAR) if math.isfinite(t) else 0.0
                    if dte < 0.0 or dte > cap:
                        out_of_range[blk] = True
                    else:
                        present[blk, int(dte)] = True


def _b76_delta(f, k, t, vol, r, call):  # pragma: no cover - compiled
    """Black-76 delta as alvh.pricing.black76_greeks(validate=False): NaN for invalid inputs, the step at t = 0."""
    if not (
        math.isfinite(f)
        and f > 0.0
        and math.isfinite(k)
        and k > 0.0
        and math.isfinite(t)
        and t >= 0.0
        and math.isfinite(vol)
        and vol > 0.0
        and math.isfinite(r)
    ):
        return np.nan
    omega = 1.0 if call else -1.0
    if t == 0.0:
        return _sc.step_delta(f, k, omega)
    sqrt_t, carry_df, _ = _sc.gbs_factors(t, r, 0.0)
    return _sc.gbs_delta(t, vol, 0.0, omega, math.log(f / k), sqrt_t, carry_df)


def _exposure_paths(
    kind,
    qty,
    is_call,
    strike,
    t_prev,
    t_now,
    u_prev,
    vol_prev,
    rate,
    mult,
    col_of_slot,
    group_of_slot,
    sens_table,
    sens_dense,
    use_dense,
    same_tol,
    path_block,
    per_slot,
    per_contract,
    per_group,
    days_held,
    first_bad,
):  # pragma: no cover - compiled
    """Fill per_slot, per_contract, per_group and days_held (VIX-product columns); per block, the flat index of
    the first held VIX product with a non-finite sensitivity (first_bad[blk, 0]) or delta (first_bad[blk, 1])."""
    n_days, n_paths, n_slots = qty.shape
    n_groups = per_group.shape[2]
    for blk in _prange(first_bad.shape[0]):
        bad_sens = -1
        bad_delta = -1
        for d in range(n_days):
            for p in range(blk * path_block, min((blk + 1) * path_block, n_paths)):
                for g in range(n_groups):
                    per_group[d, p, g] = 0.0
                for s in range(n_slots):
                    per_slot[d, p, s] = 0.0
                    per_contract[d, p, s] = np.nan
                    j = col_of_slot[s]
                    if j < 0:
                        continue
                    q = qty[d, p, s]
                    kd = kind[d, p, s]
                    if q == 0.0 or kd == 0:
                        days_held[d, p, j] = -1
                        continue
                    kk = strike[d, p, s]
                    t0 = t_prev[d, p, s]
                    same = False
                    if (
                        d > 0
                        and days_held[d - 1, p, j] >= 0
                        and kind[d - 1, p, s] == kd
                        and abs(t0 - t_now[d - 1, p, s]) <= same_tol
                    ):
                        k_before = strike[d - 1, p, s]
                        same = kk == k_before or (math.isnan(kk) and math.isnan(k_before))
                    days_held[d, p, j] = days_held[d - 1, p, j] + 1 if same else 0
                    if kd != 2 and kd != 3:
                        continue
                    if use_dense:
                        sens = sens_dense[d, p, s]
                    else:
                        sens = sens_table[int(np.rint(t0 * DAYS_PER_YEAR)) if math.isfinite(t0) else 0]
                    flat = (d * n_paths + p) * n_slots + s
                    if not math.isfinite(sens) and bad_sens < 0:
                        bad_sens = flat
                    dv_df = 1.0
                    if kd == 3:
                        dv_df = _b76_delta(u_prev[d, p, s], kk, t0, vol_prev[d, p, s], rate[d, p, s], is_call[d, p, s])
                        if not math.isfinite(dv_df) and bad_delta < 0:
                            bad_delta = flat
                    unit = dv_df * sens
                    per_contract[d, p, s] = unit
                    value = q * mult[s] * unit
                    per_slot[d, p, s] = value
                    per_group[d, p, group_of_slot[s]] += value
        first_bad[blk, 0] = bad_sens
        first_bad[blk, 1] = bad_delta


def _decay_sums(held_days, held_cols, slots, per_slot, per_contract, max_h, sums):  # pragma: no cover - compiled
    """Sums by days held over the cells of ``slots`` (days held in columns ``held_cols``), in C order."""
    n_days, n_paths = held_days.shape[:2]
    for d in range(n_days):
        for p in range(n_paths):
            for j in range(slots.size):
                h = held_days[d, p, held_cols[j]]
                if h < 0 or h > max_h:
                    continue
                s = slots[j]
                unit = per_contract[d, p, s]
                if not math.isfinite(unit):
                    continue
                e = per_slot[d, p, s]
                sums[0, h] += 1.0
                sums[1, h] += e
                sums[2, h] += unit
                first = per_slot[d - h, p, s]
                if first != 0.0:
                    sums[3, h] += 1.0
                    sums[4, h] += e / first


def _effective_vega_numba(records: PositionRecords, sensitivity: Sensitivity, cols: np.ndarray) -> EffectiveVega | None:
    """:func:`effective_vega` through the compiled pass; None when a DTE falls outside the table (numpy path)."""
    kind = np.asarray(records.kind)
    if kind.dtype != np.int8:
        return None  # the numpy path checks other kinds' codes as they are
    shape = kind.shape
    n_days, n_paths, n_slots = shape
    groups, group_of_slot = slot_groups(records)
    col_of_slot = np.full(n_slots, -1, dtype=np.int64)
    col_of_slot[cols] = np.arange(cols.size)
    block = max(1, min(_PATH_BLOCK, -(-n_paths // 8)))
    n_blocks = -(-n_paths // block)

    def arg(name: str, dtype: type) -> np.ndarray:
        arr = np.asarray(getattr(records, name))
        return arr if arr.dtype == dtype else arr.astype(dtype)

    qty, t_prev = arg("quantity", np.float64), arg("t_prev", np.float64)
    if callable(sensitivity):
        present = np.zeros((n_blocks, _DTE_TABLE_MAX + 1), dtype=np.bool_)
        out_of_range = np.zeros(n_blocks, dtype=np.bool_)
        _held_dtes_compiled(kind, qty, t_prev, col_of_slot, block, present, out_of_range)
        if out_of_range.any():
            return None
        distinct = np.flatnonzero(present.any(axis=0))
        table = np.full(_DTE_TABLE_MAX + 1, np.nan)
        if distinct.size:
            values = np.asarray(sensitivity(distinct.astype(float)), dtype=float)
            if values.shape != distinct.shape:
                raise InputError(
                    f"the callable returned shape {values.shape} for {distinct.shape} DTEs",
                    argument="sensitivity",
                    expected="one dF/dVIX per DTE",
                )
            table[distinct] = values
        dense, use_dense = np.zeros((1, 1, 1)), False
    else:
        table, dense, use_dense = np.zeros(1), _sensitivity_array(sensitivity, None, shape), True
    per_slot, per_contract = np.empty(shape), np.empty(shape)
    per_group = np.empty((n_days, n_paths, len(groups)))
    days_held = np.empty((n_days, n_paths, cols.size), dtype=np.int64)
    first_bad = np.full((n_blocks, 2), -1, dtype=np.int64)
    _exposure_paths_compiled(
        kind,
        qty,
        arg("is_call", np.bool_),
        arg("strike", np.float64),
        t_prev,
        arg("t_now", np.float64),
        arg("underlying_prev", np.float64),
        arg("vol_prev", np.float64),
        arg("rate_prev", np.float64),
        np.asarray(records.slots.multiplier, dtype=float),
        col_of_slot,
        group_of_slot.astype(np.int64),
        table,
        dense,
        use_dense,
        _SAME_CONTRACT_T,
        block,
        per_slot,
        per_contract,
        per_group,
        days_held,
        first_bad,
    )
    for which, message, argument, expected in (
        (
            0,
            "non-finite sensitivity for a held VIX product",
            "sensitivity",
            "finite dF/dVIX for every held VX future or VIX option",
        ),
        (
            1,
            "no Black-76 delta for a held VIX option",
            "records",
            "t_prev > 0, vol_prev > 0 and finite inputs for held options",
        ),
    ):
        bad = first_bad[:, which]
        if (bad >= 0).any():
            where = tuple(int(w) for w in np.unravel_index(int(bad[bad >= 0].min()), shape))
            raise InputError(f"{message} at (day, path, slot) = {where}", argument=argument, expected=expected)
    return EffectiveVega(
        groups=groups,
        per_slot=per_slot,
        per_group=per_group,
        per_contract=per_contract,
        days_held=days_held if cols.size else None,
        days_held_slots=tuple(int(c) for c in cols),
    )


_prange: Any
try:  # numba is a declared dependency; the numpy path covers its absence
    import numba as _nb

    _prange = _nb.prange
    _b76_delta = _nb.njit(cache=True, nogil=True, error_model="numpy")(_b76_delta)
    _held_dtes_compiled = _nb.njit(parallel=True, cache=True, nogil=True)(_held_dtes)
    _decay_sums_compiled = _nb.njit(cache=True, nogil=True, error_model="numpy")(_decay_sums)
    _exposure_paths_compiled = _nb.njit(parallel=True, cache=True, nogil=True, error_model="numpy")(_exposure_paths)
    NUMBA_AVAILABLE = True
except ImportError:  # pragma: no cover
    _prange = range
    NUMBA_AVAILABLE = False
