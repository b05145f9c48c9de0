"""The fused numba kernel equals the pure-numpy path (same formulas, same t == 0 and NaN rules)."""

from __future__ import annotations

import numpy as np
import pytest

from alvh import pricing
from alvh.pricing import _numba

pytestmark = pytest.mark.skipif(not _numba.AVAILABLE, reason="numba not installed; the numpy path is the only one")

GREEKS = ("price", "delta", "gamma", "vega", "theta", "vanna", "volga")


def _inputs():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    n = 5000
    s = rng.uniform(50, 6000, n)
    k = s * np.exp(rng.uniform(-1.5, 1.5, n))
    t = rng.choice([0.0, 1 / 365, 0.1, 1.0, 2.0], n)
    v = rng.uniform(0.02, 2.5, n)
    r = rng.uniform(-0.01, 0.08, n)
    q = rng.uniform(0.0, 0.04, n)
    c = rng.random(n) < 0.5
    k[:5] = s[:5]  # at the money, incl. t == 0 (delta one half)
    t[:5] = 0.0
    # invalid elements, hot path (validate=False): NaN out
    s[10], k[11], t[12], v[13], v[14], r[15], q[16] = np.nan, -1.0, -0.5, 0.0, np.inf, np.nan, np.nan
    return s, k, t, v, r, q, c


def _close(a, b, scale):
    """Equal up to the difference of the two erfc implementations (a few ulp of the natural scale)."""
    both_nan = np.isnan(a) & np.isnan(b)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    diff = np.abs(np.where(both_nan, 0.0, a - b))
    assert np.all(diff <= 1e-13 * (np.abs(np.where(both_nan, 0.0, b)) + scale))


def test_bsm_greeks_numba_equals_numpy():
    s, k, t, v, r, q, c = _inputs()
    a = pricing.bsm_greeks(s, k, t, v, r, q, c, validate=False, backend="numba")
    b = pricing.bsm_greeks(s, k, t, v, r, q, c, validate=False, backend="numpy")
    scale = {
        "price": s,
        "delta": 1.0,
        "gamma": 1 / s,
        "vega": s * 0.01,
        "theta": s / 365,
        "vanna": 0.01,
        "volga": s * 1e-4,
    }
    for name in GREEKS:
        _close(getattr(a, name), getattr(b, name), np.where(np.isfinite(s), scale[name], 1.0))
    assert np.isnan(a.price[10:17]).all() and np.isfinite(a.price[17:]).all()
    np.testing.assert_array_equal(a.delta[:5], np.where(c[:5], 0.5, -0.5))


def test_black76_and_fused_outputs_numba_equal_numpy():
    s, k, t, v, r, q, c = _inputs()
    for fn, args in ((pricing.black76_price, (s, k, t, v, r, c)), (pricing.bsm_price, (s, k, t, v, r, q, c))):
        _close(
            fn(*args, validate=False, backend="numba"),
            fn(*args, validate=False, backend="numpy"),
            np.where(np.isfinite(s), s, 1.0),
        )
    pdv_a = pricing.black76_price_delta_vega(s, k, t, v, r, c, validate=False, backend="numba")
    pdv_b = pricing.black76_price_delta_vega(s, k, t, v, r, c, validate=False, backend="numpy")
    for x, y, sc in zip(pdv_a, pdv_b, (s, 1.0, s * 0.01), strict=True):
        _close(x, y, np.where(np.isfinite(s), sc, 1.0))


@pytest.mark.parametrize("shapes", [((3, 1, 1), (1, 4, 1), (1, 1, 5)), ((2, 3), (3,), ()), ((4,), (4,), (4,))])
def test_numba_broadcasting_matches_numpy(shapes):
    rng = np.random.default_rng(np.random.SeedSequence(11))
    s_shape, k_shape, v_shape = shapes
    s = rng.uniform(3000, 5000, s_shape)
    k = rng.uniform(3000, 5000, k_shape)
    v = rng.uniform(0.1, 0.6, v_shape)
    a = pricing.bsm_greeks(s, k, 0.2, v, 0.03, 0.01, True, backend="numba")
    b = pricing.bsm_greeks(s, k, 0.2, v, 0.03, 0.01, True, backend="numpy")
    for name in GREEKS:
        assert getattr(a, name).shape == getattr(b, name).shape
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-13, atol=1e-15)


def test_auto_backend_switches_on_size_and_agrees():
    n = pricing.NUMBA_AUTO_MIN_SIZE + 1
    k = np.linspace(2000, 8000, n)
    auto = pricing.bsm_price(4500.0, k, 0.25, 0.2, 0.03, 0.01, False)
    np.testing.assert_allclose(
        auto, pricing.bsm_price(4500.0, k, 0.25, 0.2, 0.03, 0.01, False, backend="numpy"), rtol=1e-13, atol=1e-12
    )
    # validation still raises on the numba path
    k[5] = np.nan
    with pytest.raises(pricing_errors().InputError, match="'strike'"):
        pricing.bsm_price(4500.0, k, 0.25, 0.2, 0.03, 0.01, False, backend="numba")


def pricing_errors():
    import alvh.errors

    return alvh.errors
