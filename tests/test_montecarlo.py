"""Simulated runs (alvh.montecarlo): bit-identical whatever the chunking, per-path figures against the
ledger and the one-run analysis, reductions against direct computation, bad input refused first."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.analytics.attribution import attribute, slot_groups
from alvh.analytics.exposure import effective_vega
from alvh.analytics.hedge_cost import hedge_cost, hedge_cost_summary, what_it_buys
from alvh.config import default_rules
from alvh.engine import run_engine
from alvh.errors import AlvhError, ConfigError, InputError
from alvh.montecarlo import PATH_BLOCK, PathModel, combine, run_chunk, simulate
from alvh.montecarlo.streams import block_rng, chunk_paths
from alvh.montecarlo.summary import wilson
from alvh.simulate import Scenario, Shock

N_PATHS, N_DAYS, SEED = 9, 70, 11


@pytest.fixture(scope="module")
def rules():
    return default_rules()


@pytest.fixture(scope="module")
def reference(rules):
    """The run in one chunk, in this process, chunks kept in memory."""
    return simulate(rules, n_paths=N_PATHS, n_days=N_DAYS, seed=SEED, chunk_size=N_PATHS)


def _same(a, b) -> None:
    assert a.summary_dict() == b.summary_dict()
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    for name in ("bands", "monthly", "exceedance"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


@pytest.mark.parametrize("chunk_size", [1, 2, 4, 5])
def test_bit_identical_across_chunk_sizes(rules, reference, chunk_size):
    # chunk sizes that cut the run anywhere, including a last chunk of a single path
    _same(reference, simulate(rules, n_paths=N_PATHS, n_days=N_DAYS, seed=SEED, chunk_size=chunk_size))


def test_bit_identical_with_two_processes_and_parquet_tables(rules, reference, tmp_path):
    res = simulate(rules, n_paths=N_PATHS, n_days=N_DAYS, seed=SEED, chunk_size=2, workers=2, folder=tmp_path)
    _same(reference, res)
    assert res.run_info["workers"] == 2 and res.run_info["n_chunks"] == 5
    assert {p.name for p in tmp_path.iterdir()} == {"paths.parquet", "monthly_cost.parquet", "cumulative_cost.parquet"}


def test_chunks_combined_in_any_order(rules, reference):
    chunks = [run_chunk(PathModel(), rules, SEED, i, 4, N_PATHS, N_DAYS) for i in (2, 0, 1)]
    _same(reference, combine(chunks, PathModel(), rules, SEED))
    with pytest.raises(InputError, match="starts at path"):
        combine(chunks[:1] + chunks[2:], PathModel(), rules, SEED)


def test_a_path_is_the_same_in_any_chunk():
    # the market of path i depends on the seed and i only: paths 490..509 straddle two blocks
    m = PathModel()
    whole = chunk_paths(m, 3, 0, 2 * PATH_BLOCK, 30)
    part = chunk_paths(m, 3, 490, 510, 30)
    assert np.array_equal(whole.vix_close[:, 490:510], part.vix_close)
    assert np.array_equal(whole.vx_price[:, 490:510], part.vx_price, equal_nan=True)
    assert np.array_equal(whole.surface.tail[:, 490:510], part.surface.tail)
    other = chunk_paths(m, 4, 490, 510, 30)
    assert not np.array_equal(other.vix_close, part.vix_close)
    # the block streams are numpy's SeedSequence children
    a = block_rng(3, 1).standard_normal(4)
    b = np.random.Generator(np.random.PCG64(np.random.SeedSequence(3).spawn(2)[1])).standard_normal(4)
    assert np.array_equal(a, b)


def _ledger(res):
    """Per component and day: marks' P&L - costs + interest on its cash + its private financing (dollars)."""
    out = res.pnl - res.costs
    for extra in (res.interest, res.hedge_financing):
        if extra is not None:
            out = out + extra
    return out


def test_per_path_figures_against_the_ledger_and_the_one_run_analysis(rules, reference):
    """Each path's hedge cost equals minus its layers' ledger P&L, and its decomposition and what it bought
    equal the full attribution's hedge cost and what_it_buys (core attributed too) on that path alone."""
    frame = reference.to_frame()
    paths = chunk_paths(PathModel(), SEED, 0, N_PATHS, N_DAYS)
    res = run_engine(rules, paths, backend="numba")
    cap = float(res.capital)
    n_months = len(res.dates) / 21  # month-equivalents: trading days / 21 (alvh.analytics.hedge_cost)
    layers = [k for k, c in enumerate(res.components) if c != "core"]
    ledger = _ledger(res)
    expect = -ledger[..., layers].sum(axis=(0, 2)) / cap * 1e4 / n_months
    np.testing.assert_allclose(frame["cost_all_bp_per_month"], expect, rtol=0, atol=1e-9)
    # the books add up to the NAV
    nav_change = res.nav[-1] - cap
    np.testing.assert_allclose(ledger.sum(axis=(0, 2)) + res.financing.sum(axis=0), nav_change, atol=1e-6)
    groups, _ = slot_groups(res.records)
    idx = {c: k for k, c in enumerate(res.components)}
    costs = np.stack([-res.costs[..., idx[g]] for g in groups], axis=-1)
    fin = np.stack([(ledger + res.costs - res.pnl)[..., idx[g]] for g in groups], axis=-1)
    fin[..., groups.index("core")] += res.financing  # the debt's interest: in the core book
    for p in (0, 4, 8):
        one = paths.take_paths(slice(p, p + 1))
        r1 = run_engine(rules, one, backend="numba", core_alone=True)  # "what it bought": the standalone core
        att = attribute(r1.records, capital=cap, cost_pnl=costs[:, p : p + 1], financing_pnl=fin[:, p : p + 1])
        ev = effective_vega(r1.records, one.sensitivity)
        hc = hedge_cost(
            att, ev.per_group, dates=r1.dates, vix=one.vix_close, capital=cap, core_alone_nav=r1.core_alone_nav
        )
        s = hedge_cost_summary(hc)
        row = frame.loc[p]
        assert row["cost_all_bp_per_month"] == pytest.approx(s["total_bp_per_month"], abs=1e-9)
        for term, v in s["split_bp_per_month"].items():
            assert row[f"cost_all_{term}_bp_per_month"] == pytest.approx(v, abs=1e-9)
        for layer, v in s["per_layer_bp_per_month"].items():
            assert row[f"cost_{layer}_bp_per_month"] == pytest.approx(v, abs=1e-9)
        w = what_it_buys(hc)
        for book, key in (("core", "core_alone"), ("hedged", "core_plus_layers")):
            for stat in ("worst_month_pct", "es95_monthly_pct", "max_drawdown_pct", "monthly_vol_pct"):
                assert row[f"{book}_{stat}"] == pytest.approx(w[key][stat], abs=1e-9)
        assert row["final_nav"] == r1.nav[-1, 0]
        assert row["trades_entry"] == int((r1.trades["reason"] == "entry").sum())


def test_reductions_against_direct_computation(reference, tmp_path):
    frame = reference.to_frame()
    s = reference.summary_dict()
    x = frame["cost_all_bp_per_month"].to_numpy()
    d = s["hedge_cost"]["per_layer"]["all"]
    assert d["n"] == N_PATHS and d["mean"] == np.mean(x) and d["q50"] == np.median(x)
    half = 1.959963984540054 * np.std(x, ddof=1) / math.sqrt(N_PATHS)
    assert d["ci95"] == pytest.approx([x.mean() - half, x.mean() + half])
    # the terms sum to the total on every path
    terms = [c for c in frame.columns if c.startswith("cost_all_") and c != "cost_all_bp_per_month"]
    np.testing.assert_allclose(frame[terms].sum(axis=1), x, atol=1e-9)
    ex = reference.exceedance
    row = ex[(ex.layer == "all") & (ex.measure == "run_per_month") & (ex.threshold_bp == 18.0)].iloc[0]
    assert row.probability == np.mean(x > 18.0) and row.n == N_PATHS
    # the last day's band is the distribution of the run's total cost (all layers), months x per-month cost
    months = N_DAYS / 21  # month-equivalents (trading days / 21)
    last = reference.bands.iloc[-1]
    assert last["q50"] == pytest.approx(np.median(x * months), abs=1e-9)
    assert last["n_paths"] == N_PATHS
    # the month rows pool into the "all" row
    m = reference.monthly
    allrow = m[(m.month == "all") & (m.layer == "all")].iloc[0]
    assert allrow["n"] == N_PATHS * s["metadata"]["n_months"]  # calendar months of the monthly table


def test_wilson_against_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in ((0, 10), (3, 10), (10, 10), (517, 10_000)):
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert wilson(k, n) == pytest.approx([lo, hi], abs=1e-12)


@pytest.mark.parametrize(
    "kwargs,argument",
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"n_paths": 0}, "paths"),
        ({"n_days": 1}, "days"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"workers": 0}, "workers"),
        ({"thresholds": [float("nan")]}, "thresholds"),
        ({"model": PathModel(scenario=Scenario("late", shocks=(Shock("vix_jump", 99, 0.5),)))}, "day"),
    ],
)
def test_bad_input_refused_before_anything_runs(rules, kwargs, argument, monkeypatch):
    def boom(*a, **k):  # no path may be generated before the arguments are checked
        raise AssertionError("ran")

    monkeypatch.setattr(PathModel, "generate", boom)
    args = {"n_paths": 3, "n_days": 70, "seed": 1, **kwargs}
    with pytest.raises(AlvhError, match=argument):
        simulate(rules, **args)


def test_rules_without_layers_have_no_hedge_to_cost(rules):
    with pytest.raises(ConfigError, match="no hedge to cost"):
        simulate(rules.model_copy(update={"layers": []}), n_paths=2, n_days=70, seed=1)


def test_engine_checks_run_before_any_chunk(rules, monkeypatch):
    import alvh.montecarlo.runner as runner

    monkeypatch.setattr(runner, "_chunks", lambda *a: (_ for _ in ()).throw(AssertionError("ran")))
    with pytest.raises(ConfigError, match="rebalance.min_nobs"):
        simulate(rules, n_paths=2, n_days=30, seed=1)


def test_summary_text_and_metadata(reference):
    text = reference.summary()
    assert "bp of the initial capital" in text and "WHAT IT BOUGHT" in text
    meta = reference.metadata
    assert meta["seed"] == SEED and meta["n_paths"] == N_PATHS and meta["path_block"] == PATH_BLOCK
    assert meta["capital_basis"].startswith("initial capital (fixed)")
    assert len(meta["config_hash"]) == 64 and meta["backend"] == "numba"
    assert "SimulationResult" in repr(reference)


def test_outputs_written_through_write_outputs(rules, tmp_path):
    from alvh.montecarlo.outputs import OUTPUTS, write_outputs
    from alvh.report.outputs import OutputFolder

    folder = OutputFolder.prepare(tmp_path / "out")
    res = simulate(rules, n_paths=3, n_days=70, seed=2, chunk_size=2, folder=folder.staging)
    names = write_outputs(folder, res)
    out = folder.commit()
    assert names == list(OUTPUTS) and sorted(p.name for p in out.iterdir()) == sorted((*OUTPUTS, "manifest.json"))
    paths = pd.read_parquet(out / "paths.parquet")
    assert list(paths["path"]) == [0, 1, 2]
    import pyarrow.parquet as pq

    for name in OUTPUTS:
        if name.endswith(".parquet"):  # every table states its unit and capital basis
            meta = pq.read_schema(out / name).metadata
            assert meta[b"alvh_capital_basis"].startswith(b"initial capital (fixed), $10,000,000"), name
            assert meta[b"alvh_unit"], name
    with pytest.raises(InputError, match="not empty"):
        OutputFolder.prepare(out)
    assert Path(out / "summary.json").read_text().startswith("{")


def test_a_vix_jump_on_every_path_makes_the_hedge_pay(rules, reference):
    # the same seed with a +100% log jump of VIX on day 20 of every path (alvh.simulate scenario): the long
    # VIX layers gain, so the hedge cost falls below the unshocked run's on average and on every path
    jump = PathModel(scenario=Scenario("jump", shocks=(Shock("vix_jump", 20, 1.0),)))
    shocked = simulate(rules, jump, n_paths=N_PATHS, n_days=N_DAYS, seed=SEED, chunk_size=N_PATHS)
    a = shocked.to_frame()["cost_all_bp_per_month"]
    b = reference.to_frame()["cost_all_bp_per_month"]
    assert (a < b).all() and a.mean() < 0
    assert shocked.metadata["model"]["scenario"]["shocks"][0]["kind"] == "vix_jump"
    assert shocked.metadata["model"]["params_hash"] == reference.metadata["model"]["params_hash"]


@pytest.mark.parametrize("variant", ["vix_calls", "core_vega_sizing"])
def test_bit_identical_for_other_rules(rules, variant):
    if variant == "vix_calls":  # the options' path of the attribution (theta, vol of vol)
        r = rules.model_copy(
            update={"layers": [la.model_copy(update={"instrument": "vix_call"}) for la in rules.layers]}
        )
    else:  # layer sizes from the core's vega (an engine decision read from the greeks)
        r = rules.model_copy(update={"sizing": rules.sizing.model_copy(update={"basis": "core_vega"})})
    _same(
        simulate(r, n_paths=5, n_days=N_DAYS, seed=3, chunk_size=5),
        simulate(r, n_paths=5, n_days=N_DAYS, seed=3, chunk_size=2),
    )


def test_pooled_es_is_the_mean_of_the_worst_path_months_whatever_the_chunking():
    # a year of 12 months gives each path an ES95 of ceil(0.6) = 1 month, its worst month; pooled over
    # paths the tail holds ceil(0.05 x n_paths x n_months) months, summed exactly, so any chunking agrees
    from alvh.montecarlo.summary import ES_SECTIONS, PooledTail, tail_count

    rng = np.random.default_rng(3)
    n, m = 103, 12
    x = rng.standard_t(3, (n, m, 2))
    assert tail_count(m) == 1 and tail_count(n * m) == math.ceil(0.05 * n * m)
    blocks = []
    for cuts in ([n], [1, 50, 52, n], [7 * i for i in range(1, 15)] + [n]):
        tail, lo = PooledTail(n, m), 0
        for hi in cuts:
            tail.add(lo, x[lo:hi])
            lo = hi
        blocks.append(tail.block(cost_mean=10.0))
    assert blocks[0] == blocks[1] == blocks[2]
    b = blocks[0]
    k = math.ceil(0.05 * n * m)
    assert b["tail_months"] == k and b["n_path_months"] == n * m
    core = np.sort(x[..., 0].ravel())[:k].mean()
    hedged = np.sort(x[..., 1].ravel())[:k].mean()
    assert b["core_alone_pct"]["value"] == pytest.approx(core, rel=1e-12)
    assert b["core_plus_layers_pct"]["value"] == pytest.approx(hedged, rel=1e-12)
    assert b["reduction_pp"]["value"] == pytest.approx(hedged - core, rel=1e-12)
    # the interval: the same ES on groups of consecutive paths
    edges = [n * g // ES_SECTIONS for g in range(ES_SECTIONS + 1)]
    groups = [x[a:z, :, 0].ravel() for a, z in zip(edges[:-1], edges[1:], strict=True)]
    es_g = [np.sort(g)[: math.ceil(0.05 * g.size)].mean() for g in groups]
    half = 1.959963984540054 * np.std(es_g, ddof=1) / math.sqrt(ES_SECTIONS)
    np.testing.assert_allclose(b["core_alone_pct"]["ci95"], [core - half, core + half], rtol=1e-10)
    with pytest.raises(RuntimeError, match="fed"):
        PooledTail(n, m).block(1.0)


def test_summary_pooled_es_from_the_chunks_book_months(rules, reference):
    chunks = [run_chunk(PathModel(), rules, SEED, i, 4, N_PATHS, N_DAYS) for i in range(3)]
    months = np.concatenate([c.book_monthly_pct for c in chunks])  # (paths, months, 2)
    frame = reference.to_frame()
    np.testing.assert_array_equal(months[..., 0].min(axis=1), frame["core_worst_month_pct"])
    np.testing.assert_array_equal(months[..., 1].min(axis=1), frame["hedged_worst_month_pct"])
    pooled = reference.summary_dict()["what_it_bought"]["pooled_es95"]
    k = math.ceil(0.05 * months[..., 0].size)
    assert pooled["tail_months"] == k
    assert pooled["core_alone_pct"]["value"] == pytest.approx(np.sort(months[..., 0].ravel())[:k].mean(), rel=1e-12)
    assert pooled["core_alone_pct"]["ci95"] is None  # fewer than 40 paths: no sectioning interval
