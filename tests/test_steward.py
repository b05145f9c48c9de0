"""alvh.analytics.steward: VRP, per-layer regressions, IRR per layer, iron condor break-evens."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql
from scipy.optimize import brentq

from alvh.analytics.steward import (
    break_even_expansion,
    layer_irr,
    realized_variance,
    steward_regression,
    variance_risk_premium,
)
from alvh.errors import InputError


def _synthetic(n=800, seed=51):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    idx = pd.bdate_range("2015-01-01", periods=n)
    spx = pd.Series(4000.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), index=idx)
    vix = pd.Series(np.clip(18 + np.cumsum(rng.normal(0, 0.5, n)) * 0.2, 9, 60), index=idx)
    return rng, idx, spx, vix


def test_realized_variance_and_vrp_vs_slow_loop():
    _, idx, spx, vix = _synthetic(200)
    rv = realized_variance(spx, 21)
    closes = spx.to_numpy()
    for t in (21, 50, 199):
        r2 = [math.log(closes[s] / closes[s - 1]) ** 2 for s in range(t - 20, t + 1)]
        assert rv.iloc[t] == pytest.approx(252.0 / 21.0 * sum(r2), rel=1e-12)
    assert rv.iloc[:21].isna().all()
    vrp = variance_risk_premium(vix, spx, 21)
    assert vrp.iloc[100] == pytest.approx((vix.iloc[100] / 100) ** 2 - rv.iloc[100], rel=1e-12)
    # no look-ahead: changing a future close does not change today's VRP
    spx2 = spx.copy()
    spx2.iloc[150:] *= 1.2
    pd.testing.assert_series_equal(variance_risk_premium(vix, spx2, 21).iloc[:150], vrp.iloc[:150])
    with pytest.raises(InputError, match="2015-02-"):
        gap = spx.copy()
        gap.iloc[30] = np.nan
        realized_variance(gap)


def test_vrp_on_real_data_is_positive_on_average(real_market_data):
    # Carr & Wu (2009), Bollerslev et al. (2009): implied variance exceeds realized on average.
    md = real_market_data.slice("1990-01-01", "2025-12-31")
    vrp = variance_risk_premium(md.vix["close"], md.spx["close"]).dropna()
    assert vrp.mean() > 0 and (vrp > 0).mean() > 0.6
    assert vrp.loc["2008-10-01":"2008-11-30"].min() < 0  # realized above implied in the crash


def test_regression_matches_lstsq_and_recovers_betas():
    rng, idx, spx, vix = _synthetic()
    vrp_lag = variance_risk_premium(vix, spx).shift(1)
    spx_ret = spx.pct_change()
    y = pd.DataFrame(
        {
            "short": 1e-4 + 0.8 * spx_ret + 0.3 * vrp_lag + rng.normal(0, 1e-3, len(idx)),
            "long": -2e-4 - 0.2 * spx_ret + rng.normal(0, 1e-3, len(idx)),
        },
        index=idx,
    )
    res = steward_regression(y, spx, vix)
    ok = vrp_lag.notna() & spx_ret.notna()
    assert ok.sum() == len(idx) - 22 and (res["nobs"] == ok.sum()).all()
    X = np.column_stack([np.ones(ok.sum()), spx_ret[ok], vrp_lag[ok]])
    for layer in ("short", "long"):
        yy = y.loc[ok, layer].to_numpy()
        coef, *_ = np.linalg.lstsq(X, yy, rcond=None)
        resid = yy - X @ coef
        s2 = resid @ resid / (len(yy) - 3)
        se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
        row = res.loc[layer]
        np.testing.assert_allclose(row[["alpha", "beta_spx", "beta_vrp"]].to_numpy(float), coef, rtol=1e-8)
        np.testing.assert_allclose(row[["t_alpha", "t_spx", "t_vrp"]].to_numpy(float), coef / se, rtol=1e-8)
        # Newey-West by hand: Bartlett weights 1 - l/(L+1), no small-sample correction
        lags = 3
        xu = X * resid[:, None]
        s = xu.T @ xu
        for lag in range(1, lags + 1):
            g = xu[lag:].T @ xu[:-lag]
            s += (1 - lag / (lags + 1)) * (g + g.T)
        bread = np.linalg.inv(X.T @ X)
        se_hac = np.sqrt(np.diag(bread @ s @ bread))
        hac = steward_regression(y, spx, vix, cov_type="HAC", hac_maxlags=lags).loc[layer]
        np.testing.assert_allclose(hac[["se_alpha", "se_spx", "se_vrp"]].to_numpy(float), se_hac, rtol=1e-8)
    assert res.loc["short", "beta_spx"] == pytest.approx(0.8, abs=0.02)
    assert res.loc["short", "beta_vrp"] == pytest.approx(0.3, abs=0.1)
    assert abs(res.loc["long", "t_vrp"]) < 4


@pytest.mark.parametrize("cov_type,lags", [("nonrobust", None), ("HAC", None), ("HAC", 7)])
def test_regression_identical_to_statsmodels(cov_type, lags):
    """steward_regression's numpy OLS (no statsmodels import: 1.8 s per process) == statsmodels' OLS."""
    sm = pytest.importorskip("statsmodels.api")
    rng, idx, spx, vix = _synthetic(1500, seed=7)
    spx_ret = spx.pct_change()
    vrp_lag = variance_risk_premium(vix, spx).shift(1)
    y = pd.DataFrame(
        {
            "a": 2e-4 + 0.5 * spx_ret - 0.4 * vrp_lag + rng.standard_t(3, len(idx)) * 1e-3,
            "b": rng.normal(0, 1e-3, len(idx)) * (1 + (vix / 20) ** 2),
        },
        index=idx,
    )
    res = steward_regression(y, spx, vix, cov_type=cov_type, hac_maxlags=lags)
    ok = (vrp_lag.notna() & spx_ret.notna()).to_numpy()
    x = np.column_stack([spx_ret.to_numpy()[ok], vrp_lag.to_numpy()[ok]])
    for layer in ("a", "b"):
        model = sm.OLS(y[layer].to_numpy()[ok], sm.add_constant(x, has_constant="add"))
        n = int(ok.sum())
        fit = (
            model.fit(
                cov_type="HAC",
                cov_kwds={"maxlags": lags if lags is not None else int(np.floor(4 * (n / 100.0) ** (2.0 / 9.0)))},
            )
            if cov_type == "HAC"
            else model.fit()
        )
        row = res.loc[layer]
        np.testing.assert_allclose(
            row[["alpha", "beta_spx", "beta_vrp"]].to_numpy(float), fit.params, rtol=1e-13, atol=0
        )
        np.testing.assert_allclose(row[["se_alpha", "se_spx", "se_vrp"]].to_numpy(float), fit.bse, rtol=1e-13, atol=0)
        np.testing.assert_allclose(row[["t_alpha", "t_spx", "t_vrp"]].to_numpy(float), fit.tvalues, rtol=1e-13, atol=0)
        assert row["r2"] == pytest.approx(fit.rsquared, rel=1e-13, abs=0)
        assert row["nobs"] == int(fit.nobs)


def test_regression_missing_policy():
    rng, idx, spx, vix = _synthetic(300)
    y = pd.DataFrame({"mid": rng.normal(0, 1e-3, 300)}, index=idx)
    y.iloc[100, 0] = np.nan
    with pytest.raises(InputError, match="'mid'.*2015-05-21"):
        steward_regression(y, spx, vix)
    assert steward_regression(y, spx, vix, missing="drop").loc["mid", "nobs"] == 300 - 22 - 1
    with pytest.raises(InputError, match="layer_returns"):
        steward_regression(y.iloc[1:], spx, vix)
    # a layer never held (constant zero return) is an error naming it, not a 0/0 R^2
    flat = y.assign(mid=0.0)
    with pytest.raises(InputError, match="'mid' has a constant return"):
        steward_regression(flat, spx, vix)


def test_layer_irr_hand_values():
    idx = pd.to_datetime(["2024-01-02", "2024-07-02", "2025-01-01"])
    flows = pd.DataFrame({"short": [-100.0, 0.0, 110.0], "long": [-100.0, -100.0, 150.0]}, index=idx)
    res = layer_irr(flows)
    t = (idx - idx[0]).days.to_numpy() / 365.0
    assert res.loc["short", "irr"] == pytest.approx(1.1 ** (1 / t[2]) - 1, rel=1e-12)
    ref = brentq(lambda r: -100 - 100 / (1 + r) ** t[1] + 150 / (1 + r) ** t[2], -0.99, 10, xtol=1e-15)
    assert res.loc["long", "irr"] == pytest.approx(ref, rel=1e-10)
    assert res.loc["long", "paid"] == -200 and res.loc["long", "received"] == 150


def _bs(spot, strike, t, vol, r, q, call):
    """Reference BSM with math.erf (scalar), independent of alvh.pricing."""
    if t <= 0:
        return max(spot - strike, 0.0) if call else max(strike - spot, 0.0)
    n = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    d1 = (math.log(spot / strike) + (r - q + 0.5 * vol * vol) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    if call:
        return spot * math.exp(-q * t) * n(d1) - strike * math.exp(-r * t) * n(d2)
    return strike * math.exp(-r * t) * n(-d2) - spot * math.exp(-q * t) * n(-d1)


def test_break_even_at_expiry_and_vs_brentq_reference():
    k = dict(long_put=4500.0, short_put=4700.0, short_call=5300.0, long_call=5500.0)
    shifts = np.array([0.0, 0.02, 0.05, 0.10])
    t_rem = np.array([[0.0], [5 / 365], [20 / 365]])
    vols = (0.22, 0.19, 0.13, 0.12)  # skew: puts richer
    res = break_even_expansion(**k, t_remaining=t_rem, iv=vols, iv_shift=shifts, credit=35.0, rate=0.04, div=0.013)
    np.testing.assert_allclose(res.lower[0], 4700 - 35.0, rtol=1e-12)
    np.testing.assert_allclose(res.upper[0], 5300 + 35.0, rtol=1e-12)
    for i in (1, 2):
        for j, dv in enumerate(shifts):
            t = float(t_rem[i, 0])

            def pnl(s, t=t, dv=dv):
                return (
                    35.0
                    + _bs(s, 4500, t, vols[0] + dv, 0.04, 0.013, False)
                    - _bs(s, 4700, t, vols[1] + dv, 0.04, 0.013, False)
                    - _bs(s, 5300, t, vols[2] + dv, 0.04, 0.013, True)
                    + _bs(s, 5500, t, vols[3] + dv, 0.04, 0.013, True)
                )

            peak = float(res.peak_spot[i, j])
            if res.peak_pnl[i, j] <= 0:
                assert max(pnl(s) for s in np.linspace(4400, 5600, 2401)) <= 0
                assert np.isnan(res.lower[i, j]) and res.reason[i, j] != ""
                continue
            assert res.lower[i, j] == pytest.approx(brentq(pnl, 4500 / 4, peak, xtol=1e-10), rel=1e-9)
            assert res.upper[i, j] == pytest.approx(brentq(pnl, peak, 5500 * 4, xtol=1e-10), rel=1e-9)
    # rising IV narrows the profit zone (both break-evens move toward the centre)
    w = res.width[1]
    assert np.all(np.diff(w[np.isfinite(w)]) < 0)


def test_break_even_credit_from_entry_and_bad_input():
    k = dict(long_put=4500.0, short_put=4700.0, short_call=5300.0, long_call=5500.0)
    res = break_even_expansion(**k, t_remaining=0.0, iv=0.15, spot_entry=5000.0, t_entry=45 / 365, rate=0.04, div=0.01)
    credit = -(
        _bs(5000, 4500, 45 / 365, 0.15, 0.04, 0.01, False)
        - _bs(5000, 4700, 45 / 365, 0.15, 0.04, 0.01, False)
        - _bs(5000, 5300, 45 / 365, 0.15, 0.04, 0.01, True)
        + _bs(5000, 5500, 45 / 365, 0.15, 0.04, 0.01, True)
    )
    assert float(res.credit) == pytest.approx(credit, rel=1e-10)
    assert float(res.lower) == pytest.approx(4700 - credit, rel=1e-12)
    with pytest.raises(InputError, match="short_put"):
        break_even_expansion(
            long_put=4800.0,
            short_put=4700.0,
            short_call=5300.0,
            long_call=5500.0,
            t_remaining=0.0,
            iv=0.15,
            credit=10.0,
        )
    with pytest.raises(InputError, match="t_remaining"):
        break_even_expansion(**k, t_remaining=-1.0, iv=0.15, credit=10.0)
    with pytest.raises(InputError, match="credit"):
        break_even_expansion(**k, t_remaining=0.0, iv=0.15)


# ---------------------------------------------------------------- break-evens by root finding (issue 8 item 3)
def test_expiry_break_evens_hand_computed_condors():
    # (lp, sp, sc, lc, credit): expected expiry (lower, upper) worked out by hand from the payoff
    #   P&L(S) = C - max(sp - S, 0) + max(lp - S, 0) - max(S - sc, 0) + max(S - lc, 0)
    cases = [
        (4500.0, 4700.0, 5300.0, 5500.0, 35.0, 4665.0, 5335.0),  # both wings wider than the credit
        (4900.0, 5000.0, 5100.0, 5105.0, 8.0, 4992.0, np.inf),  # 5-pt call wing < 8 credit: no upper loss
        (4995.0, 5000.0, 5100.0, 5300.0, 6.0, -np.inf, 5106.0),  # 5-pt put wing < 6 credit: no lower loss
        (4990.0, 5000.0, 5000.0, 5010.0, 2.5, 4997.5, 5002.5),  # short straddle body
    ]
    for lp, sp, sc, lc, c, lo, hi in cases:
        res = break_even_expansion(
            long_put=lp, short_put=sp, short_call=sc, long_call=lc, t_remaining=0.0, iv=0.2, credit=c
        )
        for got in (res.lower, res.expiry_lower):
            assert float(got) == (pytest.approx(lo, rel=1e-12) if np.isfinite(lo) else lo)
        for got in (res.upper, res.expiry_upper):
            assert float(got) == (pytest.approx(hi, rel=1e-12) if np.isfinite(hi) else hi)
        assert float(res.peak_pnl) == pytest.approx(c, abs=1e-6)  # the most a condor can make is its credit
        assert sp - 1e-6 <= float(res.peak_spot) <= sc + 1e-6
        assert (res.reason != "") == (not (np.isfinite(lo) and np.isfinite(hi)))


def test_profit_zone_found_away_from_the_strikes_centre():
    # Put legs' vols far above the call legs' (sticky strike, 10 days left): the P&L at the geometric
    # mean of the short strikes is negative, yet a profit zone exists above it.
    k = dict(long_put=4300.0, short_put=4500.0, short_call=5100.0, long_call=5200.0)
    vols, t = (0.40, 0.36, 0.10, 0.09), 10 / 365
    res = break_even_expansion(**k, t_remaining=t, iv=vols, credit=10.0, rate=0.04, div=0.013)

    def pnl(s):
        return (
            10.0
            + _bs(s, 4300, t, 0.40, 0.04, 0.013, False)
            - _bs(s, 4500, t, 0.36, 0.04, 0.013, False)
            - _bs(s, 5100, t, 0.10, 0.04, 0.013, True)
            + _bs(s, 5200, t, 0.09, 0.04, 0.013, True)
        )

    assert pnl(math.sqrt(4500 * 5100)) < 0  # the old one-point test reported no zone here
    grid = np.linspace(4000, 5500, 15001)
    vals = np.array([pnl(s) for s in grid])
    pos = grid[vals > 0]
    assert pos.size > 0 and np.all(np.diff(np.flatnonzero(vals > 0)) == 1)  # one zone
    assert float(res.lower) == pytest.approx(brentq(pnl, pos[0] - 0.2, pos[0]), rel=1e-10)
    assert float(res.upper) == pytest.approx(brentq(pnl, pos[-1], pos[-1] + 0.2), rel=1e-10)
    assert float(res.peak_pnl) == pytest.approx(vals.max(), abs=1e-4)
    assert res.reason == ""


def test_no_profit_zone_is_nan_with_a_reason():
    k = dict(long_put=4500.0, short_put=4700.0, short_call=5300.0, long_call=5500.0)
    res = break_even_expansion(**k, t_remaining=30 / 365, iv=0.6, credit=5.0, rate=0.04)
    assert np.isnan(res.lower) and np.isnan(res.upper) and float(res.peak_pnl) < 0
    assert "no profit zone" in str(res.reason)
    # at expiry the same position still has its zone: sp - C, sc + C
    assert (float(res.expiry_lower), float(res.expiry_upper)) == (pytest.approx(4695.0), pytest.approx(5305.0))


def test_break_evens_against_quantlib_revaluation_on_a_spot_grid():
    today = ql.Date(2, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    spot = ql.SimpleQuote(5000.0)
    r, q, days = 0.045, 0.014, 17
    legs = [
        (4550.0, 0.27, False, 1.0),
        (4800.0, 0.21, False, -1.0),
        (5150.0, 0.12, True, -1.0),
        (5250.0, 0.115, True, 1.0),
    ]
    options = []
    for k, vol, call, sign in legs:
        proc = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(spot),
            ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
            ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
        )
        opt = ql.EuropeanOption(
            ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, k), ql.EuropeanExercise(today + days)
        )
        opt.setPricingEngine(ql.AnalyticEuropeanEngine(proc))
        options.append((sign, opt))
    credit = 24.0

    def ql_pnl(s):
        spot.setValue(float(s))
        return credit + sum(sign * o.NPV() for sign, o in options)

    grid = np.arange(4400.0, 5400.0, 0.5)
    vals = np.array([ql_pnl(s) for s in grid])
    cross = np.flatnonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))
    assert cross.size == 2  # one profit zone, bounded on both sides
    ql_lo = brentq(ql_pnl, grid[cross[0]], grid[cross[0] + 1], xtol=1e-9)
    ql_hi = brentq(ql_pnl, grid[cross[1]], grid[cross[1] + 1], xtol=1e-9)
    res = break_even_expansion(
        long_put=4550.0,
        short_put=4800.0,
        short_call=5150.0,
        long_call=5250.0,
        t_remaining=days / 365,
        iv=[v for _, v, _, _ in legs],
        credit=credit,
        rate=r,
        div=q,
    )
    assert float(res.lower) == pytest.approx(ql_lo, abs=1e-6)
    assert float(res.upper) == pytest.approx(ql_hi, abs=1e-6)
    assert float(res.peak_pnl) == pytest.approx(vals.max(), abs=1e-3)


def test_a_zone_narrower_than_the_search_grid_is_found():
    k = dict(long_put=4500.0, short_put=4700.0, short_call=5300.0, long_call=5500.0)
    t, vol, r = 30 / 365, 0.6, 0.04
    first = break_even_expansion(**k, t_remaining=t, iv=vol, credit=5.0, rate=r)
    assert float(first.peak_pnl) < 0
    credit = 5.0 - float(first.peak_pnl) + 0.002  # the peak now clears zero by 0.002 points

    def pnl(s):
        return (
            credit
            + _bs(s, 4500, t, vol, r, 0.0, False)
            - _bs(s, 4700, t, vol, r, 0.0, False)
            - _bs(s, 5300, t, vol, r, 0.0, True)
            + _bs(s, 5500, t, vol, r, 0.0, True)
        )

    res = break_even_expansion(**k, t_remaining=t, iv=vol, credit=credit, rate=r)
    assert float(res.peak_pnl) > 0 and res.reason == ""
    lo, hi, peak = float(res.lower), float(res.upper), float(res.peak_spot)
    assert lo < peak < hi and hi - lo < 0.0055 * peak  # narrower than the grid's spacing
    assert lo == pytest.approx(brentq(pnl, lo - 5.0, peak), rel=1e-10)
    assert hi == pytest.approx(brentq(pnl, peak, hi + 5.0), rel=1e-10)


def _random_condors(seed: int = 7, n: int = 200) -> dict:
    rng = np.random.default_rng(seed)
    sp = rng.uniform(4000, 5000, n)
    width = rng.uniform(20, 300, n)
    k = dict(long_put=sp - width, short_put=sp, short_call=sp + rng.uniform(0, 800, n), long_call=None)
    k["long_call"] = k["short_call"] + rng.uniform(20, 300, n)
    t_rem = np.where(rng.uniform(size=n) < 0.1, 0.0, rng.uniform(1, 60, n) / 365)
    vols = tuple(rng.uniform(0.08, 0.4, n) for _ in range(4))
    args = dict(
        **{name: x[:, None] for name, x in k.items()},
        t_remaining=t_rem[:, None],
        iv=[v[:, None] for v in vols],
        iv_shift=np.array([0.0, 0.05, 0.1]),
    )
    args.update(credit=rng.uniform(5, 40, n)[:, None], rate=0.03, div=0.012)
    return args


def _same_roots(a, b, rtol: float) -> None:
    for name in ("lower", "upper", "expiry_lower", "expiry_upper"):
        x, y = getattr(a, name), getattr(b, name)
        assert np.array_equal(np.isnan(x), np.isnan(y)) and np.array_equal(np.isinf(x), np.isinf(y)), name
        ok = np.isfinite(x)
        np.testing.assert_allclose(y[ok], x[ok], rtol=rtol, err_msg=name)
    assert np.array_equal(a.peak_pnl > 0, b.peak_pnl > 0)  # the same zones
    assert np.array_equal(a.reason, b.reason)


def test_break_even_backends_agree():
    # the compiled P&L pass (backend="numba") against four bsm_price calls (numpy): the same roots to the
    # search's 1e-12 tolerance, on random condors, IV shifts and horizons (expiry included)
    n = 200
    args = _random_condors(7, n)
    a = break_even_expansion(**args, backend="numpy")
    b = break_even_expansion(**args, backend="numba", method="grid")
    _same_roots(a, b, 1e-11)
    # the peak is refined to 1e-5 relative only (it just has to bracket the roots): a flat maximum
    # read a few ulp apart can stop the golden-section search on another point of the plateau, and where a
    # wing's loss is below the credit the P&L's maximum is such a plateau beyond that wing (the grid's argmax
    # there is a few ulp's choice), so the spot is compared where the zone is bounded on both sides
    bounded = np.isfinite(a.width) & np.isfinite(b.width)
    assert bounded.sum() > n
    np.testing.assert_allclose(b.peak_spot[bounded], a.peak_spot[bounded], rtol=1e-5)
    np.testing.assert_allclose(b.peak_pnl, a.peak_pnl, rtol=1e-9, atol=1e-9)
    assert np.isfinite(a.lower).sum() > n  # the comparison covers real roots


def test_newton_search_against_the_grid_reference_on_random_condors():
    # method="newton" (the compiled per-case climb + Newton, the default) against the whole-grid search
    # (golden section + Illinois): the same zones and roots to 1e-11, on random condors with random per-leg
    # vols (some have two peaks: the far spots' plateau beyond a wing above the body's)
    n = 200
    args = _random_condors(7, n)
    ref = break_even_expansion(**args, backend="numpy", method="grid")
    new = break_even_expansion(**args, backend="numba")
    _same_roots(ref, new, 1e-11)
    assert np.isfinite(new.lower).sum() > n and np.isinf(new.lower).sum() + np.isinf(new.upper).sum() > 0
    # the peak: where the zone is bounded, Newton on the analytic delta is at least as high as the golden
    # section's (1e-5 relative bracket) up to 1e-9, and the spots agree to 1e-5; beyond a wing the maximum
    # is a plateau (a deep spread's P&L, flat to 1e-5 points over hundreds of points) where either search
    # stops on another point of it
    bounded = np.isfinite(ref.width)
    assert np.all(new.peak_pnl[bounded] >= ref.peak_pnl[bounded] - 1e-9)
    assert np.all(new.peak_pnl >= ref.peak_pnl - 1e-4)
    np.testing.assert_allclose(new.peak_spot[bounded], ref.peak_spot[bounded], rtol=1e-5)
    with pytest.raises(InputError, match="method"):
        break_even_expansion(**args, backend="numpy", method="newton")
    with pytest.raises(InputError, match="method"):
        break_even_expansion(**args, method="bisect")


def test_newton_search_against_the_grid_reference_on_every_real_case(real_market_data):
    # every held core condor of the 2006-2025 real run at the three IV shifts (13,950 cases on the full
    # data): the compiled Newton search gives the grid reference's roots to 1e-11 relative and its zones
    import alvh
    import alvh.analytics.steward as st
    from alvh.analytics import analysis
    from alvh.config import default_rules

    res = alvh.run(default_rules(), real_market_data, "2006-01-03", "2025-06-18", core_alone=False)
    seen: dict = {}
    original = st.break_even_expansion

    def spy(**kw):
        seen.update(kw)
        return original(**kw)

    import unittest.mock as um

    with um.patch.object(st, "break_even_expansion", spy):
        analysis._break_even(res, 0, [])
    assert seen and np.size(seen["long_put"]) > 4000
    ref = st.break_even_expansion(**seen, method="grid")
    new = st.break_even_expansion(**seen, method="newton")
    _same_roots(ref, new, 1e-11)
    assert np.isfinite(new.width).sum() > 9000
    assert np.all(new.peak_pnl >= ref.peak_pnl - 1e-9)


def test_excess_returns_over_the_risk_free_rate_match_statsmodels():
    """With risk_free, the regression is CAPM's: (y - rf) on (r_spx - rf) and the lagged VRP (statsmodels)."""
    sm = pytest.importorskip("statsmodels.api")
    rng, idx, spx, vix = _synthetic(800, seed=11)
    spx_ret = spx.pct_change()
    vrp_lag = variance_risk_premium(vix, spx).shift(1)
    rf = pd.Series(np.expm1(rng.uniform(0.0, 0.06, len(idx)) / 252), index=idx)  # a moving daily T-bill return
    y = pd.DataFrame({"a": 1e-4 + 0.3 * spx_ret + rng.normal(0, 1e-3, len(idx))}, index=idx)
    res = steward_regression(y, spx, vix, risk_free=rf)
    raw = steward_regression(y, spx, vix)
    ok = (vrp_lag.notna() & spx_ret.notna()).to_numpy()
    x = np.column_stack([(spx_ret - rf).to_numpy()[ok], vrp_lag.to_numpy()[ok]])
    fit = sm.OLS((y["a"] - rf).to_numpy()[ok], sm.add_constant(x, has_constant="add")).fit()
    np.testing.assert_allclose(res.loc["a", ["alpha", "beta_spx", "beta_vrp"]].to_numpy(float), fit.params, rtol=1e-12)
    assert bool(res.loc["a", "excess"]) and not bool(raw.loc["a", "excess"])
    assert res.loc["a", "alpha"] != pytest.approx(raw.loc["a", "alpha"], rel=1e-3)  # the rate matters
    with pytest.raises(InputError, match="risk_free"):
        steward_regression(y, spx, vix, risk_free=rf.iloc[:-1])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_illinois_prices_only_the_cases_still_iterating(backend, monkeypatch):
    """(the whole-grid search, ``method="grid"``)"""
    """The root search prices only the cases not yet done; the roots equal those of the loop that priced all."""
    import alvh.analytics.steward as st

    rng = np.random.default_rng(1)
    n = 300
    sp = rng.uniform(900, 1000, n)
    lp, sc = sp - rng.uniform(10, 60, n), sp + rng.uniform(50, 150, n)
    kw = dict(
        long_put=lp,
        short_put=sp,
        short_call=sc,
        long_call=sc + rng.uniform(10, 60, n),
        t_remaining=rng.uniform(0.0, 0.2, n),
        iv=[rng.uniform(0.1, 0.4, n) for _ in range(4)],
        iv_shift=np.array([0.0, 0.05, 0.1])[:, None],
        rate=0.02,
        div=0.01,
        credit=rng.uniform(1, 8, n),
        backend=backend,
        method="grid",
    )
    subset = st.break_even_expansion(**kw)
    monkeypatch.setattr(st, "_on_rows", lambda pnl, x, want, fill: pnl(x))  # every case priced every step
    every = st.break_even_expansion(**kw)
    for f in ("lower", "upper", "peak_spot", "width", "expiry_lower", "expiry_upper"):
        assert np.array_equal(getattr(subset, f), getattr(every, f), equal_nan=True), f
