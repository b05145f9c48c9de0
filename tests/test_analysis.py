"""alvh.analytics.analyze / alvh.run: the wiring from a backtest result to what users get.

Oracles that do not go through the analytics code: the hedge cost rebuilt from the engine's own arrays
(minus the layers' P&L net of costs, bp of the initial capital), the diagnostic spot-VIX shortfall
(vega notional x VIX change minus the layer's net P&L), the layers' cash flows summed back to the
engine's net P&L, the engine's own beta ratio, pandas groupby for the regime table.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import alvh
from alvh.analytics import HedgeAnalysis, analyze
from alvh.config import default_rules
from alvh.data import MarketData
from alvh.engine.records import InstrumentKind
from alvh.errors import InputError


@pytest.fixture(scope="module")
def default_md():
    return MarketData.default()


@pytest.fixture(scope="module")
def run_2016(default_md):
    """Default rules on the embedded default data (model VX curve), 2016-01 .. 2017-06."""
    return alvh.run(default_rules(), default_md, "2016-01-01", "2017-06-30")


def _net(res) -> np.ndarray:
    """Each component's daily P&L net of costs with the interest on its cash and its private financing."""
    return res.pnl - res.costs + res.interest + res.hedge_financing


def _independent_total_drag_bp(res, vix: np.ndarray) -> np.ndarray:
    """Daily total drag of all layers (bp of the NAV at the previous close) from the engine's arrays only:
    sum over VX-future layers of q x 1000 x dVIX minus the layer's P&L net of costs (docs/drag.md, total row)."""
    rec = res.records
    layer_cols = [i for i, c in enumerate(rec.slots.component) if c != "core"]
    assert (
        np.asarray(rec.kind)[..., layer_cols][np.asarray(rec.quantity)[..., layer_cols] != 0]
        == InstrumentKind.VX_FUTURE
    ).all()
    notional = (np.asarray(rec.quantity)[:, 0, layer_cols] * np.asarray(rec.slots.multiplier)[layer_cols]).sum(axis=1)
    dvix = np.r_[0.0, np.diff(vix)]
    k = [res.components.index(c) for c in res.components if c != "core"]
    net = _net(res)[:, 0, k].sum(axis=1)
    nav_prev = np.r_[res.capital, res.nav[:-1, 0]]
    return (notional * dvix - net) / nav_prev * 1e4


def test_run_attaches_analysis_and_summary_is_strict_json(run_2016):
    res = run_2016
    a = res.analysis
    assert isinstance(a, HedgeAnalysis)
    s = res.summary_dict()
    text = json.dumps(s, default=str, allow_nan=False)  # the analysis block has no NaN
    an = json.loads(text)["analysis"]
    # answers first: what the hedge cost, what it bought, the seed's claim
    assert list(an)[:3] == ["hedge_cost", "what_it_bought", "seed_claim"]
    for key in (
        "regime_table",
        "against_core",
        "coverage",
        "exposure",
        "rebalance_trigger",
        "steward",
        "notes",
        "diagnostics",
    ):
        assert key in an
    hc = an["hedge_cost"]
    assert set(hc["split_bp_per_month"]) == {"carry", "spot_vix", "curve", "option_vol", "costs", "financing"}
    assert hc["instruments"] == {"short": "futures", "medium": "futures", "long": "futures"}
    assert hc["basis"] == "initial capital (fixed)"
    assert hc["total_bp_per_month"] == pytest.approx(sum(hc["split_bp_per_month"].values()), abs=1e-9)
    assert "DIAGNOSTIC" in an["diagnostics"]["spot_vix_shortfall"]["label"]
    assert an["rebalance_trigger"]["fired"] == len(res.rebalance_log)
    assert set(an["steward"]["regression"]) == {"core", "short", "medium", "long"}
    text = res.summary()
    assert "WHAT THE HEDGE COST" in text and "WHAT IT BOUGHT" in text and "rebalance trigger" in text
    assert text.index("WHAT THE HEDGE COST") < text.index("WHAT IT BOUGHT") < text.index("SEED CLAIM")
    # the default data have no VX settlements: said, and the contango pieces use the model curve traded
    assert an["coverage"]["vx_data"] is False and a.contango is not None
    assert any("no VX settlements" in n and "model" in n for n in a.notes)


def test_default_data_contango_from_the_curve_the_engine_traded(run_2016, default_md):
    """Without settlements the front VX of the contango labels is the engine's own model mark of the
    first contract with >= 1 day to expiry (an independent read of the engine's input arrays)."""
    from alvh.engine.inputs import paths_from_market_data

    res, a = run_2016, run_2016.analysis
    mp = paths_from_market_data(default_md, res.dates[0], res.dates[-1])
    dte = mp.vx_dte()
    price = mp.vx_price[:, 0, :]
    front = np.array([price[i, np.flatnonzero(dte[i] >= 1)[0]] for i in range(len(res.dates))])
    vix = default_md.vix["close"].reindex(res.dates).to_numpy()
    expected = np.select([front > vix, front < vix], ["contango", "backwardation"], "flat")
    got = a.labels["front_state"].to_numpy()
    assert (got == expected).all()
    months = res.dates.to_period("M")
    share = pd.Series(front > vix, index=res.dates).groupby(months).mean()
    np.testing.assert_allclose(
        a.monthly.loc[a.monthly["layer"] == "all", "contango_share"].to_numpy(), share.to_numpy()
    )
    assert 0.5 < share.mean() < 1.0  # 2016-17 sat mostly in contango, with the Brexit/election spikes


def _independent_cost_bp(res) -> np.ndarray:
    """Daily hedge cost of all layers, bp of the initial capital, from the engine's arrays only."""
    k = [res.components.index(c) for c in res.components if c != "core"]
    return -_net(res)[:, 0, k].sum(axis=1) / res.capital * 1e4


def test_hedge_cost_and_diagnostic_match_the_engines_arrays(run_2016, default_md):
    res, a = run_2016, run_2016.analysis
    cost = _independent_cost_bp(res)
    np.testing.assert_allclose(a.cost.cost_bp("total").sum(axis=-1)[:, 0], cost, atol=1e-9)
    n_months = len(res.dates) / 21  # month-equivalents: trading days / 21
    assert a.summary_dict()["hedge_cost"]["total_bp_per_month"] == pytest.approx(cost.sum() / n_months, abs=1e-9)
    allrows = a.monthly[a.monthly["layer"] == "all"]
    assert allrows["total_bp"].sum() == pytest.approx(cost.sum(), abs=1e-8)
    # the old shortfall against spot VIX survives only as a diagnostic
    vix = default_md.vix["close"].reindex(res.dates).to_numpy()
    np.testing.assert_allclose(
        a.drag.drag.part("total").sum(axis=-1)[:, 0], _independent_total_drag_bp(res, vix), atol=1e-7
    )
    assert "correlation_bp" not in a.monthly.columns and "correlation" not in a.monthly.columns


def test_regime_table_vs_groupby(run_2016, default_md):
    res, a = run_2016, run_2016.analysis
    daily = pd.Series(_independent_cost_bp(res), index=res.dates)
    assert a.labels.index.equals(res.dates)
    for regime in ("macd_state", "rsi_band", "event_fomc", "topping"):
        ref = daily.groupby(a.labels[regime]).agg(["mean", "size"])
        months = pd.Series(res.dates.to_period("M"), index=res.dates).groupby(a.labels[regime]).nunique()
        got = a.regime_table.loc[regime]
        np.testing.assert_allclose(got.loc[ref.index, "mean_daily_bp"], ref["mean"], atol=1e-9)
        np.testing.assert_array_equal(got.loc[ref.index, "n_days"], ref["size"])
        np.testing.assert_array_equal(got.loc[ref.index, "n_months"], months.loc[ref.index])
        assert got["n_days"].sum() == len(res.dates)
        ok = got["n_months"] >= 2
        assert (got.loc[ok, "ci95_lo_daily_bp"] <= got.loc[ok, "mean_daily_bp"]).all()
        assert (got.loc[ok, "mean_daily_bp"] <= got.loc[ok, "ci95_hi_daily_bp"]).all()
        # rows with under 12 months or 63 days are marked (an 18-month run has some of each)
        np.testing.assert_array_equal(got["small_sample"], (got["n_months"] < 12) | (got["n_days"] < 63))
    np.testing.assert_allclose(a.regime_table["bp_per_month_equiv"], 21 * a.regime_table["mean_daily_bp"])
    np.testing.assert_allclose(a.regime_table["ci95_hi_month_equiv"], 21 * a.regime_table["ci95_hi_daily_bp"])
    # MACD labels on the run are those of the full SPX history (warm-up taken before the run's start)
    from alvh.analytics.regimes import macd

    full = macd(default_md.spx["close"])["state"].reindex(res.dates)
    assert (a.labels["macd_state"] == full).all() and (full != "n/a").all()


def test_recomputed_beta_ratio_is_the_engines(run_2016):
    res, a = run_2016, run_2016.analysis
    eng = res.rebalance_ratio[:, 0]
    mine = a.betas["ratio_raw"].to_numpy()
    both = np.isfinite(eng) & np.isfinite(mine)
    assert both.sum() > 100
    np.testing.assert_allclose(mine[both], eng[both], rtol=1e-6)
    t = a.trigger
    assert t["share_above"] == pytest.approx(np.mean(mine[np.isfinite(mine)] > 1.4))
    assert t["fired"] == len(res.rebalance_log)
    assert t["fired_share_of_days"] == pytest.approx(t["fired"] / len(res.dates))
    # the raw ratio is above 1.4 most days here: the summary says so in words
    assert t["share_above"] > 0.5 and "holds on most days" in t["sentence"]
    # normalized betas: per dollar of effective vega, so the ratio is of order one, not of the sizes
    assert abs(np.log(t["median_ratio_normalized"])) < abs(np.log(t["median_ratio_raw"]))


def test_layer_cash_flows_add_up_to_net_pnl(run_2016):
    from alvh.analytics.analysis import _cash_flows

    res, a = run_2016, run_2016.analysis
    flows = _cash_flows(res, 0)
    net = res.summary_dict()["component_pnl_net"]
    for c in res.components:
        assert flows[c].sum() == pytest.approx(net[c], abs=1e-6)
    assert list(a.irr.index) == ["short", "medium", "long"]
    paid = flows[["short", "medium", "long"]].clip(upper=0).sum()
    np.testing.assert_allclose(a.irr["paid"].to_numpy(), paid.to_numpy())


def test_break_even_narrows_as_iv_rises(run_2016):
    be = run_2016.analysis.break_even
    assert list(be["iv_shift"]) == [0.0, 0.05, 0.10]
    assert be["mean_narrowing_pct"].iloc[0] == 0.0
    assert be["mean_narrowing_pct"].is_monotonic_increasing and be["mean_narrowing_pct"].iloc[-1] > 5
    assert be["n_zone"].is_monotonic_decreasing and (be["n_zone"] + be["n_no_zone"] == be["n_days"]).all()


# ------------------------------------------------------------------------- bad input (issue 5)
def test_rebalance_layer_that_does_not_exist(run_2016, default_md):
    r = default_rules()
    bad = r.model_copy(update={"rebalance": r.rebalance.model_copy(update={"long_layer": "longest"})})
    with pytest.raises(InputError) as e:
        analyze(run_2016, default_md, bad)
    assert e.value.argument == "rules.rebalance.long_layer" and "longest" in str(e.value)


def test_window_longer_than_the_data(run_2016, default_md):
    r = default_rules()
    n = len(run_2016.dates)
    too_long = r.model_copy(update={"rebalance": r.rebalance.model_copy(update={"min_nobs": n + 1, "window": n + 5})})
    with pytest.raises(InputError) as e:
        analyze(run_2016, default_md, too_long)
    assert e.value.argument == "rules.rebalance.min_nobs"
    # a window longer than the run but min_nobs inside it: explicit NaN period, then expanding betas, and a note
    long_window = r.model_copy(update={"rebalance": r.rebalance.model_copy(update={"window": n + 5, "min_nobs": 60})})
    a = analyze(run_2016, default_md, long_window)
    beta = a.betas["beta_short"].to_numpy()
    assert np.isnan(beta[:60]).all() and np.isfinite(beta[200:]).all()
    assert any("longer than the run" in note for note in a.notes)
    assert any("differ from the run's" in note for note in a.notes)


def test_regressor_with_gaps_raises_naming_it(run_2016, default_md):
    dates = run_2016.dates
    ok = pd.DataFrame({"reer": np.linspace(1.0, 2.0, len(dates))}, index=dates)
    a = analyze(run_2016, default_md, default_rules(), exog=ok)
    assert a.trigger["regressors"] == ["spx_return", "reer"]
    gappy = ok.copy()
    gappy.iloc[100, 0] = np.nan
    with pytest.raises(InputError, match=r"'reer' has no value on " + str(dates[100].date())):
        analyze(run_2016, default_md, default_rules(), exog=gappy)
    with pytest.raises(InputError) as e:
        analyze(run_2016, default_md, default_rules(), exog=["pe_ratio"])
    assert e.value.argument == "exog"


def test_market_not_covering_the_run_and_bad_attach(run_2016, default_md):
    with pytest.raises(InputError) as e:
        analyze(run_2016, default_md.slice("2016-06-01", "2018-01-01"))
    assert e.value.argument == "market"
    with pytest.raises(InputError):
        run_2016.with_analysis(object())
    # a multi-path result cannot be read against one market history
    from dataclasses import replace

    two = replace(run_2016, nav=np.repeat(run_2016.nav, 2, axis=1))
    with pytest.raises(InputError) as e:
        analyze(two, default_md)
    assert e.value.argument == "result"


# ------------------------------------------------------------------------- real data past the VX coverage
def test_run_past_the_vx_data_is_restricted_and_said(real_market_data):
    md = real_market_data.slice("2023-06-01", "2025-12-31")
    res = alvh.run(default_rules(), md, "2025-01-02", "2025-12-31")
    a = res.analysis
    last_vx = pd.Timestamp("2025-06-18")
    cov = a.coverage
    assert cov["last_covered"] == "2025-06-18" and cov["uncovered_days"] == int((res.dates > last_vx).sum()) > 100
    assert any("cover" in n and "2025-06-18" in n for n in a.notes)
    after = a.labels.index > last_vx
    assert (a.labels.loc[after, "front_state"] == "n/a").all()
    assert (a.labels.loc[~after, "front_state"] != "n/a").all()
    # contango-heavy months only from covered days; months after June 2025 have no contango share
    m = a.monthly[a.monthly["layer"] == "all"].set_index("month")
    assert m.loc["2025-07":, "contango_share"].isna().all() and m.loc[:"2025-05", "contango_share"].notna().all()
    dist = a.contango.loc[("all_months", "all", "total")]
    assert dist["n_months"] == 5  # Jan-May 2025; June has 12 covered days (< 15)
    json.dumps(res.summary_dict()["analysis"], allow_nan=False)


def test_daily_decomposition_table(run_2016, default_md):
    res, a = run_2016, run_2016.analysis
    table = a.daily_hedge_cost()
    np.testing.assert_allclose(table["hedge_cost_all_total_bp"], _independent_cost_bp(res), atol=1e-9)
    terms = ["carry", "spot_vix", "curve", "option_vol", "costs", "financing"]
    for layer in ("short", "medium", "long", "all"):
        np.testing.assert_allclose(
            table[[f"hedge_cost_{layer}_{t}_bp" for t in terms]].sum(axis=1),
            table[f"hedge_cost_{layer}_total_bp"],
            atol=1e-9,
        )
    months = table.groupby(table.index.to_period("M"))["hedge_cost_short_total_bp"].sum()
    got = a.monthly[a.monthly["layer"] == "short"]["total_bp"].to_numpy()
    np.testing.assert_allclose(got, months.to_numpy(), atol=1e-9)
    # the diagnostic's daily table is still there, labelled, and adds up
    diag = a.daily_spot_vix_shortfall()
    vix = default_md.vix["close"].reindex(res.dates).to_numpy()
    np.testing.assert_allclose(diag["all_total"], _independent_total_drag_bp(res, vix), atol=1e-7)


def test_vix_call_layers_are_labelled_and_analysed(default_md):
    r = default_rules()
    calls = r.model_copy(update={"layers": [la.model_copy(update={"instrument": "vix_call"}) for la in r.layers]})
    res = alvh.run(calls, default_md, "2016-01-01", "2016-12-30")
    s = json.loads(json.dumps(res.summary_dict()["analysis"], allow_nan=False))
    assert s["hedge_cost"]["instruments"] == {"short": "calls", "medium": "calls", "long": "calls"}
    # calls have theta in carry and their own implied-vol move in option_vol
    assert s["hedge_cost"]["split_bp_per_month"]["option_vol"] != 0
    assert set(s["exposure"]) == {"short", "medium", "long"}
    assert all(v["instrument"] == "calls" for v in s["exposure"].values())
    text = res.analysis.summary()
    assert "(calls;" in text
    # the layers' drag is their counterfactual minus their net P&L, whatever the instrument
    a = res.analysis
    k = [res.components.index(c) for c in ("short", "medium", "long")]
    net = _net(res)[:, 0, k].sum(axis=1)
    cf = a.drag.drag.counterfactual[:, 0].sum(axis=1)
    nav_prev = np.r_[res.capital, res.nav[:-1, 0]]
    np.testing.assert_allclose(a.daily_spot_vix_shortfall()["all_total"], (cf - net) / nav_prev * 1e4, atol=1e-7)
    np.testing.assert_allclose(a.daily_hedge_cost()["hedge_cost_all_total_bp"], -net / res.capital * 1e4, atol=1e-9)


@pytest.mark.parametrize("variant", ["no_core", "no_layers", "financing", "constant_maturity"])
def test_rule_variants_analyse_without_silent_gaps(default_md, variant):
    r = default_rules()
    rules = {
        "no_core": r.model_copy(update={"core": r.core.model_copy(update={"enabled": False})}),
        "no_layers": r.model_copy(
            update={"layers": [], "rebalance": r.rebalance.model_copy(update={"enabled": False})}
        ),
        "financing": r.model_copy(
            update={"financing": r.financing.model_copy(update={"enabled": True, "fraction": 0.5})}
        ),
        "constant_maturity": r.model_copy(
            update={"constant_maturity": r.constant_maturity.model_copy(update={"enabled": True})}
        ),
    }[variant]
    res = alvh.run(rules, default_md, "2016-01-01", "2016-12-30")
    a = res.analysis
    json.dumps(res.summary_dict()["analysis"], allow_nan=False)
    if variant == "no_core":
        assert a.break_even is None and "core" not in a.regression.index
        assert any("core" in n for n in a.notes)
    elif variant == "no_layers":
        assert a.drag.drag.layers == () and len(a.exposure) == 0 and a.cost is None
        sd = a.summary_dict()
        assert sd["hedge_cost"]["statement"].startswith("there is no hedge to cost")
        assert sd["what_it_bought"].startswith("n/a") and sd["seed_claim"].startswith("n/a")
        assert "there is no hedge to cost" in res.summary() and len(a.regime_table) == 0
        assert "not reported" in a.trigger["sentence"] and any("no beta ratio" in n for n in a.notes)
    elif variant == "financing":
        assert res.financing.sum() < 0
        # financing is its own group: not a layer, not in the layers' drag
        assert "financing" not in a.drag.drag.layers and "financing" in a.drag.attribution.groups
    else:
        assert "cm" in a.drag.drag.layers and "cm" in a.summary_dict()["hedge_cost"]["per_layer_bp_per_month"]
