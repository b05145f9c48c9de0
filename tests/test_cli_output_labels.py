"""What ``alvh backtest`` prints and labels (a new user's review): the P&L rows add up to the NAV change, the two
"financing" meanings are named apart, the headline hedge cost carries its months and interval, the condors are
said to be model-priced, the break-even means say over which days, the seed claim says which layers it tests,
the first-run compile note, the PNG NAV axis."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

RUN = [sys.executable, "-c", "from alvh.cli import main; main()"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The README's main command on the embedded data (2014-2018, default rules)."""
    out = tmp_path_factory.mktemp("labels") / "out"
    r = subprocess.run([*RUN, "backtest", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report_data.json").read_text())
    tables = {it["id"]: it for s in report["sections"] for it in s["items"] if it.get("type") == "table"}
    notes = [it["text"] for s in report["sections"] if s["title"] == "Notes" for it in s["items"]]
    return {
        "out": out,
        "stdout": r.stdout,
        "flat": " ".join(r.stdout.split()),
        "summary": json.loads((out / "summary.json").read_text()),
        "tables": tables,
        "notes": notes,
    }


def _screen_pnl_rows(stdout: str) -> dict[str, tuple[float, float]]:
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 4 and cells[3].endswith("%"):
            rows[cells[0]] = (float(cells[1].replace(",", "")), float(cells[3].rstrip("%")))
    return rows


def test_the_printed_pnl_rows_add_up_to_the_total_return(run):
    rows = _screen_pnl_rows(run["stdout"])
    s = run["summary"]
    total = rows.pop("NAV change")
    assert {"interest on cash: core", "interest on cash: layers", "margin-debt interest"} <= set(rows)
    # each row rounded to $1 and 0.01 %: the sum within the rounding of the rows
    assert sum(usd for usd, _ in rows.values()) == pytest.approx(s["final_nav"] - s["capital"], abs=0.5 * len(rows))
    assert sum(pct for _, pct in rows.values()) == pytest.approx(s["total_return"] * 100, abs=0.005 * len(rows))
    assert total[1] == pytest.approx(s["total_return"] * 100, abs=0.005)
    assert rows["interest on cash: core"][0] == pytest.approx(s["interest"]["core"], abs=0.5)
    # the report holds the same table
    rep = run["tables"]["pnl_table"]
    assert [r[0] for r in rep["rows"]] == [*rows, "NAV change"]


def test_the_two_financing_meanings_have_distinct_names(run):
    s, flat = run["summary"], run["flat"]
    assert "financing" not in [c.strip() for line in run["stdout"].splitlines() for c in line.split("│")]
    assert "margin-debt interest" in flat and "cash interest" in flat
    d = s["key_descriptions"]
    assert "margin-debt" in d["financing"] and "T-bill interest" in d["interest"]
    assert "cash interest" in d["analysis.hedge_cost.split_bp_per_month.financing"]
    hc = s["analysis"]["hedge_cost"]
    assert hc["split_labels"]["financing"] == "cash interest"
    assert "financing" in hc["split_bp_per_month"]  # the key kept: compatibility
    assert run["tables"]["cost_table"]["columns"][-1] == "cash interest"


def test_the_headline_prints_its_months_interval_and_basis_everywhere(run):
    from alvh.analytics.hedge_cost import block_bootstrap_mean
    from alvh.sweep.frontier import month_block_intervals

    hc = run["summary"]["analysis"]["hedge_cost"]
    monthly = pd.read_csv(run["out"] / "drag_monthly.csv")
    allm = monthly[monthly["layer"] == "all"]
    assert hc["n_months"] == len(allm)  # every calendar month spanned
    m, lo, hi = block_bootstrap_mean(allm["total_bp"].to_numpy())
    # the headline is per month-equivalent (trading days / 21): the calendar months' mean and interval x k
    k = hc["n_months"] / hc["month_equivalents"]
    assert m * k == pytest.approx(hc["total_bp_per_month"]) and hc["ci95"] == pytest.approx([lo * k, hi * k])
    # alvh sweep's interval is over the same months
    days = pd.DatetimeIndex(pd.read_parquet(run["out"] / "daily.parquet", columns=["nav"]).index)
    n_days = pd.Series(days.to_period("M").astype(str)).value_counts()
    frame = pd.DataFrame(
        {
            "variant": 0,
            "month": allm["month"],
            "n_days": allm["month"].map(n_days).to_numpy(),
            "hedge_cost_bp": allm["total_bp"],
            "core_pct": 0.0,
            "hedged_pct": 0.0,
        }
    )
    assert frame["n_days"].sum() == len(days)
    sw = month_block_intervals(frame, [0]).iloc[0]
    sw_ci = [sw["hedge_cost_bp_per_month_ci95_lo"], sw["hedge_cost_bp_per_month_ci95_hi"]]
    assert sw_ci == pytest.approx(hc["ci95"])  # the sweep's frontier interval: the same month-equivalent basis
    ci = f"[{hc['ci95'][0]:.2f}, {hc['ci95'][1]:.2f}]"
    head = f"all layers {hc['total_bp_per_month']:.2f} bp/month of the {hc['basis']}; n = {hc['n_months']} months"
    assert head in run["flat"] and f"95% CI {ci}" in run["flat"]
    assert head in run["tables"]["cost_table"]["note"] and ci in run["tables"]["summary"]["note"]
    seed = run["tables"]["seed_claim"]["rows"]
    row = [r for r in seed if r[0].startswith("every month spanned")][0]
    assert row[1] == str(hc["n_months"]) and row[4] == f"[{hc['ci95'][0]:.1f}, {hc['ci95'][1]:.1f}]"
    assert not [r for r in seed if r[0] == "all months"]  # the full-month row says it is one


def test_the_condors_are_said_to_be_model_priced(run):
    surface = run["summary"]["metadata"]["provenance"]["surface"]
    for text in (run["flat"], " ".join(run["notes"])):
        assert "SPX condors are priced by a model, not from option chains" in text and surface in text


def test_break_even_means_carry_their_day_counts(run):
    t = run["tables"]["break_even_table"]
    assert "Means over the days a condor is held" not in t["note"] and "its own days" in t["note"]
    width = t["columns"].index("width (% of spot) [days]")
    narrow = t["columns"].index("narrowing (%) [days]")
    counts = [int(re.search(r"\[([\d,]+)\]", r[width]).group(1).replace(",", "")) for r in t["rows"]]
    assert counts[0] >= counts[1] >= counts[2]  # fewer zones survive a larger shift
    n_narrow = {re.search(r"\[([\d,]+)\]", r[narrow]).group(1) for r in t["rows"]}
    assert len(n_narrow) == 1  # narrowing: always over the unshifted bounded zones


def test_the_seed_claim_says_which_layers_it_tests(run):
    sc = run["summary"]["analysis"]["seed_claim"]
    assert sc["layers"] == "adjusted"  # the default rules rebalance
    assert "tested on this run's layers, ADJUSTED by the rebalance rule" in run["flat"]
    assert "SEED CLAIM (18-35 bp/month, unadjusted layers" not in run["flat"]
    assert "[rebalance] enabled = false" in run["flat"]
    assert "ADJUSTED" in run["tables"]["seed_claim"]["title"]


def test_the_png_nav_axis_is_in_millions():
    from alvh.report.model import Chart, Series
    from alvh.report.png import chart_figure

    x = [f"2020-01-{d:02d}" for d in range(1, 11)]
    chart = Chart("nav", "NAV", [Series("a", x, list(np.linspace(1e7, 1.2e7, 10)))], panels=["NAV ($)"])
    fig = chart_figure(chart)
    fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_ylabel().replace("\\$", "$") == "NAV ($ millions)"
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(float(t) < 100 for t in ticks) and not ax.yaxis.get_offset_text().get_text()


# ------------------------------------------------------------------ the first run's compile note
def _module(tmp: Path, src: str = "x = 1\n") -> Path:
    (tmp / "pkg").mkdir(exist_ok=True)
    f = tmp / "pkg" / "kern.py"
    f.write_text(src)
    return f


def _index(f: Path, stamp: bytes) -> None:
    d = f.parent / "__pycache__"
    d.mkdir(exist_ok=True)
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    (d / f"kern.k-1.{tag}.nbi").write_bytes(b"\x80\x05header" + stamp + b"tail")


def test_cold_modules_finds_an_empty_or_stale_cache(tmp_path, monkeypatch):
    from alvh._kernel_cache import cold_modules

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    f = _module(tmp_path)
    assert cold_modules(tmp_path, ("pkg/kern.py",)) == ["pkg/kern.py"]  # no cache at all
    _index(f, hashlib.sha256(f.read_bytes()).digest())
    assert cold_modules(tmp_path, ("pkg/kern.py",)) == []  # cached for this source
    f.write_text("x = 2\n")  # the module edited: numba recompiles
    assert cold_modules(tmp_path, ("pkg/kern.py",)) == ["pkg/kern.py"]
    assert cold_modules(tmp_path, ("pkg/missing.py",)) == []  # not shipped: nothing to compile


def test_cold_modules_reads_numba_cache_dir(tmp_path, monkeypatch):
    from alvh._kernel_cache import _cache_dirs, cold_modules

    f = _module(tmp_path)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nc"))
    d = _cache_dirs(f)[0]
    d.mkdir(parents=True)
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    (d / f"kern.k-1.{tag}.nbi").write_bytes(hashlib.sha256(f.read_bytes()).digest())
    assert cold_modules(tmp_path, ("pkg/kern.py",)) == []


def test_the_kernel_list_names_modules_with_cached_kernels_and_the_check_imports_no_numba():
    import alvh
    from alvh._kernel_cache import KERNEL_MODULES

    pkg = Path(alvh.__file__).parent
    for rel in KERNEL_MODULES:
        assert "cache=True" in (pkg / rel).read_text(), rel
    code = "import sys; from alvh._kernel_cache import first_run_note; first_run_note(); print('numba' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


def test_a_cold_cache_prints_one_note_on_stderr(tmp_path, monkeypatch):
    # an empty NUMBA_CACHE_DIR is a cold cache; the run stops right after the note (alvh.api.run replaced), so
    # nothing is compiled
    from typer.testing import CliRunner

    import alvh.api
    from alvh.cli.backtest import app

    class Stop(Exception):
        pass

    def stop(*_a: object, **_k: object) -> None:
        raise Stop

    monkeypatch.setattr(alvh.api, "run", stop)
    runner = CliRunner()
    for env, expected in (({"NUMBA_CACHE_DIR": str(tmp_path / "empty")}, 1), ({}, 0)):
        monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        r = runner.invoke(
            app, ["--start", "2016-01-04", "--end", "2016-02-26", "--out", str(tmp_path / f"o{expected}")]
        )
        assert isinstance(r.exception, Stop)
        text = r.stderr if hasattr(r, "stderr") else r.output
        if expected == 0 and __import__("alvh._kernel_cache", fromlist=["x"]).cold_modules():
            continue  # this checkout's own cache is cold (a fresh clone's first test run): nothing to compare
        assert text.count("numba compiles alvh's kernels") == expected, text
