"""sizing.basis = "core_vega": layers sized to a fraction of the core's vega, split 4/4/2 (issue 8, item 1).

Every check recomputes the rule from the result's records (the core legs held over the next day: strike,
spot, vol, time, rate and dividend at the sizing close), a Black-Scholes vega written here (closed form, numpy),
and the paths' own dF/dVIX input; the engine's sizing code is not called.
"""

from __future__ import annotations

import numpy as np
import pytest

from alvh.config import config_hash, default_rules, rules_from_dict
from alvh.engine import run_engine
from alvh.errors import ConfigError
from alvh.market.vx_sensitivity import ExpandingDfdvix
from alvh.simulate import synthetic_paths


def _bs_vega(s, k, t, vol, r, q):  # dollars per unit per vol point (1% = 0.01)
    d1 = (np.log(s / k) + (r - q + 0.5 * vol**2) * t) / (vol * np.sqrt(t))
    return s * np.exp(-q * t) * np.exp(-0.5 * d1**2) / np.sqrt(2 * np.pi) * np.sqrt(t) / 100.0


def _dfdvix(mp, d, dte):
    sens = mp.sensitivity
    if isinstance(sens, ExpandingDfdvix):
        return float(sens.at_close(np.array([d]), np.array([float(dte)]))[0])
    return float(np.asarray(sens(np.array([float(dte)])))[0])


def _checks(res, mp, rules):
    """(expected contracts, held contracts) of every layer sizing trade on a day the core is held after it."""
    rec = res.records
    w = np.array([la.weight for la in rules.layers])
    share = w / w.sum()
    frac = rules.sizing.core_vega_fraction
    tr = res.trades
    out = []
    kept = {}
    for p in range(res.n_paths):
        last_vega = 0.0
        for d in range(len(res.dates) - 1):
            q_core = rec.quantity[d + 1, p, :4]
            live = (q_core != 0) & (rec.t_prev[d + 1, p, :4] > 0)
            if live.any():
                v = _bs_vega(
                    rec.underlying_prev[d + 1, p, :4],
                    rec.strike[d + 1, p, :4],
                    rec.t_prev[d + 1, p, :4],
                    rec.vol_prev[d + 1, p, :4],
                    np.broadcast_to(rec.rate_prev, rec.quantity.shape)[d + 1, p, :4],
                    np.broadcast_to(rec.div_prev, rec.quantity.shape)[d + 1, p, :4],
                )
                last_vega = float(abs(np.where(live, q_core * 100.0 * v, 0.0).sum()))
            day = tr[(tr["path"] == p) & (tr["date"] == res.dates[d])]
            for j, la in enumerate(rules.layers):
                s = 4 + j
                rows = day[(day["component"] == la.name) & (day["quantity"] != 0)]
                if rows.empty or rows["reason"].isin(["expiry"]).all():
                    continue
                held = rec.quantity[d + 1, p, s]
                if held == 0:
                    continue
                dte = int(round(rec.t_prev[d + 1, p, s] * 365.0))
                unit = 1000.0 * _dfdvix(mp, d, dte)
                x = frac * last_vega * share[j] / unit
                out.append((x, held, live.any()))
                kept[live.any()] = kept.get(live.any(), 0) + 1
    return out, kept


def _run(n_paths, n_days, seed, extra):
    rules = rules_from_dict({"sizing": {"basis": "core_vega", **extra.pop("sizing", {})}, **extra})
    mp = synthetic_paths(n_paths, n_days, seed=seed)
    return rules, mp, run_engine(rules, mp)


@pytest.mark.parametrize("frac", [1.0, 0.5])
def test_fractional_sizes_equal_the_rule_on_synthetic_paths(frac):
    rules, mp, res = _run(2, 160, 5, {"sizing": {"core_vega_fraction": frac}, "general": {"contracts": "fractional"}})
    checks, kept = _checks(res, mp, rules)
    assert len(checks) >= 10 and kept.get(True, 0) >= 10
    x = np.array([c[0] for c in checks])
    held = np.array([c[1] for c in checks])
    np.testing.assert_allclose(held, x, rtol=1e-9)
    # the realized hedge ratio after each sizing: layers' effective vega / |core vega| = fraction, split 4/4/2
    assert (held > 0).all()


def test_nearest_contracts_round_the_rule_and_resize_on_each_new_condor():
    rules, mp, res = _run(2, 200, 9, {})
    checks, _ = _checks(res, mp, rules)
    x = np.array([c[0] for c in checks])
    held = np.array([c[1] for c in checks])
    clear = np.abs((x % 1.0) - 0.5) > 1e-6
    assert clear.sum() >= 10
    np.testing.assert_array_equal(held[clear], np.floor(x[clear] + 0.5))
    # held layers were resized on days the core opened a condor (reason "resize")
    assert (res.trades["reason"] == "resize").any()


def test_layers_are_kept_while_no_condor_is_held():
    # take profit at 50%: the core is flat for days; layers stay held (not closed) until the next condor
    rules, mp, res = _run(2, 200, 3, {"core": {"exits": {"take_profit": 0.3}}})
    q = res.records.quantity
    core_flat = q[1:, :, 1] == 0
    layers_on = (q[1:, :, 4:] != 0).all(axis=2)
    after_first = np.maximum.accumulate(q[1:, :, 1] != 0, axis=0)
    assert (core_flat & after_first).sum() > 0
    assert layers_on[core_flat & after_first].all()


def test_sizes_while_flat_use_the_last_core_vega():
    rules, mp, res = _run(2, 200, 3, {"core": {"exits": {"take_profit": 0.3}}, "general": {"contracts": "fractional"}})
    checks, kept = _checks(res, mp, rules)
    assert kept.get(False, 0) >= 1  # sizing trades on days no condor was held after the core stage
    np.testing.assert_allclose([c[1] for c in checks], [c[0] for c in checks], rtol=1e-9)


def test_default_sizing_is_capital_and_keeps_the_config_hash():
    r = default_rules()
    assert r.sizing.basis == "capital" and r.sizing.core_vega_fraction == 1.0
    explicit = rules_from_dict({"sizing": {"basis": "capital", "core_vega_fraction": 1.0}})
    assert config_hash(explicit) == config_hash(r)
    other = rules_from_dict({"sizing": {"basis": "core_vega"}})
    assert config_hash(other) != config_hash(r)


@pytest.mark.parametrize(
    ("data", "key", "text"),
    [
        ({"sizing": {"core_vega_fraction": 0.0}}, "sizing.core_vega_fraction", "> 0"),
        ({"sizing": {"core_vega_fraction": -1.0}}, "sizing.core_vega_fraction", "> 0"),
        ({"sizing": {"core_vega_fraction": "1"}}, "sizing.core_vega_fraction", "without quotes"),
        ({"sizing": {"basis": "vega"}}, "sizing.basis", "core_vega"),
        ({"sizing": {"fraction": 1.0}}, "sizing.fraction", "core_vega_fraction"),
        ({"sizing": {"basis": "core_vega"}, "core": {"enabled": False}}, "sizing.basis", "needs the core"),
    ],
)
def test_bad_sizing_keys_are_named(data, key, text):
    with pytest.raises(ConfigError) as e:
        rules_from_dict(data)
    msg = str(e.value)
    assert key in msg and text in msg


def test_real_data_span_sizes_equal_the_rule(real_market_data):
    from alvh.engine.inputs import paths_from_market_data

    rules = rules_from_dict({"sizing": {"basis": "core_vega"}, "general": {"contracts": "fractional"}})
    mp = paths_from_market_data(real_market_data, "2019-01-02", "2019-12-31")
    assert isinstance(mp.sensitivity, ExpandingDfdvix)  # dF/dVIX known at each close (no look-ahead)
    res = run_engine(rules, mp)
    checks, kept = _checks(res, mp, rules)
    assert kept.get(True, 0) >= 10
    x = np.array([c[0] for c in checks])
    held = np.array([c[1] for c in checks])
    np.testing.assert_allclose(held, x, rtol=1e-9)
