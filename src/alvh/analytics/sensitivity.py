"""dF/dVIX without look-ahead: an expanding estimate by DTE bucket, known at each previous close.

The hedge cost's "response to spot VIX" term (docs/drag.md) multiplies each layer's effective
vega by the day's spot-VIX change. The effective vega needs dF/dVIX, the sensitivity of a VX
future to spot VIX at its days to expiry. Fitted on the whole run (as
:func:`alvh.market.vx.estimate_effective_vega` does) it would use the future to split the past;
here the estimate used for the holding day ``d-1 -> d`` comes only from daily changes that ended
on or before ``d-1``.

Estimator (per DTE bucket ``[lo, hi)``, the buckets of
:data:`alvh.market.vx.DEFAULT_VEGA_BUCKETS`): every contract listed on consecutive days
``e-1, e`` with ``dte_{e-1}`` in the bucket and ``dte_e >= 1`` gives one pair
``(x, y) = (VIX_e - VIX_{e-1}, F_e - F_{e-1})``; the slope for day ``d`` is the OLS slope (with
intercept) of ``y`` on ``x`` over all pairs with ``e <= d-1``, from running sums (no refit).

Warm-up: a bucket is used once it holds :data:`MIN_OBS` pairs (about one year of one
contract per bucket). A held contract's dF/dVIX is the linear interpolation in DTE between the
warm buckets' mean DTEs (flat outside them); on days with no warm bucket it is the model's
:func:`alvh.market.vx.effective_vega_model` (which holds no look-ahead beyond its fitted
parameters). Runs without VX settlements (the model curve, synthetic paths) use the model
directly: there the model *is* the curve the layers trade.

The estimator is :func:`alvh.market.vx_sensitivity.expanding_dfdvix` (the engine uses the same
one); this module is the single place the analytics read dF/dVIX from (:func:`records_sensitivity`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from alvh.engine.records import InstrumentKind, PositionRecords
from alvh.errors import InputError

# The estimator lives in the market layer, shared with the engine (one estimate: sizing, the normalized
# trigger and the analytics read the same numbers); re-exported here for the analytics' callers.
from alvh.market.vx_sensitivity import MIN_OBS, ExpandingDfdvix, expanding_dfdvix
from alvh.pricing.units import DAYS_PER_YEAR

__all__ = ["MIN_OBS", "ExpandingDfdvix", "expanding_dfdvix", "records_sensitivity"]

#: Calendar days per year used to turn ``t_prev`` (years) into DTE (as :mod:`alvh.analytics.exposure`).
_DAYS_PER_YEAR = DAYS_PER_YEAR


def records_sensitivity(
    records: PositionRecords,
    *,
    estimate: ExpandingDfdvix | None = None,
    rows: np.ndarray | None = None,
    model: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """dF/dVIX of every held VIX product, shape ``(n_days, n_paths, n_slots)`` (0 elsewhere).

    The single function the analytics read dF/dVIX from. With ``estimate`` (real VX data) each
    day uses the expanding estimate known at its previous close (``rows`` maps the records'
    days to the estimate's rows); without it the model (``model``, default
    :func:`alvh.market.vx.effective_vega_model`). DTE = ``round(t_prev * 365)`` as in
    :func:`alvh.analytics.exposure.effective_vega`.
    """
    from alvh.market.vx import VXModelParams, effective_vega_model

    if model is not None:
        fb = model
    else:
        # the shipped parameters read once, not once per day of the estimate's fallback (the same
        # values: VXModelParams.default() is what effective_vega_model reads when given none)
        params = VXModelParams.default()

        def fb(dte: np.ndarray) -> np.ndarray:
            return effective_vega_model(dte, params)

    kind = np.asarray(records.kind)
    qty = np.asarray(records.quantity)
    held = ((kind == InstrumentKind.VX_FUTURE) | (kind == InstrumentKind.VIX_OPTION)) & (qty != 0)
    out = np.zeros(kind.shape)
    if not held.any():
        return out
    idx = np.nonzero(held)
    dte = np.rint(np.asarray(records.t_prev, dtype=float)[idx] * _DAYS_PER_YEAR)
    if not np.isfinite(dte).all():
        raise InputError(
            "a held VIX product has no time to expiry",
            argument="records.t_prev",
            expected="finite years to expiry on every held VIX product",
        )
    dte = np.maximum(dte, 0.0)
    if estimate is None:
        out[idx] = np.asarray(fb(dte), dtype=float)
        return out
    r = np.asarray(rows if rows is not None else np.arange(kind.shape[0]), dtype=np.intp)
    if r.shape != (kind.shape[0],) or (r < 0).any() or (r >= len(estimate.dates)).any():
        raise InputError(
            f"rows of shape {r.shape}",
            argument="rows",
            expected=f"{kind.shape[0]} row indices into the estimate's {len(estimate.dates)} days",
        )
    out[idx] = estimate.at(r[idx[0]], dte, fb)
    return out
