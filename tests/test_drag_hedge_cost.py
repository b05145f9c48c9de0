"""Hedge cost (docs/drag.md): checked against what the analytics did not write.

* the ledger: minus each layer's P&L rebuilt from trades.csv (signed cash flows and costs) and the
  final marks equals the hedge cost, to 1e-9 bp;
* the decomposition sums to the total on every day, path and layer (1e-9 bp) on the 2006-2025 real
  run and on 1,000 synthetic paths (alvh.simulate.synthetic_paths);
* the expanding dF/dVIX equals alvh.market.vx.estimate_effective_vega refit on the panel cut at d-1;
* the bootstrap intervals against hand cases; bad input raises, naming the argument.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.analytics import hedge_cost as H
from alvh.analytics.attribution import attribute, slot_groups
from alvh.analytics.exposure import effective_vega
from alvh.analytics.sensitivity import MIN_OBS, expanding_dfdvix, records_sensitivity
from alvh.errors import InputError

TOL_BP = 1e-9


def _group_costs(res, groups):
    index = {c: k for k, c in enumerate(res.components)}
    return np.stack([-res.costs[..., index[g]] for g in groups], axis=-1)


def _hedge_cost_of(res, vix, sens=None, basis="initial"):
    groups, _ = slot_groups(res.records)
    att = attribute(
        res.records,
        capital=res.capital,
        cost_pnl=_group_costs(res, groups),
        financing_pnl=res.financing,
        interest_pnl=np.stack([res.interest[..., res.components.index(g)] for g in groups], axis=-1),
        trust_marks=True,
    )
    ev = effective_vega(res.records, sens if sens is not None else records_sensitivity(res.records))
    nav_prev = np.concatenate([np.full((1, res.nav.shape[1]), res.capital), res.nav[:-1]], axis=0)
    return H.hedge_cost(
        att, ev.per_group, dates=res.dates, vix=vix, capital=float(res.capital), basis=basis, nav_prev=nav_prev
    )


@pytest.fixture(scope="module")
def real_run(real_market_data):
    from alvh.config import default_rules
    from alvh.engine import run_backtest

    md = real_market_data.slice("2004-03-26", "2025-06-18")
    res = run_backtest(default_rules(), md, "2006-01-03", "2025-06-18")
    rows = md.dates.get_indexer(res.dates)
    est = expanding_dfdvix(md.vx.settle, md.vx.dte, md.vix["close"].to_numpy(float), md.dates)
    vix = md.vix["close"].to_numpy(float)[rows]
    hc = _hedge_cost_of(res, vix, records_sensitivity(res.records, estimate=est, rows=rows))
    return md, res, est, rows, hc


@pytest.mark.slow
def test_hedge_cost_reconciles_to_trades_and_marks(real_run):
    _, res, _, _, hc = real_run
    mult = dict(zip(res.records.slots.names, np.asarray(res.records.slots.multiplier, float), strict=True))
    t = res.trades
    for j, layer in enumerate(hc.layers):
        k = res.components.index(layer)
        tt = t[(t["component"] == layer) & (t["path"] == 0)]
        # trader's cash: pay q * price * multiplier to buy, plus costs; the position's final mark is held;
        # and the interest on the layer's cash (its cash needs cost the core's collateral that interest)
        flows = -(tt["quantity"] * tt["price"] * tt["slot"].map(mult)).sum() - tt["cost"].sum()
        ledger_pnl = flows + res.value[-1, 0, k] + res.interest[:, 0, k].sum()
        assert res.interest[:, 0, k].sum() < 0  # futures layers losing variation margin on average
        got_bp = hc.cost_bp("total")[:, 0, j].sum()
        assert got_bp == pytest.approx(-ledger_pnl / res.capital * 1e4, abs=TOL_BP)
    # the headline per month is that total over the run's month-equivalents (trading days / 21)
    s = H.hedge_cost_summary(hc)
    assert s["total_bp_per_month"] == pytest.approx(hc.cost_bp("total").sum() / (len(hc.dates) / 21), abs=TOL_BP)
    assert s["basis"] == "initial capital (fixed)"


@pytest.mark.slow
def test_decomposition_is_exact_every_day_on_real_data(real_run):
    _, res, _, _, hc = real_run
    terms = np.stack([hc.cost_bp(t) for t in H.TERMS]).sum(axis=0)
    assert np.max(np.abs(terms - hc.cost_bp("total"))) <= TOL_BP
    assert hc.decomposition_error_bp() <= TOL_BP
    # VX futures: carry is the roll-down along yesterday's curve (the attribution's carry), the calls'
    # own-vol term is zero, and spot_vix is E x dVIX with E from the no-look-ahead estimate
    assert np.all(hc.pnl_usd[H.TERMS.index("option_vol")] == 0)
    np.testing.assert_allclose(
        hc.pnl_usd[H.TERMS.index("spot_vix")], hc.effective_vega * hc.dvix[..., None], rtol=0, atol=1e-9
    )
    # NAV basis: the same dollars, each day over the NAV at the previous close
    nav_hc = _hedge_cost_of(res, np.r_[0.0, np.cumsum(hc.dvix[1:, 0])], basis="nav")
    nav_prev = np.r_[res.capital, res.nav[:-1, 0]]
    np.testing.assert_allclose(
        nav_hc.cost_bp("total")[:, 0].sum(axis=-1), -nav_hc.total_usd[:, 0].sum(axis=-1) / nav_prev * 1e4, atol=TOL_BP
    )
    assert nav_hc.basis_label == "NAV at the previous close (moving)"


@pytest.mark.slow
def test_decomposition_is_exact_on_1000_synthetic_paths():
    from alvh.config import default_rules
    from alvh.engine import run_engine
    from alvh.simulate import synthetic_paths

    mp = synthetic_paths(1000, 90, seed=2026)
    res = run_engine(default_rules(), mp)
    hc = _hedge_cost_of(res, mp.vix_close, records_sensitivity(res.records, model=mp.sensitivity))
    assert hc.n_paths == 1000
    assert hc.decomposition_error_bp() <= TOL_BP
    k = [res.components.index(c) for c in hc.layers]
    np.testing.assert_allclose(hc.total_usd, res.pnl[..., k] - res.costs[..., k] + res.interest[..., k], atol=1e-6)
    # what the hedge buys runs on every path (means over paths), and the daily frame of any path adds up
    b = H.what_it_buys(hc)
    assert b["n_paths"] == 1000 and np.isfinite(b["core_plus_layers"]["max_drawdown_pct"])
    f = hc.to_frame(path=999)
    np.testing.assert_allclose(
        f[[f"hedge_cost_all_{t}_bp" for t in H.TERMS]].sum(axis=1), f["hedge_cost_all_total_bp"], atol=TOL_BP
    )


@pytest.mark.slow
def test_expanding_dfdvix_equals_a_refit_on_the_past_only(real_run):
    from alvh.market.vx import estimate_effective_vega

    md, _, est, rows, _ = real_run
    vix = md.vix["close"].to_numpy(float)
    for d in (int(rows[0]), int(rows[len(rows) // 2]), int(rows[-1])):
        # pairs that ended on or before d-1: the panel cut at d-1
        sub = md.slice(md.dates[0], md.dates[d - 1])
        ref = estimate_effective_vega(sub.vx, vix[:d])
        np.testing.assert_array_equal(est.n_obs[d], ref["n_obs"].to_numpy())
        ok = ref["n_obs"].to_numpy() >= MIN_OBS
        np.testing.assert_allclose(est.beta[d][ok], ref["beta"].to_numpy()[ok], rtol=1e-9)
        assert np.isnan(est.beta[d][~ok]).all()
    # the day-d estimate does not move when the future (d onward) is changed
    settle = md.vx.settle.copy()
    settle[int(rows[100]) :] *= 3.0
    other = expanding_dfdvix(settle, md.vx.dte, vix, md.dates)
    np.testing.assert_array_equal(other.beta[: int(rows[100]) + 1], est.beta[: int(rows[100]) + 1])


def test_bootstrap_intervals_hand_cases():
    # a constant series: every resample has the same mean
    m, lo, hi = H.block_bootstrap_mean(np.full(24, 5.0))
    assert (m, lo, hi) == (5.0, 5.0, 5.0)
    # fewer than two blocks: no interval
    assert np.isnan(H.block_bootstrap_mean(np.arange(5.0))[1])
    # deterministic (fixed seed), and the interval of an i.i.d. normal series' mean is about +-1.96 sd/sqrt(n)
    x = np.random.Generator(np.random.PCG64(1)).normal(0.0, 10.0, 400)
    a, b = H.block_bootstrap_mean(x, block=1), H.block_bootstrap_mean(x, block=1)
    assert a == b
    assert (a[2] - a[1]) / 2 == pytest.approx(1.96 * x.std(ddof=1) / 20.0, rel=0.12)
    # clusters: the mean over days, an interval from resampled months
    v = np.r_[np.full(10, 1.0), np.full(10, 3.0)]
    m, lo, hi = H.cluster_bootstrap_mean(v, np.repeat(["a", "b"], 10))
    assert m == 2.0 and 1.0 <= lo <= hi <= 3.0
    assert np.isnan(H.cluster_bootstrap_mean(v, np.repeat("a", 20))[1])


def _flat_hedge_cost(dates: pd.DatetimeIndex, daily_cost_bp: float) -> H.HedgeCost:
    """One path, one layer losing ``daily_cost_bp`` of $10M every day (all of it carry), no core."""
    n = len(dates)
    cap = 1e7
    total = np.full((n, 1, 1), -daily_cost_bp * 1e-4 * cap)
    pnl = np.zeros((len(H.TERMS), n, 1, 1))
    pnl[0] = total
    z = np.zeros((n, 1))
    return H.HedgeCost(
        layers=("short",),
        instruments={"short": "futures"},
        dates=dates,
        basis="initial",
        basis_usd=np.full((n, 1), cap),
        initial_capital=cap,
        pnl_usd=pnl,
        total_usd=total,
        effective_vega=np.zeros((n, 1, 1)),
        dvix=z,
        core_vega=z,
        core_vol_pnl=z,
        core_total_usd=z,
        other_usd=z,
    )


def test_per_month_cost_is_per_21_trading_days_not_per_calendar_month_touched():
    # alvh simulate --days 252 from 2025-01-02 ends on 2026-01-05: 13 calendar months (January 2026 holds 2
    # days); a per-month cost over 13 months understated it by 12/13. 252 days are 12 month-equivalents
    from alvh.analytics.by_path import protection_by_path
    from alvh.analytics.paths_summary import month_equivalents
    from alvh.calendar import trading_days

    dates = trading_days("2025-01-02", "2026-01-05")
    assert len(dates) == 252 and dates.to_period("M").nunique() == 13
    hc = _flat_hedge_cost(dates, 1.0)  # 1 bp a day: 21 bp a month of 21 trading days
    s = H.hedge_cost_summary(hc)
    assert s["total_bp_per_month"] == pytest.approx(21.0, abs=1e-9)  # was 252 / 13 = 19.38
    assert s["month_equivalents"] == 12.0 and s["n_months"] == 13
    assert H.what_it_buys(hc)["hedge_cost_bp_per_month"] == pytest.approx(21.0, abs=1e-9)
    assert protection_by_path(hc)["hedge_cost_bp_per_month"][0] == pytest.approx(21.0, abs=1e-9)
    assert month_equivalents(252) == 12.0 and H.month_equivalents(21) == 1.0


def test_regime_table_hand_case_and_no_nan():
    dates = pd.bdate_range("2020-01-01", periods=300)
    x = pd.Series(np.where(np.arange(300) % 2 == 0, 1.0, 3.0), index=dates)
    lab = pd.DataFrame({"r": np.where(np.arange(300) < 290, "a", None)}, index=dates)
    t = H.regime_cost_table(x, lab)
    assert set(t.loc["r"].index) == {"a", "n/a"}
    a = t.loc[("r", "a")]
    assert a["n_days"] == 290 and a["mean_daily_bp"] == pytest.approx(2.0) and not a["small_sample"]
    assert a["bp_per_month_equiv"] == pytest.approx(42.0)
    na = t.loc[("r", "n/a")]
    assert na["n_days"] == 10 and na["small_sample"]
    # an empty regime table is a table with no rows, never NaN rows
    assert len(H.regime_cost_table(x.iloc[:0], lab.iloc[:0])) == 0


def test_bad_inputs_name_the_argument():
    from alvh.config import default_rules
    from alvh.engine import run_engine
    from alvh.simulate import synthetic_paths

    mp = synthetic_paths(2, 70, seed=3)
    res = run_engine(default_rules(), mp)
    for cap in (0.0, -1.0, float("nan")):
        with pytest.raises(InputError) as e:
            _hedge_cost_of(res.__class__(**{**res.__dict__, "capital": cap}), mp.vix_close)
        assert e.value.argument == "capital"
    with pytest.raises(InputError) as e:
        _hedge_cost_of(res, mp.vix_close, basis="median")
    assert e.value.argument == "basis"
    # a NAV basis with a non-positive NAV
    bad = res.__class__(**{**res.__dict__, "nav": np.where(np.arange(70)[:, None] == 10, 0.0, res.nav)})
    with pytest.raises(InputError) as e:
        _hedge_cost_of(bad, mp.vix_close, basis="nav")
    assert e.value.argument == "nav_prev"
    # a run without layers: there is no hedge to cost
    r = default_rules()
    core_only = run_engine(
        r.model_copy(update={"layers": [], "rebalance": r.rebalance.model_copy(update={"enabled": False})}), mp
    )
    with pytest.raises(InputError, match="there is no hedge to cost"):
        _hedge_cost_of(core_only, mp.vix_close)
    with pytest.raises(InputError) as e:
        expanding_dfdvix(
            np.zeros((3, 2)), np.zeros((3, 2)), np.array([1.0, np.nan, 2.0]), pd.bdate_range("2020-01-01", periods=3)
        )
    assert e.value.argument == "vix"
