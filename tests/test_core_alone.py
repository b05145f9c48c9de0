"""The standalone core: the core alone run as its own book in the same engine call (one more path slot per
path, every layer at weight 0), the book "what the hedge bought" compares core + layers with (docs/drag.md).

Checked: the run's own paths are bit-identical to a run without it; the standalone slot is bit-identical to
a separate backtest of the same rules with every layer at weight 0; the figures in summary.json come from
it (recomputed here from its NAV with plain numpy); the Monte Carlo's per-path core columns too; refusals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alvh.config import default_rules, rules_from_dict
from alvh.engine import paths_from_market_data, run_engine
from alvh.engine.simulate import SEQUENTIAL_SUM_SLOTS
from alvh.errors import ConfigError
from alvh.montecarlo import PathModel, simulate
from alvh.montecarlo.streams import chunk_paths
from alvh.strategy.axis import core_alone_rules

ARRAYS = ("nav", "cash", "financing", "collateral", "value", "pnl", "costs", "greeks", "break_evens", "interest")


def _variant(**over) -> object:
    dump = default_rules().model_dump(mode="json")
    for section, values in over.items():
        dump[section].update(values)
    return rules_from_dict(dump)


def _check(rules, paths, backend: str) -> None:
    plain = run_engine(rules, paths, backend=backend)
    both = run_engine(rules, paths, backend=backend, core_alone=True)
    alone = run_engine(core_alone_rules(rules), paths, backend=backend)
    # the run's own paths: exactly the run without the standalone core
    for name in ARRAYS:
        assert np.array_equal(getattr(plain, name), getattr(both, name), equal_nan=True), name
    pd.testing.assert_frame_equal(plain.trades, both.trades, check_exact=True)
    pd.testing.assert_frame_equal(plain.rebalance_log, both.rebalance_log, check_exact=True)
    pd.testing.assert_frame_equal(plain.event_log, both.event_log, check_exact=True)
    assert plain.events == both.events
    assert plain.metadata["n_paths"] == both.metadata["n_paths"] == paths.n_paths
    for f in ("quantity", "price_now", "underlying_now"):
        assert np.array_equal(getattr(plain.records, f), getattr(both.records, f), equal_nan=True), f
    assert plain.core_alone_nav is None
    # the standalone slot: exactly a separate backtest of the rules with every layer at weight 0
    assert both.core_alone_nav is not None and np.array_equal(both.core_alone_nav, alone.nav)
    assert set(alone.trades["component"]) <= {"core"}  # it never holds a layer
    assert not np.array_equal(both.core_alone_nav, both.nav)  # and it is another book


def test_standalone_core_on_real_data(real_market_data):
    paths = paths_from_market_data(real_market_data, "2008-01-02", "2009-12-31")  # rebalance fires in 2008
    _check(default_rules(), paths, "auto")


@pytest.mark.parametrize(
    "over",
    [
        {},
        {"sizing": {"basis": "core_vega"}},  # a 0 / 0 share of the core's vega must size to 0, not NaN
        {"adaptive": {"enabled": True}},
        {"general": {"sizing_capital": "initial", "contracts": "fractional"}},
        {"core": {"entry": "target_dte", "exits": {"take_profit": 0.5, "stop_loss": 1.5, "close_at_dte": 5}}},
        {"financing": {"enabled": True, "mode": "hedge_cash"}},
        {"financing": {"enabled": True, "mode": "borrow", "fraction": 0.2}, "general": {"interest_on_cash": False}},
    ],
    ids=["default", "core_vega_sizing", "adaptive", "initial_fractional", "exits", "hedge_cash", "borrow_no_interest"],
)
@pytest.mark.parametrize("n_paths", [6, 1])  # a core-only pass of its own; one more path slot of the same call
def test_standalone_core_on_simulated_paths(over, n_paths):
    paths = chunk_paths(PathModel(), 5, 0, n_paths, 90)
    _check(_variant(**over), paths, "numba")


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_standalone_core_with_option_spread_layers(backend):
    """Layers of two slots each (VIX call and put spreads: 4 + 6 slots, so the NAV's sum over slots is
    longer than numpy's 8-wide pairwise block): the core-only pass still adds up to the same bits."""
    dump = default_rules().model_dump(mode="json")
    for la, inst in zip(dump["layers"], ("vix_call_spread", "vix_put_spread", "vix_call_spread"), strict=True):
        la["instrument"] = inst
        la["short_moneyness"] = 1.3 if inst == "vix_call_spread" else 0.8
    rules = rules_from_dict(dump)
    paths = chunk_paths(PathModel(), 11, 0, 5, 80)
    plain = run_engine(rules, paths, backend=backend)
    assert plain.records.quantity.shape[2] == 10 > SEQUENTIAL_SUM_SLOTS  # the pass keeps the layers at weight 0
    assert (plain.trades["component"] != "core").any()
    _check(rules, paths, backend)


def test_core_only_pass_is_the_core_alone_rules():
    """The pass behind core_alone=True on several paths: the rules without layers, no records, no events,
    and each path's NAV that of the core-alone rules (layers at weight 0) path by path, whatever the chunk."""
    from alvh.engine.prepare import prepare
    from alvh.engine.simulate import core_alone_nav, core_only_rules
    from alvh.strategy.costs import CostModel

    rules = default_rules()
    assert core_only_rules(rules).layers == [] and rules.layers  # a copy: the rules keep their layers
    paths = chunk_paths(PathModel(), 8, 0, 7, 70)
    assert prepare(core_only_rules(rules), paths, nav_only=True).own_paths == 0
    nav = core_alone_nav(rules, paths, CostModel(rules.costs), backend="numba")
    want = run_engine(core_alone_rules(rules), paths, backend="numba").nav
    assert nav.shape == (70, 7) and np.array_equal(nav, want)
    part = core_alone_nav(rules, paths.take_paths(slice(2, 5)), CostModel(rules.costs), backend="numba")
    assert np.array_equal(part, want[:, 2:5])


@pytest.mark.parametrize("n_slots", range(4, SEQUENTIAL_SUM_SLOTS + 1))
def test_numpy_adds_short_rows_left_to_right(n_slots):
    """What the core-only pass relies on (SEQUENTIAL_SUM_SLOTS): numpy sums a row of at most 7 numbers left
    to right, so four legs followed by slots at 0.0 add up as the four legs alone, whatever the paths."""
    rng = np.random.default_rng(n_slots)
    for n_paths in (1, 3, 1000):
        x = np.zeros((n_paths, n_slots))
        x[:, :4] = rng.standard_normal((n_paths, 4)) * 10.0 ** rng.integers(0, 8, (n_paths, 4))
        left = ((x[:, 0] + x[:, 1]) + x[:, 2]) + x[:, 3]
        assert np.array_equal(x.sum(axis=1), left)
        assert np.array_equal(np.ascontiguousarray(x[:, :4]).sum(axis=1), left)
    # one slot more and numpy adds pairwise: (a + b) + (c + d) = 0 here, left to right 1 (hence the fallback)
    row = np.zeros((1, SEQUENTIAL_SUM_SLOTS + 1))
    row[0, :4] = (1e16, 1.0, -1e16, 1.0)
    assert row[0, :4].sum() == 1.0 and row.sum() == 0.0


def _stats_from_nav(nav: np.ndarray, dates: pd.DatetimeIndex, cap: float) -> dict[str, float]:
    """What it bought's formulas written out on one NAV series (independent of alvh.analytics)."""
    daily = np.diff(np.r_[cap, nav])
    month = pd.Series(daily, index=dates).groupby(dates.to_period("M")).sum().to_numpy() / cap * 100.0
    k = max(1, math.ceil(0.05 * len(month) - 1e-12))
    equity = cap + np.cumsum(daily)
    peak = np.maximum.accumulate(np.r_[cap, equity])[1:]
    return {
        "monthly_vol_pct": float(np.std(month, ddof=1)),
        "worst_month_pct": float(month.min()),
        "es95_monthly_pct": float(np.sort(month)[:k].mean()),
        "max_drawdown_pct": float(((equity / peak - 1.0) * 100.0).min()),
        "mean_month_pct": float(month.mean()),
    }


def _own_nav_stats(nav: np.ndarray, dates: pd.DatetimeIndex, cap: float) -> dict[str, float]:
    """Monthly returns on the book's own NAV at the previous month-end, written out with pandas."""
    month_end = pd.Series(nav, index=dates).groupby(dates.to_period("M")).last()
    base = np.r_[cap, month_end.to_numpy()[:-1]]
    r = (month_end.to_numpy() - base) / base * 100.0
    k = max(1, math.ceil(0.05 * len(r) - 1e-12))
    return {"worst_month_pct": float(r.min()), "es95_monthly_pct": float(np.sort(r)[:k].mean())}


def test_summary_figures_come_from_the_standalone_core(real_market_data):
    import alvh

    start, end = "2007-06-01", "2009-12-31"
    res = alvh.run(default_rules(), real_market_data, start, end)
    b = res.summary_dict()["analysis"]["what_it_bought"]  # what summary.json holds
    assert b["core_book"] == "standalone" and "own book" in b["core_definition"]
    alone = run_engine(core_alone_rules(default_rules()), paths_from_market_data(real_market_data, start, end))
    cap = float(res.capital)
    want = _stats_from_nav(alone.nav[:, 0], res.dates, cap)
    for k, v in want.items():
        assert b["core_alone"][k] == pytest.approx(v, rel=1e-9, abs=1e-9), k
    hedged = _stats_from_nav(res.nav[:, 0], res.dates, cap)
    for k, v in hedged.items():
        assert b["core_plus_layers"][k] == pytest.approx(v, rel=1e-7, abs=1e-7), k
    assert b["es95_reduction_pp"] == pytest.approx(hedged["es95_monthly_pct"] - want["es95_monthly_pct"], abs=1e-7)
    # on each book's own NAV (the size the hedge's cost leaves taken out)
    on = b["on_own_nav"]
    for key, nav in (("core_alone", alone.nav[:, 0]), ("core_plus_layers", res.nav[:, 0])):
        for k, v in _own_nav_stats(nav, res.dates, cap).items():
            assert on[key][k] == pytest.approx(v, rel=1e-7, abs=1e-7), (key, k)
    assert on["final_nav_usd"]["core_alone"] == pytest.approx(alone.nav[-1, 0], rel=1e-12)
    assert np.array_equal(res.to_frame()["core_alone_nav"].to_numpy(), alone.nav[:, 0])  # daily.parquet's column
    # the core's worst months are the standalone core's
    worst = sorted(b["core_worst_months"], key=lambda w: w["core_bp"])[0]
    assert worst["core_bp"] == pytest.approx(want["worst_month_pct"] * 100.0, rel=1e-9)
    # the report's NAV chart draws the standalone core's NAV
    from alvh.report.backtest_charts import nav_chart

    chart = nav_chart(res, res.analysis)
    drawn = next(x for x in chart.series if x.name == "core alone")
    np.testing.assert_allclose(np.asarray(drawn.y, dtype=float), alone.nav[:, 0], rtol=1e-12)
    assert "own book" in (chart.note or "")
    # the core's P&L inside the hedged book: beside it, labelled, and what core_alone=False reports
    inside = alvh.run(default_rules(), real_market_data, start, end, core_alone=False)
    bi = inside.summary_dict()["analysis"]["what_it_bought"]
    assert bi["core_book"] == "inside" and "core_inside_hedged_book" not in bi
    assert "not a book a trader could hold" in bi["core_definition"]
    for k, v in bi["core_alone"].items():
        assert b["core_inside_hedged_book"][k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
    assert bi["core_plus_layers"] == b["core_plus_layers"]
    assert any("inside the hedged book" in n for n in inside.analysis.notes)
    assert "WHAT IT BOUGHT: the core's P&L inside the hedged book" in inside.analysis.summary()
    assert "inside the hedged book" in nav_chart(inside, inside.analysis).series[0].name


def test_simulation_core_book_standalone_by_default_inside_on_request():
    rules = default_rules()
    a = simulate(rules, n_paths=3, n_days=60, seed=4, chunk_size=2)
    b = simulate(rules, n_paths=3, n_days=60, seed=4, chunk_size=3, core_alone=False)
    assert a.metadata["core_book"] == "standalone" and b.metadata["core_book"] == "inside"
    assert a.summary_dict()["what_it_bought"]["core_book"] == "standalone"
    fa, fb = a.to_frame(), b.to_frame()
    hedged = [c for c in fa.columns if not c.startswith("core_")]
    pd.testing.assert_frame_equal(fa[hedged], fb[hedged], check_exact=True)  # the hedged book is the same
    paths = chunk_paths(PathModel(), 4, 0, 3, 60)
    alone = run_engine(core_alone_rules(rules), paths, backend="numba")
    cap = float(alone.capital)
    for p in range(3):
        want = _stats_from_nav(alone.nav[:, p], alone.dates, cap)
        for k in ("worst_month_pct", "es95_monthly_pct", "max_drawdown_pct", "monthly_vol_pct"):
            assert fa.loc[p, f"core_{k}"] == pytest.approx(want[k], rel=1e-9, abs=1e-9), (p, k)
    assert "the core's P&L inside the hedged book -> core + layers" in b.summary()
    assert "core alone -> core + layers" in a.summary()


def test_refused_where_it_cannot_be_run():
    paths = chunk_paths(PathModel(), 5, 0, 2, 40)
    r = default_rules()
    with pytest.raises(ConfigError, match="variants"):
        run_engine(r, paths, variants=[r, r], core_alone=True)
    with pytest.raises(ConfigError, match="constant-maturity"):
        run_engine(_variant(constant_maturity={"enabled": True, "weight": 0.5}), paths, core_alone=True)
    dump = r.model_dump(mode="json")
    dump["layers"] = []
    dump["rebalance"]["enabled"] = False
    with pytest.raises(ConfigError, match="no hedge layer"):
        run_engine(rules_from_dict(dump), paths, core_alone=True)


def test_core_entry_quote_computed_once_for_both_books(monkeypatch):
    # the standalone core's NAV pass and the hedged book price the same condor on the same days: the second
    # book reuses the first's quote (engine.core_rules._quote); the results are checked equal by _check above
    from alvh.engine import core_rules

    monkeypatch.setattr(core_rules, "ENTRY_TABLE_MAX_PATHS", 0)  # the per-day entry (the table's is per book)
    calls: list[int] = []
    select = core_rules.select_strikes
    monkeypatch.setattr(core_rules, "select_strikes", lambda *a, **k: calls.append(1) or select(*a, **k))
    rules = default_rules()
    paths = chunk_paths(PathModel(), 3, 0, 4, 120)
    both = run_engine(rules, paths, core_alone=True)
    n_both = len(calls)
    calls.clear()
    plain = run_engine(rules, paths)
    assert len(calls) > 0
    assert n_both == len(calls)
    assert np.array_equal(both.nav, plain.nav)
