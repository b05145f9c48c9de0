"""The DuckDB store: idempotent imports, conflict reporting, all-or-nothing writes, location rules."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from alvh.data import MarketData, Store, default_data_dir
from alvh.data.store import DB_NAME
from alvh.errors import DataError, InputError

VIX = (
    "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,13.46,13.72,12.42,12.47\n01/03/2020,15.01,16.20,13.13,14.02\n"
    "01/06/2020,15.45,16.39,13.54,13.85\n"
)
SPX = (
    "Date,Open,High,Low,Close\n2020-01-02,3244.67,3258.14,3235.53,3257.85\n"
    "2020-01-03,3226.36,3246.15,3222.34,3234.85\n2020-01-06,3217.55,3246.84,3214.64,3246.28\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def counts(folder: Path) -> dict[str, int]:
    con = duckdb.connect(str(folder / DB_NAME), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("index_daily", "vx_daily", "imports")
        }
    finally:
        con.close()


def test_conflicts_in_several_columns_name_them_all(tmp_path: Path, data_dir: Path) -> None:
    """A row changed in four columns is not "column 'open': 4 conflict(s)"."""
    with Store.open(data_dir) as st:
        st.import_files("vix", [write(tmp_path / "a.csv", VIX)])
    first = VIX.splitlines()[1].split(",")
    changed_row = ",".join([first[0], *(f"{float(v) + 1:.2f}" for v in first[1:])])
    changed = VIX.replace(VIX.splitlines()[1], changed_row)
    with Store.open(data_dir) as st, pytest.raises(DataError) as info:
        st.import_files("vix", [write(tmp_path / "b.csv", changed)])
    msg = str(info.value)
    assert "4 conflict(s) in columns open, high, low, close" in msg, msg
    assert info.value.column is None and "column 'open'" not in msg


def test_import_twice_changes_nothing(tmp_path: Path, data_dir: Path) -> None:
    f = write(tmp_path / "VIX_History.csv", VIX)
    with Store.open(data_dir) as st:
        r1 = st.import_files("vix", [f])
    before = counts(data_dir)
    with Store.open(data_dir) as st:
        r2 = st.import_files("vix", [f])
    assert r1.rows_new == 3 and r1.changed
    assert r2.rows_new == 0 and r2.rows_same == 3 and not r2.changed
    assert counts(data_dir) == before  # not even a new import-log row


def test_conflict_reported_and_nothing_written(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(data_dir) as st:
        st.import_files("vix", [write(tmp_path / "a.csv", VIX)])
    before = counts(data_dir)
    changed = VIX.replace("14.02", "14.05").replace("01/06/2020", "01/07/2020").replace("\n", "\n", 1)
    changed += "01/08/2020,13.5,13.9,13.1,13.45\n"
    with Store.open(data_dir) as st, pytest.raises(DataError) as info:
        st.import_files("vix", [write(tmp_path / "b.csv", changed)])
    msg = str(info.value)
    assert "1 conflict(s)" in msg and "14.02" in msg and "14.05" in msg
    assert any(line.split()[:3] == ["vix", "2020-01-03", "close"] for line in msg.splitlines())  # a table row
    assert info.value.column == "close"
    assert counts(data_dir) == before  # the new 01/07 and 01/08 rows were not written either


def test_conflict_keep_and_replace(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(data_dir) as st:
        st.import_files("vix", [write(tmp_path / "a.csv", VIX)])
        b = write(tmp_path / "b.csv", VIX.replace("14.02", "14.05"))
        keep = st.import_files("vix", [b], on_conflict="keep")
        assert len(keep.conflicts) == 1 and not keep.changed
        assert st.index_frame("vix").loc["2020-01-03", "close"] == 14.02
        rep = st.import_files("vix", [b], on_conflict="replace")
        assert len(rep.conflicts) == 1 and rep.changed
        assert st.index_frame("vix").loc["2020-01-03", "close"] == 14.05


def test_conflict_inside_one_batch(tmp_path: Path, data_dir: Path) -> None:
    a = write(tmp_path / "a.csv", VIX)
    b = write(tmp_path / "b.csv", VIX.replace("13.85", "13.95"))
    with Store.open(data_dir) as st, pytest.raises(DataError, match="13.85.*13.95"):
        st.import_files("vix", [a, b])
    assert counts(data_dir)["index_daily"] == 0


def test_identical_overlap_inside_one_batch(tmp_path: Path, data_dir: Path) -> None:
    a = write(tmp_path / "a.csv", VIX)
    b = write(
        tmp_path / "b.csv",
        VIX.replace("01/06/2020,15.45,16.39,13.54,13.85\n", "")
        + "01/06/2020,15.45,16.39,13.54,13.85\n01/07/2020,13.5,13.9,13.1,13.45\n",
    )
    with Store.open(data_dir) as st:
        r = st.import_files("vix", [a, b])
        assert r.rows_in == 7 and r.rows_new == 4 and not r.conflicts
        assert len(st.index_frame("vix")) == 4


def test_bad_file_in_batch_writes_nothing(tmp_path: Path, data_dir: Path) -> None:
    good = write(tmp_path / "good.csv", VIX)
    bad = write(tmp_path / "bad.csv", VIX.replace("13.85", "."))
    with Store.open(data_dir) as st, pytest.raises(DataError, match="line 4"):
        st.import_files("vix", [good, bad])
    assert counts(data_dir)["index_daily"] == 0


def test_vx_overlap_between_layouts_reconciled(tmp_path: Path, data_dir: Path, shared_data: Path) -> None:
    """The real long table, then the same contract again in Cboe's current layout: all rows already stored."""
    import gzip

    from helpers import current_file  # writes a real contract in Cboe's current layout

    with gzip.open(shared_data / "vix_futures/vx_contracts_daily_2004_2025.csv.gz", "rt") as fh:
        lines = fh.read().splitlines()
    path, rows = current_file(tmp_path, lines, "F16")
    head = tmp_path / "vx_part.csv"
    keep = [lines[0]] + [ln for ln in lines[1:] if ",F16," in ln or ",G16," in ln]
    write(head, "\n".join(keep) + "\n")
    with Store.open(data_dir) as st:
        st.import_files("vx", [head])
        r = st.import_files("vx", [path])
        assert r.rows_new == 0 and r.rows_same == len(rows) and not r.conflicts
        text = path.read_text().splitlines()
        cells = text[5].split(",")
        cells[6] = str(float(cells[6]) + 0.05)  # Settle
        text[5] = ",".join(cells)
        (tmp_path / "edited").mkdir()
        bad = write(tmp_path / "edited" / "VX_2016-01-20.csv", "\n".join(text) + "\n")
        with pytest.raises(DataError, match=r"2015-04-24\s+F16\s+settle\s+19.175\s+19.225"):
            st.import_files("vx", [bad])


def test_market_data_from_store(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(data_dir) as st:
        st.import_files("vix", [write(tmp_path / "v.csv", VIX)])
        st.import_files("spx", [write(tmp_path / "s.csv", SPX)])
        st.import_files("series", [write(tmp_path / "r.csv", "date,rate\n2019-12-31,0.0155\n")])
        st.import_files("series", [write(tmp_path / "fx.csv", "date,eurusd\n2020-01-02,1.12\n")])
    md = MarketData.from_store()  # ALVH_DATA_DIR set by the data_dir fixture
    assert len(md.dates) == 3 and md.vx is None
    assert (md.rate == 0.0155).all() and "carried forward" in md.provenance["rate"]
    assert list(md.exog) == ["eurusd"]
    assert "no VX futures data" in md.provenance["vx"]
    s = MarketData.from_store(data_dir, start="2020-01-03", end="2020-01-03")
    assert len(s.dates) == 1


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no market-data store here yet"):
        MarketData.from_store(tmp_path / "nothing")


def test_store_without_vix(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(data_dir) as st:
        st.import_files("spx", [write(tmp_path / "s.csv", SPX)])
    with pytest.raises(DataError, match="no VIX data"):
        MarketData.from_store(data_dir)


def test_unknown_kind_and_events_label(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(data_dir) as st:
        with pytest.raises(InputError, match="kind"):
            st.import_files("vxx", [tmp_path / "x.csv"])
        with pytest.raises(InputError, match="name"):
            st.import_files("events", [write(tmp_path / "e.csv", "date\n2020-01-02\n")])
        r = st.import_files("events", [tmp_path / "e.csv"], name="ppi")
        assert r.rows_new == 1


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALVH_DATA_DIR", str(tmp_path / "x"))
    assert default_data_dir() == tmp_path / "x"
    monkeypatch.delenv("ALVH_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "alvh"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == Path.home() / ".local" / "share" / "alvh"


def test_check_and_summary_on_real_store(real_store_dir: Path) -> None:
    with Store.open(real_store_dir, read_only=True) as st:
        res = st.check(max_gap=5)
        summary = st.summary(max_gap=5)
        assert res["failures"] == []
        assert any("vvix" in w for w in res["warnings"])  # VVIX's sparse 2006 start (SOURCE.md)
        s = summary["series"]
        assert s["spx"]["first"] == "1927-12-30" and s["vix"]["first"] == "1990-01-02"
        assert s["vx"]["rows"] == 44420 and s["vx"]["contracts"] == 258
        assert len(st.summary(max_gap=30)["gaps"]) < len(summary["gaps"])


def test_check_finds_a_corrupted_row(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(data_dir) as st:
        st.import_files("vix", [write(tmp_path / "v.csv", VIX)])
        st.conn.execute("UPDATE index_daily SET low = 20 WHERE date = DATE '2020-01-03'")
        res = st.check()
    assert any("OHLC order broken" in f and "2020-01-03" in f for f in res["failures"])


def test_read_only_store_refuses_import(tmp_path: Path, data_dir: Path) -> None:
    with Store.open(data_dir) as st:
        st.import_files("vix", [write(tmp_path / "v.csv", VIX)])
    with Store.open(data_dir, read_only=True) as st, pytest.raises(InputError):
        st.import_files("vix", [tmp_path / "v.csv"])


def test_many_conflicts_table_count_and_csv(tmp_path: Path, data_dir: Path) -> None:
    from alvh.calendar import sessions_between

    days = [str(d) for d in sessions_between("2020-01-02", "2020-02-28")][:15]
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    head = "DATE,OPEN,HIGH,LOW,CLOSE\n"
    fmt = lambda d: f"{d[5:7]}/{d[8:10]}/{d[:4]}"  # noqa: E731
    a.write_text(head + "".join(f"{fmt(d)},14,15,13,14.5\n" for d in days))
    b.write_text(head + "".join(f"{fmt(d)},14,15,13,14.6\n" for d in days))
    with Store.open(data_dir) as st:
        st.import_files("vix", [a])
        with pytest.raises(DataError) as exc:
            st.import_files("vix", [b])
    msg = str(exc.value)
    rows = [ln for ln in msg.splitlines() if ln.strip().startswith("vix ")]
    assert "15 conflict(s)" in msg and len(rows) == 10 and "... and 5 more; all 15 in" in msg
    csv_path = Path(msg.split("all 15 in ")[1].split()[0])
    full = pd.read_csv(csv_path)
    assert len(full) == 15 and set(full["new"]) == {14.6} and set(full["stored"]) == {14.5}
