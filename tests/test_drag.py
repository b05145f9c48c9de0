"""Vega correlation drag: identities, hand-computed cases, monthly tables against
pandas group-bys, the contango-heavy classification, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alvh.analytics.attribution import attribute
from alvh.analytics.drag import (
    PARTS,
    compute_drag,
    contango_share,
    core_vol_change,
    drag_analysis,
    drag_distribution,
    drag_summary,
    layer_instruments,
    monthly_drag_table,
    restrict_drag,
)
from alvh.engine.records import InstrumentKind, PositionRecords, SlotInfo
from alvh.errors import InputError
from helpers import make_records, single_record

CAPITAL = 1e6


def _dates(n: int, start: str = "2020-01-02") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n)


def _core_plus_future(dsig_core_pts: float, froll: float, f1: float, qty: float = 2.0) -> PositionRecords:
    """Day 1: a core SPX put (vol moves by dsig) and a VX future layer (F0 = 20)."""
    core = single_record(
        InstrumentKind.SPX_OPTION,
        call=False,
        k=3800.0,
        t0=30 / 365,
        t1=29 / 365,
        u0=4000.0,
        u1=4000.0,
        s0=0.20,
        s1=0.20 + dsig_core_pts / 100,
        p0=10.0,
        p1=10.0,
        qty=-1.0,
    )
    fut = single_record(InstrumentKind.VX_FUTURE, u0=20.0, ur=froll, u1=f1, p0=20.0, p1=f1, qty=qty, mult=1000.0)
    fields = {
        name: np.concatenate([getattr(core, name), getattr(fut, name)], axis=2)
        for name in (
            "kind",
            "quantity",
            "is_call",
            "strike",
            "t_prev",
            "t_now",
            "underlying_prev",
            "underlying_now",
            "underlying_rolldown",
            "vol_prev",
            "vol_now",
            "rate_prev",
            "div_prev",
            "price_prev",
            "price_now",
        )
    }
    return PositionRecords(
        slots=SlotInfo(
            names=("core.put", "short.vx"), component=("core", "short"), multiplier=np.array([100.0, 1000.0])
        ),
        **fields,
    )


def test_hedge_moving_one_for_one_with_core_iv_has_zero_correlation_drag():
    rec = _core_plus_future(dsig_core_pts=1.5, froll=20.0, f1=21.5)
    drag = compute_drag(attribute(rec, capital=CAPITAL), dates=_dates(2), vix=np.array([20.0, 21.0]), core_vol="legs")
    assert drag.core_vol_change[1, 0] == pytest.approx(1.5)
    assert drag.part("correlation")[1, 0, 0] == pytest.approx(0.0, abs=1e-12)
    assert drag.part("carry")[1, 0, 0] == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_carry_and_correlation_drag():
    # 2 futures x $1000: roll-down 20 -> 19.9 costs $200 = 2 bp of $1M; curve move +0.6 vs core +1.5 pts:
    # shortfall = 2000 * (1.5 - 0.6) = $1800 = 18 bp
    rec = _core_plus_future(dsig_core_pts=1.5, froll=19.9, f1=20.5)
    drag = compute_drag(
        attribute(rec, capital=CAPITAL),
        dates=_dates(2),
        vix=np.array([20.0, 21.0]),
        instruments=layer_instruments(rec, ("short",)),
        core_vol="legs",
    )
    # with the default source (spot VIX, +1.0 point) the shortfall is 2000 * (1.0 - 0.6) = $800 = 8 bp
    by_vix = compute_drag(attribute(rec, capital=CAPITAL), dates=_dates(2), vix=np.array([20.0, 21.0]))
    assert by_vix.part("correlation")[1, 0, 0] == pytest.approx(8.0)
    assert not by_vix.core_vol_source.any()
    assert drag.part("carry")[1, 0, 0] == pytest.approx(2.0)
    assert drag.part("correlation")[1, 0, 0] == pytest.approx(18.0)
    assert drag.part("total")[1, 0, 0] == pytest.approx(20.0)
    assert drag.instruments == {"short": "futures"}


def test_total_drag_is_counterfactual_minus_layer_pnl_and_maturity_split_is_exact():
    rec = make_records(seed=7, n_days=50, n_paths=3, layer_kind="calls", mark_noise=0.02)
    rng = np.random.default_rng(0)
    att = attribute(rec, capital=CAPITAL, cost_pnl=-rng.random((50, 3, 4)), financing_pnl=-rng.random((50, 3, 4)))
    ev = att.vega_notional * 0.6
    drag = compute_drag(att, dates=_dates(50), vix=20 + rng.random(50), effective_vega=ev)
    layer_pnl = att.total[..., 1:]
    expected = (drag.counterfactual - layer_pnl) / CAPITAL * 1e4
    np.testing.assert_allclose(drag.part("total"), expected, atol=1e-10)
    np.testing.assert_allclose(drag.maturity + drag.decorrelation, drag.part("correlation"), atol=1e-10)
    np.testing.assert_allclose(drag.cumulative()[-1], drag.part("total").sum(axis=0))


def test_core_flat_days_fall_back_to_spot_vix_change():
    rec = make_records(seed=2, n_days=8, n_paths=1, flat_core_days=(3, 4))
    att = attribute(rec, capital=CAPITAL)
    vix = np.array([20.0, 21.0, 19.0, 18.5, 22.0, 21.0, 21.0, 20.0])
    change, from_core = core_vol_change(att, vix, source="legs")
    assert not from_core[3, 0] and not from_core[4, 0] and from_core[5, 0]
    assert change[3, 0] == pytest.approx(-0.5) and change[4, 0] == pytest.approx(3.5)
    # elsewhere: the |q m vega|-weighted mean of the legs' IV changes, recomputed by hand
    d = 5
    legs = slice(0, 4)
    from helpers import ref_bsm

    w = np.array(
        [
            abs(
                rec.quantity[d, 0, j]
                * 100
                * ref_bsm(
                    rec.underlying_prev[d, 0, j],
                    rec.strike[d, 0, j],
                    rec.t_now[d, 0, j],
                    rec.vol_prev[d, 0, j],
                    0.03,
                    0.015,
                    rec.is_call[d, 0, j],
                )["vega"]
            )
            for j in range(4)
        ]
    )
    dsig = (rec.vol_now[d, 0, legs] - rec.vol_prev[d, 0, legs]) * 100
    assert change[d, 0] == pytest.approx((w * dsig).sum() / w.sum(), rel=1e-9)
    with pytest.raises(InputError, match="vix"):
        core_vol_change(att, np.r_[vix[:-1], np.nan])
    with pytest.raises(InputError, match="core_vol"):
        core_vol_change(att, vix, source="atm")
    np.testing.assert_allclose(core_vol_change(att, vix)[0][1:, 0], np.diff(vix))


def test_monthly_table_equals_pandas_groupby_reference():
    n = 90
    rec = make_records(seed=4, n_days=n, n_paths=2)
    dates = _dates(n, "2021-01-15")
    drag = compute_drag(attribute(rec, capital=CAPITAL), dates=dates, vix=np.full(n, 20.0))
    table = monthly_drag_table(drag)
    for li, layer in enumerate(drag.layers):
        frame = pd.DataFrame(drag.part("correlation")[:, :, li].mean(axis=1), index=dates)
        ref = frame.groupby(dates.to_period("M")).sum()[0]
        got = table[table.layer == layer].set_index("month")["correlation"]
        np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), atol=1e-10)
    alls = table[table.layer == "all"]
    np.testing.assert_allclose(alls[list(PARTS)].sum(axis=1), alls["total"], atol=1e-10)
    assert table.groupby("month")["n_days"].first().sum() == n


def test_contango_share_and_heavy_months():
    dates = pd.DatetimeIndex(
        ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-02-03", "2020-02-04"]
    )
    front = np.array([21, 21, 21, 21, 19, 21, 19], dtype=float)
    vix = np.full(7, 20.0)
    share = contango_share(dates, front, vix)
    assert share.to_dict() == {pd.Period("2020-01"): 0.8, pd.Period("2020-02"): 0.5}
    rec = make_records(seed=9, n_days=7, n_paths=1)
    drag = compute_drag(attribute(rec, capital=CAPITAL), dates=dates, vix=vix)
    dist = drag_distribution(drag, share, min_days=1)
    assert dist.loc[("contango_heavy", "all", "total"), "n_months"] == 1
    jan = drag.part("total")[:5, 0, :].sum()
    assert dist.loc[("contango_heavy", "all", "total"), "mean"] == pytest.approx(jan)
    assert dist.loc[("not_contango_heavy", "all", "total"), "n_months"] == 1
    assert (
        drag_distribution(drag, share, min_days=1, threshold=0.81).loc[("contango_heavy", "all", "total"), "n_months"]
        == 0
    )
    with pytest.raises(InputError, match="front_vx"):
        contango_share(dates, np.r_[front[:-1], np.nan], vix)
    with pytest.raises(InputError, match="dates"):
        contango_share(dates[::-1], front, vix)


def test_summary_dict_is_json_ready_and_consistent():
    n = 60
    rec = make_records(seed=12, n_days=n, n_paths=2, layer_kind="futures")
    dates = _dates(n, "2022-03-01")
    att = attribute(rec, capital=CAPITAL)
    drag = compute_drag(
        att,
        dates=dates,
        vix=np.full(n, 20.0),
        instruments=layer_instruments(rec, ("short", "mid", "long")),
        effective_vega=att.vega_notional * 0.5,
    )
    share = contango_share(dates, np.full(n, 21.0), np.full(n, 20.0))
    out = drag_summary(drag, contango=share)
    json.dumps(out)
    assert out["n_months"] == 3
    total_bp = drag.part("total").sum(axis=(0, 2)).mean()
    assert out["total_drag_bp_per_month"] == pytest.approx(total_bp / 3)
    assert out["total_drag_bp_per_month"] == pytest.approx(sum(out["split_bp_per_month"].values()))
    assert out["total_drag_bp_per_month"] == pytest.approx(sum(out["per_layer_drag_bp_per_month"].values()))
    assert out["instruments"] == {"short": "futures", "mid": "futures", "long": "futures"}
    split = out["correlation_split_bp_per_month"]
    assert split["maturity"] + split["decorrelation"] == pytest.approx(out["split_bp_per_month"]["correlation"])
    assert out["monthly_total_drag_bp"]["contango_heavy"]["n_months"] == 3
    assert out["monthly_total_drag_bp"]["seed_claim_bp_per_month"] == [18.0, 35.0]


def test_bad_drag_inputs():
    rec = make_records(seed=1, n_days=5, n_paths=1)
    att = attribute(rec, capital=CAPITAL)
    with pytest.raises(InputError, match="dates"):
        compute_drag(att, dates=_dates(4), vix=np.full(5, 20.0))
    with pytest.raises(InputError, match="vix"):
        compute_drag(att, dates=_dates(5), vix=np.full(4, 20.0))
    with pytest.raises(InputError, match="instruments"):
        compute_drag(att, dates=_dates(5), vix=np.full(5, 20.0), instruments={"nope": "futures"})
    with pytest.raises(InputError, match="effective_vega"):
        compute_drag(att, dates=_dates(5), vix=np.full(5, 20.0), effective_vega=np.zeros((5, 1, 3)))


def test_drag_analysis_one_call_matches_the_parts():
    n = 45
    rec = make_records(seed=21, n_days=n, n_paths=2, layer_kind="calls")
    dates = _dates(n, "2023-05-01")
    vix = 20 + np.cumsum(np.random.default_rng(1).normal(0, 0.5, n))
    front = vix + np.where(np.arange(n) < 25, 1.0, -1.0)
    out = drag_analysis(
        rec,
        dates=dates,
        capital=CAPITAL,
        vix=vix,
        front_vx=front,
        sensitivity=lambda dte: np.exp(-np.asarray(dte, float) / 60),
    )
    att = attribute(rec, capital=CAPITAL)
    direct = compute_drag(att, dates=dates, vix=vix)
    np.testing.assert_allclose(out.drag.daily, direct.daily, atol=1e-12)
    assert out.drag.instruments == {"short": "calls", "mid": "calls", "long": "calls"}
    assert set(out.decay) == {"short", "mid", "long"}
    assert out.distribution is not None and out.summary["monthly_total_drag_bp"]["contango_heavy"]["n_months"] == 1
    json.dumps(out.summary)
    assert out.summary["attribution_bp"]["all"]["total"] == pytest.approx(
        att.total.sum(axis=(0, 2)).mean() / CAPITAL * 1e4
    )


def test_separate_financing_group_is_not_a_layer():
    n = 30
    rec = make_records(seed=22, n_days=n, n_paths=1)
    att = attribute(rec, capital=CAPITAL, financing_pnl=np.full((n, 1), -10.0))
    ev = np.ones((n, 1, 4))
    drag = compute_drag(att, dates=_dates(n), vix=np.full(n, 20.0), effective_vega=ev)
    assert drag.layers == ("short", "mid", "long")
    out = drag_analysis(
        rec, dates=_dates(n), capital=CAPITAL, vix=np.full(n, 20.0), financing_pnl=np.full((n, 1), -10.0)
    )
    assert out.summary["attribution_bp"]["financing"]["total"] == pytest.approx(-10.0 * n / CAPITAL * 1e4)


def test_capital_per_day_divides_each_day():
    n = 20
    rec = make_records(seed=30, n_days=n, n_paths=2)
    nav = 1e6 * (1 + 0.01 * np.arange(n))[:, None] * np.array([1.0, 2.0])
    att = attribute(rec, capital=nav)
    fixed = attribute(rec, capital=1e6)
    np.testing.assert_allclose(
        att.totals("bp")["total"].to_numpy()[:-1], ((fixed.total / nav[..., None]).sum(axis=0) * 1e4).mean(axis=0)
    )
    drag = compute_drag(att, dates=_dates(n), vix=np.full(n, 20.0))
    drag_fixed = compute_drag(fixed, dates=_dates(n), vix=np.full(n, 20.0))
    np.testing.assert_allclose(drag.daily, drag_fixed.daily * 1e6 / nav[None, :, :, None])
    with pytest.raises(InputError, match="capital"):
        attribute(rec, capital=np.ones((n - 1, 2)))


def test_restrict_drag_keeps_the_chosen_days_and_recomputes_months():
    n = 70
    rec = make_records(seed=7, n_days=n, n_paths=2)
    dates = _dates(n, "2021-03-10")
    drag = compute_drag(attribute(rec, capital=CAPITAL), dates=dates, vix=np.linspace(18.0, 25.0, n))
    keep = np.ones(n, dtype=bool)
    keep[40:] = False  # e.g. the VX data end on day 39
    sub = restrict_drag(drag, keep)
    assert sub.dates.equals(dates[:40]) and sub.daily.shape == (len(PARTS), 40, 2, len(drag.layers))
    np.testing.assert_array_equal(sub.part("total"), drag.part("total")[:40])
    ref = pd.DataFrame(drag.part("total")[:40].sum(axis=-1).mean(axis=1), index=dates[:40])
    ref = ref.groupby(dates[:40].to_period("M")).sum()[0]
    got = monthly_drag_table(sub).query("layer == 'all'")["total"]
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), atol=1e-10)
    with pytest.raises(InputError):
        restrict_drag(drag, np.zeros(n, dtype=bool))
    with pytest.raises(InputError):
        restrict_drag(drag, np.ones(n - 1, dtype=bool))


def test_layer_instruments_name_puts_as_puts():
    # a put layer (vix_put, or the long put of a conversion) must not be labelled "calls" on screen and in the report
    rec = make_records(seed=3, n_days=20, n_paths=2, layer_kind="calls")
    assert layer_instruments(rec, ("short", "mid")) == {"short": "calls", "mid": "calls"}
    cols = [i for i, c in enumerate(rec.slots.component) if c == "short"]
    rec.is_call[..., cols] = False
    assert layer_instruments(rec, ("short", "mid")) == {"short": "puts", "mid": "calls"}
    mid = [i for i, c in enumerate(rec.slots.component) if c == "mid"]
    rec.is_call[: rec.is_call.shape[0] // 2, :, mid] = False
    assert layer_instruments(rec, ("mid",)) == {"mid": "calls+puts"}
    fut = make_records(seed=3, n_days=20, n_paths=2, layer_kind="futures")
    assert layer_instruments(fut, ("short",)) == {"short": "futures"}


def test_worked_example_in_drag_md_recomputes_from_the_settlements(shared_data):
    # docs/drag.md's 2017-03-01 example: the contracts held (from a run's trades.csv) and the day's terms (its
    # daily.parquet) must agree with Cboe's settlements: it once named J17 with H17's settles
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "drag.md").read_text(encoding="utf-8")
    ex = doc[doc.index("### Worked example: 2017-03-01") : doc.index("## Against the core")]
    vx = pd.read_csv(shared_data / "vix_futures" / "vx_contracts_daily_2004_2025.csv.gz")
    vx = vx[vx["trade_date"].isin(["2017-02-28", "2017-03-01"])].set_index(["contract", "trade_date"])
    held = {c: int(n) for n, c in re.findall(r"\*{0,2}(\d+) ([FGHJKMNQUVXZ]17)\*{0,2} \(", ex)}
    assert held == {"H17": 26, "K17": 22, "Q17": 10}
    marks = {}
    for c, n in held.items():
        f0, f1 = vx.loc[(c, "2017-02-28"), "settle"], vx.loc[(c, "2017-03-01"), "settle"]
        assert f"{c[0]}17 {f0:.3f} -> {f1:.3f}" in ex or f"{c} (expiry" in ex
        marks[c] = n * 1000 * (f1 - f0)
    assert vx.loc[("H17", "2017-02-28"), "expiry"] == "2017-03-22" and vx.loc[("H17", "2017-02-28"), "dte_cal"] == 22
    assert "`F0 = 13.525`" in ex and "`F1 = 13.275`" in ex  # H17's settles
    assert marks["H17"] == pytest.approx(-6500.0) and marks["K17"] == pytest.approx(-3300.0)
    assert marks["Q17"] == pytest.approx(-500.0)
    # the short layer's terms add up to its total; the three layers' totals (marks + interest) to the day's cost
    carry, spot, curve, fin = -715.00, -5125.02, -659.98, -36.95
    assert carry == pytest.approx(26 * 1000 * (13.4975 - 13.525))
    assert carry + spot + curve == pytest.approx(marks["H17"], abs=0.01)
    interest = fin - 26.29 - 4.38
    day_bp = -(sum(marks.values()) + interest) / 1e7 * 1e4
    assert f"**+{day_bp:.2f} bp**" in ex  # 10.37
    assert "**-6,536.95**" in ex and f"{-(marks['H17'] + fin):,.2f}" == "6,536.95"
