"""Effective vega and decay curves against QuantLib deltas and slow reference loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_attribution import _ql_black, make_records

from alvh.analytics.exposure import days_since_roll, decay_curve, effective_vega
from alvh.engine.records import InstrumentKind
from alvh.errors import InputError


def _sens(dte: np.ndarray) -> np.ndarray:
    """A stand-in dF/dVIX by DTE (calendar days): exp(-dte/60)."""
    return np.exp(-np.asarray(dte, float) / 60.0)


def test_futures_effective_vega_is_quantity_times_multiplier_times_sensitivity():
    rec = make_records(seed=1, n_days=10, n_paths=2, layer_kind="futures")
    ev = effective_vega(rec, _sens)
    d, p, s = 4, 1, 5
    dte = round(rec.t_prev[d, p, s] * 365)
    assert ev.per_slot[d, p, s] == pytest.approx(rec.quantity[d, p, s] * 1000 * math.exp(-dte / 60))
    assert (ev.per_slot[..., :4] == 0).all()  # SPX options carry no VIX exposure
    np.testing.assert_allclose(ev.per_group[..., 1:], ev.per_slot[..., 4:], rtol=1e-15)


def test_vix_option_effective_vega_uses_black76_delta_from_quantlib():
    rec = make_records(seed=2, n_days=6, n_paths=1, layer_kind="calls")
    sens = np.full(rec.quantity.shape, 0.7)
    ev = effective_vega(rec, sens)
    d, s = 3, 6
    idx = (d, 0, s)
    _, delta, _, _ = _ql_black(rec.underlying_prev[idx], rec.strike[idx], rec.t_prev[idx], rec.vol_prev[idx],
                               rec.rate_prev[idx], True)
    assert ev.per_slot[idx] == pytest.approx(rec.quantity[idx] * 100 * delta * 0.7, rel=1e-9)
    assert ev.per_contract[idx] == pytest.approx(delta * 0.7, rel=1e-9)


def _reference_days_held(rec):
    n_days, n_paths, n_slots = rec.quantity.shape
    out = np.full((n_days, n_paths, n_slots), -1)
    for p in range(n_paths):
        for s in range(n_slots):
            count = -1
            for d in range(n_days):
                if rec.quantity[d, p, s] == 0:
                    count = -1
                    continue
                same = (count >= 0 and rec.kind[d, p, s] == rec.kind[d - 1, p, s]
                        and abs(rec.t_prev[d, p, s] - rec.t_now[d - 1, p, s]) < 1e-9
                        and (rec.strike[d, p, s] == rec.strike[d - 1, p, s]
                             or (np.isnan(rec.strike[d, p, s]) and np.isnan(rec.strike[d - 1, p, s]))))
                count = count + 1 if same else 0
                out[d, p, s] = count
    return out


@pytest.mark.parametrize("kind", ["futures", "calls"])
def test_days_since_roll_equals_reference_loop(kind):
    rec = make_records(seed=3, n_days=70, n_paths=2, layer_kind=kind, flat_core_days=(10, 11))
    got = days_since_roll(rec)
    np.testing.assert_array_equal(got, _reference_days_held(rec))
    # the layers roll every 20/30/40 days in the synthetic records
    assert got[:, 0, 4].max() == 19 and got[:, 0, 5].max() == 29 and got[:, 0, 6].max() == 39


def test_decay_curve_equals_groupby_reference():
    rec = make_records(seed=5, n_days=95, n_paths=3, layer_kind="futures")
    ev = effective_vega(rec, _sens)
    curve = decay_curve(rec, ev, "mid")
    held = days_since_roll(rec)[..., 5]
    e = ev.per_slot[..., 5]
    for h in (0, 7, 29):
        mask = held == h
        assert curve.loc[h, "n_obs"] == mask.sum()
        assert curve.loc[h, "effective_vega"] == pytest.approx(e[mask].mean())
    # relative curve: each cycle divided by its own first day; day 0 is exactly 1
    assert curve.loc[0, "relative"] == pytest.approx(1.0)
    day, path = 40, 1  # cycle starting at day 31 (rolls at days 1, 31, 61)
    first = day - held[day, path]
    assert held[first, path] == 0
    ratios = [e[d, p] / e[d - held[d, p], p] for d in range(95) for p in range(3) if held[d, p] == 9]
    assert curve.loc[9, "relative"] == pytest.approx(np.mean(ratios))
    # a future's dF/dVIX rises as it ages toward expiry, so the relative curve increases
    assert curve["relative"].iloc[-1] > 1.0


def test_exposure_bad_inputs():
    rec = make_records(seed=1, n_days=5, n_paths=1)
    with pytest.raises(InputError, match="sensitivity"):
        effective_vega(rec, np.zeros((5, 1, 2)))
    sens = np.full(rec.quantity.shape, 0.5)
    sens[2, 0, 5] = np.nan
    with pytest.raises(InputError, match=r"\(2, 0, 5\)"):
        effective_vega(rec, sens)
    with pytest.raises(InputError, match="layer"):
        decay_curve(rec, effective_vega(rec, _sens), "nope")
    assert rec.kind[2, 0, 5] == InstrumentKind.VX_FUTURE


def test_held_vix_option_without_a_delta_is_an_error():
    rec = make_records(seed=4, n_days=5, n_paths=1, layer_kind="calls")
    vol = rec.vol_prev.copy()
    vol[3, 0, 6] = -0.5
    from alvh.engine.records import PositionRecords

    bad = PositionRecords(**{**rec.__dict__, "vol_prev": vol})
    with pytest.raises(InputError, match=r"\(3, 0, 6\)"):
        effective_vega(bad, np.full(rec.quantity.shape, 0.5))


def test_days_since_roll_on_a_subset_of_slots_equals_the_full_computation():
    rec = make_records(seed=6, n_days=50, n_paths=2, layer_kind="futures")
    np.testing.assert_array_equal(days_since_roll(rec, [6, 4]), days_since_roll(rec)[..., [6, 4]])
