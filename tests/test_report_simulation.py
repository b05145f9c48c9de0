"""The report of ``alvh simulate``: fan chart, monthly cost histograms, effectiveness, from the run's files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from alvh.report.files import load_report
from alvh.report.simulation_report import histogram_series
from browser import CHART_STATE_JS, chromium_path, open_file

RUN = [sys.executable, "-c", "from alvh.cli import main; main()"]


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "out"
    r = subprocess.run(
        [*RUN, "simulate", "--paths", "12", "--days", "63", "--seed", "3", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return out


def test_simulation_report_shows_the_run_files_figures(sim_dir):
    rep = load_report(sim_dir)  # manifest verified: report files listed with their checksums
    charts = {c.id: c for c in rep.charts()}
    assert set(charts) == {"fan", "monthly_hist", "effectiveness"}
    bands = pd.read_parquet(sim_dir / "cost_bands.parquet")
    median = next(s for s in charts["fan"].series if s.name == "median")
    np.testing.assert_array_equal(np.array(median.y, dtype=float), bands["q50"].to_numpy())
    monthly = pd.read_parquet(sim_dir / "monthly_cost.parquet")
    for s in charts["monthly_hist"].series:
        assert sum(v for v in s.y if v is not None) == pytest.approx(100.0)
    n_all = int(np.isfinite(monthly[[c for c in monthly.columns if c.endswith("|all")]].to_numpy(float)).sum())
    assert any(s.name == f"all (n={n_all})" for s in charts["monthly_hist"].series)
    paths = pd.read_parquet(sim_dir / "paths.parquet")
    assert charts["effectiveness"].note.startswith(f"{len(paths)} paths")
    assert rep.meta["rules_text"] == (sim_dir / "rules.toml").read_text()
    notes = [s for s in rep.sections if s.title == "Notes"]
    assert len(notes) == 1 and "every figure here is a model figure" in str(notes[0].items[0])
    assert "alvh.simulate.simulate_market" in str(notes[0].items[0])


def test_histogram_counts_against_numpy():
    v = np.array([0.0, 0.5, 1.0, 1.0, np.nan, 3.0])
    s = histogram_series("x", v, np.array([0.0, 1.0, 2.0, 3.0]))
    assert s.y == pytest.approx([40.0, 40.0, 20.0])  # 5 finite values (NaN dropped); the last bin holds 3.0
    assert s.x == pytest.approx([0.5, 1.5, 2.5])


EXE, WHY = chromium_path()


@pytest.mark.skipif(EXE is None, reason=f"browser test skipped: {WHY}")
def test_simulation_report_renders_in_chromium(sim_dir, tmp_path):
    html = sim_dir / "report.html"
    with open_file(html, tmp_path / "profile") as (page, log):
        page.wait_for_selector("body[data-rendered]", timeout=120_000)
        state = page.evaluate(CHART_STATE_JS)
    assert log.console_errors() == [] and log.dialogs == []
    assert log.foreign_requests(html.resolve().as_uri()) == []
    assert len(state) == 3 and all(s["traces"] == s["expected"] and s["drawn"] >= 1 for s in state), state
