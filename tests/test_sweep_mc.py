"""Monte Carlo sweeps (alvh.sweep.mc): every variant's per-path figures equal ``alvh.montecarlo.simulate`` of its
rules alone with the same seed, bit for bit, whatever the chunking or the processes; the rows' means and
intervals are the simulation's formulas; bad combinations of options are refused before any work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.config import default_rules
from alvh.errors import AlvhError
from alvh.montecarlo import PathModel, simulate
from alvh.montecarlo.summary import describe, wilson
from alvh.simulate import Scenario, Shock
from alvh.sweep.grid import expand, parse_grid
from alvh.sweep.mc import PATH_COLUMNS, SimRef
from alvh.sweep.runner import run_mc_sweep

GRID = {
    "values": {"layers.0.weight": [0.02, 0.04], "rebalance.threshold": [1.4, 4.0], "rebalance.cooldown_days": [5]},
    "core_alone": True,
}
N_PATHS, N_DAYS, SEED = 7, 70, 11


@pytest.fixture(scope="module")
def variants():
    base = default_rules()
    return expand(parse_grid(GRID, base), base)


@pytest.fixture(scope="module")
def alone_runs(variants):
    """Each variant's rules simulated alone (alvh.montecarlo.simulate), one chunk, this process; the core inside
    the variant's book (core_alone=False, as the sweep scores it: the core alone is a variant of its own)."""
    model = PathModel()
    return {
        v.index: simulate(
            v.rules, model, n_paths=N_PATHS, n_days=N_DAYS, seed=SEED, chunk_size=N_PATHS, core_alone=False
        )
        for v in variants
    }


@pytest.fixture(scope="module")
def alone(alone_runs):
    return {k: r.to_frame() for k, r in alone_runs.items()}


def _check_alone(per_path: pd.DataFrame, variants, alone) -> None:
    for v in variants:
        mine = per_path[per_path["variant"] == v.index].reset_index(drop=True)
        f = alone[v.index]
        assert mine["path"].tolist() == list(range(N_PATHS))
        pairs = {
            "hedge_cost_bp_per_month": f["cost_all_bp_per_month"],
            "es95_reduction_pp": f["hedged_es95_monthly_pct"] - f["core_es95_monthly_pct"],
            "max_drawdown_reduction_pp": f["hedged_max_drawdown_pct"] - f["core_max_drawdown_pct"],
            "worst_month_reduction_pp": f["hedged_worst_month_pct"] - f["core_worst_month_pct"],
            "core_es95_monthly_pct": f["core_es95_monthly_pct"],
            "hedged_max_drawdown_pct": f["hedged_max_drawdown_pct"],
            "trigger_firings": f["rebalance_firings"].astype(float),
        }
        for col, theirs in pairs.items():
            np.testing.assert_array_equal(mine[col].to_numpy(), theirs.to_numpy(), err_msg=f"{v.label}: {col}")


@pytest.mark.parametrize(("path_chunk", "chunk", "workers"), [(N_PATHS, 5, 1), (3, 2, 1), (2, 1, 2)])
def test_each_variant_equals_its_rules_simulated_alone(variants, alone, tmp_path, path_chunk, chunk, workers):
    sim = SimRef(PathModel(), SEED, N_PATHS, N_DAYS, path_chunk=path_chunk)
    table, per_path = run_mc_sweep(variants, sim, tmp_path / "cache", workers=workers, chunk=chunk)
    _check_alone(per_path, variants, alone)
    assert set(PATH_COLUMNS) <= set(per_path.columns)
    # the variants differ: the firings and the costs move with the grid
    assert table["trigger_firings"].nunique() >= 2 and table["hedge_cost_bp_per_month"].nunique() >= 3
    # resumed from the cache: the same rows, nothing run
    ran = []

    def counting(chunk_, ref, i):  # pragma: no cover - must not run
        ran.append(i)
        raise AssertionError("a cached variant ran again")

    again, per_again = run_mc_sweep(variants, sim, tmp_path / "cache", workers=1, task=counting)
    assert ran == []
    pd.testing.assert_frame_equal(table, again, check_exact=True)
    pd.testing.assert_frame_equal(per_path, per_again, check_exact=True)


def test_rows_are_the_simulation_formulas_over_paths(variants, tmp_path):
    sim = SimRef(PathModel(), SEED, N_PATHS, N_DAYS, path_chunk=4)
    table, per_path = run_mc_sweep(variants, sim, tmp_path, workers=1)
    for row in table.to_dict(orient="records"):
        p = per_path[per_path["variant"] == row["variant"]]
        for col in ("hedge_cost_bp_per_month", "es95_reduction_pp", "max_drawdown_reduction_pp"):
            d = describe(p[col].to_numpy())
            assert row[col] == d["mean"] and [row[f"{col}_ci95_lo"], row[f"{col}_ci95_hi"]] == d["ci95"]
            assert row[f"{col}_q05"] == d["q05"] and row[f"{col}_q95"] == d["q95"]
        k = int((p["es95_reduction_pp"] > 0).sum())
        assert row["share_paths_es95_reduced"] == k / N_PATHS
        assert [row["share_paths_es95_reduced_ci95_lo"], row["share_paths_es95_reduced_ci95_hi"]] == wilson(k, N_PATHS)
        assert row["n_paths"] == N_PATHS and row["capital_basis"] == "initial capital (fixed)"
    core = table[table["label"].str.startswith("core alone")].iloc[0]
    assert core["hedge_cost_bp_per_month"] == 0.0 and core["es95_reduction_pp"] == 0.0


def test_a_stress_scenario_changes_the_paths_and_the_cache_key(variants, tmp_path):
    jump = Scenario(name="jump", shocks=(Shock(kind="vix_jump", day=20, size=1.0),))
    calm = SimRef(PathModel(), SEED, 4, N_DAYS, path_chunk=4)
    shocked = SimRef(PathModel(scenario=jump), SEED, 4, N_DAYS, path_chunk=4)
    assert calm.digest() != shocked.digest()
    a, _ = run_mc_sweep(variants[:1], calm, tmp_path, workers=1)
    b, _ = run_mc_sweep(variants[:1], shocked, tmp_path, workers=1)
    assert b.loc[0, "scenario"] == "jump" and a.loc[0, "scenario"].startswith("calibrated")
    # a VIX jump on every path: the long-VIX layers pay, the hedge costs less than on the calm paths
    assert b.loc[0, "hedge_cost_bp_per_month"] < a.loc[0, "hedge_cost_bp_per_month"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--scenario", "covid_2020"], "without --paths"),
        (["--paths", "5", "--start", "2010-01-04"], "with --paths"),
        (["--paths", "5", "--scenario", "no_such_preset"], "no_such_preset"),
    ],
)
def test_cli_refuses_mixed_or_bad_options_before_work(tmp_path, args, match):
    from typer.testing import CliRunner

    from alvh.cli.sweep import app

    grid = tmp_path / "grid.toml"
    grid.write_text('[values]\n"layers.0.weight" = [0.03, 0.04]\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["--grid", str(grid), "--out", str(tmp_path / "out"), *args])
    assert r.exit_code != 0
    assert isinstance(r.exception, AlvhError) and match in str(r.exception), (r.exception, r.output)
    assert not (tmp_path / "out").exists()


def test_frontier_minus_the_reference_path_by_path(variants, tmp_path):
    from alvh.config import default_rules
    from alvh.sweep.study import mc_sweep

    base = default_rules()
    sim = SimRef(PathModel(), SEED, N_PATHS, N_DAYS, path_chunk=N_PATHS)
    res = mc_sweep(variants, base, sim, tmp_path, reference=variants[1].rules, workers=1)
    f = res.frontier.set_index("variant")
    per = res.monthly
    ref = per[per["variant"] == 1].set_index("path")
    for v in f.index:
        d = per[per["variant"] == v].set_index("path")["hedge_cost_bp_per_month"] - ref["hedge_cost_bp_per_month"]
        dd = describe(d.to_numpy())
        assert f.loc[v, "cost_vs_reference_bp_per_month"] == dd["mean"]
        assert [
            f.loc[v, "cost_vs_reference_bp_per_month_ci95_lo"],
            f.loc[v, "cost_vs_reference_bp_per_month_ci95_hi"],
        ] == dd["ci95"]
    assert res.reference["found"] and res.reference["n_paths"] == N_PATHS


def test_pooled_es_is_the_simulations(variants, alone_runs, tmp_path):
    sim = SimRef(PathModel(), SEED, N_PATHS, N_DAYS, path_chunk=3)  # three chunks fed to the pooled tail
    table, _ = run_mc_sweep(variants, sim, tmp_path, workers=1, chunk=2)
    for row in table.to_dict(orient="records"):
        pooled = alone_runs[row["variant"]].summary_dict()["what_it_bought"]["pooled_es95"]
        assert row["pooled_es95_reduction_pp"] == pooled["reduction_pp"]["value"]
        assert row["hedged_pooled_es95_monthly_pct"] == pooled["core_plus_layers_pct"]["value"]
        assert row["core_pooled_es95_monthly_pct"] == pooled["core_alone_pct"]["value"]
        assert (
            row["pooled_es95_tail_months"] == pooled["tail_months"] and row["n_path_months"] == pooled["n_path_months"]
        )
