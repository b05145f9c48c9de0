"""``alvh backtest`` end to end on the embedded default data and on a rules file."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from alvh.config import config_hash, default_rules

RUN = [sys.executable, "-c", "from alvh.cli import main; main()"]


def test_backtest_default_data(tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([*RUN, "backtest", "--start", "2016-01-01", "--end", "2017-06-30", "--out", str(out)],
                       capture_output=True, text=True)
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


def test_backtest_bad_rules_file(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text("[core]\nshort_put_delta = 2\n")
    r = subprocess.run([*RUN, "backtest", "--rules", str(bad), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "core.short_put_delta" in r.stderr
