"""VIX puts, vertical spreads, the VIX smile, conversion and reversal, roll reasons (issue 10, items 1, 3, 4).

Checked against what we did not write: QuantLib's ``BlackCalculator`` for every Black-76 call, put and
spread; put-call parity ``C - P = exp(-r t) (F - K)`` on every priced pair the engine holds; the
conversion's value at expiry ``F + P - C = K`` whatever the settlement; the market fact that VIX options'
smile slopes upward (Sepp, Risk 2008; Park, FEDS 2015-071: OTM call IV > ATM > OTM put); the attribution's
exact sum on converted layers. Bad input names the key.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql

from alvh.analytics.attribution import attribute
from alvh.config import rules_from_dict
from alvh.engine import run_engine
from alvh.errors import ConfigError
from alvh.market import VixSmile, VXModelParams, vix_option_vol
from alvh.pricing import black76_price
from alvh.simulate import synthetic_paths


def _ql(is_call: bool, k: float, f: float, t: float, vol: float, r: float) -> float:
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if is_call else ql.Option.Put, k)
    return ql.BlackCalculator(payoff, f, vol * math.sqrt(t), math.exp(-r * t)).value()


# ---------------------------------------------------------------- Black-76 puts, calls, spreads vs QuantLib; parity
def test_black76_calls_puts_and_spreads_against_quantlib_and_parity():
    rng = np.random.default_rng(3)
    n = 400
    f = rng.uniform(11, 45, n)
    k1 = np.round(f * rng.uniform(0.6, 1.6, n))
    k2 = k1 + rng.integers(1, 10, n)
    t = rng.uniform(2, 250, n) / 365
    vol = rng.uniform(0.3, 1.8, n)
    r = rng.uniform(0.0, 0.06, n)
    for call in (True, False):
        p1 = black76_price(f, k1, t, vol, r, call)
        p2 = black76_price(f, k2, t, vol, r, call)
        q1 = np.array([_ql(call, *a) for a in zip(k1, f, t, vol, r, strict=True)])
        q2 = np.array([_ql(call, *a) for a in zip(k2, f, t, vol, r, strict=True)])
        np.testing.assert_allclose(p1, q1, rtol=1e-10, atol=1e-12)
        # a vertical spread (long k1, short k2) is the difference of its legs, as QuantLib prices them
        np.testing.assert_allclose(p1 - p2, q1 - q2, rtol=1e-9, atol=1e-11)
    c, p = black76_price(f, k1, t, vol, r, True), black76_price(f, k1, t, vol, r, False)
    np.testing.assert_allclose(c - p, np.exp(-r * t) * (f - k1), rtol=0, atol=1e-11)


# ---------------------------------------------------------------- the smile
def test_vix_smile_slopes_upward_and_vvix_sets_the_30_day_level():
    smile = VixSmile()
    p = VXModelParams.default()
    for vix in (11.0, 16.0, 25.0, 45.0, 80.0):
        for dte in (3.0, 10.0, 30.0, 60.0, 120.0, 240.0):
            for vvix in (np.nan, 85.0, 140.0):
                atm = float(vix_option_vol(dte, vix, p, vvix=vvix))
                fwd = vix * 1.05
                iv = smile.vol(atm, fwd, np.array([0.8, 1.0, 1.25]) * fwd, dte)
                # the market fact (Sepp 2008; Park 2015): OTM call IV > ATM IV > OTM put IV
                assert iv[2] > iv[1] > iv[0], (vix, dte, vvix, iv)
                assert iv[1] == pytest.approx(atm, rel=1e-15)
    # VVIX sets the 30-day at-the-money level when present
    assert float(vix_option_vol(30.0, 18.0, p, vvix=110.0)) == pytest.approx(1.10, rel=1e-12)
    # the documented worked numbers (docs/pricing.md): 1.149 x ATM at K = 1.25 F, 0.881 x at 0.8 F, 30 days
    assert float(smile.multiplier(math.log(1.25), 30.0)) == pytest.approx(1.1488, abs=5e-4)
    assert float(smile.multiplier(math.log(0.8), 30.0)) == pytest.approx(0.8810, abs=5e-4)
    with pytest.raises(ConfigError, match="vix_smile.slope"):
        VixSmile(slope=-0.1)


# ---------------------------------------------------------------- the engine's VIX options
_REB = {"window": 30, "min_nobs": 20, "cooldown_days": 5, "threshold": 0.5}


def _run(layers, rebalance=None, n_paths=2, n_days=200, seed=4, **extra):
    data = {"general": {"rate_source": "constant"}, "layers": layers, "rebalance": {**_REB, **(rebalance or {})}}
    rules = rules_from_dict({**data, **extra})
    mp = synthetic_paths(n_paths, n_days, seed=seed)
    return rules, mp, run_engine(rules, mp)


def test_put_and_spread_trades_are_quantlib_black76_at_the_smile_vol():
    layers = [
        {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30, "instrument": "vix_put_spread"},
        {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180, "instrument": "vix_call_spread"},
    ]
    rules, mp, res = _run(layers)
    tr = res.trades[res.trades["instrument"].isin(["vix_call", "vix_put"]) & (res.trades["reason"] != "expiry")]
    assert {"vix_call", "vix_put"} <= set(tr["instrument"]) and len(tr) > 40
    p = VXModelParams.default()
    r = rules.general.constant_rate
    for row in tr.itertuples():
        d = mp.dates.get_loc(row.date)
        c = list(mp.vx_codes).index(row.contract)
        f = float(mp.vx_price[d, row.path, c])
        dte = (pd.Timestamp(row.expiry) - row.date).days
        vol = float(VixSmile().vol(vix_option_vol(dte, mp.vix_close[d, row.path], p), f, row.strike, dte))
        assert row.price == pytest.approx(_ql(row.instrument == "vix_call", row.strike, f, dte / 365, vol, r), rel=1e-9)
    # the spreads' strikes are ordered: the short leg further out of the money
    opened = tr[tr["reason"].isin(["entry", "roll"]) & (tr["quantity"] != 0)]
    for (date, path, comp), g in opened.groupby(["date", "path", "component"]):
        long_k = g.loc[g["slot"].str.endswith(".contract") & (g["quantity"] > 0), "strike"]
        short_k = g.loc[g["slot"].str.endswith(".short_leg") & (g["quantity"] < 0), "strike"]
        if len(long_k) and len(short_k):
            assert (short_k.iloc[0] > long_k.iloc[0]) == (comp == "long"), (date, path, comp)


@pytest.mark.parametrize(
    ("instrument", "action"), [("vx_future", "conversion"), ("vix_put", "conversion"), ("vix_call", "reversal")]
)
def test_conversion_and_reversal_legs_parity_expiry_value_and_attribution(instrument, action):
    layers = [
        {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30, "instrument": instrument},
        {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180},
    ]
    rules, mp, res = _run(layers, {"action": action, "conversion_fraction": 0.5}, n_days=260)
    tr = res.trades
    legs = [n for n in res.records.slots.names if n.startswith("short.") and n != "short.contract"]
    assert len(legs) == 2
    reb = tr[tr["reason"] == "rebalance"]
    assert set(reb["slot"]) == set(legs) and len(res.rebalance_log) >= 3
    # exact legs: conversion = long future, long put, short call; reversal = short future, short put, long call
    sign = 1 if action == "conversion" else -1
    for _, g in reb.groupby(["date", "path"]):
        kinds = dict(zip(g["instrument"], np.sign(g["quantity"]), strict=True))
        kinds[instrument] = 1  # the layer's own (long) held leg is the third leg
        assert kinds == {"vx_future": sign, "vix_put": sign, "vix_call": -sign}, g
        k = g["strike"].dropna().unique()
        assert len(k) == 1  # one strike and (the layer's contract) one expiry
        assert g["expiry"].nunique() == 1
    # parity on every priced pair: the structure's put and call share strike and expiry, each day both are held
    rec = res.records
    names = list(rec.slots.names)
    r = rules.general.constant_rate
    a, b = (names.index(n) for n in ["short.contract", *legs] if (rec.kind[..., names.index(n)] == 3).any())
    both = (rec.quantity[..., a] != 0) & (rec.quantity[..., b] != 0) & (rec.t_now[..., a] > 0)
    assert both.sum() > 20
    assert (rec.strike[..., a][both] == rec.strike[..., b][both]).all()
    assert (rec.is_call[..., a][both] != rec.is_call[..., b][both]).all()
    a_call = rec.is_call[..., a][both]
    call = np.where(a_call, rec.price_now[..., a][both], rec.price_now[..., b][both])
    put = np.where(a_call, rec.price_now[..., b][both], rec.price_now[..., a][both])
    f, k, t = rec.underlying_now[..., a][both], rec.strike[..., a][both], rec.t_now[..., a][both]
    np.testing.assert_allclose(call - put, np.exp(-r * t) * (f - k), rtol=0, atol=1e-10)
    # value at expiry: the structure (its two new legs and the part of the layer they lock) pays +-K per unit
    exp = tr[(tr["reason"] == "expiry") & tr["slot"].str.startswith("short.")]
    mult = {"vx_future": 1000.0, "vix_call": 100.0, "vix_put": 100.0}
    moneyness = []
    for (date, path), g in exp.groupby(["date", "path"]):
        if set(g["slot"]) != {"short.contract", *legs}:
            continue
        locked = g[g["slot"] != "short.contract"]
        own = g[g["slot"] == "short.contract"].iloc[0]
        opt_leg = locked[locked["instrument"] != "vx_future"].iloc[0]
        units = abs(opt_leg["quantity"]) / 10.0  # futures-equivalents locked (10 options per future)
        k = opt_leg["strike"]
        own_qty = units * (1.0 if own["instrument"] == "vx_future" else 10.0)  # the layer's long leg, locked part
        value = sum(-row.quantity * mult[row.instrument] * row.price for row in locked.itertuples())
        value += own_qty * mult[own["instrument"]] * own["price"]
        assert value == pytest.approx(sign * units * 1000.0 * k, rel=1e-12, abs=1e-6), (date, path)
        settle = g.loc[g["instrument"] == "vx_future", "price"].iloc[0]
        moneyness.append(np.sign(settle - k))
    assert len(moneyness) >= 2
    # the attribution books every leg: terms sum exactly to the engine's P&L of the converted layer
    att = attribute(res.records, capital=rules.general.capital)
    np.testing.assert_allclose(att.pnl.sum(axis=0), att.total, rtol=0, atol=1e-7)
    j = list(att.groups).index("short")
    k_comp = list(res.components).index("short")
    np.testing.assert_allclose(att.total[..., j], res.pnl[..., k_comp], rtol=0, atol=1e-7)
    assert np.abs(att.pnl[:, :, :, j]).sum() > 0


def test_conversion_lowers_the_short_layers_delta():
    # a conversion locks the converted part: the layer's net VX delta (futures-equivalents) falls by the fraction
    layers = [
        {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30},
        {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180},
    ]
    _, _, conv = _run(layers, {"action": "conversion", "conversion_fraction": 1.0}, n_days=160)
    _, _, base = _run(layers, {"enabled": False}, n_days=160)
    k = list(conv.components).index("short")
    # greeks[..., 2] is the layer's effective vega ($ per VIX point), marked at each close before the day's trades:
    # on the day after a full conversion it is almost nothing (1 - exp(-r t) of the future's, plus rounding)
    fired = np.nonzero(conv.rebalance_log["path"].to_numpy() == 0)[0]
    assert len(fired) > 0
    d = conv.dates.get_loc(conv.rebalance_log["date"].iloc[fired[0]]) + 1
    assert abs(base.greeks[d, 0, k, 2]) > 1000.0
    assert abs(conv.greeks[d, 0, k, 2]) < 0.01 * abs(base.greeks[d, 0, k, 2])


# ---------------------------------------------------------------- roll reasons
def test_every_layer_roll_has_its_reason_in_the_trades():
    layers = [
        {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30, "roll": {"rolldown_above": 0.006}},
        {
            "name": "medium",
            "weight": 0.04,
            "min_dte": 30,
            "max_dte": 90,
            "instrument": "vix_put",
            "roll": {"extrinsic_below": 0.6},
        },
        {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180},
    ]
    _, _, res = _run(layers, {"enabled": False}, n_days=240)
    tr = res.trades
    rolls = tr[(tr["reason"] == "roll") & (tr["component"] != "core")]
    assert (rolls["roll_reason"] != "").all()
    assert (tr.loc[tr["reason"] != "roll", "roll_reason"] == "").all()
    got = set(rolls["roll_reason"])
    assert {"dte", "expired", "rolldown", "extrinsic"} <= got, got
    assert set(rolls.loc[rolls["roll_reason"] == "extrinsic", "component"]) == {"medium"}
    assert set(rolls.loc[rolls["roll_reason"] == "rolldown", "component"]) == {"short"}


# ---------------------------------------------------------------- bad input names the key
_L = {"name": "a", "weight": 0.04, "min_dte": 0, "max_dte": 30}


@pytest.mark.parametrize(
    ("data", "key", "fragment"),
    [
        (
            {"layers": [{**_L, "instrument": "vix_call_spread", "short_moneyness": 0.9}]},
            "layers.0.short_moneyness",
            "above",
        ),
        (
            {"layers": [{**_L, "instrument": "vix_put_spread", "short_moneyness": 1.2}]},
            "layers.0.short_moneyness",
            "below",
        ),
        (
            {"layers": [{**_L, "instrument": "vix_put_spread", "put_strike_mode": "delta", "short_delta": 0.4}]},
            "layers.0.short_delta",
            "smaller absolute delta",
        ),
        ({"layers": [{**_L, "instrument": "vix_put", "short_moneyness": 0.8}]}, "layers.0.short_moneyness", "only for"),
        ({"rebalance": {"conversion_fraction": 0.0}}, "rebalance.conversion_fraction", "greater than 0"),
        ({"rebalance": {"conversion_fraction": 1.5}}, "rebalance.conversion_fraction", "less than or equal to 1"),
        ({"layers": [{**_L, "roll": {"rolldown_above": -0.01}}]}, "layers.0.roll.rolldown_above", "greater than 0"),
    ],
)
def test_bad_option_layers_and_fractions_name_the_key(data, key, fragment):
    with pytest.raises(ConfigError) as exc:
        rules_from_dict(data)
    assert exc.value.key == key
    assert fragment in str(exc.value)


def test_conversion_needs_a_layer_it_can_lock():
    base = {
        "layers": [
            {"name": "short", "weight": 0.04, "min_dte": 0, "max_dte": 30, "instrument": "vix_call"},
            {"name": "long", "weight": 0.02, "min_dte": 90, "max_dte": 180},
        ]
    }
    with pytest.raises(ConfigError, match="use 'reversal'") as exc:
        rules_from_dict({**base, "rebalance": {"action": "conversion"}})
    assert exc.value.key == "rebalance.action"
    fut = {"layers": [{**la, "instrument": "vx_future"} for la in base["layers"]]}
    with pytest.raises(ConfigError, match="use 'conversion'") as exc:
        rules_from_dict({**fut, "rebalance": {"action": "reversal"}})
    assert exc.value.key == "rebalance.action"


def test_compiled_vix_option_marks_equal_the_numpy_kernel():
    # the engine's compiled Black-76 marks (price, delta, theta; settlement values at t <= 0; NaN vol -> NaN)
    from alvh.pricing import _numba
    from alvh.strategy import kernels

    if not _numba.AVAILABLE:
        pytest.skip("numba not installed")
    rng = np.random.default_rng(1)
    f = rng.uniform(12, 40, (50, 6))
    k = np.round(f * rng.uniform(0.7, 1.5, (50, 6)))
    k[7, 1] = np.round(f[7, 1])
    t = rng.uniform(0, 0.5, (50, 6))
    t[:5] = 0.0
    vol = rng.uniform(0.3, 1.5, (50, 6))
    vol[3, 2] = np.nan
    calls = np.array([1, 0, 1, 0, 1, 0], dtype=bool)
    out = [np.empty_like(f) for _ in range(3)]
    _numba.black76_pdt(f, k, t, vol, 0.03, calls, *out)
    ref = kernels.black_greeks(f, k, t, vol, 0.03, calls)
    for got, want in zip(out, (ref.price, ref.delta, ref.theta), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13, equal_nan=True)
