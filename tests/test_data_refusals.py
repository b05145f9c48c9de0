"""Every refusal of issue 14 items 1-5, run through the installed console script (``.venv/bin/alvh``).

Each case writes a small file, runs ``alvh ...`` in a subprocess and checks the exit status and that
stderr names what is wrong (file, line, column or key) without a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ALVH = str(Path(sys.executable).with_name("alvh"))

VIX_HEAD = "DATE,OPEN,HIGH,LOW,CLOSE\n"
VIX_OK = VIX_HEAD + "01/02/2020,13.46,13.72,12.42,12.47\n01/03/2020,15.01,16.20,13.13,14.02\n"
SPX_HEAD = "Date,Open,High,Low,Close,Volume\n"
SPX_OK = SPX_HEAD + "2020-01-02,3244.67,3258.14,3235.53,3257.85,100\n2020-01-03,3226.36,3246.15,3222.34,3234.85,100\n"


def alvh(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ALVH_DATA_DIR"}
    env["COLUMNS"] = "200"
    env["HOME"] = env.get("ALVH_TEST_HOME", env.get("HOME", "/tmp"))
    env.update(env_extra or {})
    return subprocess.run([ALVH, *args], capture_output=True, text=True, env=env, timeout=timeout)


def refused(r: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    text = " ".join(r.stderr.split())
    for n in needles:
        assert n in text, (n, r.stderr)


# (kind, file text, extra args, substrings of the one-line error)
IMPORT_REFUSALS = {
    "vix_1e300": (
        "vix",
        VIX_HEAD + "01/02/2020,13.46,13.72,12.42,1e300\n",
        [],
        ["line 2", "column 'CLOSE'", "implausible value 1e+300"],
    ),
    "vix_huge_int": (
        "vix",
        VIX_HEAD + "01/02/2020,13.46,13.72,12.42,99999999999999999999999\n",
        [],
        ["line 2", "implausible value 1e+23"],
    ),
    "vix_2031": (
        "vix",
        VIX_HEAD + "01/02/2031,13.46,13.72,12.42,12.47\n",
        [],
        ["line 2", "column 'DATE'", "2031-01-02 is in the future"],
    ),
    "vix_sunday": (
        "vix",
        VIX_HEAD + "01/05/2020,13.46,13.72,12.42,12.47\n",
        [],
        ["line 2", "2020-01-05 is a Sunday, not an NYSE session"],
    ),
    "vix_1800": (
        "vix",
        VIX_HEAD + "01/02/1800,13.46,13.72,12.42,12.47\n",
        [],
        ["line 2", "1800-01-02 is before vix could have data", "1990-01-02"],
    ),
    "spx_holiday": (
        "spx",
        SPX_HEAD + "2020-01-17,3323.66,3329.88,3318.86,3329.62,1\n2020-01-20,3323.66,3329.88,3318.86,3329.62,1\n",
        [],
        ["line 3", "NYSE holiday (Dr. Martin Luther King Jr. Day)"],
    ),
    "spx_negative_volume": (
        "spx",
        SPX_HEAD + "2020-01-02,3244.67,3258.14,3235.53,3257.85,-5\n",
        [],
        ["line 2", "column 'Volume'", "negative count -5"],
    ),
    "vix_file_as_spx": (
        "spx",
        "Date,Open,High,Low,Close\n2020-01-02,13.46,13.72,12.42,12.47\n2020-01-03,15.01,16.20,13.13,14.02\n",
        [],
        ["line 2", "look like a volatility index", "SPX >= 2200"],
    ),
    "spx_file_as_vix": (
        "vix",
        "Date,Open,High,Low,Close\n2020-01-02,3244.67,3258.14,3235.53,3257.85\n",
        [],
        ["line 2", "look like an equity index"],
    ),
    "rate_in_percent": ("rate", "date,value\n2020-01-02,1.5\n", [], ["line 2", "looks like percent", "--percent"]),
    "events_escape_cell": (
        "events",
        "date,note\n2020-01-29,\x1b[31mred\n",
        ["--name", "fomc"],
        ["line 2", "control character U+001B"],
    ),
    "events_escape_name": (
        "events",
        "date\n2020-01-29\n",
        ["--name", "fo\x1b[2Jmc"],
        ["'--name'", "control character U+001B"],
    ),
    "series_escape_cell": ("series", "date,value\n2020-01-02,1\x07\n", ["--name", "x"], ["line 2", "U+0007"]),
    "vx_tenor_table": (
        "vx",
        "trade_date,tenor_monthly,tenor_days,tenor_trade_days,expiry,settle\n2004-03-26,1,53,38,2004-05-18,20.32\n",
        [],
        ["constant-tenor table"],
    ),
}


@pytest.mark.parametrize("case", sorted(IMPORT_REFUSALS))
def test_import_refusal(tmp_path: Path, case: str) -> None:
    kind, text, extra, needles = IMPORT_REFUSALS[case]
    f = tmp_path / "in.csv"
    f.write_text(text)
    store = tmp_path / "store"
    refused(
        alvh("data", "import", kind, str(f), *extra, "--data-dir", str(store)),
        str(f) if "name" not in case else "--name",
        *needles,
    )
    if (store / "alvh.duckdb").exists():  # nothing was written
        r = alvh("data", "history", "--data-dir", str(store), "--json")
        assert r.returncode == 0 and r.stdout.strip() == "[]"


@pytest.mark.parametrize("target,needle", [("dir", "is a directory, not a file"), ("/dev/null", "is a device")])
def test_import_path_named_as_what_it_is(tmp_path: Path, target: str, needle: str) -> None:
    path = str(tmp_path) if target == "dir" else target
    refused(alvh("data", "import", "vix", path, "--data-dir", str(tmp_path / "s")), path, needle)


def test_ten_x_jump_is_a_warning_with_the_row(tmp_path: Path) -> None:
    f = tmp_path / "spx.csv"
    f.write_text(SPX_OK + "2020-01-06,32173.14,32468.22,31908.53,32460.64,100\n")
    r = alvh("data", "import", "spx", str(f), "--data-dir", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    assert "line 4" in r.stdout and "suspicious one-day move" in " ".join(r.stdout.split())
    # data check: a warning (exit 0) unless --strict makes every warning a failure; --fail-on-gaps only gaps
    s = str(tmp_path / "s")
    r = alvh("data", "check", "--data-dir", s)
    assert r.returncode == 0 and "warn" in r.stdout and "suspicious" in r.stdout, (r.stdout, r.stderr)
    assert alvh("data", "check", "--data-dir", s, "--fail-on-gaps").returncode == 0
    r = alvh("data", "check", "--data-dir", s, "--strict")
    assert r.returncode == 1 and "FAIL" in r.stdout and "suspicious" in r.stdout, (r.stdout, r.stderr)


def test_rate_percent_flag_and_fred_dtb3(tmp_path: Path, shared_data: Path) -> None:
    f = tmp_path / "r.csv"
    f.write_text("date,value\n2020-01-02,1.5\n")
    s = str(tmp_path / "s")
    r = alvh("data", "import", "rate", str(f), "--percent", "--data-dir", s)
    assert r.returncode == 0, r.stderr
    r = alvh(
        "data",
        "import",
        "rate",
        str(shared_data / "rates/DTB3_1990_2026.csv"),
        "--data-dir",
        s,
        "--on-conflict",
        "replace",
    )
    assert r.returncode == 0, r.stderr
    assert "-ln(1 - d*91/360)*365/91" in " ".join(r.stdout.split())


RULES_REFUSALS = {
    "weight_as_text": (
        "[[layers]]\nname = 'short'\nweight = \"0.04\"\nmin_dte = 0\nmax_dte = 30\n",
        ["key 'layers.0.weight'", "the text '0.04'"],
    ),
    "typo": (
        "[[layers]]\nname = 'short'\nwieght = 0.04\nmin_dte = 0\nmax_dte = 30\n",
        ["key 'layers.0.wieght'", "did you mean 'weight'?"],
    ),
    "rebalance_without_layers": ("layers = []\n[rebalance]\nenabled = true\n", ["key 'rebalance.enabled'"]),
}


@pytest.mark.parametrize("case", sorted(RULES_REFUSALS))
def test_rules_refusal(tmp_path: Path, case: str) -> None:
    text, needles = RULES_REFUSALS[case]
    f = tmp_path / "rules.toml"
    f.write_text(text)
    r = alvh("rules", "check", str(f))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    text_err = " ".join(r.stderr.split())
    for n in needles:
        assert n in text_err, (n, r.stderr)


def test_rules_with_bom_and_crlf_pass(tmp_path: Path) -> None:
    f = tmp_path / "rules.toml"
    f.write_bytes(b"\xef\xbb\xbf[general]\r\ncapital = 2e7\r\n")
    r = alvh("rules", "check", str(f))
    assert r.returncode == 0, r.stderr


@pytest.fixture()
def small_store(tmp_path: Path) -> Path:
    s = tmp_path / "store"
    (tmp_path / "vix.csv").write_text(VIX_OK)
    (tmp_path / "spx.csv").write_text(SPX_OK)
    for kind in ("vix", "spx"):
        r = alvh("data", "import", kind, str(tmp_path / f"{kind}.csv"), "--data-dir", str(s))
        assert r.returncode == 0, r.stderr
    return s


def test_conflict_is_a_table_with_a_count_and_a_csv(tmp_path: Path, small_store: Path) -> None:
    lines = [VIX_HEAD.strip()]
    import pandas as pd

    days = pd.bdate_range("2020-01-02", periods=15)
    from alvh.calendar import sessions_between

    ses = set(str(d) for d in sessions_between("2020-01-01", "2020-02-28"))
    days = [d for d in days if str(d.date()) in ses][:12]
    for d in days:
        lines.append(f"{d:%m/%d/%Y},20,21,19,20.5")
    f = tmp_path / "b.csv"
    f.write_text("\n".join(lines) + "\n")
    r = alvh("data", "import", "vix", str(f), "--data-dir", str(small_store))
    assert r.returncode == 2
    err = r.stderr
    assert "2 conflict(s)" in err or "conflict(s)" in err
    # a table: a header line, then one line per conflict (no giant single line)
    assert any(ln.split()[:3] == ["series", "date", "column"] for ln in err.splitlines()), err
    f2 = tmp_path / "many.csv"
    many = [VIX_HEAD.strip()]
    many += [f"{d:%m/%d/%Y},20,21,19,20.5" for d in days[:2]]
    f2.write_text("\n".join(many) + "\n")
    r = alvh("data", "import", "vix", str(f2), "--data-dir", str(small_store), "--on-conflict", "replace")
    assert r.returncode == 0 and "resolved with --on-conflict replace" in r.stdout


def test_history_remove_restores_what_was_replaced(tmp_path: Path, small_store: Path) -> None:
    f = tmp_path / "b.csv"
    f.write_text(VIX_HEAD + "01/03/2020,15.01,16.20,13.13,14.05\n01/06/2020,13.85,16.39,13.54,13.85\n")
    s = str(small_store)
    r = alvh("data", "import", "vix", str(f), "--data-dir", s, "--on-conflict", "replace")
    assert r.returncode == 0 and "import 3" in r.stdout, r.stdout
    r = alvh("data", "history", "--data-dir", s)
    assert r.returncode == 0 and "b.csv" in r.stdout
    r = alvh("data", "remove", "3", "--data-dir", s)
    assert r.returncode == 0 and "2 row(s) deleted, 1 row(s) it had replaced restored" in r.stdout, r.stdout
    from alvh.data.store import Store

    with Store.open(small_store, read_only=True) as st:
        v = st.index_frame("vix")
    assert list(v["close"]) == [12.47, 14.02]
    refused(alvh("data", "remove", "3", "--data-dir", s), "no import with id 3", "[1, 2]")


def test_store_with_an_out_of_range_row_opens_and_check_names_it(tmp_path: Path, small_store: Path) -> None:
    import duckdb

    con = duckdb.connect(str(small_store / "alvh.duckdb"))
    con.execute("INSERT INTO index_daily VALUES ('vix', DATE '1800-01-02', 1, 1, 1, 1e300, 2)")
    con.close()
    r = alvh("data", "info", "--data-dir", str(small_store))
    assert r.returncode == 0, r.stderr
    r = alvh("data", "check", "--data-dir", str(small_store))
    assert r.returncode == 1
    out = " ".join(r.stdout.split())
    assert "vix on 1800-01-02" in out and "before vix could have data" in out and "[import 2]" in out
    assert "implausible value 1e+300" in out


def test_locked_store_waits_then_times_out(tmp_path: Path, small_store: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; "
            f"c = duckdb.connect({str(small_store / 'alvh.duckdb')!r}); print('ready', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        f = tmp_path / "v.csv"
        f.write_text(VIX_OK)
        r = alvh("data", "import", "vix", str(f), "--data-dir", str(small_store), "--lock-timeout", "1")
        refused(r, "locked by another process", "1 s", "--lock-timeout")
        assert "waiting up to 1 s" in r.stderr
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    r = alvh("data", "import", "vix", str(f), "--data-dir", str(small_store), "--lock-timeout", "5")
    assert r.returncode == 0, r.stderr


def test_backtest_store_default_and_span_errors(tmp_path: Path, small_store: Path) -> None:
    refused(
        alvh("backtest", "--out", str(tmp_path / "o"), env_extra={"ALVH_DATA_DIR": str(tmp_path / "none")}),
        "no market-data store in the folder given by ALVH_DATA_DIR",
    )
    r = alvh(
        "backtest", "--out", str(tmp_path / "o"), "--start", "2019-12-02", env_extra={"ALVH_DATA_DIR": str(small_store)}
    )
    refused(r, "option --start", "2019-12-02 is before the data", "2020-01-02..2020-01-03")


def test_backtest_that_cannot_trade_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "rules.toml"
    f.write_text("[general]\ncapital = 1000.0\n")
    r = alvh(
        "backtest",
        "--rules",
        str(f),
        "--start",
        "2016-01-04",
        "--end",
        "2016-03-31",
        "--out",
        str(tmp_path / "o"),
        env_extra={"XDG_DATA_HOME": str(tmp_path / "xdg")},
    )
    # refused before the engine's day loop (alvh.api.check_can_trade), with the capital each part needs
    refused(
        r,
        "key 'general.capital'",
        "cannot open one contract on any day of 2016-01-04..2016-03-31",
        "capital $1,000 is too small for one contract",
        "the core needs $",
        "core.max_loss_fraction",
        "the layers need 'short' (weight 0.04) $",
        "layers.weight",
    )
    assert "data: embedded default" in r.stdout


def test_a_refused_first_import_leaves_no_store(tmp_path: Path) -> None:
    # an empty store would become every later run's default data (alvh.data.source): "loses nothing" also
    # means "adds nothing"; a refused import into an existing store leaves it as it was
    store = tmp_path / "store"
    bad = tmp_path / "vix.csv"
    bad.write_text(VIX_HEAD + "01/02/2020,13.46,13.72,12.42,1e300\n")
    refused(alvh("data", "import", "vix", str(bad), "--data-dir", str(store)), "vix.csv", "CLOSE")
    assert not store.exists()
    good = tmp_path / "ok.csv"
    good.write_text(VIX_OK)
    assert alvh("data", "import", "vix", str(good), "--data-dir", str(store)).returncode == 0
    refused(alvh("data", "import", "vix", str(bad), "--data-dir", str(store)), "vix.csv")
    assert (store / "alvh.duckdb").is_file()
    r = alvh("data", "history", "--data-dir", str(store))
    assert r.returncode == 0 and "ok.csv" in r.stdout and "vix.csv" not in r.stdout
