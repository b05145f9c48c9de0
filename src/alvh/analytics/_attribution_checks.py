"""Validation of the engine records before attribution: structure (shapes, kinds, groups) and every cell's
inputs (finite where held, positive times and prices where a formula needs them), with errors that name
the field, the day, path and slot (:func:`validate_records`)."""

from __future__ import annotations

import numpy as np

from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError

#: The float fields of the records that attribution reads for every slot, (n_days, n_paths, n_slots) each.
FLOAT_FIELDS: tuple[str, ...] = (
    "strike",
    "t_prev",
    "t_now",
    "underlying_prev",
    "underlying_now",
    "underlying_rolldown",
    "vol_prev",
    "vol_now",
    "rate_prev",
    "div_prev",
    "price_prev",
    "price_now",
)

_REQUIRED: dict[InstrumentKind, tuple[str, ...]] = {
    InstrumentKind.SPX_OPTION: (
        "strike",
        "t_prev",
        "t_now",
        "underlying_prev",
        "underlying_now",
        "vol_prev",
        "vol_now",
        "rate_prev",
        "div_prev",
        "price_prev",
        "price_now",
    ),
    InstrumentKind.VX_FUTURE: ("underlying_prev", "underlying_now", "underlying_rolldown", "price_prev", "price_now"),
    InstrumentKind.VIX_OPTION: (
        "strike",
        "t_prev",
        "t_now",
        "underlying_prev",
        "underlying_now",
        "underlying_rolldown",
        "vol_prev",
        "vol_now",
        "rate_prev",
        "price_prev",
        "price_now",
    ),
}


def validate_records(records: PositionRecords) -> None:
    """Check shapes, kinds and that every held position has finite inputs.

    Raises
    ------
    InputError
        Naming the field and the first offending (day, path, slot).
    """
    _validate_structure(records)
    _validate_cells(records)


def _validate_structure(records: PositionRecords) -> None:
    """Shapes of every field and the slots' description (cheap; no per-cell work)."""
    shape = np.shape(records.quantity)
    if len(shape) != 3:
        raise InputError(
            f"quantity has shape {shape}", argument="records.quantity", expected="shape (n_days, n_paths, n_slots)"
        )
    n_slots = shape[2]
    if (
        len(records.slots.names) != n_slots
        or len(records.slots.component) != n_slots
        or np.shape(records.slots.multiplier) != (n_slots,)
    ):
        raise InputError(
            "slots do not match the records' slot axis",
            argument="records.slots",
            expected=f"{n_slots} names, components and multipliers",
        )
    for name in ("kind", "is_call", *FLOAT_FIELDS):
        if np.shape(getattr(records, name)) != shape:
            raise InputError(
                f"shape {np.shape(getattr(records, name))}", argument=f"records.{name}", expected=f"shape {shape}"
            )
    mult = np.asarray(records.slots.multiplier, dtype=float)
    if not (np.isfinite(mult).all() and (mult > 0).all()):
        raise InputError(f"multipliers {mult}", argument="records.slots.multiplier", expected="positive finite")


def _validate_cells(records: PositionRecords) -> None:
    """Per (day, path, slot) checks; the numba backend runs the same checks inside its pass
    and calls this only to name the first offending cell."""
    kind = np.asarray(records.kind)
    valid = np.isin(kind, [int(k) for k in InstrumentKind])
    if not valid.all():
        bad = np.argwhere(~valid)[0]
        raise InputError(
            f"unknown instrument kind {int(kind[tuple(bad)])} at (day, path, slot) = {tuple(int(b) for b in bad)}",
            argument="records.kind",
            expected=f"one of {[int(k) for k in InstrumentKind]}",
        )
    qty = np.asarray(records.quantity, dtype=float)
    if not np.isfinite(qty).all():
        bad = np.argwhere(~np.isfinite(qty))[0]
        raise InputError(
            f"non-finite quantity at (day, path, slot) = {tuple(int(b) for b in bad)}",
            argument="records.quantity",
            expected="finite signed contracts",
        )
    held_none = (qty != 0) & (kind == InstrumentKind.NONE)
    if held_none.any():
        bad = np.argwhere(held_none)[0]
        raise InputError(
            f"non-zero quantity in an empty slot at (day, path, slot) = {tuple(int(b) for b in bad)}",
            argument="records.kind",
            expected="a kind for every held position",
        )
    for k, fields in _REQUIRED.items():
        held = (kind == k) & (qty != 0)
        if not held.any():
            continue
        for name in fields:
            bad_mask = held & ~np.isfinite(np.asarray(getattr(records, name), dtype=float))
            if bad_mask.any():
                bad = np.argwhere(bad_mask)[0]
                raise InputError(
                    f"non-finite {name} for a held {k.name} at (day, path, slot) = {tuple(int(b) for b in bad)}",
                    argument=f"records.{name}",
                    expected="finite values for every held position",
                )
        if k != InstrumentKind.VX_FUTURE:
            neg = held & (
                (np.asarray(records.t_now) < 0)
                | (np.asarray(records.t_prev) <= 0)
                | (np.asarray(records.vol_prev) <= 0)
            )
            if neg.any():
                bad = np.argwhere(neg)[0]
                raise InputError(
                    f"t_prev <= 0, t_now < 0 or vol_prev <= 0 for a held {k.name} at (day, path, slot)"
                    f" = {tuple(int(b) for b in bad)}",
                    argument="records",
                    expected="t_prev > 0, t_now >= 0, vol_prev > 0",
                )
