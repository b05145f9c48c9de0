"""alvh.analytics.regimes: indicators vs pandas / slow references / hand values, labels on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alvh.analytics import regimes as rg
from alvh.calendar.events import event_window_mask
from alvh.errors import InputError


def _s(values, start="2024-01-02") -> pd.Series:
    return pd.Series(np.asarray(values, float), index=pd.bdate_range(start, periods=len(values)))


def _slow_rsi(closes: list[float], n: int) -> list[float]:
    """Reference Wilder RSI written as in Wilder (1978): plain lists, one day at a time."""
    out = [float("nan")] * len(closes)
    gains, losses = [], []
    avg_g = avg_l = None
    for t in range(1, len(closes)):
        ch = closes[t] - closes[t - 1]
        gains.append(ch if ch > 0 else 0.0)
        losses.append(-ch if ch < 0 else 0.0)
        if t == n:
            avg_g, avg_l = sum(gains) / n, sum(losses) / n
        elif t > n:
            avg_g = (avg_g * (n - 1) + gains[-1]) / n
            avg_l = (avg_l * (n - 1) + losses[-1]) / n
        if t >= n:
            if avg_l == 0:
                out[t] = 100.0 if avg_g > 0 else 50.0
            else:
                out[t] = 100.0 - 100.0 / (1.0 + avg_g / avg_l)
    return out


def test_ema_and_macd_hand_example():
    close = _s([1, 2, 4, 3, 5])
    np.testing.assert_allclose(rg.ema(close, 2).to_numpy()[:3], [1, 5 / 3, 29 / 9], rtol=1e-15)
    np.testing.assert_allclose(rg.ema(close, 3).to_numpy()[:3], [1, 1.5, 2.75], rtol=1e-15)
    m = rg.macd(close, fast=2, slow=3, signal=2)  # warm-up = 3 + 2 - 2 = 3 rows
    assert m["macd"].iloc[:3].isna().all() and (m["state"].iloc[:3] == "n/a").all()
    # by hand: macd_3 = 83/27 - 23/8 = 43/216, signal_3 = 1/4 -> bearish;
    # macd_4 = 353/81 - 63/16 = 545/1296, signal_4 = 1414/3888 -> hist 221/3888 > 0: bullish cross
    assert m["macd"].iloc[3] == pytest.approx(43 / 216, rel=1e-14)
    assert m["signal"].iloc[3] == pytest.approx(0.25, rel=1e-14)
    assert m["hist"].iloc[4] == pytest.approx(221 / 3888, rel=1e-12)
    assert list(m["state"].iloc[3:]) == ["bearish", "bullish"]
    assert list(m["cross"]) == [0, 0, 0, 0, 1]  # no cross reported out of the warm-up


def test_macd_matches_pandas_ewm_on_real_spx(real_market_data):
    close = real_market_data.spx["close"].loc["2018":"2020"]
    m = rg.macd(close)
    line = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    sig = line.ewm(span=9, adjust=False).mean()
    np.testing.assert_allclose(m["macd"].iloc[33:], line.iloc[33:], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(m["signal"].iloc[33:], sig.iloc[33:], rtol=1e-10, atol=1e-10)
    ref_state = np.where(line > sig, "bullish", "bearish")[33:]
    assert (m["state"].iloc[33:].to_numpy() == ref_state).all()
    ref_cross = np.diff((line > sig).astype(int).to_numpy())[33:]
    np.testing.assert_array_equal(m["cross"].iloc[34:].to_numpy(), ref_cross)
    assert (m["cross"] != 0).sum() > 10


def test_rsi_hand_example_slow_reference_and_bands(real_market_data):
    # period 2, closes 1,2,1,2: first averages 0.5/0.5 -> 50; then (0.5+1)/2=0.75 vs 0.25 -> 75
    np.testing.assert_allclose(rg.rsi(_s([1, 2, 1, 2]), 2).to_numpy()[2:], [50.0, 75.0])
    assert (rg.rsi(_s(np.arange(20.0)), 14).dropna() == 100.0).all()
    assert (rg.rsi(_s(np.full(20, 7.0)), 14).dropna() == 50.0).all()
    close = real_market_data.spx["close"].loc["2019":"2021"]
    got = rg.rsi(close, 14)
    np.testing.assert_allclose(got.to_numpy(), _slow_rsi(close.tolist(), 14), rtol=1e-12, equal_nan=True)
    assert got.iloc[:14].isna().all() and got.iloc[14:].between(0, 100).all()
    band = rg.rsi_band(got)
    assert band.loc["2020-02-28"] == "oversold"  # the first week of the COVID sell-off (RSI 19.2)
    assert set(band.unique()) == {"n/a", "oversold", "neutral", "overbought"}
    assert (band[got > 70] == "overbought").all() and (band[(got >= 30) & (got <= 70)] == "neutral").all()


def test_breadth_divergence_and_topping_constructed():
    n = 80
    spx = _s(np.r_[np.linspace(100, 120, n - 5), [121, 122, 123, 124, 125]])
    adv = _s(np.full(n, 1500.0))
    dec = _s(np.r_[np.full(n - 5, 1000.0), np.full(5, 2000.0)])  # breadth turns down in the last 5 days
    ad = rg.advance_decline_line(adv, dec)
    assert ad.iloc[0] == 500 and ad.iloc[n - 6] == 500 * (n - 5) and ad.iloc[-1] == ad.iloc[n - 6] - 5 * 500
    div = rg.breadth_divergence(spx, ad, lookback=20)
    assert (div.iloc[:19] == "n/a").all()
    assert (div.iloc[-5:] == "bearish").all()  # SPX at 20-day highs, AD line falling
    assert (div.iloc[19 : n - 5] == "none").all()
    # topping also needs momentum rolled over (MACD below signal): a decelerating rise does that
    n2 = 100
    slow = _s(np.r_[np.linspace(100, 160, 80), 160 + 0.05 * np.arange(1, 21)])
    m = rg.macd(slow)
    assert (m["state"].iloc[80:] == "bearish").all() and (m["state"].iloc[60:80] == "bullish").all()
    rising_ad = _s(np.arange(n2, dtype=float))  # breadth confirms: no breadth divergence
    flat_breadth = rg.breadth_divergence(slow, rising_ad, 20)
    assert (flat_breadth.iloc[19:] == "none").all()
    top = rg.topping(slow, macd_frame=m, breadth_div=flat_breadth, high_window=30, lookback=20, memory=21)
    assert (top.iloc[:33] == "n/a").all()
    # days 80+: within 3% of the high, MACD bearish, and a momentum divergence (new 20-day highs
    # while the MACD line is below its 20-day high)
    assert (top.iloc[82:] == "topping").all() and (top.iloc[33:80] == "none").all()
    # a steady exponential rise keeps MACD bullish: never topping
    steady = _s(100 * 1.004 ** np.arange(n2))
    assert (rg.topping(steady, high_window=30).iloc[33:] == "none").all()
    # 10% below the high: no topping even with the divergence and a bearish MACD
    low = _s(np.r_[np.linspace(100, 160, 80), np.full(20, 140.0)])
    assert (rg.topping(low, high_window=30).iloc[-15:] == "none").all()


def test_term_structure_front_second_and_contango_months(real_market_data):
    vx = real_market_data.vx
    front, second = rg.front_second(vx.settle, vx.dte, min_dte=1)
    np.testing.assert_array_equal(front, vx.front(min_dte=1)["settle"].to_numpy())
    vix = real_market_data.vix["close"]
    ts = rg.term_structure(vix, pd.Series(front, index=vix.index), pd.Series(second, index=vix.index))
    ok = np.isfinite(front)
    assert (ts["front_state"][~ok] == "n/a").all()
    assert ts.loc["2008-10-24", "front_state"] == "backwardation"  # VIX ~80, futures far below
    assert ts.loc["2017-06-01", "front_state"] == "contango"
    share_by_year = real_market_data.contango_share()["share"]
    mine = (ts["front_state"][ok] == "contango").groupby(vix.index[ok].year).mean()
    np.testing.assert_allclose(mine.to_numpy(), share_by_year.loc[mine.index].to_numpy(), rtol=1e-12)
    months = rg.contango_heavy_months(ts, threshold=0.8)
    assert months.loc[pd.Period("2017-06"), "heavy"] and not months.loc[pd.Period("2008-10"), "heavy"]
    from alvh.analytics.drag import contango_share  # the drag module's definition must agree

    sl = slice("2010-01-01", "2020-12-31")
    ref = contango_share(vix.loc[sl].index, front[(vix.index >= "2010") & (vix.index < "2021")], vix.loc[sl].to_numpy())
    np.testing.assert_allclose(months.loc[ref.index, "share"].to_numpy(), ref.to_numpy(), rtol=1e-12)


def test_contango_heavy_hand_and_na_days():
    idx = pd.bdate_range("2024-01-01", "2024-02-29")
    lab = pd.Series("contango", index=idx, dtype=object)
    jan = idx.month == 1
    lab[jan & (np.arange(len(idx)) % 5 == 0)] = "backwardation"  # 5 of 23 January days: share 18/23 < 0.8
    lab.iloc[-1] = "n/a"
    m = rg.contango_heavy_months(lab)
    assert m.loc[pd.Period("2024-01"), "contango_days"] == 18 and not m.loc[pd.Period("2024-01"), "heavy"]
    feb = m.loc[pd.Period("2024-02")]
    assert feb["n_na"] == 1 and feb["share"] == 1.0 and feb["heavy"]


def test_regime_table_vs_groupby_reference():
    rng = np.random.default_rng(np.random.SeedSequence(41))
    idx = pd.bdate_range("2020-01-01", periods=200)
    values = pd.Series(rng.normal(2, 1, 200), index=idx)
    values.iloc[[3, 50]] = np.nan
    labels = pd.DataFrame({"a": rng.choice(["x", "y", "n/a"], 200), "b": rng.choice(["p", "q"], 200)}, index=idx)
    t = rg.regime_table(values, labels)
    for regime in ("a", "b"):
        ok = values.notna()
        ref = values[ok].groupby(labels.loc[ok, regime]).agg(["mean", "median", "count", "sum"])
        for label, row in ref.iterrows():
            got = t.loc[(regime, label)]
            assert got["mean"] == pytest.approx(row["mean"]) and got["median"] == pytest.approx(row["median"])
            assert got["count"] == row["count"] and got["share_of_days"] == pytest.approx(row["count"] / 198)
        assert t.loc[regime, "count"].sum() == 198 and t.loc[regime, "n_missing"].sum() == 2
    with pytest.raises(InputError, match="labels"):
        rg.regime_table(values, labels.iloc[10:])


def test_event_windows_and_full_labels_on_real_data(real_market_data):
    md = real_market_data.slice("2015-01-01", "2020-12-31")
    events = {k: v for k, v in md.events.items()}
    front, second = rg.front_second(md.vx.settle, md.vx.dte)
    labels = rg.regime_labels(
        md.spx["close"],
        vix=md.vix["close"],
        vx_front=pd.Series(front, index=md.dates),
        vx_second=pd.Series(second, index=md.dates),
        breadth=md.breadth,
        events=events,
    )
    assert labels.index.equals(md.dates)
    expected = {"front_state", "curve_state", "macd_state", "rsi_band", "breadth_divergence", "topping", "event_any"}
    assert expected <= set(labels.columns)
    assert (labels["macd_state"].iloc[:33] == "n/a").all() and (labels["macd_state"].iloc[33:] != "n/a").all()
    assert (labels["topping"] == "topping").mean() < 0.5 and (labels["topping"] == "topping").any()
    assert (labels["breadth_divergence"] == "bearish").any()
    for kind, ev in events.items():
        mask = event_window_mask(md.dates, ev, 1, 1)
        np.testing.assert_array_equal(labels[f"event_{kind}"].to_numpy() == "event", mask)
    drag = pd.Series(np.linspace(0, 1, len(md.dates)), index=md.dates)
    table = rg.regime_table(drag, labels)
    assert table.loc["front_state", "count"].sum() == len(md.dates)


def test_insufficient_data_and_gaps_raise():
    with pytest.raises(InputError, match="MACD"):
        rg.macd(_s(np.arange(30.0)))
    with pytest.raises(InputError, match="RSI"):
        rg.rsi(_s(np.arange(10.0)))
    with pytest.raises(InputError, match="252-day"):
        rg.topping(_s(np.arange(100.0)))
    gappy = _s(np.r_[np.arange(50.0), np.nan, np.arange(20.0)])
    with pytest.raises(InputError, match="2024-03-12"):
        rg.macd(gappy)
    with pytest.raises(InputError, match="vx_front"):
        rg.term_structure(_s([1, 2, 3]), _s([1, 2, 3], start="2023-01-02"))
    with pytest.raises(InputError, match="fast"):
        rg.macd(_s(np.arange(100.0)), fast=30, slow=26)


def test_event_labels_na_outside_the_known_span():
    # the shipped CPI calendar is known from 2015: 2014 days are "n/a", not "none" (issue 14 item 8)
    from alvh.calendar import load_event_calendar

    cpi = load_event_calendar("cpi")
    days = pd.bdate_range("2014-12-01", "2015-02-27")
    lab = rg.event_windows(
        days, {"cpi": cpi.dates, "ppi": []}, known={"cpi": (cpi.known_from, cpi.known_to), "ppi": None}
    )
    assert (lab.loc[:"2014-12-31", "event_cpi"] == "n/a").all()
    assert set(lab.loc["2015-01-01":, "event_cpi"]) == {"event", "none"}
    assert lab.loc["2015-01-16", "event_cpi"] == "event"  # BLS release of December 2014 CPI
    assert (lab["event_ppi"] == "n/a").all()  # nothing known: never "none"
    # event_any leaves out a kind with nothing known, and is n/a where a known kind is unknown
    assert (lab.loc[:"2014-12-31", "event_any"] == "n/a").all()
    assert set(lab.loc["2015-01-01":, "event_any"]) == {"event", "none"}


def test_exog_regime_against_a_loop():
    # high / low against the median of the previous `window` values on the run's days, a value carried
    # forward over days the series was not published, n/a before the window is full
    from alvh.analytics.regimes import exog_regime

    dates = pd.bdate_range("2020-01-01", periods=80)
    rng = np.random.default_rng(5)
    pub = dates[rng.uniform(size=dates.size) > 0.1][3:]  # gaps, and a late start
    s = pd.Series(rng.normal(size=pub.size).cumsum(), index=pub)
    got = exog_regime(s, dates, window=10)
    for i, d in enumerate(dates):
        known = s[s.index <= d]
        vals = [s[s.index <= e].iloc[-1] if (s.index <= e).any() else np.nan for e in dates[:i]]
        prev = [v for v in vals[-10:] if np.isfinite(v)] if i >= 10 else []
        if known.empty or len(prev) < 10:
            assert got.iloc[i] == "n/a", i
        else:
            assert got.iloc[i] == ("high" if known.iloc[-1] >= np.median(prev) else "low"), i
    assert set(got) == {"n/a", "high", "low"}


def test_compiled_ema_and_wilder_recurrences_are_the_loops_bits(monkeypatch):
    # ema/rsi run their day loops compiled when numba is installed: the same bits as the Python loops
    import alvh.analytics.regimes as rg

    if rg._ema_compiled is None:
        pytest.skip("numba not installed")
    rng = np.random.default_rng(3)
    x = pd.Series(4000 + np.cumsum(rng.normal(0, 25, 6000)), index=pd.bdate_range("2000-01-03", periods=6000))
    fast = (rg.ema(x, 12).to_numpy(), rg.rsi(x, 14).to_numpy(), rg.macd(x)["hist"].to_numpy())
    monkeypatch.setattr(rg, "_ema_compiled", None)
    monkeypatch.setattr(rg, "_wilder_compiled", None)
    slow = (rg.ema(x, 12).to_numpy(), rg.rsi(x, 14).to_numpy(), rg.macd(x)["hist"].to_numpy())
    for a, b in zip(fast, slow, strict=True):
        assert np.array_equal(a, b, equal_nan=True)
