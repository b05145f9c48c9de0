"""Importers: real shared files, slow per-row references, and every bad-input case (one test each)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.data import (
    read_breadth,
    read_events,
    read_index_csv,
    read_rate,
    read_series,
    read_spx_csv,
    read_vx,
    read_vx_cboe,
    read_vx_cfe_legacy,
    read_vx_long,
)
from alvh.errors import DataError
from helpers import CFE_HEADER, MONTHS, current_file, real_rows, to_cfe_line

VX_LONG = "vix_futures/vx_contracts_daily_2004_2025.csv.gz"
DISCLAIMER = (
    "CFE data is compiled for the convenience of site visitors and is furnished without responsibility for accuracy."
)


# ------------------------------------------------------------------ helpers


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def vx_long_lines(shared_data: Path) -> list[str]:
    """The raw lines of the real consolidated VX table (header first)."""
    with gzip.open(shared_data / VX_LONG, "rt", encoding="utf-8") as fh:
        return fh.read().splitlines()


def long_subset(lines: list[str], rows: list[int]) -> str:
    """Header + selected data rows (0-based data indices) of the long table."""
    return "\n".join([lines[0]] + [lines[i + 1] for i in rows]) + "\n"


def legacy_file(
    tmp_path: Path,
    lines: list[str],
    code: str,
    *,
    disclaimer: bool = True,
    extra: list[str] | None = None,
    name: str | None = None,
) -> tuple[Path, list[dict[str, str]]]:
    rows = real_rows(lines, code)
    month = "FGHJKMNQUVXZ".index(code[0]) + 1
    label = f"{code[0]} ({MONTHS[month - 1]} {code[1:]})"
    body = [to_cfe_line(r, legacy=True, label=label) for r in rows] + (extra or [])
    text = ([DISCLAIMER] if disclaimer else []) + [CFE_HEADER] + body
    return write(tmp_path / (name or f"CFE_{code}_VX.csv"), "\n".join(text) + "\n\n"), rows


def expect_error(fn, *args, row: int | None, column: str | None, match: str, **kw) -> DataError:
    with pytest.raises(DataError, match=match) as info:
        fn(*args, **kw)
    err = info.value
    assert err.row == row, str(err)
    assert err.column == column, str(err)
    assert err.file is not None and err.expected
    return err


# ------------------------------------------------------------------ real files


def test_real_spx_matches_source_md(shared_data: Path) -> None:
    spx = read_spx_csv(shared_data / "spx/SPX_daily.csv")
    assert len(spx) == 24776
    assert spx.index[0] == pd.Timestamp("1927-12-30") and spx.index[-1] == pd.Timestamp("2026-08-20")
    # reference closes quoted in ../shared/data/spx/SOURCE.md
    for day, close in (
        ("2004-01-02", 1108.48),
        ("2009-03-09", 676.53),
        ("2020-03-23", 2237.40),
        ("2025-06-30", 6204.95),
    ):
        assert spx.loc[day, "close"] == pytest.approx(close, abs=0.005)


@pytest.mark.parametrize(
    "name,rows,first,last",
    [
        ("vix", 9234 - 33, "1990-01-02", "2026-07-22"),  # 33 rows on NYSE holidays dropped (noted)
        ("vix3m", 4235, "2009-09-18", "2026-07-22"),
        ("vix9d", 3909, "2011-01-04", "2026-07-22"),
        ("vix6m", 4607, "2008-01-02", "2026-04-24"),
        ("vvix", 5066, "2006-03-06", "2026-07-22"),
        ("skew", 9189, "1990-01-02", "2026-07-22"),
    ],
)
def test_real_cboe_indices(shared_data: Path, name: str, rows: int, first: str, last: str) -> None:
    f = read_index_csv(shared_data / f"vix_index/{name.upper()}_History.csv", name)
    assert len(f) == rows and str(f.index[0].date()) == first and str(f.index[-1].date()) == last
    assert list(f.columns) == ["open", "high", "low", "close"]
    # slow reference: csv module, float() per cell
    with open(shared_data / f"vix_index/{name.upper()}_History.csv", newline="") as fh:
        body = list(csv.reader(fh))[1:]
    keep = set(f.index.strftime("%m/%d/%Y"))
    ref = [float(r[-1]) for r in body if r[0] in keep]
    assert len(body) - len(ref) == (33 if name == "vix" else 0)
    np.testing.assert_array_equal(f["close"].to_numpy(), np.array(ref))


def test_real_vix6m_published_exception_is_noted(shared_data: Path) -> None:
    f = read_index_csv(shared_data / "vix_index/VIX6M_History.csv", "vix6m")
    assert f.loc["2019-07-05", "low"] > f.loc["2019-07-05", "high"]
    assert any("kept as published" in n for n in f.attrs["notes"])


def test_yahoo_layout(shared_data: Path) -> None:
    f = read_index_csv(shared_data / "vix_index/VXV_yahoo_2006_2017.csv", "vix3m")
    # 2637 rows; Yahoo's 2014-02-17 row (Presidents Day, NYSE closed) is dropped and noted
    assert len(f) == 2636 and f.index[0] == pd.Timestamp("2006-07-17")
    assert pd.Timestamp("2014-02-17") not in f.index
    assert any("2014-02-17 (an NYSE holiday (Presidents Day))" in n for n in f.attrs["notes"])


def test_spx_yahoo_layout(tmp_path: Path) -> None:
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-01-02,3244.67,3258.14,3235.53,3257.85,3257.85,3459930000\n"
        "2020-01-03,3226.36,3246.15,3222.34,3234.85,3234.85,3484700000\n"
    )
    spx = read_spx_csv(write(tmp_path / "GSPC.csv", text))
    assert spx["close"].tolist() == [3257.85, 3234.85] and list(spx.columns) == ["open", "high", "low", "close"]
    expect_error(
        read_spx_csv,
        write(tmp_path / "bad.csv", text.replace("3484700000", "x")),
        row=3,
        column="Volume",
        match="'x' is not a finite number",
    )


def test_real_vx_long_matches_reference(shared_data: Path, vx_long_lines: list[str]) -> None:
    vx = read_vx_long(shared_data / VX_LONG)
    assert len(vx) == 44422 - 2  # the two known publisher errors (KNOWN_BAD_SETTLES) are dropped
    assert vx["contract"].nunique() == 258
    assert vx["trade_date"].iloc[0] == pd.Timestamp("2004-03-26")
    assert vx["trade_date"].iloc[-1] == pd.Timestamp("2025-06-18")
    # slow reference: every row parsed with the csv module
    ref = [
        r
        for r in csv.DictReader(vx_long_lines)
        if not (r["trade_date"] == "2008-04-21" and r["contract"] in ("F09", "G09"))
    ]
    np.testing.assert_array_equal(vx["settle"].to_numpy(), [float(r["settle"]) for r in ref])
    assert list(vx["contract"]) == [r["contract"] for r in ref]
    assert [d.date().isoformat() for d in vx["expiry"]] == [r["expiry"] for r in ref]
    # the edited value (SOURCE.md): G14 on 2013-05-28 settles at 20.1
    g14 = vx[(vx["contract"] == "G14") & (vx["trade_date"] == "2013-05-28")]
    assert g14["settle"].item() == pytest.approx(20.1)


def test_real_breadth(shared_data: Path) -> None:
    b = read_breadth(shared_data / "breadth/nyse_adv_decl_unch_daily.csv")
    assert len(b) == 8640
    assert b.loc["2008-10-13", "advancing"] == 3025 and b.loc["2008-10-13", "declining"] == 159
    assert int(b["advancing"].isna().sum()) == 125  # SOURCE.md: 125 missing Advancing in 1992-1994
    assert not b.loc["2004-01-02":].isna().any().any()


def test_real_cpi_events(shared_data: Path) -> None:
    cal = read_events(shared_data / "calendars/cpi_release_dates_2015_2026.csv", "cpi")
    assert len(cal.dates) == 138 and pd.Timestamp("2025-10-24") in cal.dates


# ------------------------------------------------------------------ legacy and current VX layouts


def test_legacy_cfe_file_rescaled_and_equal_to_long_table(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, rows = legacy_file(tmp_path, vx_long_lines, "K04")
    vx = read_vx_cfe_legacy(path)
    assert len(vx) == len(rows)
    np.testing.assert_allclose(vx["settle"].to_numpy(), [float(r["settle"]) for r in rows], atol=1e-9)
    assert (vx["expiry"] == pd.Timestamp("2004-05-19")).all()
    assert any("divided by 10" in n for n in vx.attrs["notes"])
    # the final-settlement row is a zero-OHLC no-trade row: kept, settle valid
    last = vx.iloc[-1]
    assert last["open"] == 0 and last["settle"] == pytest.approx(18.355)


def test_legacy_without_disclaimer_and_read_vx_dispatch(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, rows = legacy_file(tmp_path, vx_long_lines, "H14", disclaimer=False)
    vx = read_vx(path)
    assert len(vx) == len(rows) and (vx["contract"] == "H14").all()
    assert vx["expiry"].iloc[0] == pd.Timestamp("2014-03-18")  # Tuesday expiry (Good Friday rule)


def test_rescale_boundary_2007_03_26(tmp_path: Path, vx_long_lines: list[str]) -> None:
    """A contract trading across 2007-03-26: only rows before it are divided by 10."""
    path, rows = legacy_file(tmp_path, vx_long_lines, "K07")
    vx = read_vx_cfe_legacy(path)
    raw = pd.read_csv(path, skiprows=1)
    raw_settle = raw["Settle"].dropna().to_numpy()[: len(vx)]
    before = (vx["trade_date"] < "2007-03-26").to_numpy()
    assert before.any() and (~before).any()
    np.testing.assert_allclose(vx["settle"].to_numpy()[before], raw_settle[before] / 10)
    np.testing.assert_allclose(vx["settle"].to_numpy()[~before], raw_settle[~before])


def test_legacy_settle_zero_rows_dropped_and_counted(tmp_path: Path, vx_long_lines: list[str]) -> None:
    """A listed-but-not-quoted day (settle 0, as in Cboe's legacy files) is dropped and counted."""
    path, rows = legacy_file(tmp_path, vx_long_lines, "Q04")
    lines = path.read_text().splitlines()
    day = lines[2].split(",")[0]  # line 3: disclaimer, header, first data row
    lines[2] = f"{day},Q (Aug 04),0,0,0,0,0,0,0,0,0"
    write(path, "\n".join(lines) + "\n")
    vx = read_vx_cfe_legacy(path)
    assert len(vx) == len(rows) - 1
    assert any("settle = 0 dropped" in n and "line 3" in n for n in vx.attrs["notes"])


def test_current_layout_equal_to_long_table(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, rows = current_file(tmp_path, vx_long_lines, "F16")
    vx = read_vx_cboe(path)
    assert len(vx) == len(rows)
    np.testing.assert_allclose(vx["settle"].to_numpy(), [float(r["settle"]) for r in rows], atol=1e-9)
    assert (vx["contract"] == "F16").all() and (vx["expiry"] == pd.Timestamp("2016-01-20")).all()
    assert read_vx(path).equals(vx)


def test_current_layout_iso_futures_column(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, rows = current_file(tmp_path, vx_long_lines, "M19", iso_label=True, name="futures.csv")
    vx = read_vx_cboe(path)
    assert (vx["contract"] == "M19").all() and len(vx) == len(rows)


def test_current_layout_weekly_expiry_rejected(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, _ = current_file(tmp_path, vx_long_lines, "M19", iso_label=True, name="weekly.csv")
    text = path.read_text().replace("2019-06-19", "2019-06-26")
    write(path, text)
    expect_error(read_vx_cboe, path, row=2, column="Futures", match="not a monthly VX expiry")


def test_current_layout_file_name_and_label_disagree(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, _ = current_file(tmp_path, vx_long_lines, "F16", name="VX_2016-02-17.csv")
    expect_error(read_vx_cboe, path, row=2, column="Futures", match="does not match VX contract F16")


def test_legacy_label_disagrees_with_file_name(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, _ = legacy_file(tmp_path, vx_long_lines, "K04", name="CFE_M04_VX.csv")
    expect_error(read_vx_cfe_legacy, path, row=3, column="Futures", match="is contract K04, not M04")


def test_legacy_trade_after_expiry(tmp_path: Path, vx_long_lines: list[str]) -> None:
    path, rows = legacy_file(tmp_path, vx_long_lines, "K04", extra=["5/20/2004,K (May 04),0,0,0,0,183.55,0,0,0,0"])
    expect_error(read_vx_cfe_legacy, path, row=len(rows) + 3, column="Trade Date", match="after the expiry")


# ------------------------------------------------------------------ bad input, one case per test

VIX_OK = (
    "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,13.46,13.72,12.42,12.47\n01/03/2020,15.01,16.20,13.13,14.02\n"
    "01/06/2020,15.45,16.39,13.54,13.85\n"
)


def test_ok_fixture_parses(tmp_path: Path) -> None:
    f = read_index_csv(write(tmp_path / "v.csv", VIX_OK), "vix")
    assert f["close"].tolist() == [12.47, 14.02, 13.85]


# Each case edits the valid fixture and expects the error to name the file's row and column.
@pytest.mark.parametrize(
    "edits,row,column,match",
    [
        pytest.param([("01/03/2020", "12/31/2019")], 3, "DATE", "is earlier than", id="unsorted_dates"),
        pytest.param([("01/03/2020", "01/02/2020")], 3, "DATE", "duplicate date", id="duplicate_dates"),
        pytest.param([("14.02", ".")], 3, "CLOSE", "'.' is not a finite number", id="dot_value"),
        pytest.param([("16.39", "NaN")], 4, "HIGH", "'NaN' is not a finite number", id="nan_value"),
        pytest.param([("13.13", "")], 3, "LOW", "missing value", id="empty_value"),
        pytest.param([("15.45", "-1.0")], 4, "OPEN", "non-positive price", id="non_positive_price"),
        pytest.param([("16.20,13.13", "16.20,16.30")], 3, "LOW", "above high", id="low_above_high"),
        pytest.param([("13.54,13.85", "13.54,17.00")], 4, "CLOSE", "outside", id="close_outside_range"),
        pytest.param(
            [("14.02", "-1"), ("13.85", "-2")], 3, "CLOSE", "non-positive", id="first_offending_line_is_reported"
        ),
    ],
)
def test_bad_index_value_names_row_and_column(
    tmp_path: Path, edits: list[tuple[str, str]], row: int, column: str, match: str
) -> None:
    text = VIX_OK
    for old, new in edits:
        assert old in text  # the edit must hit the fixture, or the case tests nothing
        text = text.replace(old, new)
    expect_error(read_index_csv, write(tmp_path / "v.csv", text), "vix", row=row, column=column, match=match)


def test_unknown_column(tmp_path: Path) -> None:
    text = VIX_OK.replace("CLOSE", "CLOSE,VOLUME", 1).replace("\n0", ",1\n0")
    expect_error(
        read_index_csv, write(tmp_path / "v.csv", text), "vix", row=1, column="VOLUME", match="unknown column 'VOLUME'"
    )


def test_missing_column(tmp_path: Path) -> None:
    text = "DATE,OPEN,HIGH,CLOSE\n01/02/2020,13.46,13.72,12.47\n"
    expect_error(
        read_index_csv, write(tmp_path / "v.csv", text), "vix", row=1, column="LOW", match="missing column 'LOW'"
    )


def test_empty_file(tmp_path: Path) -> None:
    expect_error(read_index_csv, write(tmp_path / "v.csv", ""), "vix", row=1, column=None, match="empty file")


def test_header_only(tmp_path: Path) -> None:
    expect_error(
        read_index_csv,
        write(tmp_path / "v.csv", "DATE,OPEN,HIGH,LOW,CLOSE\n"),
        "vix",
        row=2,
        column=None,
        match="no data rows",
    )


def test_truncated_file(tmp_path: Path) -> None:
    text = VIX_OK[: VIX_OK.rindex(",13.54")]  # cut in the middle of the last line
    err = expect_error(
        read_index_csv, write(tmp_path / "v.csv", text), "vix", row=4, column="LOW", match="missing value"
    )
    assert "truncated" in str(err)


def test_truncated_gz(tmp_path: Path, shared_data: Path) -> None:
    data = (shared_data / VX_LONG).read_bytes()
    path = tmp_path / "vx.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    expect_error(read_vx_long, path, row=None, column=None, match="truncated or corrupt gzip")


def test_extra_field(tmp_path: Path) -> None:
    text = VIX_OK.replace("14.02", "14.02,99")
    expect_error(read_index_csv, write(tmp_path / "v.csv", text), "vix", row=3, column=None, match="malformed CSV")


def test_blank_line_inside(tmp_path: Path) -> None:
    text = VIX_OK.replace("\n01/03", "\n\n01/03")
    expect_error(read_index_csv, write(tmp_path / "v.csv", text), "vix", row=3, column=None, match="blank line")


def test_bad_date_text(tmp_path: Path) -> None:
    text = VIX_OK.replace("01/03/2020", "2020-01-03")
    expect_error(read_index_csv, write(tmp_path / "v.csv", text), "vix", row=3, column="DATE", match="is not a date")


def test_missing_file(tmp_path: Path) -> None:
    expect_error(read_index_csv, tmp_path / "nope.csv", "vix", row=None, column=None, match="file not found")


def test_vx_mislabelled_20268(tmp_path: Path, vx_long_lines: list[str]) -> None:
    text = long_subset(vx_long_lines, [44421]).replace("2026-02-18", "20268-03-18")
    err = expect_error(read_vx_long, write(tmp_path / "vx.csv", text), row=2, column="expiry", match="20268-03-18")
    assert "not a date" in str(err)


def test_vx_expiry_not_matching_code(tmp_path: Path, vx_long_lines: list[str]) -> None:
    lines = long_subset(vx_long_lines, [0, 1, 2]).splitlines()
    lines[2] = lines[2].replace("2004-06-16", "2004-07-21")  # M04 given N04's expiry
    expect_error(
        read_vx_long,
        write(tmp_path / "vx.csv", "\n".join(lines) + "\n"),
        row=3,
        column="expiry",
        match="does not match VX contract M04",
    )


def test_vx_expiry_not_matching_rule(tmp_path: Path, vx_long_lines: list[str]) -> None:
    """Right month, wrong day (the Wednesday a week later): the Cboe rule rejects it."""
    lines = long_subset(vx_long_lines, [0, 1]).splitlines()
    lines[1] = lines[1].replace("2004-05-19", "2004-05-26").replace(",54\n", ",61\n")
    err = expect_error(
        read_vx_long,
        write(tmp_path / "vx.csv", "\n".join(lines) + "\n"),
        row=2,
        column="expiry",
        match="does not match VX contract K04",
    )
    assert "2004-05-19" in str(err)


def test_vx_bad_contract_code(tmp_path: Path, vx_long_lines: list[str]) -> None:
    text = long_subset(vx_long_lines, [0, 1]).replace(",M04,", ",A04,")
    expect_error(
        read_vx_long, write(tmp_path / "vx.csv", text), row=3, column="contract", match="not a VX contract code"
    )


def test_vx_duplicate_row(tmp_path: Path, vx_long_lines: list[str]) -> None:
    lines = long_subset(vx_long_lines, [0, 1]).splitlines()
    lines.insert(2, lines[1])
    expect_error(
        read_vx_long, write(tmp_path / "vx.csv", "\n".join(lines) + "\n"), row=3, column="trade_date", match="duplicate"
    )


def test_vx_unsorted_rows(tmp_path: Path, vx_long_lines: list[str]) -> None:
    text = long_subset(vx_long_lines, [4, 0])
    expect_error(
        read_vx_long, write(tmp_path / "vx.csv", text), row=3, column="trade_date", match="before the previous"
    )


def test_vx_settle_dot(tmp_path: Path, vx_long_lines: list[str]) -> None:
    lines = long_subset(vx_long_lines, [0, 1]).splitlines()
    cells = lines[2].split(",")
    cells[7] = "."
    lines[2] = ",".join(cells)
    expect_error(
        read_vx_long,
        write(tmp_path / "vx.csv", "\n".join(lines) + "\n"),
        row=3,
        column="settle",
        match="'.' is not a finite number",
    )


def test_vx_negative_price(tmp_path: Path, vx_long_lines: list[str]) -> None:
    lines = long_subset(vx_long_lines, [0, 1]).splitlines()
    cells = lines[1].split(",")
    cells[6] = "-20.2"
    lines[1] = ",".join(cells)
    expect_error(
        read_vx_long, write(tmp_path / "vx.csv", "\n".join(lines) + "\n"), row=2, column="close", match="negative price"
    )


def test_vx_low_above_high_on_a_complete_quote(tmp_path: Path, vx_long_lines: list[str]) -> None:
    lines = long_subset(vx_long_lines, [0, 1]).splitlines()
    cells = lines[2].split(",")  # M04: 20.33,20.37,20.1,20.2
    cells[5] = "20.5"
    lines[2] = ",".join(cells)
    expect_error(
        read_vx_long, write(tmp_path / "vx.csv", "\n".join(lines) + "\n"), row=3, column="low", match="above high"
    )


def test_vx_zero_ohlc_rows_kept(shared_data: Path) -> None:
    vx = read_vx_long(shared_data / VX_LONG)
    z = (vx[["open", "high", "low", "close"]] == 0).all(axis=1)
    assert int(z.sum()) == 1397 - 1 and (vx.loc[z, "settle"] > 0).all()  # minus F09 2008-04-21 (known bad)


def test_vx_known_publisher_errors_dropped(shared_data: Path) -> None:
    vx = read_vx_long(shared_data / VX_LONG)
    day = vx[vx["trade_date"] == "2008-04-21"]
    assert not day["contract"].isin(["F09", "G09"]).any()
    assert sum("known publisher error" in n for n in vx.attrs["notes"]) == 2
    assert vx["settle"].min() >= 5.0


def test_vx_implausible_settle_rejected(tmp_path: Path, vx_long_lines: list[str]) -> None:
    """A pre-2007 legacy file whose prices were already divided by 10 would be rescaled twice."""
    rows = real_rows(vx_long_lines, "K04")
    body = [
        to_cfe_line(r, legacy=False, label="K (May 04)").replace(
            r["trade_date"], "{}/{}/{}".format(int(r["trade_date"][5:7]), int(r["trade_date"][8:]), r["trade_date"][:4])
        )
        for r in rows
    ]
    path = write(tmp_path / "CFE_K04_VX.csv", "\n".join([CFE_HEADER] + body) + "\n")
    expect_error(read_vx_cfe_legacy, path, row=2, column="Settle", match="implausible VX settle 2.032")


def test_vx_settle_zero_dropped(tmp_path: Path, vx_long_lines: list[str]) -> None:
    lines = long_subset(vx_long_lines, [0, 1, 2]).splitlines()
    cells = lines[2].split(",")
    cells[3:9] = ["0.0"] * 6
    lines[2] = ",".join(cells)
    vx = read_vx_long(write(tmp_path / "vx.csv", "\n".join(lines) + "\n"))
    assert list(vx["contract"]) == ["K04", "Q04"]
    assert any("settle = 0 dropped" in n and "line 3" in n for n in vx.attrs["notes"])


def test_vx_dte_mismatch(tmp_path: Path, vx_long_lines: list[str]) -> None:
    text = long_subset(vx_long_lines, [0]).replace(",54\n", ",55\n")
    expect_error(read_vx_long, write(tmp_path / "vx.csv", text), row=2, column="dte_cal", match="dte_cal 55")


def test_vx_rescale_flag_inconsistent(tmp_path: Path, vx_long_lines: list[str]) -> None:
    text = long_subset(vx_long_lines, [0]).replace("cfe_legacy_CFE_files,1,", "cfe_legacy_CFE_files,0,")
    expect_error(
        read_vx_long, write(tmp_path / "vx.csv", text), row=2, column="rescaled_div10", match="rescaled_div10 is 0"
    )


def test_vx_trade_date_not_a_cfe_session(tmp_path: Path, vx_long_lines: list[str]) -> None:
    # 2004-03-27 is a Saturday; dte adjusted so only the session rule fails
    text = long_subset(vx_long_lines, [0]).replace("2004-03-26", "2004-03-27").replace(",54\n", ",53\n")
    expect_error(
        read_vx_long, write(tmp_path / "vx.csv", text), row=2, column="trade_date", match="not a CFE trading session"
    )


def test_breadth_dot_rejected(tmp_path: Path) -> None:
    text = "Date,Advancing,Declining,Unchanged\n2020-01-02,2000,900,100\n2020-01-03,.,900,100\n"
    expect_error(
        read_breadth, write(tmp_path / "b.csv", text), row=3, column="Advancing", match="'.' is not a finite number"
    )


def test_breadth_fractional_count(tmp_path: Path) -> None:
    text = "Date,Advancing,Declining,Unchanged\n2020-01-02,2000.5,900,100\n"
    expect_error(read_breadth, write(tmp_path / "b.csv", text), row=2, column="Advancing", match="not an issue count")


def test_series_and_rate(tmp_path: Path) -> None:
    s = read_series(write(tmp_path / "fx.csv", "date,eurusd\n2020-01-02,1.12\n2020-01-03,1.11\n"))
    assert s.name == "eurusd" and s.tolist() == [1.12, 1.11]
    r = read_rate(write(tmp_path / "r.csv", "date,value\n2020-01-02,1.5\n"), percent=True)
    assert r.iloc[0] == pytest.approx(0.015)
    expect_error(read_rate, tmp_path / "r.csv", row=2, column="value", match="implausible")


def test_series_missing_value(tmp_path: Path) -> None:
    expect_error(
        read_series,
        write(tmp_path / "fx.csv", "date,eurusd\n2020-01-02,1.12\n2020-01-03,\n"),
        row=3,
        column="eurusd",
        match="missing value",
    )


def test_series_bad_header(tmp_path: Path) -> None:
    expect_error(
        read_series,
        write(tmp_path / "fx.csv", "when,eurusd\n2020-01-02,1.12\n"),
        row=1,
        column="when",
        match="not date,value",
    )
