"""Argument checks and broadcasting shared by the pricing kernels.

``validate=True`` raises :class:`alvh.errors.InputError` naming the first bad
argument; ``validate=False`` returns a boolean mask of the invalid elements so the
kernels can write NaN there (the engine's hot path must never stop mid-batch).
"""

from __future__ import annotations

import numpy as np

from alvh.errors import InputError

#: argument kind -> (predicate of a *valid* element, text of what was expected)
_POSITIVE = "positive and finite"
_NONNEG_TIME = "finite and >= 0 (years, ACT/365)"
_FINITE = "finite (decimal per year, continuously compounded)"


def as_float(name: str, value: object) -> np.ndarray:
    """``value`` as a float64 array, with an :class:`InputError` naming ``name`` if it is not numeric."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"not numeric ({exc})", argument=name, expected="a number or numeric array") from exc
    return arr


def as_flag(name: str, value: object, validate: bool) -> np.ndarray:
    """``value`` (call/put flag) as a bool array; non-0/1 numbers are rejected when validating."""
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        return arr
    if validate:
        if arr.dtype.kind not in "iuf":
            raise InputError(f"dtype {arr.dtype} is not a flag", argument=name, expected="bool array (True = call)")
        if not np.all((arr == 0) | (arr == 1)):
            raise InputError("values other than 0/1/True/False", argument=name, expected="bool array (True = call)")
    return arr.astype(bool)


def bad_positive(arr: np.ndarray) -> np.ndarray:
    """Mask of elements that are not positive finite numbers (NaN counts as bad)."""
    return ~(np.isfinite(arr) & (arr > 0.0))


def bad_time(arr: np.ndarray) -> np.ndarray:
    """Mask of times to expiry that are negative, infinite or NaN."""
    return ~(np.isfinite(arr) & (arr >= 0.0))


def bad_finite(arr: np.ndarray) -> np.ndarray:
    """Mask of non-finite elements."""
    return ~np.isfinite(arr)


_CHECKS = {
    "positive": (bad_positive, _POSITIVE),
    "time": (bad_time, _NONNEG_TIME),
    "finite": (bad_finite, _FINITE),
}


def check(named: list[tuple[str, np.ndarray, str]], validate: bool) -> np.ndarray | None:
    """Validate ``(name, array, kind)`` triples.

    Returns ``None`` when every element is valid; otherwise, with ``validate=False``, the
    broadcast mask of invalid elements (True = invalid), and with ``validate=True`` raises
    :class:`InputError` for the first argument holding an invalid element.
    """
    mask = None
    for name, arr, kind in named:
        test, expected = _CHECKS[kind]
        bad = test(arr)
        if bad.any():
            if validate:
                first = np.argwhere(bad)[0] if bad.ndim else ()
                value = float(arr[tuple(first)] if bad.ndim else arr[()])
                where = f" at index {tuple(int(i) for i in first)}" if bad.ndim else ""
                raise InputError(f"invalid value {value!r}{where}", argument=name, expected=expected)
            mask = bad if mask is None else (mask | bad)
    return mask
