"""alvh report (redraw from saved outputs), alvh compare (side by side, rules diff), --png, the report model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from alvh.errors import DataError
from alvh.report.files import load_report
from alvh.report.html import render_html
from alvh.report.model import Report
from alvh.report.outputs import verify

RUN = [sys.executable, "-c", "from alvh.cli import main; main()"]
SPAN = ["--start", "2016-01-01", "--end", "2016-12-30"]


def _alvh(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUN, *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("runs")
    rules = base / "r.toml"
    rules.write_text("[core]\nshort_put_delta = 0.12\n")
    a, b = base / "a", base / "b"
    r = _alvh("backtest", *SPAN, "--out", str(a), "--png", str(a / "png"))
    assert r.returncode == 0, r.stderr
    r = _alvh("backtest", *SPAN, "--rules", str(rules), "--out", str(b))
    assert r.returncode == 0, r.stderr
    return a, b


def test_report_data_round_trips_and_holds_the_run_figures(two_runs):
    a, _ = two_runs
    rep = load_report(a)
    assert Report.from_dict(rep.to_dict()).to_dict() == rep.to_dict()
    s = json.loads((a / "summary.json").read_text())
    hc = s["analysis"]["hedge_cost"]
    assert rep.headline["hedge cost, all layers (bp/month)"] == hc["total_bp_per_month"]
    assert rep.headline["trades"] == s["n_trades"]
    # the cumulative cost chart ends at the run's total hedge cost (bp x months), from daily.parquet
    daily = pd.read_parquet(a / "daily.parquet")
    cum = next(c for c in rep.charts() if c.id == "cost_cumulative")
    last = next(x for x in reversed(next(s for s in cum.series if s.name == "all layers").y) if x is not None)
    assert last == pytest.approx(daily["hedge_cost_all_total_bp"].sum(), rel=1e-12)
    nav = next(c for c in rep.charts() if c.id == "nav")
    hedged = next(s for s in nav.series if s.name == "core + hedge").y
    assert hedged[-1] == pytest.approx(daily["nav"].iloc[-1], rel=1e-9)  # core + hedge = the run's NAV
    assert rep.meta["rules_text"] == (a / "rules.toml").read_text()
    # every chart drawn as PNG, listed in the run's manifest (the --png folder was inside --out)
    names = {f["name"] for f in verify(a)["files"]}
    assert {f"png/{k + 1:02d}_{c.id}.png" for k, c in enumerate(rep.charts())} <= names


def test_alvh_report_redraws_the_same_html_and_keeps_the_manifest_true(two_runs, tmp_path):
    a, _ = two_runs
    before = (a / "report.html").read_bytes()
    r = _alvh("report", str(a), "--png", str(tmp_path / "png"))
    assert r.returncode == 0, r.stderr
    assert (a / "report.html").read_bytes() == before  # same saved data, same alvh: byte-identical
    verify(a)
    assert len(list((tmp_path / "png").glob("*.png"))) == len(load_report(a).charts())
    out = tmp_path / "copy.html"
    assert _alvh("report", str(a), "--out", str(out)).returncode == 0
    assert out.read_bytes() == before
    r = _alvh("report", str(a), "--out", str(out))
    assert r.returncode == 2 and "exists" in r.stderr


def test_alvh_report_refuses_a_changed_or_unfinished_run(two_runs, tmp_path):
    a, _ = two_runs
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{}")
    r = _alvh("report", str(bad))
    assert r.returncode == 2 and "no manifest.json" in r.stderr
    with pytest.raises(DataError, match="nope: is not a folder"):
        load_report(bad.parent / "nope")  # not a folder: named
    # a tampered report_data.json is refused by its checksum
    import shutil

    c = tmp_path / "c"
    shutil.copytree(a, c)
    p = c / "report_data.json"
    p.write_text(p.read_text().replace('"backtest"', '"tampered"', 1))
    r = _alvh("report", str(c))
    assert r.returncode == 2 and "SHA-256 differs" in r.stderr and "report_data.json" in r.stderr


def test_alvh_compare_prints_figures_side_by_side_with_differences_and_the_rules_diff(two_runs, tmp_path):
    a, b = two_runs
    out = tmp_path / "cmp"
    r = _alvh("compare", str(a), str(b), "--out", str(out))
    assert r.returncode == 0, r.stderr
    ra, rb = load_report(a), load_report(b)
    table = pd.read_csv(out / "comparison.csv", dtype=str)
    row = table[table["figure"] == "hedge cost, all layers (bp/month)"].iloc[0]
    va, vb = ra.headline["hedge cost, all layers (bp/month)"], rb.headline["hedge cost, all layers (bp/month)"]
    assert float(row[str(b) + " - " + str(a)]) == pytest.approx(vb - va, abs=0.005)
    trades = table[table["figure"] == "trades"].iloc[0]
    assert str(trades[str(b) + " - " + str(a)]) == f"{rb.headline['trades'] - ra.headline['trades']:+d}"
    assert "hedge cost, all layers (bp/month)" in r.stdout and f"{va:.2f}" in r.stdout and f"{vb:.2f}" in r.stdout
    assert "rules:" in r.stdout and "differs from" in r.stdout
    # the screen names the key that differs, with both values (a key a file leaves out: its default)
    assert "core.short_put_delta: 0.2 -> 0.12" in " ".join(r.stdout.split())
    cmp = load_report(out)
    diff = [it for s in cmp.sections if s.title == "Rules diff" for it in s.items][0]
    assert "+short_put_delta = 0.12" in getattr(diff, "text", "")
    assert {c.id for c in cmp.charts()} == {"compare_nav", "compare_cost_cumulative"}
    assert "<script>" not in render_html(cmp).split("<script")[0]  # sanity: the page head holds no script


def test_compare_needs_two_runs_and_checks_out_first(two_runs, tmp_path):
    a, _ = two_runs
    r = _alvh("compare", str(a), "--out", str(tmp_path / "c"))
    assert r.returncode == 2 and "two or more" in r.stderr
    r = _alvh("compare", str(a), str(tmp_path / "missing"), "--out", str(tmp_path / "c"))
    assert r.returncode == 2 and "missing" in r.stderr
    assert not (tmp_path / "c").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_every_bp_in_the_report_and_on_screen_names_its_capital_basis(two_runs):
    # "bp of the basis" does not say which capital; the run's basis is "initial capital (fixed)"
    a, _ = two_runs
    text = (a / "report_data.json").read_text()
    basis = json.loads((a / "summary.json").read_text())["analysis"]["hedge_cost"]["basis"]
    assert "bp of the basis" not in text
    assert f"bp of the {basis}" in text
    from alvh.report.screen import _regime_rich

    an = json.loads((a / "summary.json").read_text())["analysis"]
    assert an["hedge_cost"]["unit"].startswith(f"bp of the {basis} per month")
    assert an["against_core"]["unit"].endswith(f"bp of the {basis}")
    title = _regime_rich(pd.DataFrame(), basis).title
    assert f"bp of the {basis} per day" in str(title)


def test_readme_test_command_is_ci_run_and_installs_chromium_or_leaves_the_skip():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text().splitlines()
    cmd = next(line for line in ci if "pytest" in line)
    assert cmd in readme.splitlines()  # one command, the same in both
    assert cmd.startswith("(command -v chromium >/dev/null || (command -v apt-get >/dev/null && (apt-get install")
    assert ") || true) && " in cmd  # an install that fails leads to the browser tests' skip, not a CI failure
    assert "docs/report_screenshot.png" in readme and (root / "docs" / "report_screenshot.png").is_file()
