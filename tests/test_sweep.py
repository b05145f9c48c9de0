"""alvh.sweep: the grid's checks, chunk-independent rows, the cache (resume), the scores against analyze(),
the frontier and the walk-forward."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.config import config_hash, default_rules
from alvh.errors import ConfigError
from alvh.sweep.batch import DataRef, run_chunk
from alvh.sweep.frontier import locate, on_frontier
from alvh.sweep.grid import expand, parse_grid
from alvh.sweep.runner import plan_chunks, run_sweep
from alvh.sweep.walk import walk_forward

SPLITS = {
    "values": {
        "layers.0.weight": [0.02, 0.04, 0.06],
        "layers.1.weight": [0.02, 0.04],
        "layers.2.weight": [0.0, 0.02],
        "rebalance.threshold": [1.4, 4.0],
    },
    "constraints": [{"sum": ["layers.0.weight", "layers.1.weight", "layers.2.weight"], "equals": 0.10}],
    "core_alone": True,
}


# ---------------------------------------------------------------- the grid
def test_grid_expands_ranges_constraints_and_core_alone():
    base = default_rules()
    g = parse_grid(
        {
            "values": {
                "layers.0.weight": {"start": 0.0, "stop": 0.1, "step": 0.01},
                "layers.1.weight": {"start": 0.0, "stop": 0.1, "step": 0.01},
                "layers.2.weight": {"start": 0.0, "stop": 0.1, "step": 0.01},
            },
            "constraints": [{"sum": ["layers.0.weight", "layers.1.weight", "layers.2.weight"], "equals": 0.10}],
            "core_alone": True,
        },
        base,
    )
    vs = expand(g, base)
    assert len(vs) == 66 + 1  # the splits of 10 points into 3 (C(12, 2)) and the core alone
    assert g.values["layers.0.weight"][4] == 0.04  # a range's values are the decimals, not 4 x 0.01
    assert sum(v.config_hash == config_hash(base) for v in vs) == 1  # 4/4/2 is on the grid, as the defaults
    assert vs[-1].label.startswith("core alone") and all(la.weight == 0 for la in vs[-1].rules.layers)
    assert all(abs(sum(la.weight for la in v.rules.layers) - 0.10) < 1e-9 for v in vs[:-1])


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({"values": {"layers.0.wieght": [0.01]}}, "did you mean 'layers.0.weight'"),
        ({"values": {"rebalance.threshhold": [1.2]}}, "did you mean 'rebalance.threshold'"),
        ({"values": {"layers.7.weight": [0.01]}}, "no item '7'"),
        ({"values": {"layers.0.weight": ["0.04"]}}, "values.layers.0.weight"),
        ({"values": {"rebalance.cooldown_days": [2.5]}}, "values.rebalance.cooldown_days"),
        ({"values": {"layers.0.weight": [1.5]}}, "values.layers.0.weight"),
        ({"values": {}}, "empty grid"),
        ({"values": {"layers.0.weight": []}}, "no values"),
        ({"values": {"layers.0.weight": {"start": 0.1, "stop": 0.0, "step": 0.01}}}, "stop >= start"),
        ({"values": {"layers": [1]}}, "names a table"),
        ({"grid": {}}, "unknown grid key 'grid'"),
        ({"values": {"layers.0.weight": [0.01]}, "max_variants": 0}, "max_variants"),
    ],
)
def test_grid_errors_name_the_key(grid, match):
    with pytest.raises(ConfigError, match=match):
        g = parse_grid(grid, default_rules())
        expand(g, default_rules())


def test_unsatisfiable_constraint_and_the_variant_limit():
    base = default_rules()
    two = ["layers.0.weight", "layers.1.weight"]
    bad = {**SPLITS, "constraints": [{"sum": two, "equals": 0.5}], "core_alone": False}
    with pytest.raises(ConfigError, match="no variant of the 24 satisfies the constraints"):
        expand(parse_grid(bad, base), base)
    big = {"values": {"rebalance.threshold": [1.0 + i / 100 for i in range(30)]}, "max_variants": 20}
    with pytest.raises(ConfigError, match="30 variants, above the limit of 20"):
        expand(parse_grid(big, base), base)
    assert len(expand(parse_grid(big, base), base, allow_many=True)) == 30  # --yes


def test_variants_group_by_kind():
    base = default_rules()
    g = parse_grid({"values": {"layers.0.weight": [0.03, 0.05], "rebalance.window": [60, 90]}}, base)
    chunks = plan_chunks(expand(g, base), chunk=10)
    assert len(chunks) == 2  # the window changes the rolling regression: one engine call per window
    assert all(len({v.rules.rebalance.window for v in c}) == 1 for c in chunks)


# ---------------------------------------------------------------- runs (real data, short span)
@pytest.fixture(scope="module")
def small(real_store_dir):
    base = default_rules()
    variants = expand(parse_grid(SPLITS, base), base)
    return base, variants, DataRef(str(real_store_dir), "2007-01-03", "2010-12-31")


def test_rows_do_not_depend_on_the_chunk_and_the_cache_resumes(small, tmp_path):
    base, variants, ref = small
    a, ma = run_sweep(variants, ref, tmp_path / "a", workers=1, chunk=len(variants))
    calls = []

    def dies_after_one(chunk, r, i):
        if calls:
            raise KeyboardInterrupt  # the sweep killed after its first chunk
        calls.append(i)
        return run_chunk(chunk, r, i)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(variants, ref, tmp_path / "b", workers=1, chunk=3, task=dies_after_one)
    assert len(list((tmp_path / "b").glob("*.json"))) == 3  # the finished chunk is in the cache
    ran = []

    def counting(chunk, r, i):
        ran.extend(v.index for v in chunk)
        return run_chunk(chunk, r, i)

    b, mb = run_sweep(variants, ref, tmp_path / "b", workers=1, chunk=3, task=counting)
    assert len(ran) == len(variants) - 3  # resumed: the cached variants did not run again
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(ma, mb, check_exact=True)
    assert a["trigger_firings"].nunique() >= 3 and a["hedge_cost_bp_per_month"].nunique() >= 5


def test_scores_match_analyze_on_the_same_rules(small, real_market_data):
    import alvh

    base, variants, ref = small
    v = next(v for v in variants if v.config_hash == config_hash(base))
    row = run_chunk((v,), ref, 0).rows[0]
    # the sweep measures what the hedge bought against the standalone core (the core run alone with its own
    # capital), as the backtest does: the reference's ES95 reduction is the backtest's, not the in-book core's
    res = alvh.run(base, real_market_data, ref.start, ref.end)
    bought = res.analysis.bought
    assert bought["core_book"] == "standalone" and row["core_book"] == "standalone"
    assert row["hedge_cost_bp_per_month"] == pytest.approx(bought["hedge_cost_bp_per_month"], rel=1e-9)
    for ours, theirs in (("core", "core_alone"), ("hedged", "core_plus_layers")):
        for k in ("max_drawdown_pct", "es95_monthly_pct", "worst_month_pct", "monthly_vol_pct"):
            assert row[f"{ours}_{k}"] == pytest.approx(bought[theirs][k], rel=1e-9), (ours, k)
    assert row["es95_reduction_pp"] == pytest.approx(bought["es95_reduction_pp"], rel=1e-9)
    assert row["max_drawdown_reduction_pp"] == pytest.approx(bought["max_drawdown_reduction_pp"], rel=1e-9)
    inside = bought["core_inside_hedged_book"]["es95_monthly_pct"]
    assert abs(row["core_es95_monthly_pct"] - inside) > 1e-6  # the in-book core is another figure
    assert row["layers_bp_in_core_worst_months"] == pytest.approx(
        bought["layers_bp_in_core_worst_months_total"], rel=1e-9
    )
    terms = [k for k in row if k.startswith("hedge_cost_") and k.split("_")[2] in ("carry", "spot", "curve")]
    assert len(terms) == 3
    assert row["trigger_firings"] == len(res.rebalance_log)
    assert row["n_trades"] == len(res.trades)


def test_standalone_core_runs_once_per_distinct_core(small, monkeypatch):
    import alvh.engine.simulate as sim
    from alvh.sweep import batch

    base, variants, ref = small
    calls = []
    real = sim.core_alone_nav

    def counting(rules, paths, costs, **kw):
        calls.append(batch.core_key(rules))
        return real(rules, paths, costs, **kw)

    monkeypatch.setattr(sim, "core_alone_nav", counting)
    monkeypatch.setattr(batch, "_CORE_NAVS", {})
    hedged = [v for v in variants if any(la.weight for la in v.rules.layers)][:4]
    assert len({v.rules.rebalance.threshold for v in hedged}) == 2  # layer weights and the trigger differ ...
    rows = run_chunk(tuple(hedged), ref, 0).rows
    assert len(calls) == 1  # ... but not the core: one core-only pass for the chunk
    assert len({r["core_es95_monthly_pct"] for r in rows}) == 1
    run_chunk(tuple(hedged[:2]), ref, 1)
    assert len(calls) == 1  # memoized in the process
    # a variant with another core (the condor's short-put delta) has another standalone core
    other = base.model_copy(update={"core": base.core.model_copy(update={"short_put_delta": 0.12})})
    assert batch.core_key(other) != batch.core_key(base)
    alone = batch.standalone_core_navs([hedged[0]], ref, batch._market(ref)[1])
    assert alone is not None and alone.shape[1] == 1 and len(calls) == 1


# ---------------------------------------------------------------- frontier and walk-forward (hand cases)
def test_frontier_by_hand():
    t = pd.DataFrame(
        {
            "variant": range(5),
            "label": list("abcde"),
            "config_hash": list("abcde"),
            "hedge_cost_bp_per_month": [0.0, 10.0, 10.0, 20.0, 30.0],
            "es95_reduction_pp": [0.0, 1.0, 0.5, 2.0, 1.5],
            "max_drawdown_reduction_pp": [0.0, 1.0, 1.0, 1.0, 1.0],
            "trigger_firings": 0,
        }
    )
    assert on_frontier(t).tolist() == [True, True, False, True, False]  # c beaten by b, e by d
    where = locate(t, "e")
    # b costs less but protects less: only d beats e
    assert not where["on_frontier"] and [r["label"] for r in where["beaten_by"]] == ["d"]
    assert where["rank_by_protection"] == 2 and where["rank_by_cost"] == 5


def test_walk_forward_by_hand():
    months = [str(p) for p in pd.period_range("2010-01", periods=36, freq="M")]
    rng = np.random.default_rng(1)
    rows = []
    for v in range(3):
        x = rng.normal(0, 1, 36)
        if v == 1:
            x[:24] += 5  # variant 1 looks best in the first training window only
        rows += [
            {"variant": v, "month": m, "n_days": 21, "core_pct": 0.0, "hedged_pct": x[i], "hedge_cost_bp": v}
            for i, m in enumerate(months)
        ]
    table, summ = walk_forward(pd.DataFrame(rows), 0, train_months=24, test_months=12, criterion="mean")
    assert len(table) == 1 and table.loc[0, "chosen_variant"] == 1
    assert table.loc[0, "in_sample"] == pytest.approx(np.mean([r["hedged_pct"] for r in rows[36:60]]))
    assert summ["mean_out_of_sample"] < summ["mean_in_sample"]  # the fit to history is exposed


def test_by_path_hedge_cost_books_the_interest_as_analyze_does():
    # the sweep scores with by_path.result_hedge_cost: its hedge cost must equal the backtest's for the same
    # rules, the interest on the layers' cash included (it read 15.28 against 15.98 bp/month here before)
    import alvh
    from alvh.analytics.by_path import protection_by_path, result_hedge_cost, take_path
    from alvh.data.source import resolve_data_source

    md = resolve_data_source().load()  # the embedded default (the tests' user data home is empty)
    res = alvh.run(default_rules(), md, "2014-01-03", "2015-12-31")
    split = res.analysis.cost_summary["split_bp_per_month"]
    assert abs(split["financing"]) > 0.1  # the case needs interest on the hedge's cash
    ours = protection_by_path(take_path(result_hedge_cost(res, md), 0))["hedge_cost_bp_per_month"][0]
    assert ours == pytest.approx(res.analysis.bought["hedge_cost_bp_per_month"], rel=1e-12)


def test_month_bounds_memo_is_keyed_by_the_index_object_and_read_only():
    from alvh.analytics.hedge_cost import month_bounds

    a = pd.bdate_range("2020-01-01", "2020-04-30")
    b = pd.bdate_range("2020-01-15", "2020-06-30")
    ma, mb = month_bounds(a), month_bounds(b)  # b replaces a in the one-entry memo
    assert month_bounds(b) is mb and month_bounds(a) is not ma  # a is recomputed, the same numbers
    fresh = month_bounds(a)
    assert fresh[0].equals(ma[0]) and np.array_equal(fresh[1], ma[1]) and np.array_equal(fresh[2], ma[2])
    assert fresh[2].tolist() == [23, 20, 22, 22] and fresh[1].tolist() == [0, 23, 43, 65]
    with pytest.raises(ValueError, match="read-only"):
        fresh[1][0] = 5


def test_month_block_intervals_by_hand():
    from alvh.analytics.hedge_cost import block_bootstrap_indices, block_bootstrap_mean, expected_shortfall
    from alvh.sweep.frontier import month_block_intervals

    months = [str(p) for p in pd.period_range("2010-01", periods=40, freq="M")]
    rng = np.random.default_rng(3)
    core = rng.normal(0, 3, 40)
    rows = []
    for v in range(2):
        lay = rng.normal(-0.2, 1, 40)
        rows += [
            {
                "variant": v,
                "month": m,
                "n_days": 21,
                "core_pct": core[i],
                "hedged_pct": core[i] + lay[i],
                "hedge_cost_bp": -lay[i] * 100,
            }
            for i, m in enumerate(months)
        ]
    monthly = pd.DataFrame(rows).sample(frac=1.0, random_state=1)  # any row order: sorted by month inside
    iv = month_block_intervals(monthly, [0, 1], reference=0).set_index("variant")
    m1 = monthly[monthly["variant"] == 1].sort_values("month")
    _, lo, hi = block_bootstrap_mean(m1["hedge_cost_bp"].to_numpy())
    assert (iv.loc[1, "hedge_cost_bp_per_month_ci95_lo"], iv.loc[1, "hedge_cost_bp_per_month_ci95_hi"]) == (lo, hi)
    idx = block_bootstrap_indices(40)
    h, c = m1["hedged_pct"].to_numpy(), m1["core_pct"].to_numpy()
    red = expected_shortfall(h[idx].T) - expected_shortfall(c[idx].T)
    assert iv.loc[1, "es95_reduction_pp_ci95_lo"] == pytest.approx(np.quantile(red, 0.025), abs=0, rel=0)
    # the reference against itself: no difference, on every resample
    assert iv.loc[0, "cost_vs_reference_bp_per_month"] == 0.0
    assert (
        iv.loc[0, "es95_reduction_vs_reference_pp_ci95_lo"] == iv.loc[0, "es95_reduction_vs_reference_pp_ci95_hi"] == 0
    )
    assert iv.loc[1, "n_months"] == 40
    lo, hi = iv.loc[1, "cost_vs_reference_bp_per_month_ci95_lo"], iv.loc[1, "cost_vs_reference_bp_per_month_ci95_hi"]
    assert lo < iv.loc[1, "cost_vs_reference_bp_per_month"] < hi

    # per month-equivalent (trading days / 21), as the row's cost: a constant 10 bp in five full months and a
    # 2-day month is 60 bp over 107/21 month-equivalents = 11.776 bp/month, interval and all
    short = pd.DataFrame(
        {
            "variant": 0,
            "month": [f"2010-0{i}" for i in range(1, 7)],
            "n_days": [21, 21, 21, 21, 21, 2],
            "core_pct": 0.0,
            "hedged_pct": 0.0,
            "hedge_cost_bp": 10.0,
        }
    )
    one = month_block_intervals(short, [0]).iloc[0]
    assert one["hedge_cost_bp_per_month_ci95_lo"] == pytest.approx(60 / (107 / 21))
    assert one["hedge_cost_bp_per_month_ci95_hi"] == pytest.approx(60 / (107 / 21))
