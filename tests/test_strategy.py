"""Strategy pieces: strike selection (vs QuantLib deltas), costs, buckets, adaptive schedule (VXTH)."""

from __future__ import annotations

import numpy as np
import pytest
import QuantLib as ql

from alvh.config import Adaptive, Core, Costs, Layer
from alvh.errors import InputError
from alvh.strategy.costs import CostModel
from alvh.strategy.kernels import bsm_greeks, strike_for_delta
from alvh.strategy.layers import adaptive_total_weight, bucket_plan
from alvh.strategy.legs import select_strikes


def test_delta_strikes_hit_the_targets_on_a_smile():
    core = Core(strike_increment=0.01)  # no rounding: check the fixed point itself
    spot = np.array([4000.0, 5000.0])
    rate = np.array([0.03, 0.03])
    atm = np.array([0.15, 0.30])

    def iv(k, t):
        return atm[:, None] * np.clip(1 - 0.3 * k / np.sqrt(t), 0.5, 3)

    t = 30 / 365
    ch = select_strikes(core, spot, t, rate, iv)
    fwd = spot * np.exp((0.03 - core.dividend_yield) * t)
    vol = iv(np.log(ch.strikes / fwd[:, None]), t)
    g = bsm_greeks(spot[:, None], ch.strikes, t, vol, 0.03, core.dividend_yield, np.array([False, False, True, True]))
    # forward delta = spot delta * exp(q t)
    fdelta = g.delta * np.exp(core.dividend_yield * t)
    np.testing.assert_allclose(fdelta, np.array([[-0.05, -0.20, 0.20, 0.05]] * 2), atol=2e-3)
    assert not ch.invalid.any()


def test_strike_rounding_and_wings_never_collapse():
    core = Core()
    ch = select_strikes(core, np.array([4003.0]), 2 / 365, np.array([0.0]), lambda k, t: np.full(k.shape, 0.05))
    s = ch.strikes[0]
    assert np.all(s % 5 == 0)
    assert s[0] < s[1] < s[2] < s[3]


def test_strike_for_delta_vs_quantlib():
    f, t, vol = 100.0, 0.25, 0.3
    k = float(strike_for_delta(0.25, f, t, vol, 0.0, True))
    payoff = ql.PlainVanillaPayoff(ql.Option.Call, k)
    calc = ql.BlackCalculator(payoff, f, vol * np.sqrt(t), 1.0)
    assert calc.deltaForward() == pytest.approx(0.25, abs=1e-10)


def test_costs_hand_computed():
    cm = CostModel(Costs())
    # SPX defaults: clip(0.04 p, 1 tick, 1.00); tick 0.05 below 3.00, 0.10 at or above
    #   p = 0.80 -> 0.032 -> floor 0.05;  p = 3.00 -> 0.12 (tick 0.10, floor 0.10) -> 0.12
    #   p = 2.00 -> 0.08 (tick 0.05) -> 0.08; p = 18 -> 0.72; p = 40 -> 1.60 -> cap 1.00
    px = np.array([0.80, 2.00, 3.00, 18.0, 40.0])
    np.testing.assert_allclose(cm.spx_half_spread(px), [0.05, 0.08, 0.12, 0.72, 1.00], rtol=1e-12)
    np.testing.assert_allclose(cm.spx_half_spread([2.9, 2.99]), [0.116, 0.1196], rtol=1e-12)
    np.testing.assert_allclose(cm.spx_half_spread([1.0, 2.6, 2.5]), [0.05, 0.104, 0.10], rtol=1e-12)
    # per contract: 100 x (h + 0.05 x 3 extra legs) + $1, times |contracts|
    got = cm.spx(np.array([-3.0, 0.0, 2.0]), 4, np.array([18.0, np.nan, 0.80]))
    np.testing.assert_allclose(got, [3 * (100 * (0.72 + 0.15) + 1.0), 0.0, 2 * (100 * (0.05 + 0.15) + 1.0)])
    assert cm.vx(np.array([2.0]))[0] == pytest.approx(2 * (1000 * 0.05 + 2.0))
    # VIX options: clip(0.03 p, 1 tick, 0.50): p = 1.20 -> 0.036 -> 0.05; p = 4.0 -> 0.12; p = 20 -> 0.60 -> 0.50
    np.testing.assert_allclose(
        cm.vix_option(np.array([10.0, -1.0, 1.0]), np.array([1.20, 4.0, 20.0])),
        [10 * (100 * 0.05 + 1.0), 100 * 0.12 + 1.0, 100 * 0.50 + 1.0],
    )


def test_costs_vectorized_equal_a_per_element_reference():
    c = Costs(spx_half_spread_fraction=0.05, spx_half_spread_cap=0.8, spx_half_spread_floor_ticks=2.0)
    cm = CostModel(c)
    rng = np.random.default_rng(np.random.SeedSequence(7))
    q = rng.integers(-20, 21, size=(50, 4)).astype(float)
    p = rng.lognormal(1.0, 1.2, size=(50, 4))
    got = cm.spx(q, 4, p)
    for i in range(50):
        for j in range(4):
            tick = 0.05 if p[i, j] < 3.0 else 0.10
            h = min(max(0.05 * p[i, j], 2.0 * tick), 0.8)
            assert got[i, j] == pytest.approx(abs(q[i, j]) * (100 * (h + 0.05 * 3) + 1.0), rel=1e-12)


def test_costs_bad_price_and_bad_keys():
    from alvh.config import rules_from_dict
    from alvh.errors import ConfigError, InputError

    cm = CostModel(Costs())
    with pytest.raises(InputError, match="SPX option price"):
        cm.spx(np.array([1.0, 2.0]), 4, np.array([5.0, np.nan]))
    with pytest.raises(InputError, match="VIX option price"):
        cm.vix_option(np.array([1.0]), np.array([-0.5]))
    for costs, key in (
        ({"spx_half_spread": 0.5}, "costs.spx_half_spread"),
        ({"vix_option_half_spread": 0.05}, "costs.vix_option_half_spread"),
        ({"spx_half_spread_cap": 0.05}, "costs.spx_half_spread_cap"),
        ({"vix_option_tick_large": 0.01}, "costs.vix_option_tick_large"),
        ({"spx_half_spread_fraction": 1.5}, "costs.spx_half_spread_fraction"),
        ({"spx_tick_small": 0.0}, "costs.spx_tick_small"),
    ):
        with pytest.raises(ConfigError) as err:
            rules_from_dict({"costs": costs})
        assert err.value.key == key, (costs, err.value)


def test_vxth_schedule():
    w = adaptive_total_weight(Adaptive(enabled=True), level=np.array([12, 15, 15.01, 30, 30.5, 50, 51, np.nan]))
    np.testing.assert_array_equal(w[:7], [0, 0, 0.01, 0.01, 0.005, 0.005, 0])
    assert np.isnan(w[7])


def test_bucket_plan_far_end_and_fallback():
    dte = np.array([[5, 33, 61, 96, 124], [0, 28, 56, 91, 119]])
    listed = np.ones_like(dte, dtype=bool)
    short = bucket_plan(Layer(name="s", weight=0.04, min_dte=0, max_dte=30), dte, listed)
    assert list(short.contract) == [0, 1] and list(short.in_bucket) == [True, True]
    medium = bucket_plan(Layer(name="m", weight=0.04, min_dte=30, max_dte=90), dte, listed)
    assert list(medium.contract) == [2, 2]
    # day 0 of a 0-30 bucket without the 5-day contract: nothing inside, nearest above is used and flagged
    listed2 = listed.copy()
    listed2[0, 0] = False
    p = bucket_plan(Layer(name="s", weight=0.04, min_dte=0, max_dte=30), dte, listed2)
    assert p.contract[0] == 1 and not p.in_bucket[0]


def test_engine_kernels_equal_alvh_pricing():
    from alvh import pricing
    from alvh.strategy.kernels import black_greeks

    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5)))
    n = 2000
    s = rng.uniform(50, 150, n)
    k = rng.uniform(50, 150, n)
    t = rng.uniform(1 / 365, 2, n)
    v = rng.uniform(0.05, 1.5, n)
    r = rng.uniform(-0.01, 0.08, n)
    q = rng.uniform(0, 0.04, n)
    c = rng.uniform(size=n) < 0.5
    mine = bsm_greeks(s, k, t, v, r, q, c)
    ref = pricing.bsm_greeks(s, k, t, v, r, q, c)
    for name in ("price", "delta", "gamma", "vega", "theta"):
        np.testing.assert_allclose(getattr(mine, name), getattr(ref, name), rtol=1e-9, atol=1e-11, err_msg=name)
    mine = black_greeks(s, k, t, v, r, c)
    ref = pricing.black76_greeks(s, k, t, v, r, c)
    for name in ("price", "delta", "gamma", "vega", "theta"):
        np.testing.assert_allclose(getattr(mine, name), getattr(ref, name), rtol=1e-9, atol=1e-11, err_msg=name)
    # at settlement the kernels give the intrinsic value
    assert bsm_greeks(np.array(90.0), 100.0, 0.0, 0.2, 0.0, 0.0, False).price == 10.0


def test_expiry_break_evens_infinite_where_the_credit_covers_a_wing():
    from alvh.strategy.legs import break_evens

    strikes = np.array(
        [[4600.0, 4700.0, 5000.0, 5100.0], [4900.0, 5000.0, 5100.0, 5105.0], [4995.0, 5000.0, 5100.0, 5300.0]]
    )
    lo, hi = break_evens(strikes, np.array([20.0, 8.0, 6.0]))
    np.testing.assert_array_equal(lo, [4680.0, 4992.0, -np.inf])
    np.testing.assert_array_equal(hi, [5020.0, np.inf, 5106.0])


def test_strike_fixed_point_helpers_equal_their_references_bit_for_bit():
    # the engine's strike fixed point uses d1 computed once (kernels.strike_for_delta_at) and theta(t) computed
    # once (SpxSmileDay.iv_at): the same numbers as strike_for_delta and iv, including NaN for bad inputs
    from alvh.market import SpxSurface
    from alvh.strategy.kernels import strike_for_delta_at

    rng = np.random.default_rng(np.random.SeedSequence(31))
    f = rng.uniform(1000, 6000, size=(50, 1))
    deltas = np.array([[-0.05, -0.2, 0.2, 0.05]])
    calls = np.array([[False, False, True, True]])
    vol = rng.uniform(0.05, 0.9, size=(50, 4))
    vol[3, 1], vol[4, 2], vol[5, 0] = np.nan, 0.0, -0.1
    for t in (1 / 365, 35 / 365, 2.0):
        ref = strike_for_delta(deltas, f, t, vol, 0.0, calls)
        np.testing.assert_array_equal(strike_for_delta_at(deltas, f, t, calls)(vol), ref)
    bad_delta = np.array([[-0.05, 0.2, 1.2, np.nan]])  # a put with a call's sign, > 1, NaN
    ref = strike_for_delta(bad_delta, f, 0.1, vol, 0.0, calls)
    assert np.isnan(ref[:, 1:]).all() and np.isfinite(ref[:, 0]).any()
    np.testing.assert_array_equal(strike_for_delta_at(bad_delta, f, 0.1, calls)(vol), ref)
    surf = SpxSurface.from_vix(rng.uniform(9, 60, size=(3, 50)), skew=rng.uniform(105, 160, size=(3, 50)))
    k = rng.normal(0, 0.2, size=(50, 4))
    for t in (2 / 365, 35 / 365, 0.7):
        np.testing.assert_array_equal(surf.day(1).iv_at(t)(k), surf.day(1).iv(k, t))
    with pytest.raises(InputError, match="'t'"):
        surf.day(0).iv_at(0.0)
