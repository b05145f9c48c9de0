"""``alvh data import|info|check``: in-process through typer's runner, and the exit-code/stderr contract
through the real console entry point (subprocess, a few tests only: each costs ~2 s of imports)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alvh.errors import InputError

VIX = "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,13.46,13.72,12.42,12.47\n01/03/2020,15.01,16.20,13.13,14.02\n"
SPX = (
    "Date,Open,High,Low,Close\n2020-01-02,3244.67,3258.14,3235.53,3257.85\n2020-01-03,3226.36,3246.15,3222.34,3234.85\n"
)


def alvh(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ALVH_DATA_DIR"}
    if data_dir is not None:
        env["ALVH_DATA_DIR"] = str(data_dir)
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-c", "from alvh.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


class _Result:
    def __init__(self, returncode: int, stdout: str) -> None:
        self.returncode = returncode
        self.stdout = stdout


def run(*args: str, data_dir: Path | None = None) -> _Result:
    """``alvh data ARGS`` in-process (typer's CliRunner on the ``data`` group)."""
    from typer.testing import CliRunner

    from alvh.cli.data import app

    env = {"ALVH_DATA_DIR": str(data_dir)} if data_dir is not None else {}
    r = CliRunner().invoke(
        app, list(args[1:]) if args and args[0] == "data" else list(args), env=env, catch_exceptions=False
    )
    return _Result(r.exit_code, r.stdout)


def test_help_on_every_command() -> None:
    r = alvh("data", "--help")
    assert r.returncode == 0 and "Usage" in r.stdout
    for cmd in (["import", "--help"], ["info", "--help"], ["check", "--help"]):
        r2 = run(*cmd)
        assert r2.returncode == 0 and "Usage" in r2.stdout


def test_info_on_embedded_default(tmp_path: Path) -> None:
    r = run("data", "info", "--json", data_dir=tmp_path / "empty")
    assert r.returncode == 0
    payload = json.loads(r.stdout)
    assert payload["source"].startswith("embedded default")
    md = payload["market_data"]
    assert md["span"] == ["2014-01-03", "2018-12-31"]
    assert md["vx"].startswith("none")
    text = run("data", "info", data_dir=tmp_path / "empty")
    assert text.returncode == 0 and "no VX futures data" in text.stdout
    assert not (tmp_path / "empty").exists()  # info never creates a store


def test_import_info_check_roundtrip(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (tmp_path / "v.csv").write_text(VIX)
    (tmp_path / "s.csv").write_text(SPX)
    r = run("data", "import", "vix", str(tmp_path / "v.csv"), "--data-dir", str(store))
    assert r.returncode == 0 and "2 new" in r.stdout
    r = run("data", "import", "vix", str(tmp_path / "v.csv"), "--data-dir", str(store))
    assert "0 new" in r.stdout and "unchanged" in r.stdout
    assert run("data", "import", "spx", str(tmp_path / "s.csv"), data_dir=store).returncode == 0
    info = json.loads(run("data", "info", "--json", "--data-dir", str(store)).stdout)
    assert info["store"]["series"]["vix"]["rows"] == 2
    assert info["market_data"]["trading_days"] == 2
    r = run("data", "check", "--data-dir", str(store))
    assert r.returncode == 0 and "0 failure(s)" in r.stdout


def test_bad_file_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text(VIX.replace("14.02", "."))
    r = alvh("data", "import", "vix", str(tmp_path / "v.csv"), "--data-dir", str(tmp_path / "s"))
    assert r.returncode == 2
    assert "line 3" in r.stderr and "column 'CLOSE'" in r.stderr and "Traceback" not in r.stderr
    d = alvh("--debug", "data", "import", "vix", str(tmp_path / "v.csv"), "--data-dir", str(tmp_path / "s"))
    assert d.returncode != 0 and "Traceback" in d.stderr


def test_conflict_exits_non_zero_and_lists_values(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (tmp_path / "a.csv").write_text(VIX)
    (tmp_path / "b.csv").write_text(VIX.replace("14.02", "14.50"))
    assert run("data", "import", "vix", str(tmp_path / "a.csv"), data_dir=store).returncode == 0
    r = alvh("data", "import", "vix", str(tmp_path / "b.csv"), data_dir=store)
    assert r.returncode == 2 and "14.02" in r.stderr and "14.5" in r.stderr and "2020-01-03" in r.stderr
    r = run("data", "import", "vix", str(tmp_path / "b.csv"), "--on-conflict", "keep", data_dir=store)
    assert r.returncode == 0 and "resolved with --on-conflict keep" in r.stdout
    assert "vix     2020-01-03  close" in r.stdout  # a table row: series, date, column, stored, new, file


def test_check_fails_on_a_broken_store(tmp_path: Path) -> None:
    import duckdb

    store = tmp_path / "store"
    (tmp_path / "v.csv").write_text(VIX)
    assert run("data", "import", "vix", str(tmp_path / "v.csv"), data_dir=store).returncode == 0
    con = duckdb.connect(str(store / "alvh.duckdb"))
    con.execute("UPDATE index_daily SET close = -1 WHERE date = DATE '2020-01-02'")
    con.close()
    r = run("data", "check", "--json", data_dir=store)
    assert r.returncode == 1
    assert json.loads(r.stdout)["failures"]


def test_info_after_importing_shared_data(real_store_dir: Path) -> None:
    """The issue's acceptance check: SPX 1927-2026, VIX 1990-2026, VX 2004-2025 and contango per year."""
    r = run("data", "info", "--json", "--data-dir", str(real_store_dir))
    assert r.returncode == 0
    p = json.loads(r.stdout)
    s = p["store"]["series"]
    assert (s["spx"]["first"][:4], s["spx"]["last"][:4]) == ("1927", "2026")
    assert (s["vix"]["first"][:4], s["vix"]["last"][:4]) == ("1990", "2026")
    assert (s["vx"]["first"][:4], s["vx"]["last"][:4]) == ("2004", "2025")
    shares = p["market_data"]["contango_share_by_year"]
    assert set(shares) == {str(y) for y in range(2004, 2026)}
    assert all(0.0 <= v["share"] <= 1.0 for v in shares.values())


def test_event_name_near_miss_is_refused_custom_name_is_labelled(tmp_path: Path) -> None:
    # `--name fmoc` (a typo of fomc) used to import silently as a new calendar (event_fmoc regime rows)
    ev = tmp_path / "fomc.csv"
    ev.write_text("date\n2020-01-29\n2020-03-03\n2020-03-15\n")
    store = tmp_path / "s"
    r = alvh("data", "import", "events", str(ev), "--name", "fmoc", "--data-dir", str(store))
    assert r.returncode == 2 and "did you mean 'fomc'?" in r.stderr and "Traceback" not in r.stderr
    assert not (store / "alvh.duckdb").exists()  # nothing written, no empty store left behind
    from alvh.data.store import check_event_name

    for typo, kind in (("FOMC", "fomc"), ("cpi2", "cpi"), ("ppl", "ppi"), ("cip", "cpi")):
        with pytest.raises(InputError, match=f"did you mean '{kind}'"):
            check_event_name(typo)
    assert check_event_name("fomc") is False and check_event_name("ecb") is True
    ok = run("data", "import", "events", str(ev), "--name", "ecb", data_dir=store)
    assert ok.returncode == 0 and "custom calendar" in ok.stdout and "event_ecb" in ok.stdout
    known = run("data", "import", "events", str(ev), "--name", "fomc", data_dir=store)
    assert known.returncode == 0 and "custom calendar" not in known.stdout
