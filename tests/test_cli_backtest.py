"""``alvh backtest`` end to end on the embedded default data and on a rules file."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from alvh.cli.backtest import OUTPUTS
from alvh.config import config_hash, default_rules, default_rules_text
from alvh.report.outputs import verify

RUN = [sys.executable, "-c", "from alvh.cli import main; main()"]


def test_backtest_default_data(tmp_path):
    out = tmp_path / "out"
    r = subprocess.run(
        [*RUN, "backtest", "--start", "2016-01-01", "--end", "2017-06-30", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["metadata"]["config_hash"] == config_hash(default_rules())
    assert s["start"] == "2016-01-04" and s["end"] == "2017-06-30"
    daily = pd.read_parquet(out / "daily.parquet")
    assert {"nav", "core_nav", "short_nav", "medium_nav", "long_nav", "financing_nav", "cash"} <= set(daily.columns)
    assert daily["nav"].iloc[-1] == s["final_nav"]
    trades = pd.read_csv(out / "trades.csv")
    assert set(trades["reason"]) <= {"entry", "roll", "rebalance", "exit", "expiry", "adaptive", "resize"}
    assert "final NAV" in r.stdout and "core" in r.stdout
    # the analysis (alvh.analytics.analyze): summary.json keys, the two tables, the printed summary
    an = s["analysis"]
    hc = an["hedge_cost"]
    assert set(hc["per_layer_bp_per_month"]) == {"short", "medium", "long"}
    assert hc["total_bp_per_month"] == pytest.approx(sum(hc["split_bp_per_month"].values()))
    assert an["rebalance_trigger"]["fired"] == s["rebalance_firings"]
    # daily.parquet carries the daily decomposition per layer
    for layer in ("short", "medium", "long", "all"):
        assert {f"hedge_cost_{layer}_{t}_bp" for t in hc["split_bp_per_month"]} <= set(daily.columns)
    # per month = run total / month-equivalents (trading days / 21), not calendar months touched
    assert daily["hedge_cost_all_total_bp"].sum() / (len(daily) / 21) == pytest.approx(hc["total_bp_per_month"])
    assert hc["month_equivalents"] == len(daily) / 21 and hc["n_months"] == daily.index.to_period("M").nunique()
    monthly = pd.read_csv(out / "drag_monthly.csv")
    allrows = monthly[monthly["layer"] == "all"]
    assert allrows["total_bp"].sum() / hc["month_equivalents"] == pytest.approx(hc["total_bp_per_month"])
    assert allrows["n_days"].sum() / 21 == hc["month_equivalents"]
    regimes = pd.read_csv(out / "regimes.csv", keep_default_na=False)  # the label "n/a" is text, not a missing value
    assert {
        "regime",
        "label",
        "n_days",
        "n_months",
        "mean_daily_bp",
        "ci95_lo_daily_bp",
        "ci95_hi_daily_bp",
        "bp_per_month_equiv",
        "small_sample",
    } <= set(regimes.columns)
    assert (regimes.groupby("regime")["n_days"].sum() == s["n_days"]).all()
    assert set(f"{a}={b}" for a, b in zip(regimes["regime"], regimes["label"], strict=True)) == set(an["regime_table"])
    for text in (
        "WHAT THE HEDGE COST",
        "WHAT IT BOUGHT",
        "SEED CLAIM",
        "hedge cost by regime",
        "95% CI",
        "rebalance trigger",
        "macd_state",
        "against the core",
    ):
        assert text in r.stdout
    assert f"{hc['total_bp_per_month']:.2f}" in r.stdout
    assert "\u2026" not in r.stdout  # no number cut short by the terminal width (rich folds instead)
    # the outputs cannot mislead: the rules used, a manifest of every file, a rerun into the folder refused
    assert (out / "rules.toml").read_text() == default_rules_text()
    manifest = verify(out)
    assert {f["name"] for f in manifest["files"]} == set(OUTPUTS)
    assert manifest["config_hash"] == s["metadata"]["config_hash"]
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    r = subprocess.run([*RUN, "backtest", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 2 and "is not empty" in r.stderr and "--overwrite" in r.stderr
    assert "data:" not in r.stdout  # refused before the data was even loaded
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


@pytest.mark.parametrize(
    "toml,named",
    [
        ("[core]\nshort_put_delta = 2\n", ["core.short_put_delta"]),
        ('[rebalance]\nshort_layer = "front"\n', ["rebalance.short_layer", "front"]),  # a layer that does not exist
    ],
    ids=["delta_out_of_range", "rebalance_layer_missing"],
)
def test_backtest_bad_rules_file_names_the_key(tmp_path, toml, named):
    bad = tmp_path / "r.toml"
    bad.write_text(toml)
    r = subprocess.run(
        [*RUN, "backtest", "--rules", str(bad), "--out", str(tmp_path / "o")], capture_output=True, text=True
    )
    assert r.returncode == 2
    for text in named:
        assert text in r.stderr
    assert list(tmp_path.iterdir()) == [bad]  # no output folder, no partial folder


def test_backtest_overwrite_replaces_an_earlier_run_and_copies_the_rules_file(tmp_path):
    out = tmp_path / "out"
    rules = tmp_path / "my rules.toml"
    rules.write_text("# my rules\n[core]\nshort_put_delta = 0.15\n")
    span = ["--start", "2016-01-01", "--end", "2016-06-30"]
    r = subprocess.run([*RUN, "backtest", *span, "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (out / "stale.csv").write_text("from nobody")  # a file the rerun must not keep
    r = subprocess.run(
        [*RUN, "backtest", *span, "--rules", str(rules), "--out", str(out), "--overwrite"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert (out / "rules.toml").read_text() == rules.read_text()
    assert not (out / "stale.csv").exists()
    verify(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my rules.toml", "out"]


@pytest.mark.slow
def test_backtest_past_the_vx_data_is_refused_and_the_default_end_is_the_data_end(tmp_path, real_store_dir):
    # asking for days past the VX data is an error naming the available span; nothing is written
    out = tmp_path / "out"
    r = subprocess.run(
        [
            *RUN,
            "backtest",
            "--data-dir",
            str(real_store_dir),
            "--start",
            "2025-01-02",
            "--end",
            "2025-12-31",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2, r.stderr
    assert "2025-12-31 is after the data" in r.stderr and "2004-03-26..2025-06-18" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (out / "summary.json").exists()
    # without --end the run ends on the last day every series the rules need has data, and says so
    r = subprocess.run(
        [*RUN, "backtest", "--data-dir", str(real_store_dir), "--start", "2025-01-02", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["end"].startswith("2025-06-18")
    assert "end 2025-06-18 (last day with spx, vix, vx)" in " ".join(r.stdout.split())


def test_readme_quotes_what_the_main_command_prints(tmp_path):
    # the README's main command (`alvh backtest --out out` on the embedded data) and the figures the README
    # says it prints: a stale README would tell a new user the wrong headline
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    m = re.search(
        r"it prints a hedge cost of ([\d.]+) bp/month.*?of -([\d.]+) % \(core alone\) -> -([\d.]+) %", readme, re.S
    )
    assert m, "README: the main command's figures are not quoted"
    cost, es_core, es_hedged = (float(g) for g in m.groups())
    out = tmp_path / "out"
    r = subprocess.run([*RUN, "backtest", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    w = json.loads((out / "summary.json").read_text())["analysis"]["what_it_bought"]
    assert round(w["hedge_cost_bp_per_month"], 1) == cost
    assert round(-w["core_alone"]["es95_monthly_pct"], 2) == es_core
    assert round(-w["core_plus_layers"]["es95_monthly_pct"], 2) == es_hedged
    assert "model VX curve" in r.stdout  # the README says the output notes the model curve
