"""Rule variants as an array axis (alvh.strategy.axis): a variant's path in a batch equals its run alone exactly."""

from __future__ import annotations

import numpy as np
import pytest

from alvh.config import default_rules, rules_from_dict
from alvh.engine import paths_from_market_data, run_engine
from alvh.errors import ConfigError
from alvh.strategy.axis import RuleAxis, is_axis_key, kind_key

FIELDS = ("nav", "cash", "pnl", "costs", "value", "greeks", "break_evens", "collateral", "rebalance_ratio")


def _variant(base: dict, weights, threshold=1.4, cooldown=21, deltas=None, action="restore_weights", shift=0.25):
    d = {**base, "layers": [{**la, "weight": w} for la, w in zip(base["layers"], weights, strict=True)]}
    d["rebalance"] = {
        **base["rebalance"],
        "threshold": threshold,
        "cooldown_days": cooldown,
        "window": 40,
        "min_nobs": 30,
        "action": action,
        "shift_fraction": shift,
    }
    if deltas is not None:
        d["core"] = {**base["core"], "short_put_delta": deltas[0], "short_call_delta": deltas[1]}
    return rules_from_dict(d)


def _same(alone, batch, p: int) -> None:
    for k in FIELDS:
        a, b = getattr(alone, k)[:, 0], getattr(batch, k)[:, p]
        assert np.array_equal(a, b, equal_nan=True), (p, k, np.nanmax(np.abs(a - b)))
    ta = alone.trades.drop(columns="path").reset_index(drop=True)
    tb = batch.trades[batch.trades["path"] == p].drop(columns="path").reset_index(drop=True)
    assert ta.equals(tb), p
    ra = alone.rebalance_log.drop(columns="path").reset_index(drop=True)
    rb = batch.rebalance_log[batch.rebalance_log["path"] == p].drop(columns="path").reset_index(drop=True)
    assert ra.equals(rb), p
    for k in ("quantity", "price_now", "underlying_rolldown", "vol_now"):
        assert np.array_equal(getattr(alone.records, k)[:, 0], getattr(batch.records, k)[:, p], equal_nan=True), k


@pytest.mark.parametrize("action", ["restore_weights", "shift"])
def test_batch_equals_each_variant_alone(real_market_data, action):
    mp = paths_from_market_data(real_market_data, "2007-06-01", "2009-12-31")
    base = default_rules().model_dump(mode="json")
    variants = [
        _variant(base, (0.04, 0.04, 0.02), action=action),
        _variant(base, (0.05, 0.03, 0.02), threshold=1.1, cooldown=5, action=action, shift=0.5),
        _variant(base, (0.06, 0.04, 0.0), threshold=1.0, action=action),  # the long layer off: never fires
        _variant(base, (0.0, 0.0, 0.0), action=action),  # no hedge at all
        _variant(base, (0.02, 0.06, 0.02), threshold=0.9, cooldown=3, deltas=(0.15, 0.25), action=action),
    ]
    batch = run_engine(variants[0], mp.broadcast_paths(len(variants)), variants=variants)
    fired = []
    for p, v in enumerate(variants):
        alone = run_engine(v, mp)
        _same(alone, batch, p)
        fired.append(len(alone.rebalance_log))
    # the numbers do change the runs (so the equality above is not that of identical runs)
    assert fired[2] == 0 and fired[1] > 0 and len(set(fired)) >= 3
    assert not np.array_equal(batch.nav[:, 0], batch.nav[:, 1])


def test_adaptive_schedule_as_an_axis(real_market_data):
    mp = paths_from_market_data(real_market_data, "2008-01-01", "2009-06-30")
    base = default_rules().model_dump(mode="json")
    out = []
    for lo, w in ((15.0, 0.01), (20.0, 0.02), (25.0, 0.005)):
        d = {**base, "adaptive": {**base["adaptive"], "enabled": True}}
        sched = [dict(s) for s in d["adaptive"]["schedule"]]
        sched[0]["upper"], sched[1]["weight"] = lo, w
        d["adaptive"]["schedule"] = sched
        out.append(rules_from_dict(d))
    batch = run_engine(out[0], mp.broadcast_paths(3), variants=out)
    for p, v in enumerate(out):
        _same(run_engine(v, mp), batch, p)


def test_kind_and_axis_keys():
    r = default_rules()
    d = r.model_dump(mode="json")
    d["layers"][0]["weight"] = 0.05
    d["rebalance"]["threshold"] = 1.7
    assert kind_key(rules_from_dict(d)) == kind_key(r)  # numbers only: one engine call
    d["rebalance"]["window"] = 60
    assert kind_key(rules_from_dict(d)) != kind_key(r)  # the regression's window: grouped
    assert is_axis_key("layers.2.weight") and is_axis_key("adaptive.schedule.1.upper")
    assert not is_axis_key("layers.0.max_dte") and not is_axis_key("rebalance.window")
    with pytest.raises(ConfigError, match="not an array axis"):
        RuleAxis.from_rules([r, rules_from_dict(d)])
