"""BSM / Black-76 prices and greeks against QuantLib, parity, finite differences, a scalar reference.

Unit conversions from QuantLib's BlackCalculator (checked by finite differences below):
vega(t) is per 1.0 of vol -> x 0.01; theta(spot, t) is per year -> / 365 (thetaPerDay is the same);
vanna(spot, t) is per 1.0 vol -> x 0.01; volga(t) equals d2V/dsigma2 / sqrt(t) in QuantLib 1.44
(a mixed sigma / stdDev derivative), so d2V/dsigma2 = volga(t) * sqrt(t) -> x 1e-4.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from alvh import pricing
from alvh.errors import InputError
from helpers import black76_scalar, bsm_scalar

GREEKS = ("price", "delta", "gamma", "vega", "theta", "vanna", "volga")

MONEYNESS = (0.3, 0.6, 0.9, 0.97, 1.0, 1.03, 1.1, 1.5, 2.5)  # strike / spot: deep ITM to deep OTM both sides
TENORS = (1 / 365, 7 / 365, 30 / 365, 0.5, 1.0, 2.0)
VOLS = (0.05, 0.15, 0.4, 1.0, 2.0)
RATES = (0.0, 0.05)
DIVS = (0.0, 0.015)
SPOTS = (100.0, 4500.0)


def _grid():
    rows = list(itertools.product(SPOTS, MONEYNESS, TENORS, VOLS, RATES, DIVS, (True, False)))
    s, m, t, v, r, q, c = (np.array(x) for x in zip(*rows, strict=True))
    return s, s * m, t, v, r, q, c.astype(bool)


def _ql_black(is_call, strike, forward, t, vol, df, spot):
    calc = ql.BlackCalculator(
        ql.PlainVanillaPayoff(ql.Option.Call if is_call else ql.Option.Put, strike), forward, vol * math.sqrt(t), df
    )
    return {
        "price": calc.value(),
        "delta": calc.delta(spot),
        "gamma": calc.gamma(spot),
        "vega": calc.vega(t) * 0.01,
        "theta": calc.theta(spot, t) / 365.0,
        "vanna": calc.vanna(spot, t) * 0.01,
        "volga": calc.volga(t) * math.sqrt(t) * 1e-4,
    }


# natural scale of each greek per unit of underlying S: the 1e-8 tolerance is relative to it
def _scale(name, s):
    return {
        "price": s,
        "delta": 1.0,
        "gamma": 1.0 / s,
        "vega": s * 0.01,
        "theta": s / 365.0,
        "vanna": 0.01,
        "volga": s * 1e-4,
    }[name]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_bsm_matches_quantlib_black_calculator(backend):
    s, k, t, v, r, q, c = _grid()
    g = pricing.bsm_greeks(s, k, t, v, r, q, c, backend=backend)
    for i in range(s.size):
        ref = _ql_black(c[i], k[i], s[i] * math.exp((r[i] - q[i]) * t[i]), t[i], v[i], math.exp(-r[i] * t[i]), s[i])
        p = g.price[i]
        assert abs(p - ref["price"]) <= max(1e-10 * abs(ref["price"]), 1e-12 * s[i]), (i, p, ref["price"])
        for name in GREEKS[1:]:
            got = getattr(g, name)[i]
            assert abs(got - ref[name]) <= 1e-8 * max(abs(ref[name]), _scale(name, s[i])), (name, i, got, ref[name])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_black76_matches_quantlib_black_calculator(backend):
    f, k, t, v, r, _, c = _grid()
    f = f / 200.0  # VIX-like forward levels 0.5 .. 22.5
    k = k / 200.0
    g = pricing.black76_greeks(f, k, t, v, r, c, backend=backend)
    for i in range(f.size):
        ref = _ql_black(c[i], k[i], f[i], t[i], v[i], math.exp(-r[i] * t[i]), f[i])
        assert abs(g.price[i] - ref["price"]) <= max(1e-10 * abs(ref["price"]), 1e-12 * f[i])
        ref_theta = ref["theta"]
        # QuantLib's theta(spot, t) assumes the spot grows at r - q; for a future the forward does not
        # grow, so BlackCalculator's theta with spot = forward and carry 0 is the Black-76 theta.
        for name in ("delta", "gamma", "vega", "vanna", "volga"):
            got = getattr(g, name)[i]
            assert abs(got - ref[name]) <= 1e-8 * max(abs(ref[name]), _scale(name, f[i])), (name, i)
        assert abs(g.theta[i] - ref_theta) <= 1e-8 * max(abs(ref_theta), _scale("theta", f[i])), i


def test_bsm_matches_quantlib_analytic_european_engine():
    """Full QuantLib pricing stack (dates, Actual365Fixed curves) on a sample incl. theta per day."""
    today = ql.Date(15, 3, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    cases = [
        (4500.0, 4000.0, 1, 0.12, 0.05, 0.015, False),
        (4500.0, 5200.0, 730, 0.25, 0.04, 0.013, True),
        (100.0, 100.0, 30, 2.0, 0.01, 0.0, True),
        (100.0, 40.0, 365, 0.05, 0.05, 0.02, True),
        (100.0, 180.0, 91, 0.6, 0.03, 0.01, False),
    ]
    for s, k, days, vol, r, q, is_call in cases:
        expiry = today + days
        spot = ql.QuoteHandle(ql.SimpleQuote(s))
        rts = ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc))
        qts = ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc))
        vts = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc))
        process = ql.BlackScholesMertonProcess(spot, qts, rts, vts)
        opt = ql.VanillaOption(
            ql.PlainVanillaPayoff(ql.Option.Call if is_call else ql.Option.Put, k), ql.EuropeanExercise(expiry)
        )
        opt.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        g = pricing.bsm_greeks(s, k, days / 365.0, vol, r, q, is_call)
        assert abs(g.price - opt.NPV()) <= max(1e-10 * opt.NPV(), 1e-12 * s)
        assert abs(g.delta - opt.delta()) <= 1e-8
        assert abs(g.gamma - opt.gamma()) <= 1e-8 * max(opt.gamma(), 1 / s)
        assert abs(g.vega - opt.vega() * 0.01) <= 1e-8 * s * 0.01  # engine vega per 1.0 vol
        assert abs(g.theta - opt.thetaPerDay()) <= 1e-8 * s / 365.0  # thetaPerDay = theta / 365


def test_scalar_reference_equals_vectorized():
    s, k, t, v, r, q, c = _grid()
    g = pricing.bsm_greeks(s, k, t, v, r, q, c, backend="numpy")
    for i in range(0, s.size, 7):
        ref = bsm_scalar(s[i], k[i], t[i], v[i], r[i], q[i], bool(c[i]))
        for name in GREEKS:
            got = getattr(g, name)[i]
            assert abs(got - ref[name]) <= 1e-12 * max(abs(ref[name]), _scale(name, s[i])), (name, i)
    f, kk = s / 200.0, k / 200.0
    g = pricing.black76_greeks(f, kk, t, v, r, c, backend="numpy")
    for i in range(0, s.size, 7):
        ref = black76_scalar(f[i], kk[i], t[i], v[i], r[i], bool(c[i]))
        for name in GREEKS:
            got = getattr(g, name)[i]
            assert abs(got - ref[name]) <= 1e-12 * max(abs(ref[name]), _scale(name, f[i])), (name, i)


def test_put_call_parity():
    s, k, t, v, r, q, _ = _grid()
    call = pricing.bsm_price(s, k, t, v, r, q, True)
    put = pricing.bsm_price(s, k, t, v, r, q, False)
    parity = s * np.exp(-q * t) - k * np.exp(-r * t)
    np.testing.assert_allclose(call - put, parity, rtol=0, atol=4e-15 * np.maximum(s, k).max())
    call76 = pricing.black76_price(s, k, t, v, r, True)
    put76 = pricing.black76_price(s, k, t, v, r, False)
    np.testing.assert_allclose(call76 - put76, np.exp(-r * t) * (s - k), rtol=0, atol=4e-15 * np.maximum(s, k).max())


@pytest.mark.parametrize("is_call", [True, False])
def test_greeks_match_central_finite_differences(is_call):
    s, k, t, vol, r, q = 4500.0, np.array([3600.0, 4300.0, 4500.0, 4700.0, 5400.0]), 0.25, 0.22, 0.045, 0.014
    g = pricing.bsm_greeks(s, k, t, vol, r, q, is_call)

    def price(**kw):
        a = {"spot": s, "t": t, "vol": vol} | kw
        return pricing.bsm_price(a["spot"], k, a["t"], a["vol"], r, q, is_call)

    hs, hv, ht = 1e-2 * s * 1e-2, 1e-4, 1e-5
    np.testing.assert_allclose(g.delta, (price(spot=s + hs) - price(spot=s - hs)) / (2 * hs), atol=1e-7)
    np.testing.assert_allclose(
        g.gamma, (price(spot=s + hs) - 2 * price() + price(spot=s - hs)) / hs**2, rtol=1e-4, atol=1e-9
    )
    vega_fd = (price(vol=vol + hv) - price(vol=vol - hv)) / (2 * hv) * 0.01
    np.testing.assert_allclose(g.vega, vega_fd, rtol=1e-6, atol=1e-9)  # O(h^2) truncation
    theta_fd = -(price(t=t + ht) - price(t=t - ht)) / (2 * ht) / 365.0  # time passing shortens t
    np.testing.assert_allclose(g.theta, theta_fd, rtol=1e-6, atol=1e-9)
    volga_fd = (price(vol=vol + hv) - 2 * price() + price(vol=vol - hv)) / hv**2 * 1e-4
    np.testing.assert_allclose(g.volga, volga_fd, rtol=1e-4, atol=1e-7)
    delta_up = pricing.bsm_greeks(s, k, t, vol + hv, r, q, is_call).delta
    delta_dn = pricing.bsm_greeks(s, k, t, vol - hv, r, q, is_call).delta
    np.testing.assert_allclose(g.vanna, (delta_up - delta_dn) / (2 * hv) * 0.01, rtol=1e-6, atol=1e-10)


def test_black76_greeks_finite_differences():
    f, k, t, vol, r = 18.0, np.array([12.0, 17.0, 18.0, 22.0, 35.0]), 40 / 365, 0.9, 0.05
    g = pricing.black76_greeks(f, k, t, vol, r, True)
    h = 1e-4

    def p(ff=f, tt=t, vv=vol):
        return pricing.black76_price(ff, k, tt, vv, r, True)

    np.testing.assert_allclose(g.delta, (p(ff=f + h) - p(ff=f - h)) / (2 * h), atol=1e-8)
    np.testing.assert_allclose(g.theta, -(p(tt=t + 1e-6) - p(tt=t - 1e-6)) / 2e-6 / 365, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(g.vega, (p(vv=vol + h) - p(vv=vol - h)) / (2 * h) * 0.01, rtol=1e-7)


def test_expiry_gives_intrinsic_and_documented_limits():
    s = np.array([90.0, 100.0, 110.0])
    for is_call, omega in ((True, 1.0), (False, -1.0)):
        g = pricing.bsm_greeks(s, 100.0, 0.0, 0.2, 0.05, 0.01, is_call)
        np.testing.assert_array_equal(g.price, np.maximum(omega * (s - 100.0), 0.0))
        np.testing.assert_array_equal(g.delta, omega * np.array([0.0, 0.5, 1.0])[:: int(omega)])
        for name in ("gamma", "vega", "theta", "vanna", "volga"):
            np.testing.assert_array_equal(getattr(g, name), 0.0)
    # continuity: a minute before expiry the price is within a hair of intrinsic away from the strike
    minute = 1 / (365 * 24 * 60)
    near = pricing.bsm_price(s, 100.0, minute, 0.2, 0.05, 0.01, True)
    fwd_intrinsic = np.maximum(s * np.exp(-0.01 * minute) - 100.0 * np.exp(-0.05 * minute), 0.0)
    np.testing.assert_allclose(near[[0, 2]], fwd_intrinsic[[0, 2]], atol=1e-12)
    np.testing.assert_array_equal(pricing.black76_price(s, 100.0, 0.0, 0.9, 0.05, False), [10.0, 0.0, 0.0])


def test_broadcasting_days_paths_strikes_matches_elementwise():
    rng = np.random.default_rng(np.random.SeedSequence(31))
    spot = rng.uniform(3000, 5000, size=(4, 3, 1))  # days x paths x 1
    strike = np.array([3500.0, 4000.0, 4500.0, 5000.0])  # strikes
    t = np.array([10, 9, 8, 0])[:, None, None] / 365.0  # by day, incl. expiry
    vol = rng.uniform(0.1, 0.5, size=(4, 3, 4))
    g = pricing.bsm_greeks(spot, strike, t, vol, 0.04, 0.013, strike > 4200)
    assert g.price.shape == (4, 3, 4)
    for d, p_, j in itertools.product(range(4), range(3), range(4)):
        one = pricing.bsm_greeks(spot[d, p_, 0], strike[j], t[d, 0, 0], vol[d, p_, j], 0.04, 0.013, strike[j] > 4200)
        for name in GREEKS:
            assert getattr(g, name)[d, p_, j] == pytest.approx(float(getattr(one, name)), rel=1e-14, abs=1e-300)


def test_price_delta_vega_equals_greeks():
    s, k, t, v, r, q, c = _grid()
    for backend in ("numpy", "numba"):
        p, d, vg = pricing.bsm_price_delta_vega(s, k, t, v, r, q, c, backend=backend)
        g = pricing.bsm_greeks(s, k, t, v, r, q, c, backend=backend)
        np.testing.assert_array_equal(p, g.price)
        np.testing.assert_array_equal(d, g.delta)
        np.testing.assert_array_equal(vg, g.vega)
        p76, d76, v76 = pricing.black76_price_delta_vega(s, k, t, v, r, c, backend=backend)
        g76 = pricing.black76_greeks(s, k, t, v, r, c, backend=backend)
        np.testing.assert_array_equal(np.stack([p76, d76, v76]), np.stack([g76.price, g76.delta, g76.vega]))


# ---------------------------------------------------------------- strike from delta
@pytest.mark.parametrize("is_call,delta", [(True, 0.16), (True, 0.5), (True, 0.05), (False, -0.16), (False, -0.30)])
def test_strike_from_delta_round_trip(is_call, delta):
    s, t, vol, r, q = 4500.0, 45 / 365, 0.18, 0.05, 0.014
    k = pricing.strike_from_delta(s, t, vol, r, q, delta, is_call)
    assert float(pricing.bsm_greeks(s, k, t, vol, r, q, is_call).delta) == pytest.approx(delta, abs=1e-12)
    assert (k > s) == (is_call and delta < 0.45) or (not is_call and k < s) or delta == 0.5


def test_strike_from_delta_bad_delta():
    with pytest.raises(InputError, match="'delta'"):
        pricing.strike_from_delta(4500.0, 0.1, 0.2, 0.05, 0.01, -0.2, True)  # call with a put delta
    with pytest.raises(InputError, match="'delta'"):
        pricing.strike_from_delta(4500.0, 0.1, 0.2, 0.05, 0.01, 0.999999, True)  # above e^{-qt}
    with pytest.raises(InputError, match="'t'"):
        pricing.strike_from_delta(4500.0, 0.0, 0.2, 0.05, 0.01, 0.2, True)
    out = pricing.strike_from_delta(4500.0, 0.1, 0.2, 0.05, 0.01, [0.2, 1.5, np.nan], True, validate=False)
    assert np.isfinite(out[0]) and np.isnan(out[1:]).all()


# ---------------------------------------------------------------- bad input
BAD_BSM = [
    ("spot", 0, 0.0),
    ("spot", 0, -1.0),
    ("spot", 0, np.nan),
    ("strike", 1, 0.0),
    ("strike", 1, np.nan),
    ("t", 2, -1e-9),
    ("t", 2, np.nan),
    ("vol", 3, 0.0),
    ("vol", 3, -0.2),
    ("vol", 3, np.nan),
    ("rate", 4, np.nan),
    ("div", 5, np.inf),
]


@pytest.mark.parametrize("name,pos,bad", BAD_BSM)
@pytest.mark.parametrize("fn", [pricing.bsm_price, pricing.bsm_greeks, pricing.bsm_price_delta_vega])
def test_bsm_bad_input_raises_naming_argument_or_gives_nan(fn, name, pos, bad):
    args = [
        np.full(3, 100.0),
        np.full(3, 100.0),
        np.full(3, 0.5),
        np.full(3, 0.2),
        np.full(3, 0.03),
        np.full(3, 0.01),
        np.array([True, False, True]),
    ]
    args[pos] = args[pos].copy()
    args[pos][1] = bad
    with pytest.raises(InputError, match=f"argument '{name}'"):
        fn(*args)
    for backend in ("numpy", "numba"):
        out = fn(*args, validate=False, backend=backend)
        arrays = (
            [out]
            if isinstance(out, np.ndarray)
            else (list(out) if isinstance(out, tuple) else [getattr(out, n) for n in GREEKS])
        )
        for a in arrays:
            assert np.isnan(a[1]) and np.isfinite(a[[0, 2]]).all()


BAD_B76 = [
    ("forward", 0, -3.0),
    ("forward", 0, np.nan),
    ("strike", 1, 0.0),
    ("t", 2, -0.1),
    ("vol", 3, 0.0),
    ("rate", 4, np.nan),
]


@pytest.mark.parametrize("name,pos,bad", BAD_B76)
def test_black76_bad_input(name, pos, bad):
    args = [np.full(2, 20.0), np.full(2, 22.0), np.full(2, 0.1), np.full(2, 0.8), np.full(2, 0.03), True]
    args[pos] = args[pos].copy()
    args[pos][0] = bad
    with pytest.raises(InputError, match=f"argument '{name}'"):
        pricing.black76_greeks(*args)
    g = pricing.black76_greeks(*args, validate=False)
    assert np.isnan(g.price[0]) and np.isnan(g.vega[0]) and np.isfinite(g.price[1])


def test_bad_flag_backend_and_shapes():
    with pytest.raises(InputError, match="'is_call'"):
        pricing.bsm_price(100.0, 100.0, 1.0, 0.2, 0.0, 0.0, 2)
    with pytest.raises(InputError, match="'is_call'"):
        pricing.bsm_price(100.0, 100.0, 1.0, 0.2, 0.0, 0.0, "call")
    with pytest.raises(InputError, match="'backend'"):
        pricing.bsm_price(100.0, 100.0, 1.0, 0.2, 0.0, 0.0, True, backend="gpu")
    with pytest.raises(InputError, match="broadcast"):
        pricing.bsm_price(np.ones(3) * 100, np.ones(4) * 100, 1.0, 0.2, 0.0, 0.0, True)
    with pytest.raises(InputError, match="'spot'"):
        pricing.bsm_price("abc", 100.0, 1.0, 0.2, 0.0, 0.0, True)


# ---------------------------------------------------------------- properties (hypothesis)
_spot = st.floats(10.0, 10_000.0)
_t = st.floats(1 / 365, 3.0)
_vol = st.floats(0.03, 2.5)
_rate = st.floats(-0.01, 0.1)
_div = st.floats(0.0, 0.05)


@settings(max_examples=200, deadline=None)
@given(
    s=_spot,
    t=_t,
    vol=_vol,
    r=_rate,
    q=_div,
    is_call=st.booleans(),
    m0=st.floats(0.2, 1.0),
    gaps=st.lists(st.floats(0.005, 1.0), min_size=2, max_size=12),
)
def test_monotone_convex_and_within_bounds_in_strike(s, t, vol, r, q, is_call, m0, gaps):
    k = s * (m0 + np.concatenate([[0.0], np.cumsum(gaps)]))  # strikes at least 0.5% of spot apart
    p = pricing.bsm_price(s, k, t, vol, r, q, is_call)
    tol = 1e-12 * s
    dp = np.diff(p)
    # monotone: calls fall, puts rise with the strike
    assert np.all(dp <= tol) if is_call else np.all(dp >= -tol)
    # the slope is bounded by the discount factor (no-arbitrage: dC/dK in [-e^{-rt}, 0])
    slope = dp / np.diff(k)
    assert np.all(np.abs(slope) <= np.exp(-r * t) * (1 + 1e-9) + tol)
    # convex in strike: slopes increase
    assert np.all(np.diff(slope) >= -1e-9 * np.exp(-r * t) - tol / np.diff(k).min())
    fwd_pv, k_pv = s * np.exp(-q * t), k * np.exp(-r * t)
    lower = np.maximum(fwd_pv - k_pv, 0.0) if is_call else np.maximum(k_pv - fwd_pv, 0.0)
    upper = fwd_pv if is_call else k_pv
    assert np.all(p >= lower - tol) and np.all(p <= upper + tol)


def test_scalar_inputs_give_zero_dim_arrays():
    for backend in ("numpy", "numba"):
        price = pricing.bsm_price(100.0, 100.0, 1.0, 0.2, 0.05, 0.0, True, backend=backend)
        assert isinstance(price, np.ndarray) and price.shape == ()
        assert float(price) == pytest.approx(10.450583572185565, rel=1e-14)  # regression value (QuantLib-checked grid)
        # Hull, Options, Futures and Other Derivatives, BSM worked example: S=42, K=40, r=10%, sigma=20%,
        # T=0.5 gives c = 4.76 and p = 0.81 (quoted to the cent)
        hull = pricing.bsm_price(42.0, 40.0, 0.5, 0.2, 0.1, 0.0, np.array([True, False]), backend=backend)
        np.testing.assert_allclose(hull, [4.76, 0.81], atol=0.005)
        g = pricing.black76_greeks(20.0, 22.0, 0.1, 0.9, 0.03, True, backend=backend)
        assert all(isinstance(getattr(g, n), np.ndarray) and getattr(g, n).shape == () for n in GREEKS)
    k = pricing.strike_from_delta(100.0, 1.0, 0.2, 0.0, 0.0, 0.3, True)
    assert isinstance(k, np.ndarray) and k.shape == ()
