"""MarketData: the embedded default (checked against arch's own loader and Cboe's file) and the real store."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alvh.calendar import is_session, trading_days
from alvh.data import DEFAULT_RATE, MarketData, read_index_csv
from alvh.data.default import arch_dataset_path, read_arch_vix
from alvh.errors import DataError, InputError


@pytest.fixture(scope="module")
def default() -> MarketData:
    return MarketData.default()


def test_default_span_and_alignment(default: MarketData) -> None:
    assert default.span == (pd.Timestamp("2014-01-03"), pd.Timestamp("2018-12-31"))
    # every NYSE session in the span, nothing else (pandas_market_calendars via alvh.calendar)
    assert default.dates.equals(trading_days("2014-01-03", "2018-12-31", "NYSE"))
    assert default.spx.index.equals(default.dates) and default.vix.index.equals(default.dates)
    assert not default.spx.isna().any().any() and not default.vix["close"].isna().any()


def test_default_against_arch_loader(default: MarketData) -> None:
    """Independent read of the same files through arch's own loader."""
    from arch.data import sp500, vix

    s = sp500.load()
    np.testing.assert_allclose(default.spx["close"].to_numpy(), s.loc[default.dates, "Close"].to_numpy(), atol=0.006)
    v = vix.load()
    got = v.loc[default.dates].iloc[:, 0].to_numpy(dtype=float)
    np.testing.assert_array_equal(default.vix["close"].to_numpy(), got)


def test_default_vix_against_cboe_history(default: MarketData, shared_data: Path) -> None:
    """arch's VIX (via FRED) equals Cboe's own VIX_History.csv closes on every default day."""
    cboe = read_index_csv(shared_data / "vix_index/VIX_History.csv", "vix")
    np.testing.assert_allclose(default.vix["close"].to_numpy(), cboe.loc[default.dates, "close"].to_numpy(), atol=1e-9)


def test_default_spx_against_shared_yahoo_copy(default: MarketData, shared_data: Path) -> None:
    spx = read_index_csv(shared_data / "spx/SPX_daily.csv", "spx")
    np.testing.assert_allclose(default.spx.to_numpy(), spx.loc[default.dates].to_numpy(), atol=0.011)


def test_default_dot_rows_are_holidays_and_reported(default: MarketData) -> None:
    _, dropped = read_arch_vix()
    assert len(dropped) == 46
    assert all(not is_session(d, "NYSE") for d in dropped)
    assert "46 rows coded '.'" in default.provenance["vix"]
    with gzip.open(arch_dataset_path("vix"), "rt") as fh:
        assert sum(1 for line in fh if line.rstrip().endswith(",.")) == 46


def test_dot_on_a_trading_day_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "vix.csv"
    path.write_text("Date,vix\n1/2/2014,14.23\n1/3/2014,.\n1/6/2014,13.55\n")
    with pytest.raises(DataError, match="an NYSE trading session") as info:
        read_arch_vix(path)
    assert info.value.row == 3 and info.value.column == "vix"


def test_default_has_no_vx_and_says_so(default: MarketData) -> None:
    assert default.vx is None
    info = default.info()
    assert info["vx"].startswith("none: no VX futures data")
    assert default.contango_share().empty


def test_vix_open_falls_back_to_close(default: MarketData) -> None:
    op, fallback = default.vix_open()
    assert fallback.all()
    np.testing.assert_array_equal(op.to_numpy(), default.vix["close"].to_numpy())
    assert "close" in default.provenance["vix_open"]


def test_default_rate_and_events(default: MarketData) -> None:
    assert (default.rate == DEFAULT_RATE).all()
    assert pd.Timestamp("2018-12-19") in default.events["fomc"]  # FOMC statement day
    assert set(default.events) == {"fomc", "cpi", "ppi"}


def test_frozen_and_slice(default: MarketData) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        default.dates = default.dates[:2]  # type: ignore[misc]
    s = default.slice("2016-01-01", "2016-12-31")
    assert s.span == (pd.Timestamp("2016-01-04"), pd.Timestamp("2016-12-30"))
    assert len(s.dates) == 252
    with pytest.raises(InputError):
        default.slice("2016-12-31", "2016-01-01")
    with pytest.raises(InputError):
        default.slice("2030-01-01", "2030-12-31")


def test_construction_rejects_bad_inputs(default: MarketData) -> None:
    vix = default.vix.copy()
    vix.iloc[5, 3] = np.nan
    with pytest.raises(DataError, match="vix close missing"):
        dataclasses.replace(default, vix=vix)
    with pytest.raises(DataError, match="sorted"):
        d = default.dates[::-1]
        dataclasses.replace(
            default,
            dates=d,
            spx=default.spx.iloc[::-1],
            vix=default.vix.iloc[::-1],
            indices=default.indices.iloc[::-1],
            rate=default.rate.iloc[::-1],
        )


def test_gaps_configurable(default: MarketData) -> None:
    assert default.gaps(max_gap=0) == []
    holes = default.dates.delete(slice(100, 104))  # drop 4 consecutive sessions
    md = dataclasses.replace(
        default,
        dates=holes,
        spx=default.spx.loc[holes],
        vix=default.vix.loc[holes],
        indices=default.indices.loc[holes],
        rate=default.rate.loc[holes],
    )
    g = md.gaps(max_gap=3)
    assert len(g) == 1 and g[0]["missing_sessions"] == 4
    assert md.gaps(max_gap=4) == []


def test_rate_series_alignment(default: MarketData) -> None:
    s = pd.Series([0.01, 0.02], index=pd.to_datetime(["2013-12-31", "2016-01-04"]), name="tbill")
    md = MarketData.default(rate=s)
    assert md.rate.loc["2015-12-31"] == 0.01 and md.rate.loc["2016-01-04"] == 0.02
    with pytest.raises(DataError, match="rate series starts"):
        MarketData.default(rate=s.iloc[1:])
    with pytest.raises(InputError):
        MarketData.default(rate=5.0)


# ------------------------------------------------------------------ the real store


def test_real_market_data_spans(real_market_data: MarketData) -> None:
    md = real_market_data
    assert md.span[0] == pd.Timestamp("1990-01-02")
    cov = md.coverage()
    assert cov.loc["vx", "first"] == pd.Timestamp("2004-03-26")
    assert cov.loc["vx", "last"] == pd.Timestamp("2025-06-18")
    assert set(md.indices.columns) == {"vix9d", "vix3m", "vix6m", "vvix", "skew"}
    assert md.vx is not None and md.vx.dates.equals(md.dates)
    assert md.breadth is not None and len(md.events["cpi"]) >= 138
    assert md.spx.loc["2020-03-23", "close"] == pytest.approx(2237.40, abs=0.005)


def test_contango_share_against_reference(real_market_data: MarketData, shared_data: Path) -> None:
    """Per-year share recomputed from the raw long table and Cboe's VIX file with a plain loop."""
    md = real_market_data
    raw = pd.read_csv(shared_data / "vix_futures/vx_contracts_daily_2004_2025.csv.gz")
    vix = pd.read_csv(shared_data / "vix_index/VIX_History.csv")
    vix_close = dict(zip(pd.to_datetime(vix["DATE"], format="%m/%d/%Y"), vix["CLOSE"], strict=True))
    spx_days = set(md.dates)
    counts: dict[int, list[int]] = {}
    for day, g in raw.groupby("trade_date"):
        ts = pd.Timestamp(day)
        if ts not in spx_days:
            continue
        g = g[g["dte_cal"] >= 1]
        if g.empty:
            continue
        front = g.loc[g["dte_cal"].idxmin(), "settle"]
        c = counts.setdefault(ts.year, [0, 0])
        c[0] += 1
        c[1] += int(front > vix_close[ts])
    got = md.contango_share()
    for year, (n, k) in counts.items():
        assert got.loc[year, "days"] == n and got.loc[year, "contango_days"] == k


def test_real_slice_keeps_listed_contracts(real_market_data: MarketData) -> None:
    s = real_market_data.slice("2018-01-01", "2018-12-31")
    assert s.vx is not None and s.vx.dates.equals(s.dates)
    assert s.vx.contracts[0] == "F18"
    assert not np.isnan(s.vx.settle).all(axis=0).any()
