"""Effective vega and decay curves against QuantLib deltas and slow reference loops."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alvh.analytics.exposure import days_since_roll, decay_curve, effective_vega
from alvh.engine.records import InstrumentKind
from alvh.errors import InputError
from helpers import make_records, ql_black76


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
    _, delta, _, _ = ql_black76(
        rec.underlying_prev[idx], rec.strike[idx], rec.t_prev[idx], rec.vol_prev[idx], rec.rate_prev[idx], True
    )
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
                same = (
                    count >= 0
                    and rec.kind[d, p, s] == rec.kind[d - 1, p, s]
                    and abs(rec.t_prev[d, p, s] - rec.t_now[d - 1, p, s]) < 1e-9
                    and (
                        rec.strike[d, p, s] == rec.strike[d - 1, p, s]
                        or (np.isnan(rec.strike[d, p, s]) and np.isnan(rec.strike[d - 1, p, s]))
                    )
                )
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


# ---------------------------------------------------------------- the compiled pass: same numbers as the numpy path
def _numba_or_skip():
    from alvh.analytics.exposure import NUMBA_AVAILABLE

    if not NUMBA_AVAILABLE:
        pytest.skip("numba not installed")


@pytest.mark.parametrize("kind", ["futures", "calls"])
@pytest.mark.parametrize("dense", [False, True])
def test_numba_effective_vega_and_days_held_equal_the_numpy_path(kind, dense):
    _numba_or_skip()
    rec = make_records(seed=9, n_days=70, n_paths=11, layer_kind=kind, expiry_day=30, flat_core_days=(5, 6))
    # a layer that is empty on some days (a gap in a cycle) and a held SPX option in a layer column
    qty = rec.quantity.copy()
    qty[40:43, 2, 5] = 0.0
    rec = type(rec)(**{**rec.__dict__, "quantity": qty})
    sens = np.exp(-np.nan_to_num(rec.t_prev) * 365 / 45.0) if dense else _sens
    a = effective_vega(rec, sens, backend="numpy")
    b = effective_vega(rec, sens, backend="numba")
    for name in ("per_slot", "per_group", "per_contract"):  # the delta's N(x): erfc here, ndtr there (1 ulp)
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-13, atol=0)
        assert (np.isnan(getattr(b, name)) == np.isnan(getattr(a, name))).all()
    assert a.days_held_slots == b.days_held_slots == (4, 5, 6)
    np.testing.assert_array_equal(b.days_held, a.days_held)
    np.testing.assert_array_equal(b.days_held, _reference_days_held(rec)[..., 4:])
    for layer in ("short", "mid", "long"):
        for max_days in (None, 12):
            ref = decay_curve(rec, a, layer, max_days=max_days, backend="numpy")
            got = decay_curve(rec, b, layer, max_days=max_days, backend="numba")
            pd.testing.assert_frame_equal(
                got, decay_curve(rec, b, layer, max_days=max_days, backend="numpy"), check_exact=False, rtol=1e-13
            )  # same terms, summed to rounding
            pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-12)
            # without the cached days held (an EffectiveVega built elsewhere) the curve is the same
            bare = type(b)(groups=b.groups, per_slot=b.per_slot, per_group=b.per_group, per_contract=b.per_contract)
            pd.testing.assert_frame_equal(
                decay_curve(rec, bare, layer, max_days=max_days, backend="numba"), got, check_exact=True
            )


def test_sensitivity_callable_is_called_once_on_the_distinct_dtes():
    _numba_or_skip()
    rec = make_records(seed=12, n_days=40, n_paths=3, layer_kind="futures")
    seen = []

    def sens(dte):
        seen.append(np.asarray(dte).copy())
        return _sens(dte)

    for backend in ("numpy", "numba"):
        seen.clear()
        ev = effective_vega(rec, sens, backend=backend)
        assert len(seen) == 1
        held = rec.quantity[..., 4:] != 0
        expected = np.unique(np.rint(rec.t_prev[..., 4:][held] * 365))
        np.testing.assert_array_equal(seen[0], expected)
        d, p, s = 17, 2, 6
        assert ev.per_slot[d, p, s] == pytest.approx(
            rec.quantity[d, p, s] * 1000 * _sens(round(rec.t_prev[d, p, s] * 365))
        )


def test_numba_exposure_errors_and_long_dtes_match_the_numpy_path():
    _numba_or_skip()
    rec = make_records(seed=4, n_days=5, n_paths=1, layer_kind="calls")
    vol = rec.vol_prev.copy()
    vol[3, 0, 6] = -0.5
    bad = type(rec)(**{**rec.__dict__, "vol_prev": vol})
    with pytest.raises(InputError, match=r"no Black-76 delta.*\(3, 0, 6\)"):
        effective_vega(bad, np.full(rec.quantity.shape, 0.5), backend="numba")
    sens = np.full(rec.quantity.shape, 0.5)
    sens[2, 0, 5] = np.inf
    with pytest.raises(InputError, match=r"non-finite sensitivity.*\(2, 0, 5\)"):
        effective_vega(rec, sens, backend="numba")
    # a DTE beyond the compiled pass's table: handled by the numpy path, same numbers
    t_prev = rec.t_prev.copy()
    t_prev[2, 0, 6] = 30.0  # 10,950 days
    far = type(rec)(**{**rec.__dict__, "t_prev": t_prev})
    np.testing.assert_array_equal(
        effective_vega(far, _sens, backend="numba").per_slot, effective_vega(far, _sens, backend="numpy").per_slot
    )
    with pytest.raises(InputError, match="backend"):
        effective_vega(rec, _sens, backend="gpu")
