"""The report of ``alvh sweep``: the frontier scatter (4/4/2 and the core alone marked), the frontier table with n
and intervals, the walk-forward, from the run's files; it renders in Chromium. A Monte Carlo sweep's report too."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from alvh.report.files import load_report
from browser import CHART_STATE_JS, chromium_path, open_file

RUN = [sys.executable, "-c", "from alvh.cli import main; main()"]
GRID = """core_alone = true
[values]
"layers.0.weight" = [0.02, 0.04, 0.06]
"layers.1.weight" = [0.02, 0.04]
"layers.2.weight" = [0.0, 0.02]
"rebalance.threshold" = [1.4, 4.0]
[[constraints]]
sum = ["layers.0.weight", "layers.1.weight", "layers.2.weight"]
equals = 0.10
"""


def _sweep(tmp_path_factory, *args: str):
    d = tmp_path_factory.mktemp("sweep")
    grid = d / "grid.toml"
    grid.write_text(GRID, encoding="utf-8")
    out = d / "out"
    r = subprocess.run(
        [*RUN, "sweep", "--grid", str(grid), "--out", str(out), "--workers", "1", *args],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return out, r.stdout


@pytest.fixture(scope="module")
def history(real_store_dir, tmp_path_factory):
    return _sweep(
        tmp_path_factory,
        *("--data-dir", str(real_store_dir), "--start", "2007-01-03", "--end", "2010-12-31", "--train-months", "24"),
    )


@pytest.fixture(scope="module")
def monte_carlo(tmp_path_factory):
    return _sweep(tmp_path_factory, "--paths", "6", "--days", "110", "--seed", "3", "--scenario", "covid_2020")


def test_sweep_report_shows_the_run_files_figures(history):
    out, stdout = history
    rep = load_report(out)  # manifest verified: report files listed with their checksums
    assert rep.kind == "sweep"
    charts = {c.id: c for c in rep.charts()}
    assert set(charts) == {"frontier", "frontier_drawdown"}
    table = pd.read_parquet(out / "variants.parquet")
    front = pd.read_parquet(out / "frontier.parquet")
    names = [s.name for s in charts["frontier"].series]
    assert names == [f"all variants (n={len(table)})", f"frontier ({len(front)} variants)", names[2], "core alone"]
    every = charts["frontier"].series[0]
    np.testing.assert_array_equal(np.array(every.x, dtype=float), table["hedge_cost_bp_per_month"].to_numpy())
    np.testing.assert_array_equal(np.array(every.y, dtype=float), table["es95_reduction_pp"].to_numpy())
    line = charts["frontier"].series[1]
    np.testing.assert_array_equal(np.array(line.x, dtype=float), np.sort(front["hedge_cost_bp_per_month"].to_numpy()))
    ref = table[table["label"].str.contains("layers.0.weight=0.04, layers.1.weight=0.04")]
    ref = ref[ref["rules.rebalance.threshold"] == 1.4]  # the base rules: 4/4/2 at 1.4
    marked = charts["frontier"].series[2]
    assert marked.x == [ref["hedge_cost_bp_per_month"].iloc[0]] and marked.y == [ref["es95_reduction_pp"].iloc[0]]
    # the frontier table: a row per frontier variant, n = months and the intervals of frontier.parquet
    ft = next(t for t in rep.tables() if t.id == "frontier_table")
    assert len(ft.rows) == len(front) and ft.columns[-1] == "n (months)"
    assert all(r[-1] == "48" for r in ft.rows)
    assert {"hedge_cost_bp_per_month_ci95_lo", "es95_reduction_pp_ci95_hi", "n_months"} <= set(front.columns)
    # each frontier variant minus the reference (4/4/2), paired on the same resampled months
    assert "cost minus reference (bp/month) [95% CI]" in ft.columns
    paired = front["cost_vs_reference_bp_per_month"] - (
        front["hedge_cost_bp_per_month"] - ref["hedge_cost_bp_per_month"].iloc[0]
    )
    assert np.abs(paired.to_numpy()).max() < 1e-9  # the mean of the monthly differences: the rows' difference
    assert (front["cost_vs_reference_bp_per_month_ci95_lo"] <= front["cost_vs_reference_bp_per_month_ci95_hi"]).all()
    hedged = front[front["hedge_cost_bp_per_month"] != 0]
    assert (hedged["hedge_cost_bp_per_month_ci95_lo"] < hedged["hedge_cost_bp_per_month"]).all()
    assert (hedged["hedge_cost_bp_per_month"] < hedged["hedge_cost_bp_per_month_ci95_hi"]).all()
    # the walk-forward: a row per window, each with its months, the summary line with n and intervals
    walk = pd.read_parquet(out / "walk_forward.parquet")
    wt = next(t for t in rep.tables() if t.id == "walk_forward")
    assert len(wt.rows) == len(walk) == 2 and set(walk["n_train_months"]) == {24} and set(walk["n_test_months"]) == {12}
    assert "walk-forward (es95, 24m train / 12m test, n = 2 windows; % of the initial capital per month)" in stdout
    assert "bp/month [" in stdout and rep.meta["rules_text"] == (out / "rules.toml").read_text()


def test_monte_carlo_sweep_report(monte_carlo):
    out, stdout = monte_carlo
    rep = load_report(out)
    assert {c.id for c in rep.charts()} == {"frontier", "frontier_drawdown"}
    table = pd.read_parquet(out / "variants.parquet")
    paths = pd.read_parquet(out / "paths.parquet")
    assert len(paths) == 6 * len(table) and set(table["n_paths"]) == {6} and set(table["scenario"]) == {"covid_2020"}
    ft = next(t for t in rep.tables() if t.id == "frontier_table")
    assert ft.columns[-1] == "n (paths)" and all(r[-1] == "6" for r in ft.rows)
    assert "walk_forward" not in {t.id for t in rep.tables()}
    assert "n = 6 paths of" in stdout and "independent paths" in stdout


EXE, WHY = chromium_path()


@pytest.mark.skipif(EXE is None, reason=f"browser test skipped: {WHY}")
def test_sweep_report_renders_in_chromium(history, tmp_path):
    html = history[0] / "report.html"
    with open_file(html, tmp_path / "profile") as (page, log):
        page.wait_for_selector("body[data-rendered]", timeout=120_000)
        state = page.evaluate(CHART_STATE_JS)
    assert log.console_errors() == [] and log.dialogs == []
    assert log.foreign_requests(html.resolve().as_uri()) == []
    assert len(state) == 2 and all(s["traces"] == s["expected"] and s["drawn"] >= 1 for s in state), state
